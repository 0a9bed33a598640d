"""Text from outside, made safe — the one place it is done.

Every string that comes from a file, a server or a config passes :func:`clean_text` before it is
stored or shown: C0 and C1 control characters (ESC, BEL, NUL, CSI …) and the bidi overrides
(U+202A–U+202E, U+2066–U+2069) cannot move a cursor, retitle a terminal or reorder what an
official reads.  :func:`one_line` is for texts that must stay on one line (error messages that
name a file, a cell or a server's answer); :func:`fold` is how names are compared.

Pure Python, no dependencies: every layer may use it.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL_RE", "clean_text", "has_control", "one_line", "fold", "shown_path"]

#: C0 controls (tab, newline and carriage return included: the callers decide about those),
#: DEL, C1 controls, and the bidi embedding/override/isolate characters.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_WHITESPACE_CONTROLS = re.compile("[\t\r\n\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character :func:`clean_text` would remove or replace."""
    return CONTROL_RE.search(text) is not None


def clean_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without control characters: tabs and line breaks become spaces (kept as
    ``\\n`` with ``keep_newlines``), every other control and bidi override is dropped."""
    if not text or CONTROL_RE.search(text) is None:
        return text
    if keep_newlines:
        text = text.replace("\r\n", "\n")
        text = re.sub("[\t\x0b\x0c\x1c-\x1f\x85\u2028\u2029\r]", " ", text)
        return re.sub("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]", "", text)
    text = _WHITESPACE_CONTROLS.sub(" ", text)
    return CONTROL_RE.sub("", text)


def one_line(text: object, limit: int | None = None) -> str:
    """A text safe for a one-line message: line breaks shown as ``\\n``, other controls
    dropped, runs of spaces collapsed; cut to ``limit`` characters with «…»."""
    text = str(text)
    text = _LINE_BREAKS.sub(lambda m: "\\n" * max(1, m.group(0).count("\n") or 1), text)
    text = " ".join(clean_text(text).split())
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def shown_path(path: object) -> str:
    """A file name or path for a message: on one line, controls escaped (a newline in a
    file's name prints as ``\\n``)."""
    return one_line(path)


def fold(text: object) -> str:
    """How names are compared: case-insensitive, ё = е, spaces collapsed."""
    return " ".join(str(text).casefold().replace("ё", "е").split())
