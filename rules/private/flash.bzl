"""microtvm_flash: `bazel run` flashes a firmware onto its board with OpenOCD."""

load(":board.bzl", "hex32")
load(":providers.bzl", "FirmwareInfo")
load(":runfiles.bzl", "RLOCATION_FUNCTION", "label_string", "rlocation_path", "shell_quote")

visibility("//rules/...")

_RUNNER = Label("//toolchains:runner_toolchain_type")

def _microtvm_flash_impl(ctx):
    firmware = ctx.attr.firmware[FirmwareInfo]
    board = firmware.board
    if not board.openocd_scripts:
        fail("%s is built for board %s, which has no OpenOCD configuration (openocd_scripts)" % (
            ctx.attr.firmware.label,
            board.name,
        ))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "%{rlocation_function}": RLOCATION_FUNCTION,
            "%{firmware}": shell_quote(label_string(firmware.label)),
            "%{board}": shell_quote(board.name),
            "%{openocd}": shell_quote(ctx.toolchains[_RUNNER].openocd),
            "%{openocd_scripts}": " ".join([shell_quote(s) for s in board.openocd_scripts]),
            "%{flash_origin}": hex32(board.flash_origin),
            "%{elf}": shell_quote(rlocation_path(ctx, firmware.elf)),
            "%{bin}": shell_quote(rlocation_path(ctx, firmware.bin)),
        },
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [firmware.elf, firmware.bin]),
    )]

microtvm_flash = rule(
    implementation = _microtvm_flash_impl,
    doc = """`bazel run` flashes the firmware onto its board through OpenOCD and resets it.

    bazel run //:flash_disco                    # program the .elf, verify, reset
    bazel run //:flash_disco -- --dry_run       # print the OpenOCD command only
    bazel run //:flash_disco -- --bin           # program the .bin at the flash origin
    bazel run //:flash_disco -- --serial=XYZ    # pick one of several probes

Probe serial numbers are given here, at flash time, never in BUILD files. The OPENOCD
environment variable overrides the OpenOCD binary.""",
    attrs = {
        "firmware": attr.label(
            mandatory = True,
            providers = [FirmwareInfo],
            doc = "A microtvm_firmware for a board with OpenOCD scripts.",
        ),
        "_template": attr.label(default = "//rules/private:flash.sh.tpl", allow_single_file = True),
    },
    executable = True,
    toolchains = [config_common.toolchain_type(_RUNNER, mandatory = True)],
)
