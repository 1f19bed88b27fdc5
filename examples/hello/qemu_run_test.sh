#!/usr/bin/env bash
# `bazel run` of a microtvm_qemu_run target prints the firmware's output and returns its exit
# code: run two such targets the way `bazel run` would and check both.
set -uo pipefail
run_hello=$1
run_exit_code=$2
failed=0

output=$("$run_hello")
code=$?
echo "$output"
if ((code != 0)); then
  echo "FAIL: $run_hello exited with $code, expected 0"
  failed=1
fi
for text in "hello from mps2_an386" "hello: all checks passed"; do
  [[ "$output" == *"$text"* ]] || { echo "FAIL: no '$text' in the output of $run_hello"; failed=1; }
done

output=$("$run_exit_code")
code=$?
echo "$output"
if ((code != 42)); then
  echo "FAIL: $run_exit_code exited with $code, expected the firmware's 42"
  failed=1
fi
[[ "$output" == *"exiting with 42"* ]] || { echo "FAIL: no output from $run_exit_code"; failed=1; }

((failed == 0)) && echo PASS
exit "$failed"
