"""microtvm_firmware: compile and link C/C++ sources into a firmware image for a board."""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain", "use_cpp_toolchain")
load(":internal_providers.bzl", "FirmwareSizeCheckInfo")
load(":providers.bzl", "BoardInfo", "FirmwareInfo", "MlfInfo")
load(":runfiles.bzl", "label_string")
load(":transition.bzl", "board_transition")

visibility("//rules/...")

_BINUTILS = Label("//toolchains:binutils_toolchain_type")
_HEADER_EXTENSIONS = ["h", "hh", "hpp", "hxx", "inc", "inl"]

# newlib-nano leaves float formatting out of printf unless the program asks for it: `-u
# _printf_float` makes the linker pull it in (about 10-15 KiB of flash).
_PRINTF_FLOAT_FLAGS = {True: ["-u", "_printf_float"]}

# The model modules (MlfInfo.modules) below a firmware's deps, also through cc_library wrappers.
_ModelModulesInfo = provider(
    doc = "Model modules in a dependency graph.",
    fields = {
        "modules": "depset of (module_name, label string) tuples",
        "metadata": "depset of File: the modules' metadata.json (memory sizes for the size report)",
    },
)

def _model_modules_aspect_impl(target, ctx):
    deps = getattr(ctx.rule.attr, "deps", [])
    transitive = [
        dep[_ModelModulesInfo].modules
        for dep in (deps if type(deps) == "list" else [])
        if _ModelModulesInfo in dep
    ]
    metadata = [
        dep[_ModelModulesInfo].metadata
        for dep in (deps if type(deps) == "list" else [])
        if _ModelModulesInfo in dep
    ]
    direct = []
    if MlfInfo in target:
        transitive.append(target[MlfInfo].modules)
        direct.append(target[MlfInfo].metadata_json)
    return [_ModelModulesInfo(
        modules = depset(transitive = transitive),
        metadata = depset(direct, transitive = metadata),
    )]

_model_modules_aspect = aspect(
    implementation = _model_modules_aspect_impl,
    attr_aspects = ["deps"],
)

def _check_model_modules(ctx):
    """Two model libraries with one module name would define the same tvmgen_<name>_* symbols."""
    labels_by_module = {}
    for dep in ctx.attr.deps:
        for module, label in dep[_ModelModulesInfo].modules.to_list():
            label = label.removeprefix("@@") if label.startswith("@@//") else label
            labels = labels_by_module.setdefault(module, [])
            if label not in labels:
                labels.append(label)
    for module, labels in labels_by_module.items():
        if len(labels) > 1:
            fail(("%s links %d model libraries with the module name \"%s\": %s. Their " +
                  "generated functions (tvmgen_%s_run, ...) would clash: give all but one of " +
                  "them another module_name.") % (
                label_string(ctx.label),
                len(labels),
                module,
                ", ".join(sorted(labels)),
                module,
            ))

def _compile(ctx):
    """Compiles srcs against deps and the board; returns what the links need."""
    cc_toolchain = find_cpp_toolchain(ctx)
    feature_configuration = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    cc_infos = [dep[CcInfo] for dep in ctx.attr.deps] + [ctx.attr.board[CcInfo]]
    _, compilation_outputs = cc_common.compile(
        name = ctx.label.name,
        actions = ctx.actions,
        feature_configuration = feature_configuration,
        cc_toolchain = cc_toolchain,
        srcs = [f for f in ctx.files.srcs if f.extension not in _HEADER_EXTENSIONS],
        private_hdrs = [f for f in ctx.files.srcs if f.extension in _HEADER_EXTENSIONS],
        compilation_contexts = [info.compilation_context for info in cc_infos],
        user_compile_flags = ctx.attr.copts,
        local_defines = ctx.attr.defines,
    )
    return struct(
        cc_toolchain = cc_toolchain,
        feature_configuration = feature_configuration,
        compilation_outputs = compilation_outputs,
        linking_contexts = [info.linking_context for info in cc_infos],
    )

