"""The benchmark results as Markdown (RESULTS.md), with the issue's targets beside our numbers."""
from __future__ import annotations

from typing import Iterable, NamedTuple, Optional


class Target(NamedTuple):
    """TFLM's numbers and ours to beat, for one MLPerf Tiny model on Cortex-M4F (issue 5)."""

    tflm_instructions: int  # TFLM + CMSIS-NN, same measuring method
    tflm_arena: int  # TFLM's arena on the Cortex-M4 (32-bit)
    max_instructions: int  # ours must be below this
    max_workspace: int  # ours must be at most this
    max_flash_excluding_weights: Optional[int] = None


TARGET_BOARD = "mps2_an386"
TARGETS = {
    "kws_ref_model": Target(7_700_264, 22_784, 7_700_000, 16_000, 16 * 1024),
    "vww_96_int8": Target(24_198_576, 100_672, 24_200_000, 73_728),
    "pretrainedResnet_quant": Target(29_591_156, 54_352, 29_590_000, 49_152),
    "ad01_int8": Target(581_940, 2_704, 580_000, 1_536),
}


def _n(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ok(good: Optional[bool]) -> str:
    return "n/a" if good is None else ("yes" if good else "**no**")


def _row(cells: Iterable) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = [_row(header), _row(["---"] * len(header))]
    lines += [_row(r) for r in rows]
    return lines


def _arena(model: dict) -> str:
    arena = model.get("tflm_arena", {})
    return _n(arena["total"]) if "total" in arena else "n/a"


def _bit_exact(board: dict) -> str:
    golden = board.get("golden", {})
    if golden.get("bit_exact"):
        return f"yes ({golden['seeds']} seeds)"
    return "**NO**: " + golden.get("detail", "not checked").replace("|", "/").replace("\n", " ")[:120]


def _instructions(board: dict) -> str:
    return _n(board["instructions"]) if "instructions" in board else "**error**"


def target_rows(models: list[dict]) -> list[list]:
    rows = []
    for model in models:
        target = TARGETS.get(model["name"])
        board = next((b for b in model["boards"] if b["board"] == TARGET_BOARD), None)
        if target is None or board is None:
            continue
        instructions = board.get("instructions")
        workspace = board.get("workspace_bytes")
        code = board.get("flash_excluding_weights_bytes")
        code_ok = None if target.max_flash_excluding_weights is None else code <= target.max_flash_excluding_weights
        rows.append([
            model["name"],
            _instructions(board),
            _n(target.tflm_instructions),
            "< " + _n(target.max_instructions),
            _ok(None if instructions is None else instructions < target.max_instructions),
            _n(workspace),
            _n(board.get("peak_live_bytes")),
            _n(target.tflm_arena),
            _arena(model),
            "<= " + _n(target.max_workspace),
            _ok(None if workspace is None else workspace <= target.max_workspace),
            _n(code) + ("" if target.max_flash_excluding_weights is None
                        else f" (<= {_n(target.max_flash_excluding_weights)}: {_ok(code_ok)})"),
            _bit_exact(board),
        ])
    return rows


# Issue 15: the MLPerf Tiny models on the Cortex-M55 (Helium) in at most this fraction of our own
# Cortex-M4F instruction counts.
HELIUM_BOARD = "mps3_an547"
HELIUM_TARGET_RATIO = 0.35


def helium_rows(models: list[dict]) -> list[list]:
    rows = []
    for model in models:
        if model["name"] not in TARGETS:
            continue
        m4 = next((b for b in model["boards"] if b["board"] == TARGET_BOARD), None)
        m55 = next((b for b in model["boards"] if b["board"] == HELIUM_BOARD), None)
        if m4 is None or m55 is None or "instructions" not in m4 or "instructions" not in m55:
            continue
        ratio = m55["instructions"] / m4["instructions"]
        rows.append([
            model["name"],
            _n(m4["instructions"]),
            _n(m55["instructions"]),
            f"{ratio:.3f}",
            _ok(ratio <= HELIUM_TARGET_RATIO),
            _n(m55.get("workspace_bytes")),
            _n(m55.get("flash_bytes")),
            _n(m55.get("flash_excluding_weights_bytes")),
            _bit_exact(m55),
        ])
    return rows


def all_rows(models: list[dict]) -> list[list]:
    rows = []
    for model in models:
        for board in model["boards"]:
            rows.append([
                model["name"],
                f"{board['board']} ({board['cpu']})",
                _instructions(board),
                _n(board.get("workspace_bytes")),
                _n(board.get("peak_live_bytes")),
                _n(board.get("state_bytes")),
                _arena(model),
                _n(board.get("ram_bytes")),
                _n(board.get("ram_without_stack_heap_bytes")),
                _n(board.get("flash_bytes")),
                _n(board.get("flash_excluding_weights_bytes")),
                _n(board.get("helper_flash_bytes")),
                _n(board.get("flash_by_origin", {}).get("weights")),
                _bit_exact(board),
            ])
    return rows


def render(results: dict) -> str:
    """RESULTS.md for the results of report.py (see its JSON for the same numbers, and more)."""
    models = results["models"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `./tools/bazel run //benchmarks:report` (do not edit by hand); method and log in",
        "[README.md](README.md), every number also in [results.json](results.json).",
        "",
        f"- commit: `{results['commit']}`",
        f"- compiler: {results['toolchain']}; QEMU: {results['qemu']}, `-icount shift=0,sleep=off`",
        f"- models: {results['models_note']}",
        "",
        "Instructions: guest instructions of one `tvmgen_<model>_run` call (after one warm-up run),",
        "counted by `microtvm_board_measure` (not cycles); a stateful model's count is the last",
        "invocation of a sequence of 4 from `tvmgen_<model>_reset_state`. Workspace: the model's",
        "planned pools (metadata.json); lower bound: the compiler's peak of simultaneously live",
        "bytes; state: the state pool of a stateful model (SVDF/LSTM variable tensors), the",
        "application's buffer beside the workspace (metadata.json `state_size_bytes`). RAM:",
        "`.data + .noinit + .bss` of the benchmark firmware (with the state buffer), including the board's",
        "16 KiB stack and 8 KiB heap reservations (also shown without them). Flash: `.text + .rodata + .data`",
        "initial values.",
        "Flash excl. weights: our generated code and the kernels it calls (from the linker map),",
        "without the generated constant arrays, libc, libgcc, startup code or the application;",
        "+ lib helpers: the libgcc/libc functions our code makes the linker pull in (e.g. soft",
        "double arithmetic, memset), counted apart. Weights: the generated constant arrays.",
        "Bit-exact: the same compiled model, in a sibling firmware, against LiteRT's reference",
        "kernels on seeds 0, 1, 2 (a stateful model: a sequence of 3 invocations per seed).",
        "",
    ]
    rows = target_rows(models)
    if rows:
        lines += [
            f"## Targets: MLPerf Tiny on Cortex-M4F ({TARGET_BOARD})",
            "",
            "TFLM columns: TFLM + CMSIS-NN as measured for issue 5 (Cortex-M4), and TFLM's arena",
            "from the tflite-micro Python package on the 64-bit host (larger than on a 32-bit core).",
            "",
        ]
        lines += _table([
            "model", "instructions", "TFLM+CMSIS-NN", "target", "met",
            "workspace", "lower bound", "TFLM arena (M4)", "TFLM arena (x86_64)", "target", "met",
            "flash excl. weights", "bit-exact",
        ], rows)
        lines.append("")
    rows = helium_rows(models)
    if rows:
        lines += [
            f"## MLPerf Tiny on Cortex-M55 with Helium ({HELIUM_BOARD}) against Cortex-M4F ({TARGET_BOARD})",
            "",
            f"Target (issue 15): at most {HELIUM_TARGET_RATIO}x our Cortex-M4F instruction count. The same",
            "generated code; the kernels' Helium (MVE) paths on the M55, their DSP paths on the M4F.",
            "",
        ]
        lines += _table([
            "model", "instructions M4F", "instructions M55", "M55 / M4F", f"<= {HELIUM_TARGET_RATIO}",
            "workspace", "flash", "flash excl. weights", "bit-exact",
        ], rows)
        lines.append("")
    lines += ["## All models and boards", ""]
    lines += _table([
        "model", "board", "instructions", "workspace", "lower bound", "state", "TFLM arena (x86_64)",
        "RAM", "RAM w/o stack+heap", "flash", "flash excl. weights", "+ lib helpers", "weights", "bit-exact",
    ], all_rows(models))
    helper_notes = []
    for cpu in sorted({b["cpu"] for m in models for b in m["boards"]}):
        symbols = sorted({s for m in models for b in m["boards"] if b["cpu"] == cpu for s in b.get("helper_symbols", [])})
        if symbols:
            helper_notes.append(f"Library functions our code calls on {cpu} (lib helpers): " +
                                ", ".join(f"`{s}`" for s in symbols) + ".")
    notes = helper_notes + results.get("notes", [])
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _change(before, after) -> str:
    if not isinstance(before, int) or not isinstance(after, int):
        return f"{_n(before)} -> {_n(after)}"
    if before == after:
        return f"{after:,} (=)"
    percent = f" ({100.0 * (after - before) / before:+.1f}%)" if before else ""
    return f"{before:,} -> {after:,}{percent}"


def compare(baseline: dict, results: dict) -> str:
    """A Markdown table of what changed against an earlier results.json (for the terminal)."""
    before = {(m["name"], b["board"]): b for m in baseline.get("models", []) for b in m.get("boards", [])}
    rows = []
    for model in results["models"]:
        for board in model["boards"]:
            old = before.get((model["name"], board["board"]))
            if old is None:
                continue
            rows.append([model["name"], board["board"]] + [
                _change(old.get(key), board.get(key))
                for key in ("instructions", "workspace_bytes", "flash_excluding_weights_bytes", "ram_bytes", "flash_bytes")
            ])
    if not rows:
        return "(no model in common with the baseline results)"
    lines = [f"## Against the baseline (commit {baseline.get('commit', 'unknown')})", ""]
    lines += _table(["model", "board", "instructions", "workspace", "flash excl. weights", "RAM", "flash"], rows)
    return "\n".join(lines) + "\n"
