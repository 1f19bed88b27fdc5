"""Control flow (IF, WHILE, CALL_ONCE) and resource variables over several subgraphs: our generated
C against LiteRT's reference kernels, int8 byte for byte and float32 within 1e-5 / 1e-6.

- IF with a bool condition from the data, both branches taken over the seeds, int8 and float32
  operators inside the branches (FULLY_CONNECTED, ADD, MUL, RELU, STRIDED_SLICE, SOFTMAX,
  RESHAPE aliases, a branch that passes its input through, a branch whose output is a constant);
- WHILE with a data-dependent trip count (zero iterations included), loop variables of several
  types, a body with int8 arithmetic;
- nested control flow: an IF inside a WHILE body, a WHILE inside an IF branch, one subgraph run
  from two places;
- CALL_ONCE + VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE: variables initialised once and
  accumulating across invocations, matched against one LiteRT interpreter invocation by
  invocation (the host driver also resets the state and runs each sequence twice); variables
  touched inside loops and branches, handles passed into subgraphs;
- the memory plan: every subgraph's tensors in the workspace, branches sharing memory;
- clear errors: recursion, a non-bool condition, shapes that would change (dynamic shapes),
  the deprecated CALL, variables of changing shape or never assigned, ambiguous handles.

WHILE conditions need a comparison. Until the comparison operators have their own lowering,
the tests register a small stand-in LESS for float32 (same-shape operands, `a < b`, which is what
LiteRT's reference LESS computes for float32) with monkeypatch; the real one is used when it
exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pytest

from microtvm.cli import main as cli_main
from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ir import Graph, Operator
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.ops.base import EmittedOp, LowerContext, OpLowering
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import OpSpec, SubgraphSpec, TensorSpec, build_model

SEEDS = (0, 1, 2, 3, 4, 5)

# ---------------------------------------------------------------------------------------------
# A stand-in LESS (float32, same shapes) for the WHILE conditions


def _check_less(op: Operator, graph: Graph) -> None:
    a, b, out = (graph.tensor(t) for t in (*op.inputs, *op.outputs))
    if a.dtype != "float32" or b.dtype != "float32" or a.shape != b.shape or out.shape != a.shape:
        raise UnsupportedError("the test LESS takes two float32 tensors of one shape")


def _emit_less(op: Operator, ctx: LowerContext) -> EmittedOp:
    n = ctx.graph.tensor(op.outputs[0]).num_elements
    a, b, out = (ctx.buf(t) for t in (*op.inputs, *op.outputs))
    return EmittedOp(call=f"size_t i;\nfor (i = 0; i < {n}u; ++i) {out}[i] = (uint8_t)({a}[i] < {b}[i]);")


@pytest.fixture(autouse=True)
def _less(monkeypatch: pytest.MonkeyPatch) -> None:
    if "LESS" not in LOWERINGS_BY_OPCODE:
        monkeypatch.setitem(LOWERINGS_BY_OPCODE, "LESS", OpLowering("LESS", _check_less, _emit_less))


# ---------------------------------------------------------------------------------------------
# Helpers


def f32(shape: Sequence[int], data=None, name: str = "") -> TensorSpec:
    return TensorSpec(list(shape), "float32", data=None if data is None else np.asarray(data, np.float32), name=name)


def s8(shape: Sequence[int], scale: float, zero_point: int, data=None, name: str = "") -> TensorSpec:
    return TensorSpec(
        list(shape), "int8", scale, zero_point, data=None if data is None else np.asarray(data, np.int8), name=name
    )


def boolean(shape: Sequence[int] = (1,), name: str = "") -> TensorSpec:
    return TensorSpec(list(shape), "bool", name=name)


def i32(values: Sequence[int]) -> TensorSpec:
    return TensorSpec([len(values)], "int32", data=np.asarray(values, np.int32))


def _if(then: int, orelse: int) -> dict:
    return {"then_subgraph_index": then, "else_subgraph_index": orelse}


def _while(cond: int, body: int) -> dict:
    return {"cond_subgraph_index": cond, "body_subgraph_index": body}


def _check(model: bytes, tmp_path: Path, seeds: Sequence[int] = SEEDS, steps: int = 1, **options) -> None:
    assert_matches_reference(model, seeds=seeds, steps=steps, workdir=tmp_path, **options)


def _condition_values(model: bytes, seeds: Sequence[int], position: int = 0) -> set[bool]:
    return {bool(random_inputs(model, seed)[position].reshape(-1)[0]) for seed in seeds}


# ---------------------------------------------------------------------------------------------
# IF


def _fc_branch(rng: np.random.Generator) -> SubgraphSpec:
    """int8 [1,8] -> FULLY_CONNECTED -> [1,4] -> RELU."""
    weights = TensorSpec([4, 8], "int8", 0.02, 0, data=rng.integers(-127, 128, (4, 8)))
    bias = TensorSpec([4], "int32", 0.05 * 0.02, 0, data=rng.integers(-500, 500, 4))
    tensors = [s8([1, 8], 0.05, -3), weights, bias, s8([1, 4], 0.1, 2), s8([1, 4], 0.1, 2)]
    ops = [OpSpec("FULLY_CONNECTED", [0, 1, 2], [3]), OpSpec("RELU", [3], [4])]
    return SubgraphSpec(tensors, ops, [0], [4], "then_fc")


def _slice_branch() -> SubgraphSpec:
    """int8 [1,8] -> RESHAPE [2,4] -> STRIDED_SLICE row 1 -> [1,4] -> ADD itself (requantized)."""
    tensors = [
        s8([1, 8], 0.05, -3),
        i32([2, 4]),
        s8([2, 4], 0.05, -3),
        i32([1, 0]),
        i32([2, 4]),
        i32([1, 1]),
        s8([1, 4], 0.05, -3),
        s8([1, 4], 0.1, 2),
    ]
    ops = [
        OpSpec("RESHAPE", [0, 1], [2], {"new_shape": [2, 4]}),
        OpSpec("STRIDED_SLICE", [2, 3, 4, 5], [6]),
        OpSpec("ADD", [6, 6], [7]),
    ]
    return SubgraphSpec(tensors, ops, [0], [7], "else_slice")


def test_if_int8_both_branches(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    # SOFTMAX int8 wants output scale 1/256, zero point -128.
    main = [
        boolean(name="cond"),
        s8([1, 8], 0.05, -3, name="x"),
        s8([1, 4], 0.1, 2, name="y"),
        s8([1, 4], 1 / 256, -128, name="z"),
    ]
    model = build_model(
        main,
        [OpSpec("IF", [0, 1], [2], _if(1, 2)), OpSpec("SOFTMAX", [2], [3], {"beta": 1.0})],
        [0, 1],
        [3],
        subgraphs=[_fc_branch(rng), _slice_branch()],
    )
    assert _condition_values(model, SEEDS) == {True, False}
    _check(model, tmp_path)


def test_if_float32_passthrough_and_constant_branch(tmp_path: Path) -> None:
    """Then: passes x through and computes x*x; else: a constant and x+1. Two outputs, the IF
    result feeds more operators, and the graph output is an IF output directly."""
    then = SubgraphSpec([f32([2, 3]), f32([2, 3])], [OpSpec("MUL", [0, 0], [1])], [0], [0, 1])
    constant = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    orelse = SubgraphSpec(
        [f32([2, 3]), f32([2, 3], constant), f32([1], [1.0]), f32([2, 3])],
        [OpSpec("ADD", [0, 2], [3])],
        [0],
        [1, 3],
    )
    main = [
        boolean(name="cond"),
        f32([2, 3], name="x"),
        f32([2, 3], name="a"),
        f32([2, 3], name="b"),
        f32([2, 3], name="c"),
    ]
    ops = [OpSpec("IF", [0, 1], [2, 3], _if(1, 2)), OpSpec("SUB", [2, 3], [4])]
    model = build_model(main, ops, [0, 1], [4, 2], subgraphs=[then, orelse])
    assert _condition_values(model, SEEDS) == {True, False}
    _check(model, tmp_path)
    _check(model, tmp_path / "io", seeds=SEEDS[:3], use_workspace_io=True)


def test_if_branches_share_memory() -> None:
    """Only one branch runs, so the planner may put both branches' tensors at the same bytes;
    every tensor of both branches is in the plan."""
    big = [64, 64]
    branch = SubgraphSpec(
        [f32(big), f32(big), f32(big)], [OpSpec("RELU", [0], [1]), OpSpec("ADD", [1, 0], [2])], [0], [2]
    )
    main = [boolean(), f32(big), f32(big)]
    model = build_model(main, [OpSpec("IF", [0, 1], [2], _if(1, 2))], [0, 1], [2], subgraphs=[branch, branch])
    memory = json.loads(compile_model(model, "m.tflite")["metadata.json"])["modules"]["default"]["memory"]
    pooled = [b for b in memory["buffers"] if b["pool"] is not None]
    assert len(pooled) == 2 * 3  # both branches' three tensors (the caller's two are its own)
    # Each branch needs two 16 KB buffers at once (x and relu(x) for the ADD, whose output may
    # overwrite relu(x) in place); both branches together fit in the same two.
    assert memory["workspace_size_bytes"] == 2 * 64 * 64 * 4


# ---------------------------------------------------------------------------------------------
# WHILE


def _counter_cond() -> SubgraphSpec:
    """(i, n, acc, q) -> i < n."""
    tensors = [f32([1]), f32([1]), f32([4]), s8([4], 0.1, 3), boolean()]
    return SubgraphSpec(tensors, [OpSpec("LESS", [0, 1], [4])], [0, 1, 2, 3], [4], "cond")


def _counter_body() -> SubgraphSpec:
    """(i, n, acc, q) -> (i + 1, n, acc * 0.5 + i, q + q (int8, saturating))."""
    tensors = [
        f32([1]),
        f32([1]),
        f32([4]),
        s8([4], 0.1, 3),
        f32([1], [1.0]),
        f32([1]),
        f32([1], [0.5]),
        f32([4]),
        f32([4]),
        s8([4], 0.1, 3),
    ]
    ops = [
        OpSpec("ADD", [0, 4], [5]),
        OpSpec("MUL", [2, 6], [7]),
        OpSpec("ADD", [7, 0], [8]),
        OpSpec("ADD", [3, 3], [9]),
    ]
    return SubgraphSpec(tensors, ops, [0, 1, 2, 3], [5, 1, 8, 9], "body")


def test_while_data_dependent_trip_count(tmp_path: Path) -> None:
    """n = 3 * |x| + (x > 0 ? ...): the loop runs from zero to several times depending on x."""
    main = [
        f32([1], name="x"),
        f32([1], [3.0]),
        f32([1], name="n"),
        f32([1], [0.0], name="i0"),
        f32([4], name="acc0"),
        s8([4], 0.1, 3, name="q0"),
        f32([1], name="i"),
        f32([1], name="n_out"),
        f32([4], name="acc"),
        s8([4], 0.1, 3, name="q"),
    ]
    ops = [
        OpSpec("MUL", [0, 1], [2]),
        OpSpec("WHILE", [3, 2, 4, 5], [6, 7, 8, 9], _while(1, 2)),
    ]
    model = build_model(main, ops, [0, 4, 5], [6, 8, 9], subgraphs=[_counter_cond(), _counter_body()])
    trips = set()
    for seed in SEEDS:
        x = random_inputs(model, seed)[0]
        trips.add(int(run_reference(model, random_inputs(model, seed))[0][0]))
        assert x.shape == (1,)
    assert 0 in trips and len(trips) >= 3, trips  # zero iterations and several different counts
    _check(model, tmp_path)


def test_while_loop_variable_is_graph_output_and_input(tmp_path: Path) -> None:
    """The WHILE's operands are the model inputs and its results the model outputs (caller
    buffers), and the cond reads a loop variable that the body passes through."""
    cond = SubgraphSpec([f32([1]), f32([1]), boolean()], [OpSpec("LESS", [0, 1], [2])], [0, 1], [2])
    body = SubgraphSpec(
        [f32([1]), f32([1]), f32([1], [0.75]), f32([1])],
        [OpSpec("ADD", [0, 2], [3])],
        [0, 1],
        [3, 1],
    )
    main = [f32([1], name="start"), f32([1], name="limit"), f32([1], name="end"), f32([1], name="limit_out")]
    model = build_model(main, [OpSpec("WHILE", [0, 1], [2, 3], _while(1, 2))], [0, 1], [2, 3], subgraphs=[cond, body])
    _check(model, tmp_path)


def _set_item_loop(steps: int, width: int, tail_offset: int = 1) -> bytes:
    """A WHILE loop writing row i of a [steps, 1, width] list each step, as TensorFlow's converter
    lowers a Keras RNN's TensorListSetItem: CONCATENATION(SLICE(list, 0, [i, -1, -1]), item,
    SLICE(list, [i + 1, 0, 0], -1)), the two slices of run-time size (shape_signature -1). The
    item is v = 2 v + 0.5 (v from the input), so every row differs. tail_offset 1: the
    converter's pattern; anything else is not that pattern."""
    list_shape = [steps, 1, width]
    cond = SubgraphSpec(
        [TensorSpec([], "int32"), TensorSpec([], "int32", data=np.array(steps, np.int32)), f32(list_shape),
         f32([1, width]), TensorSpec([], "bool")],
        [OpSpec("LESS", [0, 1], [4])],
        [0, 2, 3],
        [4],
    )
    scalar = TensorSpec([], "int32")
    body = SubgraphSpec(
        [
            scalar,  # 0 i
            f32(list_shape),  # 1 list
            f32([1, width]),  # 2 v
            TensorSpec([], "int32", data=np.array(tail_offset, np.int32)),  # 3 the 1 of i + 1
            scalar,  # 4 i + 1
            f32([1], [2.0]),  # 5
            f32([1, width]),  # 6 2 v
            f32([1], [0.5]),  # 7
            f32([1, width]),  # 8 v' = 2 v + 0.5
            i32([1]),  # 9 shape [1]
            TensorSpec([1], "int32"),  # 10 [i]
            i32([-1, -1]),  # 11
            TensorSpec([3], "int32"),  # 12 [i, -1, -1]
            i32([0, 0, 0]),  # 13
            TensorSpec([1, 1, width], "float32", shape_signature=[-1, -1, -1]),  # 14 head
            TensorSpec([1], "int32"),  # 15 [i + 1]
            i32([0, 0]),  # 16
            TensorSpec([3], "int32"),  # 17 [i + 1, 0, 0]
            i32([-1, -1, -1]),  # 18
            TensorSpec([1, 1, width], "float32", shape_signature=[-1, 1, width]),  # 19 tail
            i32([1, 1, width]),  # 20
            f32([1, 1, width]),  # 21 item
            f32(list_shape),  # 22 list'
        ],
        [
            OpSpec("ADD", [0, 3], [4]),
            OpSpec("MUL", [2, 5], [6]),
            OpSpec("ADD", [6, 7], [8]),
            OpSpec("RESHAPE", [0, 9], [10]),
            OpSpec("CONCATENATION", [10, 11], [12], {"axis": 0}),
            OpSpec("SLICE", [1, 13, 12], [14]),
            OpSpec("RESHAPE", [4, 9], [15]),
            OpSpec("CONCATENATION", [15, 16], [17], {"axis": 0}),
            OpSpec("SLICE", [1, 17, 18], [19]),
            OpSpec("RESHAPE", [8, 20], [21]),
            OpSpec("CONCATENATION", [14, 21, 19], [22], {"axis": 0}),
        ],
        [0, 1, 2],
        [4, 22, 8],
    )
    main = [
        TensorSpec([], "int32", data=np.array(0, np.int32), name="i0"),
        f32(list_shape, np.zeros(list_shape), name="list0"),
        f32([1, width], name="x"),
        TensorSpec([], "int32", name="i"),
        f32(list_shape, name="rows"),
        f32([1, width], name="v"),
    ]
    ops = [OpSpec("WHILE", [0, 1, 2], [3, 4, 5], _while(1, 2))]
    return build_model(main, ops, [2], [4], subgraphs=[cond, body])


