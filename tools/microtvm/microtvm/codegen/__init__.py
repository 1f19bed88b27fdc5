"""C code generation: the embedded C interface, constants and the operator sequence.

Output files (paths relative to the MLF root):
  codegen/host/include/tvmgen_<m>.h   the public interface (TVM's --interface-api=c ABI)
  codegen/host/src/<m>_constants.h    extern declarations of the constant arrays
  codegen/host/src/<m>_lib0.c         constant arrays and the runtime metadata struct
  codegen/host/src/<m>_lib1.c         operator parameters, the internal pool, one static function
                                      per called subgraph (control flow), tvmgen_<m>_run
                                      (and tvmgen_<m>_reset_state for stateful models)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from ..ir import Graph
from ..memory import STATE_POOL, MemoryPlan
from ..ops import LOWERINGS_BY_OPCODE
from ..passes import Copy, Storage
from ..passes.timeline import timeline
from . import io_api
from .arrays import array_body, float_literal, needs_math_h
from .context import BufferResolver, Constants, OpContext, pool_variable
from .interface import Interface, IOTensor, make_interface
from .names import c_comment, c_string

TEMPLATES = Path(__file__).parent / "templates"  # not resolved: stay inside Bazel's sandbox

# The files generate() writes, relative to the MLF root ({module}: the module name), in the order
# of the module docstring. mlf.BUILD_MEMBERS (and so the Bazel rule) takes them from here.
GENERATED_FILES: tuple[str, ...] = (
    "codegen/host/include/tvmgen_{module}.h",
    "codegen/host/src/{module}_constants.h",
    "codegen/host/src/{module}_lib0.c",
    "codegen/host/src/{module}_lib1.c",
)


@dataclass(frozen=True)
class CodegenOptions:
    module_name: str = "default"
    external_pools: tuple[str, ...] = ()  # --workspace-pools; empty: one internal static pool
    use_workspace_io: bool = False
    constants_section: str = ".rodata.tvm"
    workspace_section: str = ".bss.noinit.tvm"
    alignment: int = 16
    input_names: tuple[str, ...] = ()  # --input-names: C names of the inputs; empty: from the model
    output_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedCode:
    files: dict[str, bytes]
    interface: Interface
    runtime_headers: tuple[str, ...]  # relative to runtime/include, e.g. "mtvm/conv.h"
    runtime_sources: tuple[str, ...]  # relative to runtime/src, e.g. "conv.c"
    constants_bytes: int


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        autoescape=False,
    )
    env.filters["comment"] = c_comment
    return env


@dataclass(frozen=True)
class _EmittedStep:
    index: int
    opcode: str
    call: str
    decls: str
    note: str = ""


def generate(graph: Graph, storage: Storage, plan: MemoryPlan, options: CodegenOptions) -> GeneratedCode:
    iface = make_interface(
        graph,
        options.module_name,
        options.external_pools,
        stateful=bool(plan.state_buffers),
        input_names=options.input_names,
        output_names=options.output_names,
    )
    constants = Constants(options.module_name)
    resolver = BufferResolver(graph, plan, iface, constants)

    functions, headers, sources = _emit_subgraphs(graph, resolver, iface, plan)
    resolver.used_pools.clear()
    copies = _copies_by_operator(graph, storage)
    steps, main_headers, main_sources = _emit_operators(graph, graph.operators, resolver, copies)
    headers |= main_headers
    sources |= main_sources
    reset_state = _reset_state(graph, storage, plan, constants)

    run_used_pools = set(resolver.used_pools)
    map_inputs, map_inputs_locals = _map_function(iface.inputs, resolver, iface)
    map_outputs, map_outputs_locals = _map_function(iface.outputs, resolver, iface)

    env = environment()
    P, M = iface.prefix, iface.macro_prefix
    pools_param = f"struct {P}_workspace_pools* workspace_pools" if iface.pools else "void"
    if options.use_workspace_io:
        run_params = pools_param
    else:
        run_params = f"struct {P}_inputs* inputs, struct {P}_outputs* outputs"
        if iface.pools:
            run_params += f", struct {P}_workspace_pools* workspace_pools"
    if iface.stateful:
        state_param = f"struct {P}_state* state"
        run_params = state_param if run_params == "void" else f"{run_params}, {state_param}"

    prologue = [_pool_local(pool, iface) for pool in sorted(run_used_pools, key=_pool_order(plan))]
    if not options.use_workspace_io:
        prologue += ["MTVM_UNUSED(inputs);", "MTVM_UNUSED(outputs);"]
    if iface.pools:
        prologue.append("MTVM_UNUSED(workspace_pools);")
    if iface.stateful:
        prologue.append("MTVM_UNUSED(state);")

    common = dict(
        iface=iface,
        P=P,
        M=M,
        source_name=graph.source_name or "(unnamed model)",
        alignment=options.alignment,
        workspace_io=options.use_workspace_io,
        pools_param=pools_param,
        run_params=run_params,
        constants_header=f"{iface.module}_constants.h",
    )
    apis = io_api.io_apis(iface)
    header = env.get_template("header.h.j2").render(
        **common,
        io_apis=[dict(kind=a.kind, io=a.io, macros=io_api.macros(a)) for a in apis],
        io_helpers=[io_api.helper(a) for a in apis if a.helper],
        guard=f"TVMGEN_{iface.module.upper()}_H_",
        workspace_size=plan.workspace_size,
        state_size=plan.state_size,
        pools=[p for p in plan.pools if p.external],
    )
    const_items = [_ConstView(c.identifier, c.array, c.c_type, c.length) for c in constants.items]
    constants_h = env.get_template("constants.h.j2").render(
        module=iface.module, guard=f"TVMGEN_{iface.module.upper()}_CONSTANTS_H_", constants=const_items
    )
    lib1 = env.get_template("lib1.c.j2").render(
        **common,
        headers=sorted(headers),
        internal_pools=[p for p in plan.pools if not p.external and p.size > 0],
        section=c_string(options.workspace_section),
        ops=steps,
        functions=functions,
        all_ops=[op for fn in functions for op in fn.ops] + steps,
        prologue=prologue,
        map_inputs=map_inputs,
        map_outputs=map_outputs,
        map_inputs_locals=map_inputs_locals,
        map_outputs_locals=map_outputs_locals,
        reset_state=reset_state,
    )
    # lib0 is rendered last: the metadata and every constant registered above are known now.
    lib0 = env.get_template("lib0.c.j2").render(
        **common,
        constants=const_items,
        math_h=any(needs_math_h(c.array) for c in constants.items),
        section=c_string(options.constants_section),
        meta_inputs=[_meta(io, f"{P}_in{i}") for i, io in enumerate(iface.inputs)],
        meta_outputs=[_meta(io, f"{P}_out{i}") for i, io in enumerate(iface.outputs)],
        model_name=c_string(iface.module),
        sha256=graph.source_sha256,
        workspace_size=plan.workspace_size,
        state_size=plan.state_size,
    )
    paths = (path.format(module=iface.module) for path in GENERATED_FILES)
    files = dict(zip(paths, (header, constants_h, lib0, lib1), strict=True))
    return GeneratedCode(
        files={path: _tidy(text).encode("utf-8") for path, text in files.items()},
        interface=iface,
        runtime_headers=tuple(sorted(headers | {"mtvm/platform.h"})),
        runtime_sources=tuple(sorted(sources)),
        constants_bytes=constants.total_bytes,
    )


@dataclass(frozen=True)
class _Function:
    """The static C function of a subgraph run by control flow."""

    name: str
    index: int
    params: str
    prologue: list[str]
    ops: list[_EmittedStep]


def _emit_subgraphs(
    graph: Graph, resolver: BufferResolver, iface: Interface, plan: MemoryPlan
) -> tuple[list[_Function], set[str], set[str]]:
    headers: set[str] = set()
    sources: set[str] = set()
    functions = []
    params_list = [f"struct {iface.prefix}_workspace_pools* workspace_pools"] if iface.pools else []
    params_list += [f"struct {iface.prefix}_state* state"] if iface.stateful else []
    params = ", ".join(params_list) or "void"
    for index, sub in sorted(graph.subgraphs.items()):
        resolver.used_pools.clear()
        steps, sub_headers, sub_sources = _emit_operators(graph, sub.operators, resolver, {})
        headers |= sub_headers
        sources |= sub_sources
        prologue = [_pool_local(pool, iface) for pool in sorted(resolver.used_pools, key=_pool_order(plan))]
        if iface.pools:
            prologue.append("MTVM_UNUSED(workspace_pools);")
        if iface.stateful:
            prologue.append("MTVM_UNUSED(state);")
        functions.append(_Function(resolver.subgraph_function(index), index, params, prologue, steps))
    return functions, headers, sources


def _copies_by_operator(graph: Graph, storage: Storage) -> dict[int, list[Copy]]:
    """Output copies (passes/aliases.py) by the main-subgraph operator they follow. Their steps
    count on the timeline (passes/timeline.py): a copy goes after the last main operator at or
    before its step (-1: before any, only when there is no operator)."""
    line = timeline(graph).operators
    main_steps = [(step, op.index) for step, op in enumerate(line) if op.subgraph == 0 and op.index >= 0]
    result: dict[int, list[Copy]] = {}
    for copy in storage.copies:
        after = [index for step, index in main_steps if step <= copy.step]
        result.setdefault(after[-1] if after else -1, []).append(copy)
    return result


def _emit_operators(
    graph: Graph, operators: list, resolver: BufferResolver, copies_after: dict[int, list[Copy]]
) -> tuple[list[_EmittedStep], set[str], set[str]]:
    """Each operator's lowering, in order, plus the copies some outputs need (passes/aliases.py)."""
    headers: set[str] = set()
    sources: set[str] = set()
    steps: list[_EmittedStep] = []
    for copy in copies_after.get(-1, []):
        steps.append(_copy_step(graph, copy, resolver))
    for op in operators:
        lowering = LOWERINGS_BY_OPCODE[op.opcode]
        if lowering.alias_input:
            source = graph.tensor(op.inputs[0])
            steps.append(_EmittedStep(op.index, op.opcode, "", "", f" (aliases tensor {source.index} \"{_comment(source.name)}\", no code)"))
        else:
            context = OpContext(resolver, op.index)
            emitted = lowering.emit(op, context)
            headers.update(lowering.headers, emitted.headers)
            sources.update(lowering.sources_of(op, graph), emitted.sources)
            decls = "\n".join(d.strip() for d in (emitted.decls, *context.decls) if d.strip())
            steps.append(_EmittedStep(op.index, op.opcode, _indent(emitted.call, "    "), decls))
        for copy in copies_after.get(op.index, []):
            steps.append(_copy_step(graph, copy, resolver))
    return steps, headers, sources


