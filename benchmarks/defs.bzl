"""benchmark_model: everything the benchmark report needs for one model, built by Bazel.

    benchmark_model(name = "kws", model = "//models:kws.tflite")

For each board (default: mps2_an386 (Cortex-M4F), mps2_an500 (Cortex-M7) and mps3_an547
(Cortex-M55, Helium)) it builds, from one
microtvm_model_library, two firmware images with the project's own rules and toolchains:

  <name>_bench_<board>   measures one inference (after a warm-up run) with microtvm_board_measure
                         and prints the count; it is also the image whose size is reported, so it
                         holds nothing but an application's input/output buffers and the model;
  <name>_golden_<board>  the golden test program of //tools/microtvm:golden (LiteRT reference
                         outputs for seeds 0, 1, 2 computed at build time), run to check that the
                         very same compiled model code is bit-exact.

It also records TFLM's arena for the model (//benchmarks:tflm_arena) and writes <name>.json, a
manifest naming all these files (execroot and runfiles paths) for //benchmarks:report. All
targets are testonly, because the golden program generator is.
"""

load("//rules:defs.bzl", "FirmwareInfo", "MlfInfo", "microtvm_firmware", "microtvm_golden_main", "microtvm_model_library")
load("//rules:testing.bzl", "board_transition")

DEFAULT_BOARDS = ["mps2_an386", "mps2_an500", "mps3_an547"]

_GOLDEN_SEEDS = [0, 1, 2]

_RUNNER = Label("//toolchains:runner_toolchain_type")

_BINUTILS = Label("//toolchains:binutils_toolchain_type")

# The tag report.py finds the model manifests by.
MANIFEST_TAG = "benchmark_model"

def _file_entry(file):
    return {"path": file.path, "short_path": file.short_path}

def _metadata_of(library):
    return library[MlfInfo].metadata_json

def _bench_main_impl(ctx):
    output = ctx.actions.declare_file(ctx.label.name + ".c")
    metadata = _metadata_of(ctx.attr.library)
    ctx.actions.run(
        executable = ctx.executable._generator,
        arguments = [metadata.path, "-o", output.path],
        inputs = [metadata],
        outputs = [output],
        mnemonic = "BenchmarkMain",
        progress_message = "Writing the benchmark program %{output}",
    )
    return [DefaultInfo(files = depset([output]))]

_bench_main = rule(
    implementation = _bench_main_impl,
    attrs = {
        "library": attr.label(mandatory = True, providers = [MlfInfo]),
        "_generator": attr.label(default = "//benchmarks:bench_main", executable = True, cfg = "exec"),
    },
)

def _tflm_arena_impl(ctx):
    output = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [ctx.file.model.path, "-o", output.path],
        inputs = [ctx.file.model],
        outputs = [output],
        mnemonic = "TflmArena",
        progress_message = "Measuring TFLM's arena for %{input}",
    )
    return [DefaultInfo(files = depset([output]))]

_tflm_arena = rule(
    implementation = _tflm_arena_impl,
    attrs = {
        "model": attr.label(allow_single_file = [".tflite"], mandatory = True),
        "_tool": attr.label(default = "//benchmarks:tflm_arena", executable = True, cfg = "exec"),
    },
)

def _board_entry_impl(ctx):
    """One model on one board: the files the report reads, as a JSON manifest."""
    bench = ctx.attr.bench_firmware[FirmwareInfo]
    golden = ctx.attr.golden_firmware[FirmwareInfo]
    mlf = ctx.attr.library[MlfInfo]
    entry = {
        "board": bench.board.name,
        "cpu": bench.board.cpu,
        "qemu_machine": bench.board.qemu_machine,
        "size_tool": ctx.toolchains[_BINUTILS].size,
        "module_name": mlf.module_name,
        # How the model library's objects appear in the map file: linked from its archive
        # (<package>/lib<name>.a(x.o)) or as objects (<package>/_objs/<name>/x.o).
        "library_objects": [
            "%s/lib%s.a(" % (ctx.attr.library.label.package, ctx.attr.library.label.name),
            "%s/_objs/%s/" % (ctx.attr.library.label.package, ctx.attr.library.label.name),
        ],
        "bench_firmware": str(bench.label),
        "golden_firmware": str(golden.label),
        "bench_elf": _file_entry(bench.elf),
        "bench_map": _file_entry(bench.map),
        "golden_elf": _file_entry(golden.elf),
        "metadata": _file_entry(mlf.metadata_json),
    }
    output = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(output, json.encode_indent(entry) + "\n")
    files = [output, bench.elf, bench.map, golden.elf, mlf.metadata_json]
    return [DefaultInfo(files = depset([output]), runfiles = ctx.runfiles(files = files))]

