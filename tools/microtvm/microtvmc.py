"""Entry point of the `microtvmc` command (Bazel's py_binary, which finds the kernel library in its
runfiles, and `python3 microtvmc.py --runtime-dir ../../runtime ...` in a checkout)."""
import sys

from microtvm.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
