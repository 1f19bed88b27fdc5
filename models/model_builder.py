"""A small helper for writing the project's models: build a TFLite graph layer by layer while a
float simulation of the same layers chooses the quantization parameters.

Why a simulation: the models have random weights, so there is no training run to calibrate them.
Each layer is simulated in float64 on a calibration batch (inputs drawn like the tests draw them:
int8 uniform over the full range, dequantized), and each activation gets the scale and zero point
TFLite's converter would give it for that observed range. Activations then use the int8 range
instead of saturating or collapsing to a few values.

Why the care about rounding: `make_models.py` must write byte-identical files on any machine.
Weights come from numpy's legacy RandomState (its streams are frozen), per-channel weight scales
are max|w| / 127 (a max and a division: exact IEEE operations), and every scale that depends on
the simulation (whose matrix products may round differently on another CPU) is snapped up to a
number with 5 significant bits, so a last-bit difference in the simulation cannot change a byte.

The file is written with our own writer (microtvm_testing.tflite_writer): no TensorFlow needed.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

try:
    from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model
except ModuleNotFoundError:  # a plain checkout: the compiler package is in tools/microtvm
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "microtvm"))
    from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model

QMIN, QMAX = -128, 127
WEIGHT_QMAX = 127  # TFLite's int8 weights are symmetric in [-127, 127]
INT16_QMAX = 32767  # and int16 ones (SVDF's time weights) in [-32767, 32767]
SOFTMAX_SCALE, SOFTMAX_ZERO_POINT = 1.0 / 256.0, -128  # what TFLite requires of int8 SOFTMAX


def snap_up(x: float, bits: int = 5) -> float:
    """The smallest number >= x with `bits` significant bits (exact in float32)."""
    if x <= 0.0:
        raise ValueError(f"cannot snap {x}: scales must be positive")
    _, exponent = math.frexp(x)  # x = m * 2**exponent, 0.5 <= m < 1
    step = math.ldexp(1.0, exponent - bits)
    return math.ceil(x / step) * step


# ---------------------------------------------------------------------------------------------
# Float simulation (NHWC, batch first), the arithmetic TFLite's float kernels do.


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(output size, padding before, padding after) for TFLite's SAME padding."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def _patches(x: np.ndarray, kh: int, kw: int, stride: int, padding: str) -> np.ndarray:
    """[N, OH, OW, C, KH, KW] windows of x (zero padded for SAME)."""
    if padding == "SAME":
        _, top, bottom = _same_padding(x.shape[1], kh, stride)
        _, left, right = _same_padding(x.shape[2], kw, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return windows[:, ::stride, ::stride]


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """w is TFLite's [O, KH, KW, I]."""
    p = _patches(x, w.shape[1], w.shape[2], stride, padding)
    return np.einsum("nhwcij,oijc->nhwo", p, w) + b


def depthwise_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """w is TFLite's [1, KH, KW, C] (depth multiplier 1)."""
    p = _patches(x, w.shape[1], w.shape[2], stride, padding)
    return np.einsum("nhwcij,ijc->nhwc", p, w[0]) + b