def test_while_tensor_list_set_item(tmp_path: Path) -> None:
    """The converter's TensorListSetItem pattern (dynamic-size slices around the written row)
    compiles as DYNAMIC_UPDATE_SLICE and gives LiteRT's rows."""
    model = _set_item_loop(steps=5, width=3)
    graph = read_tflite(model, "m.tflite")
    body = graph.subgraph(2).operators
    assert [op.opcode for op in body].count("SLICE") == 0
    assert "DYNAMIC_UPDATE_SLICE" in [op.opcode for op in body]
    _check(model, tmp_path, seeds=SEEDS[:3])


def test_while_dynamic_slices_of_another_pattern_are_rejected() -> None:
    """Slices of run-time size that are not exactly the converter's pattern stay dynamic shapes."""
    with pytest.raises(UnsupportedError, match="dynamic shape"):
        compile_model(_set_item_loop(steps=4, width=2, tail_offset=2), "m.tflite")


# ---------------------------------------------------------------------------------------------
# Nested control flow


def test_if_inside_while_and_while_inside_if(tmp_path: Path) -> None:
    """main: IF(flag) then -> subgraph 1: WHILE(cond 3, body 4) whose body runs IF(flag, 5, 6);
    else -> subgraph 2: the same body IF directly (subgraph 6 run from two places)."""
    v = [3]
    # 1: then branch of the outer IF: (flag, x, n) -> WHILE over (i, n, flag, acc) -> acc
    then = SubgraphSpec(
        [boolean(), f32(v), f32([1]), f32([1], [0.0]), f32([1]), f32([1]), boolean(), f32(v)],
        [OpSpec("WHILE", [3, 2, 0, 1], [4, 5, 6, 7], _while(3, 4))],
        [0, 1, 2],
        [7],
    )
    # 2: else branch: (flag, x, n) -> IF(flag, 5, 6) on (x, n broadcast) -> result
    orelse = SubgraphSpec(
        [boolean(), f32(v), f32([1]), f32(v)],
        [OpSpec("IF", [0, 1, 2], [3], _if(5, 6))],
        [0, 1, 2],
        [3],
    )
    # 3: cond (i, n, flag, acc) -> i < n
    cond = SubgraphSpec(
        [f32([1]), f32([1]), boolean(), f32(v), boolean()], [OpSpec("LESS", [0, 1], [4])], [0, 1, 2, 3], [4]
    )
    # 4: body (i, n, flag, acc) -> (i + 1, n, flag, IF(flag)(acc, i))
    body = SubgraphSpec(
        [f32([1]), f32([1]), boolean(), f32(v), f32([1], [1.0]), f32([1]), f32(v)],
        [OpSpec("ADD", [0, 4], [5]), OpSpec("IF", [2, 3, 0], [6], _if(5, 6))],
        [0, 1, 2, 3],
        [5, 1, 2, 6],
    )
    # 5: (acc, s) -> acc * 0.5 + s ; 6: (acc, s) -> relu(acc - s)
    five = SubgraphSpec(
        [f32(v), f32([1]), f32([1], [0.5]), f32(v), f32(v)],
        [OpSpec("MUL", [0, 2], [3]), OpSpec("ADD", [3, 1], [4])],
        [0, 1],
        [4],
    )
    six = SubgraphSpec(
        [f32(v), f32([1]), f32(v), f32(v)], [OpSpec("SUB", [0, 1], [2]), OpSpec("RELU", [2], [3])], [0, 1], [3]
    )
    main = [boolean(name="flag"), f32(v, name="x"), f32([1], name="n"), f32([1], [4.0]), f32([1]), f32(v, name="y")]
    ops = [OpSpec("MUL", [2, 3], [4]), OpSpec("IF", [0, 0, 1, 4], [5], _if(1, 2))]
    model = build_model(main, ops, [0, 1, 2], [5], subgraphs=[then, orelse, cond, body, five, six])
    assert _condition_values(model, SEEDS) == {True, False}
    _check(model, tmp_path)


