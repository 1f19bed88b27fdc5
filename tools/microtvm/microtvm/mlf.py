"""Model Library Format (version 7, TVM v0.18's layout): metadata.json and the on-disk writers.

The tree is built in memory as {relative path: bytes} (see compiler.compile_model) and written
in one step, atomically: into a temporary path beside the destination, then renamed, so an
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
from typing import Any, Mapping

from .errors import UserError

MLF_VERSION = 7
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
