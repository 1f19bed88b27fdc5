"""Runs pytest on the files given as arguments (Bazel's py_test entry point)."""
from __future__ import annotations

import os
import sys

import pytest


class BazelSharding:
    """Bazel test sharding (shard_count): each shard runs every N-th collected test."""

    def __init__(self, index: int, total: int) -> None:
        self.index = index
        self.total = total

    def pytest_collection_modifyitems(self, config, items) -> None:  # noqa: ANN001 (pytest hook)
        selected = [item for i, item in enumerate(items) if i % self.total == self.index]
        deselected = [item for i, item in enumerate(items) if i % self.total != self.index]
        items[:] = selected
        config.hook.pytest_deselected(items=deselected)


def main(argv: list[str]) -> int:
    plugins = []
    if "TEST_TOTAL_SHARDS" in os.environ:
        plugins.append(BazelSharding(int(os.environ["TEST_SHARD_INDEX"]), int(os.environ["TEST_TOTAL_SHARDS"])))
        status_file = os.environ.get("TEST_SHARD_STATUS_FILE")
        if status_file:
            open(status_file, "w").close()  # tells Bazel this runner understands sharding
    exit_code = pytest.main(["-q", "-p", "no:cacheprovider", *argv], plugins=plugins)
    # A shard may legitimately select no tests (exit code 5): that is a pass for Bazel.
    return 0 if exit_code == pytest.ExitCode.NO_TESTS_COLLECTED and plugins else int(exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
