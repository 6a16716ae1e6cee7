"""The ``plangraph`` command: parse arguments, call one library function, print.

User errors (:class:`plangraph.errors.PlangraphError`) print one line (or a report) to
stderr without a traceback and exit with the error's exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from plangraph.errors import PlangraphError
from plangraph.settings import Settings

if TYPE_CHECKING:
    from plangraph.store.remote import RemoteAccess


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph.graph.build import build, check_collapse, is_stale, write

    paths = settings.paths
    if args.if_stale and not is_stale(paths):
        print(f"dataset is up to date: {paths.graph}")
        return 0
    result = build(paths)
    if not args.force:
        check_collapse(result, paths.graph, settings.collapse_ratio)
    write(result, paths.graph)
    m = result.manifest
    print(f"built {m['triples']} triples in {len(m['graphs'])} graphs -> {paths.graph}")
    _cache_metrics(settings)
    for slug, n in m["plans"].items():
        print(f"  {slug}: {n} activities")
    print(f"validation: {len(result.report.violations)} violations, {m['warnings']} warnings")
    return 0


def _cache_metrics(settings: Settings) -> None:
    """Compute the new build's network metrics into data/cache/ now, so that a server
    started on it answers with them from the first request (it computes them aside, and
    serves the build again, when they are not cached)."""
    from plangraph.network import write_metrics_cache
    from plangraph.paths import cache_folder

    graph = settings.paths.graph
    queries = settings.paths.queries / "network"
    write_metrics_cache(str(graph), str(queries), str(cache_folder(graph)))


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph.errors import DatasetError
    from plangraph.graph.build import NQUADS
    from plangraph.shacl.validate import validate_nquads

    paths = settings.paths
    nq = paths.graph / NQUADS
    if not nq.exists():
        raise DatasetError("no built dataset: run 'plangraph build' first", file=nq)
    report = validate_nquads(nq.read_bytes(), paths.shapes, engine=args.engine)
    print(report.text(limit=args.limit))
    return 0 if report.conforms else 1


KEEP_ALIVE_SECONDS = 75


def request_head_bytes(max_query_length: int) -> int:
    """The largest request line and headers the HTTP server reads (h11's default was 16 KiB;
    llhttp has no limit of its own: server/http_guard.py keeps this one). A GET query within
    the length limit (characters) must reach the endpoint even when every character is 4
    bytes of UTF-8, percent-encoded (12 bytes), so that it is run or refused with a 400
    naming the limit. Beyond this, the server answers 431 and closes the connection."""
    return 16 * max_query_length + 64 * 1024


def _remote_access(settings: Settings) -> RemoteAccess:
    """The remote store's credentials as the settings give them (serve and publish)."""
    from plangraph.store.remote import RemoteAccess

    return RemoteAccess(settings.remote_user, settings.remote_password, settings.remote_auth)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from functools import partial

    if settings.store == "embedded":  # the query workers' fork server boots meanwhile
        from plangraph.store.pool import prestart

        prestart()

    import uvicorn

    from plangraph.settings import SERVE_RATE_DEFAULTS
    from plangraph.store.open_store import open_store
    from server.app import create_app
    from server.http_guard import guarded_protocol
    from server.limits import make_limiter
    from server.live import Build, LiveApp

    if not any(k.startswith("PLANGRAPH_RATE_") for k in os.environ):
        settings = replace(settings, **SERVE_RATE_DEFAULTS)  # type: ignore[arg-type]

    # one limiter for the apps of every build served: a reload keeps each client's budget
    # network metrics not cached for a build are computed aside while it is served
    make_app = partial(create_app, settings, limiter=make_limiter(settings), defer_metrics=True)
    if settings.store == "embedded":
        # a rebuild of data/graph/ is picked up while serving (server/live.py)
        live = LiveApp.from_folder(settings, make_app, sighup=True, owns_process=True)
    else:  # a remote store: its data is published there (plangraph publish), nothing to watch
        remote = open_store(
            settings.store,
            settings.paths.graph,
            access=_remote_access(settings),
            timeout=settings.query_timeout,
        )
        live = LiveApp(Build(remote, make_app(remote)), make_app, owns_process=True)
    store = live.current.store
    print(
        f"serving {store.triples} triples (build {store.build_id}) at http://{settings.host}:{settings.port}",
        flush=True,
    )
    # keep-alive longer than clients' idle pools (httpx: 5 s, uvicorn's own default): with
    # equal timeouts a client reused a connection the server was closing (the 10-minute load
    # saw 18 such transport errors in 69,928 requests)
    uvicorn.run(
        live,
        # httptools (llhttp) and uvloop, not the pure-Python h11 and asyncio loop (issue 21:
        # the fixed cost per request); the guard keeps the connection's limits
        http=guarded_protocol(
            settings.head_timeout,
            settings.body_timeout,
            settings.max_connections,
            request_head_bytes(settings.max_query_length),
        ),
        loop="uvloop",
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # the client is the peer address: X-Forwarded-For / X-Forwarded-Proto are not
        # trusted from anyone (uvicorn trusts them from 127.0.0.1 by default), so no client
        # picks its own rate-limit identity
        proxy_headers=False,
        forwarded_allow_ips="",
    )
    return 0


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph.store.embedded import EmbeddedStore

    text = sys.stdin.read() if args.query == "-" else args.query
    store = EmbeddedStore.from_folder(settings.paths.graph)
    out = store.query(text, args.format)
    sys.stdout.write(out.body.decode("utf-8"))
    if not out.body.endswith(b"\n"):
        sys.stdout.write("\n")
    return 0


