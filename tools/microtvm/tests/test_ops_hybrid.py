"""Hybrid (dynamic-range quantized) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: float32
activations with int8 constant weights, against LiteRT's reference kernels (BUILTIN_REF).

Tolerance: float outputs within 1e-6 relative / 1e-6 absolute of LiteRT. Our kernels repeat
LiteRT's on-the-fly quantization and float operations in order and precision, so in practice the
outputs are the same floats; test_edge_inputs_are_bit_exact asserts equality on the inputs where
a different rounding would show (exact .5 ties, all-zero rows and images, one non-zero value,
values around 0.5 / 127, wide ranges).

Grids (several operators per compiled model, 3 seeds each): FULLY_CONNECTED per-tensor and
per-channel weights x asymmetric_quantize_inputs off and on x the four activations, inputs of
rank 2-4 with keep_num_dims, no bias, depths that are and are not multiples of 8 (LiteRT
rounds whole groups of 8 differently from the rest); CONV_2D per-tensor (symmetric inputs) and
per-channel (asymmetric inputs) weights, per-channel scales that are all equal (LiteRT's
per-tensor path), SAME/VALID, strides, dilations, grouped, batches; DEPTHWISE_CONV_2D with
depth multipliers 1-3. Error paths: what LiteRT cannot compute or would compute with another
meaning than the model's says so.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest
from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.passes.validate import validate
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

RTOL = 1e-6
ATOL = 1e-6
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


# ---- model builders ------------------------------------------------------------------------------


def _weights(rng: np.random.Generator, shape: Sequence[int], channels: int, axis: int,
             per_channel: bool, equal: bool = False) -> TensorSpec:
    data = rng.integers(-127, 128, size=tuple(shape)).astype(np.int8)
    if per_channel:
        scales = [0.01] * channels if equal else [float(s) for s in rng.uniform(0.002, 0.05, channels)]
        return TensorSpec(list(shape), "int8", scales, [0] * channels, axis, data=data)
    return TensorSpec(list(shape), "int8", float(rng.uniform(0.002, 0.05)), 0, axis, data=data)


def _bias(rng: np.random.Generator, n: int) -> TensorSpec:
    return TensorSpec([n], "float32", data=rng.standard_normal(n).astype(np.float32))


def _multi_op_model(ops: Sequence[tuple[str, Sequence[Optional[TensorSpec]], TensorSpec, dict]]) -> bytes:
    """Several independent operators in one model (one build for all): each (opcode, inputs,
    output, options); inputs without data become graph inputs, None an absent bias."""
    tensors: list[TensorSpec] = []
    specs, graph_inputs, graph_outputs = [], [], []
    for k, (opcode, inputs, output, options) in enumerate(ops):
        inputs = list(inputs)
        while inputs and inputs[-1] is None:  # LiteRT's convolutions read two inputs as "no bias"
            inputs.pop()
        indices = []
        for j, spec in enumerate(inputs):
            if spec is None:
                indices.append(-1)
                continue
            if spec.data is None:
                graph_inputs.append(len(tensors))
            spec.name = spec.name or f"op{k}_in{j}"
            indices.append(len(tensors))
            tensors.append(spec)
        output.name = output.name or f"op{k}_out"
        graph_outputs.append(len(tensors))
        specs.append(OpSpec(opcode, indices, [len(tensors)], options))
        tensors.append(output)
    return build_model(tensors, specs, graph_inputs, graph_outputs)


def _fc(rng, batch_shape: Sequence[int], depth: int, units: int, per_channel: bool, asym: bool,
        activation: str = "NONE", bias: bool = True, keep_num_dims: bool = False):
    x = TensorSpec([*batch_shape, depth], "float32")
    w = _weights(rng, [units, depth], units, 0, per_channel)
    rows = int(np.prod(batch_shape))
    out_shape = [*batch_shape, units] if keep_num_dims else [rows, units]
    options = {"asymmetric_quantize_inputs": asym, "fused_activation_function": activation,
               "keep_num_dims": keep_num_dims}
    return ("FULLY_CONNECTED", [x, w, _bias(rng, units) if bias else None], TensorSpec(out_shape, "float32"), options)


def _out_size(padding: str, size: int, filt: int, stride: int, dilation: int) -> int:
    effective = (filt - 1) * dilation + 1
    return -(-size // stride) if padding == "SAME" else (size - effective) // stride + 1


def _conv(rng, in_shape: Sequence[int], out_c: int, kernel: tuple[int, int], per_channel: bool,
          padding: str = "SAME", stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
          groups: int = 1, activation: str = "NONE", equal: bool = False, bias: bool = True):
    b, h, w, c = in_shape
    weights = _weights(rng, [out_c, *kernel, c // groups], out_c, 0, per_channel, equal)
    oh = _out_size(padding, h, kernel[0], stride[0], dilation[0])
    ow = _out_size(padding, w, kernel[1], stride[1], dilation[1])
    options = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1], "dilation_h_factor": dilation[0],
               "dilation_w_factor": dilation[1], "fused_activation_function": activation}
    inputs = [TensorSpec(list(in_shape), "float32"), weights, _bias(rng, out_c) if bias else None]
    return ("CONV_2D", inputs, TensorSpec([b, oh, ow, out_c], "float32"), options)


def _dw(rng, in_shape: Sequence[int], multiplier: int, kernel: tuple[int, int], padding: str = "SAME",
        stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1), activation: str = "NONE",
        bias: bool = True):
    b, h, w, c = in_shape
    out_c = c * multiplier
    weights = _weights(rng, [1, *kernel, out_c], out_c, 3, per_channel=True)
    oh = _out_size(padding, h, kernel[0], stride[0], dilation[0])
    ow = _out_size(padding, w, kernel[1], stride[1], dilation[1])
    options = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1], "dilation_h_factor": dilation[0],
               "dilation_w_factor": dilation[1], "depth_multiplier": multiplier,
               "fused_activation_function": activation}
    inputs = [TensorSpec(list(in_shape), "float32"), weights, _bias(rng, out_c) if bias else None]
    return ("DEPTHWISE_CONV_2D", inputs, TensorSpec([b, oh, ow, out_c], "float32"), options)


def _check(model: bytes) -> None:
    graph = read_tflite(model, "hybrid.tflite")
    validate(graph, LOWERINGS_BY_OPCODE)


# ---- grids against LiteRT --------------------------------------------------------------------------


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("asym", [False, True], ids=["symmetric", "asymmetric"])
def test_fully_connected(per_channel: bool, asym: bool, tmp_path) -> None:
    rng = np.random.default_rng([1, per_channel, asym])
    ops = [_fc(rng, [2], 24, 5, per_channel, asym, activation) for activation in ACTIVATIONS]
    ops += [
        _fc(rng, [1], 1, 3, per_channel, asym),  # depth 1
        _fc(rng, [3], 37, 9, per_channel, asym, bias=False),  # depth not a multiple of 8
        _fc(rng, [2, 3], 16, 4, per_channel, asym, keep_num_dims=True),
        _fc(rng, [1, 2, 2], 13, 6, per_channel, asym, "RELU"),
    ]
    assert_matches_reference(_multi_op_model(ops), rtol=RTOL, atol=ATOL, workdir=tmp_path)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_conv_2d(per_channel: bool, tmp_path) -> None:
    rng = np.random.default_rng([2, per_channel])
    ops = [
        _conv(rng, [1, 6, 7, 3], 4, (3, 3), per_channel, "SAME", activation="RELU"),
        _conv(rng, [2, 7, 5, 2], 3, (2, 3), per_channel, "VALID", stride=(2, 1), activation="RELU6"),
        _conv(rng, [1, 8, 8, 5], 5, (3, 2), per_channel, "SAME", stride=(2, 2), dilation=(2, 1),
              activation="RELU_N1_TO_1"),
        _conv(rng, [1, 5, 5, 8], 7, (1, 1), per_channel),  # pointwise: LiteRT skips im2col
        _conv(rng, [2, 1, 1, 3], 2, (1, 1), per_channel),  # (LiteRT requires a CONV_2D bias)
        _conv(rng, [1, 4, 6, 4], 3, (4, 6), per_channel, "VALID"),  # one window over the whole image
    ]
    if per_channel:
        ops.append(_conv(rng, [1, 5, 6, 4], 6, (3, 3), True, "SAME", groups=2, activation="RELU"))
        ops.append(_conv(rng, [2, 5, 5, 6], 6, (2, 2), True, "VALID", stride=(2, 2), groups=3))
        ops.append(_conv(rng, [1, 5, 5, 3], 4, (3, 3), True, equal=True))  # equal scales: per-tensor path
    assert_matches_reference(_multi_op_model(ops), rtol=RTOL, atol=ATOL, workdir=tmp_path)


def test_depthwise_conv_2d(tmp_path) -> None:
    rng = np.random.default_rng(3)
    ops = [
        _dw(rng, [1, 6, 7, 3], 1, (3, 3), "SAME", activation="RELU"),
        _dw(rng, [2, 7, 5, 2], 2, (2, 3), "VALID", stride=(2, 1), activation="RELU6"),
        _dw(rng, [1, 8, 8, 4], 3, (3, 3), "SAME", stride=(2, 2), dilation=(1, 2), activation="RELU_N1_TO_1"),
        _dw(rng, [1, 5, 5, 9], 1, (1, 1), bias=False),
        _dw(rng, [1, 1, 1, 1], 2, (1, 1)),
    ]
    assert_matches_reference(_multi_op_model(ops), rtol=RTOL, atol=ATOL, workdir=tmp_path)


def _edge_inputs(shape: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs where any other rounding or operation order would show."""
    n = int(np.prod(shape))
    cases = [
        np.zeros(n),  # all zero: LiteRT's shortcuts
        np.where(np.arange(n) == n // 2, 3.0, 0.0),  # one non-zero value
        np.round(rng.standard_normal(n) * 4) / 2,  # many exact .5 ties after scaling
        np.linspace(-127.0, 127.0, n),  # range 127: scale 1, ties at every half
        np.linspace(-0.5, 0.5, n),
        np.full(n, 0.49999997),
        rng.standard_normal(n) * 1e4,
        rng.uniform(0.0, 1.0, n),  # non-negative: asymmetric zero point at -128
        -rng.uniform(0.0, 1.0, n),  # non-positive
    ]
    return [np.asarray(c, dtype=np.float32).reshape(shape) for c in cases]


def test_edge_inputs_are_bit_exact(tmp_path) -> None:
    rng = np.random.default_rng(4)
    ops = [
        _fc(rng, [3], 20, 6, False, False),
        _fc(rng, [3], 20, 6, True, True),
        _conv(rng, [1, 4, 5, 3], 4, (3, 3), False),
        _conv(rng, [1, 4, 5, 3], 4, (3, 3), True),
        _dw(rng, [1, 4, 5, 3], 2, (3, 3)),
    ]
    model = _multi_op_model(ops)
    host = build(model, tmp_path)
    shapes = [spec.shape for _, inputs, _, _ in ops for spec in inputs[:1]]
    edges = [_edge_inputs(shape, rng) for shape in shapes]
    for k in range(len(edges[0])):
        inputs = [e[k] for e in edges]
        for ours, theirs in zip(host.run(inputs), run_reference(model, inputs)):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"edge case {k}")


