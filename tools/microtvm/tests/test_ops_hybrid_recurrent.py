"""Hybrid (dynamic-range quantized) UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF: float32 input, state
and output with int8 weights, against LiteRT's reference kernels over sequences of invocations
(the state persisting on both sides), 3 seeds per compiled model.

Tolerance: none, the outputs must be the same floats (rtol = atol = 0). The kernels repeat
LiteRT's on-the-fly quantization, integer products and float operations in order and precision,
Eigen's tanh and sigmoid included, and on the host both sides take expf from the same C library.
A tolerance would hide exactly the errors that matter here: a last-bit difference in the state
mostly stays below 1e-6, but sometimes moves a quantized value across a rounding boundary at the
next step and changes the outputs by a whole quantization step.

Grids (several independent operators per compiled model, each with its own state): LSTM
symmetric and asymmetric inputs x batch major / time major x CIFG, peephole, layer norm,
projection with and without bias, cell_clip, proj_clip, the fused activations (NONE, where
LiteRT's hidden state is the output gate times the cell gate, RELU, RELU6, RELU_N1_TO_1,
SIGN_BIT, TANH), cell counts that put the sigmoid's aligned groups at every phase, input sizes
below and above LiteRT's 8-wide quantization groups, and a model as TensorFlow's converter
writes it; SVDF symmetric and asymmetric, ranks 1-3, memory sizes around LiteRT's 4-wide
partial sums, with and without bias, every activation. Error paths: what LiteRT cannot compute
(or would compute with another meaning) says so.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import random_input_sequence, run_reference_sequence
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model

RTOL = 0.0
ATOL = 0.0
STEPS = 4  # invocations per seed


def _multi_op_model(ops: Sequence[tuple[str, Sequence[TensorSpec | None], TensorSpec, dict]]) -> bytes:
    """Independent operators in one model (one build for all): each (opcode, inputs, output,
    options); inputs without data that are not variable become graph inputs, None is absent."""
    tensors: list[TensorSpec] = []
    specs, graph_inputs, graph_outputs = [], [], []
    for k, (opcode, inputs, output, options) in enumerate(ops):
        indices = []
        for j, spec in enumerate(inputs):
            if spec is None:
                indices.append(-1)
                continue
            if spec.data is None and not spec.is_variable:
                graph_inputs.append(len(tensors))
            spec.name = spec.name or f"op{k}_in{j}"
            indices.append(len(tensors))
            tensors.append(spec)
        output.name = output.name or f"op{k}_out"
        graph_outputs.append(len(tensors))
        specs.append(OpSpec(opcode, indices, [len(tensors)], options))
        tensors.append(output)
    return build_model(tensors, specs, graph_inputs, graph_outputs)


def _int8(rng: np.random.Generator, shape: Sequence[int], real_rms: float) -> TensorSpec:
    """int8 weights uniform over [-127, 127] with a scale giving about real_rms per element."""
    data = rng.integers(-127, 128, size=tuple(shape)).astype(np.int8)
    return TensorSpec(list(shape), "int8", scale=float(real_rms / 73.3), zero_point=0, data=data)


def _floats(rng: np.random.Generator, n: int, mean: float = 0.0, rms: float = 0.5) -> TensorSpec:
    return TensorSpec([n], "float32", data=(mean + rms * rng.standard_normal(n)).astype(np.float32))


# ---------------------------------------------------------------------------------------------
# UNIDIRECTIONAL_SEQUENCE_LSTM


def _lstm(
    n_batch: int,
    n_time: int,
    n_input: int,
    n_cell: int,
    n_output: int | None = None,
    *,
    time_major: bool = False,
    asymmetric: bool = False,
    cifg: bool = False,
    peephole: bool = False,
    layer_norm: bool = False,
    projection: bool = False,
    projection_bias: bool = False,
    activation: str = "TANH",
    cell_clip: float = 0.0,
    proj_clip: float = 0.0,
    seed: int = 0,
) -> tuple[str, list[TensorSpec | None], TensorSpec, dict]:
    """One hybrid LSTM operator: (opcode, 24 inputs, output, options) for _multi_op_model."""
    rng = np.random.default_rng(seed)
    n_output = n_cell if n_output is None else n_output
    specs: list[TensorSpec | None] = [None] * 24
    shape_in = [n_time, n_batch, n_input] if time_major else [n_batch, n_time, n_input]
    shape_out = [n_time, n_batch, n_output] if time_major else [n_batch, n_time, n_output]
    specs[0] = TensorSpec(shape_in, "float32")
    for g in range(4):
        if g == 0 and cifg:
            continue
        specs[1 + g] = _int8(rng, (n_cell, n_input), 1.2 / np.sqrt(n_input))
        specs[5 + g] = _int8(rng, (n_cell, n_output), 1.2 / np.sqrt(n_output))
        specs[12 + g] = _floats(rng, n_cell)
        if layer_norm:
            specs[20 + g] = _floats(rng, n_cell, mean=1.0, rms=0.3)
    if peephole:
        for position in (9, 10, 11):
            if position != 9 or not cifg:
                specs[position] = _int8(rng, (n_cell,), 0.4)
    if projection:
        specs[16] = _int8(rng, (n_output, n_cell), 1.5 / np.sqrt(n_cell))
        if projection_bias:
            specs[17] = _floats(rng, n_output, rms=0.2)
    specs[18] = TensorSpec([n_batch, n_output], "float32", is_variable=True)
    specs[19] = TensorSpec([n_batch, n_cell], "float32", is_variable=True)
    options = {
        "fused_activation_function": activation,
        "cell_clip": cell_clip,
        "proj_clip": proj_clip,
        "time_major": time_major,
        "asymmetric_quantize_inputs": asymmetric,
    }
    return ("UNIDIRECTIONAL_SEQUENCE_LSTM", specs, TensorSpec(shape_out, "float32"), options)


# Each group is one compiled model of independent LSTMs (cell counts 5, 6, 7, 9, 10: the
# sigmoid's aligned groups fall at every phase of the gate buffers; input sizes below, at and
# above LiteRT's 8-wide quantization groups).
LSTM_GROUPS = {
    "basic": [
        dict(n_batch=1, n_time=3, n_input=5, n_cell=6),
        dict(n_batch=2, n_time=2, n_input=9, n_cell=7, asymmetric=True),
        dict(n_batch=3, n_time=2, n_input=8, n_cell=5, time_major=True),
        dict(n_batch=2, n_time=3, n_input=17, n_cell=10, time_major=True, asymmetric=True),
        dict(n_batch=1, n_time=1, n_input=1, n_cell=1),
        dict(n_batch=1, n_time=2, n_input=1, n_cell=1, asymmetric=True),
    ],
    "cifg_peephole_clip": [
        dict(n_batch=2, n_time=3, n_input=6, n_cell=7, cifg=True, peephole=True),
        dict(n_batch=2, n_time=2, n_input=11, n_cell=9, peephole=True, asymmetric=True, cell_clip=0.7),
        dict(n_batch=3, n_time=2, n_input=4, n_cell=6, cifg=True, time_major=True, asymmetric=True, cell_clip=1.5),
        dict(n_batch=2, n_time=2, n_input=5, n_cell=5, peephole=True, time_major=True),
    ],
    "projection": [
        dict(n_batch=2, n_time=2, n_input=6, n_cell=8, n_output=5, projection=True, proj_clip=0.4),
        dict(n_batch=2, n_time=3, n_input=9, n_cell=7, n_output=11, projection=True, projection_bias=True,
             asymmetric=True),
        dict(n_batch=3, n_time=2, n_input=5, n_cell=6, n_output=4, projection=True, projection_bias=True,
             time_major=True, asymmetric=True, proj_clip=0.3),
        dict(n_batch=1, n_time=2, n_input=3, n_cell=5, n_output=3, projection=True, cifg=True, peephole=True),
    ],
    "layer_norm": [
        dict(n_batch=2, n_time=3, n_input=6, n_cell=7, layer_norm=True),
        dict(n_batch=2, n_time=2, n_input=10, n_cell=6, layer_norm=True, asymmetric=True, time_major=True),
        dict(n_batch=1, n_time=3, n_input=5, n_cell=9, n_output=6, layer_norm=True, cifg=True, peephole=True,
             projection=True, projection_bias=True, asymmetric=True, cell_clip=1.0, proj_clip=0.8),
        dict(n_batch=3, n_time=2, n_input=4, n_cell=5, n_output=7, layer_norm=True, peephole=True,
             projection=True, time_major=True),
    ],
    "activations": [
        dict(n_batch=2, n_time=2, n_input=5, n_cell=6, activation="NONE"),
        dict(n_batch=2, n_time=2, n_input=5, n_cell=6, activation="RELU", asymmetric=True),
        dict(n_batch=2, n_time=2, n_input=5, n_cell=7, activation="RELU6", time_major=True),
        dict(n_batch=1, n_time=3, n_input=5, n_cell=5, activation="RELU_N1_TO_1", asymmetric=True),
        dict(n_batch=2, n_time=2, n_input=4, n_cell=6, activation="SIGN_BIT", cifg=True),
        dict(n_batch=1, n_time=2, n_input=4, n_cell=5, n_output=3, activation="NONE", projection=True,
             asymmetric=True),
    ],
    "converter_sized": [  # the converter's shapes: 40 inputs, 32 cells, asymmetric, cell_clip 10
        dict(n_batch=1, n_time=4, n_input=40, n_cell=32, asymmetric=True, cell_clip=10.0),
        dict(n_batch=2, n_time=2, n_input=33, n_cell=20, n_output=12, projection=True, projection_bias=True),
    ],
}


def _lstm_group(name: str) -> bytes:
    base = sorted(LSTM_GROUPS).index(name) * 100
    return _multi_op_model([_lstm(**case, seed=base + k) for k, case in enumerate(LSTM_GROUPS[name])])


@pytest.mark.parametrize("name", sorted(LSTM_GROUPS))
def test_lstm_hybrid(tmp_path: Path, name: str) -> None:
    assert_matches_reference(_lstm_group(name), steps=STEPS, rtol=RTOL, atol=ATOL, workdir=tmp_path)


def test_lstm_hybrid_stack(tmp_path: Path) -> None:
    """Two hybrid LSTMs in a row (the second quantizes what the first computed), then a float
    FULLY_CONNECTED: a converter-like stack with one state per layer."""
    _, l1, o1, opt1 = _lstm(1, 5, 12, 10, asymmetric=True, seed=51)
    _, l2, o2, opt2 = _lstm(1, 5, 10, 8, asymmetric=True, peephole=True, seed=52)
    tensors: list[TensorSpec] = []

    def add(spec: TensorSpec | None) -> int:
        if spec is None:
            return -1
        spec.name = spec.name or f"t{len(tensors)}"
        tensors.append(spec)
        return len(tensors) - 1

    inputs1 = [add(spec) for spec in l1]
    out1 = add(o1)
    inputs2 = [out1] + [add(spec) for spec in l2[1:]]
    out2 = add(o2)
    ops = [OpSpec("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs1, [out1], opt1),
           OpSpec("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs2, [out2], opt2)]
    model = build_model(tensors, ops, inputs=[0], outputs=[out2])
    assert_matches_reference(model, steps=STEPS, rtol=RTOL, atol=ATOL, workdir=tmp_path)


def test_outputs_are_bit_exact(tmp_path: Path) -> None:
    """Equal floats, not merely close: a group with every variant over a longer sequence and
    inputs that exercise the quantizers' edge cases (all-zero steps, which LiteRT skips, exact
    .5 ties, one non-zero value)."""
    model = _multi_op_model([
        _lstm(2, 3, 9, 7, asymmetric=True, peephole=True, layer_norm=True, seed=61),
        _lstm(2, 3, 8, 6, n_output=5, projection=True, projection_bias=True, time_major=True, seed=62),
        _lstm(1, 2, 16, 9, cifg=True, asymmetric=True, activation="NONE", seed=63),
    ])
    host = build(model, tmp_path)
    sequence = random_input_sequence(model, 7, 6)
    ties = np.array([0.5, -0.5, 1.5, -2.5, 0.0, 3.0, -1.0, 2.0, 0.25], np.float32)
    for t, step in enumerate(sequence):
        for k, x in enumerate(step):
            if t == 1:
                x[...] = 0.0  # LiteRT skips the input product
            elif t == 2:
                x[...] = np.resize(ties, x.shape)
            elif t == 3:
                x[...] = 0.0
                x.reshape(-1)[k] = 4.0
    expected = run_reference_sequence(model, sequence)
    for t, (ours, theirs) in enumerate(zip(host.run_sequence(sequence), expected)):
        for k, (a, b) in enumerate(zip(ours, theirs)):
            np.testing.assert_array_equal(a, b, err_msg=f"invocation {t}, output {k}")


CONVERTED = Path(__file__).absolute().parents[3] / "models" / "converted"


def test_converted_hybrid_lstm_over_a_sequence(tmp_path: Path) -> None:
    """Two stacked Keras LSTMs converted by TensorFlow with dynamic-range quantization (hybrid
    UNIDIRECTIONAL_SEQUENCE_LSTMs, asymmetric inputs): state kept over a sequence."""
    model = (CONVERTED / "wakeword_lstm_hybrid.tflite").read_bytes()
    assert_matches_reference(model, steps=STEPS, rtol=RTOL, atol=ATOL, workdir=tmp_path)


# ---------------------------------------------------------------------------------------------
# SVDF


def _svdf(
    batch: int,
    n_in: int,
    units: int,
    rank: int,
    memory: int,
    *,
    bias: bool = True,
    asymmetric: bool = False,
    activation: str = "NONE",
    seed: int = 0,
) -> tuple[str, list[TensorSpec | None], TensorSpec, dict]:
    rng = np.random.default_rng(seed)
    filters = units * rank
    inputs = [
        TensorSpec([batch, n_in], "float32"),
        _int8(rng, (filters, n_in), 1.0 / np.sqrt(n_in)),
        _int8(rng, (filters, memory), 0.6),
        _floats(rng, units) if bias else None,
        TensorSpec([batch, memory * filters], "float32", is_variable=True),
    ]
    options = {"rank": rank, "fused_activation_function": activation, "asymmetric_quantize_inputs": asymmetric}
    return ("SVDF", inputs, TensorSpec([batch, units], "float32"), options)


SVDF_GROUPS = {
    "symmetric": [
        dict(batch=1, n_in=8, units=4, rank=1, memory=5),
        dict(batch=2, n_in=5, units=3, rank=2, memory=4, bias=False, activation="RELU"),
        dict(batch=3, n_in=16, units=8, rank=2, memory=10, activation="TANH"),
        dict(batch=1, n_in=1, units=1, rank=1, memory=1),
        dict(batch=2, n_in=7, units=5, rank=3, memory=9, activation="RELU6"),
        dict(batch=1, n_in=20, units=2, rank=4, memory=8, activation="SIGN_BIT"),
    ],
    "asymmetric": [
        dict(batch=1, n_in=8, units=4, rank=1, memory=5, asymmetric=True),
        dict(batch=2, n_in=5, units=3, rank=2, memory=4, bias=False, asymmetric=True, activation="RELU_N1_TO_1"),
        dict(batch=3, n_in=12, units=8, rank=2, memory=13, asymmetric=True, activation="TANH"),
        dict(batch=1, n_in=1, units=1, rank=1, memory=1, asymmetric=True),
        dict(batch=2, n_in=9, units=4, rank=5, memory=7, asymmetric=True, activation="RELU"),
    ],
}


@pytest.mark.parametrize("name", sorted(SVDF_GROUPS))
def test_svdf_hybrid(tmp_path: Path, name: str) -> None:
    base = sorted(SVDF_GROUPS).index(name) * 100
    model = _multi_op_model([_svdf(**case, seed=base + k) for k, case in enumerate(SVDF_GROUPS[name])])
    assert_matches_reference(model, steps=STEPS + 2, rtol=RTOL, atol=ATOL, workdir=tmp_path)


# ---------------------------------------------------------------------------------------------
# Errors


def _compile(ops: Sequence[tuple[str, Sequence[TensorSpec | None], TensorSpec, dict]]) -> None:
    compile_model(_multi_op_model(ops), "m.tflite")


def test_errors() -> None:
    opcode, specs, out, options = _lstm(1, 2, 4, 3, seed=1)
    q = specs[2]
    per_channel = TensorSpec(q.shape, "int8", scale=[0.01, 0.02, 0.03], zero_point=[0, 0, 0], data=q.data)
    with pytest.raises(UnsupportedError, match="quantized per channel .* Supported: per-tensor int8 weights"):
        _compile([(opcode, [*specs[:2], per_channel, *specs[3:]], out, options)])
    shifted = TensorSpec(q.shape, "int8", scale=0.01, zero_point=3, data=q.data)
    with pytest.raises(UnsupportedError, match="zero point 3; hybrid int8 weights must be symmetric"):
        _compile([(opcode, [*specs[:2], shifted, *specs[3:]], out, options)])
    int8_bias = TensorSpec([3], "int32", scale=0.001, zero_point=0, data=np.ones(3, np.int32))
    with pytest.raises(UnsupportedError, match="forget_gate_bias .* must be float32 in a hybrid operator"):
        _compile([(opcode, [*specs[:13], int8_bias, *specs[14:]], out, options)])
    uint8 = TensorSpec(q.shape, "uint8", scale=0.01, zero_point=0, data=q.data.astype(np.uint8))
    with pytest.raises(UnsupportedError, match="is uint8; hybrid kernels need int8 weights"):
        _compile([(opcode, [*specs[:2], uint8, *specs[3:]], out, options)])
    with pytest.raises(UnsupportedError, match="diagonal recurrent weights"):
        _compile([(opcode, specs, out, {**options, "diagonal_recurrent_tensors": True})])

    opcode, specs, out, options = _svdf(1, 4, 2, 1, 3, seed=2)
    float_time = TensorSpec([2, 3], "float32", data=np.ones((2, 3), np.float32))
    with pytest.raises(UnsupportedError, match="hybrid SVDF .* weights_time .* is float32; LiteRT's hybrid SVDF"):
        _compile([(opcode, [specs[0], specs[1], float_time, *specs[3:]], out, options)])
    per_channel = TensorSpec([2, 4], "int8", scale=[0.01, 0.02], zero_point=[0, 0], data=specs[1].data)
    with pytest.raises(UnsupportedError, match="weights_feature .* quantized per channel"):
        _compile([(opcode, [specs[0], per_channel, *specs[2:]], out, options)])
    not_variable = TensorSpec([1, 6], "float32")
    with pytest.raises(UnsupportedError, match="not a variable tensor"):
        _compile([(opcode, [*specs[:4], not_variable], out, options)])



ARM_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=c99", "-O2", "-Wall",
             "-Wextra", "-Werror")
CLANG_FLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")


@pytest.mark.parametrize("compiler", ["arm-none-eabi-gcc", "clang"])
def test_kernels_compile_for_cortex_m4_and_with_clang(tmp_path: Path, compiler: str) -> None:
    """Both kernels and their generated calls for the Cortex-M4F (newlib, single-precision FPU)
    and with clang, -Wall -Wextra -Werror, nothing printed."""
    import shutil
    import subprocess

    from microtvm import mlf
    from microtvm.compiler import CompileOptions

    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} is not on PATH")
    model = _multi_op_model([
        _lstm(2, 2, 5, 6, n_output=4, projection=True, projection_bias=True, peephole=True, layer_norm=True,
              asymmetric=True, seed=71),
        _lstm(1, 2, 3, 4, cifg=True, time_major=True, activation="RELU", seed=72),
        _svdf(1, 6, 3, 2, 5, asymmetric=True, activation="TANH", seed=73),
    ])
    files = compile_model(model, "m.tflite", CompileOptions(module_name="m", target_cpu="cortex-m4"))
    tree = tmp_path / "mlf"
    mlf.write_dir(files, tree)
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    assert {"lstm_hybrid.c", "svdf_hybrid.c", "hybrid_quantize.c"} <= {p.name for p in sources}
    includes = [f"-I{tree / d}" for d in ("codegen/host/include", "codegen/host/src", "runtime/include")]
    flags = ARM_FLAGS if compiler.startswith("arm") else CLANG_FLAGS
    for source in sources:
        command = [compiler, *flags, *includes, "-c", str(source), "-o", str(tmp_path / (source.stem + ".o"))]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        output = (result.stdout + result.stderr).strip()
        assert result.returncode == 0 and not output, f"{' '.join(command)}\n{output}"
