"""Golden files: the records a parser produces, committed as JSON and compared on every run.

Regenerate after a reviewed change with ``PLANGRAPH_UPDATE_GOLDEN=1 pytest tests/ingest``;
the diff is the review.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from plangraph.sources.model import Plan, to_jsonable

GOLDEN = Path(__file__).parent / "golden"


def dump(plan: Plan) -> str:
    return json.dumps(to_jsonable(plan), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def check_golden(plan: Plan, name: str) -> None:
    path = GOLDEN / f"{name}.json"
    text = dump(plan)
    if os.environ.get("PLANGRAPH_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with PLANGRAPH_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"records differ from {path}; review the diff and regenerate"
