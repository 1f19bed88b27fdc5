"""compile_model: TFLite bytes -> the Model Library Format tree, as {relative path: bytes}.

frontend.read_tflite -> passes -> checks -> memory plan -> codegen -> MLF files. Every stage is
a pure function of its inputs, so the same model and options always give the same bytes.
"""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import mlf, runtime_files
from .codegen import CodegenOptions, GeneratedCode, environment, generate
from .codegen.arrays import C_TYPES
from .errors import UnsupportedError, UserError
from .ir import Graph
from .memory import MemoryPlan, Planner, PoolSpec, hill_climb, plan_memory
from .ops import LOWERINGS_BY_OPCODE, SUPPORTED_OPCODES
from .passes import Storage, resolve_storage, run_all

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
    if not graph.source_sha256:
        graph = _with_sha256(graph, data)
    _check_options(options)
    graph = run_all(graph)  # folds shape arithmetic first: folded operators are never lowered
    check_graph(graph)
    storage = resolve_storage(graph)
    pools = parse_pools(options.workspace_pools)
    plan = plan_memory(
        graph,
        storage,
        scratch_sizes(graph),
        pools=pools or (PoolSpec("workspace"),),
        external_pools=bool(pools),
        use_workspace_io=options.use_workspace_io,
        alignment=options.alignment,
        planner=options.planner,
    )
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
        ),
    )
    runtime_root = runtime_files.runtime_dir(options.runtime_dir)
    module = code.interface.module
    files = dict(code.files)
    for relative, content in runtime_files.collect(runtime_root, code.runtime_headers, code.runtime_sources).items():
        files[f"runtime/{relative}"] = content
    env = environment()
    files["runtime/Makefile"] = env.get_template("Makefile.j2").render(module=module).encode("utf-8")
    files[f"src/{module}.tflite"] = bytes(data)
    files["README.md"] = env.get_template("README.md.j2").render(
        module=module,
        version=VERSION,
        sha256=graph.source_sha256,
        constants_section=options.constants_section,
        workspace_section=options.workspace_section,
        external_pools=[p.name for p in pools],
        alignment=options.alignment,
        workspace_size=plan.workspace_size,
        state_size=plan.state_size,
        stateful=code.interface.stateful,
        workspace_io=options.use_workspace_io,
        inputs=code.interface.inputs,
        outputs=code.interface.outputs,
        c_types={io.c_name: C_TYPES[io.dtype] for io in (*code.interface.inputs, *code.interface.outputs)},
    ).encode("utf-8")
    files["metadata.json"] = mlf.metadata_json(_metadata(graph, plan, code, options))
    return Compilation(graph, storage, plan, code, dict(sorted(files.items())))


def target_string(target_cpu: Optional[str]) -> str:
    """TVM's spelling of the target, recorded in metadata.json."""
    return "c" if target_cpu is None else f"c -keys=arm_cpu,cpu -mcpu={target_cpu}"


def scratch_sizes(graph: Graph) -> dict[int, int]:
    sizes = {}
    for op in graph.all_operators():
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
    import dataclasses

    return dataclasses.replace(graph, source_sha256=hashlib.sha256(data).hexdigest())


def _model(graph: Graph) -> str:
    return graph.source_name or "the model"


def check_graph(graph: Graph) -> None:
    """Reject what the compiler cannot handle, with a message that says what to do.

    Runs the shared validator (passes/validate.py) when present, then per operator the
    lowering's check()."""
    try:
        validate = importlib.import_module(".passes.validate", __package__).validate
    except ModuleNotFoundError:
        validate = None
    if validate is not None:
        validate(graph)  # includes every lowering's check()
    else:
        for op in graph.all_operators():
            check_operator(graph, op)
    _check_structure(graph)


def check_operator(graph: Graph, op) -> None:
    lowering = LOWERINGS_BY_OPCODE.get(op.opcode)
    if lowering is None:
        raise UnsupportedError(
            f"{_model(graph)}: {op.location} ({op.opcode}) is not supported. "
            f"Supported operators: {', '.join(SUPPORTED_OPCODES)}. "
            f"Re-export the model without {op.opcode} (or replace it with supported operators)."
        )
    try:
        lowering.check(op, graph)
    except UnsupportedError as error:
        raise UnsupportedError(f"{_model(graph)}: {op.location} ({op.opcode}): {error}") from None


