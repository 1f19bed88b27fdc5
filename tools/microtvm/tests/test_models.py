"""The project's own models (models/*.tflite): reproducible, well-scaled, and compiled bit-exactly.

- models/make_models.py regenerates every committed file byte for byte;
- kws.tflite has the MLPerf Tiny DS-CNN topology (checked against the list of layers here and,
  when ../shared/models is available, against the reference model's structure: not its weights);
- the random weights are well scaled: activations use the int8 range instead of saturating, and
  the classifiers' outputs change with the input (or a wrong kernel could still match);
- the sine models approximate sin(x) (they are demos: their output should mean something);
- every model compiled by our compiler and run on the host (sanitizers on) equals LiteRT's
  reference kernels on several seeds (int8 byte for byte, float within 1e-5 / 1e-6).
"""
from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Optional

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from microtvm.compiler import read_model
from microtvm.ir import Graph
from microtvm_testing import host
from microtvm_testing.reference import random_array, random_input_sequence, random_inputs, run_reference
from microtvm_testing.tflm_reference import assert_matches_tflm, input_specs

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"
MODEL_FILES = (
    "kws.tflite", "sine.tflite", "sine_float.tflite", "mobilenet_tiny.tflite", "residual.tflite", "svdf_kws.tflite",
    "ssd_tiny.tflite", "audio_frontend.tflite",
)
# Models with TFLite Micro's Signal operators: LiteRT cannot run them, TFLite Micro's interpreter is the reference.
TFLM_MODELS = ("audio_frontend.tflite",)
CLASSIFIERS = ("kws.tflite", "mobilenet_tiny.tflite", "residual.tflite")
# Stateful models (SVDF memory in variable tensors): invocations per seed, from a reset state.
STREAM_STEPS = {"svdf_kws.tflite": 6}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_models", MODELS_DIR / "make_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(name: str) -> bytes:
    return (MODELS_DIR / name).read_bytes()


def shared_models_dir() -> Optional[Path]:
    """$MICROTVM_SHARED_MODELS, else ../shared/models beside the checkout, else None."""
    configured = os.environ.get("MICROTVM_SHARED_MODELS")
    candidates = [Path(configured)] if configured else []
    here = Path(__file__)
    candidates += [p.parents[4] / "shared" / "models" for p in (here.absolute(), here.resolve())]
    return next((c for c in candidates if c.is_dir()), None)


def test_generator_reproduces_the_committed_files() -> None:
    made = _load_generator().make_all()
    assert sorted(made) == sorted(MODEL_FILES)
    stale = [name for name, data in made.items() if _model(name) != data]
    assert not stale, f"models/make_models.py no longer writes the committed {', '.join(stale)}: rerun it and commit"


def test_generator_is_deterministic_within_a_run() -> None:
    """Two builds in one process: no state (global RNG, caches) leaks between them."""
    generator = _load_generator()
    assert generator.kws() == generator.kws()


@pytest.mark.parametrize("name", [name for name in MODEL_FILES if name not in TFLM_MODELS])
def test_model_matches_litert_reference(name: str, tmp_path: Path) -> None:
    steps = STREAM_STEPS.get(name, 1)
    host.assert_matches_reference(_model(name), seeds=(0, 1, 2, 3), steps=steps, workdir=tmp_path, source_name=name)


def test_sine_matches_litert_reference_across_its_input_range(tmp_path: Path) -> None:
    """The int8 sine model has only 256 possible inputs: a fair sample of them (every 4th value, both
    ends) through our C and LiteRT-ref. Exercises FULLY_CONNECTED's rounding at every scale."""
    data = _model("sine.tflite")
    compiled = host.build(data, tmp_path, source_name="sine.tflite")
    values = sorted(set(range(-128, 128, 4)) | {127})
    ours = [int(compiled.run([np.array([[q]], np.int8)])[0][0, 0]) for q in values]
    theirs = [int(run_reference(data, [np.array([[q]], np.int8)])[0][0, 0]) for q in values]
    mismatches = [(q, a, b) for q, a, b in zip(values, ours, theirs) if a != b]
    assert not mismatches, f"(input, ours, LiteRT-ref): {mismatches}"


# ---------------------------------------------------------------------------------------------
# Topology