# Built for the board, with the transition microtvm_firmware uses (it reads `board`): `library` is then the very configured target the firmware links, and its
# metadata.json is not generated a second time for the host.
_board_entry = rule(
    implementation = _board_entry_impl,
    cfg = board_transition,
    attrs = {
        "bench_firmware": attr.label(mandatory = True, providers = [FirmwareInfo]),
        "board": attr.label(mandatory = True),
        "golden_firmware": attr.label(mandatory = True, providers = [FirmwareInfo]),
        "library": attr.label(mandatory = True, providers = [MlfInfo]),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    # The binutils of the board's platform: its size tool, for the report.
    toolchains = [config_common.toolchain_type(_BINUTILS, mandatory = True)],
)

def _model_entry_impl(ctx):
    entry = {
        "name": ctx.attr.model_name,
        "model": _file_entry(ctx.file.model),
        "tflm_arena": _file_entry(ctx.file.tflm_arena),
        "boards": [_file_entry(f) for f in ctx.files.boards],
        "qemu": ctx.toolchains[_RUNNER].qemu_system_arm,
    }
    output = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(output, json.encode_indent(entry) + "\n")
    runfiles = ctx.runfiles(files = [output, ctx.file.model, ctx.file.tflm_arena])
    for board in ctx.attr.boards:
        runfiles = runfiles.merge(board[DefaultInfo].default_runfiles)
    return [DefaultInfo(files = depset([output]), runfiles = runfiles)]

_model_entry = rule(
    implementation = _model_entry_impl,
    attrs = {
        "boards": attr.label_list(mandatory = True),
        "model": attr.label(allow_single_file = [".tflite"], mandatory = True),
        "model_name": attr.string(mandatory = True),
        "tflm_arena": attr.label(allow_single_file = [".json"], mandatory = True),
    },
    toolchains = [config_common.toolchain_type(_RUNNER, mandatory = True)],
)

def benchmark_model(name, model, boards = DEFAULT_BOARDS, tags = [], visibility = None):
    """The firmware, golden check and manifest of one benchmark model (see the module docstring).

    Args:
      name: the benchmark's name, also the generated module name (tvmgen_<name>_run).
      model: the .tflite model.
      boards: boards of //boards that QEMU emulates.
      tags: tags of every target (e.g. ["manual"]).
      visibility: visibility of the manifest target `name`.
    """
    library = name + "_model"
    microtvm_model_library(
        name = library,
        model = model,
        module_name = name,
        tags = tags,
        testonly = True,
    )
    _bench_main(name = name + "_bench_main", library = ":" + library, tags = tags, testonly = True)
    microtvm_golden_main(name = name + "_golden_main", library = ":" + library, seeds = _GOLDEN_SEEDS, tags = tags, testonly = True)
    _tflm_arena(name = name + "_tflm_arena", model = model, tags = tags, testonly = True)
    entries = []
    for board in boards:
        board_label = "//boards:" + board
        for kind in ("bench", "golden"):
            microtvm_firmware(
                name = "%s_%s_%s" % (name, kind, board),
                srcs = [":%s_%s_main" % (name, kind)],
                board = board_label,
                deps = [":" + library, "//boards:board_api"],
                tags = tags,
                testonly = True,
            )
        _board_entry(
            name = "%s_%s" % (name, board),
            board = board_label,
            library = ":" + library,
            bench_firmware = ":%s_bench_%s" % (name, board),
            golden_firmware = ":%s_golden_%s" % (name, board),
            tags = tags,
            testonly = True,
        )
        entries.append(":%s_%s" % (name, board))
    _model_entry(
        name = name,
        model_name = name,
        model = model,
        tflm_arena = ":" + name + "_tflm_arena",
        boards = entries,
        tags = tags + [MANIFEST_TAG],
        testonly = True,
        visibility = visibility,
    )