def test_a_hybrid_model_ships_only_its_kernels() -> None:
    rng = np.random.default_rng(5)
    opcode, inputs, output, options = _fc(rng, [1], 8, 3, False, False)
    files = compile_model(single_op_model(opcode, inputs, [output], options), "fc.tflite")
    sources = sorted(p.rsplit("/", 1)[-1] for p in files if p.startswith("runtime/src/"))
    assert sources == ["fully_connected_hybrid.c", "hybrid_quantize.c"]
    assert "hybrid" in LOWERINGS_BY_OPCODE["FULLY_CONNECTED"].dtypes
    assert "hybrid" in LOWERINGS_BY_OPCODE["CONV_2D"].dtypes
    assert "hybrid" in LOWERINGS_BY_OPCODE["DEPTHWISE_CONV_2D"].dtypes


# ---- error paths ---------------------------------------------------------------------------------


def _litert_fails(model: bytes) -> bool:
    try:
        run_reference(model, [np.zeros(spec, np.float32) for spec in _input_shapes(model)])
    except Exception:  # noqa: BLE001 - LiteRT raises RuntimeError or ValueError
        return True
    return False


def _input_shapes(model: bytes) -> list[tuple[int, ...]]:
    graph = read_tflite(model, "m.tflite")
    return [graph.tensor(t).shape for t in graph.inputs]


