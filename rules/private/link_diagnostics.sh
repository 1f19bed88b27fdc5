#!/bin/sh
# The -wrapper of microtvm_firmware's link: gcc runs the linker (collect2) as
#   /bin/sh link_diagnostics.sh DIAGNOSTICS_FILE COMMAND ARGS...
# and this writes the linker's messages to DIAGNOSTICS_FILE instead of stderr. The link runs with
# --noinhibit-exec (ld then writes the image and exits with 0 even after errors such as a memory
# region overflow or an undefined symbol), and the check that follows it (size_report.py) reads
# these messages: a firmware over its budget fails with the size table, any other linker error
# fails with the linker's own messages. Fatal errors (ld exits non-zero) fail the link here.
diagnostics=$1
shift
"$@" 2>>"$diagnostics"
status=$?
if [ "$status" -ne 0 ]; then
  cat "$diagnostics" >&2
fi
exit "$status"
