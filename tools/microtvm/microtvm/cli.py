"""`microtvmc`: the command line over compiler.compile_model (Bazel's rules call the same code).

    microtvmc compile MODEL.tflite -o OUT(.tar|dir) [--report REPORT.txt] [options]
    microtvmc inspect MODEL.tflite [options]

A user mistake (errors.UserError: unreadable model, unsupported operator, bad option) prints
one line "microtvmc: error: ..." on stderr and exits with code 2, without a traceback and
without writing anything.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import BinaryIO, Optional, Sequence, TextIO

from . import mlf
from .codegen.interface import make_interface
from .codegen.io_api import describe, io_apis
from .compiler import VERSION, Analysis, CompileOptions, analyze, compile_graph, read_model
from .errors import UserError
from .ir import Graph
from .limits import MAX_MODEL_BYTES
from .ops import LOWERINGS_BY_OPCODE

PROG = "microtvmc"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _resolve_paths_for_bazel_run(args)
    try:
        if args.command == "compile":
            return _compile(args)
        if args.output is None:
            return _inspect(args, sys.stdout)
        report = io.StringIO()
        status = _inspect(args, report)
        args.output.write_text(report.getvalue())  # only after everything succeeded
        return status
    except UserError as error:
        print(f"{PROG}: error: {_one_line(str(error))}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # e.g. an output directory we may not write to
        print(f"{PROG}: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


def _resolve_paths_for_bazel_run(args: argparse.Namespace) -> None:
    """Under `bazel run` the process starts in its runfiles; relative paths mean the user's directory."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    if not base:
        return
    for name in ("model", "output", "report", "runtime_dir"):
        path = getattr(args, name, None)
        if path is not None and not path.is_absolute():
            setattr(args, name, Path(base) / path)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compile TensorFlow Lite models ahead of time to C (TVM's Model Library Format).",
        # @FILE: arguments from FILE, one per line (Bazel's rules pass them so, which keeps the
        # command Bazel shows for a failed action short).
        fromfile_prefix_chars="@",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_ = commands.add_parser("compile", help="write the Model Library Format (.tar or directory)")
    compile_.add_argument("model", type=Path, help="the .tflite model")
    compile_.add_argument("-o", "--output", type=Path, required=True, help="OUT.tar for an archive, else a directory")
    compile_.add_argument(
        "--extract",
        action="append",
        default=[],
        metavar="MLF_PATH=FILE",
        help="also write one file of the MLF to FILE (repeatable; used by the Bazel rules)",
    )
    compile_.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write what `inspect` prints for this compilation to FILE (used by the Bazel rules)",
    )
    _add_options(compile_)

    inspect = commands.add_parser("inspect", help="print operators, MACs, weights and the memory plan")
    inspect.add_argument("model", type=Path, help="the .tflite model")
    inspect.add_argument("-o", "--output", type=Path, default=None, help="write the report to this file (default: stdout)")
    _add_options(inspect)
    return parser


def _add_options(parser: argparse.ArgumentParser) -> None:
    defaults = CompileOptions()
    parser.add_argument("--module-name", default=defaults.module_name, help="the N in tvmgen_N_run (default: %(default)s)")
    parser.add_argument(
        "--workspace-pools",
        default="",
        metavar="NAME[:BYTES][,NAME...]",
        help="the caller passes the workspace as these pools (struct tvmgen_N_workspace_pools); "
        "an optional size limit sends what does not fit to the next pool. Default: one internal static pool",
    )
    parser.add_argument("--use-workspace-io", action="store_true", help="place inputs and outputs in the workspace (tvmgen_N_map_inputs/_outputs)")
    parser.add_argument("--target-cpu", default=None, help="e.g. cortex-m4 (recorded in metadata.json)")
    parser.add_argument("--constants-section", default=defaults.constants_section, help="section of constant arrays (default: %(default)s)")
    parser.add_argument("--workspace-section", default=defaults.workspace_section, help="section of the internal pool (default: %(default)s)")
    parser.add_argument("--alignment", type=int, default=defaults.alignment, help="alignment of buffers, pools and constants in bytes (default: %(default)s)")
    parser.add_argument(
        "--input-names",
        default="",
        metavar="NAME[,NAME...]",
        help="C names of the inputs, in order (struct members, TVMGEN_N_<NAME>_* macros, helpers); "
        "default: derived from the model's tensor names",
    )
    parser.add_argument("--output-names", default="", metavar="NAME[,NAME...]", help="C names of the outputs, in order (like --input-names)")
    parser.add_argument(
        "--runtime-dir",
        type=Path,
        default=None,
        help="the kernel library (the repository's runtime/) to ship; default: $MICROTVM_RUNTIME_DIR, "
        "else the one in a Bazel binary's runfiles",
    )


