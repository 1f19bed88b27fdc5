"""arm_none_eabi_toolchain_config: the C/C++ toolchain configuration for one Cortex-M core.

Every core gets the same flags apart from its -mcpu/-mfpu/-mfloat-abi. Bazel's legacy features
(include paths, defines, -o, libraries, user copts/linkopts, ...) are kept: this file only adds
what is specific to bare-metal Arm firmware:

  * -O2, sections per function/data and --gc-sections: small images without link-order tricks.
  * -ffp-contract=off: GCC would otherwise fuse a*b+c into one vfma instruction, whose single
    rounding differs in the last bit from the separate multiply and add of the x86 reference
    implementations our float outputs are compared with.
  * newlib-nano (--specs=nano.specs) for both compiling (its newlib.h) and linking (libc_nano).
  * -nostartfiles: each board brings its own vector table and reset handler (//boards).
  * Hermetic paths: -no-canonical-prefixes and -fno-canonical-system-headers keep header paths
    as Bazel declared them; PWD=/proc/self/cwd with -ffile-prefix-map maps the (sandbox)
    working directory to "." so no absolute path ends up in objects or debug info.
"""

load(
    "@rules_cc//cc:cc_toolchain_config_lib.bzl",
    "env_entry",
    "env_set",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load(":tool_locations.bzl", "ARM_NONE_EABI_PREFIX", "ARM_NONE_EABI_SYSTEM_INCLUDE_DIRS")

_C_COMPILE_ACTIONS = [
    "assemble",
    "preprocess-assemble",
    "c-compile",
    "c++-compile",
    "c++-header-parsing",
    "c++-module-compile",
]

_LINK_ACTIONS = [
    "c++-link-executable",
    "c++-link-dynamic-library",
    "c++-link-nodeps-dynamic-library",
]

# The binutils/gcc tools Bazel needs to know about, all from the same installation.
_TOOLS = {
    "gcc": "gcc",
    "cpp": "cpp",
    "ar": "ar",
    "ld": "ld",
    "nm": "nm",
    "objcopy": "objcopy",
    "objdump": "objdump",
    "strip": "strip",
    "gcov": "gcov",
}

def _flags_feature(name, actions, flags):
    return feature(
        name = name,
        enabled = True,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])],
    )

def _impl(ctx):
    cpu_flags = ctx.attr.cpu_flags
    compile_flags = cpu_flags + [
        "--specs=nano.specs",
        "-O2",
        "-g",
        "-ffunction-sections",
        "-fdata-sections",
        "-ffp-contract=off",
        "-Wall",
        # Hermetic: no absolute or machine-dependent paths and no timestamps in the outputs.
        "-no-canonical-prefixes",
        "-fno-canonical-system-headers",
        "-ffile-prefix-map=/proc/self/cwd=.",
        "-Wno-builtin-macro-redefined",
        "-D__DATE__=\"redacted\"",
        "-D__TIMESTAMP__=\"redacted\"",
        "-D__TIME__=\"redacted\"",
    ]
    link_flags = cpu_flags + [
        "--specs=nano.specs",
        "-nostartfiles",
        "-no-canonical-prefixes",
        "-Wl,--gc-sections",
    ]
    features = [
        _flags_feature("microtvm_compile_flags", _C_COMPILE_ACTIONS, compile_flags),
        _flags_feature("microtvm_link_flags", _LINK_ACTIONS, link_flags),
        # GCC names the compilation directory after $PWD when it denotes the working directory:
        # /proc/self/cwd does, on every machine and in every sandbox, and the prefix map above
        # turns it into ".".
        feature(
            name = "microtvm_stable_pwd",
            enabled = True,
            env_sets = [env_set(
                actions = _C_COMPILE_ACTIONS,
                env_entries = [env_entry(key = "PWD", value = "/proc/self/cwd")],
            )],
        ),
        # Libraries every program may need, after the user's objects and libraries (the
        # toolchain's own features come after Bazel's libraries_to_link on the command line).
        _flags_feature("microtvm_default_libs", _LINK_ACTIONS, ["-lm"]),
        # Unnamed symbols (e.g. in anonymous namespaces) get names derived from the output
        # path instead of a random seed: identical objects on every build.
        feature(
            name = "microtvm_random_seed",
            enabled = True,
            flag_sets = [flag_set(
                actions = ["c++-compile", "c++-module-codegen"],
                flag_groups = [flag_group(
                    flags = ["-frandom-seed=%{output_file}"],
                    expand_if_available = "output_file",
                )],
            )],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "arm-none-eabi-" + ctx.attr.core,
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "arm-none-eabi",
        target_cpu = ctx.attr.core,
        target_libc = "newlib-nano",
        compiler = "gcc",
        abi_version = "eabi",
        abi_libc_version = "newlib",
        tool_paths = [
            tool_path(name = name, path = ARM_NONE_EABI_PREFIX + tool)
            for name, tool in _TOOLS.items()
        ],
        cxx_builtin_include_directories = ARM_NONE_EABI_SYSTEM_INCLUDE_DIRS,
        features = features,
    )

arm_none_eabi_toolchain_config = rule(
    implementation = _impl,
    doc = "CcToolchainConfigInfo for arm-none-eabi-gcc on one Cortex-M core.",
    attrs = {
        "core": attr.string(mandatory = True, doc = "Core name, e.g. cortex_m7 (for identifiers)."),
        "cpu_flags": attr.string_list(
            mandatory = True,
            doc = "-mcpu/-mthumb/-mfloat-abi/-mfpu flags, used for compiling and linking.",
        ),
    },
    provides = [CcToolchainConfigInfo],
)
