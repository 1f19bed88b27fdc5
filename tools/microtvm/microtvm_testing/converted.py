"""The check every converted model (models/converted/, made by TensorFlow's own converter) gets:
it compiles and matches LiteRT's reference kernels on 3 seeds (a stateful model over a sequence
of invocations), or, while an operator it needs is missing, is refused with one clear line.

Tolerances: integer outputs exact; float32 and hybrid models within 1e-4 relative / 1e-4
absolute (whole models: many float operators whose summation order may differ from LiteRT's in
the last bits).
"""
from __future__ import annotations

from pathlib import Path
from typing import Collection, Mapping

import numpy as np
import pytest

from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import build
from microtvm_testing.reference import random_array, random_inputs, run_reference, run_reference_sequence
from microtvm_testing.tflm_reference import input_specs, run_tflm

SEEDS = (0, 1, 2)
STATEFUL_STEPS = 4  # a stateful model runs a sequence of invocations, matched invocation by invocation
FLOAT_TOLERANCE = 1e-4


def converted_models_dir(test_file: str, *subdirs: str) -> Path:
    """models/converted[/subdirs] of the checkout or, under Bazel, of the runfiles tree (the
    models are a data dependency); `test_file` is the test's `__file__` (tools/microtvm/tests/)."""
    return Path(test_file).absolute().parents[3].joinpath("models", "converted", *subdirs)


def _inputs(
    name: str, model: bytes, seed: int, input_ranges: Mapping[str, tuple[int, int]], tflm: bool = False
) -> list[np.ndarray]:
    if tflm:  # random_inputs' convention, the input details read without LiteRT
        inputs = [
            random_array(shape, np.dtype(dtype), np.random.default_rng([seed, k]))
            for k, (shape, dtype) in enumerate(input_specs(model))
        ]
    else:
        inputs = random_inputs(model, seed)
    family = name.rsplit("_", 1)[0]
    if family in input_ranges:
        low, high = input_ranges[family]
        rng = np.random.default_rng([seed, 99])
        inputs = [rng.integers(low, high, size=x.shape).astype(x.dtype) for x in inputs]
    return inputs


def check_converted_model(
    models_dir: Path,
    name: str,
    tmp_path: Path,
    not_yet_supported: Mapping[str, str],
    input_ranges: Mapping[str, tuple[int, int]] | None = None,
    tflm_reference: Collection[str] = (),
) -> None:
    """`name`: a model file's stem. `not_yet_supported`: models that must be refused (name ->
    why). `input_ranges`: model family (the name without its scheme) -> integer input range.
    `tflm_reference`: models LiteRT's reference resolver cannot load (an operator version it does
    not register), matched against TFLite Micro's interpreter instead (same reference kernels)."""
    ranges = input_ranges or {}
    model = (models_dir / f"{name}.tflite").read_bytes()
    if name in not_yet_supported:
        with pytest.raises(UnsupportedError) as info:
            compile_model(model, f"{name}.tflite")
        message = str(info.value)
        assert message.startswith(f"{name}.tflite: ") and "\n" not in message
        return
    host = build(model, tmp_path, source_name=f"{name}.tflite")
    for seed in SEEDS:
        if host.stateful:
            sequence = [_inputs(name, model, seed * 100 + step, ranges) for step in range(STATEFUL_STEPS)]
            expected_steps = run_reference_sequence(model, sequence)
            actual_steps = host.run_sequence(sequence)
        else:
            inputs = _inputs(name, model, seed, ranges, tflm=name in tflm_reference)
            reference = run_tflm if name in tflm_reference else run_reference
            expected_steps, actual_steps = [reference(model, inputs)], [host.run(inputs)]
        for step, (expected, actual) in enumerate(zip(expected_steps, actual_steps)):
            assert len(actual) == len(expected), f"{name}: {len(actual)} outputs, LiteRT has {len(expected)}"
            for k, (ours, theirs) in enumerate(zip(actual, expected)):
                message = f"{name}: seed {seed}, invocation {step}, output {k}"
                assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, message
                if theirs.dtype.kind == "f":
                    np.testing.assert_allclose(ours, theirs, rtol=FLOAT_TOLERANCE, atol=FLOAT_TOLERANCE, err_msg=message)
                else:
                    np.testing.assert_array_equal(ours, theirs, err_msg=message)
