"""Coverage-guided fuzzing of the whole pipeline: mutated .tflite bytes -> compile_model.

    bazel run //tools/microtvm/fuzz:fuzz -- [SECONDS] [libFuzzer flags...]

Engine: atheris (libFuzzer for Python). Seeds: tools/microtvm/fuzz/corpus/ (models our writer
makes, make_seeds.py) and every model in //models. New inputs that reach new code go to a working
corpus (`$MICROTVM_FUZZ_CORPUS`, default ~/.cache/rules_microtvm/fuzz-corpus, where the seeds are
copied first), kept between runs; `MICROTVM_FUZZ_QUICK=1` seeds with the small models only. An
input that raises anything but UserError, takes longer than the per-input limit or exceeds the
memory limit is written to `$MICROTVM_FUZZ_ARTIFACTS` (default: the workspace's
tools/microtvm/fuzz/crashes/ under `bazel run`, else the current directory) and stops the run.
Fix it and commit the file there: tests/test_hostile_models.py runs every file of crashes/.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import atheris

# Coverage of what reads and checks the model; not the memory planner (a bounded search whose
# inner loops would only slow every input down, instrumented).
_INSTRUMENTED = [
    "microtvm.frontend",
    "microtvm.passes",
    "microtvm.ops",
    "microtvm.codegen",
    "microtvm.compiler",
    "microtvm.quant",
    "microtvm.ir",
    "microtvm.mlf",
    "microtvm.limits",
    "microtvm.cli",
]
with atheris.instrument_imports(include=_INSTRUMENTED):
    import microtvm.cli  # noqa: F401  (instrumented for coverage)
    import microtvm.compiler  # noqa: F401
    import microtvm.frontend.reader  # noqa: F401
    import microtvm.ops  # noqa: F401

from target import CORPUS_DIR, TIME_LIMIT_S, check  # noqa: E402

DEFAULT_SECONDS = 600
RSS_LIMIT_MB = 2048
INSTRUMENTED_SLOWDOWN = 3  # instrumented code runs about this much slower: the time limit scales
MAX_LEN = 256 * 1024  # bytes; the seeds are smaller, and larger inputs only slow the search


def _models_dir() -> Path | None:
    """//models (from this binary's runfiles, or the source tree)."""
    here = Path(__file__).resolve().parent
    candidates = [here.parents[2] / "models"]
    runfiles = os.environ.get("RUNFILES_DIR") or os.environ.get("TEST_SRCDIR")
    if runfiles:
        candidates = [Path(runfiles) / "_main" / "models", Path(runfiles) / "rules_microtvm" / "models", *candidates]
    return next((c for c in candidates if c.is_dir()), None)


def seed_files(quick: bool) -> list[Path]:
    """The committed corpus and the project's models (with `quick`, only the top-level ones: the
    converted models take a second or more each, too long for a 60 s run)."""
    seeds = sorted(CORPUS_DIR.glob("*"))
    models = _models_dir()
    if models is not None:
        seeds += sorted(models.glob("*.tflite") if quick else models.rglob("*.tflite"))
    return seeds


def _add_seeds(corpus: Path, seeds: list[Path]) -> None:
    """Copy the seeds into the working corpus under libFuzzer's names (sha1 of the contents)."""
    for seed in seeds:
        data = seed.read_bytes()
        target = corpus / hashlib.sha1(data).hexdigest()
        if not target.exists():
            target.write_bytes(data)


def _working_corpus() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rules_microtvm" / "fuzz-corpus"
    path = Path(os.environ.get("MICROTVM_FUZZ_CORPUS", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _artifacts() -> Path:
    explicit = os.environ.get("MICROTVM_FUZZ_ARTIFACTS")
    if explicit:
        path = Path(explicit)
    elif os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
        path = Path(os.environ["BUILD_WORKSPACE_DIRECTORY"]) / "tools" / "microtvm" / "fuzz" / "crashes"
    else:
        path = Path.cwd()
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_one_input(data: bytes) -> None:
    check(data)


def libfuzzer_args(seconds: int, extra: list[str], corpus: Path) -> list[str]:
    """libFuzzer's command line: limits, where findings go, the working corpus."""
    return [
        sys.argv[0],
        f"-max_total_time={seconds}",
        f"-timeout={INSTRUMENTED_SLOWDOWN * TIME_LIMIT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={MAX_LEN}",
        f"-artifact_prefix={_artifacts()}/",
        "-print_final_stats=1",
        *extra,
        str(corpus),
    ]


def main(argv: list[str]) -> None:
    seconds = int(argv[0]) if argv and argv[0].isdigit() else DEFAULT_SECONDS
    extra = argv[1:] if argv and argv[0].isdigit() else argv
    if not os.environ.get("RUNFILES_DIR"):  # run from the source tree: its kernel library
        os.environ.setdefault("MICROTVM_RUNTIME_DIR", str(Path(__file__).resolve().parents[3] / "runtime"))
    corpus = _working_corpus()
    _add_seeds(corpus, seed_files(quick=os.environ.get("MICROTVM_FUZZ_QUICK") == "1"))
    atheris.Setup(libfuzzer_args(seconds, extra, corpus), test_one_input)
    atheris.Fuzz()  # exits the process: 0 when the time is up without a finding


if __name__ == "__main__":
    main(sys.argv[1:])
