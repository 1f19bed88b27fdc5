"""microtvm_qemu_run and microtvm_qemu_test: run a firmware on an emulated board."""

load(":providers.bzl", "FirmwareInfo")
load(":runfiles.bzl", "RLOCATION_FUNCTION", "label_string", "rlocation_path", "shell_quote")

visibility("//rules/...")

_RUNNER = Label("//toolchains:runner_toolchain_type")

def _qemu_script(ctx, is_test):
    firmware = ctx.attr.firmware[FirmwareInfo]
    board = firmware.board
    if not board.qemu_machine:
        fail("%s is built for board %s, which QEMU does not emulate; use a board with a " % (
            ctx.attr.firmware.label,
            board.name,
        ) + "qemu_machine (e.g. //boards:mps2_an386, mps2_an500, mps2_an505)")
    runfiles = [firmware.elf]
    expected = ""
    if is_test:
        if ctx.attr.expected_output and ctx.file.expected_output_file:
            fail("give expected_output or expected_output_file, not both")
        expected_file = ctx.file.expected_output_file
        if ctx.attr.expected_output:
            expected_file = ctx.actions.declare_file(ctx.label.name + ".expected_output.txt")
            ctx.actions.write(expected_file, ctx.attr.expected_output)
        if expected_file:
            runfiles.append(expected_file)
            expected = rlocation_path(ctx, expected_file)

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "%{rlocation_function}": RLOCATION_FUNCTION,
            "%{firmware}": shell_quote(label_string(firmware.label)),
            "%{board}": shell_quote(board.name),
            "%{machine}": shell_quote(board.qemu_machine),
            "%{qemu}": shell_quote(ctx.toolchains[_RUNNER].qemu_system_arm),
            "%{elf}": shell_quote(rlocation_path(ctx, firmware.elf)),
            "%{mode}": "test" if is_test else "run",
            "%{expected_output}": shell_quote(expected),
            "%{match}": shell_quote(ctx.attr.match if is_test else ""),
            "%{expected_exit_code}": str(ctx.attr.expected_exit_code if is_test else 0),
        },
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = runfiles))]

def _run_impl(ctx):
    return _qemu_script(ctx, is_test = False)

def _test_impl(ctx):
    return _qemu_script(ctx, is_test = True)

_COMMON_ATTRS = {
    "firmware": attr.label(
        mandatory = True,
        providers = [FirmwareInfo],
        doc = "A microtvm_firmware for a board QEMU emulates.",
    ),
    "_template": attr.label(default = "//rules/private:qemu_runner.sh.tpl", allow_single_file = True),
}

microtvm_qemu_run = rule(
    implementation = _run_impl,
    doc = """`bazel run` runs the firmware on its emulated board: its console output goes to
stdout/stderr and its exit code (the return value of main) is the command's. QEMU runs with
`-icount shift=0,sleep=off`, so instruction counts (microtvm_board_measure) repeat exactly.
Arguments after `--` are passed to qemu-system-arm.""",
    attrs = _COMMON_ATTRS,
    executable = True,
    toolchains = [config_common.toolchain_type(_RUNNER, mandatory = True)],
)

microtvm_qemu_test = rule(
    implementation = _test_impl,
    doc = """A test that runs the firmware on its emulated board (as microtvm_qemu_run does) and
passes iff it exits with expected_exit_code and, if given, its stdout matches the expected
output. A firmware that hangs is stopped 5 s before Bazel's test timeout, with a message.""",
    attrs = dict(_COMMON_ATTRS, **{
        "expected_exit_code": attr.int(default = 0, doc = "The exit code main() must return."),
        "expected_output": attr.string(doc = "Text stdout must match (see `match`)."),
        "expected_output_file": attr.label(
            allow_single_file = True,
            doc = "A file (e.g. generated golden output) stdout must match (see `match`).",
        ),
        "match": attr.string(
            default = "exact",
            values = ["exact", "contains"],
            doc = "\"exact\": stdout equals the expected text; \"contains\": stdout contains it.",
        ),
    }),
    test = True,
    toolchains = [config_common.toolchain_type(_RUNNER, mandatory = True)],
)
