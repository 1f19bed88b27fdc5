"""CI's bounded fuzzing run: fuzz_main.py for FUZZ_SECONDS from the committed seeds.

libFuzzer exits non-zero on a finding (an exception other than UserError, an input over the time
limit, the memory limit exceeded) after writing the input to $TEST_UNDECLARED_OUTPUTS_DIR (Bazel
keeps it in bazel-testlogs/.../test.outputs/): copy it into crashes/ as a regression test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

FUZZ_SECONDS = 60


def main() -> int:
    outputs = Path(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", tempfile.mkdtemp(prefix="fuzz-artifacts-")))
    with tempfile.TemporaryDirectory(prefix="fuzz-corpus-") as corpus:
        env = dict(
            os.environ, MICROTVM_FUZZ_CORPUS=corpus, MICROTVM_FUZZ_ARTIFACTS=str(outputs), MICROTVM_FUZZ_QUICK="1"
        )
        # -seed fixed: the same run every time (libFuzzer's mutations are then deterministic given
        # the same coverage feedback); a finding is reproducible from the saved input anyway.
        command = [sys.executable, str(Path(__file__).with_name("fuzz_main.py")), str(FUZZ_SECONDS), "-seed=1"]
        result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        print(f"fuzz_test: the fuzzer found an input the compiler mishandles; see {outputs}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
