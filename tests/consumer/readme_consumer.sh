#!/usr/bin/env bash
# README's "Use it from your own repository", followed to the letter: a consumer repository made
# from the README's snippets (marked `<!-- consumer: ... -->`) in a temporary directory outside
# this repository, with this checkout as its `../rules_microtvm`. It runs the README's commands
# in bzlmod mode (Bazel's defaults plus the README's .bazelrc), builds and tests again in WORKSPACE
# mode, and checks the board errors a newcomer meets. Run by .ci/run; needs no Bazel of its own
# (the consumer's copy of tools/bazel provides it). Usage: tests/consumer/readme_consumer.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readme=$repo/README.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rules_microtvm_consumer.XXXXXX")
consumer=$tmp/my_firmware
fail() {
  echo "readme_consumer: FAILED: $*" >&2
  exit 1
}
cleanup() {
  local status=$?
  if [[ -x "$consumer/tools/bazel" ]]; then
    # The consumer's own output base and server, then the launcher's mounts of these directories.
    (cd "$consumer" && ./tools/bazel clean --expunge >/dev/null 2>&1) || true
    "$consumer/tools/bazel" --rules-microtvm-unmount "$consumer" "$tmp/rules_microtvm" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit $status
}
trap cleanup EXIT

# The fenced block after the marker `<!-- consumer: KIND NAME -->`.
snippet() {
  awk -v want="<!-- consumer: $1 $2 -->" '
    $0 == want { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
  ' "$readme"
}
require_snippet() {
  local text
  text=$(snippet "$1" "$2")
  [[ -n "$text" ]] || fail "README.md has no snippet marked <!-- consumer: $1 $2 -->"
  printf '%s\n' "$text"
}

mkdir -p "$consumer"
ln -s "$repo" "$tmp/rules_microtvm" # "Put rules_microtvm next to your repository"
cd "$consumer"
for file in MODULE.bazel .bazelrc BUILD.bazel main.c; do
  require_snippet file "$file" >"$file"
done
echo "== consumer in $consumer, from README.md: $(ls -A | tr '\n' ' ')"
require_snippet shell setup | bash -euxo pipefail

log=$tmp/log
# Each README command, checked by what it must print.
mapfile -t commands < <(require_snippet shell commands | sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d')
((${#commands[@]} == 3)) || fail "expected 3 commands in the README's command snippet, got ${#commands[@]}"
for command in "${commands[@]}"; do
  echo "== $command"
  bash -c "$command" >"$log" 2>&1 || {
    tail -n 40 "$log"
    fail "$command"
  }
  grep -q "WARNING: Option 'host_javabase' is deprecated" "$log" && fail "$command warns about host_javabase"
  case "$command" in
    *sine_run*)
      grep -E '^sin\(' "$log" || fail "$command printed no sin(...) lines (is printf_float working?)"
      grep -q '^sin(1.20) = 0\.9' "$log" || fail "$command: expected sin(1.20) = 0.9..." ;;
    *test*)
      grep -E '^//:sine_test +PASSED|1 test passes' "$log" || {
        tail -n 20 "$log"
        fail "$command: the QEMU test did not pass"
      } ;;
    *flash_disco*)
      line=$(grep -E '^/.*openocd .*program ' "$log") || fail "$command printed no OpenOCD command"
      echo "$line"
      elf=$(sed -nE 's/.*-c .?program ([^ ]+\.elf) verify.*/\1/p' <<<"$line")
      [[ -f "$elf" ]] || fail "the dry run names $elf, which does not exist on this machine"
      [[ "$(od -An -c -N4 "$elf" | tr -d ' ')" == "177ELF" ]] || fail "$elf is not an ELF file" ;;
  esac
done

echo "== the memory report lists the interface"
./tools/bazel build //:sine --output_groups=memory_report >"$log" 2>&1 || {
  tail -n 20 "$log"
  fail "building //:sine's memory report"
}
report=bazel-bin/sine.memory.txt
# Under the offline build root, bazel-out points into the root: read it from there.
buildroot=${RULES_MICROTVM_BUILDROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_microtvm/buildroot}
if [[ -f "$report" ]]; then
  cat "$report"
else
  chroot "$buildroot" /bin/sh -c 'cd "$1" && cat "$2"' sh "$consumer" "$report"
fi >"$log" || fail "cannot read the memory report $report"
grep -F "tvmgen_sine_quantize_x()" "$log" || fail "the memory report $report does not list tvmgen_sine_quantize_x()"

echo "== WORKSPACE mode (the README's WORKSPACE file and flags): ./tools/bazel test //..."
require_snippet file WORKSPACE >WORKSPACE
mapfile -t flags < <(require_snippet flags workspace | sed -nE 's/^common (--[^ ]+).*/\1/p')
./tools/bazel test "${flags[@]}" //... >"$log" 2>&1 || {
  tail -n 40 "$log"
  fail "WORKSPACE mode: ./tools/bazel test ${flags[*]} //..."
}
grep -E '1 test passes|PASSED' "$log"
rm WORKSPACE

echo "== boards that explain themselves"
mkdir -p bad
echo 'int main(void) { return 0; }' >bad/main.c
cat >bad/BUILD.bazel <<'BUILD'
load("@rules_microtvm//rules:defs.bzl", "microtvm_firmware")

microtvm_firmware(name = "typo", srcs = ["main.c"], board = "@rules_microtvm//boards:stm32f746g_discovery")

microtvm_firmware(name = "local_label", srcs = ["main.c"], board = "//boards:stm32f746g_disco")
BUILD
expect_error() {
  local target=$1
  shift
  if ./tools/bazel build --nobuild "$target" >"$log" 2>&1; then
    fail "$target built, but its board is wrong"
  fi
  local text
  for text in "$@"; do
    grep -qF -- "$text" "$log" || {
      cat "$log"
      fail "$target: the error lacks: $text"
    }
  done
  grep -F 'Error in fail:' "$log"
}
expect_error //bad:typo "no board @rules_microtvm//boards:stm32f746g_discovery; the boards are: " \
  "did you mean @rules_microtvm//boards:stm32f746g_disco?"
expect_error //bad:local_label "no board //boards:stm32f746g_disco; the boards are: " \
  "from another repository write @rules_microtvm//boards:stm32f746g_disco"
echo "== an override path that does not exist is named (offline build root only)"
mkdir -p "$tmp/elsewhere"
printf 'module(name = "elsewhere")\n\nbazel_dep(name = "rules_microtvm")\nlocal_path_override(module_name = "rules_microtvm", path = "../no_such_checkout")\n' \
  >"$tmp/elsewhere/MODULE.bazel"
if (cd "$tmp/elsewhere" && "$consumer/tools/bazel" version) >"$log" 2>&1; then
  echo "(skipped: the launcher runs a Bazel from PATH, which reports missing paths itself)"
else
  grep -F "names the directory ../no_such_checkout (" "$log" || {
    cat "$log"
    fail "the launcher's error does not name ../no_such_checkout"
  }
fi
echo "== readme_consumer: OK"
