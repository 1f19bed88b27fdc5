"""The fuzz target: one input -> compile_model; the only allowed outcomes are success or UserError.

Shared by the coverage-guided fuzzer (fuzz_main.py, atheris/libFuzzer) and the regression tests
(tests/test_hostile_models.py runs every file in crashes/ and corpus/ through `check`).
"""

from __future__ import annotations

import contextlib
import io
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from microtvm import cli
from microtvm.compiler import CompileOptions, compile_model, read_model
from microtvm.errors import UserError

FUZZ_DIR = Path(__file__).resolve().parent
CORPUS_DIR = FUZZ_DIR / "corpus"
CRASHES_DIR = FUZZ_DIR / "crashes"
# Per-input time limit (seconds): no model of the size the fuzzer makes (at most a few hundred KB)
# takes longer to compile unless the compiler loops over something the model merely declares.
TIME_LIMIT_S = 10
OPTIONS = CompileOptions(module_name="fuzz")


def check(data: bytes) -> None:
    """Compile `data`; return on success or UserError; anything else propagates (a finding).

    A model that reads but does not compile also goes through `microtvmc inspect`, which runs the
    stages as far as they go on the supported part (another path over the same graph)."""
    try:
        compile_model(data, "fuzz.tflite", OPTIONS)
        return
    except UserError:
        pass
    try:
        read_model(data, "fuzz.tflite")
    except UserError:
        return
    with tempfile.TemporaryDirectory(prefix="mtvm-fuzz-") as scratch:
        path = Path(scratch) / "fuzz.tflite"
        path.write_bytes(data)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(["inspect", str(path), "--module-name", OPTIONS.module_name])
        if code not in (0, 2) or (code == 2 and "microtvmc: error: " not in err.getvalue()):
            raise AssertionError(f"microtvmc inspect exited with {code}: {err.getvalue()}")


class TimeLimitExceeded(Exception):
    """An input took longer than its time limit (a hang, for the fuzzer)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded in the main thread after `seconds` (POSIX interval timer)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"more than {seconds} s on one input")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