def _link(ctx, compiled, elf_name, map_file, diagnostics):
    """Links the compiled sources with deps and the board support, once.

    The linker runs with --noinhibit-exec, so that it writes the image even when a memory region
    overflows (the check then reports by how much the firmware is over its budget, in a table),
    and under gcc's -wrapper link_diagnostics.sh, which writes its messages to `diagnostics`
    rather than to stderr (with --noinhibit-exec, ld exits with 0 after errors too: the check
    reads them). The image is therefore unchecked: _check publishes it.

    Args:
      ctx: the rule context.
      compiled: what _compile returned.
      elf_name: the name of the unchecked image.
      map_file: the linker's map file, declared.
      diagnostics: the linker's messages, declared.

    Returns:
      The unchecked image (File).
    """
    wrapper = ctx.file._link_diagnostics
    return cc_common.link(
        name = elf_name,
        actions = ctx.actions,
        feature_configuration = compiled.feature_configuration,
        cc_toolchain = compiled.cc_toolchain,
        compilation_outputs = compiled.compilation_outputs,
        linking_contexts = compiled.linking_contexts,
        user_link_flags = ctx.attr.linkopts + _PRINTF_FLOAT_FLAGS.get(ctx.attr.printf_float, []) + [
            "-Wl,--noinhibit-exec",
            "-Wl,-Map=" + map_file.path,
            "-wrapper",
            "/bin/sh,%s,%s" % (wrapper.path, diagnostics.path),
        ],
        additional_inputs = [wrapper],
        additional_outputs = [map_file, diagnostics],
    ).executable

def size_check_arguments(firmware, board, flash_budget, ram_budget, size_tool):
    """Arguments of size_report.py for a firmware but its files (shared with tests).

    Args:
      firmware: the firmware's Label.
      board: its BoardInfo.
      flash_budget: bytes of flash it may use.
      ram_budget: bytes of RAM it may use.
      size_tool: the path of the binutils size tool.

    Returns:
      A list of strings.
    """
    return [
        "--size-tool",
        size_tool,
        "--firmware",
        label_string(firmware),
        "--board",
        board.name,
        "--cpu",
        board.cpu,
        "--flash-budget",
        str(flash_budget),
        "--ram-budget",
        str(ram_budget),
        "--flash-capacity",
        str(board.flash_bytes),
        "--ram-capacity",
        str(board.ram_bytes),
        "--require-fit",
    ]

def _check(ctx, board, unchecked_elf, diagnostics, elf, report):
    """Checks the link and the size budgets; writes the size report and publishes the image as elf.

    Fails the build with the size table when the firmware is over budget, and with the linker's
    messages when the link failed otherwise.
    """
    args = ctx.actions.args()
    args.add_all(size_check_arguments(
        ctx.label,
        board,
        _budget(ctx.attr.flash_budget, board.flash_bytes),
        _budget(ctx.attr.ram_budget, board.ram_bytes),
        ctx.toolchains[_BINUTILS].size,
    ))
    args.add("--elf", unchecked_elf)
    args.add("--linker-diagnostics", diagnostics)
    args.add("--report", report)
    args.add("--checked-elf", elf)
    metadata = depset(transitive = [dep[_ModelModulesInfo].metadata for dep in ctx.attr.deps])
    args.add_all(metadata, before_each = "--model-metadata")
    ctx.actions.run(
        executable = ctx.executable._size_report,
        arguments = [args],
        inputs = depset([unchecked_elf, diagnostics], transitive = [metadata]),
        outputs = [elf, report],
        mnemonic = "FirmwareCheck",
        progress_message = "Checking the link of %{label} and its size against its board's budgets",
    )

def _budget(requested, capacity):
    return requested if requested > 0 else capacity

def _objcopy(ctx, elf, output, output_format):
    ctx.actions.run(
        executable = ctx.toolchains[_BINUTILS].objcopy,
        arguments = ["-O", output_format, elf.path, output.path],
        inputs = [elf],
        outputs = [output],
        mnemonic = "FirmwareObjcopy",
        progress_message = "Writing %{output}",
    )

