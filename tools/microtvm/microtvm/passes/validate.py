"""Reject what the compiler cannot compile, before any lowering, with messages a user can act on.

Checks, in order (each raises errors.UnsupportedError naming the model, the operator, its index
and subgraph, and what to do):
0. the model is well formed where every stage relies on it (errors.ModelFormatError): every
   operator has an output, quantization scales are finite and (for activations) positive, zero
   points fit their tensor type;
1. every operator has a lowering (all unsupported operators are named in one message);
2. hybrid operators (float32 activations computed with int8/uint8 weights) only where the
   lowering has a hybrid kernel (OpLowering.dtypes lists "hybrid"); others are named as hybrid;
3. no uint8 quantized activations (TFLite's legacy quantization scheme);
4. each lowering's own check(op, graph) on its operands (int16 activations, 16x8 quantization,
   are decided there: each lowering knows whether it has a 16x8 kernel);
5. the model as a whole: inputs and outputs (types, no variable tensors, none listed twice) and
   its dataflow: every tensor read is written by an earlier operator, constant or a variable (no
   cycles), each tensor has one writer, every output is written.
Checks 2-3 concern the model's quantization scheme, so they come before the per-operator checks,
whose messages would otherwise describe a symptom instead of the cause.

`validate` raises the first problem; `operator_problems` gives, for `microtvmc inspect`, each
operator's first problem (the same checks in the same order) and the model-wide one.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping

from ..errors import ModelFormatError, UnsupportedError
from ..ir import C_TYPES, Graph, Operator, Tensor

if TYPE_CHECKING:  # the caller (compiler.py) passes the lowering table in
    from ..ops.base import OpLowering

# These convert between types by definition (e.g. a uint8 camera input quantized to int8, or
# int8 constants dequantized for a float model; TFLite_Detection_PostProcess dequantizes its
# quantized inputs and outputs float32); their lowerings' check() decides what they take.
_TYPE_CONVERSIONS = frozenset({"QUANTIZE", "DEQUANTIZE", "TFLite_Detection_PostProcess"})

_FIX_QUANTIZATION = (
    "Convert the model with full-integer int8 quantization (int8 weights and activations, "
    "int8 inputs and outputs), or use the float32 model."
)


def validate(graph: Graph, lowerings: Mapping[str, OpLowering]) -> None:
    """Raise UnsupportedError unless every operator of `graph` can be compiled with `lowerings`
    (opcode -> OpLowering, e.g. ops.LOWERINGS_BY_OPCODE)."""
    table = lowerings
    operators = graph.all_operators()  # the main subgraph's and those of every subgraph it runs
    _check_well_formed(graph, operators)
    _check_operators_known(graph, table)
    for check in _OPERATOR_CHECKS:
        for op in operators:
            check(graph, op, table)
    check_structure(graph)


def operator_problems(graph: Graph, lowerings: Mapping[str, OpLowering]) -> dict[int, str]:
    """Operator index -> its first problem, by the checks of `validate` in the same order; key -1
    holds a problem of the model as a whole. Empty exactly when `validate` passes. A damaged model
    (check 0, and the dataflow of check 5) raises ModelFormatError, as in `validate`: nothing after
    that check may look at it."""
    _check_well_formed(graph, graph.all_operators())
    problems: dict[int, str] = {}
    for op in graph.all_operators():
        if op.opcode not in lowerings:
            problems[op.index] = f"{op.opcode} is not supported (no lowering)"
            continue
        try:
            for check in _OPERATOR_CHECKS:
                check(graph, op, lowerings)
        except UnsupportedError as error:
            problems[op.index] = str(error)
    try:
        check_structure(graph)
    except UnsupportedError as error:
        problems[-1] = str(error)
    return problems


def check_well_formed(graph: Graph) -> None:
    """Check 0 and the dataflow of check 5, on the graph as read: what the passes before validation
    (folding, shape inference) already rely on. Raises ModelFormatError (or UnsupportedError for a
    tensor read that nothing writes)."""
    _check_well_formed(graph, graph.all_operators())
    for inputs, outputs, operators in _parts(graph):
        _check_dataflow(graph, inputs, outputs, operators)


def _parts(graph: Graph) -> list[tuple[tuple[int, ...], tuple[int, ...], list[Operator]]]:
    """(inputs, outputs, operators) of the main subgraph and of each subgraph it runs."""
    return [
        (graph.inputs, graph.outputs, graph.operators),
        *((sub.inputs, sub.outputs, sub.operators) for sub in graph.subgraphs.values()),
    ]


def _check_lowering(graph: Graph, op: Operator, table: Mapping[str, OpLowering]) -> None:
    try:
        table[op.opcode].check(op, graph)
    except UnsupportedError as exc:
        raise UnsupportedError(f"{_where(graph, op)}: {exc}") from exc
    except (ArithmeticError, IndexError, KeyError, TypeError, ValueError) as exc:
        # A check that trips over its operands met a model no converter writes (a damaged or
        # hand-edited file): say which operator, not where in our code.
        raise ModelFormatError(
            f"{_where(graph, op)} has operands it cannot have ({type(exc).__name__}: {exc}); "
            "the model is damaged or was not written by a TFLite converter"
        ) from exc


# Operators whose effect is on model state, not on an output tensor.
_WITHOUT_OUTPUTS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE"})
_ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _check_well_formed(graph: Graph, operators: list[Operator]) -> None:
    """What every later stage assumes of a model, checked once (a damaged file would otherwise
    fail deep inside a lowering with a Python exception)."""
    for op in operators:
        if not op.outputs and op.opcode not in _WITHOUT_OUTPUTS:
            raise ModelFormatError(f"{_where(graph, op)} has no outputs; the model is damaged")
    for t in graph.tensors:
        q = t.quant
        if q is None:
            continue
        scales = [float(s) for s in q.scale]
        if not all(math.isfinite(s) for s in scales):
            raise ModelFormatError(
                f"{graph.source_name}: tensor {t.index} ({t.name!r}) has a non-finite quantization scale; "
                "the model is damaged"
            )
        if not t.is_constant and not all(s > 0.0 for s in scales):
            raise ModelFormatError(
                f"{graph.source_name}: tensor {t.index} ({t.name!r}) has quantization scale {min(scales)}; "
                "activation scales must be positive (the model is damaged)"
            )
        low, high = _ZERO_POINT_RANGE.get(t.dtype, (None, None))
        if low is not None and not all(low <= int(z) <= high for z in q.zero_point):
            raise ModelFormatError(
                f"{graph.source_name}: tensor {t.index} ({t.name!r}) is {t.dtype} with a zero point outside "
                f"[{low}, {high}]; the model is damaged"
            )


def _where(graph: Graph, op: Operator) -> str:
    position = op.index if op.local_index < 0 else op.local_index
    return f"{graph.source_name}: operator {position} ({op.opcode}) in subgraph {op.subgraph}"


def _check_operators_known(graph: Graph, table: Mapping[str, OpLowering]) -> None:
    unknown = [op for op in graph.all_operators() if op.opcode not in table]
    if not unknown:
        return
    listed = ", ".join(f"{op.opcode} ({op.location})" for op in unknown)
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


def _check_hybrid_supported(graph: Graph, op: Operator, table: Mapping[str, OpLowering]) -> None:
    """Hybrid (dynamic-range quantized) operators keep float32 activations and 8-bit weights,
    quantizing the input on the fly; their arithmetic differs from both int8 and float models,
    so only lowerings with a hybrid kernel take them."""
    if op.opcode in _TYPE_CONVERSIONS or "hybrid" in table[op.opcode].dtypes:
        return
    operands = _operands(graph, op)
    weights = [t for t in operands if t.is_constant and t.dtype in ("int8", "uint8")]
    float_activations = [t for t in operands if not t.is_constant and t.dtype == "float32"]
    if weights and float_activations:
        hybrid_ops = ", ".join(sorted(o for o, low in table.items() if "hybrid" in low.dtypes))
        raise UnsupportedError(
            f"{_where(graph, op)} is hybrid: float32 activations ({float_activations[0].name!r}) with "
            f"{weights[0].dtype} weights ({weights[0].name!r}), from dynamic-range quantization. "
            f"{op.opcode} has no hybrid kernel (hybrid operators supported: {hybrid_ops or 'none'}). "
            f"{_FIX_QUANTIZATION}"
        )


def _check_activation_dtypes(graph: Graph, op: Operator, table: Mapping[str, OpLowering]) -> None:
    if op.opcode in _TYPE_CONVERSIONS:
        return
    for t in _operands(graph, op):
        if t.is_constant:
            continue
        if t.dtype == "uint8" and t.quant is not None:
            raise UnsupportedError(
                f"{_where(graph, op)} has uint8 quantized activations ({t.name!r}): TFLite's legacy asymmetric "
                "uint8 quantization, which TFLite Micro does not run either and which is not supported. Re-convert "
                "the model with full-integer int8 quantization (int8 weights and activations), or use the float32 model."
            )


# Per operator, in this order (see the module docstring); each raises UnsupportedError.
_OPERATOR_CHECKS = (_check_hybrid_supported, _check_activation_dtypes, _check_lowering)


def _model(graph: Graph) -> str:
    return graph.source_name or "the model"


def check_structure(graph: Graph) -> None:
    """The model as a whole: its inputs and outputs, and that every tensor read has a value."""
    model = _model(graph)
    if not graph.inputs or not graph.outputs:
        raise UnsupportedError(f"{model}: the model needs at least one input and one output")
    if len(set(graph.outputs)) != len(graph.outputs) or len(set(graph.inputs)) != len(graph.inputs):
        raise UnsupportedError(f"{model}: a tensor is listed twice among the model inputs or outputs")
    both = set(graph.inputs) & set(graph.outputs)
    if both:
        name = graph.tensor(min(both)).name
        raise UnsupportedError(f"{model}: tensor {name!r} is both a model input and a model output")
    for index in (*graph.inputs, *graph.outputs):
        t = graph.tensor(index)
        if t.dtype not in C_TYPES:  # the types the C interface can carry
            raise UnsupportedError(f"{model}: model input/output {t.name!r} has type {t.dtype}; use int8, uint8, int16, int32 or float32")
        if t.is_variable:
            raise UnsupportedError(
                f"{model}: model input/output {t.name!r} is a variable tensor (state kept between runs); "
                "state is not an input or output of the compiled model: it lives in the state pool "
                "(tvmgen_<name>_state). Export the model without the state among its inputs/outputs."
            )
    for inputs, outputs, operators in _parts(graph):  # each subgraph has tensors of its own
        _check_dataflow(graph, inputs, outputs, operators)


def _check_dataflow(graph: Graph, inputs: tuple[int, ...], outputs: tuple[int, ...], operators: list[Operator]) -> None:
    """Operators run in file order (TFLite's execution plan): each tensor an operator reads must
    have its value by then (an input, a constant, a variable, or written by an earlier operator),
    each tensor is written once, and each output is written. Otherwise the model reads memory
    nothing wrote: a tensor no operator writes, or a cycle (an operator reading what it or a later
    operator writes)."""
    model = _model(graph)
    writer: dict[int, Operator] = {}
    for op in operators:
        for index in op.outputs:
            t = graph.tensor(index)
            if index in writer or index in inputs or t.is_constant:
                what = "a model input" if index in inputs else "a constant" if t.is_constant else (
                    f"also written by {writer[index].location} ({writer[index].opcode})"
                )
                raise ModelFormatError(
                    f"{model}: {op.location} ({op.opcode}) writes tensor {t.name!r}, which is {what}; "
                    "each tensor has one writer (the model is damaged)"
                )
            writer[index] = op
    available = set(inputs)
    for op in operators:
        for index in op.inputs:
            t = graph.tensor(index) if index >= 0 else None
            # A tensor with no elements holds nothing to read (e.g. MEAN's empty axis list, which
            # converters store without data).
            if t is None or index in available or t.is_constant or t.is_variable or not t.num_elements:
                continue
            if index in writer:
                later = writer[index]
                when = "itself" if later is op else f"{later.location} ({later.opcode}), which runs after it"
                raise ModelFormatError(
                    f"{model}: {op.location} ({op.opcode}) reads tensor {t.name!r} before it is written: it is "
                    f"written by {when}; the operators form a cycle or are out of order (the model is damaged)"
                )
            raise UnsupportedError(
                f"{model}: {op.location} ({op.opcode}) reads tensor {t.name!r}, "
                f"which no operator writes and which is neither a constant nor a variable tensor"
            )
        available.update(op.outputs)
    for index in outputs:
        t = graph.tensor(index)
        # A variable tensor as an output is refused later, with its own message (the state pool).
        if index not in available and not t.is_constant and not t.is_variable and t.num_elements:
            raise ModelFormatError(
                f"{model}: output tensor {t.name!r} is written by no operator and is not a constant "
                "(the model is damaged)"
            )