def _check_structure(graph: Graph) -> None:
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
        if t.dtype not in C_TYPES:
            raise UnsupportedError(f"{model}: model input/output {t.name!r} has type {t.dtype}; use int8, uint8, int16, int32 or float32")
        if t.is_variable:
            raise UnsupportedError(
                f"{model}: model input/output {t.name!r} is a variable tensor (state kept between runs); "
                "state is not an input or output of the compiled model: it lives in the state pool "
                "(tvmgen_<name>_state). Export the model without the state among its inputs/outputs."
            )
    parts = [(graph.inputs, graph.operators), *((sub.inputs, sub.operators) for sub in graph.subgraphs.values())]
    for inputs, operators in parts:  # each subgraph has tensors of its own
        written = set(inputs) | {t for op in operators for t in op.outputs}
        for op in operators:
            for index in op.inputs:
                t = graph.tensor(index) if index >= 0 else None
                # A tensor with no elements holds nothing to read (e.g. MEAN's empty axis list, which
                # converters store without data).
                if t is not None and index not in written and not t.is_constant and not t.is_variable and t.num_elements:
                    raise UnsupportedError(
                        f"{model}: {op.location} ({op.opcode}) reads tensor {t.name!r}, "
                        f"which no operator writes and which is neither a constant nor a variable tensor"
                    )


def _buffer_owner(buffer, names: dict[int, str]) -> dict:
    if buffer.tensor is not None:
        return {"tensor": names[buffer.tensor]}
    if buffer.op is not None:
        return {"operator": buffer.op}
    # State that is not a tensor (passes/variables.py): a resource variable, a CALL_ONCE flag or
    # an operator's own state ("op<index>").
    if buffer.key.startswith("op"):
        return {"state": "operator_state", "operator": int(buffer.key[2:])}
    return {"state": "call_once_flag" if buffer.key.startswith("once") else "resource_variable"}


def _io_metadata(io) -> dict:
    entry = {"name": io.name, "c_name": io.c_name, "dtype": io.dtype, "shape": list(io.shape), "size": io.nbytes}
    if io.quant is not None:
        entry["quantization"] = {
            "scale": [float(s) for s in io.quant.scale],
            "zero_point": [int(z) for z in io.quant.zero_point],
            "quantized_dimension": int(io.quant.axis),
        }
    return entry


def _metadata(graph: Graph, plan: MemoryPlan, code: GeneratedCode, options: CompileOptions) -> dict:
    iface = code.interface
    io_size = sum(io.nbytes for io in (*iface.inputs, *iface.outputs))
    target = target_string(options.target_cpu)
    names = {t.index: t.name for t in graph.tensors}
    buffers = [
        {
            "name": b.key,
            "kind": b.kind,
            **_buffer_owner(b, names),
            "pool": b.pool,
            "offset": b.offset,
            "size_bytes": b.size,
            "first_step": b.start,
            "last_step": b.end,
        }
        for b in plan.buffers
    ]
    main = {
        "constants_size_bytes": code.constants_bytes,
        "device": 1,
        "inputs": {io.c_name: {"dtype": io.dtype, "size": io.nbytes} for io in iface.inputs},
        "io_size_bytes": io_size,
        "outputs": {io.c_name: {"dtype": io.dtype, "size": io.nbytes} for io in iface.outputs},
        "workspace_size_bytes": plan.workspace_size,
        "state_size_bytes": plan.state_size,
    }
    module = {
        "model_name": iface.module,
        "target": [target],
        "executors": ["aot"],
        "style": "full-model",
        "interface_api": "c",
        "use_workspace_io": options.use_workspace_io,
        "external_dependencies": [],
        "model_sha256": graph.source_sha256,
        "source": {"file": f"src/{iface.module}.tflite", "name": graph.source_name, "sha256": graph.source_sha256},
        "inputs": [_io_metadata(io) for io in iface.inputs],
        "outputs": [_io_metadata(io) for io in iface.outputs],
        "operators": [{"index": op.index, "opcode": op.opcode} for op in graph.operators],
        "memory": {
            "workspace_size_bytes": plan.workspace_size,
            "constants_size_bytes": code.constants_bytes,
            "io_size_bytes": io_size,
            "peak_live_bytes": plan.peak_live_bytes,
            "workspace_lower_bound_bytes": plan.lower_bound_bytes,
            "state_size_bytes": plan.state_size,
            "alignment": plan.alignment,
            "pools": [{"name": p.name, "size_bytes": p.size, "external": p.external} for p in plan.pools],
            "buffers": buffers,
            "functions": {"main": [main], "operator_functions": {}},
        },
        "generator": {"name": "microtvm", "version": VERSION},
    }
    return {"version": mlf.MLF_VERSION, "modules": {iface.module: module}}