def _reset_state(graph: Graph, storage: Storage, plan: MemoryPlan, constants: Constants) -> list[str]:
    """The statements of tvmgen_<m>_reset_state: every variable tensor to its initial value.

    As TFLite's ResetVariableTensor (which LiteRT runs in AllocateTensors and
    reset_all_variables): zero bytes, except an int8 tensor, whose every byte is its zero point
    (the real value 0). A variable tensor with data in the file (which LiteRT refuses to load)
    starts from that data. An operator's own state (OpLowering.state_init) gets its initial bytes."""
    lines = []
    owned = {s.key: s for s in storage.operator_state}
    for b in plan.state_buffers:
        if b.key in owned:
            initial = np.frombuffer(owned[b.key].initial, np.uint8)
            what = f"/* state of operator {owned[b.key].op} */"
            if (initial == initial[0]).all():
                lines.append(f"memset(state_pool + {b.offset}, 0x{int(initial[0]):02X}, {b.size});  {what}")
            else:
                init = constants.add(f"state_init_op{owned[b.key].op}", initial)
                lines.append(f"memcpy(state_pool + {b.offset}, {init}, {b.size});  {what}")
            continue
        if b.tensor is None:  # a resource variable or a CALL_ONCE flag: no value, not run
            lines.append(f"memset(state_pool + {b.offset}, 0, {b.size});  /* {b.key} */")
            continue
        t = graph.tensor(b.tensor)
        where = f"state_pool + {b.offset}"
        what = f"/* tensor {t.index} \"{_comment(t.name)}\" {t.dtype}{list(t.shape)} */"
        if t.data is not None:
            init = constants.add(f"state_init_{t.index}", t.data)
            lines.append(f"memcpy({where}, {init}, {t.nbytes});  {what}")
        else:
            value = t.quant.zero_point[0] if t.dtype == "int8" and t.quant is not None else 0
            zero = f", zero point {value}" if value else ""
            lines.append(f"memset({where}, 0x{value & 0xFF:02X}, {t.nbytes});  {what[:-3]}{zero} */")
    return lines


