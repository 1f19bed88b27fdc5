"""Checks the files microtvm_firmware writes, independently of the tools that wrote them.

Arguments: --boards=boards.json (//boards:boards_json, the board table of //boards:boards.bzl),
then the output files (.elf, .bin, .hex, .map, .size.txt) of firmware built for several boards.
For each firmware this reads the ELF with the struct module (not with binutils) and
checks that
  * the size report's text/data/bss numbers (from arm-none-eabi-size) are the ELF's sections;
  * the ELF is for Arm, with the float ABI of the board's core (hard float where it has an FPU);
  * the vector table sits at the start of the board's flash: initial stack pointer at the top
    of the stack in RAM, reset handler in flash (Thumb bit set);
  * the .bin and .hex images hold the same bytes, starting at the flash origin;
  * the ELF has debug information, and no path of the build machine (sandbox, execroot, home
    directory) got into it.
"""

import json
import os
import re
import struct
import sys
import unittest
from typing import NamedTuple

# What each board should look like, from --boards:
# board: (flash origin, flash bytes, RAM origin, RAM bytes, hard-float ABI)
BOARDS: dict[str, tuple[int, int, int, int, bool]] = {}

# --noinit: every firmware has a workspace pool in .noinit (firmware with a model).
EXPECT_NOINIT = False


def read_boards(path: str) -> dict[str, tuple[int, int, int, int, bool]]:
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    return {
        name: (b["flash_origin"], b["flash_bytes"], b["ram_origin"], b["ram_bytes"], b["hard_float"])
        for name, b in table.items()
    }

EM_ARM = 40
EF_ARM_ABI_FLOAT_SOFT = 0x200
EF_ARM_ABI_FLOAT_HARD = 0x400
SHF_WRITE, SHF_ALLOC = 0x1, 0x2
SHT_NOBITS = 8

# Absolute paths of the machine that built the firmware must not end up in it.
MACHINE_PATHS = [b"/proc/self/cwd", b"execroot", b"sandbox", b"/root/", b"/home/", b"/tmp/"]


class Section(NamedTuple):
    name: str
    type: int
    flags: int
    addr: int
    size: int


class Elf(NamedTuple):
    machine: int
    flags: int
    sections: list[Section]


def read_elf(data: bytes) -> Elf:
    """The header fields and section table of a little-endian ELF32 file."""
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 1 and data[5] == 1, "not a little-endian ELF32 file"
    machine, = struct.unpack_from("<H", data, 18)
    flags, = struct.unpack_from("<I", data, 36)
    shoff, = struct.unpack_from("<I", data, 32)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 46)
    raw = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    names_offset = raw[shstrndx][4]

    def name(offset: int) -> str:
        start = names_offset + offset
        return data[start:data.index(b"\0", start)].decode()

    sections = [Section(name(s[0]), s[1], s[2], s[3], s[5]) for s in raw]
    return Elf(machine, flags, sections)


def berkeley_sizes(elf: Elf) -> tuple[int, int, int]:
    """text, data, bss as the size tool's Berkeley format counts them: allocated sections that
    are read-only (text), writable with contents (data), or without contents (bss)."""
    text = data = bss = 0
    for section in elf.sections:
        if not section.flags & SHF_ALLOC:
            continue
        if section.type == SHT_NOBITS:
            bss += section.size
        elif section.flags & SHF_WRITE:
            data += section.size
        else:
            text += section.size
    return text, data, bss


def read_ihex(text: str) -> dict[int, int]:
    """Intel HEX records -> {address: byte}, checking every record's checksum."""
    memory: dict[int, int] = {}
    base = 0
    for line in text.split():
        record = bytes.fromhex(line[1:])
        assert sum(record) & 0xFF == 0, f"bad checksum in {line}"
        count, address, kind, payload = record[0], (record[1] << 8) | record[2], record[3], record[4:-1]
        assert len(payload) == count
        if kind == 0:
            for i, byte in enumerate(payload):
                memory[base + address + i] = byte
        elif kind == 4:
            base = ((payload[0] << 8) | payload[1]) << 16
        elif kind == 2:
            base = ((payload[0] << 8) | payload[1]) << 4
    return memory


def firmware_files(paths: list[str]) -> dict[str, dict[str, str]]:
    """{firmware name: {".elf": path, ".bin": path, ...}} from the command line."""
    firmwares: dict[str, dict[str, str]] = {}
    for path in paths:
        match = re.fullmatch(r"(.*?)(\.elf|\.bin|\.hex|\.map|\.size\.txt)", os.path.basename(path))
        assert match, f"unexpected file {path}"
        firmwares.setdefault(match.group(1), {})[match.group(2)] = path
    return firmwares


