"""Time to validate and import a generated 1,000-step plan workbook (issue 19).

Writes a workbook of N steps (10 sections; 2 commitments, 1 output and 1 note per step;
agencies from the registry) with the template writer, then, in a copy of the project's inputs,
times: reading the .xlsx (python-calamine), validating every cell (the registry included),
``plangraph import`` as a whole (read, validate, write data/), and the build with it. Each
figure is the median of --repeat runs, with min and max.

    .venv/bin/python bench/workbook_import.py            # 1,000 steps, 5 runs
    .venv/bin/python bench/workbook_import.py --steps 200 --repeat 2

Writes bench/results/workbook-import.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plangraph.graph.build import build  # noqa: E402
from plangraph.sources.workbook.export import context  # noqa: E402
from plangraph.sources.workbook.importer import import_workbook  # noqa: E402
from plangraph.sources.workbook.reader import read_bytes  # noqa: E402
from plangraph.sources.workbook.validate import check  # noqa: E402
from plangraph.sources.workbook.writer import Row, write_workbook  # noqa: E402
from tests.conftest import copy_project  # noqa: E402

AGENCIES = [
    ("Ministry of Social Affairs, Veterans and Youth Rehabilitation", "khm"),
    ("Ministry of Interior", "khm"),
    ("IOM", None),
    ("UNODC", None),
]
VERBS = ["Train", "Develop", "Conduct", "Strengthen", "Review", "Establish", "Support"]
OBJECTS = [
    "law enforcement officers on victim identification",
    "a referral mechanism for victims of trafficking",
    "awareness campaigns on safe migration in border provinces",
    "shelters and reintegration services for child victims",
    "cross-border investigation of trafficking cases",
    "data collection on trafficking prosecutions",
]


def generate(steps: int) -> dict[str, list[Row]]:
    sections: list[Row] = [
        {"key": f"area-{i}", "number": str(i), "kind": "area", "title": f"Area {i}"}
        for i in range(1, 11)
    ]
    rows: list[Row] = []
    commitments: list[Row] = []
    results: list[Row] = []
    notes: list[Row] = []
    for n in range(steps):
        number = f"{n % 10 + 1}.{n // 10 + 1}"
        text = f"{VERBS[n % len(VERBS)]} {OBJECTS[n % len(OBJECTS)]} (step {n + 1})"
        rows.append(
            {
                "number": number,
                "section": f"area-{n % 10 + 1}",
                "text": text,
                "years": ", ".join(str(2021 + (n + k) % 3) for k in range(2)),
                "source": f"p. {n // 20 + 1}",
            }
        )
        for k in range(2):
            name, party = AGENCIES[(n + k) % len(AGENCIES)]
            commitments.append(
                {
                    "step": number,
                    "agency": name,
                    "role": "lead" if k == 0 else "support",
                    "party": party,
                }
            )
        results.append({"step": number, "type": "output", "text": f"Output of step {n + 1}"})
        notes.append({"step": number, "kind": "implementation-status", "text": "Ongoing"})
    plan: Row = {
        "slug": "bench-generated-plan",
        "title": f"A generated plan of {steps} steps",
        "kind": "joint plan",
        "status": "draft",
        "parties": "khm, tha",
        "start_year": 2021,
        "end_year": 2023,
        "document_title": "A generated plan (benchmark)",
    }
    return {
        "plan": [plan],
        "sections": sections,
        "steps": rows,
        "commitments": commitments,
        "results": results,
        "notes": notes,
    }


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "workbook-import.json"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = copy_project(Path(tmp))
        ctx = context(paths)
        data = write_workbook(ctx, generate(args.steps))
        book_path = Path(tmp) / "generated.xlsx"
        book_path.write_bytes(data)
        catalog_text = paths.catalog.read_bytes()
        agencies_text = paths.agencies.read_bytes()
        from plangraph.sources.catalog import load_source_catalog
        from plangraph.sources.registry import load_registry

        registry = load_registry(paths.agencies)
        agreements = tuple(a.slug for a in load_source_catalog(paths.catalog).agreements)

        def validate() -> None:
            parsed, report = check(read_bytes(data, "generated.xlsx"), registry, agreements)
            assert parsed is not None, report.text()[:500]

        def do_import() -> None:
            paths.catalog.write_bytes(catalog_text)
            paths.agencies.write_bytes(agencies_text)
            import_workbook(book_path, paths, replace=True)

        results = {
            "steps": args.steps,
            "workbook_bytes": len(data),
            "read_s": timed(lambda: read_bytes(data, "generated.xlsx"), args.repeat),
            "read_and_validate_s": timed(validate, args.repeat),
            "import_s": timed(do_import, args.repeat),
        }
        do_import()
        results["build_with_it_s"] = timed(lambda: build(paths), 1)
        results["repeat"] = args.repeat
        results["machine"] = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        }
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
