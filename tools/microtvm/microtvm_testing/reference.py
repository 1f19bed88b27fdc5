"""The correctness reference: LiteRT's reference kernels, and the inputs the goldens use.

LiteRT's default (optimized) kernels are not a reference: on int8 models they differ from the
reference kernels by more than rounding. Always use OpResolverType.BUILTIN_REF.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def _interpreter(model: bytes) -> Interpreter:
    interpreter = Interpreter(
        model_content=bytes(model),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        num_threads=1,
    )
    interpreter.allocate_tensors()
    return interpreter


def run_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run `model` with LiteRT's reference kernels; inputs and outputs in the model's order."""
    return _invoke(_interpreter(model), inputs)


def run_reference_sequence(model: bytes, steps: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    """Invoke one interpreter once per entry of `steps` (each the inputs of one invocation), so
    variable tensors (LSTM/SVDF state) persist from one invocation to the next, starting from
    their reset values (AllocateTensors resets them); the outputs of every invocation."""
    interpreter = _interpreter(model)
    return [_invoke(interpreter, inputs) for inputs in steps]


def _invoke(interpreter: Interpreter, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    details = interpreter.get_input_details()
    if len(inputs) != len(details):
        raise ValueError(f"model has {len(details)} inputs, got {len(inputs)}")
    for detail, value in zip(details, inputs):
        value = np.asarray(value)
        if value.dtype != detail["dtype"] or tuple(value.shape) != tuple(detail["shape"]):
            raise ValueError(
                f"input {detail['name']!r} wants {np.dtype(detail['dtype']).name}{list(detail['shape'])}, "
                f"got {value.dtype.name}{list(value.shape)}"
            )
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]


def random_array(shape: Sequence[int], dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    """The goldens' convention (../shared/models/README.md, each npz's `meta`): integers of 8 and
    16 bits uniform over their full range, int32/int64 uniform in [-1000, 1000], floats standard
    normal drawn in float64 and then rounded, bool fair coin flips."""
    dtype = np.dtype(dtype)
    shape = tuple(int(d) for d in shape)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu" and dtype.itemsize <= 2:
        info = np.iinfo(dtype)
        return rng.integers(int(info.min), int(info.max) + 1, size=shape, dtype=dtype)
    if dtype.kind in "iu":
        low = 0 if dtype.kind == "u" else -1000
        return rng.integers(low, 1001, size=shape, dtype=dtype)
    raise ValueError(f"no random input convention for dtype {dtype.name}")


def random_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    """One array per model input (in order), input k drawn from default_rng([seed, k])."""
    details = _interpreter(model).get_input_details()
    return [
        random_array(d["shape"], d["dtype"], np.random.default_rng([seed, k]))
        for k, d in enumerate(details)
    ]


def random_input_sequence(model: bytes, seed: int, steps: int) -> list[list[np.ndarray]]:
    """Inputs for `steps` invocations: the first is random_inputs(model, seed); input k of
    invocation t > 0 is drawn from default_rng([seed, k, t])."""
    details = _interpreter(model).get_input_details()
    return [
        [
            random_array(d["shape"], d["dtype"], np.random.default_rng([seed, k] if t == 0 else [seed, k, t]))
            for k, d in enumerate(details)
        ]
        for t in range(steps)
    ]
