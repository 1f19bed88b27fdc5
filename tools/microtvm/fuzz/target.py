"""The fuzz target: one input -> compile_model; the only allowed outcomes are success or UserError.

Shared by the coverage-guided fuzzer (fuzz_main.py, atheris/libFuzzer) and the regression tests
(tests/test_hostile_models.py runs every file in crashes/ and corpus/ through `check`).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UserError

FUZZ_DIR = Path(__file__).resolve().parent
CORPUS_DIR = FUZZ_DIR / "corpus"
CRASHES_DIR = FUZZ_DIR / "crashes"
# Per-input time limit (seconds): no model of the size the fuzzer makes (at most a few hundred KB)
# takes longer to compile unless the compiler loops over something the model merely declares.
TIME_LIMIT_S = 10
OPTIONS = CompileOptions(module_name="fuzz")


def check(data: bytes) -> None:
    """Compile `data`; return on success or UserError; anything else propagates (a finding)."""
    with contextlib.suppress(UserError):
        compile_model(data, "fuzz.tflite", OPTIONS)


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
