"""Publish the built dataset to a remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, ...).

Readers of a remote store (:class:`plangraph.store.remote.RemoteStore`) query exactly the graphs
named by the store's *publication record* (graph ``urn:plangraph:publication``: the live
build id, its graphs, their triple counts), so nothing else on the server is visible to
them. A publish therefore never touches what readers see until its very last request:

1. check the dataset folder: the files match ``build.json`` (hashes, per-graph counts) and
   the N-Quads conform to the shapes (:mod:`plangraph.shacl.validate`). A failure raises before
   anything is sent to the store;
2. drop staging graphs left by an interrupted publish (``urn:plangraph:staging:...``);
3. load each graph into its own staging graph in chunks (SPARQL ``INSERT DATA`` on the
   update endpoint, or Graph Store Protocol ``POST`` of N-Triples when a graph store URL is
   given), with a progress bar, and check the staging graph's triple count;
4. swap: *one* SPARQL Update request that ``MOVE``\\ s every staging graph onto its live
   graph, drops live graphs the new build no longer has and rewrites the publication
   record. Killing the publisher before this request leaves the previous publication as it
   was (staging graphs are invisible to readers and are dropped by the next publish); the
   server receives the swap whole or not at all;
5. check that the live graphs' triple counts equal the manifest's.

Publishing the same build twice gives the same store: the live graphs are replaced, not
added to, and no staging graph is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

from plangraph.errors import DatasetError, PlangraphError, ValidationFailed
from plangraph.graph.build import MANIFEST, NQUADS
from plangraph.store.remote import (
    PUB,
    PUBLICATION_GRAPH,
    STAGING_PREFIX,
    RemoteAccess,
    RemoteStore,
)

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class PublishError(PlangraphError):
    """The remote store refused or failed a publish step."""

    exit_code = 3
    http_status = 502
    kind = "publish-failed"


@dataclass
class Dataset:
    """A checked dataset folder: its build id and N-Triples lines per graph."""

    folder: Path
    build_id: str
    graphs: dict[str, list[str]]
    nquads: bytes = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {g: len(lines) for g, lines in self.graphs.items()}


@dataclass
class PublishResult:
    build_id: str
    counts: dict[str, int]
    seconds: float
    removed_graphs: list[str]


def read_dataset(folder: Path) -> Dataset:
    """The dataset in ``folder``, after checking its files against ``build.json``."""
    nq = folder / NQUADS
    try:
        data = nq.read_bytes()
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(
            "no built dataset: run 'plangraph build' first", file=exc.filename
        ) from None
    except ValueError:
        raise DatasetError("build manifest is not valid JSON", file=folder / MANIFEST) from None
    if manifest.get("build_id") != hashlib.sha256(data).hexdigest()[:16]:
        raise DatasetError("dataset does not match its build manifest (half-written?)", file=nq)
    for name, digest in (manifest.get("files") or {}).items():
        path = folder / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise DatasetError("file does not match its hash in build.json", file=path)
    graphs: dict[str, list[str]] = {}
    for i, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        head, _, graph = line.rstrip().removesuffix(".").rstrip().rpartition(" ")
        if not (graph.startswith("<") and graph.endswith(">")):
            raise DatasetError("a quad outside the named graphs", file=nq, line=i)
        graphs.setdefault(graph[1:-1], []).append(head + " .")
    if {g: len(v) for g, v in graphs.items()} != manifest.get("graphs"):
        raise DatasetError("per-graph triple counts differ from build.json", file=nq)
    return Dataset(folder, manifest["build_id"], graphs, data)


def _shapes_digest(shapes: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(shapes.glob("*.ttl")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def validation_cache() -> Path:
    """Where conforming (dataset, shapes) pairs are remembered: ``$XDG_CACHE_HOME/plangraph``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "plangraph" / "validated"