# (opcode, output shape, key options) of DS-CNN, as MLPerf Tiny's reference KWS model has it.
_SAME_RELU = {"padding": "SAME", "fused_activation_function": "RELU", "stride_h": 1, "stride_w": 1}
KWS_LAYERS = (
    [("CONV_2D", (1, 25, 5, 64), {**_SAME_RELU, "stride_h": 2, "stride_w": 2})]
    + [
        layer
        for _ in range(4)
        for layer in (
            ("DEPTHWISE_CONV_2D", (1, 25, 5, 64), {**_SAME_RELU, "depth_multiplier": 1}),
            ("CONV_2D", (1, 25, 5, 64), _SAME_RELU),
        )
    ]
    + [
        ("AVERAGE_POOL_2D", (1, 1, 1, 64), {"padding": "VALID", "filter_height": 25, "filter_width": 5}),
        ("RESHAPE", (1, 64), {}),
        ("FULLY_CONNECTED", (1, 12), {"fused_activation_function": "NONE"}),
        ("SOFTMAX", (1, 12), {"beta": 1.0}),
    ]
)


def _structure(graph: Graph) -> list[tuple]:
    """Per operator: opcode, options, and for each operand its shape, dtype and whether it is a
    constant with per-channel quantization (and along which axis). Names and values left out."""
    rows = []
    for op in graph.operators:
        operands = []
        for index in (*op.inputs, *op.outputs):
            if index < 0:
                operands.append(None)
                continue
            t = graph.tensor(index)
            per_channel = t.quant.axis if t.quant is not None and t.quant.per_channel else None
            operands.append((t.shape, t.dtype, t.is_constant, per_channel))
        rows.append((op.opcode, dict(sorted(op.options.items())), operands))
    return rows


def test_kws_has_the_ds_cnn_topology() -> None:
    graph = read_model(_model("kws.tflite"), "kws.tflite")
    assert [graph.tensor(i).shape for i in graph.inputs] == [(1, 49, 10, 1)]
    assert [graph.tensor(i).dtype for i in (*graph.inputs, *graph.outputs)] == ["int8", "int8"]
    actual = [(op.opcode, graph.tensor(op.outputs[0]).shape, op.options) for op in graph.operators]
    assert len(actual) == len(KWS_LAYERS)
    for k, ((opcode, shape, options), (want_opcode, want_shape, want_options)) in enumerate(zip(actual, KWS_LAYERS)):
        assert (opcode, shape) == (want_opcode, want_shape), f"layer {k}"
        assert {key: options.get(key) for key in want_options} == want_options, f"layer {k} ({opcode})"
    conv_weights = graph.tensor(graph.operators[0].inputs[1])
    assert conv_weights.shape == (64, 10, 4, 1)


def test_kws_structure_equals_the_mlperf_reference_model() -> None:
    shared = shared_models_dir()
    if shared is None or not (shared / "kws_ref_model.tflite").is_file():
        pytest.skip("../shared/models/kws_ref_model.tflite is absent (set MICROTVM_SHARED_MODELS to check against it)")
    reference = read_model((shared / "kws_ref_model.tflite").read_bytes(), "kws_ref_model.tflite")
    ours = read_model(_model("kws.tflite"), "kws.tflite")
    assert _structure(ours) == _structure(reference)
    # Same topology, but our own weights: nothing is copied from the shared model.
    ours_weights = {t.data.tobytes() for t in ours.tensors if t.is_constant and t.dtype == "int8"}
    their_weights = {t.data.tobytes() for t in reference.tensors if t.is_constant and t.dtype == "int8"}
    assert not ours_weights & their_weights


# ---------------------------------------------------------------------------------------------
# Scaling: the random weights must give activations that use the int8 range.


