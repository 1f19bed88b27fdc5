"""Rules for rules_microtvm's own tests, boards table and benchmarks: not part of the public API.

    load("//rules:testing.bzl", "size_budget_failure_test")

The public API is //rules:defs.bzl. This file is the one entry point through which the project's
other packages (//boards, //benchmarks, //examples, //tests) reach the internals in
//rules/private, which only //rules may load.
"""

load("//rules/private:board.bzl", _microtvm_board_table_json = "microtvm_board_table_json")
load(
    "//rules/private:testing.bzl",
    _analysis_failure_test = "analysis_failure_test",
    _size_budget_failure_test = "size_budget_failure_test",
)
load("//rules/private:transition.bzl", _board_transition = "board_transition")

visibility(["//..."])

# boards.json for tests: the board table of //boards:boards.bzl (memory map, core, float ABI).
microtvm_board_table_json = _microtvm_board_table_json

# A test that a firmware (tagged manual) fails the check of its link: over budget, or a linker error.
size_budget_failure_test = _size_budget_failure_test

# A test that the analysis of a target (tagged manual) fails with the expected messages.
analysis_failure_test = _analysis_failure_test

# The transition of microtvm_firmware (to its `board` attribute's platform), for rules that must
# see the very configured targets a firmware links (the benchmarks' manifests).
board_transition = _board_transition
