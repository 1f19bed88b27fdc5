"""16x8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED against LiteRT's reference kernels.

int16 activations (zero point 0) with int8 weights; the outputs must equal LiteRT's BUILTIN_REF
kernels bit for bit, on 3 seeds of inputs uniform over all of int16. What LiteRT 2.3.0 does (and
so do we; see ops/conv.py):
- CONV_2D / DEPTHWISE_CONV_2D with an int64 bias (or none): 64-bit accumulator, TFLite's 64-bit
  MultiplyByQuantizedMultiplier (multiplier rounded to 16 bits, one rounding shift);
- CONV_2D with an int32 bias and quantized_bias_type INT32: int32 accumulator, the 32-bit
  two-rounding MultiplyByQuantizedMultiplier;
- FULLY_CONNECTED: round(acc * scale) in double, per-tensor weights may have a zero point.
The power-of-two scale cases put many accumulators exactly on rounding ties, where those three
roundings disagree, so a kernel using the wrong one fails there.

To keep the file fast, each compiled model holds several independent operators (one graph input
and output each): one build per model, every seed runs them all. The DSP paths (SMLALD) run on
emulated Cortex-M4F, M7 and M33 cores in test_16x8_dsp_kernels_on_qemu.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest

from microtvm import mlf
from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import conv
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"
LOWERING = {lowering.opcode: lowering for lowering in conv.LOWERINGS}

Case = tuple[str, list[Optional[TensorSpec]], list[TensorSpec], dict[str, Any]]


# ---- model builders ------------------------------------------------------------------------------


def out_size(padding: str, size: int, filt: int, stride: int, dilation: int) -> int:
    effective = (filt - 1) * dilation + 1
    return -(-size // stride) if padding == "SAME" else (size - effective) // stride + 1


def _weight_scales(rng: np.random.Generator, channels: int, per_channel: bool, pow2: bool) -> list[float]:
    if pow2:  # exact products: many accumulators land on rounding ties
        return [2.0 ** -6] * channels
    scales = [float(np.float32(s)) for s in rng.uniform(0.002, 0.03, channels)]
    return scales if per_channel else scales[:1] * channels


def _pow2_output_scale(taps: int) -> float:
    """For the tie cases (weights in [-3, 3], scales 2^-6): an output scale making the effective
    scale 2^-k with outputs of about 8000, so that one accumulator in 2^k is a tie."""
    k = max(1, int(np.ceil(np.log2(2.0 * 18900.0 * np.sqrt(taps) / 8000.0))))
    return 2.0 ** (k - 12)


def _bias(rng: np.random.Generator, bias: Optional[str], channels: int, input_scale: float,
          scales: list[float], per_channel: bool) -> Optional[TensorSpec]:
    if bias is None:
        return None
    data = rng.integers(-3_000_000, 3_000_001, size=channels).astype(bias)
    b_scales = [float(np.float32(input_scale) * np.float32(s)) for s in scales]
    if per_channel:
        return TensorSpec([channels], bias, b_scales, [0] * channels, data=data)
    return TensorSpec([channels], bias, b_scales[0], 0, data=data)


def window_case(opcode: str, *, hw: tuple[int, int], channels: int, out_channels: int, kernel: tuple[int, int],
                stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1), padding: str = "SAME",
                activation: str = "NONE", per_channel: bool = True, bias: Optional[str] = "int64",
                bias_option: Optional[str] = None, batches: int = 1, groups: int = 1, pow2: bool = False,
                out_spread: float = 1.0, seed: int = 0) -> Case:
    """A 16x8 CONV_2D or DEPTHWISE_CONV_2D with random weights and bias."""
    rng = np.random.default_rng(seed)
    depthwise = opcode == "DEPTHWISE_CONV_2D"
    fh, fw = kernel
    if depthwise:
        w_shape, axis, taps = [1, fh, fw, out_channels], 3, fh * fw
    else:
        w_shape, axis, taps = [out_channels, fh, fw, channels // groups], 0, fh * fw * channels // groups
    oh = out_size(padding, hw[0], fh, stride[0], dilation[0])
    ow = out_size(padding, hw[1], fw, stride[1], dilation[1])
    input_scale = 2.0 ** -6 if pow2 else 0.00131
    scales = _weight_scales(rng, out_channels, per_channel, pow2)
    data = rng.integers(-3, 4, size=tuple(w_shape)) if pow2 else rng.integers(-127, 128, size=tuple(w_shape))
    data = data.astype(np.int8)
    weights = (TensorSpec(w_shape, "int8", scales, [0] * out_channels, axis, data=data) if per_channel
               else TensorSpec(w_shape, "int8", scales[0], 0, data=data))
    if pow2:
        out_scale = _pow2_output_scale(taps)
    else:  # spread a random dot product of `taps` terms over the int16 range
        out_scale = float(np.float32(input_scale * np.mean(scales) * 18000.0 * 74.0 * np.sqrt(taps) / 32768.0
                                     * out_spread))
    options: dict[str, Any] = {
        "padding": padding, "stride_h": stride[0], "stride_w": stride[1],
        "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
        "fused_activation_function": activation,
    }
    if depthwise:
        options["depth_multiplier"] = out_channels // channels
    if bias_option is not None:
        options["quantized_bias_type"] = bias_option
    return (opcode,
            [TensorSpec([batches, *hw, channels], "int16", input_scale, 0), weights,
             _bias(rng, bias, out_channels, input_scale, scales, per_channel)],
            [TensorSpec([batches, oh, ow, out_channels], "int16", out_scale, 0)], options)


def fc_case(*, input_shape: Sequence[int], units: int, per_channel: bool = False, bias: Optional[str] = "int64",
            bias_option: Optional[str] = None, weight_zero_point: int = 0, activation: str = "NONE",
            keep_num_dims: bool = False, pow2: bool = False, full_range_weights: bool = False,
            seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    depth = input_shape[-1]
    batches = int(np.prod(input_shape)) // depth
    out_shape = [*input_shape[:-1], units] if keep_num_dims else [batches, units]
    input_scale = 2.0 ** -6 if pow2 else 0.00131
    scales = _weight_scales(rng, units, per_channel, pow2)
    low = -128 if full_range_weights else -127
    data = rng.integers(-3, 4, size=(units, depth)) if pow2 else rng.integers(low, 128, size=(units, depth))
    data = data.astype(np.int8)
    if full_range_weights:
        data[:, ::2] = -128  # with inputs of -32768, products of +2^22: accumulators beyond int32
    weights = (TensorSpec([units, depth], "int8", scales, [0] * units, 0, data=data) if per_channel
               else TensorSpec([units, depth], "int8", scales[0], weight_zero_point, data=data))
    if pow2:
        out_scale = _pow2_output_scale(depth)
    else:
        out_scale = float(np.float32(input_scale * np.mean(scales) * 18000.0 * 74.0 * np.sqrt(depth) / 32768.0))
    options: dict[str, Any] = {"fused_activation_function": activation, "keep_num_dims": keep_num_dims}
    if bias_option is not None:
        options["quantized_bias_type"] = bias_option
    return ("FULLY_CONNECTED",
            [TensorSpec(list(input_shape), "int16", input_scale, 0), weights,
             _bias(rng, bias, units, input_scale, scales, per_channel)],
            [TensorSpec(out_shape, "int16", out_scale, 0)], options)


def multi_model(cases: Sequence[Case]) -> bytes:
    """Independent operators in one model: each case's data input and output are graph I/O."""
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    inputs: list[int] = []
    outputs: list[int] = []
    for k, (opcode, op_inputs, op_outputs, options) in enumerate(cases):
        while op_inputs and op_inputs[-1] is None:
            op_inputs = op_inputs[:-1]
        indices = []
        for j, spec in enumerate(op_inputs):
            if spec is None:
                indices.append(-1)
                continue
            spec = TensorSpec(spec.shape, spec.dtype, spec.scale, spec.zero_point, spec.quantized_dimension,
                              spec.data, f"op{k}_in{j}")
            if spec.data is None:
                inputs.append(len(tensors))
            indices.append(len(tensors))
            tensors.append(spec)
        out_indices = []
        for j, spec in enumerate(op_outputs):
            out_indices.append(len(tensors))
            outputs.append(len(tensors))
            tensors.append(TensorSpec(spec.shape, spec.dtype, spec.scale, spec.zero_point, name=f"op{k}_out{j}"))
        ops.append(OpSpec(opcode, indices, out_indices, dict(options)))
    return build_model(tensors, ops, inputs, outputs)


