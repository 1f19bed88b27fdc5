"""Model Library Format (version 7, TVM v0.18's layout): the tree, metadata.json, and the writers.

`assemble` builds the tree in memory as {relative path: bytes} from what the earlier stages
computed (the generated code, the memory plan, the kernel library files a model needs): the
generated C, runtime/ with its Makefile, src/<module>.tflite, README.md and metadata.json.

`BUILD_MEMBERS` lists the members a build system compiles or reads without unpacking the tree
(codegen's files and metadata.json): the Bazel rule declares them from the generated
tools/microtvm/mlf_members.bzl (`python3 -m microtvm.mlf > tools/microtvm/mlf_members.bzl`;
tests/test_mlf.py checks it).

The tree is written in one step, atomically: into a temporary path beside the destination, then renamed, so an
error never leaves a partial directory or archive behind. Output is byte-identical for the same
inputs: sorted JSON keys, no timestamps, and a tar with sorted entries, mtime 0, uid/gid 0,
no user names and fixed modes.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

from .codegen import GENERATED_FILES, GeneratedCode, environment
from .errors import UserError
from .ir import C_TYPES, Graph
from .memory import MemoryPlan, PlannedBuffer

MLF_VERSION = 7

# Members a build system uses directly ({module}: the module name), in this order.
BUILD_MEMBERS: tuple[str, ...] = (*GENERATED_FILES, "metadata.json")


def build_members(module: str) -> tuple[str, ...]:
    return tuple(member.format(module=module) for member in BUILD_MEMBERS)


def members_bzl() -> str:
    """tools/microtvm/mlf_members.bzl: BUILD_MEMBERS for the Bazel rule (model_library.bzl), each
    with the path below `<target>.mlf/` where the rule declares it (codegen/host/ dropped)."""
    lines = [
        '"""Generated from microtvm/mlf.py BUILD_MEMBERS by `python3 -m microtvm.mlf`: do not edit.',
        "",
        "tools/microtvm/tests/test_mlf.py fails when this file differs from what the compiler writes.",
        '"""',
        "",
        "# MLF member -> the file microtvm_model_library declares for it below <name>.mlf/",
        "# ({module}: the module name).",
        "MLF_GENERATED_FILES = {",
    ]
    for member in BUILD_MEMBERS:
        lines.append(f'    "{member}": "{member.removeprefix("codegen/host/")}",')
    lines.append("}")
    return "\n".join(lines) + "\n"


def target_string(target_cpu: Optional[str]) -> str:
    """TVM's spelling of the target, recorded in metadata.json."""
    return "c" if target_cpu is None else f"c -keys=arm_cpu,cpu -mcpu={target_cpu}"


def assemble(
    graph: Graph,
    plan: MemoryPlan,
    code: GeneratedCode,
    *,
    model: bytes,
    runtime: Mapping[str, bytes],
    version: str,
    target_cpu: Optional[str],
    use_workspace_io: bool,
    constants_section: str,
    workspace_section: str,
) -> dict[str, bytes]:
    """The MLF tree, sorted by path. `runtime`: the kernel library files the code needs, relative
    to runtime/ ("include/mtvm/x.h", "src/x.c"); `model`: the source model's bytes."""
    iface = code.interface
    module = iface.module
    files = dict(code.files)
    for relative, content in runtime.items():
        files[f"runtime/{relative}"] = content
    env = environment()
    files["runtime/Makefile"] = env.get_template("Makefile.j2").render(module=module).encode("utf-8")
    files[f"src/{module}.tflite"] = bytes(model)
    files["README.md"] = env.get_template("README.md.j2").render(
        module=module,
        version=version,
        sha256=graph.source_sha256,
        constants_section=constants_section,
        workspace_section=workspace_section,
        external_pools=list(iface.pools),
        alignment=plan.alignment,
        workspace_size=plan.workspace_size,
        state_size=plan.state_size,
        stateful=iface.stateful,
        workspace_io=use_workspace_io,
        inputs=iface.inputs,
        outputs=iface.outputs,
        c_types={io.c_name: C_TYPES[io.dtype] for io in (*iface.inputs, *iface.outputs)},
    ).encode("utf-8")
    files["metadata.json"] = metadata_json(metadata(graph, plan, code, version, target_cpu, use_workspace_io))
    return dict(sorted(files.items()))


