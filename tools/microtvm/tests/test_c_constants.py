"""Constants the lowerings share with the C headers stay equal to them, every enum name and
parameter struct type a lowering writes into generated C is declared by a header
(runtime/include/mtvm/*.h), and parameter structs are emitted only through `ctx.params`.

The headers are parsed, not compiled: `#define MTVM_X <integer>`, enumerators
`MTVM_X = <integer>` / `MTVM_X,` inside `enum { ... }`, `} mtvm_..._t;` typedefs and the
scratch-size macros (evaluated on sample sizes against their Python twins).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from microtvm.ops import (
    conv,
    copies,
    detection,
    elementwise,
    gather,
    hybrid_recurrent,
    movement,
    recurrent,
    reduce,
    reduction,
    signal,
    slicing,
    space,
)

ROOT = Path(__file__).absolute().parents[3]
HEADERS = ROOT / "runtime" / "include" / "mtvm"
OPS = Path(__file__).absolute().parents[1] / "microtvm" / "ops"

_DEFINE = re.compile(r"^\s*#\s*define\s+(MTVM_\w+)\s+\(?(-?\d+)\)?\s*(?:/[*/].*)?$", re.MULTILINE)
_ENUM = re.compile(r"\benum\b[^{;]*\{(.*?)\}", re.DOTALL)
_ENUMERATOR = re.compile(r"\b(MTVM_\w+)\s*(?:=\s*(-?\d+))?\s*(?:,|$)")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


def _header_constants() -> dict[str, int]:
    """Every integer #define and enumerator of the kernel library's headers."""
    found: dict[str, int] = {}
    for header in sorted(HEADERS.glob("*.h")):
        text = header.read_text()
        found.update({name: int(value) for name, value in _DEFINE.findall(text)})
        for body in _ENUM.findall(_COMMENT.sub("", text)):
            value = -1
            for name, explicit in _ENUMERATOR.findall(body):
                value = int(explicit) if explicit else value + 1
                found[name] = value
    return found


CONSTANTS = _header_constants()

# Python constant -> the header constant it mirrors.
MIRRORED = [
    (conv.MAX_TAPS, "MTVM_CONV_MAX_TAPS"),
    (conv.MAX_GATHER, "MTVM_CONV_MAX_GATHER"),
    (elementwise.MAX_BROADCAST_DIMS, "MTVM_BCAST_MAX_DIMS"),
    (movement.MAX_COPY_RANK, "MTVM_COPY_MAX_RANK"),
    (reduce._MEAN_MAX_DIMS, "MTVM_MEAN_MAX_DIMS"),
    (reduction.MAX_DIMS, "MTVM_REDUCE_MAX_DIMS"),
    (gather.MAX_ND_DEPTH, "MTVM_GATHER_ND_MAX_DEPTH"),
    (signal.MAX_FFT_STAGES, "MTVM_FFT_MAX_STAGES"),
    (space.MAX_MIRROR_RANK, "MTVM_MIRROR_PAD_MAX_RANK"),
    (copies.MAX_COPY_RANK, "MTVM_COPY_MAX_RANK"),
    (slicing.MAX_RANK, "MTVM_COPY_MAX_RANK"),  # SLICE, SPLIT, PACK, ... copy through mtvm_copy_params_t
    (slicing.MAX_RANK, "MTVM_UPDATE_SLICE_MAX_RANK"),
]


@pytest.mark.parametrize("value, name", MIRRORED, ids=[name for _, name in MIRRORED])
def test_python_constants_equal_the_headers(value: int, name: str) -> None:
    assert name in CONSTANTS, f"{name} is not defined in runtime/include/mtvm/*.h"
    assert value == CONSTANTS[name], f"the Python mirror of {name} is {value}, the header says {CONSTANTS[name]}"


def test_enum_names_the_lowerings_write_are_declared() -> None:
    """Enumerated parameters are written by name (ctx.params): each name must exist in C."""
    used = set()
    for source in sorted(OPS.glob("*.py")):
        used |= set(re.findall(r"[\"'](MTVM_[A-Z0-9_]+)[\"']", source.read_text()))
    assert {"MTVM_CONV_PAIRS", "MTVM_DW_QUADS", "MTVM_S16_REQUANT_INT32", "MTVM_ACT_RELU"} <= used
    missing = sorted(used - set(CONSTANTS))
    assert not missing, f"not declared in runtime/include/mtvm/*.h: {', '.join(missing)}"


def test_the_parser_reads_enums_and_defines() -> None:
    assert CONSTANTS["MTVM_CONV_PLAIN"] == 0 and CONSTANTS["MTVM_CONV_GATHER"] == 2
    assert CONSTANTS["MTVM_LSTM_O"] == 3 and CONSTANTS["MTVM_BCAST_MAX_DIMS"] >= 1


