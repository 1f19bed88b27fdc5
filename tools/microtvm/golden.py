"""Entry point of //tools/microtvm:golden (see microtvm_testing/golden.py)."""
import sys

from microtvm_testing.golden import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
