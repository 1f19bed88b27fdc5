"""Test rules for rules_microtvm's own tests (not part of the public API)."""

load(":firmware.bzl", "size_check_arguments")
load(":internal_providers.bzl", "FirmwareSizeCheckInfo")
load(":providers.bzl", "FirmwareInfo")
load(":runfiles.bzl", "RLOCATION_FUNCTION", "rlocation_path", "shell_quote")

visibility("//rules/...")

def _size_budget_failure_test_impl(ctx):
    firmware = ctx.attr.firmware[FirmwareInfo]
    size_check = ctx.attr.firmware[FirmwareSizeCheckInfo]
    arguments = size_check_arguments(
        firmware.label,
        firmware.board,
        firmware.flash_budget,
        firmware.ram_budget,
        size_check.size_tool,
    )
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, is_executable = True, content = """#!/usr/bin/env bash
# Runs the check that `bazel build {firmware}` runs on the image and messages of its link, and
# expects it to fail with the given output (the size table, or the linker's errors).
set -uo pipefail
{rlocation_function}
checker=$(rlocation {checker}) || exit 2
elf=$(rlocation {elf}) || exit 2
messages=$(rlocation {messages}) || exit 2
output=$("$checker" {arguments} --elf "$elf" --linker-diagnostics "$messages" 2>&1)
code=$?
echo "$output"
echo "--- the check exited with code $code"
failed=0
if ((code != 1)); then
  echo "FAIL: expected the check to fail (exit code 1)"
  failed=1
fi
for text in {expected}; do
  if [[ "$output" != *"$text"* ]]; then
    echo "FAIL: the output does not contain: $text"
    failed=1
  fi
done
((failed == 0)) && echo PASS
exit "$failed"
""".format(
        firmware = firmware.label,
        rlocation_function = RLOCATION_FUNCTION,
        checker = shell_quote(rlocation_path(ctx, ctx.executable._size_report)),
        elf = shell_quote(rlocation_path(ctx, size_check.unchecked_elf)),
        messages = shell_quote(rlocation_path(ctx, size_check.linker_diagnostics)),
        arguments = " ".join([shell_quote(a) for a in arguments]),
        expected = " ".join([shell_quote(t) for t in ctx.attr.expected_output]),
    ))
    runfiles = ctx.runfiles(files = [size_check.unchecked_elf, size_check.linker_diagnostics])
    runfiles = runfiles.merge(ctx.attr._size_report[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

size_budget_failure_test = rule(
    implementation = _size_budget_failure_test_impl,
    doc = """Checks that `firmware` (tagged manual, since it cannot build) fails the check of its
link: over its size budget or with another linker error, the check must exit 1 and print each of
expected_output.""",
    attrs = {
        "expected_output": attr.string_list(mandatory = True),
        "firmware": attr.label(mandatory = True, providers = [FirmwareInfo, FirmwareSizeCheckInfo]),
        "_size_report": attr.label(
            default = "//rules/private:size_report",
            executable = True,
            cfg = "target",
        ),
    },
    test = True,
)

_allow_analysis_failures = analysis_test_transition(
    settings = {"//command_line_option:allow_analysis_failures": "True"},
)

def _analysis_failure_test_impl(ctx):
    target = ctx.attr.target_under_test[0]
    if AnalysisFailureInfo not in target:
        return [AnalysisTestResultInfo(
            success = False,
            message = "expected the analysis of %s to fail, but it succeeded" % target.label,
        )]
    messages = [cause.message for cause in target[AnalysisFailureInfo].causes.to_list()]
    missing = [text for text in ctx.attr.expected_messages if not [m for m in messages if text in m]]
    return [AnalysisTestResultInfo(
        success = not missing,
        message = "the analysis failed with:\n%s\nwhich lacks: %s" % ("\n".join(messages), missing),
    )]

analysis_failure_test = rule(
    implementation = _analysis_failure_test_impl,
    doc = "Passes iff the analysis of target_under_test (tagged manual) fails with each of expected_messages.",
    attrs = {
        "expected_messages": attr.string_list(mandatory = True),
        "target_under_test": attr.label(mandatory = True, cfg = _allow_analysis_failures),
    },
    analysis_test = True,
    test = True,
)
