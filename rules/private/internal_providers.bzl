"""Providers for rules_microtvm's own tests and benchmarks (not part of the public API)."""

visibility("//rules/...")

FirmwareSizeCheckInfo = provider(
    doc = "What microtvm_firmware's link check read (for re-running the check in tests).",
    fields = {
        "unchecked_elf": "File: the image of the link, before the check (written even when a " +
                         "memory region overflows; never flash or run it).",
        "linker_diagnostics": "File: the linker's messages.",
        "size_tool": "string: the size tool of the board's binutils toolchain.",
    },
)