def _options(args: argparse.Namespace) -> CompileOptions:
    pools = tuple(p.strip() for p in args.workspace_pools.split(",") if p.strip())
    return CompileOptions(
        module_name=args.module_name,
        workspace_pools=pools,
        use_workspace_io=args.use_workspace_io,
        target_cpu=args.target_cpu,
        constants_section=args.constants_section,
        workspace_section=args.workspace_section,
        alignment=args.alignment,
        runtime_dir=args.runtime_dir,
        input_names=_names(args.input_names),
        output_names=_names(args.output_names),
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",")) if text.strip() else ()


def _read(path: Path) -> bytes:
    """The model's bytes, refusing a file over the reader's size limit before reading it (and
    reading at most one byte past the limit from what does not say its size: a pipe, /dev/zero)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_MODEL_BYTES:
                raise UserError(
                    f"cannot compile the model {path}: it has {size:,} bytes; models over {MAX_MODEL_BYTES:,} "
                    "bytes are refused (far more than a microcontroller's memory)"
                )
            data = _read_bounded(handle)
    except IsADirectoryError:
        raise UserError(f"cannot read the model {path}: it is a directory; give the .tflite file") from None
    except OSError as error:
        raise UserError(f"cannot read the model {path}: {error.strerror or error}") from None
    if len(data) > MAX_MODEL_BYTES:
        raise UserError(f"cannot compile the model {path}: it has over {MAX_MODEL_BYTES:,} bytes, the limit")
    return data


def _read_bounded(handle: BinaryIO) -> bytes:
    """At most MAX_MODEL_BYTES + 1 bytes, in chunks, stopping early when the first 8 bytes are not
    a TFLite header (so /dev/zero or a pipe of garbage is refused at once, by the reader)."""
    chunks: list[bytes] = []
    total = 0
    while total <= MAX_MODEL_BYTES:
        chunk = handle.read(min(1 << 20, MAX_MODEL_BYTES + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total >= 8 and len(chunks) <= 8 and b"".join(chunks)[4:8] != b"TFL3":
            break  # (checked while the chunks are few: reads may return a few bytes at a time)
    return b"".join(chunks)


def _compile(args: argparse.Namespace) -> int:
    options = _options(args)
    data = _read(args.model)
    graph = read_model(data, args.model.name)
    compilation = compile_graph(graph, data, options)
    extracts = _extracts(args.extract, compilation.files)
    report = None
    if args.report is not None:  # inspect's report of this very compilation (no second run)
        report = io.StringIO()
        _print_report(graph, options, Analysis(compilation.graph, {}, compilation.plan, compilation), report)
    mlf.write(compilation.files, args.output)  # only after everything succeeded: no partial output
    for member, destination in extracts:
        mlf.write_file(compilation.files[member], destination)
    if report is not None:
        mlf.write_file(report.getvalue().encode(), args.report)
    return 0


def _extracts(specs: Sequence[str], files: dict[str, bytes]) -> list[tuple[str, Path]]:
    """Parse `--extract MLF_PATH=FILE` (build systems declare each generated file they use)."""
    extracts = []
    for spec in specs:
        member, sep, destination = spec.partition("=")
        if not sep or not member or not destination:
            raise UserError(f"--extract takes MLF_PATH=FILE, e.g. codegen/host/src/model_lib0.c=out/lib0.c; got {spec!r}")
        if member not in files:
            raise UserError(f"--extract {member}: the Model Library Format has no such file; it has: {', '.join(sorted(files))}")
        extracts.append((member, Path(destination)))
    return extracts


# ----------------------------------------------------------------------------------------------
# inspect


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    options = _options(args)
    data = _read(args.model)
    graph = read_model(data, args.model.name)
    _print_report(graph, options, analyze(graph, data, options), out)  # the compiler's own stages, as far as they go
    return 0


def _print_report(graph: Graph, options: CompileOptions, analysis: Analysis, out: TextIO) -> None:
    """What `inspect` prints: `graph` as read from the model, `analysis` of compiling it."""
    _print_model(graph, out)
    _print_interface(graph, options, analysis, out)
    _print_operators(graph, analysis.problems, out)
    if analysis.problems:
        print("\nthe model cannot be compiled as it is:", file=out)
        for index, reason in sorted(analysis.problems.items()):
            where = "model" if index < 0 else f"operator {index}"
            print(f"  {where}: {_one_line(reason)}", file=out)
    _print_plan(analysis, out)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO, right: Sequence[int] = ()) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    print(line(cells[0]), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells[1:]:
        print(line(row), file=out)


def _describe(graph: Graph, index: int) -> str:
    t = graph.tensor(index)
    return f"{t.dtype}{list(t.shape)}"


def _print_model(graph: Graph, out: TextIO) -> None:
    print(f"model: {graph.source_name} (sha256 {graph.source_sha256})", file=out)
    for label, indices in (("input", graph.inputs), ("output", graph.outputs)):
        for i in indices:
            print(f"{label}: {_short(graph.tensor(i).name)} {_describe(graph, i)}", file=out)


def _print_interface(graph: Graph, options: CompileOptions, analysis: Analysis, out: TextIO) -> None:
    """The C interface of the inputs and outputs: names, types, quantization, helpers."""
    if analysis.compilation is not None:
        iface = analysis.compilation.code.interface
    else:  # the model does not compile as it is: the names it would get
        pools = tuple(spec.partition(":")[0].strip() for spec in options.workspace_pools)
        iface = make_interface(
            analysis.graph, options.module_name, pools, input_names=options.input_names, output_names=options.output_names
        )
    print(f"\ninterface (tvmgen_{iface.module}.h; real = scale * (q - zero_point)):", file=out)
    for api in io_apis(iface):
        print(f"  {describe(api)}", file=out)


def _print_operators(graph: Graph, problems: dict[int, str], out: TextIO) -> None:
    rows, total = [], 0
    for op in graph.all_operators():  # then the subgraphs run by control flow, if any
        lowering = LOWERINGS_BY_OPCODE.get(op.opcode)
        supported = op.index not in problems
        macs = int(lowering.macs(op, graph)) if lowering is not None and supported else 0
        total += macs
        outputs = ", ".join(_describe(graph, t) for t in op.outputs)
        name = op.opcode if op.subgraph == 0 else f"{op.opcode} (subgraph {op.subgraph})"
        rows.append((op.index, name, "yes" if supported else "NO", f"{macs:,}", outputs))
    print("\noperators:", file=out)
    _table(("#", "operator", "supported", "MACs", "output"), rows, out, right=(0, 3))
    weights = sum(t.nbytes for t in graph.tensors if t.is_constant)
    print(f"\ntotal MACs: {total:,}", file=out)
    print(f"weights: {weights:,} bytes in {sum(1 for t in graph.tensors if t.is_constant)} constant tensors", file=out)


def _short(name: str, limit: int = 48) -> str:
    """TFLite names list every fused layer ("a/Relu;a/BiasAdd;..."): the first one is enough."""
    name = name.split(";")[0]
    return name if len(name) <= limit else name[: limit - 3] + "..."


def _buffer_rows(graph: Graph, plan) -> list[tuple]:
    rows = []
    for b in sorted(plan.buffers, key=lambda b: (b.pool is None, b.pool or "", b.offset, b.key)):
        if b.tensor is not None:
            what = _short(graph.tensor(b.tensor).name)
        elif b.op is not None:
            what = f"scratch of operator {b.op}"
        else:  # state that is not a tensor (passes/variables.py)
            what = (
                f"state of operator {b.key[2:]}" if b.key.startswith("op")
                else "CALL_ONCE flag" if b.key.startswith("once") else "resource variable"
            )
        where = b.pool if b.pool is not None else "caller"
        offset = f"{b.offset:,}" if b.pool is not None else "-"
        rows.append((b.key, b.kind, what, f"{b.size:,}", where, offset, f"{b.start}..{b.end}"))
    return rows


def _print_plan(analysis: Analysis, out: TextIO) -> None:
    plan = analysis.plan
    if analysis.compilation is not None:
        print(f"\nmemory plan (alignment {plan.alignment} bytes):", file=out)
    else:
        print(f"\nmemory plan of the tensors (alignment {plan.alignment} bytes; scratch of unsupported operators unknown):", file=out)
    for pool in plan.pools:
        kind = "external" if pool.external else "internal static"
        print(f"  pool {pool.name} ({kind}): {pool.size:,} bytes", file=out)
    print(f"  workspace: {plan.workspace_size:,} bytes; {_bound(plan)}", file=out)
    if plan.state_size:
        print(f"  state: {_state(plan)}", file=out)
    if analysis.compilation is not None:
        print(f"  generated constants: {analysis.compilation.code.constants_bytes:,} bytes", file=out)
    print("", file=out)
    _table(("buffer", "kind", "tensor", "bytes", "pool", "offset", "live"), _buffer_rows(analysis.graph, plan), out, right=(3, 5))


def _bound(plan) -> str:
    """The lower bound beside the plan; with in-place operators it is below the peak of live bytes."""
    if plan.lower_bound_bytes == plan.peak_live_bytes:
        return f"peak of live bytes (lower bound): {plan.peak_live_bytes:,}"
    return f"lower bound: {plan.lower_bound_bytes:,} (peak of live bytes {plan.peak_live_bytes:,}, less what in-place operators may share)"


def _state(plan) -> str:
    tensors = sum(1 for b in plan.state_buffers if b.tensor is not None)
    owned = sum(1 for b in plan.state_buffers if b.key.startswith("op"))  # operator state
    others = len(plan.state_buffers) - tensors - owned  # resource variables and CALL_ONCE flags
    parts = [f"{tensors} variable tensor{'s' if tensors != 1 else ''}"] if tensors or not (others or owned) else []
    if others:
        plural = "s" if others != 1 else ""
        parts.append(f"{others} resource variable{plural}/CALL_ONCE flag{plural}")
    if owned:
        parts.append(f"the state of {owned} operator{'s' if owned != 1 else ''}")
    owner = "persistent, owned by the application: tvmgen_<name>_state"
    return f"{plan.state_size:,} bytes in {' and '.join(parts)} ({owner})"