def metadata(
    graph: Graph, plan: MemoryPlan, code: GeneratedCode, version: str, target_cpu: Optional[str], use_workspace_io: bool
) -> dict:
    """metadata.json's content (TVM's keys, plus `memory` and `generator`)."""
    iface = code.interface
    io_size = sum(io.nbytes for io in (*iface.inputs, *iface.outputs))
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
        "target": [target_string(target_cpu)],
        "executors": ["aot"],
        "style": "full-model",
        "interface_api": "c",
        "use_workspace_io": use_workspace_io,
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
        "generator": {"name": "microtvm", "version": version},
    }
    return {"version": MLF_VERSION, "modules": {iface.module: module}}


def _buffer_owner(buffer: PlannedBuffer, names: dict[int, str]) -> dict:
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
_FILE_MODE = 0o644
_DIR_MODE = 0o755


def metadata_json(metadata: Mapping[str, Any]) -> bytes:
    """Stable formatting: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(metadata, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("utf-8")


def _directories(paths: list[str]) -> list[str]:
    dirs = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs)


def tar_bytes(files: Mapping[str, bytes]) -> bytes:
    """An uncompressed tar of `files`, identical for identical input on any machine."""
    buffer = io.BytesIO()
    entries = sorted([(d, None) for d in _directories(list(files))] + [(p, files[p]) for p in files])
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo("./" + name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = _DIR_MODE
                tar.addfile(info)
            else:
                info.mode = _FILE_MODE
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write(files: Mapping[str, bytes], destination: Path) -> None:
    """A `.tar` destination gets the archive, anything else a directory."""
    destination = Path(destination)
    if destination.name.endswith(".tar"):
        write_tar(files, destination)
    else:
        write_dir(files, destination)


def write_tar(files: Mapping[str, bytes], destination: Path) -> None:
    destination = Path(destination)
    if destination.is_dir():
        raise UserError(f"{destination} is a directory; give a path ending in .tar for an archive")
    write_file(tar_bytes(files), destination)


def write_file(data: bytes, destination: Path) -> None:
    """Write one file atomically (temp file beside it, then rename)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, _FILE_MODE)
        os.replace(temp, destination)
    except BaseException:
        _remove(Path(temp))
        raise


def write_dir(files: Mapping[str, bytes], destination: Path) -> None:
    """Replace `destination` with the tree. An existing destination must be empty or an earlier
    MLF directory (it has a metadata.json): we never delete a directory we did not make."""
    destination = Path(destination)
    if destination.exists():
        if not destination.is_dir():
            raise UserError(f"{destination} exists and is not a directory; remove it or choose another output path")
        if any(destination.iterdir()) and not (destination / "metadata.json").is_file():
            raise UserError(
                f"{destination} is a non-empty directory that is not a Model Library Format tree; "
                f"refusing to replace it (choose another output path or remove it)"
            )
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent))
    old = None
    try:
        for relative in sorted(files):
            path = temp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[relative])
            os.chmod(path, _FILE_MODE)
        for relative in _directories(list(files)):
            os.chmod(temp / relative, _DIR_MODE)
        os.chmod(temp, _DIR_MODE)
        if destination.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".old", dir=destination.parent))
            os.replace(destination, old / "tree")
        os.replace(temp, destination)
    except BaseException:
        _remove(temp)
        if old is not None and (old / "tree").exists() and not destination.exists():
            os.replace(old / "tree", destination)  # put the previous tree back
        raise
    finally:
        if old is not None:
            _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


if __name__ == "__main__":
    import sys

    sys.stdout.write(members_bzl())
