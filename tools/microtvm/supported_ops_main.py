"""Writes SUPPORTED_OPS.md: to the path given, or (`--workspace-file=PATH`, under `bazel run`) to
PATH relative to the workspace root."""
import os
import sys

from microtvm import supported_ops

if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0].startswith("--workspace-file="):
        root = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
        if not root:
            sys.exit("run this with `bazel run`")
        args = [os.path.join(root, args[0].split("=", 1)[1])]
    raise SystemExit(supported_ops.main(args))
