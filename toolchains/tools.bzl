"""Toolchains for the non-compiler tools the firmware rules use.

Rules never name a tool path: they ask for one of these toolchain types and read the fields of
the platform_common.ToolchainInfo it resolves to.

  //toolchains:binutils_toolchain_type (resolved for the board's platform, i.e. by
  microtvm_firmware after its transition):
      objcopy: string, path of the objcopy that understands the board's ELF files.
      size:    string, path of the matching size tool (Berkeley output: text, data, bss).

  //toolchains:runner_toolchain_type (resolved for the machine that runs `bazel run`/`bazel test`):
      qemu_system_arm: string, path of qemu-system-arm.
      openocd:         string, path of openocd (the OPENOCD environment variable overrides it).
"""

def _binutils_impl(ctx):
    return [platform_common.ToolchainInfo(objcopy = ctx.attr.objcopy_path, size = ctx.attr.size_path)]

binutils_toolchain = rule(
    implementation = _binutils_impl,
    doc = "Binary utilities for firmware images (see the module docstring).",
    attrs = {
        "objcopy_path": attr.string(mandatory = True),
        # (Not "size": that name is reserved for tests' size.)
        "size_path": attr.string(mandatory = True),
    },
)

def _runner_impl(ctx):
    return [platform_common.ToolchainInfo(
        qemu_system_arm = ctx.attr.qemu_system_arm,
        openocd = ctx.attr.openocd,
    )]

runner_toolchain = rule(
    implementation = _runner_impl,
    doc = "Emulator and flasher used to run firmware (see the module docstring).",
    attrs = {
        "openocd": attr.string(mandatory = True),
        "qemu_system_arm": attr.string(mandatory = True),
    },
)