# ---- the cases ------------------------------------------------------------------------------------

CONV_INT64 = [
    dict(hw=(7, 6), channels=3, out_channels=5, kernel=(3, 3), activation="RELU"),
    dict(hw=(7, 6), channels=8, out_channels=5, kernel=(3, 3), stride=(2, 2), padding="VALID", per_channel=False),
    dict(hw=(8, 9), channels=4, out_channels=6, kernel=(3, 2), stride=(2, 2), dilation=(2, 2), activation="RELU6"),
    dict(hw=(5, 5), channels=7, out_channels=3, kernel=(1, 1), padding="VALID", activation="RELU_N1_TO_1"),
    dict(hw=(5, 4), channels=12, out_channels=9, kernel=(1, 1), stride=(2, 2), batches=2),
    dict(hw=(6, 5), channels=8, out_channels=6, kernel=(3, 3), dilation=(2, 2), groups=2),
    dict(hw=(4, 3), channels=2, out_channels=3, kernel=(5, 3), batches=2),
    dict(hw=(9, 8), channels=5, out_channels=4, kernel=(2, 3), stride=(3, 1), dilation=(1, 2)),
    dict(hw=(6, 6), channels=16, out_channels=4, kernel=(3, 3), pow2=True),
    dict(hw=(12, 6), channels=1, out_channels=6, kernel=(10, 4), stride=(2, 2), activation="RELU"),
    dict(hw=(1, 1), channels=9, out_channels=2, kernel=(1, 1), out_spread=0.02),  # saturates
]

