"""The files a build wrote under bazel-out, compared across builds and searched for leaks.

Hermetic outputs are the same bytes whatever the checkout directory, output base, user, machine
or time: that is what lets a remote cache serve them. Two builds of the same commit in different
directories must therefore produce identical files, and no file may contain a path of either
build, a user name, a host name or today's date.
"""
from __future__ import annotations

import difflib
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

# Files Bazel itself writes that are not outputs of any rule and never leave the machine:
# runfiles manifests map runfiles to absolute paths of this output base, and the status files
# hold the user, host and time for --stamp (which our rules do not use).
_SKIPPED_DIRECTORY_SUFFIXES = (".runfiles",)
_SKIPPED_FILE_SUFFIXES = (".runfiles_manifest",)
_SKIPPED_TOP_LEVEL = ("_tmp", "stable-status.txt", "volatile-status.txt")

# How the summary groups the files it compared (first matching suffix wins).
KINDS = (
    ("firmware images", (".elf", ".bin", ".hex")),
    ("link maps", (".map",)),
    ("size reports", (".size.txt",)),
    ("linker messages", (".link_messages.txt",)),
    ("memory reports", (".memory.txt",)),
    ("MLF archives", (".tar",)),
    ("MLF metadata.json", ("metadata.json",)),
    ("generated C", (".c", ".h")),
    ("objects", (".o",)),
    ("archives", (".a", ".lo")),
    ("dependency files", (".d",)),
    ("linker parameter files", (".params",)),
)


def collect(bazel_out: Path) -> dict[str, Path]:
    """Every regular file below bazel-out, keyed by its path relative to bazel-out."""
    files: dict[str, Path] = {}
    pending = [bazel_out]
    while pending:
        directory = pending.pop()
        for entry in sorted(directory.iterdir()):
            relative = entry.relative_to(bazel_out).as_posix()
            if directory == bazel_out and entry.name in _SKIPPED_TOP_LEVEL:
                continue
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if not entry.name.endswith(_SKIPPED_DIRECTORY_SUFFIXES):
                    pending.append(entry)
            elif entry.is_file() and not entry.name.endswith(_SKIPPED_FILE_SUFFIXES):
                files[relative] = entry
    return dict(sorted(files.items()))


def kind_of(relative: str) -> str:
    for kind, suffixes in KINDS:
        if relative.endswith(suffixes):
            return kind
    return "other (launchers, repo mappings)"


def summarize(files: dict[str, Path]) -> list[tuple[str, int, int]]:
    """(kind, number of files, bytes) for the files compared, in KINDS order."""
    order = [kind for kind, _ in KINDS] + ["other (launchers, repo mappings)"]
    totals = {kind: [0, 0] for kind in order}
    for relative, path in files.items():
        total = totals[kind_of(relative)]
        total[0] += 1
        total[1] += path.stat().st_size
    return [(kind, count, size) for kind, (count, size) in totals.items() if count]


def missing(files: dict[str, Path], required: Iterable[str]) -> list[str]:
    """Required package-relative outputs (e.g. examples/kws/kws.tar) found in no configuration."""
    return [
        wanted
        for wanted in required
        if not any(relative.endswith("/bin/" + wanted) for relative in files)
    ]


def _first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


def _describe_difference(relative: str, a: bytes, b: bytes) -> list[str]:
    offset = _first_difference(a, b)
    lines = [f"{relative}: {len(a)} vs {len(b)} bytes, first difference at byte {offset}"]
    try:
        text_a, text_b = a.decode("utf-8"), b.decode("utf-8")
    except UnicodeDecodeError:
        lines.append(f"  first build:  {a[max(0, offset - 24):offset + 40]!r}")
        lines.append(f"  second build: {b[max(0, offset - 24):offset + 40]!r}")
        return lines
    diff = difflib.unified_diff(
        text_a.splitlines(), text_b.splitlines(), "first build", "second build", n=1, lineterm=""
    )
    lines += ["  " + line for line in list(diff)[:16]]
    return lines


