"""Measurements of one model on one board: run the firmware under QEMU, size it, read its plan.

Everything here reads files Bazel built (listed by the manifests of //benchmarks:defs.bzl) and
runs two tools: qemu-system-arm (with `-icount shift=0,sleep=off`, as microtvm_qemu_run does, so
that instruction counts repeat exactly) and the toolchain's size tool.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Callable

from mapfile import FLASH_SECTIONS, classify, helpers, input_sections, origin_of

QEMU_TIMEOUT_S = 600

_BENCH_LINE = re.compile(r"benchmark: instructions=(\d+) unit=(\w+) status=(-?\d+) checksum=([0-9a-f]+)")
_GOLDEN_LINE = re.compile(r"(\d+) of (\d+) seeds match LiteRT-ref")


def run_qemu(qemu: str, machine: str, elf: Path) -> tuple[int, str]:
    """Runs a firmware to its exit; returns (exit code, console output)."""
    command = [qemu, "-M", machine, "-nographic", "-monitor", "none",
               "-semihosting-config", "enable=on,target=native",
               "-icount", "shift=0,sleep=off", "-kernel", str(elf)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=QEMU_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        partial = error.stdout or ""
        if isinstance(partial, bytes):
            partial = partial.decode("utf-8", "replace")
        return 124, f"{partial}\n(stopped after {QEMU_TIMEOUT_S} s)"
    return done.returncode, done.stdout + done.stderr


def bench_result(qemu: str, machine: str, elf: Path) -> dict:
    """Instructions of one inference (and the output checksum) from the benchmark firmware."""
    code, output = run_qemu(qemu, machine, elf)
    match = _BENCH_LINE.search(output)
    if code != 0 or not match:
        return {"error": f"benchmark firmware exited with {code}: {output.strip()[-400:]}"}
    return {"instructions": int(match.group(1)), "unit": match.group(2), "checksum": match.group(4)}


def golden_result(qemu: str, machine: str, elf: Path) -> dict:
    """Whether every golden seed matched LiteRT's reference kernels, from the golden firmware."""
    code, output = run_qemu(qemu, machine, elf)
    match = _GOLDEN_LINE.search(output)
    if not match:
        return {"bit_exact": False, "detail": f"golden firmware exited with {code}: {output.strip()[-400:]}"}
    matched, seeds = int(match.group(1)), int(match.group(2))
    return {"bit_exact": code == 0 and matched == seeds, "detail": match.group(0), "seeds": seeds}


def section_sizes(size_tool: str, elf: Path) -> dict[str, int]:
    """Section name -> bytes, from `size -A -d` (allocated sections only)."""
    output = subprocess.run([size_tool, "-A", "-d", str(elf)], check=True, capture_output=True, text=True).stdout
    sizes = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def firmware_sizes(size_tool: str, elf: Path, map_file: Path, library_objects: list[str]) -> dict:
    """Flash and RAM of the firmware, in total and by origin.

    flash = .text (code and constants) + .ARM.exidx/.extab + .data's initial values;
    RAM = .data + .noinit + .bss + the board's heap and stack reservations (as the firmware rules' size
    report counts them), and also without those reservations.
    """
    sizes = section_sizes(size_tool, elf)
    flash = sum(sizes.get(name, 0) for name in (".text", ".ARM.extab", ".ARM.exidx", ".data"))
    reservations = sizes.get(".heap", 0) + sizes.get(".stack", 0)
    ram = sizes.get(".data", 0) + sizes.get(".noinit", 0) + sizes.get(".bss", 0) + reservations
    map_text = map_file.read_text()
    sections = input_sections(map_text)
    ours = helpers(map_text, lambda source: origin_of(source, library_objects) != "other")
    breakdown = classify(sections, library_objects, ours.members)
    # Members stay in the link even when --gc-sections drops all of their code: name only the
    # helpers that still occupy flash.
    kept = {s.source for s in sections if s.size > 0 and s.output in FLASH_SECTIONS}
    helper_symbols = sorted({symbol for member, names in ours.symbols.items() if member in kept for symbol in names})
    return {
        "flash_bytes": flash,
        "ram_bytes": ram,
        "ram_without_stack_heap_bytes": ram - reservations,
        "stack_heap_reservation_bytes": reservations,
        "flash_by_origin": breakdown.flash,
        "ram_by_origin": breakdown.ram,
        # Our code: the generated model code and the kernels it calls, without weights, libc,
        # libgcc, startup code or the application.
        "flash_excluding_weights_bytes": breakdown.flash["generated"] + breakdown.flash["runtime"],
        # Library functions our code needs (libgcc, libc, libm), and the symbols it asked for.
        "helper_flash_bytes": breakdown.flash["helpers"],
        "helper_symbols": helper_symbols,
    }


def plan_figures(metadata_file: Path) -> dict:
    """Workspace, lower bound, state and constants from the MLF's metadata.json."""
    metadata = json.loads(metadata_file.read_text())
    (module,) = metadata["modules"].values()
    memory = module["memory"]
    return {
        "workspace_bytes": memory.get("workspace_size_bytes"),
        "peak_live_bytes": memory.get("peak_live_bytes"),  # None: the compiler does not say
        # The state pool of a stateful model (SVDF/LSTM variable tensors), the application's
        # buffer beside the workspace; 0 for a stateless model.
        "state_bytes": memory.get("state_size_bytes", 0),
        "io_bytes": memory.get("io_size_bytes"),
        "constants_bytes": memory.get("constants_size_bytes"),
        "operators": len(module.get("operators", [])),
    }


def measure_board(entry: dict, resolve: Callable[[dict], Path], qemu: str) -> dict:
    """All figures of one model on one board (entry: a board manifest of defs.bzl)."""
    bench_elf = resolve(entry["bench_elf"])
    result = {"board": entry["board"], "cpu": entry["cpu"]}
    result.update(plan_figures(resolve(entry["metadata"])))
    result.update(firmware_sizes(entry["size_tool"], bench_elf, resolve(entry["bench_map"]), entry["library_objects"]))
    result.update(bench_result(qemu, entry["qemu_machine"], bench_elf))
    result["golden"] = golden_result(qemu, entry["qemu_machine"], resolve(entry["golden_elf"]))
    return result
