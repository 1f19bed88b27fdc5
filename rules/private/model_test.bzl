"""microtvm_model_test: a model's generated code checked bit-exactly against TFLite, on a board.

    microtvm_model_test(name = "kws_test", model = "kws.tflite", board = "@rules_microtvm//boards:mps2_an386")

At build time, random inputs (numpy default_rng([seed, k])) and LiteRT's reference-kernel outputs
are computed and compiled into a test program with the generated model; the test runs it on the
emulated board (QEMU) or, without a board, on the host, and passes only if every int8 output
matches byte for byte (float32: within 1e-5 relative / 1e-6 absolute).
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load(":firmware.bzl", "microtvm_firmware")
load(":model_library.bzl", "microtvm_model_library")
load(":providers.bzl", "MlfInfo")
load(":qemu.bzl", "microtvm_qemu_test")

visibility("//rules/...")

def _golden_main_impl(ctx):
    output = ctx.actions.declare_file(ctx.label.name + ".c")
    metadata = ctx.attr.library[MlfInfo].metadata_json
    model = ctx.attr.library[MlfInfo].model
    ctx.actions.run(
        executable = ctx.executable._golden,
        arguments = [
            model.path,
            metadata.path,
            "-o",
            output.path,
            "--seeds",
            ",".join([str(seed) for seed in ctx.attr.seeds]),
        ],
        inputs = [model, metadata],
        outputs = [output],
        mnemonic = "MicrotvmGolden",
        progress_message = "Computing LiteRT reference outputs for %{label}",
    )
    return [DefaultInfo(files = depset([output]))]

microtvm_golden_main = rule(
    implementation = _golden_main_impl,
    doc = """A C test program (`main`) for a microtvm_model_library: inputs drawn with numpy
`default_rng([seed, k])` and LiteRT reference-kernel outputs, computed at build time. It prints one
line per seed and returns 0 only if all outputs match (int8 byte for byte, float32 within
1e-5 relative / 1e-6 absolute). Put it in `srcs` of a microtvm_firmware or cc_test that depends
on the library.""",
    attrs = {
        "library": attr.label(mandatory = True, providers = [MlfInfo], doc = "The microtvm_model_library."),
        "seeds": attr.int_list(default = [0, 1, 2], doc = "Input seeds; each adds one inference."),
        "_golden": attr.label(default = "//tools/microtvm:golden", executable = True, cfg = "exec"),
    },
)

def microtvm_model_test(
        name,
        model,
        board = None,
        seeds = [0, 1, 2],
        module_name = None,
        library_attrs = {},
        tags = [],
        size = "small",
        visibility = None,
        **kwargs):
    """Checks a model's generated code against LiteRT's reference kernels.

    Makes the test `name` and, for it, `<name>_model` (the microtvm_model_library), `<name>_main`
    (the microtvm_golden_main) and, with a board, `<name>_firmware`.

    Args:
      name: test name.
      model: the .tflite model.
      board: a board QEMU can emulate (e.g. "@rules_microtvm//boards:mps2_an386"); None runs on the host.
      seeds: input seeds; each adds one inference.
      module_name: module name of the generated code (default: name).
      library_attrs: further attributes of the microtvm_model_library, e.g.
        {"workspace_section": ".bss.model"}.
      tags: tags of the test and of the targets it is made of.
      size: test size.
      visibility: visibility of the test.
      **kwargs: further attributes of the test (timeout, flaky, env, ...).
    """
    library = name + "_model"
    microtvm_model_library(
        name = library,
        model = model,
        module_name = module_name or name,
        testonly = True,
        tags = tags,
        **library_attrs
    )
    microtvm_golden_main(
        name = name + "_main",
        library = ":" + library,
        seeds = seeds,
        testonly = True,
        tags = tags,
    )
    if board == None:
        cc_test(
            name = name,
            srcs = [":" + name + "_main"],
            deps = [":" + library],
            copts = ["-std=c99"],
            size = size,
            tags = tags,
            visibility = visibility,
            **kwargs
        )
        return
    microtvm_firmware(
        name = name + "_firmware",
        srcs = [":" + name + "_main"],
        deps = [":" + library],
        board = board,
        testonly = True,
        tags = tags,
    )
    microtvm_qemu_test(
        name = name,
        firmware = ":" + name + "_firmware",
        expected_output = "%d of %d seeds match LiteRT-ref" % (len(seeds), len(seeds)),
        match = "contains",
        size = size,
        tags = tags,
        visibility = visibility,
        **kwargs
    )
