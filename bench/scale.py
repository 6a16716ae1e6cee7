"""Scale run: a synthetic corpus shaped like the real plans, on the embedded store and on
Virtuoso, side by side (not a test).

A seeded generator writes N-Quads (one named graph per plan plus a registry graph) with
the project's vocabulary: parties, agreements, plans with sections and numbered
activities (descriptions, years, themes, source spans), commitments (agency, role,
uncertain) and agencies with a hierarchy. The dataset folder gets a build.json like a real
build. Then:

- embedded: load time of :meth:`EmbeddedStore.from_folder`;
- Virtuoso: a private instance (tests/virtuoso_server.py), ``plangraph.store.publish`` load time
  (SHACL validation skipped: the corpus is synthetic);
- every catalog query (default parameters): median of ``--runs`` runs per store, and the
  row count (the largest results are listed).

    .venv/bin/python bench/scale.py [--triples 1000000] [--runs 5]
    .venv/bin/python bench/scale.py --triples 20000 --runs 1     # quick mode

Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plangraph.store.embedded import EmbeddedStore  # noqa: E402
from plangraph.store.publish import publish  # noqa: E402
from plangraph.store.query_catalog import load_catalog  # noqa: E402
from plangraph.store.remote import RemoteAccess, RemoteStore  # noqa: E402
from tests.virtuoso_server import running_virtuoso  # noqa: E402

ID = "https://w3id.org/plangraph/id/"
PG = "https://w3id.org/plangraph/ontology#"
GRAPH = "https://w3id.org/plangraph/graph/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG_SUB = "http://www.w3.org/ns/org#subOrganizationOf"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
XSD = "http://www.w3.org/2001/XMLSchema#"
ROLES = ["lead", "responsible", "implementing-partner", "support"]
THEMES = ["prevention", "protection", "prosecution", "partnership", "victim-identification"]
WORDS = [
    *("identify", "victims", "border", "train", "officers", "shelter", "referral"),
    *("prosecute", "labour", "migration", "cooperation", "data", "awareness", "campaign"),
    *("hotline", "repatriation", "reintegration", "law", "review"),
]


def lit(value: str, datatype: str | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"{text}^^<{datatype}>" if datatype else text


def generate(triples: int, seed: int = 7) -> list[str]:
    """About ``triples`` N-Quads lines (sorted, no duplicates)."""
    rnd = random.Random(seed)
    out: set[str] = set()
    reg = f"<{GRAPH}registry>"

    def q(s: str, p: str, o: str, g: str) -> None:
        out.add(f"<{s}> <{p}> {o} {g} .")

    parties = [f"p{i:02d}" for i in range(40)]
    agencies: list[str] = []
    for party in parties:
        piri = ID + f"party/{party}"
        q(piri, RDF_TYPE, f"<{PG}Party>", reg)
        q(piri, SKOS + "prefLabel", lit(f"Party {party.upper()}"), reg)
        q(piri, PG + "countryCode", lit(party.upper() + "X"), reg)
        parents: list[str] = []
        for a in range(60):
            airi = ID + f"agency/{party}/agency-{a}"
            agencies.append(airi)
            q(airi, RDF_TYPE, f"<{PG}Agency>", reg)
            q(airi, SKOS + "prefLabel", lit(f"Agency {a} of {party.upper()}"), reg)
            q(airi, SKOS + "altLabel", lit(f"AG{a}-{party}"), reg)
            q(airi, PG + "party", f"<{piri}>", reg)
            if parents and rnd.random() < 0.6:
                q(airi, ORG_SUB, f"<{rnd.choice(parents)}>", reg)
            else:
                parents.append(airi)
    agreements = [ID + f"agreement/a{i}" for i in range(30)]
    for i, ag in enumerate(agreements):
        q(ag, RDF_TYPE, f"<{PG}Agreement>", reg)
        q(ag, RDFS_LABEL, lit(f"Agreement {i}"), reg)
        for party in rnd.sample(parties, 2):
            q(ag, PG + "party", f"<{ID}party/{party}>", reg)
    plan_no = 0
    while len(out) < triples:
        slug = f"plan-{plan_no}"
        plan_no += 1
        g = f"<{GRAPH}{slug}>"
        plan = ID + f"plan/{slug}"
        start = rnd.randint(2000, 2022)
        plan_parties = rnd.sample(parties, rnd.randint(1, 3))
        q(plan, RDF_TYPE, f"<{PG}PlanOfAction>", g)
        q(plan, RDFS_LABEL, lit(f"Plan of Action {plan_no} {start}-{start + 2}"), g)
        q(plan, PG + "status", lit(rnd.choice(["draft", "final"])), g)
        q(plan, PG + "startYear", lit(str(start), XSD + "gYear"), g)
        q(plan, PG + "endYear", lit(str(start + 2), XSD + "gYear"), g)
        q(plan, PG + "implements", f"<{rnd.choice(agreements)}>", g)
        for party in plan_parties:
            q(plan, PG + "party", f"<{ID}party/{party}>", g)
        doc = ID + f"source/{slug}"
        q(doc, RDF_TYPE, f"<{PG}SourceDocument>", g)
        q(plan, PROV, f"<{doc}>", g)
        line = 1
        for s_no in range(1, rnd.randint(4, 9)):
            section = f"{plan}/section/{s_no}"
            q(section, RDF_TYPE, f"<{PG}Section>", g)
            q(section, RDFS_LABEL, lit(f"Area {s_no}"), g)
            q(section, PG + "plan", f"<{plan}>", g)
            for a_no in range(1, rnd.randint(10, 40)):
                number = f"{s_no}.{a_no}"
                act = f"{plan}/activity/{number}"
                q(act, RDF_TYPE, f"<{PG}Activity>", g)
                q(act, PG + "plan", f"<{plan}>", g)
                q(act, PG + "section", f"<{section}>", g)
                q(act, PG + "number", lit(number), g)
                q(act, DCT + "description", lit(" ".join(rnd.sample(WORDS, 8)).capitalize()), g)
                q(act, PG + "theme", f"<{ID}theme/{rnd.choice(THEMES)}>", g)
                for y in range(start, start + rnd.randint(1, 3)):
                    q(act, PG + "year", lit(str(y), XSD + "gYear"), g)
                span = f"{doc}/lines/{line}-{line + 2}"
                q(span, RDF_TYPE, f"<{PG}SourceSpan>", g)
                q(span, PG + "document", f"<{doc}>", g)
                q(span, PG + "startLine", lit(str(line), XSD + "integer"), g)
                q(span, PG + "endLine", lit(str(line + 2), XSD + "integer"), g)
                q(act, PROV, f"<{span}>", g)
                line += 3
                for c_no, agency in enumerate(rnd.sample(agencies, rnd.randint(1, 4))):
                    c = f"{act}/commitment/{c_no}"
                    q(c, RDF_TYPE, f"<{PG}Commitment>", g)
                    q(c, PG + "activity", f"<{act}>", g)
                    q(c, PG + "agency", f"<{agency}>", g)
                    q(c, PG + "role", f"<{ID}role/{rnd.choice(ROLES)}>", g)
                    q(c, PG + "mention", lit(agency.rsplit("/", 1)[-1]), g)
                    q(
                        c,
                        PG + "uncertain",
                        lit(str(rnd.random() < 0.05).lower(), XSD + "boolean"),
                        g,
                    )
                    q(c, PROV, f"<{span}>", g)
    return sorted(out)


def write_dataset(lines: list[str], folder: Path) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    graphs: dict[str, int] = {}
    for line in lines:
        g = line.rsplit(" ", 2)[-2].strip("<>")
        graphs[g] = graphs.get(g, 0) + 1
    (folder / "plangraph.nq").write_bytes(data)
    manifest = {
        "build_id": hashlib.sha256(data).hexdigest()[:16],
        "triples": len(lines),
        "graphs": dict(sorted(graphs.items())),
        "files": {"plangraph.nq": hashlib.sha256(data).hexdigest()},
        "synthetic": True,
    }
    (folder / "build.json").write_text(json.dumps(manifest, indent=1) + "\n")


def timed(store, text: str, bindings, runs: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        rows = len(store.select(text, bindings))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/scale.json")
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "queries")
    with tempfile.TemporaryDirectory(prefix="plangraph-scale-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        lines = generate(args.triples)
        write_dataset(lines, folder)
        print(f"generated {len(lines)} quads in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        embedded = EmbeddedStore.from_folder(folder)
        embedded_load = time.perf_counter() - started
        print(f"embedded: loaded in {embedded_load:.1f} s")
        with running_virtuoso(memory_mb=2048) as v:
            result = publish(
                folder,
                ROOT / "shapes",
                v.query_endpoint,
                v.update_endpoint,
                access=RemoteAccess("dba", v.password),
                validate=False,
                log=lambda _t: None,
            )
            print(f"virtuoso: published in {result.seconds:.1f} s")
            remote = RemoteStore(v.query_endpoint, timeout=args.timeout)
            queries = []
            for name, q in catalog.items():
                b = q.bindings({})
                timed(embedded, q.text, b, 1)  # warm-up
                e_ms, e_rows = timed(embedded, q.text, b, args.runs)
                timed(remote, q.text, b, 1)
                v_ms, v_rows = timed(remote, q.text, b, args.runs)
                queries.append(
                    {
                        "query": name,
                        "embedded_ms": round(e_ms, 2),
                        "virtuoso_ms": round(v_ms, 2),
                        "embedded_rows": e_rows,
                        "virtuoso_rows": v_rows,
                    }
                )
                print(f"  {name:32} {e_ms:9.1f} ms {v_ms:9.1f} ms  rows {e_rows} / {v_rows}")
    largest = sorted(queries, key=lambda r: -r["embedded_rows"])[:5]
    report = {
        "triples": len(lines),
        "graphs": len({line.rsplit(" ", 2)[-2] for line in lines}),
        "runs": args.runs,
        "load_seconds": {"embedded": round(embedded_load, 2), "virtuoso": round(result.seconds, 2)},
        "queries": queries,
        "largest_results": [{"query": r["query"], "rows": r["embedded_rows"]} for r in largest],
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