def activate(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "RELU":
        return np.maximum(x, 0.0)
    if activation == "RELU6":
        return np.clip(x, 0.0, 6.0)
    if activation == "NONE":
        return x
    raise ValueError(f"activation {activation} is not simulated")


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Weight generation and quantization.


def he_normal(rng: np.random.RandomState, shape: Sequence[int], fan_in: int) -> np.ndarray:
    """Weights that keep the variance of ReLU activations roughly constant layer to layer."""
    return rng.standard_normal(tuple(shape)) * math.sqrt(2.0 / fan_in)


def quantize_symmetric(w: np.ndarray, axis: Optional[int]) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and float32 scales: per channel along `axis`, or per tensor when None."""
    if axis is None:
        scales = np.array([np.abs(w).max() / WEIGHT_QMAX])
        expanded = scales[0]
    else:
        others = tuple(d for d in range(w.ndim) if d != axis)
        scales = np.abs(w).max(axis=others) / WEIGHT_QMAX
        shape = [1] * w.ndim
        shape[axis] = -1
        expanded = scales.reshape(shape)
    scales = np.where(scales > 0.0, scales, 1e-8).astype(np.float32)
    expanded = np.where(expanded > 0.0, expanded, 1e-8).astype(np.float32)
    q = np.clip(np.round(w / expanded.astype(np.float64)), -WEIGHT_QMAX, WEIGHT_QMAX).astype(np.int8)
    return q, scales


@dataclass
class Activation:
    """A non-constant tensor of the model being built, with its simulated values."""

    index: int  # index into ModelBuilder.tensors
    value: np.ndarray  # float64 simulation over the calibration batch
    scale: Optional[float] = None  # None in float models
    zero_point: int = 0


class ModelBuilder:
    """Collects tensors and operators for tflite_writer.build_model.

    `quantized=True` gives an int8 model (int8 activations and weights, int32 biases);
    `quantized=False` the same topology in float32."""

    def __init__(self, quantized: bool, headroom: float = 1.0) -> None:
        self.quantized = quantized
        self.headroom = headroom  # factor on observed ranges before choosing scales
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.inputs: list[int] = []

    # -- tensors ---------------------------------------------------------------------------

    def _tensor(self, spec: TensorSpec) -> int:
        self.tensors.append(spec)
        return len(self.tensors) - 1

    def input(self, name: str, shape: Sequence[int], calibration: np.ndarray, scale: Optional[float] = None, zero_point: int = 0) -> Activation:
        """A graph input. `calibration` holds float values [batch, *shape[1:]] for the simulation."""
        if self.quantized:
            index = self._tensor(TensorSpec(shape, "int8", scale, zero_point, name=name))
        else:
            index = self._tensor(TensorSpec(shape, "float32", name=name))
        self.inputs.append(index)
        return Activation(index, np.asarray(calibration, dtype=np.float64), scale, zero_point)

    def _output(self, name: str, value: np.ndarray, activation: str = "NONE") -> Activation:
        """A layer's output tensor; int8 scale and zero point from the simulated range, as the
        converter would choose them (ranges always include 0; ReLU outputs start at 0)."""
        shape = (1, *value.shape[1:])
        if not self.quantized:
            return Activation(self._tensor(TensorSpec(shape, "float32", name=name)), value)
        lo = 0.0 if activation in ("RELU", "RELU6") else min(0.0, float(value.min()))
        hi = max(0.0, float(value.max()))
        lo, hi = lo * self.headroom, hi * self.headroom
        if activation == "RELU6":
            hi = min(hi, 6.0)
        scale = snap_up((hi - lo) / (QMAX - QMIN))
        zero_point = int(np.clip(QMIN - round(lo / scale), QMIN, QMAX))
        return self._quantized_output(name, value, scale, zero_point)

    def _quantized_output(self, name: str, value: np.ndarray, scale: float, zero_point: int) -> Activation:
        shape = (1, *value.shape[1:])
        index = self._tensor(TensorSpec(shape, "int8", scale, zero_point, name=name))
        return Activation(index, value, scale, zero_point)

    def _same_quant_output(self, name: str, value: np.ndarray, like: Activation) -> Activation:
        """Output quantized like the input (pooling, reshape: TFLite requires it)."""
        if not self.quantized:
            return self._output(name, value)
        return self._quantized_output(name, value, like.scale, like.zero_point)

    def _weights(self, name: str, w: np.ndarray, axis: Optional[int]) -> tuple[int, np.ndarray, np.ndarray]:
        """(tensor index, the weights the model really holds as float, their scales)."""
        if not self.quantized:
            w32 = w.astype(np.float32)
            return self._tensor(TensorSpec(w.shape, "float32", data=w32, name=name)), w32.astype(np.float64), np.ones(1)
        q, scales = quantize_symmetric(w, axis)
        spec = TensorSpec(
            w.shape, "int8", [float(s) for s in scales], [0] * scales.size,
            quantized_dimension=axis or 0, data=q, name=name,
        )
        shape = [1] * w.ndim
        if axis is not None:
            shape[axis] = -1
        real = q.astype(np.float64) * scales.astype(np.float64).reshape(shape)
        return self._tensor(spec), real, scales.astype(np.float64)

    def _bias(self, name: str, b: np.ndarray, input_scale: Optional[float], weight_scales: np.ndarray) -> tuple[int, np.ndarray]:
        """int32 bias with scale input_scale * weight_scale (per channel when the weights are)."""
        if not self.quantized:
            b32 = b.astype(np.float32)
            return self._tensor(TensorSpec(b.shape, "float32", data=b32, name=name)), b32.astype(np.float64)
        # Products of two float32 numbers are exact in float64: no machine-dependent rounding.
        scales = float(input_scale) * weight_scales
        q = np.round(b / scales).astype(np.int32)
        spec = TensorSpec(b.shape, "int32", [float(s) for s in scales], [0] * scales.size, data=q, name=name)
        return self._tensor(spec), q.astype(np.float64) * np.broadcast_to(scales, b.shape)

    # -- layers ----------------------------------------------------------------------------

    def conv2d(self, name: str, x: Activation, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: str = "SAME", activation: str = "RELU") -> Activation:
        w_index, w_real, w_scales = self._weights(f"{name}/weights", w, axis=0)
        b_index, b_real = self._bias(f"{name}/bias", b, x.scale, w_scales)
        value = activate(conv2d(x.value, w_real, b_real, stride, padding), activation)
        out = self._output(name, value, activation)
        options = {"padding": padding, "stride_w": stride, "stride_h": stride, "fused_activation_function": activation}
        self.ops.append(OpSpec("CONV_2D", [x.index, w_index, b_index], [out.index], options))
        return out

    def depthwise_conv2d(self, name: str, x: Activation, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: str = "SAME", activation: str = "RELU") -> Activation:
        w_index, w_real, w_scales = self._weights(f"{name}/weights", w, axis=3)
        b_index, b_real = self._bias(f"{name}/bias", b, x.scale, w_scales)
        value = activate(depthwise_conv2d(x.value, w_real, b_real, stride, padding), activation)
        out = self._output(name, value, activation)
        options = {
            "padding": padding, "stride_w": stride, "stride_h": stride,
            "depth_multiplier": 1, "fused_activation_function": activation,
        }
        self.ops.append(OpSpec("DEPTHWISE_CONV_2D", [x.index, w_index, b_index], [out.index], options))
        return out

    def global_average_pool(self, name: str, x: Activation) -> Activation:
        """AVERAGE_POOL_2D with a window of the whole feature map (VALID): [N,H,W,C] -> [N,1,1,C]."""
        h, w = x.value.shape[1:3]
        out = self._same_quant_output(name, x.value.mean(axis=(1, 2), keepdims=True), x)
        options = {"padding": "VALID", "stride_w": w, "stride_h": h, "filter_width": w, "filter_height": h, "fused_activation_function": "NONE"}
        self.ops.append(OpSpec("AVERAGE_POOL_2D", [x.index], [out.index], options))
        return out

    def flatten(self, name: str, x: Activation) -> Activation:
        """RESHAPE to [1, features] with a constant shape operand [-1, features], as Keras writes it."""
        features = int(np.prod(x.value.shape[1:]))
        shape_index = self._tensor(TensorSpec([2], "int32", data=np.array([-1, features], dtype=np.int32), name=f"{name}/shape"))
        out = self._same_quant_output(name, x.value.reshape(x.value.shape[0], features), x)
        self.ops.append(OpSpec("RESHAPE", [x.index, shape_index], [out.index]))
        return out

    def fully_connected(self, name: str, x: Activation, w: np.ndarray, b: np.ndarray, activation: str = "NONE") -> Activation:
        """w is TFLite's [units, features]; per-tensor weight scale, as the converter writes FC."""
        w_index, w_real, w_scales = self._weights(f"{name}/weights", w, axis=None)
        b_index, b_real = self._bias(f"{name}/bias", b, x.scale, w_scales)
        value = activate(x.value @ w_real.T + b_real, activation)
        out = self._output(name, value, activation)
        options = {"fused_activation_function": activation, "weights_format": "DEFAULT", "keep_num_dims": False}
        self.ops.append(OpSpec("FULLY_CONNECTED", [x.index, w_index, b_index], [out.index], options))
        return out

    def add(self, name: str, a: Activation, b: Activation, activation: str = "NONE") -> Activation:
        value = activate(a.value + b.value, activation)
        out = self._output(name, value, activation)
        self.ops.append(OpSpec("ADD", [a.index, b.index], [out.index], {"fused_activation_function": activation}))
        return out

    def svdf(self, name: str, x: Activation, weights_feature: np.ndarray, weights_time: np.ndarray, b: np.ndarray, rank: int) -> Activation:
        """SVDF with RELU over a stream: the calibration batch's rows are successive invocations
        (time steps) of one stream, so the simulation carries the state from row to row.

        weights_feature [filters, features], weights_time [filters, memory], bias [units] with
        filters = units * rank. The state holds the last `memory` feature activations per filter
        (the newest at the end, as TFLite keeps it). int8: TFLite's integer SVDF, int8 feature
        weights (per tensor), int16 time weights (symmetric, per tensor), an int16 state whose scale
        covers the simulated feature activations, an int32 bias in state_scale * time_weight_scale.
        Its integer kernel does not apply the RELU, but the output's zero point -128 (a RELU range)
        clamps what the RELU would cut."""
        filters, memory = weights_time.shape
        units = filters // rank
        wf_index, wf_real, _ = self._weights(f"{name}/weights_feature", weights_feature, axis=None)
        if self.quantized:
            wt_scale = np.float32(np.abs(weights_time).max() / INT16_QMAX)
            wt_q = np.clip(np.round(weights_time / np.float64(wt_scale)), -INT16_QMAX, INT16_QMAX).astype(np.int16)
            wt_spec = TensorSpec(weights_time.shape, "int16", [float(wt_scale)], [0], data=wt_q, name=f"{name}/weights_time")
            wt_real = wt_q.astype(np.float64) * np.float64(wt_scale)
        else:
            wt32 = weights_time.astype(np.float32)
            wt_spec = TensorSpec(weights_time.shape, "float32", data=wt32, name=f"{name}/weights_time")
            wt_real = wt32.astype(np.float64)
        wt_index = self._tensor(wt_spec)
        features = x.value @ wf_real.T  # [steps, filters]
        if self.quantized:
            state_scale = snap_up(float(np.abs(features).max()) * self.headroom / INT16_QMAX)
            # state_scale has 5 significant bits, wt_scale 24: their product is exact in float64.
            b_index, b_real = self._bias(f"{name}/bias", b, state_scale, np.array([np.float64(wt_scale)]))
            state_spec = TensorSpec([1, memory * filters], "int16", [state_scale], [0], is_variable=True, name=f"{name}/state")
        else:
            b_index, b_real = self._bias(f"{name}/bias", b, None, np.ones(1))
            state_spec = TensorSpec([1, memory * filters], "float32", is_variable=True, name=f"{name}/state")
        state_index = self._tensor(state_spec)
        history = np.vstack([np.zeros((memory - 1, filters)), features])  # the state starts at zero
        steps = features.shape[0]
        windows = np.stack([history[t : t + memory] for t in range(steps)])  # [steps, memory, filters]
        per_filter = np.einsum("tmf,fm->tf", windows, wt_real)
        value = activate(per_filter.reshape(steps, units, rank).sum(axis=2) + b_real, "RELU")
        out = self._output(name, value, "RELU")
        options = {"rank": rank, "fused_activation_function": "RELU"}
        self.ops.append(OpSpec("SVDF", [x.index, wf_index, wt_index, b_index, state_index], [out.index], options))
        return out

    def softmax(self, name: str, x: Activation) -> Activation:
        value = softmax(x.value)
        if self.quantized:
            out = self._quantized_output(name, value, SOFTMAX_SCALE, SOFTMAX_ZERO_POINT)
        else:
            out = self._output(name, value)
        self.ops.append(OpSpec("SOFTMAX", [x.index], [out.index], {"beta": 1.0}))
        return out

    def reshape(self, name: str, x: Activation, shape: Sequence[int]) -> Activation:
        """RESHAPE to `shape` (batch first), quantized like its input."""
        value = x.value.reshape((x.value.shape[0], *shape[1:]))
        out = self._same_quant_output(name, value, x)
        new_shape = self._tensor(TensorSpec((len(shape),), "int32", data=np.array(shape, np.int32), name=f"{name}/shape"))
        self.ops.append(OpSpec("RESHAPE", [x.index, new_shape], [out.index], {"new_shape": list(shape)}))
        return out

    def logistic(self, name: str, x: Activation) -> Activation:
        """LOGISTIC; int8 output scale 1/256, zero point -128 (what TFLite requires)."""
        value = 1.0 / (1.0 + np.exp(-x.value))
        if self.quantized:
            out = self._quantized_output(name, value, 1.0 / 256.0, -128)
        else:
            out = self._output(name, value)
        self.ops.append(OpSpec("LOGISTIC", [x.index], [out.index]))
        return out

    def dequantize(self, name: str, x: Activation) -> Activation:
        """DEQUANTIZE an int8 activation to float32 (how the converter feeds float-only operators)."""
        real = (np.clip(np.round(x.value / x.scale) + x.zero_point, QMIN, QMAX) - x.zero_point) * x.scale
        out = Activation(self._tensor(TensorSpec((1, *x.value.shape[1:]), "float32", name=name)), real)
        self.ops.append(OpSpec("DEQUANTIZE", [x.index], [out.index]))
        return out

    def custom(self, code: str, inputs: Sequence[int], outputs: Sequence[TensorSpec], options: dict) -> list[int]:
        """A custom operator (flexbuffer options) on existing tensors; returns its output indices."""
        indices = [self._tensor(spec) for spec in outputs]
        self.ops.append(OpSpec("CUSTOM", list(inputs), indices, options, custom_code=code))
        return indices

    def constant(self, spec: TensorSpec) -> int:
        return self._tensor(spec)

    def build_indices(self, outputs: Sequence[int]) -> bytes:
        return build_model(self.tensors, self.ops, self.inputs, list(outputs))

    def build(self, outputs: Sequence[Activation]) -> bytes:
        return build_model(self.tensors, self.ops, self.inputs, [o.index for o in outputs])


def classifier_head(rng: np.random.RandomState, features: np.ndarray, classes: int, logit_std: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of a final FULLY_CONNECTED whose logits vary with the input.

    Pooled features of random inputs are nearly the same for every input (the average over many
    positions cancels the noise), so plain random weights give near-constant logits and a
    saturated softmax. Here the weights are scaled so that the logits' spread over the
    calibration batch is about `logit_std`, and the bias removes their mean."""
    w = rng.standard_normal((classes, features.shape[1]))
    logits = features @ w.T
    spread = float(logits.std(axis=0).mean())
    gain = snap_up(logit_std / spread)  # snapped: the simulation's rounding must not reach the bytes
    w = w * gain
    bias = -np.round(logits.mean(axis=0) * gain, 3) + rng.standard_normal(classes) * 0.25
    return w, bias


def int8_calibration(rng: np.random.RandomState, shape: Sequence[int], scale: float, zero_point: int, batch: int) -> np.ndarray:
    """Float inputs as the tests draw them: int8 uniform over the full range, dequantized."""
    q = rng.randint(QMIN, QMAX + 1, size=(batch, *shape[1:]))
    return (q - zero_point) * scale