# ---------------------------------------------------------------------------------------------
# CALL_ONCE and resource variables (state that persists across invocations)


def handle(dtype: str = "resource") -> TensorSpec:
    return TensorSpec([], dtype)


def _var(name: str, container: str = "") -> dict:
    return {"shared_name": name, "container": container}


def _init(assignments: Sequence[tuple[str, TensorSpec]], handle_dtype: str = "resource") -> SubgraphSpec:
    """An init subgraph assigning each (variable name, constant)."""
    tensors: list[TensorSpec] = []
    ops = []
    for name, value in assignments:
        tensors += [handle(handle_dtype), value]
        ops += [
            OpSpec("VAR_HANDLE", [], [len(tensors) - 2], _var(name)),
            OpSpec("ASSIGN_VARIABLE", [len(tensors) - 2, len(tensors) - 1], []),
        ]
    return SubgraphSpec(tensors, ops, [], [], "init")


@pytest.mark.parametrize("handle_dtype", ["resource", "int32"])
def test_call_once_and_variables_accumulate_across_invocations(handle_dtype: str, tmp_path: Path) -> None:
    """acc (float32, initialised to a constant) += x each invocation; count (int8) += q, saturating;
    the outputs are the updated values, so every invocation differs and LiteRT's sequence must be
    matched invocation by invocation (and again after tvmgen_<m>_reset_state)."""
    init = _init(
        [("acc", f32([2, 3], np.linspace(-1, 1, 6).reshape(2, 3))), ("count", s8([4], 0.1, 3, [0, 10, -20, 5]))],
        handle_dtype,
    )
    main = [
        f32([2, 3], name="x"),
        s8([4], 0.1, 3, name="q"),
        handle(handle_dtype),
        f32([2, 3]),
        f32([2, 3], name="acc"),
        handle(handle_dtype),
        s8([4], 0.1, 3),
        s8([4], 0.1, 3, name="count"),
    ]
    ops = [
        OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        OpSpec("VAR_HANDLE", [], [2], _var("acc")),
        OpSpec("READ_VARIABLE", [2], [3]),
        OpSpec("ADD", [3, 0], [4]),
        OpSpec("ASSIGN_VARIABLE", [2, 4], []),
        OpSpec("VAR_HANDLE", [], [5], _var("count")),
        OpSpec("READ_VARIABLE", [5], [6]),
        OpSpec("ADD", [6, 1], [7]),
        OpSpec("ASSIGN_VARIABLE", [5, 7], []),
    ]
    model = build_model(main, ops, [0, 1], [4, 7], subgraphs=[init])
    _check(model, tmp_path, seeds=(0, 1, 2), steps=5)
    metadata = json.loads(compile_model(model, "m.tflite")["metadata.json"])["modules"]["default"]
    # acc (24 bytes -> 32), count (4 -> 16), the CALL_ONCE flag (1 -> 16)
    assert metadata["memory"]["state_size_bytes"] == 32 + 16 + 16


