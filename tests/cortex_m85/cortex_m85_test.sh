#!/bin/sh
# The KWS firmware for the Cortex-M85: an ARM ELF whose build attributes name the core
# (Tag_CPU_name "cortex-m85", written by the assembler from -mcpu=cortex-m85; gcc 14 also records
# Tag_MVE_arch "MVE Integer and FP").
set -eu
elf=""
for f in "$@"; do
  case "$f" in *.elf) elf="$f" ;; esac
done
[ -n "$elf" ] || { echo "no .elf among: $*"; exit 1; }
[ "$(head -c 4 "$elf" | od -An -c | tr -d ' ')" = "177ELF" ] || { echo "$elf is not an ELF file"; exit 1; }
grep -q -a -i "cortex-m85" "$elf" || { echo "$elf: no Tag_CPU_name Cortex-M85 in its build attributes"; exit 1; }
echo "ok: $elf is Cortex-M85 firmware"
