"""The C kernel library (`runtime/` at the repository root) and which of its files a model needs.

In a checkout this file is tools/microtvm/microtvm/runtime_files.py, so the library is three
directories up; Bazel runfiles keep the same layout. `--runtime-dir` overrides it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

from .errors import UserError

_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def default_runtime_dir() -> Path:
    # Not .resolve(): in Bazel's sandbox that follows the runfiles symlinks back into the source
    # tree, i.e. reads files outside the action's declared inputs.
    return Path(__file__).parents[3] / "runtime"


def runtime_dir(override: Optional[Path] = None) -> Path:
    root = Path(override) if override is not None else default_runtime_dir()
    if not (root / "include" / "mtvm").is_dir():
        raise UserError(
            f"the kernel library was not found at {root} (expected include/mtvm/ inside); "
            f"pass --runtime-dir pointing at the repository's runtime/ directory"
        )
    return root


def collect(root: Path, headers: Iterable[str], sources: Iterable[str]) -> dict[str, bytes]:
    """runtime/ files for the MLF: the named headers and sources plus every header they include
    with `#include "..."` (transitively), keyed "include/mtvm/x.h" / "src/x.c"."""
    files: dict[str, bytes] = {}
    pending = [f"include/{h}" for h in headers] + [f"src/{s}" for s in sources]
    while pending:
        relative = pending.pop()
        if relative in files:
            continue
        path = root / relative
        if not path.is_file():
            raise UserError(f"the kernel library at {root} has no {relative}; is --runtime-dir right?")
        data = path.read_bytes()
        files[relative] = data
        for name in _LOCAL_INCLUDE.findall(data.decode("utf-8", errors="replace")):
            included = f"include/{name}"
            if (root / included).is_file():
                pending.append(included)
            elif (path.parent / name).is_file():  # a header next to the file including it
                pending.append(str(Path(relative).parent / name))
    return dict(sorted(files.items()))