def test_variable_updated_inside_a_loop_and_a_branch(tmp_path: Path) -> None:
    """The WHILE body adds the loop counter to a variable on each iteration (VAR_HANDLE in the
    body); an IF branch taken on some invocations doubles another variable. The state survives
    invocations and is touched from inside subgraph functions."""
    # 1: init: total = 0, scale = [1, 1]
    init = _init([("total", f32([1], [0.0])), ("scale", f32([2], [1.0, 1.0]))])
    # 2: cond (i, n) -> i < n
    cond = SubgraphSpec([f32([1]), f32([1]), boolean()], [OpSpec("LESS", [0, 1], [2])], [0, 1], [2])
    # 3: body (i, n) -> (i + 1, n), total += i
    body = SubgraphSpec(
        [f32([1]), f32([1]), f32([1], [1.0]), f32([1]), handle(), f32([1]), f32([1])],
        [
            OpSpec("ADD", [0, 2], [3]),
            OpSpec("VAR_HANDLE", [], [4], _var("total")),
            OpSpec("READ_VARIABLE", [4], [5]),
            OpSpec("ADD", [5, 0], [6]),
            OpSpec("ASSIGN_VARIABLE", [4, 6], []),
        ],
        [0, 1],
        [3, 1],
    )
    # 4: then (x) -> x * scale, and scale *= 2 ; 5: else (x) -> x
    then = SubgraphSpec(
        [f32([2]), handle(), f32([2]), f32([2]), f32([2], [2.0, 2.0]), f32([2])],
        [
            OpSpec("VAR_HANDLE", [], [1], _var("scale")),
            OpSpec("READ_VARIABLE", [1], [2]),
            OpSpec("MUL", [0, 2], [3]),
            OpSpec("MUL", [2, 4], [5]),
            OpSpec("ASSIGN_VARIABLE", [1, 5], []),
        ],
        [0],
        [3],
    )
    orelse = SubgraphSpec([f32([2])], [], [0], [0])
    main = [
        boolean(name="flag"),
        f32([2], name="x"),
        f32([1], name="n"),
        f32([1], [2.0]),
        f32([1]),
        f32([1], [0.0]),
        f32([1]),
        f32([1]),
        f32([2], name="y"),
        handle(),
        f32([1], name="total"),
    ]
    ops = [
        OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        OpSpec("MUL", [2, 3], [4]),
        OpSpec("WHILE", [5, 4], [6, 7], _while(2, 3)),
        OpSpec("IF", [0, 1], [8], _if(4, 5)),
        OpSpec("VAR_HANDLE", [], [9], _var("total")),
        OpSpec("READ_VARIABLE", [9], [10]),
    ]
    model = build_model(main, ops, [0, 1, 2], [8, 10], subgraphs=[init, cond, body, then, orelse])
    _check(model, tmp_path, seeds=(0, 1, 2), steps=4)


