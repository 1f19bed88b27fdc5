"""The boards rules_microtvm supports, each described once, and the Cortex-M cores they use.

Everything else derives from these two tables: the support libraries and microtvm_board targets
of //boards, the platforms of //platforms, the core and board constraint values, the cross
toolchains of //toolchains (their CPU flags), the boards the examples and tests build for, and
boards.json (for tests that check firmware images against the boards).

    load("@rules_microtvm//boards:boards.bzl", "BOARDS", "CPUS")
"""

# Cortex-M cores, by the name the code generator's --target-cpu takes (also BoardInfo.cpu):
#   core:        the name of the core's constraint value (//platforms/cpu:<core>), its platform
#                without a board (//platforms:<core>) and its toolchain (//toolchains:<core>).
#                @platforms//cpu cannot tell a Cortex-M4F from a Cortex-M7 (both armv7e-mf),
#                although they need different flags.
#   arch:        the @platforms//cpu constraint value.
#   flags:       compiler and linker flags picking the instruction set, FPU and float ABI (and
#                newlib's multilib).
#   hard_float:  whether the flags pick the hard-float ABI (the core has an FPU).
CPUS = {
    "cortex-m0plus": struct(
        core = "cortex_m0plus",
        arch = "@platforms//cpu:armv6-m",
        flags = ["-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"],
        hard_float = False,
    ),
    "cortex-m3": struct(
        core = "cortex_m3",
        arch = "@platforms//cpu:armv7-m",
        flags = ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"],
        hard_float = False,
    ),
    # Cortex-M4 with its single-precision FPU (fpv4-sp-d16), hard-float ABI.
    "cortex-m4": struct(
        core = "cortex_m4f",
        arch = "@platforms//cpu:armv7e-mf",
        flags = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
        hard_float = True,
    ),
    # Cortex-M7 with the double-precision FPU (fpv5-d16), hard-float ABI.
    "cortex-m7": struct(
        core = "cortex_m7",
        arch = "@platforms//cpu:armv7e-mf",
        flags = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
        hard_float = True,
    ),
    # Cortex-M33 with its single-precision FPU (fpv5-sp-d16), hard-float ABI.
    "cortex-m33": struct(
        core = "cortex_m33",
        arch = "@platforms//cpu:armv8-m",
        flags = ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
        hard_float = True,
    ),
    # Cortex-M55 (Armv8.1-M): the DSP extension, Helium (MVE, integer and float: -mfpu=auto takes
    # the core's full FPU and MVE, __ARM_FEATURE_MVE == 3) and the double-precision FPU,
    # hard-float ABI. @platforms//cpu has no Armv8.1-M value: armv8-m.
    "cortex-m55": struct(
        core = "cortex_m55",
        arch = "@platforms//cpu:armv8-m",
        flags = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", "-mfpu=auto"],
        hard_float = True,
    ),
    # Cortex-M85 (Armv8.1-M, Helium like the M55; needs arm-none-eabi-gcc >= 13). No emulator
    # models it and no board uses it: firmware is build-tested only (//tests/cortex_m85).
    "cortex-m85": struct(
        core = "cortex_m85",
        arch = "@platforms//cpu:armv8-m",
        flags = ["-mcpu=cortex-m85", "-mthumb", "-mfloat-abi=hard", "-mfpu=auto"],
        hard_float = True,
    ),
}

def _board(
        cpu,
        flash_origin,
        flash_kib,
        ram_origin,
        ram_kib,
        console,
        srcs,
        defines = [],
        qemu_machine = "",
        openocd_scripts = [],
        stack_kib = 0,
        heap_kib = 0):
    return struct(
        cpu = cpu,
        flash_origin = flash_origin,
        flash_kib = flash_kib,
        ram_origin = ram_origin,
        ram_kib = ram_kib,
        console = console,
        srcs = srcs,
        defines = defines,
        qemu_machine = qemu_machine,
        openocd_scripts = openocd_scripts,
        stack_kib = stack_kib,
        heap_kib = heap_kib,
    )