def _microtvm_firmware_impl(ctx):
    board = ctx.attr.board[BoardInfo]
    _check_model_modules(ctx)
    name = ctx.label.name
    for budget in (ctx.attr.flash_budget, ctx.attr.ram_budget):
        if budget < 0:
            fail("flash_budget and ram_budget are byte counts (0: the board's capacity)")

    # One link, whose image and messages a check reads before it publishes the image as <name>.elf.
    compiled = _compile(ctx)
    map_file = ctx.actions.declare_file(name + ".map")
    diagnostics = ctx.actions.declare_file(name + ".link_messages.txt")
    unchecked_elf = _link(ctx, compiled, name + ".unchecked.elf", map_file, diagnostics)
    elf = ctx.actions.declare_file(name + ".elf")
    size_report = ctx.actions.declare_file(name + ".size.txt")
    _check(ctx, board, unchecked_elf, diagnostics, elf, size_report)

    bin_file = ctx.actions.declare_file(name + ".bin")
    hex_file = ctx.actions.declare_file(name + ".hex")
    _objcopy(ctx, elf, bin_file, "binary")
    _objcopy(ctx, elf, hex_file, "ihex")

    files = [elf, bin_file, hex_file, map_file, size_report]
    return [
        DefaultInfo(files = depset(files), runfiles = ctx.runfiles(files = files)),
        FirmwareInfo(
            label = ctx.label,
            board = board,
            elf = elf,
            bin = bin_file,
            hex = hex_file,
            map = map_file,
            size_report = size_report,
            flash_budget = _budget(ctx.attr.flash_budget, board.flash_bytes),
            ram_budget = _budget(ctx.attr.ram_budget, board.ram_bytes),
        ),
        FirmwareSizeCheckInfo(
            unchecked_elf = unchecked_elf,
            linker_diagnostics = diagnostics,
            size_tool = ctx.toolchains[_BINUTILS].size,
        ),
        OutputGroupInfo(
            elf = depset([elf]),
            bin = depset([bin_file]),
            hex = depset([hex_file]),
            map = depset([map_file]),
            size_report = depset([size_report]),
        ),
    ]

microtvm_firmware = rule(
    implementation = _microtvm_firmware_impl,
    doc = """A firmware image for one board, like a cc_binary built for the board's platform.

The target and its deps are built for the board's platform (BoardInfo.platform, through a
transition: no --platforms on the command line) with the board's startup code, console and linker script linked in. Outputs:
<name>.elf, .bin, .hex, .map and <name>.size.txt, a report of the flash and RAM used (from the
toolchain's size tool) against the budgets. A firmware over budget fails the build with that
report as a table.

Example:
    microtvm_firmware(
        name = "kws_fw",
        srcs = ["main.c"],
        deps = [":kws"],                  # e.g. a microtvm_model_library
        board = "@rules_microtvm//boards:stm32f746g_disco",
        printf_float = True,              # printf("%f") with newlib-nano
    )

`board` names a microtvm_board: one of rules_microtvm's (`@rules_microtvm//boards:<name>`;
the list is in //boards:boards.bzl) or one of your own. A name that is neither fails with the
list of boards.
""",
    cfg = board_transition,
    attrs = {
        "board": attr.label(
            mandatory = True,
            providers = [BoardInfo, CcInfo],
            doc = "The board, e.g. \"@rules_microtvm//boards:mps2_an386\".",
        ),
        "copts": attr.string_list(doc = "Extra compiler flags for srcs."),
        "defines": attr.string_list(doc = "Preprocessor definitions (NAME or NAME=VALUE) for srcs."),
        "deps": attr.label_list(
            providers = [CcInfo],
            aspects = [_model_modules_aspect],
            doc = "cc_library, microtvm_model_library, ... targets (built for the board).",
        ),
        "flash_budget": attr.int(doc = "Bytes of flash the firmware may use; 0: all of it."),
        "linkopts": attr.string_list(doc = "Extra linker flags."),
        "printf_float": attr.bool(
            doc = "Link newlib-nano's floating-point printf (`-u _printf_float`, about 10-15 " +
                  "KiB of flash): without it, `printf(\"%f\", x)` prints nothing for the number. " +
                  "Or print the integer and fraction parts, or the quantized value " +
                  "(`tvmgen_<m>_dequantize_<output>()` gives the real one).",
        ),
        "ram_budget": attr.int(doc = "Bytes of RAM the firmware may use; 0: all of it."),
        "srcs": attr.label_list(
            allow_files = [".c", ".cc", ".cpp", ".S", ".s"] + ["." + ext for ext in _HEADER_EXTENSIONS],
            doc = "C/C++/assembly sources and private headers; one of them defines main().",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "_link_diagnostics": attr.label(
            default = "//rules/private:link_diagnostics.sh",
            allow_single_file = True,
        ),
        "_size_report": attr.label(
            default = "//rules/private:size_report",
            executable = True,
            cfg = "exec",
        ),
    },
    fragments = ["cpp"],
    toolchains = use_cpp_toolchain() + [config_common.toolchain_type(_BINUTILS, mandatory = True)],
)
