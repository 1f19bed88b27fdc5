"""microtvm_board: describes a board (memory, console, how to run and flash it)."""

load("//boards:boards.bzl", "BOARDS", "CPUS")
load(":providers.bzl", "BoardInfo")

visibility("//rules/...")

def hex32(value):
    """value as 0x followed by 8 hex digits."""
    digits = "%x" % value
    return "0x" + "0" * (8 - len(digits)) + digits

def _kib(value):
    return "%dK" % value

def _memory_script(ctx):
    """The board's MEMORY regions (and stack/heap sizes), for the shared section layout."""
    script = ctx.actions.declare_file(ctx.label.name + ".memory.ld")
    lines = [
        "/* Memory map of board %s, written by microtvm_board from its attributes. */" % ctx.label.name,
        "MEMORY",
        "{",
        "  FLASH (rx)  : ORIGIN = %s, LENGTH = %s" % (hex32(ctx.attr.flash_origin), _kib(ctx.attr.flash_kib)),
        "  RAM   (rwx) : ORIGIN = %s, LENGTH = %s" % (hex32(ctx.attr.ram_origin), _kib(ctx.attr.ram_kib)),
        "}",
    ]
    for symbol, kib in (("__stack_size__", ctx.attr.stack_kib), ("__heap_size__", ctx.attr.heap_kib)):
        if kib:
            lines.append("%s = DEFINED(%s) ? %s : %s;" % (symbol, symbol, symbol, _kib(kib)))
    ctx.actions.write(script, "\n".join(lines) + "\n")
    return script

def _microtvm_board_impl(ctx):
    for name in ("flash_kib", "ram_kib", "stack_kib", "heap_kib"):  # (attr.int has no minimum)
        if getattr(ctx.attr, name) < 0:
            fail("%s must not be negative" % name)
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

    # The linker scripts: the memory map first (the section layout places into its regions).
    memory = _memory_script(ctx)
    sections = ctx.file.sections_script
    scripts = cc_common.create_linker_input(
        owner = ctx.label,
        user_link_flags = ["-T", memory.path, "-T", sections.path],
        additional_inputs = depset([memory, sections]),
    )
    cc_info = cc_common.merge_cc_infos(cc_infos = [
        ctx.attr.support[CcInfo],
        CcInfo(linking_context = cc_common.create_linking_context(linker_inputs = depset([scripts]))),
    ])
    return [board, cc_info, DefaultInfo(files = depset([memory]))]

_microtvm_board = rule(
    implementation = _microtvm_board_impl,
    doc = "The board itself (see microtvm_board).",
    attrs = {
        "console": attr.string(mandatory = True, values = ["semihosting", "uart"], doc = "How the firmware prints."),
        "cpu": attr.string(
            mandatory = True,
            values = sorted(CPUS.keys()),
            doc = "The core, as the code generator's --target-cpu spells it, e.g. \"cortex-m7\".",
        ),
        "flash_kib": attr.int(mandatory = True, doc = "Flash capacity in KiB."),
        "flash_origin": attr.int(mandatory = True, doc = "Address of the start of flash."),
        "heap_kib": attr.int(doc = "Heap size in KiB; 0: the section layout's default (8 KiB)."),
        "openocd_scripts": attr.string_list(doc = "OpenOCD -f scripts, e.g. board/stm32f746g-disco.cfg."),
        "platform": attr.label(
            mandatory = True,
            doc = "The board's platform(); microtvm_firmware builds for it.",
        ),
        "qemu_machine": attr.string(doc = "qemu-system-arm -M value, if QEMU emulates the board."),
        "ram_kib": attr.int(mandatory = True, doc = "RAM capacity in KiB."),
        "ram_origin": attr.int(mandatory = True, doc = "Address of the start of RAM."),
        "sections_script": attr.label(
            default = "//boards:common/sections.ld",
            allow_single_file = [".ld"],
            doc = "Linker script placing the sections into the FLASH and RAM regions.",
        ),
        "stack_kib": attr.int(doc = "Main stack size in KiB; 0: the section layout's default (16 KiB)."),
        "support": attr.label(
            mandatory = True,
            providers = [CcInfo],
            doc = "cc_library with the startup code and console (alwayslink).",
        ),
    },
    provides = [BoardInfo, CcInfo],
)

def microtvm_board(name, platform, visibility = None, **kwargs):
    """A board: its core, memory map, console and tools, plus its support library.

    The support library (startup code, console) is linked into every firmware for the board.
    The linker scripts are the board's memory map (FLASH and RAM regions, written from
    flash_origin/flash_kib/ram_origin/ram_kib, and stack/heap sizes) followed by
    sections_script. //boards:boards.bzl describes the boards rules_microtvm ships.

    Besides `name`, this makes `<name>.platform`, an alias of `platform`: microtvm_firmware
    builds for the platform of its board through it (a transition sees labels, not providers),
    so firmware only names the board.

    Example (a board of your own, for a Cortex-M4F):

        platform(
            name = "my_board_platform",
            constraint_values = [
                "@platforms//os:none",
                "@platforms//cpu:armv7e-mf",
                "@rules_microtvm//platforms/cpu:cortex_m4f",   # picks the toolchain
            ],
        )

        microtvm_board(
            name = "my_board",
            platform = ":my_board_platform",
            cpu = "cortex-m4",
            flash_origin = 0x08000000,
            flash_kib = 512,
            ram_origin = 0x20000000,
            ram_kib = 128,
            console = "uart",
            support = ":my_board_support",   # cc_library(alwayslink = True): startup, console
        )

    Args:
      name: the board's name (BoardInfo.name).
      platform: the board's platform(); firmware for the board is built for it.
      visibility: visibility of the board and of `<name>.platform`.
      **kwargs: the board's attributes: cpu (as the code generator's --target-cpu spells it:
        cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, cortex-m85), flash_origin, flash_kib,
        ram_origin, ram_kib (the memory map), console ("semihosting" or "uart"), support (the
        cc_library with startup code and console), and optionally qemu_machine
        (qemu-system-arm -M value), openocd_scripts (OpenOCD -f scripts for flashing),
        stack_kib and heap_kib (0: 16 and 8 KiB), sections_script (default: the shared
        layout //boards:common/sections.ld), tags, testonly.
    """
    _microtvm_board(name = name, platform = platform, visibility = visibility, **kwargs)
    native.alias(
        name = name + ".platform",
        actual = platform,
        visibility = visibility,
        tags = kwargs.get("tags"),
        testonly = kwargs.get("testonly"),
    )

def _board_table_json_impl(ctx):
    table = {
        name: {
            "cpu": board.cpu,
            "flash_origin": board.flash_origin,
            "flash_bytes": board.flash_kib * 1024,
            "ram_origin": board.ram_origin,
            "ram_bytes": board.ram_kib * 1024,
            "hard_float": CPUS[board.cpu].hard_float,
            "console": board.console,
            "qemu_machine": board.qemu_machine,
        }
        for name, board in BOARDS.items()
    }
    output = ctx.actions.declare_file("boards.json")
    ctx.actions.write(output, json.encode_indent(table) + "\n")
    return [DefaultInfo(files = depset([output]), runfiles = ctx.runfiles(files = [output]))]

microtvm_board_table_json = rule(
    implementation = _board_table_json_impl,
    doc = "boards.json: //boards:boards.bzl's BOARDS (memory map, core, float ABI) for tests.",
)
