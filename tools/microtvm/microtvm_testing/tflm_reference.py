"""The correctness reference for TFLite Micro's custom operators (the Signal library and
TFLite_Detection_PostProcess): the `tflite_micro` package's Python interpreter, which registers
every operator TFLite Micro ships (its all-ops resolver includes the Signal kernels).

LiteRT cannot run the Signal operators, so their goldens come from here. Test-only: the shipped
compiler never imports tflite_micro.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from microtvm.frontend import read_tflite


def _interpreter(model: bytes):  # -> tflite_micro.python.tflite_micro.runtime.Interpreter
    from tflite_micro.python.tflite_micro import runtime

    # The arena heuristic (10x the model) is too small for tiny test models with large tensors.
    arena = max(len(model) * 10, 1 << 20)
    return runtime.Interpreter.from_bytes(bytes(model), arena_size=arena)


def run_tflm_sequence(model: bytes, invocations: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    """Outputs of one TFLM interpreter invoked once per entry of `invocations` (state carried
    across them, as on a device), in the model's input/output order."""
    interpreter = _interpreter(model)
    graph = read_tflite(model, "model.tflite")
    if any(len(inputs) != len(graph.inputs) for inputs in invocations):
        raise ValueError(f"the model has {len(graph.inputs)} inputs")
    results = []
    for inputs in invocations:
        for k, value in enumerate(inputs):
            detail = interpreter.get_input_details(k)
            value = np.asarray(value)
            if value.dtype != detail["dtype"] or tuple(value.shape) != tuple(detail["shape"]):
                raise ValueError(
                    f"input {k} wants {np.dtype(detail['dtype']).name}{list(detail['shape'])}, "
                    f"got {value.dtype.name}{list(value.shape)}"
                )
            interpreter.set_input(value, k)
        interpreter.invoke()
        results.append([np.array(interpreter.get_output(k)) for k in range(len(graph.outputs))])
    return results


def run_tflm(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of one TFLM invocation."""
    return run_tflm_sequence(model, [inputs])[0]


def input_specs(model: bytes) -> list[tuple[tuple[int, ...], str]]:
    """(shape, dtype) of each graph input, read with our own frontend (LiteRT cannot load models
    with TFLM's custom operators)."""
    graph = read_tflite(model, "model.tflite")
    return [(tuple(graph.tensor(i).shape), graph.tensor(i).dtype) for i in graph.inputs]


def assert_matches_tflm(
    model: bytes,
    inputs: Sequence[Sequence[np.ndarray]],
    rtol: float = 1e-5,
    atol: float = 1e-6,
    *,
    workdir: Path | None = None,
    **compile_options,
) -> None:
    """For each entry of `inputs` (one list of arrays per case): TFLM vs our generated C, built
    once. Integer outputs must be equal; float outputs within rtol/atol. Each case runs on a
    fresh TFLM interpreter (stateless operators)."""
    from .host import build

    host = build(model, workdir, **compile_options)
    for case, case_inputs in enumerate(inputs):
        expected = run_tflm(model, case_inputs)
        actual = host.run(case_inputs)
        _compare(actual, expected, f"case {case}", rtol, atol)


def _compare(actual: Sequence[np.ndarray], expected: Sequence[np.ndarray], what: str, rtol: float, atol: float) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs, TFLM gives {len(expected)}"
    for k, (ours, theirs) in enumerate(zip(actual, expected)):
        theirs = np.asarray(theirs)
        message = f"{what}, output {k}"
        assert ours.shape == theirs.shape, f"{message}: shape {ours.shape} != TFLM {theirs.shape}"
        assert ours.dtype == theirs.dtype, f"{message}: dtype {ours.dtype} != TFLM {theirs.dtype}"
        if theirs.dtype.kind == "f":
            np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=message)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=message)
