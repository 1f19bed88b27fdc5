#!/usr/bin/env bash
# Fails when docs/rules.md differs from what the docstrings generate.
set -uo pipefail
generated=$1
checked_in=$2
if ! diff -u "$checked_in" "$generated"; then
  echo
  echo "FAIL: docs/rules.md is stale (the diff above turns it into the generated one)."
  echo "what to do: bazel run //docs:update"
  exit 1
fi
echo PASS
