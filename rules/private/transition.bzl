"""The transition that builds a firmware for its board's platform (no --platforms needed)."""

# rules_microtvm's own boards are //boards:<name>, with their platform at //platforms:<name>.
_OUR_BOARDS = Label("//boards:BUILD.bazel")

def board_platform(board, platform):
    """The platform to build for: `platform` if given, else the one of our board `board`.

    A transition cannot read the board's BoardInfo, so it goes by the label; the firmware rule
    then checks that BoardInfo.platform agrees.
    """
    if platform:
        return platform
    if board.repo_name == _OUR_BOARDS.repo_name and board.package == _OUR_BOARDS.package:
        return Label("//platforms:" + board.name)
    fail(("board %s is not one of rules_microtvm's boards (//boards:...): also pass " +
          "platform = the label of its platform()") % board)

def _board_transition_impl(settings, attr):
    _ignore = settings  # @unused
    return {
        "//command_line_option:platforms": [str(board_platform(attr.board, attr.platform))],
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