# ---------------------------------------------------------------------------------------------
# Errors


def _unsupported(model: bytes) -> str:
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "cf.tflite")
    message = str(info.value)
    assert message.startswith("cf.tflite: ") and "\n" not in message
    return message


def _relu_branch(dtype: str = "float32", shape: Sequence[int] = (2,)) -> SubgraphSpec:
    return SubgraphSpec(
        [TensorSpec(list(shape), dtype), TensorSpec(list(shape), dtype)], [OpSpec("RELU", [0], [1])], [0], [1]
    )


def test_recursion_is_rejected() -> None:
    # subgraph 1 runs subgraph 2 which runs subgraph 1
    one = SubgraphSpec([boolean(), f32([2]), f32([2])], [OpSpec("IF", [0, 1], [2], _if(2, 2))], [0, 1], [2])
    two = SubgraphSpec([boolean(), f32([2]), f32([2])], [OpSpec("IF", [0, 1], [2], _if(1, 1))], [0, 1], [2])
    model = build_model(
        [boolean(), f32([2]), f32([2])], [OpSpec("IF", [0, 1], [2], _if(1, 2))], [0, 1], [2], subgraphs=[one, two]
    )
    message = _unsupported(model)
    assert "recursive" in message and "subgraph 1 -> subgraph 2 -> subgraph 1" in message


