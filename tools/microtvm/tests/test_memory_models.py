"""Memory plans of real models: the project's models/ and, when present, the MLPerf Tiny models
of ../shared/models (issue 5's workspace targets). Planning only, no C build: fast.

For every model, with and without workspace I/O: the default planner is never worse than greedy
by size, is deterministic, and metadata.json and `microtvmc
inspect` report the lower bound beside the plan.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Optional

import pytest

from microtvm import cli
from microtvm.compiler import CompileOptions, compile_graph, read_model
from microtvm.memory import greedy_by_size

# Issue 5: workspace bytes we must not exceed (TFLM's arenas are 22,784 / 100,672 / 54,352 / 2,704).
TARGETS = {
    "kws_ref_model.tflite": 16_000,
    "vww_96_int8.tflite": 73_728,
    "pretrainedResnet_quant.tflite": 49_152,
    "ad01_int8.tflite": 1_536,
}


def _project_models() -> list[Path]:
    here = Path(__file__)
    for base in (here.absolute(), here.resolve()):
        models = base.parents[3] / "models"
        if models.is_dir():
            return sorted(models.glob("*.tflite"))
    return []


def _shared_models_dir() -> Optional[Path]:
    """$MICROTVM_SHARED_MODELS, else ../shared/models beside the checkout, else None."""
    configured = os.environ.get("MICROTVM_SHARED_MODELS")
    candidates = [Path(configured)] if configured else []
    here = Path(__file__)
    candidates += [p.parents[4] / "shared" / "models" for p in (here.absolute(), here.resolve())]
    return next((c for c in candidates if c.is_dir()), None)


def _models() -> list[Path]:
    shared = _shared_models_dir()
    found = [shared / name for name in TARGETS] if shared else []
    return _project_models() + [p for p in found if p.is_file()]


MODELS = _models()


def test_the_project_models_are_found():
    assert {p.name for p in _project_models()} >= {"kws.tflite", "residual.tflite", "sine.tflite"}


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
@pytest.mark.parametrize("workspace_io", [False, True], ids=["caller_io", "workspace_io"])
def test_plan_is_small_deterministic_and_reported(path, workspace_io):
    data = path.read_bytes()
    options = CompileOptions(use_workspace_io=workspace_io)
    # No wall-clock assertion: the planner is bounded by work (memory/search.py), and timed tests
    # fail on loaded CI machines; compile times belong in benchmarks.
    compilation = compile_graph(read_model(data, path.name), data, options)
    plan = compilation.plan
    assert plan.lower_bound_bytes <= plan.workspace_size
    assert plan.lower_bound_bytes <= plan.peak_live_bytes

    greedy = compile_graph(read_model(data, path.name), data, CompileOptions(use_workspace_io=workspace_io, planner=greedy_by_size)).plan
    assert plan.workspace_size <= greedy.workspace_size
    if not workspace_io and path.name in TARGETS:
        assert plan.workspace_size <= TARGETS[path.name]

    again = compile_graph(read_model(data, path.name), data, options)
    assert again.plan == plan and again.files == compilation.files

    memory = json.loads(compilation.files["metadata.json"])["modules"]["default"]["memory"]
    assert memory["workspace_lower_bound_bytes"] == plan.lower_bound_bytes
    assert memory["workspace_size_bytes"] == plan.workspace_size


def test_inspect_prints_the_lower_bound_beside_the_plan():
    model = _project_models()[0]
    out = io.StringIO()
    args = cli._parser().parse_args(["inspect", str(model)])
    assert cli._inspect(args, out) == 0
    line = next(line for line in out.getvalue().splitlines() if line.strip().startswith("workspace:"))
    assert "lower bound" in line