@dataclass
class Comparison:
    only_first: list[str]
    only_second: list[str]
    different: list[str]
    details: list[str]

    @property
    def identical(self) -> bool:
        return not (self.only_first or self.only_second or self.different)


def _is_action_param_file(relative: str) -> bool:
    return re.search(r"-[0-9]+\.params$", relative) is not None


def compare(first: dict[str, Path], second: dict[str, Path]) -> Comparison:
    """Byte-for-byte comparison of two builds' files (as collected by `collect`).

    A Starlark action's parameter file (`<output>-<n>.params`, from `args.use_param_file`) is
    written by Bazel when it runs the action, not restored with the outputs on a cache hit: one
    present in a single build is the trace of an action that ran there, not a difference of outputs.
    Parameter files present in both builds are compared like everything else."""
    only_first = sorted(f for f in set(first) - set(second) if not _is_action_param_file(f))
    only_second = sorted(f for f in set(second) - set(first) if not _is_action_param_file(f))
    different, details = [], []
    for relative in sorted(set(first) & set(second)):
        a, b = first[relative].read_bytes(), second[relative].read_bytes()
        if a != b:
            different.append(relative)
            details += _describe_difference(relative, a, b)
    return Comparison(only_first, only_second, different, details)


def find_leaks(files: dict[str, Path], forbidden: dict[str, str]) -> list[str]:
    """Occurrences of forbidden strings ({text: what it is}) in the files, with some context."""
    needles = {text.encode(): what for text, what in forbidden.items() if text}
    leaks = []
    for relative, path in files.items():
        data = path.read_bytes()
        for needle, what in needles.items():
            offset = data.find(needle)
            if offset >= 0:
                context = data[max(0, offset - 30):offset + len(needle) + 30]
                leaks.append(f"{relative}: contains {what} at byte {offset}: {context!r}")
    return leaks


def tar_problems(relative: str, path: Path) -> list[str]:
    """Members of a tar archive that record a time, an owner or a group (a hermetic archive has
    mtime 0, uid/gid 0 and no user or group names)."""
    problems = []
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.mtime != 0:
                problems.append(f"{relative}: member {member.name} has mtime {member.mtime} (not 0)")
            if member.uid or member.gid:
                problems.append(f"{relative}: member {member.name} has uid/gid {member.uid}/{member.gid}")
            if member.uname or member.gname:
                problems.append(
                    f"{relative}: member {member.name} names user/group {member.uname!r}/{member.gname!r}"
                )
    return problems


_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60


def ar_problems(relative: str, path: Path) -> list[str]:
    """Members of an ar archive (.a/.lo) with a timestamp or owner (archives must be written in
    deterministic mode: mtime, uid and gid 0)."""
    data = path.read_bytes()
    if not data.startswith(_AR_MAGIC):
        return []
    problems = []
    position = len(_AR_MAGIC)
    while position + _AR_HEADER <= len(data):
        header = data[position:position + _AR_HEADER]
        name = header[0:16].decode("ascii", "replace").strip()
        mtime, uid, gid = (header[a:b].strip() or b"0" for a, b in ((16, 28), (28, 34), (34, 40)))
        size = int(header[48:58].strip() or b"0")
        if (mtime, uid, gid) != (b"0", b"0", b"0"):
            problems.append(
                f"{relative}: member {name} has mtime/uid/gid {mtime.decode()}/{uid.decode()}/{gid.decode()}"
            )
        position += _AR_HEADER + size + (size % 2)
    return problems


def archive_problems(files: dict[str, Path]) -> list[str]:
    problems = []
    for relative, path in files.items():
        if relative.endswith(".tar"):
            problems += tar_problems(relative, path)
        elif relative.endswith((".a", ".lo")):
            problems += ar_problems(relative, path)
    return problems