def _all_int8_activations(data: bytes, seeds: range) -> dict[str, np.ndarray]:
    """Every non-constant int8 tensor of LiteRT-ref's run, concatenated over seeds."""
    interpreter = Interpreter(
        model_content=data,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    constants = {t.name for t in read_model(data, "m").tensors if t.is_constant}
    values: dict[str, list[np.ndarray]] = {}
    for seed in seeds:
        for detail, value in zip(interpreter.get_input_details(), random_inputs(data, seed)):
            interpreter.set_tensor(detail["index"], value)
        interpreter.invoke()
        for t in interpreter.get_tensor_details():
            if t["dtype"] == np.int8 and t["name"] not in constants:
                values.setdefault(t["name"], []).append(interpreter.get_tensor(t["index"]).ravel())
    return {name: np.concatenate(v) for name, v in values.items()}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_activations_are_well_scaled(name: str) -> None:
    activations = _all_int8_activations(_model(name), range(3))
    for tensor, values in activations.items():
        at_max = float(np.mean(values == 127))
        assert at_max < 0.02, f"{name}: {tensor} saturates at 127 in {at_max:.1%} of its values"
        if values.size >= 64:  # the pooled vector and the logits are short
            assert len(np.unique(values)) >= 32, f"{name}: {tensor} uses only {len(np.unique(values))} int8 values"
        at_min = float(np.mean(values == -128))
        assert at_min < 0.75, f"{name}: {tensor} is at -128 in {at_min:.1%} of its values"
    outputs = [run_reference(_model(name), random_inputs(_model(name), seed))[0] for seed in range(3)]
    assert all(int(o.max()) < 127 for o in outputs), f"{name}: softmax saturates: {outputs}"
    # The classes must change with the input: a network whose output barely depends on it
    # would let a broken kernel go unnoticed.
    assert len({int(np.argmax(o)) for o in outputs}) > 1, f"{name}: the same class for every input: {outputs}"


def test_svdf_kws_is_a_well_scaled_stream() -> None:
    """The streaming model over a sequence of frames (one LiteRT interpreter, state carried): its
    SVDF outputs use the int8 range, and the class changes from frame to frame."""
    data = _model("svdf_kws.tflite")
    graph = read_model(data, "svdf_kws.tflite")
    assert [op.opcode for op in graph.operators] == ["SVDF", "SVDF", "FULLY_CONNECTED", "SOFTMAX"]
    assert sum(t.is_variable for t in graph.tensors) == 2
    interpreter = Interpreter(
        model_content=data,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    tensors = {t["name"]: t["index"] for t in interpreter.get_tensor_details()}
    values: dict[str, list[np.ndarray]] = {"svdf_1": [], "svdf_2": [], "probabilities": []}
    for frame in random_input_sequence(data, 0, 16):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], frame[0])
        interpreter.invoke()
        for name, seen in values.items():
            seen.append(interpreter.get_tensor(tensors[name]).ravel().copy())
    for name in ("svdf_1", "svdf_2"):
        v = np.concatenate(values[name])
        assert len(np.unique(v)) >= 32 and float(np.mean(v == 127)) < 0.02, f"{name}: {np.unique(v)}"
    assert len({int(np.argmax(p)) for p in values["probabilities"]}) > 2


@pytest.mark.parametrize("name, max_error, mean_error", [("sine.tflite", 0.2, 0.05), ("sine_float.tflite", 0.025, 0.01)])
def test_sine_models_approximate_sine(name: str, max_error: float, mean_error: float) -> None:
    data = _model(name)
    graph = read_model(data, name)
    x_in, y_out = graph.tensor(graph.inputs[0]), graph.tensor(graph.outputs[0])
    xs = np.linspace(0.0, 2.0 * math.pi, 64)
    errors = []
    for x in xs:
        if x_in.quant is not None:
            q = int(np.clip(round(x / x_in.quant.scale[0]) + x_in.quant.zero_point[0], -128, 127))
            y_q = int(run_reference(data, [np.array([[q]], np.int8)])[0][0, 0])
            x_real = (q - x_in.quant.zero_point[0]) * x_in.quant.scale[0]
            y = (y_q - y_out.quant.zero_point[0]) * y_out.quant.scale[0]
        else:
            x_real = float(np.float32(x))
            y = float(run_reference(data, [np.array([[x_real]], np.float32)])[0][0, 0])
        errors.append(abs(y - math.sin(x_real)))
    assert max(errors) < max_error and float(np.mean(errors)) < mean_error, (max(errors), float(np.mean(errors)))


@pytest.mark.parametrize("name", TFLM_MODELS)
def test_model_matches_tflm_reference(name: str, tmp_path: Path) -> None:
    data = _model(name)
    specs = input_specs(data)
    cases = [
        [random_array(shape, dtype, np.random.default_rng([seed, k])) for k, (shape, dtype) in enumerate(specs)]
        for seed in (0, 1, 2, 3)
    ]
    assert_matches_tflm(data, cases, workdir=tmp_path, source_name=name)


def test_detector_ends_in_detection_postprocess_with_ties() -> None:
    """ssd_tiny: int8 up to the heads, then DEQUANTIZE and TFLite_Detection_PostProcess; its int8
    LOGISTIC scores (steps of 1/256) give equal scores among the detections, so the model test also
    checks LiteRT's order for them."""
    data = _model("ssd_tiny.tflite")
    graph = read_model(data, "ssd_tiny.tflite")
    opcodes = [op.opcode for op in graph.operators]
    assert opcodes[-1] == "TFLite_Detection_PostProcess" and opcodes.count("DEQUANTIZE") == 2
    ties = 0
    for seed in (0, 1, 2):
        scores, count = (run_reference(data, random_inputs(data, seed)))[2:]
        kept = scores[0, : int(count[0])]
        assert 0 < count[0] <= 10
        ties += len(kept) - len(np.unique(kept))
    assert ties > 0