CONV_INT32 = [
    dict(hw=(7, 6), channels=3, out_channels=5, kernel=(3, 3), activation="RELU6"),
    dict(hw=(6, 7), channels=8, out_channels=4, kernel=(3, 3), stride=(2, 1), padding="VALID", per_channel=False),
    dict(hw=(6, 6), channels=16, out_channels=4, kernel=(3, 3), pow2=True),
    dict(hw=(5, 5), channels=6, out_channels=4, kernel=(2, 2), dilation=(2, 2), groups=2, batches=2),
]

DEPTHWISE = [
    dict(hw=(7, 6), channels=3, out_channels=3, kernel=(3, 3), activation="RELU"),
    dict(hw=(8, 7), channels=4, out_channels=8, kernel=(3, 3), stride=(2, 2), padding="VALID"),
    dict(hw=(6, 9), channels=5, out_channels=15, kernel=(2, 3), dilation=(2, 1), activation="RELU6", batches=2),
    dict(hw=(5, 5), channels=8, out_channels=8, kernel=(5, 5), stride=(3, 2), per_channel=False, bias=None),
    dict(hw=(6, 6), channels=4, out_channels=4, kernel=(3, 3), pow2=True, activation="RELU_N1_TO_1"),
    dict(hw=(1, 1), channels=2, out_channels=2, kernel=(1, 1)),
]

FULLY_CONNECTED = [
    dict(input_shape=[1, 16], units=8),
    dict(input_shape=[3, 16], units=8, per_channel=True, activation="RELU"),
    dict(input_shape=[2, 3, 10], units=7, keep_num_dims=True, bias=None, weight_zero_point=4, activation="RELU6"),
    dict(input_shape=[2, 3, 10], units=7, per_channel=True, activation="RELU_N1_TO_1"),
    dict(input_shape=[1, 2, 2, 6], units=5, weight_zero_point=-3),
    dict(input_shape=[4, 33], units=5, bias="int32", bias_option="INT32", per_channel=True),
    dict(input_shape=[2, 9], units=3, bias="int32", bias_option="INT32"),
    dict(input_shape=[6, 40], units=8, pow2=True, per_channel=True),
    dict(input_shape=[6, 24], units=4, pow2=True, bias="int32", bias_option="INT32"),
    dict(input_shape=[1, 7], units=3, bias=None, bias_option="INT32"),
]


def _cases(opcode: str, grid: Sequence[dict], **extra: Any) -> list[Case]:
    return [window_case(opcode, seed=k, **{**grid_case, **extra}) for k, grid_case in enumerate(grid)]


def _fc_cases() -> list[Case]:
    return [fc_case(seed=k, **c) for k, c in enumerate(FULLY_CONNECTED)]


def test_conv2d_16x8_int64_bias(tmp_path: Path) -> None:
    assert_matches_reference(multi_model(_cases("CONV_2D", CONV_INT64)), workdir=tmp_path)


def test_conv2d_16x8_int32_bias(tmp_path: Path) -> None:
    model = multi_model(_cases("CONV_2D", CONV_INT32, bias="int32", bias_option="INT32"))
    assert_matches_reference(model, workdir=tmp_path)


def test_depthwise_conv2d_16x8(tmp_path: Path) -> None:
    assert_matches_reference(multi_model(_cases("DEPTHWISE_CONV_2D", DEPTHWISE)), workdir=tmp_path)


