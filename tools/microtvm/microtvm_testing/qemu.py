"""Bare-metal programs on emulated Cortex-M cores (qemu-system-arm, semihosting), for tests of
the kernels' DSP paths: a startup file, a linker script per core and a build-and-run helper.

The programs print through `bare_print(const char*)` (semihosting SYS_WRITE0) and exit through
semihosting when main() returns. Needs arm-none-eabi-gcc and qemu-system-arm on PATH (the Bazel
build root provides both; `tools_or_skip` skips a test outside Bazel without them).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

import pytest

# core -> (QEMU machine, compiler flags, flash origin, RAM origin): the MPS2/MPS3 boards' memory maps
# (as in //boards:boards.bzl; the AN547's Secure ITCM and DTCM, 512 KiB each).
QEMU_CORES: dict[str, tuple[str, tuple[str, ...], int, int]] = {
    "cortex-m4": ("mps2-an386", ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), 0x0, 0x20000000),
    "cortex-m7": ("mps2-an500", ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"), 0x0, 0x20000000),
    "cortex-m33": ("mps2-an505", ("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"), 0x10000000,
                   0x38000000),
    "cortex-m55": ("mps3-an547", ("-mcpu=cortex-m55", "-mfloat-abi=hard", "-mfpu=auto"), 0x10000000, 0x30000000),
}
# The flash and RAM sizes, KiB, where they are not 4 MiB.
QEMU_MEMORY_KIB: dict[str, int] = {"cortex-m55": 512}

# Just enough of a firmware: a vector table, a reset handler that zeroes .bss, enables the FPU
# and calls main(), and semihosting to print and exit.
BARE_METAL_C = r"""
#include <stdint.h>
extern uint32_t __bss_start__[], __bss_end__[], __stack_top__[];
int main(void);
static uint32_t semihost(uint32_t op, uint32_t arg) {
  register uint32_t r0 __asm__("r0") = op;
  register uint32_t r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
void bare_print(const char* text) { semihost(0x04u, (uint32_t)text); }
static void bare_exit(void) { semihost(0x18u, 0x20026u); for (;;) {} }
static void fault(void) { bare_print("FAULT\n"); bare_exit(); }
static void reset(void) {
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t* p = __bss_start__; p < __bss_end__; ++p) *p = 0;
  main();
  bare_exit();
}
__attribute__((section(".vectors"), used)) static void (*const vectors[8])(void) = {
    (void (*)(void))__stack_top__, reset, fault, fault, fault, fault, fault, fault};
"""


def linker_script(flash: int, ram: int, kib: int = 4096) -> str:
    return f"""
MEMORY {{ FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = {kib}K  RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = {kib}K }}
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text .text.*) *(.rodata .rodata.*) }} > FLASH
  .data : {{ *(.data .data.*) }} > RAM AT > FLASH
  .bss (NOLOAD) : {{ __bss_start__ = .; *(.bss .bss.*) *(COMMON) . = ALIGN(4); __bss_end__ = .; }} > RAM
  __stack_top__ = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


def tools_or_skip() -> tuple[str, str]:
    """(arm-none-eabi-gcc, qemu-system-arm); skips the test when they are missing outside Bazel."""
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if gcc is None or qemu is None:
        if os.environ.get("TEST_SRCDIR"):  # under Bazel both are in the build root
            pytest.fail("arm-none-eabi-gcc and qemu-system-arm must be on PATH")
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not on PATH (they are in the Bazel build root)")
    return gcc, qemu


def build_and_run(core: str, sources: Sequence[Path], workdir: Path, flags: Sequence[str] = ()) -> str:
    """Compiles `sources` (with main()) at -O2 for `core` with the startup file, runs the program
    on QEMU and returns what it printed. Fails the test if the build fails."""
    gcc, qemu = tools_or_skip()
    machine, cpu_flags, flash, ram = QEMU_CORES[core]
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "bare_metal.c").write_text(BARE_METAL_C)
    (workdir / "link.ld").write_text(linker_script(flash, ram, QEMU_MEMORY_KIB.get(core, 4096)))
    elf = workdir / "program.elf"
    command = [gcc, "-mthumb", *cpu_flags, "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-ffunction-sections",
               "-fdata-sections", "-ffp-contract=off", *flags, *map(str, sources), str(workdir / "bare_metal.c"),
               "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections", "-T",
               str(workdir / "link.ld"), "-lm", "-o", str(elf)]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, f"{' '.join(command)}\n{built.stderr}"
    ran = subprocess.run([qemu, "-M", machine, "-nographic", "-monitor", "none", "-semihosting-config",
                          "enable=on,target=native", "-kernel", str(elf)], capture_output=True, text=True, timeout=120)
    return ran.stdout + ran.stderr  # QEMU writes semihosting output to either


def _c_values(values) -> str:
    return ", ".join(str(int(v)) for v in values.ravel())


def models_main(modules: Sequence[tuple[str, dict, Sequence[tuple[Sequence, Sequence]]]]) -> str:
    """main() of a program that runs compiled integer models on given inputs and compares their
    outputs with expected ones: modules are (name, metadata.json module entry, [(inputs, expected
    outputs) per seed]) with numpy arrays. Prints "<name> seed <k> mismatches" per bad run, then
    "done"."""
    lines = ["#include <stdint.h>", "void bare_print(const char* text);"]
    body = []
    for name, module, runs in modules:
        lines.append(f'#include "tvmgen_{name}.h"')
        inputs, outputs = module["inputs"], module["outputs"]
        ctype = {1: "int8_t", 2: "int16_t", 4: "int32_t"}
        for k, (xs, ys) in enumerate(runs):
            for j, x in enumerate(xs):
                lines.append(f"static const {ctype[x.dtype.itemsize]} {name}_x{k}_{j}[] = {{{_c_values(x)}}};")
            for j, y in enumerate(ys):
                lines.append(f"static const {ctype[y.dtype.itemsize]} {name}_y{k}_{j}[] = {{{_c_values(y)}}};")
        x0, y0 = runs[0]
        for j, x in enumerate(x0):
            lines.append(f"static {ctype[x.dtype.itemsize]} {name}_in{j}[{x.size}] __attribute__((aligned(16)));")
        for j, y in enumerate(y0):
            lines.append(f"static {ctype[y.dtype.itemsize]} {name}_out{j}[{y.size}] __attribute__((aligned(16)));")
        for k, (xs, ys) in enumerate(runs):
            ins = ", ".join(f".{t['c_name']} = {name}_in{j}" for j, t in enumerate(inputs))
            outs = ", ".join(f".{t['c_name']} = {name}_out{j}" for j, t in enumerate(outputs))
            body.append("  {")
            for j, x in enumerate(xs):
                body.append(f"    for (int i = 0; i < {x.size}; ++i) {name}_in{j}[i] = {name}_x{k}_{j}[i];")
            body.append(f"    struct tvmgen_{name}_inputs in = {{{ins}}};")
            body.append(f"    struct tvmgen_{name}_outputs out = {{{outs}}};")
            body.append(f"    int bad = tvmgen_{name}_run(&in, &out) != 0;")
            for j, y in enumerate(ys):
                body.append(f"    for (int i = 0; i < {y.size}; ++i) bad |= {name}_out{j}[i] != {name}_y{k}_{j}[i];")
            body.append(f'    if (bad) bare_print("{name} seed {k} mismatches\\n");')
            body.append("  }")
    return "\n".join(lines + ["int main(void) {"] + body + ['  bare_print("done\\n");', "  return 0;", "}", ""])
