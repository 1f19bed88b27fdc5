"""The transition that builds a firmware for its board's platform (no --platforms needed)."""

load("//boards:boards.bzl", "BOARDS")
load(":runfiles.bzl", "label_string")

visibility("//rules/...")

# rules_microtvm's own boards: //boards:<name>, described in //boards:boards.bzl.
_OUR_BOARDS = Label("//boards:boards.bzl")

def _unknown_board(board):
    fail("no board %s; the boards are %s; from another repository write @rules_microtvm//boards:%s" % (
        label_string(board),
        ", ".join(BOARDS.keys()),
        board.name if board.name in BOARDS else "<name>",
    ))

def board_platform(board):
    """The platform to build for a board, from the board's label itself.

    Our boards' platforms are those of //boards:boards.bzl (//platforms:<name>). Any other board
    is a microtvm_board, which makes its platform known as <board>.platform (an alias of its
    `platform` attribute), since a transition sees labels, not the board's BoardInfo.

    Args:
      board: the Label of the board.

    Returns:
      The Label of the platform.
    """
    if board.repo_name == _OUR_BOARDS.repo_name and board.package == _OUR_BOARDS.package:
        if board.name not in BOARDS:
            _unknown_board(board)
        return Label("//platforms:" + board.name)
    if board.package == _OUR_BOARDS.package and board.name in BOARDS:
        # E.g. "//boards:mps2_an386" written in another repository: that repository's //boards.
        _unknown_board(board)
    return board.same_package_label(board.name + ".platform")

def _board_transition_impl(settings, attr):
    _ignore = settings  # @unused
    return {
        "//command_line_option:platforms": [str(board_platform(attr.board))],
        # Keep the debug information in the .elf (Bazel strips fastbuild binaries by default):
        # it is what a debugger attached through the probe needs, and never reaches the .bin.
        "//command_line_option:strip": "never",
    }

board_transition = transition(
    implementation = _board_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:strip",
    ],
)
