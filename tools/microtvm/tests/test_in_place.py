"""In-place execution end to end: outputs that share bytes with the inputs they overwrite give
LiteRT's reference results bit for bit (float32 within tolerance), under ASan/UBSan.

Three chains (int8, int16, float32) cover every operator that declares OpLowering.in_place_inputs (ADD, SUB, MUL,
MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH, SOFTMAX, QUANTIZE), with
a broadcast constant operand, an operator reading the same tensor twice, and one whose two
inputs are both intermediates. Each runs twice: with the default planner (outputs land exactly
on their inputs) and with a planner that puts every in-place output `alignment` bytes *below*
its input, the partial overlap the declarations (D = 0) also allow.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pytest

from microtvm import ops
from microtvm.compiler import CompileOptions, compile_graph, read_model
from microtvm.memory import BufferRequest, Placement, PoolSpec, align_up
from microtvm.memory.placement import blocked_offsets
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model

SHAPE = [1, 6, 6, 8]  # 288 bytes in int8


def _int8_chain() -> bytes:
    def t(scale, zp, name, data=None, shape=SHAPE):
        return TensorSpec(shape, "int8", scale=scale, zero_point=zp, data=data, name=name)

    bias = np.array([-100, -3, 0, 5, 17, 60, 127, -128], np.int8)
    tensors = [
        t(0.05, 3, "x"),  # 0: model input
        t(0.04, -2, "bias", data=bias, shape=[8]),  # 1: broadcast constant
        t(0.08, 1, "add"),  # 2
        t(0.05, -128, "relu"),  # 3
        t(0.05, 0, "leaky"),  # 4
        t(0.06, -10, "hswish"),  # 5
        t(0.2, 0, "square"),  # 6: MUL of a tensor by itself
        t(0.25, 4, "sub"),  # 7: SUB of two intermediates (leaky lives until here)
        t(0.25, 4, "max"),  # 8
        t(1.0 / 256, -128, "logistic"),  # 9
        t(1.0 / 128, 0, "tanh"),  # 10
        t(0.01, 5, "requant"),  # 11
        t(1.0 / 256, -128, "softmax"),  # 12: model output
        t(0.25, 4, "floor", data=np.full([1, 1, 1, 8], -3, np.int8), shape=[1, 1, 1, 8]),  # 13
    ]
    none = {"fused_activation_function": "NONE"}
    operators = [
        OpSpec("ADD", [0, 1], [2], none),
        OpSpec("RELU", [2], [3]),
        OpSpec("LEAKY_RELU", [3], [4], {"alpha": 0.3}),
        OpSpec("HARD_SWISH", [4], [5]),
        OpSpec("MUL", [5, 5], [6], none),
        OpSpec("SUB", [6, 4], [7], none),
        OpSpec("MAXIMUM", [7, 13], [8]),
        OpSpec("LOGISTIC", [8], [9]),
        OpSpec("TANH", [9], [10]),
        OpSpec("QUANTIZE", [10], [11]),
        OpSpec("SOFTMAX", [11], [12], {"beta": 1.0}),
    ]
    return build_model(tensors, operators, inputs=[0], outputs=[12])


def _int16_chain() -> bytes:
    """The int16 kernels (16x8 quantization, zero points 0), including both ADD paths and the
    narrowing QUANTIZEs."""

    def t(scale, name, data=None, shape=SHAPE, dtype="int16", zp=0):
        return TensorSpec(shape, dtype, scale=scale, zero_point=zp, data=data, name=name)

    bias = np.array([-30000, -3, 0, 5, 170, 600, 32767, -32768], np.int16)
    tensors = [
        t(0.001, "x"),  # 0: model input
        t(0.0007, "bias", data=bias, shape=[8]),  # 1: broadcast constant
        t(0.0015, "add"),  # 2
        t(0.001, "relu"),  # 3
        t(0.001, "leaky"),  # 4
        t(0.002, "square"),  # 5: MUL of a tensor by itself
        t(0.003, "sub"),  # 6: SUB of two intermediates (leaky lives until here)
        t(0.003, "max"),  # 7
        t(2**-15, "logistic"),  # 8
        t(2**-15, "tanh"),  # 9
        t(2**-15, "pot_add"),  # 10: the power-of-two ADD path
        t(0.0001, "requant"),  # 11
        t(2**-15, "softmax"),  # 12
        t(1.0 / 256, "q8", dtype="int8", zp=-128),  # 13: model output
        t(0.003, "floor", data=np.full([1, 1, 1, 8], -300, np.int16), shape=[1, 1, 1, 8]),  # 14
    ]
    general = {"fused_activation_function": "NONE", "pot_scale_int16": False}
    operators = [
        OpSpec("ADD", [0, 1], [2], general),
        OpSpec("RELU", [2], [3]),
        OpSpec("LEAKY_RELU", [3], [4], {"alpha": 0.3}),
        OpSpec("MUL", [4, 4], [5], {"fused_activation_function": "NONE"}),
        OpSpec("SUB", [5, 4], [6], general),
        OpSpec("MAXIMUM", [6, 14], [7]),
        OpSpec("LOGISTIC", [7], [8]),
        OpSpec("TANH", [8], [9]),
        OpSpec("ADD", [9, 9], [10], {"fused_activation_function": "NONE"}),
        OpSpec("QUANTIZE", [10], [11]),
        OpSpec("SOFTMAX", [11], [12], {"beta": 1.0}),
        OpSpec("QUANTIZE", [12], [13]),
    ]
    return build_model(tensors, operators, inputs=[0], outputs=[13])


def _float_chain() -> bytes:
    shape = [1, 5, 7]

    def t(name, data=None, shape=shape):
        return TensorSpec(shape, "float32", data=data, name=name)

    tensors = [
        t("x"),  # 0
        t("c", data=np.linspace(-1.5, 1.5, 7).astype(np.float32), shape=[7]),  # 1
        t("add"), t("relu6"), t("leaky"), t("hswish"), t("square"), t("min"),  # 2..7
        t("logistic"), t("tanh"), t("softmax"), t("relu"),  # 8..11
        TensorSpec(shape, "int8", scale=0.004, zero_point=-128, name="q"),  # 12: model output
        t("cap", data=np.full([1, 1, 7], 0.75, np.float32), shape=[1, 1, 7]),  # 13
    ]
    operators = [
        OpSpec("ADD", [0, 1], [2], {"fused_activation_function": "NONE"}),
        OpSpec("RELU6", [2], [3]),
        OpSpec("LEAKY_RELU", [3], [4], {"alpha": -0.5}),
        OpSpec("HARD_SWISH", [4], [5]),
        OpSpec("MUL", [5, 5], [6], {"fused_activation_function": "RELU_N1_TO_1"}),
        OpSpec("MINIMUM", [6, 13], [7]),
        OpSpec("LOGISTIC", [7], [8]),
        OpSpec("TANH", [8], [9]),
        OpSpec("SOFTMAX", [9], [10], {"beta": 2.0}),
        OpSpec("RELU", [10], [11]),
        OpSpec("QUANTIZE", [11], [12]),
    ]
    return build_model(tensors, operators, inputs=[0], outputs=[12])


def _shifted_below(requests: Sequence[BufferRequest], pools: Sequence[PoolSpec], alignment: int) -> dict[str, Placement]:
    """An adversarial planner: every buffer allowed to overlap an input goes `alignment` bytes
    below it (partly over it); everything else at the lowest free offset above BASE, so there is
    room below. Buffers are placed in execution order."""
    base = 4096
    placed: dict[str, tuple[BufferRequest, int]] = {}
    for r in sorted(requests, key=lambda r: (r.start, r.key)):
        clashes = [
            span
            for other, offset in placed.values()
            if other.overlaps(r)
            for span in [blocked_offsets(r, other, offset)]
            if span is not None
        ]

        def free(offset: int) -> bool:
            return offset >= 0 and all(not lo <= offset < hi for lo, hi in clashes)

        wanted = [placed[key][1] - alignment for key, _ in r.may_overlap if key in placed]
        chosen = next((o for o in wanted if free(o)), None)
        if chosen is None:
            chosen = base
            while not free(chosen):
                chosen += alignment
        placed[r.key] = (r, chosen)
    return {key: Placement(pools[0].name, offset) for key, (_, offset) in placed.items()}


@pytest.mark.parametrize("make", [_int8_chain, _int16_chain, _float_chain], ids=["int8", "int16", "float32"])
def test_default_plan_runs_in_place_and_matches_litert(make, tmp_path):
    model = make()
    compilation = compile_graph(read_model(model, "chain.tflite"), model, CompileOptions(use_workspace_io=True))
    plan = compilation.plan
    shared = [b for b in plan.buffers if b.in_place_of is not None]
    assert shared, "the chain should run in place"
    assert plan.lower_bound_bytes < plan.peak_live_bytes
    assert plan.workspace_size == align_up(plan.lower_bound_bytes, plan.alignment)
    assert_matches_reference(model, seeds=(0, 1), workdir=tmp_path, use_workspace_io=True)


@pytest.mark.parametrize("make", [_int8_chain, _int16_chain, _float_chain], ids=["int8", "int16", "float32"])
def test_outputs_partly_below_their_inputs_match_litert(make, tmp_path):
    model = make()
    options = CompileOptions(use_workspace_io=True, planner=_shifted_below)
    plan = compile_graph(read_model(model, "chain.tflite"), model, options).plan
    by_key = {b.key: b for b in plan.buffers}
    partial = [b for b in plan.buffers if b.in_place_of and b.offset == by_key[b.in_place_of].offset - plan.alignment]
    assert len(partial) >= 8, [(b.key, b.offset, b.in_place_of) for b in plan.buffers]
    assert_matches_reference(model, seeds=(0, 1), workdir=tmp_path, use_workspace_io=True, planner=_shifted_below)


def test_every_lowering_that_declares_in_place_is_covered():
    """A new declaration needs a place in the chains above (run in C against LiteRT)."""
    chains = (_int8_chain, _int16_chain, _float_chain, lambda: _pool_chain("int8"))
    covered = {spec.opcode for make in chains for spec in _ops_of(make)}
    declared = {
        opcode for opcode, lowering in ops.LOWERINGS_BY_OPCODE.items() if lowering.in_place_inputs is not _default()
    }
    assert declared and declared <= covered, sorted(declared - covered)
    assert "CONV_2D" not in declared and "DEPTHWISE_CONV_2D" not in declared and "FULLY_CONNECTED" not in declared


def _ops_of(make) -> list[OpSpec]:
    graph = read_model(make(), "chain.tflite")
    return [OpSpec(op.opcode, op.inputs, op.outputs) for op in graph.operators]


def _default():
    from microtvm.ops.base import OpLowering

    return OpLowering.__dataclass_fields__["in_place_inputs"].default


def test_a_false_declaration_is_caught(tmp_path, monkeypatch):
    """Negative control: FULLY_CONNECTED reads its whole input row for every output, so declaring
    it in place must produce wrong results, which the comparison with LiteRT reports."""
    rng = np.random.default_rng(7)
    tensors = [
        TensorSpec([1, 32], "int8", scale=0.05, zero_point=0, name="x"),
        TensorSpec([32, 32], "int8", scale=0.02, zero_point=0, data=rng.integers(-127, 128, (32, 32)).astype(np.int8), name="w"),
        TensorSpec([1, 32], "int8", scale=0.1, zero_point=0, name="y"),
        TensorSpec([1, 32], "int8", scale=0.1, zero_point=0, name="z"),
    ]
    fc = {"fused_activation_function": "NONE"}
    model = build_model(tensors, [OpSpec("FULLY_CONNECTED", [0, 1, -1], [2], fc), OpSpec("FULLY_CONNECTED", [2, 1, -1], [3], fc)], [0], [3])
    original = ops.LOWERINGS_BY_OPCODE["FULLY_CONNECTED"]
    lying = dataclasses.replace(original, in_place_inputs=lambda op, graph: {0: 0})
    monkeypatch.setitem(ops.LOWERINGS_BY_OPCODE, "FULLY_CONNECTED", lying)
    plan = compile_graph(read_model(model, "fc.tflite"), model, CompileOptions(use_workspace_io=True)).plan
    assert any(b.in_place_of for b in plan.buffers)
    with pytest.raises(AssertionError):
        assert_matches_reference(model, seeds=(0,), workdir=tmp_path, use_workspace_io=True)


# ----------------------------------------------------------------------------------------------
# Pools: the output may overlap the input from below, by ops/overlap.py's D.


def _simulated_delta(in_shape, out_shape, filter_hw, stride_hw, pad_hw, dilation_hw, multiplier, in_size, out_size):
    """D from a step-by-step replay of the loop order overlap.py assumes: every read and write."""
    batches, in_h, in_w, channels = in_shape
    _, out_h, out_w, out_c = out_shape
    events = []  # ("r", input element) / ("w", output element)
    for b in range(batches):
        for oy in range(out_h):
            for ox in range(out_w):
                for c in range(out_c):
                    chans = range(channels) if multiplier is None else [c // multiplier]
                    for i in range(filter_hw[0]):
                        y = oy * stride_hw[0] - pad_hw[0] + i * dilation_hw[0]
                        for j in range(filter_hw[1]):
                            x = ox * stride_hw[1] - pad_hw[1] + j * dilation_hw[1]
                            if 0 <= y < in_h and 0 <= x < in_w:
                                events += [("r", ((b * in_h + y) * in_w + x) * channels + k) for k in chans]
                    events.append(("w", ((b * out_h + oy) * out_w + ox) * out_c + c))
    delta, lowest_later_read = 0, None
    for kind, index in reversed(events):
        if kind == "r":
            lowest_later_read = index if lowest_later_read is None else min(lowest_later_read, index)
        elif lowest_later_read is not None:
            delta = min(delta, lowest_later_read * in_size - (index + 1) * out_size)
    return delta


@pytest.mark.parametrize("seed", range(12))
def test_window_delta_matches_a_replay_of_the_loops(seed):
    from microtvm.ops.overlap import raster_window_delta

    rng = np.random.default_rng(seed)
    kh, kw = (int(v) for v in rng.integers(1, 4, 2))
    sh, sw = (int(v) for v in rng.integers(1, 3, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2)) if seed % 3 == 0 else (1, 1)
    ph, pw = (int(v) for v in rng.integers(0, 3, 2))
    in_shape = (int(rng.integers(1, 3)), int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(1, 4)))
    multiplier = [None, 1, 2][seed % 3]
    out_c = in_shape[3] * (multiplier or 2)
    out_h = max(1, (in_shape[1] + 2 * ph - (kh - 1) * dh - 1) // sh + 1)
    out_w = max(1, (in_shape[2] + 2 * pw - (kw - 1) * dw - 1) // sw + 1)
    out_shape = (in_shape[0], out_h, out_w, out_c)
    sizes = [(1, 1), (4, 4), (4, 1), (1, 4)][seed % 4]
    args = (in_shape, out_shape, (kh, kw), (sh, sw), (ph, pw), (dh, dw), multiplier, *sizes)
    assert raster_window_delta(*args[:6], multiplier=multiplier, in_itemsize=sizes[0], out_itemsize=sizes[1]) == _simulated_delta(*args)


def _pool_chain(dtype: str) -> bytes:
    """x -> AVERAGE_POOL 3x3 s1 SAME -> MAX_POOL 2x2 s2 VALID -> AVERAGE_POOL 2x2 s1 SAME -> out."""
    q = {"int8": {"scale": 0.07, "zero_point": -5}, "int16": {"scale": 0.0007, "zero_point": 0}}.get(dtype, {})
    tensors = [TensorSpec(shape, dtype, name=f"t{i}", **q) for i, shape in enumerate(([1, 8, 6, 4], [1, 8, 6, 4], [1, 4, 3, 4], [1, 4, 3, 4]))]
    def pool(opcode, fh, s, padding, i):
        options = {"filter_height": fh, "filter_width": fh, "stride_h": s, "stride_w": s, "padding": padding, "fused_activation_function": "NONE"}
        return OpSpec(opcode, [i], [i + 1], options)
    operators = [pool("AVERAGE_POOL_2D", 3, 1, "SAME", 0), pool("MAX_POOL_2D", 2, 2, "VALID", 1), pool("AVERAGE_POOL_2D", 2, 1, "SAME", 2)]
    return build_model(tensors, operators, inputs=[0], outputs=[3])


def _snug_backwards(requests, pools, alignment):
    """Outputs first, then each input as far down over its output as its allowance permits."""
    from microtvm.memory import place_in_order

    return place_in_order(sorted(requests, key=lambda r: (-r.end, -r.start, r.key)), pools, alignment, "snug")


@pytest.mark.parametrize("dtype, alignment", [("int8", 1), ("int16", 2), ("float32", 4)])
def test_pools_overlapping_their_input_at_the_limit_match_litert(dtype, alignment, tmp_path):
    model = _pool_chain(dtype)
    options = dict(use_workspace_io=True, planner=_snug_backwards, alignment=alignment)
    plan = compile_graph(read_model(model, "pools.tflite"), model, CompileOptions(**options)).plan
    by_key = {b.key: b for b in plan.buffers}
    shared = [b for b in plan.buffers if b.in_place_of]
    assert len(shared) == 3, plan.buffers
    # The 3x3 SAME pool keeps a lead: its output starts before its input, by D rounded to the alignment.
    first = by_key["t1"]
    assert first.in_place_of == "t0" and 0 < by_key["t0"].offset - first.offset < first.size
    assert_matches_reference(model, seeds=(0, 1), workdir=tmp_path, **options)
