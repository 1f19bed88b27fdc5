"""C identifiers derived from user-chosen names (tensor names, module and pool names).

Rules (deterministic, so the same model always gives the same header):
- every character that is not [A-Za-z0-9_] becomes "_", like TVM's name sanitiser;
- a leading digit or a C keyword gets a "_" prefix / suffix so the result is a valid identifier;
- names must stay unique even upper-cased (they become macros), so later duplicates get
  "_1", "_2", ... appended in declaration order (inputs before outputs).
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary".split()
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name)) and name not in C_KEYWORDS


def sanitize(name: str, fallback: str) -> str:
    """`name` as a C identifier; `fallback` when nothing usable is left."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not cleaned.strip("_"):
        cleaned = fallback
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    if cleaned in C_KEYWORDS:
        cleaned += "_"
    return cleaned


def unique_names(names: Sequence[str], fallbacks: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """Sanitise each name and make all of them unique case-insensitively (and not `reserved`)."""
    taken = {r.upper() for r in reserved}
    result = []
    for name, fallback in zip(names, fallbacks):
        base = sanitize(name, fallback)
        candidate, counter = base, 0
        while candidate.upper() in taken:
            counter += 1
            candidate = f"{base}_{counter}"
        taken.add(candidate.upper())
        result.append(candidate)
    return result


def c_string(text: str) -> str:
    """A C string literal for arbitrary text (non-ASCII and specials as octal escapes)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F and char != "?":  # "?" avoids trigraphs
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def c_comment(text: str) -> str:
    """`text` made safe inside a /* */ comment: no comment delimiters, trigraphs or control chars."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