def test_fully_connected_16x8(tmp_path: Path) -> None:
    assert_matches_reference(multi_model(_fc_cases()), workdir=tmp_path)


def test_int32_accumulators_wrap_like_litert(tmp_path: Path) -> None:
    """With an int32 bias LiteRT accumulates in int32: sums beyond it wrap (here for every
    output: weights of -128 on every other input of -32768). Ours wraps the 64-bit sum once."""
    case = fc_case(input_shape=[2, 600], units=3, bias="int32", bias_option="INT32", full_range_weights=True)
    model = multi_model([case])
    host = build(model, tmp_path)
    x = np.full((2, 600), -32768, np.int16)
    x[1, 1::2] = 32767
    for inputs in ([x], random_inputs(model, 0)):
        np.testing.assert_array_equal(host.run(inputs)[0], run_reference(model, inputs)[0])


@pytest.mark.parametrize("bias_option", [None, "INT32"])
def test_conv2d_16x8_without_bias(bias_option: Optional[str], tmp_path: Path) -> None:
    """LiteRT's CONV_2D refuses a missing bias (TFLite Micro accepts it): ours, without bias,
    must equal LiteRT with an all-zero bias of the type quantized_bias_type names."""
    bias_type = "int32" if bias_option else "int64"
    cases = [window_case("CONV_2D", hw=(6, 5), channels=c, out_channels=4, kernel=(3, 3), bias=None,
                         bias_option=bias_option, pow2=pow2, seed=c) for c, pow2 in ((3, False), (8, True))]
    ours = multi_model(cases)
    zero = [(opcode, [ins[0], ins[1], TensorSpec([4], bias_type, 1e-6, 0, data=np.zeros(4, bias_type))], outs, opts)
            for opcode, ins, outs, opts in cases]
    reference = multi_model(zero)
    host = build(ours, tmp_path)
    for seed in (0, 1, 2):
        inputs = random_inputs(reference, seed)
        for actual, expected in zip(host.run(inputs), run_reference(reference, inputs)):
            np.testing.assert_array_equal(actual, expected)


def test_16x8_ships_only_its_kernels() -> None:
    cases = _cases("DEPTHWISE_CONV_2D", DEPTHWISE[:1]) + [fc_case(input_shape=[1, 4], units=2)]
    files = compile_model(multi_model(cases), "m.tflite")
    sources = {path for path in files if path.startswith("runtime/src/")}
    assert sources == {"runtime/src/depthwise_conv_s16.c", "runtime/src/fully_connected_s16.c"}


def test_quad_order() -> None:
    rows = np.arange(2 * 7, dtype=np.int8).reshape(2, 7)
    assert conv.quad_order(rows).tolist() == [[0, 2, 1, 3, 4, 5, 6], [7, 9, 8, 10, 11, 12, 13]]


def test_dtypes() -> None:
    for lowering in conv.LOWERINGS:
        assert lowering.dtypes == ("int8", "int16", "float32")


# ---- what we reject ----------------------------------------------------------------------------------


def _check(case: Case) -> None:
    model = single_op_model(case[0], case[1], case[2], case[3])
    graph = read_tflite(model, "model.tflite")
    op = graph.operators[0]
    LOWERING[op.opcode].check(op, graph)


def test_rejects_int32_bias_without_its_option() -> None:
    """LiteRT reads an int32 bias as int64 unless quantized_bias_type is INT32."""
    for case in (window_case("CONV_2D", hw=(4, 4), channels=2, out_channels=2, kernel=(3, 3), bias="int32"),
                 fc_case(input_shape=[1, 4], units=2, bias="int32")):
        with pytest.raises(UnsupportedError, match="quantized_bias_type INT32"):
            _check(case)
    with pytest.raises(UnsupportedError, match="bias is int64 but quantized_bias_type says INT32"):
        _check(fc_case(input_shape=[1, 4], units=2, bias="int64", bias_option="INT32"))


def test_rejects_int32_bias_on_depthwise() -> None:
    case = window_case("DEPTHWISE_CONV_2D", hw=(4, 4), channels=2, out_channels=2, kernel=(3, 3), bias="int32")
    with pytest.raises(UnsupportedError, match="needs an int64 bias"):
        _check(case)