def _copy_step(graph: Graph, copy: Copy, resolver: BufferResolver) -> _EmittedStep:
    dst = graph.tensor(copy.dst)
    call = f"    memcpy({resolver.storage(copy.dst)}, {resolver.raw(copy.src)}, {dst.nbytes});"
    return _EmittedStep(-1, "", call, "", f"copy to output \"{_comment(dst.name)}\" (its bytes live in a buffer that cannot move)")


@dataclass(frozen=True)
class _ConstView:
    identifier: str
    array: np.ndarray
    c_type: str
    length: int

    @property
    def body(self) -> str:
        return array_body(self.array) if self.array.size else "  0"


@dataclass(frozen=True)
class _MetaView:
    id: str
    name: str
    dtype: str
    shape: list[int]
    nbytes: int
    scales: list[str]
    zero_points: list[int]
    axis: int


def _meta(io: IOTensor, ident: str) -> _MetaView:
    quant = io.quant
    return _MetaView(
        id=ident,
        name=c_string(io.name),
        dtype=io.dtype,
        shape=[int(d) for d in io.shape],
        nbytes=io.nbytes,
        scales=[float_literal(float(np.float32(s))) for s in quant.scale] if quant else [],
        zero_points=[int(z) for z in quant.zero_point] if quant else [],
        axis=int(quant.axis) if quant else 0,
    )


