"""The transition that builds a firmware for its board's platform (no --platforms needed)."""

load("//boards:boards.bzl", "BOARDS")
load(":runfiles.bzl", "label_string")

visibility("//rules/...")

# rules_microtvm's own boards: //boards:<name>, described in //boards:boards.bzl.
_OUR_BOARDS = Label("//boards:boards.bzl")

def _closest(name, names):
    """The name in `names` sharing the longest prefix with `name` (a typo's likely intent)."""
    best, best_length = None, 0
    for candidate in names:
        length = 0
        for i in range(min(len(name), len(candidate))):
            if name[i] != candidate[i]:
                break
            length = i + 1
        if length > best_length:
            best, best_length = candidate, length
    return best if best_length >= 4 else None

def _unknown_board(board, ours):
    """Fails for a label in a //boards package that names none of our boards."""
    where = ("@rules_microtvm//boards:%s" % board.name) if ours else label_string(board)
    if board.name in BOARDS:
        hint = "from another repository write @rules_microtvm//boards:%s" % board.name
    else:
        closest = _closest(board.name, BOARDS.keys())
        hint = (("did you mean @rules_microtvm//boards:%s? " % closest) if closest else "") + \
               "from another repository write @rules_microtvm//boards:<name>"
    fail("no board %s; the boards are: %s; %s (or a microtvm_board of your own)" % (
        where,
        ", ".join(sorted(BOARDS.keys())),
        hint,
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
            _unknown_board(board, ours = True)
        return Label("//platforms:" + board.name)
    if board.package == _OUR_BOARDS.package and board.name in BOARDS:
        # E.g. "//boards:mps2_an386" written in another repository: that repository's //boards.
        _unknown_board(board, ours = False)
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
