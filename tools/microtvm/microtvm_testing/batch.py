"""Many independent operators in one test model, so one C build checks many cases.

    cases = [Case("SLICE", [TensorSpec(...), const(...), const(...)], [TensorSpec(...)]), ...]
    model = batched_model(cases)          # every case's own inputs and outputs, side by side
    assert_batch_matches_reference(model, cases)

Inputs follow reference.random_inputs (seeded per input), except the inputs a case marks as
indices (`Case.indices = {input position: sizes}`): those are drawn uniformly in [0, size),
the sizes cycling along the last dimension (one size: every index), so gathers stay in range
where LiteRT would fail.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .tflite_writer import OpSpec, TensorSpec, build_model


@dataclass
class Case:
    opcode: str
    inputs: Sequence[Optional[TensorSpec]]
    outputs: Sequence[TensorSpec]
    options: dict[str, Any] = field(default_factory=dict)
    indices: dict[int, Sequence[int]] = field(default_factory=dict)


def const(values: Any, dtype: str = "int32") -> TensorSpec:
    array = np.asarray(values, dtype=dtype)
    return TensorSpec(list(array.shape), dtype, data=array)


def batched_model(cases: Sequence[Case]) -> bytes:
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    graph_inputs: list[int] = []
    graph_outputs: list[int] = []
    for k, case in enumerate(cases):
        op_inputs = []
        for position, spec in enumerate(case.inputs):
            if spec is None:
                op_inputs.append(-1)
                continue
            if not spec.name:
                spec = replace(spec, name=f"case{k}_in{position}")
            if spec.data is None:
                graph_inputs.append(len(tensors))
            op_inputs.append(len(tensors))
            tensors.append(spec)
        op_outputs = []
        for position, spec in enumerate(case.outputs):
            if not spec.name:
                spec = replace(spec, name=f"case{k}_out{position}")
            op_outputs.append(len(tensors))
            graph_outputs.append(len(tensors))
            tensors.append(spec)
        ops.append(OpSpec(case.opcode, op_inputs, op_outputs, dict(case.options)))
    return build_model(tensors, ops, graph_inputs, graph_outputs)


def batch_inputs(model: bytes, cases: Sequence[Case], seed: int) -> list[np.ndarray]:
    """random_inputs, with the index inputs of each case drawn in range."""
    from .reference import random_inputs

    inputs = random_inputs(model, seed)
    position = 0
    for k, case in enumerate(cases):
        for i, spec in enumerate(case.inputs):
            if spec is None or spec.data is not None:
                continue
            if i in case.indices:
                sizes = np.asarray(case.indices[i], np.int64)
                rng = np.random.default_rng([seed, 1000 + k, i])
                shape = tuple(spec.shape)
                draws = rng.random(shape if shape else ())
                cycle = np.resize(sizes, shape[-1]) if shape and sizes.size > 1 else sizes[0]
                inputs[position] = np.floor(draws * cycle).astype(spec.dtype)
            position += 1
    return inputs


def assert_batch_matches_reference(
    model: bytes,
    cases: Sequence[Case],
    seeds: Sequence[int] = (0, 1, 2),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    workdir: Optional[Path] = None,
    **compile_options: Any,
) -> None:
    """Build once; for each seed compare every output with LiteRT's reference kernels (integers
    and bools equal, floats within rtol/atol)."""
    from .host import build
    from .reference import run_reference

    host = build(model, workdir, **compile_options)
    for seed in seeds:
        inputs = batch_inputs(model, cases, seed)
        expected = run_reference(model, inputs)
        actual = host.run(inputs)
        assert len(actual) == len(expected)
        for k, (ours, theirs) in enumerate(zip(actual, expected)):
            message = f"seed {seed}, output {k} ({host.outputs[k].c_name})"
            assert ours.shape == theirs.shape, f"{message}: shape {ours.shape} != LiteRT {theirs.shape}"
            assert ours.dtype == theirs.dtype, f"{message}: dtype {ours.dtype} != LiteRT {theirs.dtype}"
            if theirs.dtype.kind == "f":
                np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=message)
            else:
                np.testing.assert_array_equal(ours, theirs, err_msg=message)
