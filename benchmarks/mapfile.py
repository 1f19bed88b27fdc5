"""Where the bytes of a firmware come from, read from the GNU linker's map file.

The map's "Linker script and memory map" part lists every input section that was kept (after
--gc-sections) under the output section it went to, with its size and the object it came from:

    .text           0x00000000     0x3d4c
     .text.mtvm_conv2d_s8
                    0x00000200      0x1a4 bazel-out/.../runtime/libmtvm.a(conv.o)
     .rodata.tvm    0x00001000     0x5f40 bazel-out/.../benchmarks/_objs/kws_model/kws_lib0.o

(a short section name shares the line with its address, size and object). Summing sizes by
object gives "our code" without libc, libgcc, startup code or the application: exactly the
generated model code plus the kernels it calls. The library code our code makes the linker pull
in (e.g. libgcc's soft double arithmetic on a single-precision FPU, memset) is counted apart, as
"helpers", from the map's list of archive members and who referenced them.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, NamedTuple, Sequence

# Output sections whose contents are stored in flash (.data: its initial values).
FLASH_SECTIONS = (".text", ".ARM.extab", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".noinit", ".bss")

_OUTPUT_SECTION = re.compile(r"^(\.\S+)(?:\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+.*)?$")
_INPUT_FULL = re.compile(r"^ (\.\S+|COMMON)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
_INPUT_NAME_ONLY = re.compile(r"^ (\.\S+|COMMON)$")
_INPUT_REST = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


class InputSection(NamedTuple):
    output: str  # the output section, e.g. ".text"
    name: str  # the input section, e.g. ".text.mtvm_conv2d_s8"
    size: int
    source: str  # the object, e.g. "bazel-out/.../libmtvm.a(conv.o)"


def input_sections(map_text: str) -> list[InputSection]:
    """Every kept input section of a GNU ld map file, in order."""
    lines = map_text.splitlines()
    try:
        start = lines.index("Linker script and memory map")
    except ValueError:
        raise ValueError("not a GNU ld map file (no 'Linker script and memory map')") from None
    sections: list[InputSection] = []
    output = ""
    pending = None  # an input section name whose address, size and object are on the next line
    for line in lines[start + 1 :]:
        if pending is not None:
            rest = _INPUT_REST.match(line)
            if rest:
                sections.append(InputSection(output, pending, int(rest.group(2), 16), rest.group(3).strip()))
            pending = None
            continue
        if line.startswith("."):
            match = _OUTPUT_SECTION.match(line)
            output = match.group(1) if match else ""
            continue
        full = _INPUT_FULL.match(line)
        if full:
            sections.append(InputSection(output, full.group(1), int(full.group(3), 16), full.group(4).strip()))
            continue
        if _INPUT_NAME_ONLY.match(line):
            pending = line.strip()
    return sections


class Helpers(NamedTuple):
    """Library members (libgcc, libc, libm) the linker pulled in for our code, directly or
    through another such member, and the symbols our code asked for."""

    members: frozenset[str]
    symbols: dict[str, tuple[str, ...]]  # member -> the symbols our code referenced in it


def helpers(map_text: str, ours: Callable[[str], bool]) -> Helpers:
    """Reads the map's "Archive member included to satisfy reference by file (symbol)" part:

        .../libgcc.a(_arm_muldf3.o)
                                  .../runtime/libmtvm.a(conv.o) (__aeabi_dmul)

    A member is a helper of ours if the linker took it for a symbol our code (`ours(referrer)`)
    referenced. Only direct references count: what a helper needs in turn (errno, the reentrancy
    structure) is shared with the rest of libc and stays "other". A member that libc or the
    application also needs is still counted if our code asked for it first.
    """
    lines = map_text.splitlines()
    symbols: dict[str, tuple[str, ...]] = {}
    try:
        start = lines.index("Archive member included to satisfy reference by file (symbol)")
    except ValueError:
        return Helpers(frozenset(), {})
    member = None
    for line in lines[start + 1 :]:
        if line.startswith(("Discarded input sections", "Memory Configuration", "Linker script")):
            break
        if not line.strip():
            continue
        if not line[0].isspace():
            member, _, line = line.partition(" ")
            if not line.strip():
                continue
        referrer, _, symbol = line.strip().rpartition(" (")
        if member is not None and referrer and ours(referrer) and not ours(member):
            symbols[member] = symbols.get(member, ()) + (symbol.rstrip(")"),)
        member = None
    return Helpers(frozenset(symbols), symbols)


class Breakdown(NamedTuple):
    """Bytes of flash and RAM by origin (see classify)."""

    flash: dict[str, int]
    ram: dict[str, int]


def origin_of(source: str, library_objects: Sequence[str]) -> str:
    """"generated" (the model library), "runtime" (the kernel library) or "other"."""
    if any(fragment in source for fragment in library_objects):
        return "generated"
    if "runtime/libmtvm" in source or "runtime/_objs/mtvm/" in source:
        return "runtime"
    return "other"


def classify(sections: Iterable[InputSection], library_objects: Sequence[str], helper_members: frozenset[str] = frozenset(),
             weights_prefix: str = ".rodata.tvm") -> Breakdown:
    """Sums section sizes into "weights", "generated", "runtime", "helpers" and "other".

    library_objects: path fragments that only the model library's objects contain, e.g.
        "<pkg>/lib<name>.a(" and "<pkg>/_objs/<name>/".
    helper_members: library members pulled in for our code (see helpers()).
    weights_prefix: the section of the generated constant arrays (weights, biases, tables).
    Everything else (libc, libgcc, startup, console, the application) is "other".
    """
    flash = {"weights": 0, "generated": 0, "runtime": 0, "helpers": 0, "other": 0}
    ram = {"workspace": 0, "generated": 0, "runtime": 0, "helpers": 0, "other": 0}
    for section in sections:
        if section.size == 0:
            continue
        origin = origin_of(section.source, library_objects)
        if origin == "other" and section.source in helper_members:
            origin = "helpers"
        if section.output in FLASH_SECTIONS:
            key = "weights" if origin == "generated" and section.name.startswith(weights_prefix) else origin
            flash[key] += section.size
        if section.output in RAM_SECTIONS:
            key = "workspace" if origin == "generated" and section.output in (".noinit", ".bss") else origin
            ram[key] += section.size
    return Breakdown(flash, ram)
