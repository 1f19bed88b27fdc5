#!/usr/bin/env bash
# //:flash_disco (the KWS demo for the STM32F746G-DISCO): --dry_run names the real firmware files, and a missing OpenOCD or a
# missing probe fails with a clear message and a non-zero exit code.
set -uo pipefail
flash=$1
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# --dry_run: the exact OpenOCD command, naming the .elf built for the Cortex-M7 board.
output=$("$flash" --dry_run) || fail "--dry_run exited with $?"
echo "$output"
[[ "$output" == *" -f board/stm32f746g-disco.cfg -c 'program "*".elf verify reset exit'" ]] ||
  fail "unexpected command: $output"
elf=$(sed -E "s/.*'program ([^ ]+) verify reset exit'.*/\1/" <<<"$output")
[[ "$elf" == /* && "$elf" == */kws_fw_stm32f746g_disco.elf ]] || fail "not an absolute path: $elf"
[[ -f "$elf" ]] || fail "$elf does not exist"
[[ "$(head -c 4 "$elf" | od -An -c | tr -d ' ')" == "177ELF" ]] || fail "$elf is not an ELF file"

# --bin: the raw image at the start of the STM32F7's flash.
output=$("$flash" --dry_run --bin --serial=0670FF48) || fail "--dry_run --bin exited with $?"
echo "$output"
[[ "$output" == *"-c 'adapter serial 0670FF48' -c 'program "*"/kws_fw_stm32f746g_disco.bin 0x08000000 verify reset exit'" ]] ||
  fail "unexpected command: $output"

# Unknown arguments are refused.
"$flash" --frobnicate >/dev/null 2>&1
code=$?
((code == 2)) || fail "an unknown argument gave exit code $code, expected 2"

# No OpenOCD: a clear message.
output=$(OPENOCD=/nonexistent/openocd "$flash" 2>&1)
code=$?
echo "$output"
((code == 2)) || fail "a missing OpenOCD gave exit code $code, expected 2"
[[ "$output" == *"OpenOCD not found"*"apt-get install openocd"* ]] || fail "unclear message: $output"

# OpenOCD but no probe (CI machines have none): a clear message, quickly.
if [[ -z "${OPENOCD:-}" ]] && output=$("$flash" --dry_run) && openocd=${output%% *} && [[ -x "$openocd" ]]; then
  output=$(timeout 60 "$flash" 2>&1)
  code=$?
  echo "$output"
  ((code == 3)) || fail "flashing without a probe gave exit code $code, expected 3"
  [[ "$output" == *"no usable debug probe found"* ]] || fail "unclear message: $output"
else
  echo "(no OpenOCD installed here: the no-probe case is not checked)"
fi

((failed == 0)) && echo PASS
exit "$failed"
