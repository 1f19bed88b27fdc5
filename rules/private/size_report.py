"""Size report of a firmware image, and the check that it fits its board's budgets.

Runs the toolchain's size tool (Berkeley format) on an ELF and writes a report such as

    Firmware //examples/hello:hello_mps2_an386 for board mps2_an386 (cortex-m4)
    arm-none-eabi-size: text=9556 data=108 bss=29180

    region        used      budget    capacity  used/budget
    flash         9664     4194304     4194304         0.2%  ok
    RAM          29288     4194304     4194304         0.7%  ok

flash = text + data: code, constants and the initial values of .data live in flash.
RAM = data + bss: .data, .bss and the board's heap and stack reservations (NOLOAD sections).

It is also the check of microtvm_firmware's one link. That link runs with --noinhibit-exec, so
the linker writes an image and exits with 0 even when a memory region overflows or a symbol is
undefined; its messages are in --linker-diagnostics (rules/private/link_diagnostics.sh). With
--require-fit this program then, in this order:

  1. exits with status 1 and prints the table (to stderr) when a region is over its budget, so a
     firmware that does not fit fails the build with this table rather than with a linker error
     (other linker errors follow the table);
  2. exits with status 1 and prints the linker's messages when the linker reported any error
     (everything but warnings: undefined symbols, multiple definitions, relocations out of range,
     a region that overflows although the budget holds, ...);
  3. otherwise writes --report and copies the checked image to --checked-elf, the ELF users get.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from typing import NamedTuple

# ld's messages for a section that does not fit a MEMORY region (GNU ld's wording).
_OVERFLOW = re.compile(r"region `[^']*' overflowed by \d+ bytes|will not fit in region `[^']*'")
# The location line ld prints before a message about a place in an object ("in function `f':").
_CONTEXT = re.compile(r": [iI]n function `[^']*':$")


class Sizes(NamedTuple):
    """Berkeley-format totals of an ELF, in bytes."""

    text: int
    data: int
    bss: int


class Region(NamedTuple):
    name: str
    used: int
    budget: int
    capacity: int

    @property
    def over(self) -> int:
        return self.used - self.budget


def read_sizes(size_tool: str, elf: str) -> Sizes:
    """Runs `size -B -d ELF` and parses its one line of numbers."""
    output = subprocess.run([size_tool, "-B", "-d", elf], check=True, capture_output=True, text=True).stdout
    # Header "   text    data     bss     dec     hex filename", then one line per file.
    numbers = output.strip().splitlines()[1].split()
    return Sizes(text=int(numbers[0]), data=int(numbers[1]), bss=int(numbers[2]))


def regions(sizes: Sizes, args: argparse.Namespace) -> list[Region]:
    return [
        Region("flash", sizes.text + sizes.data, args.flash_budget, args.flash_capacity),
        Region("RAM", sizes.data + sizes.bss, args.ram_budget, args.ram_capacity),
    ]


def render(sizes: Sizes, rows: list[Region], args: argparse.Namespace) -> str:
    lines = [
        f"Firmware {args.firmware} for board {args.board} ({args.cpu})",
        f"{args.size_tool_name}: text={sizes.text} data={sizes.data} bss={sizes.bss}",
        "",
        f"{'region':<8}{'used':>10}{'budget':>12}{'capacity':>12}{'used/budget':>13}",
    ]
    for row in rows:
        percent = 100.0 * row.used / row.budget if row.budget else float("inf")
        verdict = "ok" if row.over <= 0 else f"OVER BUDGET by {row.over} bytes"
        lines.append(f"{row.name:<8}{row.used:>10}{row.budget:>12}{row.capacity:>12}{percent:>12.1f}%  {verdict}")
    lines += [
        "",
        "flash = text + data: code, constants and the initial values of .data live in flash.",
        "RAM = data + bss: .data, .bss and the board's heap and stack reservations.",
    ]
    lines += model_memory(args.model_metadata or [])
    return "\n".join(lines) + "\n"


def model_memory(metadata_files: list[str]) -> list[str]:
    """One line per model: its workspace (in .bss when the pool is internal, else the
    application's), its state (always the application's buffer, one per stream) and constants."""
    lines = []
    for path in sorted(metadata_files):
        with open(path, encoding="utf-8") as f:
            modules = json.load(f)["modules"]
        for name, module in sorted(modules.items()):
            memory = module["memory"]
            external = any(pool["external"] for pool in memory.get("pools", []))
            lines.append(
                f"model {name}: workspace {memory['workspace_size_bytes']} bytes "
                f"({'pools passed by the application' if external else 'internal, in RAM above'}), "
                f"state {memory.get('state_size_bytes', 0)} bytes (the application's buffer), "
                f"constants {memory['constants_size_bytes']} bytes (flash)"
            )
    return [""] + lines if lines else []


def linker_messages(path: str | None) -> tuple[list[str], list[str]]:
    """The linker's memory overflow messages and its other errors (warnings are neither)."""
    if not path:
        return [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip() for line in f if line.strip()]
    overflow = [line for line in lines if _OVERFLOW.search(line)]
    errors = [
        line for line in lines if not _OVERFLOW.search(line) and "warning:" not in line and not _CONTEXT.search(line)
    ]
    if errors:  # show them with their locations
        errors = [line for line in lines if not _OVERFLOW.search(line)]
    return overflow, errors


