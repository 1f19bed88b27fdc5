"""Makes `import microtvm` work when pytest runs this directory from a plain checkout
(`cd tools/microtvm && python3 -m pytest ../../tests/shared_models`, or from anywhere else), and
gives the compiler the checkout's kernel library (runtime/). Under Bazel the py_library's
imports=["."] and the tests' runfiles do this instead."""
from __future__ import annotations

import os
import sys
from pathlib import Path

_COMPILER_ROOT = Path(__file__).resolve().parents[2] / "tools" / "microtvm"
_RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
if "RUNFILES_DIR" not in os.environ and "TEST_SRCDIR" not in os.environ and _RUNTIME.is_dir():
    os.environ.setdefault("MICROTVM_RUNTIME_DIR", str(_RUNTIME))

try:
    import microtvm  # noqa: F401
except ModuleNotFoundError:
    if (_COMPILER_ROOT / "microtvm" / "__init__.py").is_file():
        sys.path.insert(0, str(_COMPILER_ROOT))
