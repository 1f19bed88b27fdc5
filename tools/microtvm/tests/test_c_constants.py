"""Constants the lowerings share with the C headers stay equal to them, and every enum name a
lowering writes into generated C is declared by a header (runtime/include/mtvm/*.h).

The headers are parsed, not compiled: `#define MTVM_X <integer>` and enumerators
`MTVM_X = <integer>` / `MTVM_X,` inside `enum { ... }`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from microtvm.ops import (
    conv,
    elementwise,
    gather,
    movement,
    reduce,
    reduction,
    signal,
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
