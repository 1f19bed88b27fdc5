"""Providers for rules_microtvm's own tests and benchmarks (not part of the public API)."""

visibility(["//rules/...", "//benchmarks/..."])

FirmwareSizeCheckInfo = provider(
    doc = "How microtvm_firmware checked a firmware's size (for re-running the check in tests).",
    fields = {
        "budget_probe_elf": "File: the image linked without stopping at memory overflow; " +
                            "only for checking the size budget (never flash or run it).",
        "size_tool": "string: the size tool of the board's binutils toolchain.",
    },
)
