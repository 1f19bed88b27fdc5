#!/usr/bin/env bash
# `bazel run //examples/kws_audio:run_qemu [-- FILE.wav]`: the keyword-spotting firmware on the
# emulated Cortex-M4F. Without an argument it classifies the recordings embedded at build time;
# with a WAV file (16 kHz, 16-bit, mono) it passes the file's absolute path on QEMU's semihosting
# command line (-append) and the firmware reads it from the host. Relative paths are taken from
# the directory `bazel run` was started in. With ./tools/bazel's build root the file must be
# inside the workspace or its ../shared (the directories visible in the root).
set -euo pipefail
runner=$1
shift
if (($# == 0)); then
  exec "$runner"
fi
if (($# > 1)) || [[ "$1" == -* ]]; then
  echo "usage: bazel run //examples/kws_audio:run_qemu [-- FILE.wav]" >&2
  exit 2
fi
wav=$1
[[ "$wav" == /* ]] || wav="${BUILD_WORKING_DIRECTORY:-$PWD}/$wav"
if [[ ! -f "$wav" ]]; then
  echo "error: $wav: no such file" >&2
  exit 2
fi
if [[ "$wav" == *" "* ]]; then
  echo "error: $wav: the path has a space, which the semihosting command line cannot carry; copy the file" >&2
  exit 2
fi
exec "$runner" -append "$wav"
