"""TFLite Micro's Signal library (the audio front end), as custom operators: SignalWindow,
SignalRfft, SignalIrfft, SignalEnergy, SignalFftAutoScale, SignalFilterBank,
SignalFilterBankSquareRoot, SignalFilterBankLog and SignalPCAN. Kernels: runtime/include/mtvm/signal.h,
one source per kernel (signal_window.c, signal_rfft_s16.c, ...).

The standard is TFLM's kernels (signal/micro/kernels/*.cc over signal/src/*.cc), run by the
tflite_micro package's interpreter in the tests: integer outputs equal bit for bit, float32 FFTs
within 1e-5 relative / 1e-6 absolute (the same float operations in the same order; equal in
practice). Options are the operators' flexbuffer maps (TFLM reads them by position in key order;
the names are what the IR carries).

Generation-time work:
- the FFTs are kissfft 1.3.0 (TFLM's kiss_fftr / kiss_fftri): the radix plan (kf_factor: 4 while
  it divides, then 2) and the twiddle tables are computed here with kissfft's own formulas in
  double (exp(-2 pi i k / n) rounded as floor(0.5 + SAMP_MAX x) for Q15/Q31, cast to float for
  float; the real-FFT "super twiddles" exp(-i pi ((k + 1) / n + 1/2))), and emitted as constants;
  fft_length must be a power of two (the lengths TFLM's signal ops generate; kissfft's radix-3/5
  and generic butterflies are not reproduced);
- SignalFilterBankLog's 129-entry table of log2(1 + k/128) - k/128 in Q16 (rounded half up),
  which is TFLM's kLogLut;
- every constant index table (filter bank starts and widths) is checked against the tensors it
  indexes, so the kernels never read outside a buffer (TFLM would).

The stateful operators (SignalFramer, SignalStacker, SignalDelay, SignalOverlapAdd,
SignalFilterBankSpectralSubtraction) keep TFLM's persistent buffers as operator state
(OpLowering.state_init: a buffer in the model's state pool, zero bytes after
tvmgen_<m>_reset_state, which is TFLM's Reset). The layouts are our own (linear queues with a count;
see runtime/include/mtvm/signal.h) and chosen so that TFLM's reset state is all zero bytes (the
framer counts the samples queued beyond its prefill). Where TFLM leaves an output frame untouched
(a framer or stacker frame that is not complete yet: valid is false) the output is written 0.
What TFLM asserts or would overrun, refused here: a framer with prefill and frame_size <
frame_step, a stacker step outside 1..left + right + 1, an overlap-add frame_step outside
1..frame_size, shapes other than those the kernels write (TFLM checks ranks only), shifts of 32
(64) bits or more.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from ..passes.variables import operator_state_key
from . import _emit as e
from .base import CValue, EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/signal.h",)
MAX_FFT_STAGES = 32  # MTVM_FFT_MAX_STAGES in runtime/include/mtvm/signal.h
# TensorType values in SignalRfft/SignalIrfft's "T" option -> our dtype names.
_FFT_TYPES = {7: "int16", 2: "int32", 0: "float32"}
_FFT_SUFFIX = {"int16": "s16", "int32": "s32", "float32": "f32"}
_ITEMSIZE = {"int16": 2, "int32": 4, "float32": 4}
_PCAN_LUT_SIZE = 4 * 32 - 3  # TFLM's kWideDynamicFunctionLUTSize


# ---------------------------------------------------------------------------------------------
# Shared checks


def _tensor(op: Operator, graph: Graph, position: int, output: bool = False) -> Tensor:
    return graph.tensor((op.outputs if output else op.inputs)[position])


def _check_arity(op: Operator, inputs: int, outputs: int) -> None:
    if len(op.inputs) != inputs or len(op.outputs) != outputs or any(i < 0 for i in (*op.inputs, *op.outputs)):
        raise UnsupportedError(f"{op.opcode} needs {inputs} input(s) and {outputs} output(s)")


def _check_type(op: Operator, t: Tensor, role: str, dtype: str, rank: int | None = None) -> None:
    if t.dtype != dtype:
        raise UnsupportedError(f"{op.opcode}: the {role} {t.name!r} is {t.dtype}; it must be {dtype}")
    if rank is not None and len(t.shape) != rank:
        raise UnsupportedError(f"{op.opcode}: the {role} {t.name!r} has rank {len(t.shape)}; it must have rank {rank}")


def _option(op: Operator, name: str) -> int:
    if name not in op.options:
        raise UnsupportedError(f"{op.opcode}: the option {name!r} is missing from the custom options")
    value = op.options[name]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UnsupportedError(f"{op.opcode}: the option {name!r} must be an integer, got {value!r}")
    return int(value)


def _option_in(op: Operator, name: str, low: int, high: int) -> int:
    value = _option(op, name)
    if not low <= value <= high:
        raise UnsupportedError(f"{op.opcode}: {name} = {value} is not supported; it must be in {low}..{high}")
    return value


def _flag(op: Operator, name: str) -> bool:
    value = op.options.get(name)
    if value is None:
        raise UnsupportedError(f"{op.opcode}: the option {name!r} is missing from the custom options")
    if not isinstance(value, (bool, int, np.integer)) or int(value) not in (0, 1):
        raise UnsupportedError(f"{op.opcode}: the option {name!r} must be a boolean, got {value!r}")
    return bool(value)


def _constant(op: Operator, t: Tensor, role: str) -> np.ndarray:
    if t.data is None:
        raise UnsupportedError(f"{op.opcode}: the {role} {t.name!r} must be a constant (it is computed at run time)")
    return np.asarray(t.data).reshape(-1)


def _size(t: Tensor) -> int:
    return e.flat_size(t.shape)


# ---------------------------------------------------------------------------------------------
# SignalWindow


def _check_window(op: Operator, graph: Graph) -> None:
    _check_arity(op, 2, 1)
    x, w, y = _tensor(op, graph, 0), _tensor(op, graph, 1), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "int16")
    _check_type(op, w, "window", "int16", 1)
    _check_type(op, y, "output", "int16")
    if len(x.shape) < 1 or tuple(y.shape) != tuple(x.shape):
        raise UnsupportedError(f"{op.opcode}: the output shape {list(y.shape)} must equal the input shape {list(x.shape)}")
    if w.shape[0] < 1 or _size(x) % w.shape[0]:
        raise UnsupportedError(
            f"{op.opcode}: the input has {_size(x)} samples, not a whole number of windows of {w.shape[0]}"
        )
    _option_in(op, "shift", 0, 31)


def _emit_window(op: Operator, ctx: LowerContext) -> EmittedOp:
    x, w = _tensor(op, ctx.graph, 0), _tensor(op, ctx.graph, 1)
    params = ctx.params(
        "mtvm_signal_window_params_t",
        {"frames": _size(x) // w.shape[0], "window_size": w.shape[0], "shift": _option(op, "shift")},
    )
    call = f"mtvm_signal_window_s16(&{params}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.inputs[1])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


# ---------------------------------------------------------------------------------------------
# SignalRfft / SignalIrfft (kissfft 1.3.0)


def kiss_factors(n: int) -> list[tuple[int, int]]:
    """kissfft's kf_factor: (radix, remaining length) per stage; 4s first, then 2, then odd
    primes up to floor(sqrt(n)), the rest as one stage."""
    stages = []
    p = 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        stages.append((p, n))
        if n <= 1:
            return stages


def _cexp(phase: float, dtype: str) -> tuple[float, float]:
    """kissfft's kf_cexp: floor(0.5 + SAMP_MAX cos) in fixed point, (float) cos in float."""
    if dtype == "float32":
        return float(np.float32(math.cos(phase))), float(np.float32(math.sin(phase)))
    samp_max = 32767 if dtype == "int16" else 2147483647
    return math.floor(0.5 + samp_max * math.cos(phase)), math.floor(0.5 + samp_max * math.sin(phase))


