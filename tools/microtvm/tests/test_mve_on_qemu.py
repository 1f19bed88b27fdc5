"""The int8 ADD, SUB and pooling kernels' Cortex-M code paths on emulated cores, bit for bit with
LiteRT's reference kernels (BUILTIN_REF) on seeds 0, 1, 2: Helium (MVE) on the Cortex-M55
(mps3-an547) and the DSP extension on the Cortex-M4F (mps2-an386). The host tests
(test_ops_elementwise.py and the pooling tests) cover the portable C of the same kernels; the
convolutions' Cortex-M paths are test_ops_conv.py::test_dsp_kernels_on_qemu.

Cases: same-shape ADD/SUB (the vectorized form) with element counts that are and are not
multiples of four (the tail predicate), scales giving right shifts of zero and more, extreme zero
points, every activation; a broadcast ADD (the general loop); AVERAGE_POOL_2D and MAX_POOL_2D with
SAME and VALID padding, channel counts around the vector widths, and a global average pool.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from microtvm import mlf
from microtvm.compiler import CompileOptions, compile_model
from microtvm_testing import qemu
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import TensorSpec, single_op_model

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"


def _q(shape, scale: float, zero_point: int) -> TensorSpec:
    return TensorSpec(list(shape), "int8", scale=scale, zero_point=zero_point)


def _binary(opcode: str, shape1, shape2, q1, q2, qo, activation: str) -> bytes:
    out = [max(a, b) for a, b in zip(shape1, shape2)] if len(shape1) == len(shape2) else list(shape1)
    return single_op_model(
        opcode, [_q(shape1, *q1), _q(shape2, *q2)], [_q(out, *qo)], {"fused_activation_function": activation}
    )


def _pool(opcode: str, shape, filter_hw, stride, padding: str, q, activation: str = "NONE") -> bytes:
    n, h, w, c = shape
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - filter_hw[0]) // stride + 1, (w - filter_hw[1]) // stride + 1
    options = {
        "padding": padding,
        "stride_h": stride,
        "stride_w": stride,
        "filter_height": filter_hw[0],
        "filter_width": filter_hw[1],
        "fused_activation_function": activation,
    }
    return single_op_model(opcode, [_q(shape, *q)], [_q((n, oh, ow, c), *q)], options)


QA, QB, QO = (0.05, 3), (0.1, -5), (0.12, -2)
CASES = {
    "add_same_105": _binary("ADD", (1, 7, 5, 3), (1, 7, 5, 3), QA, QB, QO, "NONE"),
    "add_same_1024_relu": _binary("ADD", (1, 8, 8, 16), (1, 8, 8, 16), (0.02, -128), (0.03, 127), (0.04, 0), "RELU"),
    "add_same_equal_scales": _binary("ADD", (2, 3, 5), (2, 3, 5), (0.05, 0), (0.05, 0), (0.05, 0), "RELU6"),
    "add_tiny_scale": _binary("ADD", (1, 4, 9), (1, 4, 9), (1e-6, -128), (0.5, 127), (0.5, 0), "RELU_N1_TO_1"),
    "add_broadcast": _binary("ADD", (1, 4, 5, 3), (1, 1, 1, 3), QA, QB, QO, "NONE"),
    "sub_same_63": _binary("SUB", (7, 9), (7, 9), QB, QA, QO, "RELU"),
    "sub_same_16": _binary("SUB", (4, 4), (4, 4), (0.5, 127), (1e-3, -128), (0.004, -128), "NONE"),
    "avg_same_s2_c13": _pool("AVERAGE_POOL_2D", (1, 7, 6, 13), (3, 3), 2, "SAME", (0.1, -3)),
    "avg_valid_c16_relu": _pool("AVERAGE_POOL_2D", (2, 6, 6, 16), (2, 3), 1, "VALID", (0.1, 5), "RELU"),
    "avg_global_c64": _pool("AVERAGE_POOL_2D", (1, 25, 5, 64), (25, 5), 1, "VALID", (0.05, -128)),
    "max_same_s2_c13": _pool("MAX_POOL_2D", (1, 7, 6, 13), (3, 3), 2, "SAME", (0.1, -3)),
    "max_valid_c40_relu6": _pool("MAX_POOL_2D", (2, 5, 5, 40), (2, 2), 2, "VALID", (0.05, -20), "RELU6"),
}


@pytest.fixture(scope="module")
def goldens() -> list[tuple[str, bytes, list]]:
    cases = []
    for name, model in CASES.items():
        runs = []
        for seed in (0, 1, 2):
            inputs = random_inputs(model, seed)
            runs.append((inputs, run_reference(model, inputs)))
        cases.append((name, model, runs))
    return cases


@pytest.mark.parametrize("core", ["cortex-m55", "cortex-m4"])
def test_elementwise_and_pool_kernels_on_qemu(core: str, goldens: list, tmp_path: Path) -> None:
    qemu.tools_or_skip()
    modules, sources, flags, kernels = [], [], [f"-I{RUNTIME / 'include'}"], set()
    for name, model, runs in goldens:
        files = compile_model(model, f"{name}.tflite", CompileOptions(module_name=name, target_cpu=core))
        tree = tmp_path / name
        mlf.write_dir(files, tree)
        modules.append((name, json.loads(files["metadata.json"])["modules"][name], runs))
        sources += sorted(tree.glob("codegen/host/src/*.c"))
        flags += [f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}"]
        kernels |= {path.name for path in tree.glob("runtime/src/*.c")}
    assert {"addsub_s8.c", "pool_s8.c"} <= kernels
    (tmp_path / "main.c").write_text(qemu.models_main(modules))
    program = [*sources, *(RUNTIME / "src" / k for k in sorted(kernels)), tmp_path / "main.c"]
    console = qemu.build_and_run(core, program, tmp_path / "program", flags)
    assert "done\n" in console and "mismatches" not in console and "FAULT" not in console, f"{core}: {console}"
