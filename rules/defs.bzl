"""Public API of rules_microtvm. Load everything from here:

    load("@rules_microtvm//rules:defs.bzl", "microtvm_firmware", "microtvm_qemu_test")

Models:
  microtvm_model_library  a .tflite model compiled to C (MLF tar + CcInfo: #include "tvmgen_<name>.h")
  microtvm_model_test     the model's generated code vs TFLite's reference kernels, on a board in
                          QEMU or on the host, bit-exact
  microtvm_golden_main    the C test program microtvm_model_test runs (LiteRT outputs at build time)

Firmware:
  microtvm_firmware   compile + link sources for a board (transition to its platform);
                      .elf/.bin/.hex/.map and a size report checked against the board's budget
  microtvm_qemu_run   `bazel run`: the firmware on an emulated board, its output and exit code
  microtvm_qemu_test  `bazel test`: the same, passing iff exit code and output are as expected
  microtvm_flash      `bazel run`: flash a hardware board with OpenOCD (--dry_run prints the command)
  microtvm_board      describe a board (//boards:boards.bzl describes the ones we ship)

Providers: BoardInfo, FirmwareInfo, MlfInfo.

All of them are documented in docs/rules.md, generated from their docstrings.
"""

load("//rules/private:board.bzl", _microtvm_board = "microtvm_board")
load("//rules/private:firmware.bzl", _microtvm_firmware = "microtvm_firmware")
load("//rules/private:flash.bzl", _microtvm_flash = "microtvm_flash")
load("//rules/private:model_library.bzl", _microtvm_model_library = "microtvm_model_library")
load(
    "//rules/private:model_test.bzl",
    _microtvm_golden_main = "microtvm_golden_main",
    _microtvm_model_test = "microtvm_model_test",
)
load(
    "//rules/private:providers.bzl",
    _BoardInfo = "BoardInfo",
    _FirmwareInfo = "FirmwareInfo",
    _MlfInfo = "MlfInfo",
)
load(
    "//rules/private:qemu.bzl",
    _microtvm_qemu_run = "microtvm_qemu_run",
    _microtvm_qemu_test = "microtvm_qemu_test",
)

microtvm_board = _microtvm_board
microtvm_firmware = _microtvm_firmware
microtvm_flash = _microtvm_flash
microtvm_model_library = _microtvm_model_library
microtvm_model_test = _microtvm_model_test
microtvm_golden_main = _microtvm_golden_main
microtvm_qemu_run = _microtvm_qemu_run
microtvm_qemu_test = _microtvm_qemu_test

BoardInfo = _BoardInfo
FirmwareInfo = _FirmwareInfo
MlfInfo = _MlfInfo
