#!/usr/bin/env bash
# `bazel run :run_qemu -- FILE.wav` end to end: run_qemu.sh hands the file to the firmware over
# QEMU's semihosting command line and the firmware reads and classifies it; a file that is not a
# WAV gives a clear message and a non-zero exit code.
#   run_qemu_wav_test.sh RUN_QEMU_SH RUNNER WAV EXPECTED_CLASS
set -uo pipefail
run_qemu=$1 runner=$2 wav=$3 expected=$4
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

output=$(timeout 60 "$run_qemu" "$runner" "$wav" 2>&1)
code=$?
echo "$output"
((code == 0)) || fail "exit code $code for $wav"
[[ "$output" == *"$(basename "$wav"): $expected ("* ]] || fail "$wav was not classified as $expected"
[[ "$output" == *"front end: "*" instructions"* && "$output" == *"inference: "*" instructions"* ]] ||
  fail "no instruction counts"
[[ "$output" == *"memory: flash "* ]] || fail "no memory line"

not_a_wav="${TEST_TMPDIR:-$(mktemp -d)}/not_a.wav"
echo "hello" >"$not_a_wav"
output=$(timeout 60 "$run_qemu" "$runner" "$not_a_wav" 2>&1)
code=$?
echo "$output"
((code == 2)) || fail "a file that is not a WAV gave exit code $code, expected 2"
[[ "$output" == *"is not a WAV file"* ]] || fail "unclear message for a file that is not a WAV"

output=$(timeout 60 "$run_qemu" "$runner" /nonexistent/x.wav 2>&1)
code=$?
echo "$output"
((code == 2)) && [[ "$output" == *"no such file"* ]] || fail "a missing file: exit code $code, $output"

((failed == 0)) && echo PASS
exit "$failed"