def advice(rows: list[Region], args: argparse.Namespace) -> str:
    over = [row for row in rows if row.over > 0]
    needs = ", ".join(f"{row.name} needs {row.used} bytes of {row.budget}" for row in over)
    return (
        f"error: {args.firmware} does not fit board {args.board}: {needs}.\n"
        "What to do: make the model or its buffers smaller (e.g. a smaller workspace or input), "
        "pick a board with more memory, or lower the stack/heap reservations "
        "(linkopts -Wl,--defsym=__stack_size__=N / __heap_size__=N).\n"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-tool", required=True, help="path of the size tool")
    parser.add_argument("--size-tool-name", default="arm-none-eabi-size")
    parser.add_argument("--elf", required=True)
    parser.add_argument("--firmware", required=True, help="label, for messages")
    parser.add_argument("--board", required=True)
    parser.add_argument("--cpu", required=True)
    parser.add_argument("--flash-budget", type=int, required=True)
    parser.add_argument("--ram-budget", type=int, required=True)
    parser.add_argument("--flash-capacity", type=int, required=True)
    parser.add_argument("--ram-capacity", type=int, required=True)
    parser.add_argument("--report", help="write the report here")
    parser.add_argument(
        "--model-metadata", action="append", help="a model's metadata.json (repeatable): its memory sizes"
    )
    parser.add_argument(
        "--require-fit", action="store_true", help="exit 1 when a budget is exceeded or the link failed"
    )
    parser.add_argument("--linker-diagnostics", help="the messages of the link that wrote --elf")
    parser.add_argument("--checked-elf", help="copy --elf here once every check passed")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = read_sizes(args.size_tool, args.elf)
    rows = regions(sizes, args)
    report = render(sizes, rows, args)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            out.write(report)
    overflow, errors = linker_messages(args.linker_diagnostics)
    if args.require_fit and any(row.over > 0 for row in rows):
        sys.stderr.write("\n" + report + "\n" + advice(rows, args))
        if overflow or errors:
            sys.stderr.write("\nThe linker said:\n" + "\n".join(overflow + errors) + "\n")
        return 1
    if args.require_fit and (overflow or errors):
        sys.stderr.write(f"error: linking {args.firmware} failed:\n" + "\n".join(overflow + errors) + "\n")
        return 1
    if args.linker_diagnostics:
        with open(args.linker_diagnostics, encoding="utf-8", errors="replace") as f:
            sys.stderr.write(f.read())  # the linker's warnings, as a link would print them
    if args.checked_elf:
        shutil.copyfile(args.elf, args.checked_elf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
