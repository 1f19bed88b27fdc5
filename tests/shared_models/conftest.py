"""Makes `import microtvm` work when pytest runs this directory from a plain checkout
(`cd tools/microtvm && python3 -m pytest ../../tests/shared_models`, or from anywhere else).
Under Bazel the py_library's imports=["."] does this instead."""
from __future__ import annotations

import sys
from pathlib import Path

_COMPILER_ROOT = Path(__file__).resolve().parents[2] / "tools" / "microtvm"

try:
    import microtvm  # noqa: F401
except ModuleNotFoundError:
    if (_COMPILER_ROOT / "microtvm" / "__init__.py").is_file():
        sys.path.insert(0, str(_COMPILER_ROOT))