@pytest.mark.parametrize("dtype", ["int32", "int8", "float32"])
def test_if_condition_must_be_bool(dtype: str) -> None:
    cond = TensorSpec([1], dtype, 0.5 if dtype == "int8" else None, 0 if dtype == "int8" else None)
    model = build_model(
        [cond, f32([2]), f32([2])],
        [OpSpec("IF", [0, 1], [2], _if(1, 2))],
        [0, 1],
        [2],
        subgraphs=[_relu_branch(), _relu_branch()],
    )
    message = _unsupported(model)
    assert "operator 0 (IF) in subgraph 0" in message and "bool tensor of one element" in message and dtype in message


def test_if_shape_change_is_rejected() -> None:
    model = build_model(
        [boolean(), f32([2]), f32([2])],
        [OpSpec("IF", [0, 1], [2], _if(1, 2))],
        [0, 1],
        [2],
        subgraphs=[_relu_branch(), _relu_branch(shape=(1, 2))],
    )
    message = _unsupported(model)
    assert "dynamic shapes" in message and "subgraph 2" in message and "float32[1, 2]" in message


def test_while_shape_change_is_rejected() -> None:
    """A body whose output is larger than its input (TFLite would grow the tensor each time)."""
    cond = SubgraphSpec([f32([2]), boolean()], [OpSpec("LESS", [0, 0], [1])], [0], [1])
    body = SubgraphSpec(
        [f32([2]), TensorSpec([1, 2], "int32", data=np.array([[0, 1]], np.int32)), f32([3])],
        [OpSpec("PAD", [0, 1], [2])],
        [0],
        [2],
    )
    model = build_model(
        [f32([2]), f32([2])], [OpSpec("WHILE", [0], [1], _while(1, 2))], [0], [1], subgraphs=[cond, body]
    )
    message = _unsupported(model)
    assert "WHILE" in message and "dynamic shapes" in message and "float32[3]" in message


