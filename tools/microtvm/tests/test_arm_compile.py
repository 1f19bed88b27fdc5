"""The generated C builds for a Cortex-M4F with no warnings, and with clang for the host.

The host tests run the generated code under gcc with sanitizers; this checks what a firmware
build sees: arm-none-eabi-gcc (newlib headers, 32-bit int and pointers, single-precision FPU)
with -Wall -Wextra -Werror, compiling every C file of the MLF (model and kernel library) to an
object. Models: our models/kws.tflite (the demo firmware's model), the other models/ files, and
MLPerf Tiny's kws_ref_model.tflite when ../shared/models is available.

arm-none-eabi-gcc is in the Bazel build root, so under `bazel test` a missing compiler fails the
test; outside Bazel the Arm tests skip when it is not on PATH. clang is tried as a second host compiler.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from microtvm import mlf
from microtvm.compiler import CompileOptions, compile_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"
OWN_MODELS = ("kws.tflite", "sine.tflite", "sine_float.tflite", "mobilenet_tiny.tflite", "residual.tflite")

ARM_GCC = "arm-none-eabi-gcc"
ARM_FLAGS = (
    "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
    "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
)
CLANG_FLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")


def shared_models_dir() -> Optional[Path]:
    """$MICROTVM_SHARED_MODELS, else ../shared/models beside the checkout, else None."""
    configured = os.environ.get("MICROTVM_SHARED_MODELS")
    candidates = [Path(configured)] if configured else []
    here = Path(__file__)
    candidates += [p.parents[4] / "shared" / "models" for p in (here.absolute(), here.resolve())]
    return next((c for c in candidates if c.is_dir()), None)


def _model_path(name: str) -> Path:
    if name == "kws_ref_model.tflite":
        shared = shared_models_dir()
        if shared is None or not (shared / name).is_file():
            pytest.skip(f"{name} is in ../shared/models, which is absent (set MICROTVM_SHARED_MODELS)")
        return shared / name
    return MODELS_DIR / name


def compile_objects(model: Path, workdir: Path, compiler: list[str], flags: tuple[str, ...]) -> None:
    """Generate the MLF for `model` and compile each of its C files to an object file, requiring
    success with nothing at all on stdout/stderr (-Werror turns warnings into errors; notes
    and other diagnostics must not appear either)."""
    module = model.name[: -len(".tflite")].replace("-", "_")
    files = compile_model(model.read_bytes(), model.name, CompileOptions(module_name=module, target_cpu="cortex-m4"))
    tree = workdir / "mlf"
    mlf.write_dir(files, tree)
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    assert sources, f"{model.name}: the MLF has no C sources"
    includes = [f"-I{tree / d}" for d in ("codegen/host/include", "codegen/host/src", "runtime/include")]
    for source in sources:
        command = [*compiler, *flags, *includes, "-c", str(source), "-o", str(workdir / (source.stem + ".o"))]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        output = (result.stdout + result.stderr).strip()
        assert result.returncode == 0 and not output, f"{model.name}: {' '.join(command)}\n{output}"


@pytest.mark.parametrize("name", ["kws.tflite", "kws_ref_model.tflite", *[m for m in OWN_MODELS if m != "kws.tflite"]])
def test_generated_c_compiles_for_cortex_m4(name: str, tmp_path: Path) -> None:
    if shutil.which(ARM_GCC) is None:
        if "TEST_SRCDIR" in os.environ:  # under `bazel test`: the build root has it, so this is a setup bug
            pytest.fail(f"{ARM_GCC} is not on PATH ({os.environ.get('PATH', '')}); the Bazel build root should provide it (see tools/bazel)")
        pytest.skip(f"{ARM_GCC} is not on PATH; it is in the Bazel build root: run ./tools/bazel test //tools/microtvm/tests:test_arm_compile")
    compile_objects(_model_path(name), tmp_path, [ARM_GCC], ARM_FLAGS)


@pytest.mark.parametrize("name", ["kws.tflite", "kws_ref_model.tflite"])
def test_generated_c_compiles_with_clang(name: str, tmp_path: Path) -> None:
    if shutil.which("clang") is None:
        pytest.skip("clang is not on PATH")
    compile_objects(_model_path(name), tmp_path, ["clang"], CLANG_FLAGS)
