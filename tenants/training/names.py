"""Names of the people trained, as typed in the attendance grid or found on a sign-in sheet,
turned into the keys that distinct trained staff are counted by (WH-1, CQ-1 bonus).

The same person must give the same key however the name was typed, so a name is folded before
it is compared: NFKC (full-width letters, digits, spaces and punctuation become half-width),
the middle dots of minority and foreign names made one, spaces dropped next to Chinese
characters (sheets pad two-character names: "王  五"), other runs of spaces made one, and case
folded. Names are separated by commas, semicolons, 、 or new lines — not by spaces, which also
sit inside Latin names ("Anna Li"): two Chinese names split by a space read as one name, which
undercounts and never overcounts.
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 64  # characters of one name, folded
TEXT_MAX = 20_000  # characters of one attendance row's names: thousands of names

_SEPARATORS = re.compile(r"[,;、\n\r]+")  # after NFKC: ， → ,  ； → ;
_DOTS = re.compile(r"[·•‧・∙⋅]")
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
_SPACE_BY_CJK = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")
_SPACES = re.compile(r"\s+")


def fold(name: str) -> str:
    """The key of one name ("" when nothing is left)."""
    name = _DOTS.sub("·", unicodedata.normalize("NFKC", name))
    name = _SPACE_BY_CJK.sub("", name.strip())
    return _SPACES.sub(" ", name).casefold()


def split(text: str) -> list[str]:
    """The distinct keys of a names text, in the order given (the same person twice at one
    event is one trainee)."""
    keys = (fold(part) for part in _SEPARATORS.split(unicodedata.normalize("NFKC", text or "")))
    return list(dict.fromkeys(k for k in keys if k))