def test_while_condition_must_be_bool() -> None:
    cond = SubgraphSpec([f32([2]), f32([2])], [OpSpec("RELU", [0], [1])], [0], [1])
    model = build_model(
        [f32([2]), f32([2])], [OpSpec("WHILE", [0], [1], _while(1, 2))], [0], [1], subgraphs=[cond, _relu_branch()]
    )
    message = _unsupported(model)
    assert "cond subgraph 1" in message and "bool tensor of one element" in message


def test_unsupported_operator_inside_a_subgraph_is_named_with_its_subgraph() -> None:
    assert "LSH_PROJECTION" not in LOWERINGS_BY_OPCODE
    branch = SubgraphSpec([f32([2]), f32([2])], [OpSpec("LSH_PROJECTION", [0], [1])], [0], [1])
    model = build_model(
        [boolean(), f32([2]), f32([2])],
        [OpSpec("IF", [0, 1], [2], _if(1, 2))],
        [0, 1],
        [2],
        subgraphs=[branch, _relu_branch()],
    )
    message = _unsupported(model)
    assert "operator 0 in subgraph 1" in message


def test_deprecated_call_is_rejected() -> None:
    model = build_model([f32([2]), f32([2])], [OpSpec("CALL", [0], [1])], [0], [1], subgraphs=[_relu_branch()])
    with pytest.raises(UnsupportedError, match="CALL, the deprecated operator"):
        read_tflite(model, "cf.tflite")


def test_reader_reads_only_called_subgraphs() -> None:
    then = _relu_branch()
    model = build_model(
        [boolean(), f32([2]), f32([2])],
        [OpSpec("IF", [0, 1], [2], _if(1, 3))],
        [0, 1],
        [2],
        subgraphs=[then, _relu_branch("int8"), _relu_branch()],
    )
    graph = read_tflite(model, "cf.tflite")
    assert sorted(graph.subgraphs) == [1, 3]
    # Indices are global: main tensors 0-2, subgraph 1's 3-4, subgraph 3's 5-6.
    assert graph.subgraph(1).inputs == (3,) and graph.subgraph(3).outputs == (6,)
    ops = graph.all_operators()
    assert [(op.index, op.subgraph, op.local_index) for op in ops] == [(0, 0, 0), (1, 1, 0), (2, 3, 0)]
    assert ops[2].inputs == (5,) and len(graph.tensors) == 7


def _read_model(assign: Optional[TensorSpec], read: TensorSpec) -> bytes:
    """main: VAR_HANDLE v; (ASSIGN v <- input); READ v -> output."""
    main = [f32([2], name="x"), handle(), read]
    ops = [OpSpec("VAR_HANDLE", [], [1], _var("v"))]
    inputs = [0]
    if assign is not None:
        main.append(assign)
        ops.append(OpSpec("ASSIGN_VARIABLE", [1, 3 if assign.data is not None else 0], []))
    ops.append(OpSpec("READ_VARIABLE", [1], [2]))
    return build_model(main, ops, inputs, [2])


def test_variable_read_but_never_assigned() -> None:
    message = _unsupported(_read_model(None, f32([2])))
    assert "READ_VARIABLE" in message and "'v' is read but no ASSIGN_VARIABLE" in message


def test_variable_must_keep_its_shape() -> None:
    message = _unsupported(_read_model(f32([2], [1.0, 2.0]), f32([3])))
    assert "READ_VARIABLE" in message and "float32[3]" in message and "float32[2]" in message and "dynamic" in message
    init = _init([("v", f32([2], [1.0, 2.0]))])
    main = [f32([3], name="x"), handle(), f32([3])]
    ops = [
        OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        OpSpec("VAR_HANDLE", [], [1], _var("v")),
        OpSpec("ASSIGN_VARIABLE", [1, 0], []),
        OpSpec("READ_VARIABLE", [1], [2]),
    ]
    message = _unsupported(build_model(main, ops, [0], [2], subgraphs=[init]))
    # The main subgraph's assignment comes first in model order; the init subgraph's disagrees.
    assert "operator 1 (ASSIGN_VARIABLE) in subgraph 1" in message and "first assigned float32[3]" in message


