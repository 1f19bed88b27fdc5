"""The C kernel library (`runtime/` at the repository root) and which of its files a model needs.

The library is an input of the compiler, never found relative to this file. In order:
1. `--runtime-dir` (CompileOptions.runtime_dir): the Bazel rule passes the directory of its
   declared `//runtime:sources` (rules/private/model_library.bzl);
2. the environment variable MICROTVM_RUNTIME_DIR (set by the test configuration, conftest.py);
3. the runfiles of a Bazel binary or test that declares `//runtime:sources` as data (e.g.
   `bazel run //tools/microtvm:microtvmc`): `$RUNFILES_DIR/<repository>/runtime`, where
   <repository> is the runfiles directory of the repository that also holds this package.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Optional

from .errors import UserError

RUNTIME_DIR_ENV = "MICROTVM_RUNTIME_DIR"

_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


# Below a repository's directory in Bazel runfiles: the kernel library (//runtime:sources) and this
# file (//tools/microtvm:microtvm), which together identify the repository that ships both.
_RUNFILES_RUNTIME = "runtime"
_RUNFILES_THIS_FILE = "tools/microtvm/microtvm/runtime_files.py"


def runfiles_runtime_dir() -> Optional[Path]:
    """runtime/ in the runfiles of the running Bazel binary or test, if they hold it: in the
    repository directory that also holds this package (its name depends on how the repository is
    used: "_main" as the main module, its canonical name as a dependency)."""
    root = os.environ.get("RUNFILES_DIR") or os.environ.get("TEST_SRCDIR") or _enclosing_runfiles()
    if not root or not os.path.isdir(root):
        return None
    # Not .resolve(): the runfiles tree is made of symlinks, and following them would leave the
    # declared inputs (and Bazel's sandbox).
    for repository in sorted(Path(root).iterdir()):
        candidate = repository / _RUNFILES_RUNTIME
        if (repository / _RUNFILES_THIS_FILE).is_file() and (candidate / "include" / "mtvm").is_dir():
            return candidate
    return None


def _enclosing_runfiles() -> Optional[str]:
    """The `<name>.runfiles` directory this file is in (`bazel run` of a py_binary does not always
    set RUNFILES_DIR), without resolving symlinks."""
    for parent in Path(os.path.abspath(__file__)).parents:
        if parent.name.endswith(".runfiles"):
            return str(parent)
    return None


def runtime_dir(override: Optional[Path] = None) -> Path:
    """The kernel library to ship: `override`, else $MICROTVM_RUNTIME_DIR, else the runfiles'."""
    if override is not None:
        root = Path(override)
    elif os.environ.get(RUNTIME_DIR_ENV):
        root = Path(os.environ[RUNTIME_DIR_ENV])
    else:
        found = runfiles_runtime_dir()
        if found is None:
            raise UserError(
                "the kernel library (the repository's runtime/ directory) was not given; pass --runtime-dir "
                f"pointing at it (or set {RUNTIME_DIR_ENV})"
            )
        root = found
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
