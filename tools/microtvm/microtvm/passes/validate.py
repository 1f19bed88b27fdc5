"""Reject what the compiler cannot compile, before any lowering, with messages a user can act on.

Checks, in order (each raises errors.UnsupportedError naming the model, the operator, its index
and subgraph, and what to do):
1. every operator has a lowering (all unsupported operators are named in one message);
2. hybrid operators (float32 activations computed with int8/uint8 weights) only where the
   lowering has a hybrid kernel (OpLowering.dtypes lists "hybrid"); others are named as hybrid;
3. no uint8 quantized activations (TFLite's legacy quantization scheme);
4. each lowering's own check(op, graph) on its operands (int16 activations, 16x8 quantization,
   are decided there: each lowering knows whether it has a 16x8 kernel).
Checks 2-3 concern the model's quantization scheme, so they come before the per-operator checks,
whose messages would otherwise describe a symptom instead of the cause.
"""
from __future__ import annotations

from typing import Mapping, Optional

from .. import ops
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from ..ops.base import OpLowering

# These convert between types by definition (e.g. a uint8 camera input quantized to int8, or
# int8 constants dequantized for a float model); their lowerings' check() decides what they take.
_TYPE_CONVERSIONS = frozenset({"QUANTIZE", "DEQUANTIZE"})

_FIX_QUANTIZATION = (
    "Convert the model with full-integer int8 quantization (int8 weights and activations, "
    "int8 inputs and outputs), or use the float32 model."
)


def validate(graph: Graph, lowerings: Optional[Mapping[str, OpLowering]] = None) -> None:
    """Raise UnsupportedError unless every operator of `graph` can be compiled.

    `lowerings` defaults to ops.LOWERINGS_BY_OPCODE (looked up at call time)."""
    table = ops.LOWERINGS_BY_OPCODE if lowerings is None else lowerings
    _check_operators_known(graph, table)
    for op in graph.operators:
        _check_hybrid_supported(graph, op, table[op.opcode])
    for op in graph.operators:
        _check_activation_dtypes(graph, op)
    for op in graph.operators:
        try:
            table[op.opcode].check(op, graph)
        except UnsupportedError as exc:
            raise UnsupportedError(f"{_where(graph, op)}: {exc}") from exc


def _where(graph: Graph, op: Operator) -> str:
    return f"{graph.source_name}: operator {op.index} ({op.opcode}) in subgraph 0"


def _check_operators_known(graph: Graph, table: Mapping[str, OpLowering]) -> None:
    unknown = [op for op in graph.operators if op.opcode not in table]
    if not unknown:
        return
    listed = ", ".join(f"{op.opcode} (operator {op.index} in subgraph 0)" for op in unknown)
    plural = "s" if len(unknown) > 1 else ""
    names = ", ".join(sorted({op.opcode for op in unknown}))
    supported = ", ".join(sorted(table)) or "(none)"
    raise UnsupportedError(
        f"{graph.source_name}: unsupported operator{plural} {listed}. "
        f"Supported operators: {supported}. "
        f"Replace or remove {names} in the model (e.g. use a supported layer and re-export it), "
        "or open an issue asking for support."
    )


def _operands(graph: Graph, op: Operator) -> list[Tensor]:
    return [graph.tensor(t) for t in (*op.inputs, *op.outputs) if t >= 0]


def _check_hybrid_supported(graph: Graph, op: Operator, lowering: OpLowering) -> None:
    """Hybrid (dynamic-range quantized) operators keep float32 activations and 8-bit weights,
    quantizing the input on the fly; their arithmetic differs from both int8 and float models,
    so only lowerings with a hybrid kernel take them."""
    if op.opcode in _TYPE_CONVERSIONS or "hybrid" in lowering.dtypes:
        return
    operands = _operands(graph, op)
    weights = [t for t in operands if t.is_constant and t.dtype in ("int8", "uint8")]
    float_activations = [t for t in operands if not t.is_constant and t.dtype == "float32"]
    if weights and float_activations:
        hybrid_ops = ", ".join(sorted(o for o, low in ops.LOWERINGS_BY_OPCODE.items() if "hybrid" in low.dtypes))
        raise UnsupportedError(
            f"{_where(graph, op)} is hybrid: float32 activations ({float_activations[0].name!r}) with "
            f"{weights[0].dtype} weights ({weights[0].name!r}), from dynamic-range quantization. "
            f"{op.opcode} has no hybrid kernel (hybrid operators supported: {hybrid_ops or 'none'}). "
            f"{_FIX_QUANTIZATION}"
        )


def _check_activation_dtypes(graph: Graph, op: Operator) -> None:
    if op.opcode in _TYPE_CONVERSIONS:
        return
    for t in _operands(graph, op):
        if t.is_constant:
            continue
        if t.dtype == "uint8" and t.quant is not None:
            raise UnsupportedError(
                f"{_where(graph, op)} has uint8 quantized activations ({t.name!r}), TFLite's legacy "
                f"quantization scheme, which is not supported. {_FIX_QUANTIZATION}"
            )