@dataclass(frozen=True)
class _MapEntry:
    member: str
    pointer: str


def _map_function(ios: tuple[IOTensor, ...], resolver: BufferResolver, iface: Interface) -> tuple[list[_MapEntry], list[str]]:
    """Entries and pool locals of tvmgen_<m>_map_inputs/_outputs (workspace-I/O mode)."""
    before = set(resolver.used_pools)
    resolver.used_pools.clear()
    entries = [_MapEntry(io.c_name, resolver.storage(io.tensor)) for io in ios]
    locals_ = [_pool_local(pool, iface) for pool in sorted(resolver.used_pools)]
    if iface.pools and not resolver.used_pools:
        locals_.append("MTVM_UNUSED(workspace_pools);")
    resolver.used_pools = before
    return entries, locals_


def _pool_local(pool: str, iface: Interface) -> str:
    if pool == STATE_POOL:
        return f"uint8_t* const {pool_variable(pool)} = (uint8_t*)state->state;"
    if iface.pools:
        return f"uint8_t* const {pool_variable(pool)} = (uint8_t*)workspace_pools->{pool};"
    return f"uint8_t* const {pool_variable(pool)} = {iface.prefix}_{pool}_pool;"


def _pool_order(plan: MemoryPlan):
    order = {p.name: i for i, p in enumerate(plan.pools)}
    order[STATE_POOL] = len(order)
    return lambda name: order[name]


def _indent(code: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in code.strip("\n").splitlines())


def _comment(text: str) -> str:
    return c_comment(text)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template conditionals; end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
