"""The C unit tests of the kernels (runtime/tests/<kernel>_test.c), each built with the kernel
file it tests (runtime/src/<kernel>.c, when there is one: conv_mac_s8_test.c tests the inner
loops of a header) and run: on the host with -Wall -Wextra -Werror and ASan/UBSan (the portable
paths), and on emulated Cortex-M4F, M7 and M33 cores at -O2 (the DSP paths: SMLAD, SMLABB, ...).
Bazel also builds and runs them as cc_test targets (runtime/tests/BUILD.bazel)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from microtvm_testing import qemu

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"
TESTS = sorted(path.name for path in (RUNTIME / "tests").glob("*_test.c"))


def _sources(test: str) -> list[Path]:
    kernel = RUNTIME / "src" / test.replace("_test.c", ".c")
    return [RUNTIME / "tests" / test] + ([kernel] if kernel.is_file() else [])


def _includes() -> list[str]:
    return [f"-I{RUNTIME / 'include'}", f"-I{RUNTIME / 'src'}", f"-I{RUNTIME / 'tests'}"]


def test_every_int8_convolution_variant_and_the_lut_kernel_have_a_test() -> None:
    kernels = {"conv_s8_plain.c", "conv_s8_1x1.c", "conv_s8_window.c", "depthwise_conv_s8_plain.c",
               "depthwise_conv_s8_quads.c", "fully_connected_s8.c", "lut_s8.c"}
    assert {test.replace("_test.c", ".c") for test in TESTS} >= kernels | {"conv_mac_s8.c"}


@pytest.mark.parametrize("test", TESTS)
def test_on_the_host(test: str, tmp_path: Path) -> None:
    cc = shlex.split(os.environ.get("CC") or "gcc")
    executable = tmp_path / "test"
    command = [*cc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
               "-fno-sanitize-recover=all", "-g", *_includes(), *map(str, _sources(test)), "-o", str(executable), "-lm"]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    ran = subprocess.run([str(executable)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ": ok (" in ran.stdout, ran.stdout + ran.stderr


@pytest.mark.parametrize("core", sorted(qemu.QEMU_CORES))
def test_on_qemu(core: str, tmp_path: Path) -> None:
    """Every test on one emulated core (one program per test)."""
    for test in TESTS:
        console = qemu.build_and_run(core, _sources(test), tmp_path / test[:-2],
                                     ["-DMTVM_TEST_BARE_PRINT", *_includes()])
        assert ": ok (" in console and "FAULT" not in console, f"{core} {test}: {console}"
    objdump = shutil.which("arm-none-eabi-objdump")
    if objdump is not None:  # the inner loops were built with their DSP (M55: Helium) paths
        # objdump decodes Helium instructions only when told the architecture.
        machine = ["-m", "armv8.1-m.main"] if core == "cortex-m55" else []
        disassembly = subprocess.run([objdump, "-d", *machine, str(tmp_path / "conv_mac_s8_test" / "program.elf")],
                                     capture_output=True, text=True, check=True).stdout
        # VMLADAVA disassembles as VMLAVA.
        expected = ("vmlava", "vldrb") if core == "cortex-m55" else ("smlad", "smlabb")
        assert all(instruction in disassembly for instruction in expected), expected
