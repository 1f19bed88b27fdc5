"""TFLM's arena for a model, from the tflite-micro Python package, as JSON.

    tflm_arena.py MODEL.tflite -o arena.json

TensorFlow Lite Micro keeps every tensor, its own bookkeeping and the kernels' scratch buffers in
one "arena" that the application provides; its size is TFLM's equivalent of our workspace. The
package's interpreter records its allocations (InterpreterConfig.kAllocationRecording, the
default) and prints them with print_allocations(), from C++ to the process's stderr; we capture that
text and read the totals:

    [RecordingMicroAllocator] Arena allocation total 24272 bytes
    [RecordingMicroAllocator] Arena allocation head 16000 bytes   <- tensors (the memory plan)
    [RecordingMicroAllocator] Arena allocation tail 8272 bytes    <- persistent structures

These are for the 64-bit host the package runs on: on a 32-bit Cortex-M the tail (pointers in
structures) is smaller. The JSON says so ("host": "x86_64"). If the package is missing or fails,
the JSON carries an "error" instead of numbers: the report prints it, it never guesses.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Sequence

_TOTALS = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def _captured_output(action) -> str:
    """Runs action() with file descriptors 1 and 2 redirected to a temporary file (TFLM's C++
    logging writes to one of them, depending on the build); returns what was written."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            action()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in ((1, saved[0]), (2, saved[1])):
                os.dup2(copy, fd)
                os.close(copy)
        capture.seek(0)
        return capture.read().decode("utf-8", "replace")


def tflm_arena(model: bytes) -> dict:
    """{"total": ..., "head": ..., "tail": ...} bytes, or {"error": "..."}."""
    try:
        from tflite_micro import runtime  # imported here: the package is optional
    except ImportError as error:
        return {"error": f"the tflite-micro package is not available ({error})"}
    try:
        interpreter = runtime.Interpreter.from_bytes(model)
        text = _captured_output(interpreter.print_allocations)
    except Exception as error:  # the package raises plain RuntimeErrors for unsupported models
        return {"error": f"tflite-micro could not load the model: {str(error).strip()[:300]}"}
    totals = {kind: int(value) for kind, value in _TOTALS.findall(text)}
    if "total" not in totals:
        return {"error": "tflite-micro printed no arena total: " + text.strip()[:300]}
    try:
        from importlib.metadata import version

        package = version("tflite-micro")
    except Exception:  # the version is informational only
        package = "unknown"
    return dict(totals, host="x86_64", package_version=package)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tflm_arena", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    result = tflm_arena(args.model.read_bytes())
    args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
