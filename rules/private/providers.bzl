"""Providers of rules_microtvm's rules. Every field is documented; treat them as the public API."""

visibility("//rules/...")

BoardInfo = provider(
    doc = "A board firmware can be built for (returned by microtvm_board, with the CcInfo of " +
          "the board's startup code, console and linker script).",
    fields = {
        "name": "string: the board's name, e.g. \"mps2_an386\".",
        "platform": "Label: the platform() firmware for this board is built for.",
        "cpu": "string: the core as the code generator's --target-cpu spells it, e.g. " +
               "\"cortex-m7\" (model libraries built for the board record it).",
        "flash_origin": "int: address of the first byte of flash (where a .bin is written).",
        "flash_bytes": "int: flash capacity, the default flash budget of a firmware.",
        "ram_bytes": "int: RAM capacity, the default RAM budget of a firmware.",
        "console": "string: \"semihosting\" or \"uart\".",
        "qemu_machine": "string: qemu-system-arm -M value, or \"\" if QEMU cannot run the board.",
        "openocd_scripts": "list of strings: OpenOCD -f scripts for flashing (empty: none).",
    },
)

FirmwareInfo = provider(
    doc = "A linked firmware image (returned by microtvm_firmware).",
    fields = {
        "label": "Label: the microtvm_firmware target.",
        "board": "BoardInfo: the board it was built for.",
        "elf": "File: the linked image, with symbols and debug information.",
        "bin": "File: raw binary image, to be written at board.flash_origin.",
        "hex": "File: Intel HEX image.",
        "map": "File: the linker's map file.",
        "size_report": "File: text report of flash and RAM used vs the budgets (from the size tool).",
        "flash_budget": "int: bytes of flash the firmware may use.",
        "ram_budget": "int: bytes of RAM the firmware may use.",
    },
)

MlfInfo = provider(
    doc = "A model compiled to Model Library Format (returned by microtvm_model_library, " +
          "next to the CcInfo of the compiled model code).",
    fields = {
        "tar": "File: the Model Library Format archive (.tar).",
        "metadata_json": "File: the MLF's metadata.json (model, target, memory sizes, inputs/outputs).",
        "module_name": "string: the module name: the generated API is tvmgen_<module_name>_*.",
        "memory_report": "File: `microtvmc inspect` output: operators, MACs, weights, memory plan.",
        "model": "File: the source .tflite model.",
        "modules": "depset of (module_name, label string) tuples: this library's module, for " +
                   "detecting two libraries with one module name in a firmware.",
    },
)
