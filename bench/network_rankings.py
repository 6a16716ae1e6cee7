"""The default network view's rankings against the old default (issue 22's closing figures).

Runs the CLI twice (``plangraph network --format metrics``: the default view, real bodies only,
ranked by distinct steps; and ``--generic``: catch-alls and parties included, the old default,
ranked here by commitments as it was) and prints the top 10 both ways and how many of the
default view's agencies changed rank. Usage: ``.venv/bin/python bench/network_rankings.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PLANGRAPH = str(Path(sys.executable).parent / "plangraph")


def metrics(*args: str) -> dict:
    out = subprocess.run(
        [PLANGRAPH, "network", "--format", "metrics", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def main() -> None:
    new, old = metrics(), metrics("--generic")
    before = [
        r["agency"]
        for r in sorted(old["agencies"], key=lambda r: (-r["obligation_load"], r["agency"]))
    ]
    after = [r["agency"] for r in new["agencies"]]
    for key, other in (("step_load", "obligation_load"), ("obligation_load", "step_load")):
        print(f"top 10 by {key} (with {other}):")
        for r in new["summary"][key]:
            print(f"  {r[key]:4} {r[other]:4}  {r['label']}")
    changed = sum(before.index(a) != i for i, a in enumerate(after))
    print(f"{len(before)} -> {len(after)} agencies; rank changed for {changed} of {len(after)}")


if __name__ == "__main__":
    main()
