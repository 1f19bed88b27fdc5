"""The MLPerf Tiny and tflite-micro models in ../shared/models, compiled with our compiler and run
on the host, against their LiteRT-reference goldens (a CI check; it skips when the data is absent).

Where the models are: $MICROTVM_SHARED_MODELS (`.ci/run` passes it to Bazel with --test_env);
when that is unset or not a directory, `../shared/models` beside the source checkout; otherwise
every test skips with the reason.

For each model: compile once, build the generated C once for the host with
`-Wall -Wextra -Werror -fsanitize=address,undefined`, then run that binary on the input of each of
the 5 goldens `golden/<model>/seed<k>.npz`. Integer outputs must equal `output_0` byte for byte
(LiteRT's BUILTIN_REF kernels; not `tflm_output_0`, which rounds FULLY_CONNECTED differently),
float outputs within 1e-5 relative / 1e-6 absolute. All mismatching seeds are reported together.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from microtvm_testing import host

ENV_VAR = "MICROTVM_SHARED_MODELS"
SEEDS = range(5)
RTOL, ATOL = 1e-5, 1e-6

# What ../shared/models/README.md lists; a directory missing one of them is an incomplete copy.
EXPECTED_MODELS = (
    "ad01_int8",
    "hello_world_float",
    "hello_world_int8",
    "kws_ref_model",
    "kws_ref_model_logits",
    "pretrainedResnet_quant",
    "pretrainedResnet_quant_logits",
    "vww_96_int8",
    "vww_96_int8_logits",
)


def _fallback_candidates() -> list[Path]:
    """`../shared/models` relative to the checkout holding this file (tests/shared_models/).
    Under Bazel __file__ is a runfiles symlink: its resolved target is in the source tree."""
    here = Path(__file__)
    return [p.parents[2].parent / "shared" / "models" for p in (here.absolute(), here.resolve())]


def find_shared_models() -> tuple[Optional[Path], str]:
    """(directory, "") or (None, why the tests skip)."""
    configured = os.environ.get(ENV_VAR)
    if configured and Path(configured).is_dir():
        return Path(configured), ""
    for candidate in _fallback_candidates():
        if candidate.is_dir():
            return candidate, ""
    if configured:
        why = f"${ENV_VAR}={configured} is not a directory"
    else:
        why = f"${ENV_VAR} is not set"
    return None, f"{why} and no ../shared/models beside the checkout: the shared models are absent"


SHARED_DIR, SKIP_REASON = find_shared_models()
MODELS = sorted(p.name[: -len(".tflite")] for p in SHARED_DIR.glob("*.tflite")) if SHARED_DIR else []
# Under Bazel the target is "manual": someone asked for these checks by name, so missing data is
# a failure, never a silent pass. A plain pytest run outside Bazel skips with the reason.
if SHARED_DIR is None and os.environ.get("TEST_TARGET"):
    raise RuntimeError(f"{SKIP_REASON}; pass --test_env={ENV_VAR}=<dir> (see .ci/run)")
needs_shared = pytest.mark.skipif(SHARED_DIR is None, reason=SKIP_REASON)


@needs_shared
def test_every_listed_model_is_present() -> None:
    missing = [m for m in EXPECTED_MODELS if m not in MODELS]
    assert not missing, f"{SHARED_DIR} lacks {', '.join(missing)} (listed in its README.md)"


def _load_golden(path: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    with np.load(path) as npz:
        n_in = sum(1 for k in npz.files if k.startswith("input_"))
        n_out = sum(1 for k in npz.files if k.startswith("output_"))
        return [npz[f"input_{i}"] for i in range(n_in)], [npz[f"output_{i}"] for i in range(n_out)]


def _compare(ours: np.ndarray, golden: np.ndarray) -> Optional[str]:
    """None when equal (int) / close (float), else a one-line description of the difference."""
    if ours.shape != golden.shape or ours.dtype != golden.dtype:
        return f"got {ours.dtype}{list(ours.shape)}, golden is {golden.dtype}{list(golden.shape)}"
    if golden.dtype.kind == "f":
        bad = ~np.isclose(ours, golden, rtol=RTOL, atol=ATOL)
    else:
        bad = ours != golden
    if not bad.any():
        return None
    diff = np.abs(ours.astype(np.float64) - golden.astype(np.float64))
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (
        f"{int(bad.sum())} of {bad.size} elements differ, max |diff| {diff.max():g}; "
        f"first at {first}: ours {ours[first]}, golden {golden[first]}"
    )


@needs_shared
@pytest.mark.parametrize("model", MODELS or ["(none)"])
def test_model_matches_goldens(model: str, tmp_path: Path) -> None:
    path = SHARED_DIR / f"{model}.tflite"
    golden_paths = [SHARED_DIR / "golden" / model / f"seed{k}.npz" for k in SEEDS]
    absent = [str(p) for p in golden_paths if not p.is_file()]
    assert not absent, f"{model}: goldens missing: {', '.join(absent)}"

    # One compilation and one sanitizer build for all seeds.
    compiled = host.build(path.read_bytes(), tmp_path, source_name=path.name, module_name="model")

    failures = []
    for seed, golden_path in zip(SEEDS, golden_paths):
        inputs, expected = _load_golden(golden_path)
        actual = compiled.run(inputs)
        assert len(actual) == len(expected), f"{model}: {len(actual)} outputs, the golden has {len(expected)}"
        for k, (ours, golden) in enumerate(zip(actual, expected)):
            problem = _compare(ours, golden)
            if problem:
                failures.append(f"seed {seed}, output {k}: {problem}")
    assert not failures, f"{model} differs from LiteRT-ref goldens:\n  " + "\n  ".join(failures)