# Each board (the key is its name: //boards:<name>, platform //platforms:<name>, constraint
# value //platforms/board:<name>):
#   cpu:              a key of CPUS.
#   flash_origin, flash_kib, ram_origin, ram_kib: the memory map firmware is linked for (the
#                     MEMORY regions FLASH and RAM of the board's linker script).
#   console:          "semihosting" (QEMU; newlib's rdimon) or "uart" (common/uart_console.c).
#   srcs, defines:    the board's own support sources and their preprocessor definitions.
#   qemu_machine:     qemu-system-arm -M value; "" when QEMU does not emulate the board.
#   openocd_scripts:  OpenOCD -f scripts for flashing; [] when it cannot be flashed.
#   stack_kib, heap_kib: stack and heap sizes; 0: common/sections.ld's defaults (16 and 8 KiB).
BOARDS = {
    # STMicroelectronics STM32F746G-DISCO (STM32F746NG): 1 MiB flash on the AXIM bus at
    # 0x08000000, 320 KiB of contiguous SRAM at 0x20000000 (64 KiB DTCM, 240 KiB SRAM1, 16 KiB
    # SRAM2); the 16 KiB ITCM RAM at 0x00000000 is not used. Console: USART1 (ST-LINK VCP).
    "stm32f746g_disco": _board(
        cpu = "cortex-m7",
        flash_origin = 0x08000000,
        flash_kib = 1024,
        ram_origin = 0x20000000,
        ram_kib = 320,
        console = "uart",
        srcs = ["stm32f746g_disco/uart.c"],
        openocd_scripts = ["board/stm32f746g-disco.cfg"],
    ),
    # STMicroelectronics NUCLEO-L4R5ZI (STM32L4R5ZI): 2 MiB flash at 0x08000000, 640 KiB of
    # contiguous SRAM at 0x20000000 (192 KiB SRAM1, 64 KiB SRAM2, 384 KiB SRAM3). Console:
    # LPUART1 (ST-LINK VCP).
    "nucleo_l4r5zi": _board(
        cpu = "cortex-m4",
        flash_origin = 0x08000000,
        flash_kib = 2048,
        ram_origin = 0x20000000,
        ram_kib = 640,
        console = "uart",
        srcs = ["nucleo_l4r5zi/uart.c"],
        openocd_scripts = ["board/st_nucleo_l4.cfg"],
    ),
    # Arm MPS2 FPGA images AN385 (Cortex-M3), AN386 (Cortex-M4) and AN500 (Cortex-M7) as
    # emulated by qemu-system-arm: 4 MiB ZBT SSRAM1 at 0x00000000 holds the code (the boot
    # "flash"), 4 MiB ZBT SSRAM2/3 at 0x20000000 is the data RAM. The FPGAIO block at 0x40028000
    # (COUNTER at +0x18) counts a 25 MHz clock.
    "mps2_an385": _board(
        cpu = "cortex-m3",
        flash_origin = 0x00000000,
        flash_kib = 4096,
        ram_origin = 0x20000000,
        ram_kib = 4096,
        console = "semihosting",
        srcs = ["mps2/fpgaio_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=25000000u", "MPS2_COUNTER_ADDR=0x40028018u"],
        qemu_machine = "mps2-an385",
    ),
    "mps2_an386": _board(
        cpu = "cortex-m4",
        flash_origin = 0x00000000,
        flash_kib = 4096,
        ram_origin = 0x20000000,
        ram_kib = 4096,
        console = "semihosting",
        srcs = ["mps2/fpgaio_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=25000000u", "MPS2_COUNTER_ADDR=0x40028018u"],
        qemu_machine = "mps2-an386",
    ),
    "mps2_an500": _board(
        cpu = "cortex-m7",
        flash_origin = 0x00000000,
        flash_kib = 4096,
        ram_origin = 0x20000000,
        ram_kib = 4096,
        console = "semihosting",
        srcs = ["mps2/fpgaio_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=25000000u", "MPS2_COUNTER_ADDR=0x40028018u"],
        qemu_machine = "mps2-an500",
    ),
    # Arm MPS2 FPGA image AN505 (Cortex-M33 with TrustZone) as emulated by qemu-system-arm. The
    # core resets in Secure state with its vector table at 0x10000000, and at reset all memory
    # is Secure, so the firmware uses the Secure aliases: 4 MiB ZBT SSRAM1 at 0x10000000 for code
    # and 4 MiB ZBT SSRAM2/3 at 0x38000000 for data. FPGAIO at 0x40302000, used through its
    # Secure alias 0x50302000; its COUNTER counts the 20 MHz system clock.
    "mps2_an505": _board(
        cpu = "cortex-m33",
        flash_origin = 0x10000000,
        flash_kib = 4096,
        ram_origin = 0x38000000,
        ram_kib = 4096,
        console = "semihosting",
        srcs = ["mps2/fpgaio_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=20000000u", "MPS2_COUNTER_ADDR=0x50302018u"],
        qemu_machine = "mps2-an505",
    ),
    # Arm MPS3 FPGA image AN547 (Cortex-M55 with Helium) as emulated by qemu-system-arm. Like
    # the AN505 the core resets in Secure state, so the firmware uses the Secure aliases: the
    # 512 KiB ITCM at 0x10000000 holds the code (the reset vector table is there) and the
    # 512 KiB DTCM at 0x30000000 is the data RAM. FPGAIO at 0x49302000, used through its
    # Secure alias 0x59302000; its COUNTER counts 20 MHz (measured under -icount with QEMU 7.2
    # and 10.0).
    "mps3_an547": _board(
        cpu = "cortex-m55",
        flash_origin = 0x10000000,
        flash_kib = 512,
        ram_origin = 0x30000000,
        ram_kib = 512,
        console = "semihosting",
        srcs = ["mps2/fpgaio_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=20000000u", "MPS2_COUNTER_ADDR=0x59302018u"],
        qemu_machine = "mps3-an547",
    ),
    # BBC micro:bit v1 (nRF51822 QFAA) as emulated by qemu-system-arm -M microbit: 256 KiB flash
    # at 0x00000000, 16 KiB RAM at 0x20000000, so a smaller stack and heap than the defaults.
    # TIMER0 is set to 1 MHz. Its core is a Cortex-M0, which runs Cortex-M0+ code (both
    # Armv6-M): the board that tests the Cortex-M0+ toolchain.
    "bbc_microbit": _board(
        cpu = "cortex-m0plus",
        flash_origin = 0x00000000,
        flash_kib = 256,
        ram_origin = 0x20000000,
        ram_kib = 16,
        console = "semihosting",
        srcs = ["bbc_microbit/timer_ticks.c"],
        defines = ["MICROTVM_TICKS_HZ=1000000u"],
        qemu_machine = "microbit",
        stack_kib = 4,
        heap_kib = 2,
    ),
}

# The boards QEMU emulates, and the others (hardware only).
QEMU_BOARDS = [name for name, board in BOARDS.items() if board.qemu_machine]
HARDWARE_BOARDS = [name for name, board in BOARDS.items() if not board.qemu_machine]
