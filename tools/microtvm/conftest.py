"""Test configuration for a plain checkout (Bazel sets both up itself):
- this file's presence makes `import microtvm` work when pytest runs from the checkout (Bazel
  uses the py_library's imports=["."]);
- the compiler's kernel library input (microtvm/runtime_files.py) is the checkout's runtime/,
  unless MICROTVM_RUNTIME_DIR already names one (under Bazel the tests find it in their runfiles).
"""
import os
from pathlib import Path

_RUNTIME = Path(__file__).absolute().parents[2] / "runtime"  # tools/microtvm/conftest.py -> runtime/
if "RUNFILES_DIR" not in os.environ and "TEST_SRCDIR" not in os.environ and _RUNTIME.is_dir():
    os.environ.setdefault("MICROTVM_RUNTIME_DIR", str(_RUNTIME))
