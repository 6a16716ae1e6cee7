"""The ``plangraph`` command: parse arguments, call one library function, print.

User errors (:class:`plangraph.errors.PlangraphError`) print one line (or a report) to
stderr without a traceback and exit with the error's exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import PlangraphError
from .settings import Settings


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from .build import build, is_stale, write

    paths = settings.paths
    if args.if_stale and not is_stale(paths):
        print(f"dataset is up to date: {paths.graph}")
        return 0
    result = build(paths)
    write(result, paths.graph)
    m = result.manifest
    print(f"built {m['triples']} triples in {len(m['graphs'])} graphs -> {paths.graph}")
    for slug, n in m["plans"].items():
        print(f"  {slug}: {n} activities")
    print(f"validation: {len(result.report.violations)} violations, {m['warnings']} warnings")
    return 0


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from rdflib import Dataset

    from .build import NQUADS
    from .errors import DatasetError
    from .validate import validate_dataset

    paths = settings.paths
    nq = paths.graph / NQUADS
    if not nq.exists():
        raise DatasetError("no built dataset: run 'plangraph build' first", file=nq)
    ds = Dataset()
    ds.parse(nq, format="nquads")
    report = validate_dataset(ds, paths.shapes)
    print(report.text(limit=args.limit))
    return 0 if report.conforms else 1


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app

    from .store import EmbeddedStore

    if settings.store != "embedded":
        raise PlangraphError(f"unknown store {settings.store!r}", param="--store")
    store = EmbeddedStore.from_folder(settings.paths.graph)
    app = create_app(settings, store)
    print(
        f"serving {store.triples} triples (build {store.build_id}) at http://{settings.host}:{settings.port}"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from .store import EmbeddedStore

    text = sys.stdin.read() if args.query == "-" else args.query
    store = EmbeddedStore.from_folder(settings.paths.graph)
    out = store.query(text, args.format)
    sys.stdout.write(out.body.decode("utf-8"))
    if not out.body.endswith(b"\n"):
        sys.stdout.write("\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plangraph", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="sources -> validated dataset in data/graph/")
    b.add_argument("--if-stale", action="store_true", help="only if an input changed")
    b.set_defaults(func=_build)

    v = sub.add_parser("validate", help="validate the built dataset against the shapes")
    v.add_argument("--limit", type=int, default=50, help="results shown in full")
    v.set_defaults(func=_validate)

    s = sub.add_parser("serve", help="serve the dataset over HTTP")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--store", default=None, help="'embedded' (default)")
    s.set_defaults(func=_serve)

    q = sub.add_parser("query", help="run a SPARQL query on the built dataset")
    q.add_argument("query", help="the query text, or - to read it from stdin")
    q.add_argument("--format", default=None, help="json, xml, csv, tsv | turtle, ntriples, rdfxml")
    q.set_defaults(func=_query)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            store=getattr(args, "store", None),
        )
        return args.func(args, settings)
    except PlangraphError as exc:
        print(f"plangraph {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