@pytest.mark.parametrize("which", [0, 2])
def test_rejects_int16_zero_points(which: int) -> None:
    opcode, inputs, outputs, options = fc_case(input_shape=[1, 4], units=2)
    spec = inputs[0] if which == 0 else outputs[0]
    spec.zero_point = 3
    with pytest.raises(UnsupportedError, match="zero point of 0 on the (input|output)"):
        _check((opcode, inputs, outputs, options))


def test_rejects_asymmetric_weights() -> None:
    opcode, inputs, outputs, options = window_case("CONV_2D", hw=(4, 4), channels=2, out_channels=2, kernel=(3, 3),
                                                   per_channel=False)
    inputs[1].zero_point = 2
    with pytest.raises(UnsupportedError, match="symmetric"):
        _check((opcode, inputs, outputs, options))


def test_rejects_int16_bias() -> None:
    opcode, inputs, outputs, options = fc_case(input_shape=[1, 4], units=2, bias="int16")
    with pytest.raises(UnsupportedError, match="bias int16.*supported"):
        _check((opcode, inputs, outputs, options))


# ---- the Cortex-M DSP paths, on emulated cores --------------------------------------------------------

QEMU_CORES = {
    "cortex-m4": ("mps2-an386", ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), 0x0, 0x20000000),
    "cortex-m7": ("mps2-an500", ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"), 0x0, 0x20000000),
    "cortex-m33": ("mps2-an505", ("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"), 0x10000000, 0x38000000),
}

# Just enough of a firmware: a vector table, a reset handler that zeroes .bss, enables the FPU
# and calls main(), and semihosting to print and exit.
_BARE_METAL_C = r"""
#include <stdint.h>
extern uint32_t __bss_start__[], __bss_end__[], __stack_top__[];
int main(void);
static uint32_t semihost(uint32_t op, uint32_t arg) {
  register uint32_t r0 __asm__("r0") = op;
  register uint32_t r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
void bare_print(const char* text) { semihost(0x04u, (uint32_t)text); }
static void bare_exit(void) { semihost(0x18u, 0x20026u); for (;;) {} }
static void fault(void) { bare_print("FAULT\n"); bare_exit(); }
static void reset(void) {
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t* p = __bss_start__; p < __bss_end__; ++p) *p = 0;
  main();
  bare_exit();
}
__attribute__((section(".vectors"), used)) static void (*const vectors[8])(void) = {
    (void (*)(void))__stack_top__, reset, fault, fault, fault, fault, fault, fault};
"""


def _linker_script(flash: int, ram: int) -> str:
    return f"""
MEMORY {{ FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = 4M  RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = 4M }}
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text .text.*) *(.rodata .rodata.*) }} > FLASH
  .data : {{ *(.data .data.*) }} > RAM AT > FLASH
  .bss (NOLOAD) : {{ __bss_start__ = .; *(.bss .bss.*) *(COMMON) . = ALIGN(4); __bss_end__ = .; }} > RAM
  __stack_top__ = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


def _qemu_main(name: str, module: dict, runs: list[tuple[list[np.ndarray], list[np.ndarray]]]) -> str:
    """main(): the module on every run's inputs; prints a line per mismatching run, then "done"."""
    lines = ["#include <stdint.h>", f'#include "tvmgen_{name}.h"', "void bare_print(const char* text);"]
    ctype = {"int16": "int16_t", "int8": "int8_t"}
    body = []
    for j, t in enumerate(module["inputs"]):
        lines.append(f"static {ctype[t['dtype']]} in{j}[{t['size'] // 2}] __attribute__((aligned(16)));")
    for j, t in enumerate(module["outputs"]):
        lines.append(f"static {ctype[t['dtype']]} out{j}[{t['size'] // 2}] __attribute__((aligned(16)));")
    ins = ", ".join(f".{t['c_name']} = in{j}" for j, t in enumerate(module["inputs"]))
    outs = ", ".join(f".{t['c_name']} = out{j}" for j, t in enumerate(module["outputs"]))
    for k, (xs, ys) in enumerate(runs):
        for j, x in enumerate(xs):
            lines.append(f"static const int16_t x{k}_{j}[] = {{{', '.join(str(int(v)) for v in x.ravel())}}};")
        for j, y in enumerate(ys):
            lines.append(f"static const int16_t y{k}_{j}[] = {{{', '.join(str(int(v)) for v in y.ravel())}}};")
        body.append("  {")
        for j, x in enumerate(xs):
            body.append(f"    for (int i = 0; i < {x.size}; ++i) in{j}[i] = x{k}_{j}[i];")
        body.append(f"    struct tvmgen_{name}_inputs in = {{{ins}}};")
        body.append(f"    struct tvmgen_{name}_outputs out = {{{outs}}};")
        body.append(f"    int bad = tvmgen_{name}_run(&in, &out) != 0;")
        for j, y in enumerate(ys):
            body.append(f"    for (int i = 0; i < {y.size}; ++i) bad |= out{j}[i] != y{k}_{j}[i];")
        body.append(f'    if (bad) bare_print("run {k} mismatches\\n");')
        body.append("  }")
    return "\n".join(lines + ["int main(void) {"] + body + ['  bare_print("done\\n");', "  return 0;", "}", ""])


