"""Check and time the other formulations of the catalog queries (bench/formulations/).

Every ``bench/formulations/{query}--{variant}.rq`` must return exactly what
``queries/{query}.rq`` returns: the same variables, the same rows as multisets and, where
the catalog query has ORDER BY, in the same order (GROUP_CONCAT lists are compared sorted:
their order is not defined). Parameters are bound as bench/run.py binds them (the header's
defaults, by a trailing VALUES); each parameter is also checked bound to values sampled from
the corpus (the catalog query's own answers without the binding), so a variant is right for
any request, not only for the defaults (on corpora over --sample-max triples, queries whose
parameters have defaults are checked with the defaults only: run unbound, as sampling needs,
some are very slow).

Then each query and its variants are timed in-process on pyoxigraph (the corpus loaded from
its N-Quads, queried with the union default graph as plangraph/store/embedded.py does): runs are
interleaved (catalog, variant 1, variant 2, ... then again, the order rotated each round)
and the median is reported with the ratio catalog/variant (>1: the variant is faster).
Times are the CPU time of the querying thread by default (``--clock wall``: elapsed time):
on a loaded machine they vary far less than elapsed time. A variant over --slow times the
catalog query (and over 1 s) is run once and not timed further; --skip leaves variants out
(the known pathological ones take minutes on 300k triples).

    .venv/bin/python bench/formulations_check.py                      # real, 100k, 300k
    .venv/bin/python bench/formulations_check.py --corpus real --corpus 1000000 \\
        --query shared-agencies --runs 9
    .venv/bin/python bench/formulations_check.py --all --no-time      # every query, check only
    .venv/bin/python bench/formulations_check.py --all \\
        --skip agencies-in-several-plans--union-first --skip activities-without-agency--not-exists

Corpora: ``real`` (data/graph/plangraph.nq), ``fixture`` (tests/queries/fixture.trig) or a
triple count (bench/scale.py's generator, seed 7, cached under --cache). Exits 1 when a
variant's results differ.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import pyoxigraph as ox  # noqa: E402

from plangraph.store.bindings import bind_values  # noqa: E402
from plangraph.store.query_catalog import CatalogQuery, load_catalog  # noqa: E402

FORMULATIONS = ROOT / "bench" / "formulations"
_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\((?:[^()]|\([^()]*\))*?separator\s*=\s*\"([^\"]*)\"\s*\)\s*AS\s*\?(\w+)",
    re.I | re.S,
)
_ORDERED = re.compile(r"\bORDER\s+BY\b", re.I)
_SELECT = re.compile(r"^SELECT\s+(DISTINCT\s+)?.*?\bWHERE\b", re.M | re.S)

Rows = list[tuple[str | None, ...]]


def load_corpus(spec: str, cache: Path) -> ox.Store:
    store = ox.Store()
    if spec == "real":
        store.load(path=str(ROOT / "data" / "graph" / "plangraph.nq"), format=ox.RdfFormat.N_QUADS)
    elif spec == "fixture":
        store.load(path=str(ROOT / "tests" / "queries" / "fixture.trig"), format=ox.RdfFormat.TRIG)
    else:
        triples = int(float(spec))
        folder = cache / str(triples)
        nq = folder / "plangraph.nq"
        if not nq.exists():
            from scale import generate, write_dataset  # bench/scale.py: the shared generator

            folder.mkdir(parents=True, exist_ok=True)
            write_dataset(generate(triples, seed=7), folder)
        store.load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    return store


def variants_of(name: str, skip: list[str] | None = None) -> dict[str, str]:
    return {
        p.stem.split("--", 1)[1]: p.read_text(encoding="utf-8")
        for p in sorted(FORMULATIONS.glob(f"{name}--*.rq"))
        if not any(fnmatch.fnmatch(p.stem, pattern) for pattern in skip or ())
    }


def execute(store: ox.Store, text: str) -> tuple[list[str], Rows]:
    result = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    rows = [tuple(None if t is None else str(t) for t in s) for s in result]
    return names, rows


def normalise(names: list[str], rows: Rows, concat: dict[str, str]) -> Rows:
    """GROUP_CONCAT values with their parts sorted (the engine may list them in any order)."""
    cols = {i: concat[n] for i, n in enumerate(names) if n in concat}
    if not cols:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for i, sep in cols.items():
            if cells[i] is not None:
                lexical, _, suffix = cells[i].rpartition('"')
                body = lexical[1:] if lexical.startswith('"') else lexical
                cells[i] = '"' + sep.join(sorted(body.split(sep))) + '"' + suffix
        out.append(tuple(cells))
    return out


def compare(ref: tuple[list[str], Rows], got: tuple[list[str], Rows], ordered: bool) -> str | None:
    """None when the same, else what differs."""
    if ref[0] != got[0]:
        return f"variables {got[0]} != {ref[0]}"
    if Counter(ref[1]) != Counter(got[1]):
        missing = Counter(ref[1]) - Counter(got[1])
        extra = Counter(got[1]) - Counter(ref[1])
        return (
            f"rows: {len(got[1])} vs {len(ref[1])}, {sum(missing.values())} missing "
            f"(e.g. {next(iter(missing), None)}), {sum(extra.values())} extra "
            f"(e.g. {next(iter(extra), None)})"
        )
    if ordered and ref[1] != got[1]:
        at = next(i for i, (a, b) in enumerate(zip(ref[1], got[1], strict=True)) if a != b)
        return f"same rows, another order (first at row {at})"
    return None


def samples(
    store: ox.Store, q: CatalogQuery, per_param: int, defaults_too: bool = True
) -> list[dict[str, str]]:
    """Parameter values to check with: each parameter bound to values it takes in the
    catalog query's answers when left unbound (the first ones and some further down).
    A query whose parameters have defaults is never run unbound by the catalog, and may be
    very slow so (activity-sources on 300k triples: minutes): ``defaults_too=False`` leaves
    it out."""
    out: list[dict[str, str]] = []
    if not defaults_too and any(p.default is not None for p in q.params):
        return out
    names, rows = execute(store, q.text)
    if any(p.name not in names for p in q.params):
        # a parameter the outer level binds but does not project (the query does not
        # aggregate then): its values from the same query selecting every variable
        names, rows = execute(store, _SELECT.sub(r"SELECT \1* WHERE", q.text, count=1))
    for p in q.params:
        if p.name not in names:
            continue
        i = names.index(p.name)
        values = list(dict.fromkeys(r[i] for r in rows if r[i] is not None))
        picked = values[:1] + values[len(values) // 2 :: max(1, len(values) // per_param)]
        for v in picked[:per_param]:
            raw = v.strip("<>") if v.startswith("<") else v.split('"')[1]
            out.append({p.name: raw})
    return out


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def timed(store: ox.Store, text: str, clock: str) -> float:
    """Milliseconds to run ``text`` and read every solution: CPU time of this thread by
    default (the engine runs in it), which other processes on the machine disturb far less
    than wall-clock time."""
    now = CLOCKS[clock]
    t = now()
    for s in store.query(text, use_default_graph_as_union=True):
        tuple(s)
    return (now() - t) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="real, fixture or a triple count")
    parser.add_argument("--query", action="append", help="only these catalog queries")
    parser.add_argument("--all", action="store_true", help="also queries with no variants")
    parser.add_argument(
        "--skip", action="append", help="leave out these variants (query--variant, * allowed)"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per formulation")
    parser.add_argument("--budget", type=float, default=20.0, help="s per query and corpus")
    parser.add_argument("--samples", type=int, default=2, help="sampled values per parameter")
    parser.add_argument(
        "--sample-max",
        type=int,
        default=150_000,
        help="on larger corpora, queries whose "
        "parameters have defaults are checked with the defaults only (unbound, they can be slow)",
    )
    parser.add_argument("--no-time", action="store_true", help="check results only")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="what to time")
    parser.add_argument(
        "--slow",
        type=float,
        default=20.0,
        help="a variant over this many times the catalog "
        "query (and over 1 s) is run once, on the defaults, and not timed further",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/plangraph-formulations"))
    parser.add_argument("--json", type=Path, help="write the timings here")
    args = parser.parse_args()
    corpora = args.corpus or ["real", "100000", "300000"]
    catalog = load_catalog(ROOT / "queries")
    names = args.query or sorted(catalog)
    unknown = [n for n in names if n not in catalog]
    if unknown:
        parser.error(f"not catalog queries: {unknown}")
    if not args.all and not args.query:
        names = [n for n in names if variants_of(n)]
    failures = 0
    report: dict[str, Any] = {}
    for corpus in corpora:
        started = time.perf_counter()
        store = load_corpus(corpus, args.cache)
        print(
            f"\n== {corpus}: {len(store)} quads, loaded in {time.perf_counter() - started:.1f} s"
            f" ({args.clock} ms, median of up to {args.runs} interleaved runs)"
        )
        report[corpus] = {}
        for name in names:
            q = catalog[name]
            forms = {"catalog": q.text, **variants_of(name, args.skip)}
            concat = {m.group(2): m.group(1) for m in _CONCAT.finditer(q.text)}
            ordered = bool(_ORDERED.search(q.text))
            checks = [{}]
            if args.samples:
                big = len(store) > args.sample_max
                checks += samples(store, q, args.samples, defaults_too=not big)
            bad: dict[str, str] = {}
            slow: dict[str, float] = {}  # variant -> ms of its one run (not timed further)
            rows = 0
            for params in checks:
                bindings = q.bindings(params)
                t = time.perf_counter()
                ref_names, ref_rows = execute(store, bind_values(q.text, bindings))
                ref_ms = (time.perf_counter() - t) * 1000
                ref = (ref_names, normalise(ref_names, ref_rows, concat))
                if not params:
                    rows = len(ref_rows)
                for variant, text in forms.items():
                    if variant == "catalog" or variant in bad or variant in slow:
                        continue
                    try:
                        t = time.perf_counter()
                        got_names, got_rows = execute(store, bind_values(text, bindings))
                        ms = (time.perf_counter() - t) * 1000
                    except (SyntaxError, OSError) as exc:
                        bad[variant] = f"error: {exc}"
                        continue
                    if not params and ms > 1000 and ms > args.slow * ref_ms:
                        slow[variant] = ms  # checked on the defaults only
                    why = compare(ref, (got_names, normalise(got_names, got_rows, concat)), ordered)
                    if why:
                        bad[variant] = f"{why} with {params or 'the defaults'}"
            for variant, why in bad.items():
                failures += 1
                print(f"  DIFFERENT {name}--{variant}: {why}")
            tag = f"{len(checks)} bindings" if len(checks) > 1 else "defaults"
            if args.no_time:
                ok = [v for v in forms if v != "catalog" and v not in bad]
                print(f"  {name:28} {rows:7} rows  same ({tag}): {', '.join(ok) or '-'}")
                continue
            texts = {
                v: bind_values(t, q.bindings({}))
                for v, t in forms.items()
                if v not in bad and v not in slow
            }
            times: dict[str, list[float]] = {v: [] for v in texts}
            order = list(texts)
            begun = time.perf_counter()
            for r in range(args.runs):
                if r >= 3 and time.perf_counter() - begun > args.budget:
                    break
                for v in order[r % len(order) :] + order[: r % len(order)]:
                    times[v].append(timed(store, texts[v], args.clock))
            med = {v: statistics.median(t) for v, t in times.items()}
            fastest = min(med, key=med.get)
            base = med["catalog"]
            print(
                f"  {name:28} {rows:7} rows  catalog {base:9.2f} ms  fastest {fastest} "
                f"{med[fastest]:9.2f} ms  catalog/fastest {base / med[fastest]:5.2f}"
                f"  (n={len(times['catalog'])}, checked: {tag})"
            )
            for v in texts:
                if v != "catalog":
                    print(f"      {v:36} {med[v]:9.2f} ms  catalog/variant {base / med[v]:5.2f}")
            for v, ms in slow.items():
                print(f"      {v:36} {ms:9.2f} ms  (one run: over {args.slow:g}x the catalog)")
            report[corpus][name] = {
                "rows": rows,
                "median_ms": {v: round(m, 3) for v, m in med.items()},
                "slow_one_run_ms": {v: round(m, 1) for v, m in slow.items()},
                "runs": len(times["catalog"]),
                "fastest": fastest,
                "catalog_over_fastest": round(base / med[fastest], 3),
                "different": bad,
            }
        del store
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if failures:
        print(f"\n{failures} variant(s) return other results than their catalog query")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
