"""microtvm_model_library: a .tflite model compiled to C (Model Library Format) and then to a library.

One action runs the code generator (`microtvmc compile`, in the exec configuration) and writes the
MLF archive, the generated files the C compile needs and the memory report (what `microtvmc
inspect` prints, from the same compilation); the generated C is then compiled with the
target's C toolchain. Dependents get `#include "tvmgen_<module_name>.h"` and the kernel library.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain", "use_cpp_toolchain")
load("//tools/microtvm:mlf_members.bzl", "MLF_GENERATED_FILES")
load(":providers.bzl", "MlfInfo")

visibility("//rules/...")

_TargetCpuInfo = provider(
    doc = "The code generator's --target-cpu for the target platform's core (\"\" off Cortex-M).",
    fields = {"cpu": "string"},
)

def _target_cpu_impl(ctx):
    return [_TargetCpuInfo(cpu = ctx.attr.cpu)]

# //rules/private:target_cpu: the --target-cpu of the configuration's core, by a select() on
# //platforms/cpu, so that a model library built into a firmware records its board's core.
target_cpu = rule(
    implementation = _target_cpu_impl,
    attrs = {"cpu": attr.string()},
)

def _is_c_identifier(name):
    if not name or not (name[0].isalpha() or name[0] == "_"):
        return False
    for char in name.elems():
        if not (char.isalnum() or char == "_"):
            return False
    return True

def _declare_generated_files(ctx, module):
    """Declares the generated files the C compile and users need.

    Args:
      ctx: the rule context.
      module: the module name.

    Returns:
      A dict: MLF member path -> declared output (the list is the compiler's:
      tools/microtvm/mlf_members.bzl).
    """
    prefix = ctx.label.name + ".mlf/"
    return {
        member.format(module = module): ctx.actions.declare_file(prefix + output.format(module = module))
        for member, output in MLF_GENERATED_FILES.items()
    }

def _runtime_dir(ctx):
    """The exec path of the kernel library (runtime/), whose declared files are action inputs."""
    owner = ctx.files._runtime_sources[0].owner
    return "/".join([part for part in (owner.workspace_root, owner.package) if part])

def _compiler_options(ctx, module):
    """The code generator options (those `microtvmc inspect` takes too)."""
    args = ["--module-name", module, "--alignment", str(ctx.attr.alignment), "--runtime-dir", _runtime_dir(ctx)]
    if ctx.attr.workspace_pools:
        args += ["--workspace-pools", ",".join(ctx.attr.workspace_pools)]
    if ctx.attr.use_workspace_io:
        args.append("--use-workspace-io")
    if ctx.attr.constants_section:
        args += ["--constants-section", ctx.attr.constants_section]
    if ctx.attr.workspace_section:
        args += ["--workspace-section", ctx.attr.workspace_section]
    for flag, names in (("--input-names", ctx.attr.input_names), ("--output-names", ctx.attr.output_names)):
        if names:
            args += [flag, ",".join(names)]
    cpu = ctx.attr.target_cpu or ctx.attr._target_cpu[_TargetCpuInfo].cpu
    if cpu:
        args += ["--target-cpu", cpu]
    return args

def _generate(ctx, module):
    model = ctx.file.model
    generated = _declare_generated_files(ctx, module)
    tar = ctx.actions.declare_file(ctx.label.name + ".tar")
    report = ctx.actions.declare_file(ctx.label.name + ".memory.txt")
    args = ctx.actions.args()
    args.add("compile", model)
    args.add("-o", tar)
    args.add("--report", report)  # what `microtvmc inspect` prints, from this compilation
    args.add_all(_compiler_options(ctx, module))
    for member, output in generated.items():
        args.add("--extract", "%s=%s" % (member, output.path))

    # The arguments go in a file (microtvmc reads @FILE), so that a failing compile shows a short
    # command line beside the compiler's own one-line message.
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    ctx.actions.run(
        executable = ctx.executable._microtvmc,
        arguments = [args],
        inputs = [model] + ctx.files._runtime_sources,
        outputs = [tar, report] + generated.values(),
        mnemonic = "MicrotvmCompile",
        progress_message = "Compiling model %{input} to C for %{label}",
    )

    return generated, tar, report

def _compile_c(ctx, generated):
    cc_toolchain = find_cpp_toolchain(ctx)
    feature_configuration = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    runtime = ctx.attr._runtime[CcInfo]
    public_headers = [f for member, f in generated.items() if member.startswith("codegen/host/include/")]
    private_headers = [f for member, f in generated.items() if member.startswith("codegen/host/src/") and member.endswith(".h")]
    sources = [f for member, f in generated.items() if member.endswith(".c")]
    compilation_context, compilation_outputs = cc_common.compile(
        name = ctx.label.name,
        actions = ctx.actions,
        feature_configuration = feature_configuration,
        cc_toolchain = cc_toolchain,
        srcs = sources,
        private_hdrs = private_headers,
        public_hdrs = public_headers,
        includes = [public_headers[0].dirname],
        compilation_contexts = [runtime.compilation_context],
        user_compile_flags = ["-std=c99"] + ctx.attr.copts,
    )
    linking_context, _ = cc_common.create_linking_context_from_compilation_outputs(
        actions = ctx.actions,
        name = ctx.label.name,
        feature_configuration = feature_configuration,
        cc_toolchain = cc_toolchain,
        compilation_outputs = compilation_outputs,
        linking_contexts = [runtime.linking_context],
    )
    return cc_common.merge_cc_infos(
        direct_cc_infos = [CcInfo(compilation_context = compilation_context, linking_context = linking_context)],
        cc_infos = [runtime],
    )

def _check_io_names(ctx):
    """input_names/output_names: C identifiers, unique (the compiler checks the counts)."""
    seen = {}
    for attr, names in (("input_names", ctx.attr.input_names), ("output_names", ctx.attr.output_names)):
        for name in names:
            if not _is_c_identifier(name):
                fail(("%s: %r is not a C identifier: the names become struct members, macros " +
                      "(TVMGEN_<M>_<NAME>_SIZE) and helpers; use letters, digits and underscores, " +
                      "not starting with a digit.") % (attr, name))
            if name.upper() in seen:
                fail("%s: %r is given twice (names are compared upper-cased, as macros): every input and output needs its own name" % (attr, seen[name.upper()]))
            seen[name.upper()] = name

def _microtvm_model_library_impl(ctx):
    module = ctx.attr.module_name or ctx.label.name
    _check_io_names(ctx)
    if not _is_c_identifier(module):
        fail(("module_name %r is not a C identifier: the generated API is tvmgen_<module_name>_run. " +
              "Set module_name to letters, digits and underscores, e.g. module_name = %r.") %
             (module, module.replace("-", "_").replace(".", "_")))
    generated, tar, report = _generate(ctx, module)
    cc_info = _compile_c(ctx, generated)
    metadata = generated["metadata.json"]
    return [
        DefaultInfo(files = depset([tar, metadata, report])),
        cc_info,
        MlfInfo(
            tar = tar,
            metadata_json = metadata,
            module_name = module,
            memory_report = report,
            model = ctx.file.model,
            modules = depset([(module, str(ctx.label))]),
        ),
        OutputGroupInfo(
            mlf_tar = depset([tar]),
            memory_report = depset([report]),
            generated_sources = depset(generated.values()),
        ),
    ]

microtvm_model_library = rule(
    implementation = _microtvm_model_library_impl,
    doc = """Compiles a TensorFlow Lite model to C with TVM's embedded C interface.