@pytest.fixture(scope="module")
def dsp_goldens() -> tuple[bytes, list]:
    """The CONV_2D and FULLY_CONNECTED cases (the kernels with a DSP path) in one model, with
    LiteRT's outputs for two seeds."""
    cases = (_cases("CONV_2D", CONV_INT64[:6] + CONV_INT64[8:9])
             + _cases("CONV_2D", CONV_INT32[1:3], bias="int32", bias_option="INT32") + _fc_cases())
    model = multi_model(cases)
    runs = []
    for seed in (0, 1):
        inputs = random_inputs(model, seed)
        runs.append((inputs, run_reference(model, inputs)))
    return model, runs


@pytest.mark.parametrize("core", sorted(QEMU_CORES))
def test_16x8_dsp_kernels_on_qemu(core: str, dsp_goldens: tuple, tmp_path: Path) -> None:
    """The 16x8 CONV_2D and FULLY_CONNECTED cases on emulated Cortex-M4F, M7 and M33 (the SMLALD
    paths, -O2), bit for bit against LiteRT."""
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if gcc is None or qemu is None:
        if os.environ.get("TEST_SRCDIR"):  # under Bazel both are in the build root
            pytest.fail("arm-none-eabi-gcc and qemu-system-arm must be on PATH")
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not on PATH (they are in the Bazel build root)")
    machine, cpu_flags, flash, ram = QEMU_CORES[core]
    model, runs = dsp_goldens
    name = "conv16"
    files = compile_model(model, f"{name}.tflite", CompileOptions(module_name=name, target_cpu=core))
    tree = tmp_path / name
    mlf.write_dir(files, tree)
    module = json.loads(files["metadata.json"])["modules"][name]
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    assert {s.name for s in sources} >= {"conv_s16.c", "fully_connected_s16.c"}
    (tmp_path / "main.c").write_text(_qemu_main(name, module, runs))
    (tmp_path / "bare_metal.c").write_text(_BARE_METAL_C)
    (tmp_path / "link.ld").write_text(_linker_script(flash, ram))
    elf = tmp_path / "conv16.elf"
    command = [gcc, "-mthumb", *cpu_flags, "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
               "-ffunction-sections", "-fdata-sections", f"-I{tree / 'runtime/include'}",
               f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}", *map(str, sources),
               str(tmp_path / "main.c"), str(tmp_path / "bare_metal.c"), "-nostartfiles", "--specs=nano.specs",
               "--specs=nosys.specs", "-Wl,--gc-sections", "-T", str(tmp_path / "link.ld"), "-lm", "-o", str(elf)]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    disassembly = subprocess.run([gcc.replace("gcc", "objdump"), "-d", str(elf)], capture_output=True, text=True)
    if disassembly.returncode == 0:
        assert "smlald" in disassembly.stdout, "the DSP path was not compiled"
    ran = subprocess.run([qemu, "-M", machine, "-nographic", "-monitor", "none", "-semihosting-config",
                          "enable=on,target=native", "-kernel", str(elf)], capture_output=True, text=True, timeout=120)
    console = ran.stdout + ran.stderr  # QEMU writes semihosting output to either
    assert "done\n" in console and "mismatches" not in console and "FAULT" not in console, f"{core}: {console}"


def _compilers() -> list[str]:
    names = {os.environ.get("CC") or "gcc", "gcc", "clang"}
    return sorted(name for name in names if shutil.which(name.split()[0]))


@pytest.mark.parametrize("cc", _compilers())
def test_16x8_sources_compile_strictly(cc: str, tmp_path: Path) -> None:
    for source in ("conv_s16.c", "depthwise_conv_s16.c", "fully_connected_s16.c"):
        command = [*cc.split(), "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-c",
                   f"-I{RUNTIME / 'include'}", str(RUNTIME / "src" / source), "-o", str(tmp_path / "out.o")]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