def test_lstm_gate_order_equals_the_header() -> None:
    """recurrent.GATES indexes the per-gate arrays of the LSTM parameter structs."""
    assert [CONSTANTS[f"MTVM_LSTM_{gate}"] for gate in recurrent.GATES] == list(range(len(recurrent.GATES)))


def _function_macro(name: str) -> tuple[list[str], str]:
    """(parameters, body) of a function-like `#define name(...) body` (continuation lines joined)."""
    for header in sorted(HEADERS.glob("*.h")):
        text = header.read_text().replace("\\\n", " ")
        match = re.search(rf"^\s*#\s*define\s+{name}\(([^)]*)\)(.*)$", text, re.MULTILINE)
        if match:
            return [p.strip() for p in match.group(1).split(",")], match.group(2)
    raise AssertionError(f"{name} is not defined in runtime/include/mtvm/*.h")


def _evaluate_macro(name: str, *args: int) -> int:
    """The macro's value for integer arguments (size_t casts dropped: the sizes here do not wrap)."""
    parameters, body = _function_macro(name)
    expression = _COMMENT.sub("", body).replace("(size_t)", "")
    for inner in re.findall(r"(MTVM_\w+)\(([^()]*)\)", expression):  # a macro used inside, with plain arguments
        inner_parameters, inner_body = _function_macro(inner[0])
        call_args = [a.strip() for a in inner[1].split(",")]
        inner_body = _COMMENT.sub("", inner_body).replace("(size_t)", "")
        for formal, actual in zip(inner_parameters, call_args):
            inner_body = re.sub(rf"\b{formal}\b", f"({actual})", inner_body)
        expression = expression.replace(f"{inner[0]}({inner[1]})", f"({inner_body})")
    assert re.fullmatch(r"[\w\s()+*-]+", expression), f"{name}: not a plain integer expression"
    return int(eval(expression, {"__builtins__": {}}, dict(zip(parameters, args))))


SIZES = [1, 2, 3, 7, 64, 1917]


@pytest.mark.parametrize("n", SIZES)
def test_detection_scratch_equals_the_header(n: int) -> None:
    for d in (1, 10, 100):
        for c in (1, 4, 91):
            assert detection.scratch_bytes(n, d, c) == _evaluate_macro("MTVM_DETECTION_SCRATCH_BYTES", n, d, c)
            quantized = _evaluate_macro("MTVM_DETECTION_Q_SCRATCH_BYTES", n, d, c)
            assert detection.quantized_scratch_bytes(n, d, c) == quantized


@pytest.mark.parametrize("n_batch", [1, 2, 5])
def test_hybrid_lstm_scratch_equals_the_header(n_batch: int) -> None:
    for n_input, n_cell, n_output in ((1, 1, 1), (3, 8, 4), (40, 64, 64)):
        expected = _evaluate_macro("MTVM_LSTM_HYBRID_SCRATCH_BYTES", n_batch, n_input, n_cell, n_output)
        assert hybrid_recurrent.lstm_scratch_bytes(n_batch, n_input, n_cell, n_output) == expected


def _typedefs() -> set[str]:
    names: set[str] = set()
    for header in sorted(HEADERS.glob("*.h")):
        names |= set(re.findall(r"\}\s*(mtvm_\w+_t)\s*;", _COMMENT.sub("", header.read_text())))
    return names


def test_parameter_struct_types_the_lowerings_write_are_declared() -> None:
    """Every parameter struct type named in ops/ (ctx.params("mtvm_..._params_t", ...), and the
    type names a lowering picks between) is a typedef of a header."""
    used: set[str] = set()
    for source in sorted(OPS.glob("*.py")):
        used |= set(re.findall(r"[\"'](mtvm_\w+_params_t)[\"']", source.read_text()))
    assert {"mtvm_conv2d_s8_params_t", "mtvm_unary_params_t", "mtvm_select_params_t"} <= used
    missing = sorted(used - _typedefs())
    assert not missing, f"not declared in runtime/include/mtvm/*.h: {', '.join(missing)}"


def test_parameter_structs_are_emitted_only_through_ctx_params() -> None:
    """No lowering writes its own `static const` declaration or file-scope decls: ctx.params
    (codegen/params.py) is the one way, so every value is written the same way."""
    offenders = []
    for source in sorted(OPS.glob("*.py")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"f[\"'].*static const|\bdecls\s*=|_params_decl\b|\bparams_decl\b", code):
                offenders.append(f"{source.name}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