def kiss_twiddles(nfft: int, inverse: bool, dtype: str) -> np.ndarray:
    """kiss_fft_alloc's twiddles exp(-+2 pi i k / nfft), interleaved (re, im)."""
    values = []
    for k in range(nfft):
        phase = -2 * math.pi * k / nfft
        if inverse:
            phase *= -1
        values.extend(_cexp(phase, dtype))
    return np.array(values, dtype=dtype)


def kiss_super_twiddles(nfft: int, inverse: bool, dtype: str) -> np.ndarray:
    """kiss_fftr_alloc's exp(-+i pi ((k + 1) / nfft + 1/2)) for k < nfft / 2, interleaved."""
    values = []
    for k in range(nfft // 2):
        phase = -math.pi * ((k + 1) / nfft + 0.5)
        if inverse:
            phase *= -1
        values.extend(_cexp(phase, dtype))
    return np.array(values, dtype=dtype)


def _fft_dtype(op: Operator) -> str:
    code = _option(op, "T")
    if code not in _FFT_TYPES:
        raise UnsupportedError(f"{op.opcode}: tensor type code T = {code} is not supported; use int16, int32 or float32")
    return _FFT_TYPES[code]


def _fft_length(op: Operator) -> int:
    n = _option(op, "fft_length")
    # 2 is refused too: kissfft's one-point complex transform takes its generic butterfly, which
    # TFLM's build cannot run (it crashes), so there is no reference to match.
    if n < 4 or n & (n - 1) or n > (1 << 30):
        raise UnsupportedError(
            f"{op.opcode}: fft_length {n} is not supported; it must be a power of two from 4 to 2^30"
        )
    return n


def _check_fft(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 1)
    dtype, n = _fft_dtype(op), _fft_length(op)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", dtype)
    _check_type(op, y, "output", dtype)
    if len(x.shape) < 1 or len(y.shape) != len(x.shape) or tuple(x.shape[:-1]) != tuple(y.shape[:-1]):
        raise UnsupportedError(
            f"{op.opcode}: input {list(x.shape)} and output {list(y.shape)} must have the same rank and the same "
            "dimensions except the last"
        )
    bins = 2 * (n // 2 + 1)  # interleaved complex values
    if op.opcode == "SignalRfft":
        if not 1 <= x.shape[-1] <= n or y.shape[-1] != bins:
            raise UnsupportedError(
                f"{op.opcode}: with fft_length {n} a frame must hold 1..{n} samples and the output {bins} values "
                f"({n // 2 + 1} complex bins); got {x.shape[-1]} and {y.shape[-1]}"
            )
    elif x.shape[-1] != bins or y.shape[-1] != n:
        raise UnsupportedError(
            f"{op.opcode}: with fft_length {n} a frame must hold {bins} values ({n // 2 + 1} complex bins) and the "
            f"output {n} samples; got {x.shape[-1]} and {y.shape[-1]}"
        )


def _fft_plan(op: Operator) -> dict:
    n = _fft_length(op)
    stages = kiss_factors(n // 2)
    assert all(p in (1, 2, 4) for p, _ in stages) and len(stages) <= MAX_FFT_STAGES
    pad = [0] * (MAX_FFT_STAGES - len(stages))
    return {
        "nfft": n // 2,
        "num_stages": len(stages),
        "radix": [p for p, _ in stages] + pad,
        "span": [m for _, m in stages] + pad,
        "inverse": 1 if op.opcode == "SignalIrfft" else 0,
    }


def _fft_scratch(op: Operator, graph: Graph) -> int:
    dtype, n = _fft_dtype(op), _fft_length(op)
    values = n  # nfft complex values
    if op.opcode == "SignalRfft" and _tensor(op, graph, 0).shape[-1] < n:
        values += n  # the zero-padded frame
    return values * _ITEMSIZE[dtype]


def _emit_fft(op: Operator, ctx: LowerContext) -> EmittedOp:
    dtype, n = _fft_dtype(op), _fft_length(op)
    x, y = _tensor(op, ctx.graph, 0), _tensor(op, ctx.graph, 0, True)
    inverse = op.opcode == "SignalIrfft"
    plan = _fft_plan(op)
    fields = {
        "frames": _size(x) // x.shape[-1],
        "fft_length": n,
        "input_length": x.shape[-1] // 2 if inverse else x.shape[-1],
        "output_length": y.shape[-1] if inverse else y.shape[-1] // 2,
        "plan": plan,
    }
    params = ctx.params("mtvm_signal_fft_params_t", fields)
    tw = ctx.const("twiddles", kiss_twiddles(n // 2, inverse, dtype))
    super_tw = ctx.const("super_twiddles", kiss_super_twiddles(n // 2, inverse, dtype))
    kind = "irfft" if inverse else "rfft"
    suffix = _FFT_SUFFIX[dtype]
    call = (
        f"mtvm_signal_{kind}_{suffix}(&{params}, {tw}, {super_tw}, {ctx.buf(op.inputs[0])}, "
        f"{ctx.buf(op.outputs[0])}, {ctx.scratch()});"
    )
    return EmittedOp(call=call, sources=(f"signal_{kind}_{suffix}.c", f"signal_fft_{suffix}.c"))


# ---------------------------------------------------------------------------------------------
# SignalEnergy, SignalFftAutoScale


def _check_energy(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 1)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "int16", 1)
    _check_type(op, y, "output", "uint32", 1)
    if x.shape[0] % 2:
        raise UnsupportedError(f"{op.opcode}: the input holds (re, im) pairs; its length {x.shape[0]} must be even")
    bins = min(x.shape[0] // 2, y.shape[0])
    start, end = _option(op, "start_index"), _option(op, "end_index")
    if start < 0 or end > bins:
        raise UnsupportedError(
            f"{op.opcode}: start_index {start} .. end_index {end} must lie within the {bins} bins of the input and output"
        )


def _emit_energy(op: Operator, ctx: LowerContext) -> EmittedOp:
    y = _tensor(op, ctx.graph, 0, True)
    params = ctx.params(
        "mtvm_signal_energy_params_t",
        {"size": y.shape[0], "start_index": _option(op, "start_index"), "end_index": _option(op, "end_index")},
    )
    return EmittedOp(call=f"mtvm_signal_energy(&{params}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


def _check_auto_scale(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 2)
    x, y, bits = _tensor(op, graph, 0), _tensor(op, graph, 0, True), _tensor(op, graph, 1, True)
    _check_type(op, x, "input", "int16", 1)
    _check_type(op, y, "output", "int16", 1)
    _check_type(op, bits, "scale bits output", "int32", 0)
    if y.shape[0] != x.shape[0]:
        raise UnsupportedError(f"{op.opcode}: the output length {y.shape[0]} must equal the input length {x.shape[0]}")


def _emit_auto_scale(op: Operator, ctx: LowerContext) -> EmittedOp:
    n = _tensor(op, ctx.graph, 0).shape[0]
    call = (
        f"mtvm_signal_fft_auto_scale({n}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])}, "
        f"{ctx.buf(op.outputs[1])});"
    )
    return EmittedOp(call=call)


# ---------------------------------------------------------------------------------------------
# SignalFilterBank, SignalFilterBankSquareRoot, SignalFilterBankLog, SignalPCAN


def _check_filter_bank(op: Operator, graph: Graph) -> None:
    _check_arity(op, 6, 1)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "uint32", 1)
    _check_type(op, y, "output", "uint64", 1)
    roles = ("weights", "unweights", "channel frequency starts", "channel weight starts", "channel widths")
    for k, role in enumerate(roles, start=1):
        _check_type(op, _tensor(op, graph, k), role, "int16", 1)
    channels = _option(op, "num_channels")
    if channels < 1 or y.shape[0] != channels:
        raise UnsupportedError(f"{op.opcode}: num_channels {channels} must be >= 1 and equal the output length {y.shape[0]}")
    freq_starts, weight_starts, widths = (
        _constant(op, _tensor(op, graph, k), role).astype(np.int64) for k, role in zip((3, 4, 5), roles[2:])
    )
    if min(len(freq_starts), len(weight_starts), len(widths)) < channels + 1:
        raise UnsupportedError(f"{op.opcode}: the channel tables need num_channels + 1 = {channels + 1} entries")
    weights_len = min(_tensor(op, graph, 1).shape[0], _tensor(op, graph, 2).shape[0])
    for i in range(channels + 1):
        width = int(widths[i])
        if width <= 0:
            continue
        if freq_starts[i] < 0 or freq_starts[i] + width > x.shape[0]:
            raise UnsupportedError(
                f"{op.opcode}: channel {i} reads input bins {freq_starts[i]}..{freq_starts[i] + width - 1}, outside "
                f"the {x.shape[0]} input bins"
            )
        if weight_starts[i] < 0 or weight_starts[i] + width > weights_len:
            raise UnsupportedError(
                f"{op.opcode}: channel {i} reads weights {weight_starts[i]}..{weight_starts[i] + width - 1}, outside "
                f"the {weights_len} weights"
            )


def _emit_filter_bank(op: Operator, ctx: LowerContext) -> EmittedOp:
    params = ctx.params("mtvm_signal_filter_bank_params_t", {"num_channels": _option(op, "num_channels")})
    args = ", ".join(ctx.buf(t) for t in op.inputs)
    return EmittedOp(call=f"mtvm_signal_filter_bank(&{params}, {args}, {ctx.buf(op.outputs[0])});")


def _check_sqrt(op: Operator, graph: Graph) -> None:
    _check_arity(op, 2, 1)
    x, bits, y = _tensor(op, graph, 0), _tensor(op, graph, 1), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "uint64", 1)
    _check_type(op, bits, "scale bits", "int32", 0)
    _check_type(op, y, "output", "uint32", 1)
    if y.shape[0] != x.shape[0]:
        raise UnsupportedError(f"{op.opcode}: the output length {y.shape[0]} must equal the input length {x.shape[0]}")


def _emit_sqrt(op: Operator, ctx: LowerContext) -> EmittedOp:
    n = _tensor(op, ctx.graph, 0).shape[0]
    args = f"{ctx.buf(op.inputs[0])}, {ctx.buf(op.inputs[1])}, {ctx.buf(op.outputs[0])}"
    return EmittedOp(call=f"mtvm_signal_filter_bank_sqrt({n}, {args});")


def log_table() -> np.ndarray:
    """TFLM's kLogLut: round-half-up Q16 of log2(1 + k/128) - k/128 for k = 0..128."""
    return np.array(
        [math.floor(65536 * (math.log2(1 + k / 128) - k / 128) + 0.5) for k in range(129)], dtype=np.uint16
    )


def _check_log(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 1)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "uint32", 1)
    _check_type(op, y, "output", "int16", 1)
    if y.shape[0] != x.shape[0]:
        raise UnsupportedError(f"{op.opcode}: the output length {y.shape[0]} must equal the input length {x.shape[0]}")
    _option_in(op, "input_correction_bits", 0, 31)
    _option_in(op, "output_scale", 0, (1 << 32) - 1)


def _emit_log(op: Operator, ctx: LowerContext) -> EmittedOp:
    fields = {
        "num_channels": _tensor(op, ctx.graph, 0).shape[0],
        "output_scale": f"{_option(op, 'output_scale')}u",
        "input_correction_bits": f"{_option(op, 'input_correction_bits')}u",
    }
    params = ctx.params("mtvm_signal_filter_bank_log_params_t", fields)
    lut = ctx.const("log_lut", log_table())
    call = f"mtvm_signal_filter_bank_log(&{params}, {lut}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _check_pcan(op: Operator, graph: Graph) -> None:
    _check_arity(op, 3, 1)
    x, noise, lut = (_tensor(op, graph, k) for k in range(3))
    y = _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "uint32", 1)
    _check_type(op, noise, "noise estimate", "uint32", 1)
    _check_type(op, lut, "gain table", "int16", 1)
    _check_type(op, y, "output", "uint32", 1)
    if not x.shape[0] == noise.shape[0] == y.shape[0] or x.shape[0] < 1:
        raise UnsupportedError(
            f"{op.opcode}: input, noise estimate and output must have the same length >= 1; got "
            f"{x.shape[0]}, {noise.shape[0]} and {y.shape[0]}"
        )
    if lut.shape[0] < _PCAN_LUT_SIZE:
        raise UnsupportedError(
            f"{op.opcode}: the gain table has {lut.shape[0]} entries; it needs {_PCAN_LUT_SIZE} (4 per bit of a "
            "32-bit noise estimate, as TFLM's kWideDynamicFunctionLUTSize)"
        )
    _option_in(op, "snr_shift", 0, 63)


def _emit_pcan(op: Operator, ctx: LowerContext) -> EmittedOp:
    params = ctx.params(
        "mtvm_signal_pcan_params_t",
        {"num_channels": _tensor(op, ctx.graph, 0).shape[0], "snr_shift": _option(op, "snr_shift")},
    )
    args = ", ".join(ctx.buf(t) for t in op.inputs)
    return EmittedOp(call=f"mtvm_signal_pcan(&{params}, {args}, {ctx.buf(op.outputs[0])});")


# ---------------------------------------------------------------------------------------------
# Stateful operators: SignalFramer, SignalStacker, SignalDelay, SignalOverlapAdd,
# SignalFilterBankSpectralSubtraction


def _check_not_empty(op: Operator, *tensors: Tensor) -> None:
    for t in tensors:
        if _size(t) == 0:
            raise UnsupportedError(f"{op.opcode}: the tensor {t.name!r} is empty; empty tensors are not supported")


def _check_valid_output(op: Operator, graph: Graph) -> None:
    _check_type(op, _tensor(op, graph, 1, True), "valid output", "bool", 0)


def _check_framer(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 2)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "int16")
    _check_type(op, y, "output", "int16")
    _check_valid_output(op, graph)
    _check_not_empty(op, x)
    if len(x.shape) < 1:
        raise UnsupportedError(f"{op.opcode}: the input must have rank >= 1 (its innermost dimension is the stream)")
    size, step = _option_in(op, "frame_size", 1, 1 << 20), _option_in(op, "frame_step", 1, 1 << 20)
    if x.shape[-1] % step:
        raise UnsupportedError(
            f"{op.opcode}: the input's innermost dimension {x.shape[-1]} must be a multiple of frame_step {step}"
        )
    if _flag(op, "prefill") and size < step:
        raise UnsupportedError(
            f"{op.opcode}: prefill with frame_size {size} < frame_step {step} is not supported (TFLM would queue a "
            "negative number of zeros); use frame_size >= frame_step or no prefill"
        )
    expected = (*x.shape[:-1], x.shape[-1] // step, size)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"{op.opcode}: the output shape {list(y.shape)} must be {list(expected)}")


def _framer_params(op: Operator, graph: Graph) -> dict[str, int]:
    x = _tensor(op, graph, 0)
    size, step = _option(op, "frame_size"), _option(op, "frame_step")
    return {
        "rows": _size(x) // x.shape[-1],
        "n_frames": x.shape[-1] // step,
        "frame_size": size,
        "frame_step": step,
        "prefill": size - step if _flag(op, "prefill") else 0,
    }


def _framer_state(op: Operator, graph: Graph) -> np.ndarray:
    p = _framer_params(op, graph)
    capacity = -(-p["frame_size"] // p["frame_step"]) * p["frame_step"]  # mtvm_signal_framer_capacity
    return np.zeros(4 + 2 * p["rows"] * capacity, np.uint8)


def _emit_framer(op: Operator, ctx: LowerContext) -> EmittedOp:
    params = ctx.params("mtvm_signal_framer_params_t", _framer_params(op, ctx.graph))
    args = ", ".join(ctx.buf(t) for t in (op.inputs[0], *op.outputs))
    state = ctx.state(operator_state_key(op.index))
    return EmittedOp(call=f"mtvm_signal_framer(&{params}, {args}, {state});")


def _check_stacker(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 2)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "int16", 1)
    _check_type(op, y, "output", "int16", 1)
    _check_valid_output(op, graph)
    channels = _option_in(op, "num_channels", 1, 1 << 20)
    left = _option_in(op, "stacker_left_context", 0, 1 << 16)
    right = _option_in(op, "stacker_right_context", 0, 1 << 16)
    _option_in(op, "stacker_step", 1, left + right + 1)
    if x.shape[0] != channels or y.shape[0] != channels * (left + right + 1):
        raise UnsupportedError(
            f"{op.opcode}: with num_channels {channels} and {left + right + 1} frames of context the input must hold "
            f"{channels} values and the output {channels * (left + right + 1)}; got {x.shape[0]} and {y.shape[0]}"
        )


def _stacker_state(op: Operator, graph: Graph) -> np.ndarray:
    return np.zeros(8 + 2 * _tensor(op, graph, 0, True).shape[0], np.uint8)


def _emit_stacker(op: Operator, ctx: LowerContext) -> EmittedOp:
    fields = {
        "num_channels": _option(op, "num_channels"),
        "left_context": _option(op, "stacker_left_context"),
        "right_context": _option(op, "stacker_right_context"),
        "step": _option(op, "stacker_step"),
    }
    params = ctx.params("mtvm_signal_stacker_params_t", fields)
    args = ", ".join(ctx.buf(t) for t in (op.inputs[0], *op.outputs))
    state = ctx.state(operator_state_key(op.index))
    return EmittedOp(call=f"mtvm_signal_stacker(&{params}, {args}, {state});")


def _check_delay(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 1)
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", "int16")
    _check_type(op, y, "output", "int16")
    _check_not_empty(op, x)
    if len(x.shape) < 1 or tuple(y.shape) != tuple(x.shape):
        raise UnsupportedError(
            f"{op.opcode}: the input must have rank >= 1 and the output its shape; got {list(x.shape)} and "
            f"{list(y.shape)}"
        )
    _option_in(op, "delay_length", 0, 1 << 20)


def _delay_state(op: Operator, graph: Graph) -> np.ndarray:
    x = _tensor(op, graph, 0)
    return np.zeros(2 * (_size(x) // x.shape[-1]) * _option(op, "delay_length"), np.uint8)


def _emit_delay(op: Operator, ctx: LowerContext) -> EmittedOp:
    x = _tensor(op, ctx.graph, 0)
    delay = _option(op, "delay_length")
    if delay == 0:  # no state: the output is the input
        return EmittedOp(call=f"memcpy({ctx.buf(op.outputs[0])}, {ctx.buf(op.inputs[0])}, {x.nbytes});")
    fields = {"rows": _size(x) // x.shape[-1], "frame_size": x.shape[-1], "delay_length": delay}
    params = ctx.params("mtvm_signal_delay_params_t", fields)
    args = f"{ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])}, {ctx.state(operator_state_key(op.index))}"
    return EmittedOp(call=f"mtvm_signal_delay(&{params}, {args});", sources=("signal_delay.c",))


_OVERLAP_ADD_TYPES = {7: "int16", 0: "float32"}


def _check_overlap_add(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 1)
    code = _option(op, "T")
    if code not in _OVERLAP_ADD_TYPES:
        raise UnsupportedError(f"{op.opcode}: tensor type code T = {code} is not supported; use int16 or float32")
    dtype = _OVERLAP_ADD_TYPES[code]
    x, y = _tensor(op, graph, 0), _tensor(op, graph, 0, True)
    _check_type(op, x, "input", dtype)
    _check_type(op, y, "output", dtype)
    _check_not_empty(op, x)
    if len(x.shape) < 2:
        raise UnsupportedError(f"{op.opcode}: the input must have rank >= 2 (frames, frame samples)")
    step = _option_in(op, "frame_step", 1, x.shape[-1])
    expected = (*x.shape[:-2], x.shape[-2] * step)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"{op.opcode}: the output shape {list(y.shape)} must be {list(expected)}")


def _overlap_add_state(op: Operator, graph: Graph) -> np.ndarray:
    x = _tensor(op, graph, 0)
    return np.zeros(x.nbytes // x.shape[-2], np.uint8)  # one frame_size accumulator per row


def _emit_overlap_add(op: Operator, ctx: LowerContext) -> EmittedOp:
    x = _tensor(op, ctx.graph, 0)
    fields = {
        "rows": _size(x) // (x.shape[-1] * x.shape[-2]),
        "n_frames": x.shape[-2],
        "frame_size": x.shape[-1],
        "frame_step": _option(op, "frame_step"),
    }
    params = ctx.params("mtvm_signal_overlap_add_params_t", fields)
    suffix = _FFT_SUFFIX[x.dtype]
    args = f"{ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])}, {ctx.state(operator_state_key(op.index))}"
    return EmittedOp(
        call=f"mtvm_signal_overlap_add_{suffix}(&{params}, {args});",
        sources=(f"signal_overlap_add_{suffix}.c",),
    )


_SPECTRAL_WEIGHTS = (
    "smoothing", "one_minus_smoothing", "alternate_smoothing", "alternate_one_minus_smoothing", "min_signal_remaining",
)


def _check_spectral_subtraction(op: Operator, graph: Graph) -> None:
    _check_arity(op, 1, 2)
    x, y, noise = _tensor(op, graph, 0), _tensor(op, graph, 0, True), _tensor(op, graph, 1, True)
    _check_type(op, x, "input", "uint32", 1)
    _check_type(op, y, "output", "uint32", 1)
    _check_type(op, noise, "noise estimate output", "uint32", 1)
    channels = _option_in(op, "num_channels", 1, 1 << 20)
    if not x.shape[0] == y.shape[0] == noise.shape[0] == channels:
        raise UnsupportedError(
            f"{op.opcode}: input, output and noise estimate must hold num_channels = {channels} values; got "
            f"{x.shape[0]}, {y.shape[0]} and {noise.shape[0]}"
        )
    for name in _SPECTRAL_WEIGHTS:  # TFLM reads them as int32 and uses them as uint32
        _option_in(op, name, -(1 << 31), (1 << 31) - 1)
    _option_in(op, "smoothing_bits", 0, 31)
    _option_in(op, "spectral_subtraction_bits", 0, 63)
    _flag(op, "clamping")


def _spectral_subtraction_state(op: Operator, graph: Graph) -> np.ndarray:
    return np.zeros(4 * _option(op, "num_channels"), np.uint8)


def _emit_spectral_subtraction(op: Operator, ctx: LowerContext) -> EmittedOp:
    fields: dict[str, CValue] = {"num_channels": _option(op, "num_channels")}
    for name in _SPECTRAL_WEIGHTS:
        fields[name] = f"{_option(op, name) & 0xFFFFFFFF}u"
    fields["smoothing_bits"] = _option(op, "smoothing_bits")
    fields["spectral_subtraction_bits"] = _option(op, "spectral_subtraction_bits")
    fields["clamping"] = int(_flag(op, "clamping"))
    params = ctx.params("mtvm_signal_spectral_subtraction_params_t", fields)
    args = ", ".join(ctx.buf(t) for t in (op.inputs[0], *op.outputs))
    call = f"mtvm_signal_spectral_subtraction(&{params}, {args}, {ctx.state(operator_state_key(op.index))});"
    return EmittedOp(call=call)


# ---------------------------------------------------------------------------------------------


def _checked(
    check: Callable[[Operator, Graph], None], state: Callable[[Operator, Graph], np.ndarray]
) -> Callable[[Operator, Graph], np.ndarray]:
    """state_init runs for every operator of a model, also unsupported ones (microtvmc inspect):
    check first, so malformed operands raise UnsupportedError rather than break the arithmetic."""

    def state_init(op: Operator, graph: Graph) -> np.ndarray:
        check(op, graph)
        return state(op, graph)

    return state_init


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    sources: tuple[str, ...],
    dtypes: tuple[str, ...],
    scratch: Callable[[Operator, Graph], int] | None = None,
    state: Callable[[Operator, Graph], np.ndarray] | None = None,
) -> OpLowering:
    extra: dict = {"scratch_bytes": scratch} if scratch is not None else {}
    if state is not None:
        extra["state_init"] = _checked(check, state)
    return OpLowering(
        opcode=opcode, check=check, emit=emit, headers=HEADERS, sources=sources, dtypes=dtypes, **extra
    )


LOWERINGS: list[OpLowering] = [
    _lowering("SignalWindow", _check_window, _emit_window, ("signal_window.c",), ("int16",)),
    _lowering("SignalRfft", _check_fft, _emit_fft, (), ("int16", "int32", "float32"), _fft_scratch),
    _lowering("SignalIrfft", _check_fft, _emit_fft, (), ("int16", "int32", "float32"), _fft_scratch),
    _lowering("SignalEnergy", _check_energy, _emit_energy, ("signal_energy.c",), ("int16",)),
    _lowering("SignalFftAutoScale", _check_auto_scale, _emit_auto_scale, ("signal_fft_auto_scale.c",), ("int16",)),
    _lowering("SignalFilterBank", _check_filter_bank, _emit_filter_bank, ("signal_filter_bank.c",), ("uint32",)),
    _lowering("SignalFilterBankSquareRoot", _check_sqrt, _emit_sqrt, ("signal_filter_bank_sqrt.c",), ("uint64",)),
    _lowering("SignalFilterBankLog", _check_log, _emit_log, ("signal_filter_bank_log.c",), ("uint32",)),
    _lowering("SignalPCAN", _check_pcan, _emit_pcan, ("signal_pcan.c",), ("uint32",)),
    _lowering("SignalFramer", _check_framer, _emit_framer, ("signal_framer.c",), ("int16",), state=_framer_state),
    _lowering("SignalStacker", _check_stacker, _emit_stacker, ("signal_stacker.c",), ("int16",), state=_stacker_state),
    _lowering("SignalDelay", _check_delay, _emit_delay, (), ("int16",), state=_delay_state),
    _lowering(
        "SignalOverlapAdd", _check_overlap_add, _emit_overlap_add, (), ("int16", "float32"), state=_overlap_add_state
    ),
    _lowering(
        "SignalFilterBankSpectralSubtraction", _check_spectral_subtraction, _emit_spectral_subtraction,
        ("signal_spectral_subtraction.c",), ("uint32",), state=_spectral_subtraction_state,
    ),
]