def validate_folder(dataset: Dataset, shapes: Path, cache: Path | None = None) -> None:
    """Raise :class:`ValidationFailed` unless the N-Quads conform to the shapes.

    With ``cache``, a conforming result is remembered under the SHA-256 of the N-Quads and
    of the shapes, so publishing the same build again does not re-run SHACL.
    """
    from rdflib import Graph

    from plangraph.shacl.loading import load_shapes
    from plangraph.shacl.reference import validate_graph

    key = hashlib.sha256(dataset.nquads).hexdigest() + "-" + _shapes_digest(shapes)[:32]
    if cache is not None and (cache / key).exists():
        return

    union = Graph()  # what the shapes see: every triple of the named graphs
    union.parse(
        data="\n".join(line for lines in dataset.graphs.values() for line in lines), format="nt"
    )
    report = validate_graph(union, load_shapes(shapes))
    if not report.conforms:
        raise ValidationFailed(
            "the dataset does not conform to the shapes; nothing was published\n"
            + report.text(limit=20)
        )
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / key).touch()


def staging_graph(build_id: str, graph: str) -> str:
    return f"{STAGING_PREFIX}{build_id}:{graph}"


def _ascii(text: str) -> str:
    """SPARQL / N-Triples text with every non-ASCII character as a \\u escape (charset-safe)."""

    def esc(m: re.Match[str]) -> str:
        c = ord(m.group())
        return f"\\u{c:04X}" if c <= 0xFFFF else f"\\U{c:08X}"

    return _NON_ASCII.sub(esc, text)


def _chunks(lines: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(lines), size):
        yield lines[i : i + size]


class Publisher:
    """The write side of a remote store: SPARQL Update (and optionally Graph Store) requests."""

    def __init__(
        self,
        endpoint: str,
        update_endpoint: str = "",
        graph_store: str = "",
        *,
        access: RemoteAccess | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.graph_store = graph_store
        access = access or RemoteAccess()
        self.http = httpx.Client(auth=access.httpx_auth(), timeout=timeout)
        self.reader = RemoteStore(endpoint, access=access, timeout=timeout, load=False)

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            detail = " ".join(response.text.split())[:500]
            raise PublishError(
                f"{what} failed with HTTP {response.status_code}: {detail}",
                file=str(response.request.url),
            )

    def update(self, sparql: str) -> None:
        try:
            response = self.http.post(
                self.update_endpoint,
                data={"update": _ascii(sparql)},
                headers={"Accept": "*/*"},
            )
        except httpx.HTTPError as exc:
            raise PublishError(f"SPARQL Update failed: {exc}", file=self.update_endpoint) from None
        self._check(response, "SPARQL Update")

    def post_triples(self, graph: str, lines: list[str]) -> None:
        body = _ascii("\n".join(lines) + "\n").encode("ascii")
        try:
            response = self.http.post(
                self.graph_store,
                params={"graph": graph},
                content=body,
                headers={"Content-Type": "text/turtle"},  # N-Triples is Turtle
            )
        except httpx.HTTPError as exc:
            raise PublishError(f"Graph Store POST failed: {exc}", file=self.graph_store) from None
        self._check(response, "Graph Store POST")

    def count(self, graph: str) -> int:
        rows = self.reader._select_raw(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", dataset=False
        )
        return int(rows[0]["n"]) if rows else 0

    def graphs_with_prefix(self, prefix: str) -> list[str]:
        rows = self.reader._select_raw(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}',
            dataset=False,
        )
        return sorted(r["g"] for r in rows)

    def published(self) -> RemoteStore | None:
        """The current publication (None when nothing is published)."""
        store = RemoteStore(
            self.reader.endpoint,
            access=self.reader.access,
            timeout=self.reader.timeout,
            load=False,
        )
        try:
            store.reload()
        except DatasetError:
            return None
        return store

    def load(self, graph: str, lines: list[str], chunk: int, bar: tqdm) -> None:
        """Load N-Triples lines in chunks. Triples with blank nodes (the ontology's OWL lists)
        go in one request of their own, so each blank node stays one node; they are sent as
        ``INSERT {...} WHERE {}`` (Virtuoso refuses blank nodes in INSERT DATA)."""
        plain = [line for line in lines if "_:" not in line]
        blank = [line for line in lines if "_:" in line]
        parts = list(_chunks(plain, chunk)) + ([blank] if blank else [])
        for part in parts:
            body = "\n".join(part)
            if self.graph_store:
                self.post_triples(graph, part)
            elif part is blank:
                self.update(f"INSERT {{ GRAPH <{graph}> {{\n{body}\n}} }} WHERE {{}}")
            else:
                self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
            bar.update(len(part))


