"""Fails when the committed SUPPORTED_OPS.md is not what the lowerings generate."""
import difflib
import sys

committed, generated = (open(path, encoding="utf-8").read() for path in sys.argv[1:3])
if committed != generated:
    sys.stdout.writelines(difflib.unified_diff(
        committed.splitlines(keepends=True), generated.splitlines(keepends=True),
        "SUPPORTED_OPS.md (committed)", "SUPPORTED_OPS.md (from the lowerings)"))
    sys.exit("tools/microtvm/SUPPORTED_OPS.md is stale: run `./tools/bazel run //tools/microtvm:update_supported_ops`")
print("SUPPORTED_OPS.md is up to date")
