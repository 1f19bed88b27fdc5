"""ADD, SUB, MUL, MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU, HARD_SWISH: our generated C against
LiteRT's reference kernels (BUILTIN_REF), int8 byte for byte and float32 within 1e-5 / 1e-6.

The int8 unary operators compile to a 256-entry table computed in Python, so their tables are
checked against LiteRT for every input byte over a grid of quantization parameters without any
C build; a few compiled models then check the table is used correctly. The binary grid covers
equal shapes, every kind of broadcast (scalar, row, channel, both operands broadcast, ranks 5
and 6), constant operands on either side, the same tensor on both inputs, every fused
activation, awkward scales and zero points, and the float32 versions. A small driver also runs
the kernels with the output in place over an input, as the memory planner may arrange.
"""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from microtvm.codegen.arrays import array_body, c_type
from microtvm.codegen.params import declaration
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.ops import elementwise
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"
ALL_INT8 = np.arange(-128, 128, dtype=np.int8)

# ---------------------------------------------------------------------------------------------
# Helpers


def _spec(shape, dtype: str, q: Optional[tuple[float, int]] = None, data=None) -> TensorSpec:
    if dtype == "int8":
        assert q is not None
        return TensorSpec(list(shape), dtype, scale=q[0], zero_point=q[1], data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _constant(shape, dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "int8":
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    return rng.standard_normal(shape).astype(np.float32)


def _binary_model(opcode, shape1, shape2, dtype, q1=None, q2=None, qo=None, activation=None, const=None) -> bytes:
    """One binary operator; `const` is None, 1 or 2: which input is a constant tensor."""
    out_shape = np.broadcast_shapes(tuple(shape1), tuple(shape2))
    inputs = [
        _spec(shape1, dtype, q1, _constant(shape1, dtype, 11) if const == 1 else None),
        _spec(shape2, dtype, q2, _constant(shape2, dtype, 12) if const == 2 else None),
    ]
    options = {"fused_activation_function": activation} if activation else {}
    return single_op_model(opcode, inputs, [_spec(out_shape, dtype, qo)], options)


def _unary_model(opcode, shape, dtype, q_in=None, q_out=None, alpha=None) -> bytes:
    options = {"alpha": alpha} if alpha is not None else {}
    return single_op_model(opcode, [_spec(shape, dtype, q_in)], [_spec(shape, dtype, q_out)], options)


def _graph_op(model: bytes):
    graph = read_tflite(model, "test.tflite")
    (op,) = graph.operators
    return graph, op


def _assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------------------------------------
# int8 unary operators: the generated tables against LiteRT for all 256 inputs (no C build)

# (input scale, input zero point, output scale, output zero point): equal parameters, finer and
# coarser outputs, extreme zero points, tiny and large scales, then seeded random ones.
_LUT_QUANT = [
    (0.05, 3, 0.05, 3),
    (0.1, -128, 0.02, 5),
    (0.02, 5, 0.1, 127),
    (1.7, 0, 0.003, -100),
    (0.0001, 100, 0.5, -100),
    (3.0, 10, 0.01, -3),
    (0.0235, -7, 0.0471, -128),
    (0.5, 127, 0.5, -128),
]
_rng = np.random.default_rng(2024)
_LUT_QUANT += [
    (float(10 ** _rng.uniform(-4, 0.5)), int(_rng.integers(-128, 128)), float(10 ** _rng.uniform(-4, 0.5)), int(_rng.integers(-128, 128)))
    for _ in range(10)
]
_LUT_OPS = [
    ("RELU", None),
    ("RELU6", None),
    ("HARD_SWISH", None),
    ("LEAKY_RELU", 0.2),
    ("LEAKY_RELU", 0.01),
    ("LEAKY_RELU", 0.0),
    ("LEAKY_RELU", 1.5),
    ("LEAKY_RELU", -0.3),
]


@pytest.mark.parametrize("opcode,alpha", _LUT_OPS)
def test_int8_unary_table_matches_litert_on_every_input(opcode, alpha):
    checked = 0
    for s_in, z_in, s_out, z_out in _LUT_QUANT:
        model = _unary_model(opcode, [256], "int8", (s_in, z_in), (s_out, z_out), alpha)
        graph, op = _graph_op(model)
        if opcode == "HARD_SWISH" and elementwise.hard_swish_constants(*[graph.tensor(i) for i in (*op.inputs, *op.outputs)])[1] > 0:
            # LiteRT refuses these (output multiplier exponent > 0); so do we.
            with pytest.raises(UnsupportedError, match="HARD_SWISH"):
                LOWERINGS_BY_OPCODE[opcode].check(op, graph)
            continue
        LOWERINGS_BY_OPCODE[opcode].check(op, graph)
        expected = run_reference(model, [ALL_INT8])[0]
        table = elementwise.unary_table(op, graph)
        np.testing.assert_array_equal(table, expected, err_msg=f"{opcode} {s_in} {z_in} {s_out} {z_out}")
        checked += 1
    assert checked >= len(_LUT_QUANT) // 2


# ---------------------------------------------------------------------------------------------
# Unary operators, compiled

UNARY_CASES = [
    # (opcode, dtype, shape, input q, output q, alpha)
    ("RELU", "int8", (1, 5, 7, 3), (0.07, -10), (0.03, 20), None),
    ("RELU", "int8", (2, 33), (0.05, 4), (0.05, 4), None),  # equal quantization
    ("RELU6", "int8", (1, 5, 7, 3), (0.07, -10), (0.03, -128), None),
    ("LEAKY_RELU", "int8", (4, 9), (0.07, -10), (0.03, 20), 0.1),
    ("HARD_SWISH", "int8", (1, 6, 6, 4), (0.05, 3), (0.02, -2), None),
    ("RELU", "float32", (1, 5, 7, 3), None, None, None),
    ("RELU6", "float32", (2, 33), None, None, None),
    ("LEAKY_RELU", "float32", (4, 9), None, None, -1.5),
    ("HARD_SWISH", "float32", (1, 6, 6, 4), None, None, None),
]


@pytest.mark.parametrize("opcode,dtype,shape,q_in,q_out,alpha", UNARY_CASES)
def test_unary_compiled(opcode, dtype, shape, q_in, q_out, alpha, tmp_path):
    model = _unary_model(opcode, shape, dtype, q_in, q_out, alpha)
    host = build(model, tmp_path)
    if dtype == "int8":
        inputs = [np.resize(ALL_INT8, shape)]  # every byte at least once
    else:
        # Around the kinks (0, -3, 3, 6), plus infinities and NaN.
        special = np.array([0.0, -0.0, -3.0, 3.0, 6.0, 2.999, -3.001, 1e30, -1e30, np.inf, -np.inf, np.nan], np.float32)
        inputs = [np.resize(np.concatenate([special, np.linspace(-8, 8, 50, dtype=np.float32)]), shape)]
    _assert_same(host.run(inputs)[0], run_reference(model, inputs)[0])
    for seed in (0, 1):
        random = random_inputs(model, seed)
        _assert_same(host.run(random)[0], run_reference(model, random)[0])


# ---------------------------------------------------------------------------------------------
# Binary operators, compiled

QA, QB, QO = (0.05, 3), (0.1, -5), (0.12, -2)

BINARY_CASES = [
    # (opcode, dtype, shape1, shape2, q1, q2, q_out, activation, constant input)
    # int8 ADD: equal shapes, every broadcast pattern, every activation, constant operands.
    ("ADD", "int8", (1, 8, 8, 3), (1, 8, 8, 3), QA, QB, QO, "NONE", None),
    ("ADD", "int8", (1, 4, 4, 3), (3,), QA, QB, QO, "RELU", 2),  # channel, constant
    ("ADD", "int8", (1, 4, 5, 3), (5, 3), QA, QB, QO, "RELU6", None),  # row
    ("ADD", "int8", (), (2, 3, 4), QA, QB, QO, "RELU_N1_TO_1", 1),  # constant scalar first
    ("ADD", "int8", (2, 1, 4, 1), (1, 3, 1, 5), QA, QB, QO, "NONE", None),  # both broadcast
    ("ADD", "int8", (2, 1, 3, 1, 2), (1, 4, 1, 5, 2), (0.0013, -128), (0.9, 127), (0.7, 0), "NONE", None),  # rank 5
    ("ADD", "int8", (1, 2, 1, 3, 1, 2), (2, 1, 4, 3, 5, 1), QB, QA, QO, "RELU", None),  # rank 6
    ("ADD", "int8", (1, 4), (4,), (1e-6, -128), (0.5, 127), (0.5, 0), "NONE", None),  # tiny scale, same layout
    # int8 SUB
    ("SUB", "int8", (2, 3, 4, 5), (2, 3, 4, 5), QA, QB, QO, "RELU", None),
    ("SUB", "int8", (5,), (2, 3, 4, 5), QB, QA, QO, "NONE", None),  # first operand broadcast
    ("SUB", "int8", (2, 3, 1, 5), (2, 1, 4, 5), (0.5, 127), (1e-6, -128), (0.004, -128), "RELU6", 2),
    # int8 MUL
    ("MUL", "int8", (1, 8, 8, 3), (1, 8, 8, 3), QA, QB, QO, "NONE", None),
    ("MUL", "int8", (1, 4, 4, 3), (1, 1, 1, 3), QA, QB, (0.002, 7), "RELU6", 2),
    ("MUL", "int8", (2, 1, 4, 1), (1, 3, 1, 5), QA, QB, QO, "RELU", None),
    ("MUL", "int8", (3, 7), (1,), (2.0, 5), (3.0, -7), (0.0001, 0), "NONE", None),  # multiplier > 1
    # int8 MAXIMUM / MINIMUM: stored values compared, quantization ignored (as LiteRT does)
    ("MAXIMUM", "int8", (2, 3, 4), (2, 3, 4), QA, QA, QA, None, None),
    ("MAXIMUM", "int8", (2, 3, 4), (4,), QA, QB, QO, None, 2),
    ("MINIMUM", "int8", (2, 1, 4), (3, 1), QA, QA, QA, None, None),
    ("MINIMUM", "int8", (), (2, 3), QA, QA, QA, None, 1),
    # float32
    ("ADD", "float32", (1, 8, 8, 3), (1, 8, 8, 3), None, None, None, "RELU6", None),
    ("ADD", "float32", (2, 1, 4, 1), (1, 3, 1, 5), None, None, None, "NONE", 1),
    ("SUB", "float32", (2, 3, 4, 5), (2, 3, 4, 5), None, None, None, "RELU", None),
    ("SUB", "float32", (5,), (2, 3, 4, 5), None, None, None, "RELU_N1_TO_1", None),
    ("MUL", "float32", (1, 4, 4, 3), (3,), None, None, None, "NONE", 2),
    ("MUL", "float32", (2, 1, 3, 1, 2), (1, 4, 1, 5, 2), None, None, None, "RELU", None),
    ("MAXIMUM", "float32", (2, 3, 4), (2, 3, 4), None, None, None, None, None),
    ("MINIMUM", "float32", (2, 1, 4), (3, 1), None, None, None, None, 2),
]


@pytest.mark.parametrize("opcode,dtype,shape1,shape2,q1,q2,qo,activation,const", BINARY_CASES)
def test_binary_compiled(opcode, dtype, shape1, shape2, q1, q2, qo, activation, const, tmp_path):
    model = _binary_model(opcode, shape1, shape2, dtype, q1, q2, qo, activation, const)
    assert_matches_reference(model, seeds=(0, 1), workdir=tmp_path)


@pytest.mark.parametrize("opcode", ["ADD", "SUB", "MUL", "MAXIMUM"])
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_same_tensor_on_both_inputs(opcode, dtype, tmp_path):
    q = {"scale": 0.07, "zero_point": -10} if dtype == "int8" else {}
    qo = {"scale": 0.1, "zero_point": 3} if dtype == "int8" else {}
    model = build_model(
        [TensorSpec([2, 3, 4], dtype, **q), TensorSpec([2, 3, 4], dtype, **qo)],
        [OpSpec(opcode, [0, 0], [1], {})],
        inputs=[0],
        outputs=[1],
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


def test_float_add_saturates_like_litert(tmp_path):
    """With no activation TFLite still clamps to the finite float range: inf + 1 -> FLT_MAX."""
    model = _binary_model("ADD", (4,), (4,), "float32")
    inputs = [np.array([3e38, -3e38, np.inf, 1.0], np.float32), np.array([3e38, -3e38, 1.0, np.nan], np.float32)]
    _assert_same(build(model, tmp_path).run(inputs)[0], run_reference(model, inputs)[0])


def test_float_maximum_minimum_ties_and_nan(tmp_path):
    for opcode in ("MAXIMUM", "MINIMUM"):
        model = _binary_model(opcode, (4,), (4,), "float32")
        inputs = [np.array([np.nan, 1.0, np.nan, 0.0], np.float32), np.array([1.0, np.nan, np.nan, -0.0], np.float32)]
        ours = build(model, tmp_path / opcode).run(inputs)[0]
        theirs = run_reference(model, inputs)[0]
        _assert_same(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


# ---------------------------------------------------------------------------------------------
# In place: the output sharing storage with an input


class _InPlaceContext:
    """A LowerContext where the output uses the storage of the first non-constant input."""

    def __init__(self, graph, op):
        self.graph = graph
        self.prefix = "op0"
        self.constants: list[tuple[str, np.ndarray]] = []
        self.storage = {op.outputs[0]: op.inputs[0]}
        self.decls: list[str] = []  # parameter structs, as the code generator declares them

    def buf(self, tensor_index: int) -> str:
        tensor = self.graph.tensor(tensor_index)
        if tensor.is_constant:
            return self.const(f"t{tensor_index}", tensor.data)
        return f"(({c_type(tensor.dtype)}*)t{self.storage.get(tensor_index, tensor_index)})"

    def const(self, hint: str, array: np.ndarray) -> str:
        name = f"c_{hint}"
        self.constants.append((name, np.asarray(array)))
        return name

    def scratch(self) -> str:
        raise AssertionError("elementwise kernels need no scratch")

    def params(self, c_type: str, fields: dict, name: str = "params") -> str:
        identifier = f"{self.prefix}_{name}"
        self.decls.append(declaration(c_type, identifier, fields))
        return identifier


def _run_in_place(model: bytes, inputs: list[np.ndarray], workdir: Path) -> np.ndarray:
    graph, op = _graph_op(model)
    lowering = LOWERINGS_BY_OPCODE[op.opcode]
    lowering.check(op, graph)
    ctx = _InPlaceContext(graph, op)
    emitted = lowering.emit(op, ctx)
    first = op.inputs[0]
    headers = dict.fromkeys(lowering.headers + emitted.headers)  # the runtime files the call needs
    sources = dict.fromkeys(lowering.sources_of(op, graph) + emitted.sources)
    lines = ["#include <stdio.h>", "#include <stdint.h>", "#include <math.h>", *(f'#include "{h}"' for h in headers)]
    for i in graph.inputs:
        lines.append(f"static uint8_t t{i}[{graph.tensor(i).nbytes}];")
    for name, array in ctx.constants:
        lines.append(f"static const {c_type(str(array.dtype))} {name}[{max(array.size, 1)}] = {{\n{array_body(array)}\n}};")
    lines += [emitted.decls, *ctx.decls, "int main(int argc, char **argv) {", "  FILE *f;", "  (void)argc;"]
    for k, i in enumerate(graph.inputs):
        lines += [f'  f = fopen(argv[{k + 1}], "rb");', f"  if (fread(t{i}, 1, sizeof t{i}, f) != sizeof t{i}) return 1;", "  fclose(f);"]
    lines += [f"  {emitted.call}", f'  f = fopen(argv[{len(graph.inputs) + 1}], "wb");']
    lines += [f"  fwrite(t{first}, 1, sizeof t{first}, f);", "  fclose(f);", "  return 0;", "}"]
    (workdir / "main.c").write_text("\n".join(lines) + "\n")
    cc = shlex.split(os.environ.get("CC") or "gcc")
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    executable = workdir / "in_place"
    subprocess.run(
        [*cc, *flags, f"-I{RUNTIME / 'include'}", str(workdir / "main.c"), *(str(RUNTIME / "src" / s) for s in sources),
         "-o", str(executable), "-lm"],
        check=True,
    )
    paths = []
    for k, array in enumerate(inputs):
        paths.append(workdir / f"in{k}.bin")
        paths[-1].write_bytes(np.ascontiguousarray(array).tobytes())
    subprocess.run([str(executable), *map(str, paths), str(workdir / "out.bin")], check=True)
    output = graph.tensor(op.outputs[0])
    return np.frombuffer((workdir / "out.bin").read_bytes(), dtype=output.dtype).reshape(output.shape)


IN_PLACE_CASES = [
    ("int8 ADD broadcast", lambda: _binary_model("ADD", (2, 3, 4), (4,), "int8", QA, QB, QA, "NONE")),
    ("int8 SUB broadcast both", lambda: _binary_model("SUB", (2, 3, 4), (2, 1, 4), "int8", QA, QB, QO, "RELU")),
    ("float MUL constant", lambda: _binary_model("MUL", (3, 5), (5,), "float32", const=2)),
    ("int8 HARD_SWISH", lambda: _unary_model("HARD_SWISH", (4, 8), "int8", (0.05, 3), (0.02, -2))),
    ("float LEAKY_RELU", lambda: _unary_model("LEAKY_RELU", (4, 8), "float32", alpha=0.3)),
]


@pytest.mark.parametrize("name,make", IN_PLACE_CASES, ids=[c[0] for c in IN_PLACE_CASES])
def test_output_in_place_over_input(name, make, tmp_path):
    model = make()
    inputs = random_inputs(model, 7)
    _assert_same(_run_in_place(model, inputs, tmp_path), run_reference(model, inputs)[0])


# ---------------------------------------------------------------------------------------------
# Generation-time pieces


def test_broadcast_plan_merges_dimensions():
    # Channel broadcast: everything but the last dimension merges.
    assert elementwise.broadcast_plan((1, 4, 5, 3), (3,), (1, 4, 5, 3)) == ([20, 3], [3, 1], [0, 1])
    # Both operands broadcast along different dimensions.
    assert elementwise.broadcast_plan((2, 1, 4, 1), (1, 3, 1, 5), (2, 3, 4, 5)) == (
        [2, 3, 4, 5],
        [4, 0, 1, 0],
        [0, 5, 0, 1],
    )
    # Same layout after dropping unit dimensions: no broadcast needed.
    assert elementwise.broadcast_plan((1, 4), (4,), (1, 4)) == ([], [], [])
    # Scalar.
    assert elementwise.broadcast_plan((), (2, 3), (2, 3)) == ([6], [0], [1])


def test_macs_are_output_elements():
    graph, op = _graph_op(_binary_model("MUL", (2, 3, 4), (4,), "int8", QA, QB, QO))
    assert LOWERINGS_BY_OPCODE["MUL"].macs(op, graph) == 24


# ---------------------------------------------------------------------------------------------
# Unsupported cases: a clear UnsupportedError naming what is supported


def _check(model: bytes) -> None:
    graph, op = _graph_op(model)
    LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)


@pytest.mark.parametrize("dtype", ["uint8"])
def test_rejects_other_integer_types(dtype):
    spec = TensorSpec([2, 3], dtype, scale=0.1, zero_point=0)
    with pytest.raises(UnsupportedError, match="int8.*float32"):
        _check(single_op_model("ADD", [spec, spec], [spec]))
    with pytest.raises(UnsupportedError, match="int8.*float32"):
        _check(single_op_model("RELU", [spec], [spec]))


def test_rejects_hybrid():
    weights = TensorSpec([3], "int8", scale=0.1, zero_point=0, data=np.array([1, 2, 3], np.int8))
    model = single_op_model("MUL", [TensorSpec([2, 3], "float32"), weights], [TensorSpec([2, 3], "float32")])
    with pytest.raises(UnsupportedError, match="hybrid"):
        _check(model)


def test_rejects_per_channel_quantization():
    per_channel = TensorSpec([2, 3], "int8", scale=[0.1, 0.2, 0.3], zero_point=[0, 0, 0], quantized_dimension=1)
    plain = TensorSpec([2, 3], "int8", scale=0.1, zero_point=0)
    with pytest.raises(UnsupportedError, match="per-tensor"):
        _check(single_op_model("ADD", [per_channel, plain], [plain]))


_TANH_SIGN_BIT_CASES = {  # dtype: (operators, quantization)
    "float32": (("ADD", "SUB", "MUL", "DIV"), None),
    "int8": (("ADD", "SUB", "MUL", "DIV"), (0.05, 2)),
    "int16": (("ADD", "SUB", "MUL", "DIV"), (0.002, 0)),
    "int32": (("ADD", "SUB", "MUL", "DIV"), None),
    "int64": (("ADD", "SUB", "MUL"), None),
}


@pytest.mark.parametrize("dtype", list(_TANH_SIGN_BIT_CASES))
def test_tanh_and_sign_bit_fused_activations_compute_as_litert(dtype, tmp_path):
    """LiteRT accepts TANH and SIGN_BIT fused into ADD, SUB, MUL and DIV and clamps to the full
    range (no tanh, no sign): so do we, checked against it (divisors kept away from zero)."""
    opcodes, q = _TANH_SIGN_BIT_CASES[dtype]
    tensors, ops, inputs, outputs = [], [], [], []
    def spec(shape) -> TensorSpec:
        return TensorSpec(list(shape), dtype, q[0], q[1]) if q else _spec(shape, dtype)

    for opcode in opcodes:
        for activation in ("TANH", "SIGN_BIT"):
            tensors += [spec((2, 3, 4)), spec((3, 1)), spec((2, 3, 4))]
            inputs += [len(tensors) - 3, len(tensors) - 2]
            outputs.append(len(tensors) - 1)
            ops.append(OpSpec(opcode, inputs[-2:], [outputs[-1]], {"fused_activation_function": activation}))
    model = build_model(tensors, ops, inputs, outputs)
    host = build(model, tmp_path)
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        arrays = []
        for i in inputs:
            shape = tuple(tensors[i].shape)
            if dtype == "float32":
                a = (rng.standard_normal(shape) * 4).astype(np.float32)
            else:
                info = np.iinfo(dtype)
                a = rng.integers(max(int(info.min), -1000), min(int(info.max), 1000) + 1, shape).astype(dtype)
            a[a == (q[1] if q else 0)] = 3  # divisors away from (the real) zero
            arrays.append(a)
        for ours, theirs in zip(host.run(arrays), run_reference(model, arrays)):
            _assert_same(ours, theirs)


def test_rejects_output_scale_too_small_for_add():
    with pytest.raises(UnsupportedError, match="output scale"):
        _check(_binary_model("ADD", (4,), (4,), "int8", (1.0, 0), (1.0, 0), (1e-7, 0)))