def _overlaps(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from plangraph.store.embedded import EmbeddedStore
    from plangraph.views.overlaps import OverlapReader, overlaps_csv

    store = EmbeddedStore.from_folder(settings.paths.graph)
    reader = OverlapReader(store, settings.paths.queries / "overlaps")
    groups = reader.filter(
        theme=args.theme,
        party=args.party,
        plan=args.plan,
        year=args.year,
        min_score=args.min_score,
        confidence=args.confidence,
    )
    if args.format == "csv":
        sys.stdout.write(overlaps_csv(groups))
    else:
        sys.stdout.write(json.dumps({"total": len(groups), "items": groups}, indent=1) + "\n")
    return 0


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    import json
    from pathlib import Path

    queries = settings.paths.queries / "diff"
    if args.builds:
        from plangraph.views.release_note import compare_builds, release_note

        note = release_note(compare_builds(Path(args.a), Path(args.b), queries))
        if args.output:
            Path(args.output).write_text(note, encoding="utf-8")
        else:
            sys.stdout.write(note)
        return 0

    from plangraph.store.embedded import EmbeddedStore
    from plangraph.views.diff import DiffReader, diff, diff_csv, diff_text

    reader = DiffReader(EmbeddedStore.from_folder(settings.paths.graph), queries)
    d = diff(reader, args.a, args.b)
    if args.format == "json":
        body = json.dumps(d.to_json(), indent=1, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        body = diff_csv(d)
    else:
        body = diff_text(d)
    if args.output:
        Path(args.output).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
    return 0


def _network(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph import network as nw
    from plangraph.store.embedded import EmbeddedStore

    store = EmbeddedStore.from_folder(settings.paths.graph)
    data = nw.load(store, settings.paths.queries / "network")
    filters = nw.parse_filters(
        data,
        plan=args.plan,
        agreement=args.agreement,
        party=args.party,
        year=args.year,
        year_from=args.from_year,
        year_to=args.to_year,
        theme=args.theme,
        role=args.role,
        rollup=args.rollup,
        sub_activities=args.sub_activities,
        generic=args.generic,
    )
    if args.write_rdf:
        nw.metrics_rdf(data, filters).serialize(args.write_rdf, format="turtle")
        print(f"metrics written to {args.write_rdf}", file=sys.stderr)
    body, _ = nw.export(nw.network(data, filters, args.projection), args.format)
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(body)
    else:
        sys.stdout.write(body.decode("utf-8"))
        if not body.endswith(b"\n"):
            sys.stdout.write("\n")
    return 0


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph.store.publish import publish, validation_cache

    endpoint = settings.endpoint or settings.store.removeprefix("sparql+")
    if not endpoint.startswith(("http://", "https://")):
        raise PlangraphError(
            "no endpoint: give --endpoint URL (or PLANGRAPH_ENDPOINT)", param="--endpoint"
        )
    from plangraph.network import computed_graphs
    from plangraph.paths import cache_folder

    computed = computed_graphs(
        settings.paths.graph,
        settings.paths.queries / "network",
        cache=cache_folder(settings.paths.graph),
    )
    result = publish(
        settings.paths.graph,
        settings.paths.shapes,
        endpoint,
        settings.update_endpoint,
        settings.graph_store,
        access=_remote_access(settings),
        chunk=args.chunk,
        cache=None if args.no_cache else validation_cache(),
        progress=False if args.no_progress else None,
        computed=computed,
    )
    total = sum(result.counts.values())
    print(
        f"published build {result.build_id}: {total} triples in {len(result.counts)} graphs "
        f"to {endpoint} in {result.seconds:.1f} s"
    )
    for graph, n in sorted(result.counts.items()):
        print(f"  {graph}: {n}")
    return 0


def agency_suggester(settings: Settings) -> Callable[[str], list[str]]:
    """The reconciliation's top candidates for an agency name the registry does not know."""
    from plangraph.sources.registry import load_registry
    from plangraph.views.contribute import registry_suggester

    return registry_suggester(load_registry(settings.paths.agencies))


def _import(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from plangraph.errors import WorkbookError
    from plangraph.sources.workbook.importer import import_workbook

    try:
        done = import_workbook(
            Path(args.file),
            settings.paths,
            replace=args.replace,
            suggest=agency_suggester(settings),
            dry_run=args.check,
        )
    except WorkbookError as exc:
        if args.json:
            print(json.dumps(exc.to_json(), indent=1, ensure_ascii=False))
        where = f"{exc.file}: " if exc.file else ""
        for problem in exc.problems:
            cell = problem.get("cell")
            line = f"{problem['sheet']}!{cell}" if cell else str(problem["sheet"])
            text = f"{line} {problem['code']}: {problem['message']}"
            hints = problem.get("suggestions")
            if isinstance(hints, list) and hints:
                text += f" (did you mean {' or '.join(str(h) for h in hints)}?)"
            print(f"plangraph import: {where}{text}", file=sys.stderr)
        return exc.exit_code
    p = done.parsed
    steps = len(p.plan.activities)
    commitments = sum(len(a.commitments) for a in p.plan.activities)
    if args.json:
        print(json.dumps({"valid": True, "problems": [], "plan": p.info.slug}, indent=1))
    verb = "valid" if args.check else ("replaced" if done.replaced else "imported")
    print(
        f"{verb}: {p.info.slug}: {steps} steps, {commitments} commitments, "
        f"{len(p.new_agencies)} new agencies"
        + ("" if args.check else f" -> {done.file} (sha256 {done.sha256[:12]}…)"),
        file=sys.stderr if args.json else sys.stdout,
    )
    if not args.check:
        print("run 'plangraph build' to include it in the dataset", file=sys.stderr)
    return 0


def _template(args: argparse.Namespace, settings: Settings) -> int:
    from plangraph.sources.workbook.export import blank_template, export_plan

    data = export_plan(settings.paths, args.plan) if args.plan else blank_template(settings.paths)
    out = Path(args.output or (f"{args.plan}.xlsx" if args.plan else "plan-template.xlsx"))
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plangraph", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="sources -> validated dataset in data/graph/")
    b.add_argument("--if-stale", action="store_true", help="only if an input changed")
    b.add_argument(
        "--force", action="store_true", help="replace the dataset even if its size collapses"
    )
    b.set_defaults(func=_build)

    v = sub.add_parser("validate", help="validate the built dataset against the shapes")
    v.add_argument("--limit", type=int, default=50, help="results shown in full")
    v.add_argument(
        "--engine",
        choices=("sparql", "pyshacl"),
        default="sparql",
        help="SHACL engine: shapes compiled to SPARQL on pyoxigraph, or pyshacl (the reference)",
    )
    v.set_defaults(func=_validate)

    s = sub.add_parser("serve", help="serve the dataset over HTTP")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=None)
    s.add_argument(
        "--store", default=None, help="'embedded' (default) or sparql+http(s)://host:port/sparql"
    )
    s.set_defaults(func=_serve)

    pb = sub.add_parser("publish", help="load the built dataset into a remote SPARQL store")
    pb.add_argument("--endpoint", default=None, help="its SPARQL query endpoint")
    pb.add_argument("--update-endpoint", default=None, help="its SPARQL Update endpoint")
    pb.add_argument("--graph-store", default=None, help="its Graph Store Protocol endpoint")
    pb.add_argument(
        "--chunk",
        type=int,
        default=2000,
        help="triples per load request (Virtuoso 7.2 parses at most ~4900 per INSERT DATA)",
    )
    pb.add_argument("--no-progress", action="store_true", help="no progress bar")
    pb.add_argument("--no-cache", action="store_true", help="always re-run SHACL validation")
    pb.set_defaults(func=_publish)

    q = sub.add_parser("query", help="run a SPARQL query on the built dataset")
    q.add_argument("query", help="the query text, or - to read it from stdin")
    q.add_argument("--format", default=None, help="json, xml, csv, tsv | turtle, ntriples, rdfxml")
    q.set_defaults(func=_query)

    from plangraph.network import FORMATS, PROJECTIONS

    o = sub.add_parser("overlaps", help="kinds of work that several plans promise")
    o.add_argument("--theme", help="theme slug, e.g. victim-identification")
    o.add_argument("--party", help="party code, e.g. tha")
    o.add_argument("--plan", help="plan slug, e.g. khm-npa-2011-2013")
    o.add_argument("--year", type=int, help="a year some member is scheduled in")
    o.add_argument("--min-score", type=float, help="minimum score of a kind, 0-1")
    o.add_argument("--confidence", choices=("strong", "possible"), help="only this confidence")
    o.add_argument("--format", choices=("json", "csv"), default="json")
    o.set_defaults(func=_overlaps)

    d = sub.add_parser(
        "diff",
        help="compare two plans or plan versions (or, with --builds, two builds)",
        description="Steps and commitments added, removed and changed from A to B, each with "
        "its source lines. A and B: a plan slug (khm-tha-2023-2025), a version "
        "(khm-tha-2023-2025/annex-3) or an IRI; with --builds, two data/graph folders.",
    )
    d.add_argument("a", help="plan or version A (with --builds: the old data/graph folder)")
    d.add_argument("b", help="plan or version B (with --builds: the new data/graph folder)")
    d.add_argument("--builds", action="store_true", help="compare two builds: a Markdown note")
    d.add_argument("--format", choices=("text", "json", "csv"), default="text")
    d.add_argument("--json", action="store_const", const="json", dest="format", help="JSON")
    d.add_argument("--output", help="write to this file (default: stdout)")
    d.set_defaults(func=_diff)

    n = sub.add_parser("network", help="agency networks: metrics and exports")
    n.add_argument("--projection", choices=PROJECTIONS, default="agency")
    n.add_argument("--plan", action="append", help="a plan (slug or IRI); repeatable")
    n.add_argument("--agreement", action="append", help="an agreement; repeatable")
    n.add_argument("--party", action="append", help="a party (ISO code or IRI); repeatable")
    n.add_argument("--year", help="one year")
    n.add_argument("--from-year", help="first year of a range")
    n.add_argument("--to-year", help="last year of a range")
    n.add_argument("--theme", action="append", help="an action theme; repeatable")
    n.add_argument(
        "--role",
        action="append",
        help="a role, or 'all' (default: lead, responsible, "
        "implementing-partner, support); repeatable",
    )
    n.add_argument("--rollup", action="store_true", help="roll sub-units up into their parent")
    n.add_argument("--sub-activities", action="store_true", help="count sub-activities too")
    n.add_argument(
        "--generic",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="include catch-all groups and parties named instead of an agency "
        "(default: --no-generic, real bodies only; --no-generic is kept for scripts)",
    )
    n.add_argument("--format", choices=FORMATS, default="json")
    n.add_argument("--output", help="write to this file (default: stdout)")
    n.add_argument("--write-rdf", help="also write the agency metrics as Turtle to this file")
    n.set_defaults(func=_network)

    im = sub.add_parser("import", help="add a plan from a workbook (.xlsx, .ods, CSV folder/zip)")
    im.add_argument("file", help="the workbook, or a folder of CSV files")
    im.add_argument("--replace", action="store_true", help="replace a plan with the same slug")
    im.add_argument("--check", action="store_true", help="validate only; write nothing")
    im.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    im.set_defaults(func=_import)

    t = sub.add_parser("template", help="a blank plan workbook, or a plan exported to one")
    t.add_argument("--plan", help="export this plan (its slug) instead of a blank template")
    t.add_argument("--output", "-o", help="the .xlsx file to write")
    t.set_defaults(func=_template)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            store=getattr(args, "store", None),
            endpoint=getattr(args, "endpoint", None),
            update_endpoint=getattr(args, "update_endpoint", None),
            graph_store=getattr(args, "graph_store", None),
        )
        return args.func(args, settings)
    except PlangraphError as exc:
        print(f"plangraph {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