def test_grouped_convolution_needs_per_channel_scales() -> None:
    rng = np.random.default_rng(6)
    opcode, inputs, output, options = _conv(rng, [1, 4, 4, 4], 4, (3, 3), False, groups=2)
    model = single_op_model(opcode, inputs, [output], options)
    assert _litert_fails(model)  # LiteRT cannot run it either
    with pytest.raises(UnsupportedError, match="grouped hybrid convolution needs per-channel"):
        _check(model)


def test_depthwise_per_tensor_scale_is_rejected() -> None:
    rng = np.random.default_rng(7)
    opcode, inputs, output, options = _dw(rng, [1, 4, 4, 3], 1, (3, 3))
    inputs[1] = TensorSpec(inputs[1].shape, "int8", 0.02, 0, 0, data=inputs[1].data)
    with pytest.raises(UnsupportedError, match="one scale per output channel.*per-channel int8 weights along axis 3"):
        _check(single_op_model(opcode, inputs, [output], options))


def test_depth_multiplier_option_must_match_the_shapes() -> None:
    rng = np.random.default_rng(8)
    opcode, inputs, output, options = _dw(rng, [1, 4, 4, 3], 2, (3, 3))
    options["depth_multiplier"] = 1
    with pytest.raises(UnsupportedError, match="depth_multiplier option"):
        _check(single_op_model(opcode, inputs, [output], options))


@pytest.mark.parametrize("change,message", [
    ("uint8", "hybrid uint8 weights are not supported; supported: int8"),
    ("zero_point", "symmetric"),
    ("tanh", "fused activation TANH is not supported with hybrid weights"),
    ("axis", "along axis 0"),
])
def test_unsupported_variants_say_what_is_supported(change: str, message: str) -> None:
    rng = np.random.default_rng(9)
    opcode, inputs, output, options = _fc(rng, [2], 8, 4, change == "axis", False)
    w = inputs[1]
    if change == "uint8":
        inputs[1] = TensorSpec(w.shape, "uint8", 0.02, 128, data=w.data.astype(np.int16).clip(0, 127).astype(np.uint8))
    elif change == "zero_point":
        inputs[1] = TensorSpec(w.shape, "int8", 0.02, 3, data=w.data)
    elif change == "tanh":
        options["fused_activation_function"] = "TANH"
    elif change == "axis":
        inputs[1] = TensorSpec([4, 4], "int8", w.scale[:4], [0] * 4, 1, data=w.data[:, :4])
        inputs[0] = TensorSpec([2, 4], "float32")
    with pytest.raises(UnsupportedError, match=message):
        _check(single_op_model(opcode, inputs, [output], options))