class FirmwareImagesTest(unittest.TestCase):
    def test_images(self) -> None:
        self.assertTrue(BOARDS, "no --boards=boards.json given")
        firmwares = firmware_files([arg for arg in sys.argv[1:] if not arg.startswith("--")])
        self.assertTrue(firmwares, "no firmware files given")
        for name, files in sorted(firmwares.items()):
            # Targets are named <something>_<board>, e.g. hello_mps2_an386, kws_fw_stm32f746g_disco.
            board = next((b for b in BOARDS if name.endswith("_" + b)), None)
            self.assertIsNotNone(board, f"{name}: not named after a known board")
            with self.subTest(firmware=name):
                self.assertEqual(sorted(files), [".bin", ".elf", ".hex", ".map", ".size.txt"])
                self.check_firmware(board, files)

    def check_firmware(self, board: str, files: dict[str, str]) -> None:
        flash_origin, flash_bytes, ram_origin, ram_bytes, hard_float = BOARDS[board]
        with open(files[".elf"], "rb") as f:
            elf_bytes = f.read()
        elf = read_elf(elf_bytes)

        # The report's numbers are the ELF's, and its totals follow from them.
        with open(files[".size.txt"], encoding="utf-8") as f:
            report = f.read()
        text, data, bss = berkeley_sizes(elf)
        self.assertIn(f"arm-none-eabi-size: text={text} data={data} bss={bss}", report)
        self.assertRegex(report, rf"\nflash +{text + data} +{flash_bytes} +{flash_bytes} .*ok\n")
        self.assertRegex(report, rf"\nRAM +{data + bss} +{ram_bytes} +{ram_bytes} .*ok\n")
        self.assertIn(f"for board {board} ", report)

        # Built for the right core: Arm, with the board's float ABI.
        self.assertEqual(elf.machine, EM_ARM)
        expected_abi = EF_ARM_ABI_FLOAT_HARD if hard_float else EF_ARM_ABI_FLOAT_SOFT
        self.assertEqual(elf.flags & (EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD), expected_abi)

        # The image: vector table first, at the flash origin; .bin == .hex.
        with open(files[".bin"], "rb") as f:
            image = f.read()
        self.assertEqual(len(image), text + data, "the .bin holds text and .data's initial values")
        initial_sp, reset = struct.unpack_from("<II", image, 0)
        self.assertTrue(ram_origin < initial_sp <= ram_origin + ram_bytes, hex(initial_sp))
        self.assertTrue(flash_origin < reset < flash_origin + text and reset & 1, hex(reset))
        with open(files[".hex"], encoding="ascii") as f:
            memory = read_ihex(f.read())
        self.assertEqual(min(memory), flash_origin)
        self.assertEqual(bytes(memory[flash_origin + i] for i in range(len(image))), image)

        # The workspace pool of generated code (.bss.noinit.tvm) is in .noinit, which the reset
        # handler does not zero: outside .bss.
        sections = {section.name: section for section in elf.sections}
        if EXPECT_NOINIT:
            self.assertIn(".noinit", sections)
            self.assertGreater(sections[".noinit"].size, 0)
        if ".noinit" in sections and ".bss" in sections:
            noinit, bss = sections[".noinit"], sections[".bss"]
            self.assertEqual(noinit.type, SHT_NOBITS)
            self.assertTrue(noinit.addr + noinit.size <= bss.addr or bss.addr + bss.size <= noinit.addr)

        # The map file is the linker's, for this memory map.
        with open(files[".map"], encoding="utf-8", errors="replace") as f:
            self.assertRegex(f.read(), rf"FLASH +0x0*{flash_origin:x} +0x0*{flash_bytes:x}")

        # Debug information is kept (for debuggers), and is hermetic: no machine paths.
        self.assertIn(".debug_info", [section.name for section in elf.sections])
        for path in MACHINE_PATHS:
            self.assertNotIn(path, elf_bytes, f"{files['.elf']} contains {path!r}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if arg.startswith("--boards="):
            BOARDS.update(read_boards(arg.removeprefix("--boards=")))
        elif arg == "--noinit":
            EXPECT_NOINIT = True
    unittest.main(argv=sys.argv[:1])
