"""Entry point of the `microtvmc` command (Bazel's py_binary and `python3 microtvmc.py`)."""
import sys

from microtvm.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
