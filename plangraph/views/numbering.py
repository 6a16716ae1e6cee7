"""The order of the numbers plans print: "1.2.10" after "1.2.9", "IV.1" after "III.8"."""

from __future__ import annotations

import re

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman(part: str) -> int | None:
    if not part or any(c not in _ROMAN for c in part):
        return None
    total = 0
    for i, c in enumerate(part):
        v = _ROMAN[c]
        total += -v if i + 1 < len(part) and _ROMAN[part[i + 1]] > v else v
    return total


def number_key(number: str | None) -> tuple[tuple[int, int, str], ...]:
    """Sort key for printed numbers: "1.2.10" after "1.2.9", "IV.1" after "III.8"."""
    key = []
    for part in re.split(r"[.\s]+", number or ""):
        if part.isdigit():
            key.append((0, int(part), ""))
        elif (r := _roman(part)) is not None:
            key.append((0, r, ""))
        else:
            key.append((1, 0, part))
    return tuple(key)
