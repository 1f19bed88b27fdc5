"""compile_model: TFLite bytes -> the Model Library Format tree, as {relative path: bytes}.

frontend.read_tflite -> passes -> checks -> memory plan -> codegen -> mlf.assemble. This module
only orchestrates: each stage lives in its own module and is a pure function of its inputs, so
the same model and options always give the same bytes. `analyze` runs the same stages for
`microtvmc inspect`.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

from . import mlf, runtime_files
from .codegen import CodegenOptions, GeneratedCode, generate
from .errors import UserError
from .ir import Graph, Operator
from .memory import MemoryPlan, Planner, PoolSpec, hill_climb, plan_memory
from .ops import LOWERINGS_BY_OPCODE, OpLowering
from .passes import Storage, resolve_storage, run_all
from .passes.validate import check_well_formed, operator_problems, validate

VERSION = "0.1.0"

# CPUs accepted by --target-cpu (recorded in the target string; the C code is portable C99).
TARGET_CPUS = ("cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-m85")


@dataclass(frozen=True)
class CompileOptions:
    module_name: str = "default"
    # External workspace pools passed by the caller, "NAME" or "NAME:MAX_BYTES", in order of
    # preference. Empty: one internal static pool.
    workspace_pools: tuple[str, ...] = ()
    use_workspace_io: bool = False
    target_cpu: Optional[str] = None
    constants_section: str = ".rodata.tvm"
    workspace_section: str = ".bss.noinit.tvm"
    alignment: int = 16
    runtime_dir: Optional[Path] = None
    # C names of the inputs/outputs (struct members, macros, helpers) instead of the ones derived
    # from the model's tensor names; empty: derived.
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    planner: Planner = field(default=hill_climb, compare=False)


@dataclass(frozen=True)
class Compilation:
    """Everything compile_model computed, for callers that want more than the files (inspect)."""

    graph: Graph
    storage: Storage
    plan: MemoryPlan
    code: GeneratedCode
    files: dict[str, bytes]


def compile_model(data: bytes, source_name: str, options: CompileOptions = CompileOptions()) -> dict[str, bytes]:
    """The MLF tree for the model `data` (file name `source_name`, for messages and metadata)."""
    return compile_graph(read_model(data, source_name), data, options).files


def read_model(data: bytes, source_name: str) -> Graph:
    from .frontend import read_tflite  # the frontend pulls in the tflite package: import on use

    return read_tflite(data, source_name)


def compile_graph(graph: Graph, data: bytes, options: CompileOptions = CompileOptions()) -> Compilation:
    """Compile an IR graph; `data` is the source model stored in the MLF (src/<name>.tflite)."""
    graph = _prepare(graph, data, options)
    validate(graph, LOWERINGS_BY_OPCODE)
    return _build(graph, data, options)


@dataclass(frozen=True)
class Analysis:
    """What `microtvmc inspect` reports: the same stages as compile_graph, run as far as they go.

    `problems` maps an operator index to why that operator cannot be compiled (-1: the model as a
    whole), as passes/validate.py says it; empty when the model compiles, and then `compilation`
    is the real one. Otherwise `plan` is the memory plan of the supported part (the scratch of
    unsupported operators is unknown and counted as 0)."""

    graph: Graph  # after the passes (folding)
    problems: dict[int, str]
    plan: MemoryPlan
    compilation: Optional[Compilation]


def analyze(graph: Graph, data: bytes, options: CompileOptions = CompileOptions()) -> Analysis:
    """Per-operator support verdicts and, when every operator is supported, the Compilation."""
    graph = _prepare(graph, data, options)
    problems = operator_problems(graph, LOWERINGS_BY_OPCODE)
    if not problems:
        compilation = _build(graph, data, options)
        return Analysis(compilation.graph, {}, compilation.plan, compilation)
    unsupported = {op.opcode for op in graph.all_operators() if op.index in problems}
    lowerings = {
        opcode: lowering
        for opcode, lowering in LOWERINGS_BY_OPCODE.items()
        if opcode not in unsupported or lowering.alias_input
    }
    supported = [op for op in graph.all_operators() if op.index not in problems]
    # In-place declarations read an operator's operands as its check() accepted them: none may be
    # asked of an operator whose check failed (in-place sharing is then left out of the plan).
    declares = [op for op in graph.all_operators() if op.index in problems and _declares_in_place(op)]
    _, plan = _plan(graph, options, lowerings, scratch_sizes(graph, supported), in_place=not declares)
    return Analysis(graph, problems, plan, None)


def _prepare(graph: Graph, data: bytes, options: CompileOptions) -> Graph:
    """The checks of the options and the graph rewrites every compilation starts with."""
    if not graph.source_sha256:
        graph = _with_sha256(graph, data)
    _check_options(options)
    check_well_formed(graph)  # what the passes rely on, before they run
    return run_all(graph, LOWERINGS_BY_OPCODE)  # folds shape arithmetic first: folded operators are never lowered


def _declares_in_place(op: Operator) -> bool:
    lowering = LOWERINGS_BY_OPCODE.get(op.opcode)
    return lowering is not None and lowering.in_place_inputs is not OpLowering.in_place_inputs


def _plan(
    graph: Graph,
    options: CompileOptions,
    lowerings: Mapping[str, OpLowering],
    scratch: Mapping[int, int],
    in_place: bool = True,
) -> tuple[Storage, MemoryPlan]:
    pools = parse_pools(options.workspace_pools)
    storage = resolve_storage(graph, lowerings)
    plan = plan_memory(
        graph,
        storage,
        scratch,
        pools=pools or (PoolSpec("workspace"),),
        external_pools=bool(pools),
        use_workspace_io=options.use_workspace_io,
        alignment=options.alignment,
        planner=options.planner,
        in_place=in_place,
    )
    return storage, plan


def _build(graph: Graph, data: bytes, options: CompileOptions) -> Compilation:
    """Plan, generate and assemble the MLF of a validated graph."""
    storage, plan = _plan(graph, options, LOWERINGS_BY_OPCODE, scratch_sizes(graph, graph.all_operators()))
    pools = parse_pools(options.workspace_pools)
    code = generate(
        graph,
        storage,
        plan,
        CodegenOptions(
            module_name=options.module_name,
            external_pools=tuple(p.name for p in pools),
            use_workspace_io=options.use_workspace_io,
            constants_section=options.constants_section,
            workspace_section=options.workspace_section,
            alignment=options.alignment,
            input_names=options.input_names,
            output_names=options.output_names,
        ),
    )
    runtime_root = runtime_files.runtime_dir(options.runtime_dir)
    files = mlf.assemble(
        graph,
        plan,
        code,
        model=data,
        runtime=runtime_files.collect(runtime_root, code.runtime_headers, code.runtime_sources),
        version=VERSION,
        target_cpu=options.target_cpu,
        use_workspace_io=options.use_workspace_io,
        constants_section=options.constants_section,
        workspace_section=options.workspace_section,
    )
    return Compilation(graph, storage, plan, code, files)


def scratch_sizes(graph: Graph, operators: Sequence[Operator]) -> dict[int, int]:
    """Operator index -> bytes of kernel scratch, for `operators` (all supported)."""
    sizes = {}
    for op in operators:
        lowering = LOWERINGS_BY_OPCODE[op.opcode]
        if not lowering.alias_input:
            sizes[op.index] = int(lowering.scratch_bytes(op, graph))
    return sizes


def parse_pools(specs: tuple[str, ...]) -> tuple[PoolSpec, ...]:
    """"sram" or "sram:65536" (a size limit: later pools take what does not fit)."""
    pools = []
    for spec in specs:
        name, _, limit = spec.partition(":")
        if limit and not limit.isdigit():
            raise UserError(f"workspace pool {spec!r}: the size after ':' must be a number of bytes")
        pools.append(PoolSpec(name.strip(), int(limit) if limit else None))
    names = [p.name for p in pools]
    if len(set(names)) != len(names):
        raise UserError(f"workspace pools {', '.join(names)}: each name may appear once")
    return tuple(pools)


def _check_options(options: CompileOptions) -> None:
    a = options.alignment
    if a < 1 or a & (a - 1) or a > 4096:
        raise UserError(f"--alignment {a} is not a power of two between 1 and 4096")
    if options.target_cpu is not None and options.target_cpu not in TARGET_CPUS:
        raise UserError(f"--target-cpu {options.target_cpu} is not known; use one of {', '.join(TARGET_CPUS)}")
    for flag, section in (("--constants-section", options.constants_section), ("--workspace-section", options.workspace_section)):
        if not section or any(c in section for c in '"\\\n') or any(c.isspace() for c in section):
            raise UserError(f"{flag} {section!r} is not a valid section name")


def _with_sha256(graph: Graph, data: bytes) -> Graph:
    return dataclasses.replace(graph, source_sha256=hashlib.sha256(data).hexdigest())
