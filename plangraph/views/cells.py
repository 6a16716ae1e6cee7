"""The values of SPARQL result cells, as the read model's queries return them.

``queries/api/*.rq`` aggregate lists with ``GROUP_CONCAT(...; separator="|")`` and return
counts and years as plain literals; a cell that is unbound is missing from the row.
"""

from __future__ import annotations


def group_values(value: str | None) -> list[str]:
    """The values of a ``GROUP_CONCAT`` cell (``"a|b"``), sorted, empty ones left out."""
    return sorted(v for v in (value or "").split("|") if v)


def int_or_none(value: str | None) -> int | None:
    """A cell as an integer; None when it is missing, empty or not a whole number."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
