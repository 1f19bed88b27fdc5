"""microtvm_board: describes a board (memory, console, how to run and flash it)."""

load(":providers.bzl", "BoardInfo")

def _microtvm_board_impl(ctx):
    if ctx.attr.console not in ("semihosting", "uart"):
        fail("console must be \"semihosting\" or \"uart\", not \"%s\"" % ctx.attr.console)
    board = BoardInfo(
        name = ctx.label.name,
        platform = ctx.attr.platform.label,
        cpu = ctx.attr.cpu,
        flash_origin = ctx.attr.flash_origin,
        flash_bytes = ctx.attr.flash_kib * 1024,
        ram_bytes = ctx.attr.ram_kib * 1024,
        console = ctx.attr.console,
        qemu_machine = ctx.attr.qemu_machine,
        openocd_scripts = ctx.attr.openocd_scripts,
    )
    return [board, ctx.attr.support[CcInfo]]

microtvm_board = rule(
    implementation = _microtvm_board_impl,
    doc = """A board: its capacities, console and tools, plus the support library (startup code,
console, linker script) linked into every firmware for it. See //boards:BUILD.bazel.""",
    attrs = {
        "console": attr.string(mandatory = True, doc = "\"semihosting\" or \"uart\"."),
        "cpu": attr.string(mandatory = True, doc = "The core, e.g. \"cortex-m7\"."),
        "flash_kib": attr.int(mandatory = True, doc = "Flash capacity in KiB."),
        "flash_origin": attr.int(mandatory = True, doc = "Address of the start of flash."),
        "openocd_scripts": attr.string_list(doc = "OpenOCD -f scripts, e.g. board/stm32f746g-disco.cfg."),
        "platform": attr.label(
            mandatory = True,
            doc = "The board's platform(); microtvm_firmware builds for it.",
        ),
        "qemu_machine": attr.string(doc = "qemu-system-arm -M value, if QEMU emulates the board."),
        "ram_kib": attr.int(mandatory = True, doc = "RAM capacity in KiB."),
        "support": attr.label(
            mandatory = True,
            providers = [CcInfo],
            doc = "cc_library with the startup code, console and linker script (alwayslink).",
        ),
    },
    provides = [BoardInfo, CcInfo],
)
