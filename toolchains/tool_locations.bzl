"""Where the host tools live: the ONLY machine paths in rules_microtvm.

These are the locations inside the build root that ./tools/bazel creates (Debian packages
gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, openocd), which are also where
Debian and Ubuntu install them on an ordinary machine. To use other installations (e.g. Arm's own
GNU toolchain tarball under /opt), change them here and nowhere else.
"""

# arm-none-eabi-gcc, -objcopy, -size, ... are this prefix + the tool name.
ARM_NONE_EABI_PREFIX = "/usr/bin/arm-none-eabi-"

# Directories holding the cross compiler's own headers (gcc's builtin headers and newlib's,
# including newlib-nano's newlib.h). Bazel accepts #includes of absolute paths below these.
ARM_NONE_EABI_SYSTEM_INCLUDE_DIRS = [
    "/usr/lib/gcc/arm-none-eabi",
    "/usr/lib/arm-none-eabi/include",
    "/usr/include/newlib",
]

# Runs firmware for the emulated boards (microtvm_qemu_run / microtvm_qemu_test).
QEMU_SYSTEM_ARM = "/usr/bin/qemu-system-arm"

# Flashes hardware boards (microtvm_flash). The OPENOCD environment variable overrides it at
# flash time, since flashing happens on whatever machine the probe is plugged into.
OPENOCD = "/usr/bin/openocd"
