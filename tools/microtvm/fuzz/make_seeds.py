"""Write the fuzzer's seed corpus (corpus/): small models our TFLite writer makes, one per kind.

    python3 tools/microtvm/fuzz/make_seeds.py [pytest test files...]   (from the repository root)

Runs the operator tests (tests/test_ops_*.py and the control-flow, state and validation tests by
default) with the writer's build_model wrapped to keep every model they build, and the expensive
parts (C builds, LiteRT/TFLM reference runs) stubbed out; the tests themselves then fail, which is
expected. Of the models kept, the smallest one per signature (its operators; whether it has
float32, int8, int16 tensors) that our reader accepts is written to corpus/ as <sha1>.tflite
(libFuzzer's naming). The corpus is a starting point for the fuzzer, not a test: re-running this may pick other files.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent
sys.path.insert(0, str(TOOLS))

MAX_SEED_BYTES = 16 * 1024
DEFAULT_TESTS = [
    *sorted(str(p) for p in (TOOLS / "tests").glob("test_ops_*.py")),
    str(TOOLS / "tests" / "test_control_flow.py"),
    str(TOOLS / "tests" / "test_state.py"),
    str(TOOLS / "tests" / "test_validate.py"),
]


class _Stop(Exception):
    """Raised in place of a C build or a reference run."""


class Capture:
    """pytest plugin: patch the writer and the expensive helpers before the tests import them."""

    def __init__(self) -> None:
        self.models: list[bytes] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        from microtvm_testing import host, reference, tflite_writer

        original = tflite_writer.build_model

        def build_model(*args: object, **kwargs: object) -> bytes:
            data = original(*args, **kwargs)
            self.models.append(data)
            return data

        def stop(*args: object, **kwargs: object) -> None:
            raise _Stop()

        tflite_writer.build_model = build_model
        for module, names in (
            (host, ("build", "build_files", "run_compiled", "assert_matches_reference")),
            (reference, ("run_reference", "run_reference_sequence")),
        ):
            for name in names:
                setattr(module, name, stop)
        try:
            from microtvm_testing import tflm_reference

            for name in ("run_tflm", "run_tflm_sequence", "assert_matches_tflm"):
                setattr(tflm_reference, name, stop)
        except ImportError:
            pass


def signature(data: bytes) -> tuple | None:
    from microtvm.errors import UserError
    from microtvm.frontend import read_tflite

    try:
        graph = read_tflite(data, "seed.tflite")
    except UserError:
        return None
    ops = tuple(sorted({op.opcode for op in graph.all_operators()}))
    dtypes = {t.dtype for t in graph.tensors}
    return ops, "float32" in dtypes, "int8" in dtypes, "int16" in dtypes


def main(argv: list[str]) -> int:
    capture = Capture()
    pytest.main(["-q", "-p", "no:cacheprovider", "--tb=no", *(argv or DEFAULT_TESTS)], plugins=[capture])
    best: dict[tuple, bytes] = {}
    for data in capture.models:
        if len(data) > MAX_SEED_BYTES:
            continue
        key = signature(data)
        if key is not None and (key not in best or len(data) < len(best[key])):
            best[key] = data
    corpus = HERE / "corpus"
    corpus.mkdir(exist_ok=True)
    for old in corpus.glob("*.tflite"):
        old.unlink()
    for data in best.values():
        (corpus / f"{hashlib.sha1(data).hexdigest()}.tflite").write_bytes(data)
    print(f"{len(capture.models)} models built, {len(best)} written to {corpus}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