Provides `CcInfo` (depend on it from cc_library/cc_binary/microtvm_firmware and
`#include "tvmgen_<module_name>.h"`), `MlfInfo`, and output groups `mlf_tar`, `memory_report`
and `generated_sources`.

The header describes each input and output X (its C name: input_names/output_names, else
derived from the tensor name): `TVMGEN_<M>_<X>_SIZE` (bytes), `_DTYPE` ("int8", ...), `_NDIM`,
`_SHAPE` (a brace initializer) and, when it is quantized per tensor, `_SCALE` and `_ZERO_POINT`
(real = scale * (q - zero_point)). Quantized int8/uint8/int16 inputs get
`static inline int8_t tvmgen_<m>_quantize_<x>(float)` and outputs
`static inline float tvmgen_<m>_dequantize_<x>(int8_t)`, bit-exact with TensorFlow Lite's
QUANTIZE and DEQUANTIZE. The memory report (`microtvmc inspect`) lists them too.""",
    attrs = {
        "model": attr.label(allow_single_file = [".tflite"], mandatory = True, doc = "The .tflite model."),
        "module_name": attr.string(doc = "The N of tvmgen_N_run (a C identifier). Default: the target name."),
        "input_names": attr.string_list(
            doc = "C names of the model's inputs, in order, instead of those derived from the " +
                  "model's tensor names (e.g. `serving_default_dense_input_0`): struct members, " +
                  "`TVMGEN_<M>_<NAME>_SIZE`/`_SCALE`/`_ZERO_POINT`/... macros and " +
                  "`tvmgen_<m>_quantize_<name>()`. C identifiers, unique (case-insensitively); " +
                  "one per input. Default: derived.",
        ),
        "output_names": attr.string_list(
            doc = "C names of the model's outputs, in order (like input_names; helpers are " +
                  "`tvmgen_<m>_dequantize_<name>()`). Default: derived.",
        ),
        "workspace_pools": attr.string_list(
            doc = "Names of workspace pools the application passes in (`NAME` or `NAME:BYTES`, " +
                  "filled in order). Empty: one internal static pool.",
        ),
        "use_workspace_io": attr.bool(
            doc = "Place inputs and outputs in the workspace (generates tvmgen_N_map_inputs/_outputs).",
        ),
        "constants_section": attr.string(doc = "Linker section of the weights. Default: .rodata.tvm."),
        "workspace_section": attr.string(doc = "Linker section of the internal pool. Default: .bss.noinit.tvm."),
        "alignment": attr.int(default = 16, doc = "Alignment of buffers, pools and constants, in bytes."),
        "target_cpu": attr.string(
            doc = "Recorded in metadata.json, e.g. cortex-m4. Default: the core of the board " +
                  "the library is built for (BoardInfo.cpu); none on the host.",
        ),
        "copts": attr.string_list(doc = "Extra flags for compiling the generated C."),
        "_microtvmc": attr.label(
            default = "//tools/microtvm:microtvmc",
            executable = True,
            cfg = "exec",
        ),
        "_runtime": attr.label(default = "//runtime:mtvm", providers = [CcInfo]),
        "_runtime_sources": attr.label(default = "//runtime:sources", allow_files = True),
        "_target_cpu": attr.label(default = "//rules/private:target_cpu"),
    },
    fragments = ["cpp"],
    toolchains = use_cpp_toolchain(),
)