def test_handles_passed_into_subgraphs(tmp_path: Path) -> None:
    """A handle as a WHILE loop variable (the body reads and assigns through it) and as an IF
    operand (the branch reads through it): resolved at generation time, never copied."""
    init = _init([("acc", f32([2], [0.0, 1.0]))])
    cond = SubgraphSpec([f32([1]), f32([1]), handle(), boolean()], [OpSpec("LESS", [0, 1], [3])], [0, 1, 2], [3])
    body = SubgraphSpec(
        [f32([1]), f32([1]), handle(), f32([1], [1.0]), f32([1]), f32([2]), f32([2], [0.5, -0.25]), f32([2])],
        [
            OpSpec("ADD", [0, 3], [4]),
            OpSpec("READ_VARIABLE", [2], [5]),
            OpSpec("ADD", [5, 6], [7]),
            OpSpec("ASSIGN_VARIABLE", [2, 7], []),
        ],
        [0, 1, 2],
        [4, 1, 2],
    )
    then = SubgraphSpec(
        [handle(), f32([2]), f32([2]), f32([2])],
        [OpSpec("READ_VARIABLE", [0], [2]), OpSpec("MUL", [1, 2], [3])],
        [0, 1],
        [3],
    )
    orelse = SubgraphSpec([handle(), f32([2])], [], [0, 1], [1])
    main = [
        boolean(name="flag"),
        f32([2], name="x"),
        f32([1], name="n"),
        f32([1], [3.0]),
        f32([1]),
        f32([1], [0.0]),
        handle(),
        f32([1]),
        f32([1]),
        handle(),
        f32([2], name="y"),
    ]
    ops = [
        OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        OpSpec("MUL", [2, 3], [4]),
        OpSpec("VAR_HANDLE", [], [6], _var("acc")),
        OpSpec("WHILE", [5, 4, 6], [7, 8, 9], _while(2, 3)),
        OpSpec("IF", [0, 9, 1], [10], _if(4, 5)),
    ]
    model = build_model(main, ops, [0, 1, 2], [10], subgraphs=[init, cond, body, then, orelse])
    _check(model, tmp_path, seeds=(0, 1, 2), steps=3)


def test_handle_of_two_variables_is_rejected() -> None:
    """One branch subgraph reached with the handles of two variables: its READ names neither."""
    branch = SubgraphSpec([handle(), f32([2])], [OpSpec("READ_VARIABLE", [0], [1])], [0], [1])
    main = [boolean(), handle(), handle(), f32([2], [1.0, 2.0]), f32([2]), f32([2]), f32([2])]
    ops = [
        OpSpec("VAR_HANDLE", [], [1], _var("a")),
        OpSpec("VAR_HANDLE", [], [2], _var("b")),
        OpSpec("ASSIGN_VARIABLE", [1, 3], []),
        OpSpec("ASSIGN_VARIABLE", [2, 3], []),
        OpSpec("IF", [0, 1], [4], _if(1, 1)),
        OpSpec("IF", [0, 2], [5], _if(1, 1)),
        OpSpec("ADD", [4, 5], [6]),
    ]
    message = _unsupported(build_model(main, ops, [0], [6], subgraphs=[branch]))
    assert "operator 0 (READ_VARIABLE) in subgraph 1" in message and "does not name one variable" in message


def test_call_once_init_subgraph_without_operands() -> None:
    main = [f32([2]), f32([2])]
    ops = [OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}), OpSpec("RELU", [0], [1])]
    message = _unsupported(build_model(main, ops, [0], [1], subgraphs=[_relu_branch()]))
    assert "operator 0 (CALL_ONCE) in subgraph 0" in message and "init subgraph 1 has 1 inputs and 1 outputs" in message


def test_inspect_lists_subgraph_operators_and_state(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    init = _init([("acc", f32([2], [1.0, 2.0]))])
    main = [f32([2], name="x"), handle(), f32([2]), f32([2], name="y")]
    ops = [
        OpSpec("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        OpSpec("VAR_HANDLE", [], [1], _var("acc")),
        OpSpec("READ_VARIABLE", [1], [2]),
        OpSpec("ADD", [2, 0], [3]),
    ]
    path = tmp_path / "cf.tflite"
    path.write_bytes(build_model(main, ops, [0], [3], subgraphs=[init]))
    assert cli_main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "ASSIGN_VARIABLE (subgraph 1)" in text and "resource variable" in text and "CALL_ONCE flag" in text
    metadata = json.loads(compile_model(path.read_bytes(), "cf.tflite")["metadata.json"])
    states = [b for b in metadata["modules"]["default"]["memory"]["buffers"] if b["pool"] == "state"]
    assert sorted(b["state"] for b in states) == ["call_once_flag", "resource_variable"]