def publication_record(build_id: str, counts: dict[str, int]) -> str:
    pub = f"<{PUBLICATION_GRAPH}>"
    lines = [f'{pub} <{PUB}build> "{build_id}" .']
    lines.append(f'{pub} <{PUB}published> "{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}" .')
    for graph, n in sorted(counts.items()):
        lines.append(f"{pub} <{PUB}graph> <{graph}> .")
        lines.append(f'<{graph}> <{PUB}triples> "{n}"^^<{XSD_INTEGER}> .')
    return "\n".join(lines)


def publish(
    folder: Path,
    shapes: Path,
    endpoint: str,
    update_endpoint: str = "",
    graph_store: str = "",
    *,
    access: RemoteAccess | None = None,
    chunk: int = 2000,
    validate: bool = True,
    cache: Path | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    computed: Mapping[str, bytes] | None = None,
) -> PublishResult:
    """Publish the dataset in ``folder`` (see the module docstring); returns the counts.

    ``validate=False`` skips the SHACL check (the scale benchmark's synthetic corpus only);
    ``progress`` None shows the bar when stderr is a terminal. ``computed``: graphs derived
    from the build (N-Triples by graph IRI: the network metrics, which the embedded store adds
    when it loads and a remote store, read-only to the server, cannot), published beside the
    dataset's own graphs after its validation.
    """
    say = log or (lambda text: tqdm.write(text, file=sys.stderr))
    started = time.perf_counter()
    dataset = read_dataset(folder)
    if validate:
        say(f"validating build {dataset.build_id} ...")
        validate_folder(dataset, shapes, cache)
    for name, body in sorted((computed or {}).items()):
        if name in dataset.graphs:
            raise PublishError(f"computed graph {name} is a graph of the dataset", file=folder)
        dataset.graphs[name] = [
            line.strip() for line in body.decode("utf-8").splitlines() if line.strip()
        ]
    pub = Publisher(endpoint, update_endpoint, graph_store, access=access)
    try:
        previous = pub.published()
        for leftover in pub.graphs_with_prefix(STAGING_PREFIX):
            pub.update(f"DROP SILENT GRAPH <{leftover}>")
            say(f"dropped leftover staging graph {leftover}")
        total = sum(dataset.counts.values())
        disable = None if progress is None else not progress
        with tqdm(
            total=total, unit="triples", desc="staging", file=sys.stderr, disable=disable
        ) as bar:
            for graph, lines in sorted(dataset.graphs.items()):
                stage = staging_graph(dataset.build_id, graph)
                pub.load(stage, lines, chunk, bar)
                got = pub.count(stage)
                if got != len(lines):
                    raise PublishError(
                        f"staging graph of {graph} holds {got} triples, expected {len(lines)}; "
                        "the published data is unchanged",
                        file=endpoint,
                    )
                say(f"staged {graph} ({got} triples)")
        gone = sorted(previous.graphs() - set(dataset.graphs)) if previous else []
        swap = [
            f"MOVE SILENT <{staging_graph(dataset.build_id, g)}> TO <{g}>"
            for g in sorted(dataset.graphs)
        ]
        swap += [f"DROP SILENT GRAPH <{g}>" for g in gone]
        swap.append(f"DROP SILENT GRAPH <{PUBLICATION_GRAPH}>")
        record = publication_record(dataset.build_id, dataset.counts)
        swap.append(f"INSERT DATA {{ GRAPH <{PUBLICATION_GRAPH}> {{\n{record}\n}} }}")
        pub.update(" ;\n".join(swap))
        say(f"swapped {len(dataset.graphs)} graphs in (build {dataset.build_id})")
        live = pub.published()
        counts = live.graph_counts if live else {}
        actual = {g: pub.count(g) for g in sorted(dataset.graphs)}
        if live is None or live.build_id != dataset.build_id or actual != dataset.counts:
            raise PublishError(
                f"after publishing, the store's counts {actual} differ from the build's "
                f"{dataset.counts}",
                file=endpoint,
            )
        return PublishResult(
            dataset.build_id, counts, time.perf_counter() - started, removed_graphs=gone
        )
    finally:
        pub.close()
