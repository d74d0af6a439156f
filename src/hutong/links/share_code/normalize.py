"""Pasted text as the share-code parser reads it: invisible characters gone, NFKC applied.

Chat apps and copy-and-paste add zero-width characters, variation selectors,
Hangul fillers and full-width letters; `normalize` undoes all of them but
keeps currency symbols (the markers around a code) as they are.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["is_marker", "normalize"]

# Invisible characters that are not format characters (category Cf, which are
# stripped as a whole): variation selectors, the combining grapheme joiner and
# the Hangul fillers that chat apps render as nothing.
_INVISIBLE_EXTRA: Final = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
    + ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"]
)


def is_marker(char: str) -> bool:
    """Currency symbols (Unicode category Sc) are the markers around a code."""
    return unicodedata.category(char) == "Sc"


def _strip_invisible(text: str) -> str:
    return "".join(
        char for char in text if char not in _INVISIBLE_EXTRA and unicodedata.category(char) != "Cf"
    )


def _normal_marker(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 and is_marker(folded) else char


def normalize(text: str) -> str:
    """Pasted text as the parser reads it: invisible characters gone, NFKC applied.

    Currency symbols are kept as markers (₨ is not spelt out as ``Rs``) and
    NFKC is applied to the text between them, so nothing ever merges across a
    marker.
    """
    text = _strip_invisible(text)
    parts: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if is_marker(char):
            parts.append(unicodedata.normalize("NFKC", text[start:index]))
            parts.append(_normal_marker(char))
            start = index + 1
    parts.append(unicodedata.normalize("NFKC", text[start:]))
    return _strip_invisible("".join(parts))
