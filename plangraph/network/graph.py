"""Networks of agencies and their obligations: built from SPARQL results, measured, exported.

Everything is read through the store with the queries in ``queries/network/`` (one bounded
read per kind of thing: commitments, steps, agents, plans, themes); filters are applied in
Python on those rows, never pasted into SPARQL text.

The bipartite network links agencies to the steps they are committed to (one edge per agency
and step; its attributes are the commitments' roles, plan, agreement, years, uncertainty).
Projections:

``agency``
    co-responsibility: two agencies are linked when they are committed to the same step;
    ``weight`` is the number of such shared steps, ``plans`` the plans they share them in.
``agency-plan`` / ``agency-agreement``
    agency to plan (or agreement), ``weight`` the agency's commitments there. The Cambodian
    national plan implements no agreement, so its commitments have no edge in
    ``agency-agreement``.
``party``
    party to party: ``weight`` the steps on which agencies of both parties are committed.
    International bodies belong to no party and are not in this projection.

Decisions (the defaults):

- **Steps.** Commitments for numbered activities (pg:Activity), work items, and quarterly
  activities are counted. Sub-activities (pg:SubActivity) are left out unless
  ``sub_activities`` is set: in the China–Cambodia plan they repeat their parent activity's
  agencies, so counting them would count one obligation twice. Commitments made for a whole
  section (the parties participating in a COMMIT project proposal concept) are not steps and
  are not in the network.
- **Roles.** The default roles are lead, responsible, implementing-partner and support:
  responsibility for carrying a step out. Resourcing (funding) is a different relation (in
  the national plan "development partners" fund most activities) and participant is used
  only for section-level participation; ``roles=ALL_ROLES`` (``--role all``) includes them.
- **Catch-alls and parties.** Agencies of kind ``unspecified-group`` ("competent
  authorities concerned") and parties standing in for an agency (pg:agency pointing to a
  pg:Party, node kind ``party``) are nodes by default, marked by their kind so a client can
  hide them; ``generic=False`` drops them.
- **Obligation load** of an agency is the number of distinct (step, role) commitments it
  carries under the filters (after roll-up, so a ministry and its department committed to
  the same step in the same role count once); ``load_<role>`` breaks it down by role.
- **Years.** A commitment is in the years of its own pg:year, else its step's, else its
  plan's period; a year filter keeps commitments with a year in the range.
- **Party filter** keeps commitments whose agency belongs to the party (or is the party, or
  acts on its behalf).
- **Roll-up** replaces every agency by its top-most parent body (org:subOrganizationOf).

Metrics are computed on the projection asked for (for agencies: on the co-responsibility
network): weighted degree, betweenness (normalised, on hops: weights are strengths, not
distances), PageRank (weighted), Louvain communities (seed 42), connected components. Every
metric is deterministic: nodes and edges are added in sorted order and the seed is fixed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from plangraph.errors import QueryError
from plangraph.network.filters import Filters
from plangraph.network.filters import parse_filters as parse_filters
from plangraph.network.filters import root_of as root_of
from plangraph.network.filters import select as select
from plangraph.network.lazy_networkx import nx
from plangraph.network.loader import load
from plangraph.network.metrics import ALGORITHMS, SEED
from plangraph.network.metrics import compute_metrics as compute_metrics
from plangraph.network.positions import layout
from plangraph.network.projections import PROJECTIONS
from plangraph.network.projections import build_graph as build_graph
from plangraph.network.records import ALL_ROLES, DEFAULT_ROLES, GENERIC_KINDS, NetworkData
from plangraph.network.records import Link as Link
from plangraph.network.result import Network, agency_metrics, summary
from plangraph.network.result import network as network
from plangraph.store.query_catalog import load_catalog as load_catalog
from plangraph.store.stores import EmbeddedStore

FORMATS = ("json", "cytoscape", "graphml", "gexf", "csv-nodes", "csv-edges", "metrics")


# -- exports ---------------------------------------------------------------------------------

_SKIP = {"steps"}  # long lists kept out of file exports (the JSON format keeps them)


def _scalar_types(items: Iterable[dict[str, Any]]) -> dict[str, type]:
    kinds: dict[str, set[type]] = defaultdict(set)
    for d in items:
        for k, v in d.items():
            if v is not None:
                kinds[k].add(type(v))
    out: dict[str, type] = {}
    for k, ts in kinds.items():
        if ts <= {bool}:
            out[k] = bool
        elif ts <= {int}:
            out[k] = int
        elif ts <= {int, float}:
            out[k] = float
        else:
            out[k] = str
    return out


def _flat_value(value: Any, kind: type) -> Any:
    if kind is str:
        if value is None:
            return ""
        if isinstance(value, list | tuple | set):
            return ";".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    return kind(value)


def flatten(G: nx.Graph, *, skip: Iterable[str] = _SKIP, dates: bool = False) -> nx.Graph:
    """A copy whose attributes are all scalars of one type per attribute name (lists joined
    with ';', missing strings ''; missing numbers left out), as Gephi and Cytoscape want.
    ``dates``: add GEXF ``start`` / ``end`` (first and last year as ISO dates)."""
    skip = set(skip)
    ntypes = _scalar_types(d for _, d in G.nodes(data=True))
    etypes = _scalar_types(d for _, _, d in G.edges(data=True))
    H = nx.Graph()

    def clean(d: dict[str, Any], types: dict[str, type]) -> dict[str, Any]:
        out = {}
        for k, kind in sorted(types.items()):
            if k in skip:
                continue
            v = d.get(k)
            if v is None and kind is not str:
                continue
            out[k] = _flat_value(v, kind)
        if dates:
            if d.get("first_year") is not None:
                out["start"] = f"{d['first_year']:04d}-01-01"
            if d.get("last_year") is not None:
                out["end"] = f"{d['last_year']:04d}-12-31"
        return out

    for n in sorted(G.nodes):
        H.add_node(n, **clean(G.nodes[n], ntypes))
    for u, v in sorted((min(a, b), max(a, b)) for a, b in G.edges):
        H.add_edge(u, v, **clean(G.edges[u, v], etypes))
    return H


def to_graphml(G: nx.Graph) -> bytes:
    return "\n".join(nx.generate_graphml(flatten(G))).encode("utf-8") + b"\n"


def to_gexf(G: nx.Graph) -> bytes:
    """GEXF 1.2 with start/end dates on nodes and edges (Gephi's timeline)."""
    return (
        "\n".join(nx.generate_gexf(flatten(G, dates=True), version="1.2draft")).encode("utf-8")
        + b"\n"
    )


def to_cytoscape(G: nx.Graph) -> dict[str, Any]:
    """Cytoscape.js / Cytoscape desktop JSON (``elements``: nodes and edges)."""
    return nx.cytoscape_data(flatten(G))


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def to_csv_nodes(G: nx.Graph) -> bytes:
    H = flatten(G)
    keys = sorted({k for _, d in H.nodes(data=True) for k in d})
    return _csv([{"id": n, **d} for n, d in H.nodes(data=True)], ["id", *keys])


def to_csv_edges(G: nx.Graph) -> bytes:
    H = flatten(G)
    keys = sorted({k for _, _, d in H.edges(data=True) for k in d})
    rows = [{"source": u, "target": v, **d} for u, v, d in H.edges(data=True)]
    return _csv(rows, ["source", "target", *keys])


def to_json(net: Network) -> dict[str, Any]:
    """The page's and the API's default: Cytoscape elements with positions, the steps the
    edges stand for (with their source lines), the filters and the agency metrics summary."""
    cy = nx.cytoscape_data(flatten(net.graph, skip=()))
    pos = layout(net.graph)
    for node in cy["elements"]["nodes"]:
        x, y = pos.get(node["data"]["id"], (0.0, 0.0))
        node["position"] = {"x": x, "y": y}
    for edge in cy["elements"]["edges"]:
        edge["data"]["id"] = f"{edge['data']['source']}|{edge['data']['target']}"
        edge["data"]["steps"] = list(
            net.graph.edges[edge["data"]["source"], edge["data"]["target"]]["steps"]
        )
    commitments: dict[str, list[list[str]]] = defaultdict(list)
    for k in net.links:
        pair = [k.step, k.role]
        if pair not in commitments[k.agency]:
            commitments[k.agency].append(pair)
    return {
        "projection": net.projection,
        "filters": net.filters.to_json(),
        "build": net.data.build_id,
        "counts": {
            "nodes": net.graph.number_of_nodes(),
            "edges": net.graph.number_of_edges(),
            "commitments": len(net.links),
        },
        "elements": cy["elements"],
        "steps": net.step_info(),
        "commitments": commitments,
        "algorithms": ALGORITHMS,
    }


def export(net: Network, fmt: str) -> tuple[bytes, str]:
    """The network in one of :data:`FORMATS`, with its media type."""
    if fmt == "json":
        return json.dumps(to_json(net), ensure_ascii=False).encode("utf-8"), "application/json"
    if fmt == "cytoscape":
        body = json.dumps(to_cytoscape(net.graph), ensure_ascii=False)
        return body.encode("utf-8"), "application/json"
    if fmt == "graphml":
        return to_graphml(net.graph), "application/graphml+xml"
    if fmt == "gexf":
        return to_gexf(net.graph), "application/gexf+xml"
    if fmt == "csv-nodes":
        return to_csv_nodes(net.graph), "text/csv; charset=utf-8"
    if fmt == "csv-edges":
        return to_csv_edges(net.graph), "text/csv; charset=utf-8"
    if fmt == "metrics":
        rows = agency_metrics(net.data, net.filters)
        doc = {"filters": net.filters.to_json(), "agencies": rows, "summary": summary(rows)}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8"), "application/json"
    raise QueryError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})", param="format")


# -- metrics as RDF --------------------------------------------------------------------------


def metrics_rdf(data: NetworkData, filters: Filters | None = None, computed_at: str | None = None):
    """The agency metrics under ``filters`` as an rdflib Graph
    (plangraph.graph.mapping.metrics_graph)."""
    from datetime import UTC, datetime

    from plangraph.graph.mapping import metrics_graph

    filters = filters or Filters()
    rows = agency_metrics(data, filters)
    when = computed_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    params = {
        "filters": filters.to_json(),
        "algorithms": ALGORITHMS,
        "networkx": nx.__version__,
        "seed": SEED,
        "build_id": data.build_id,
        "projection": "agency",
    }
    return metrics_graph(rows, when, params)


METRICS_GRAPH = "https://w3id.org/plangraph/graph/metrics"
METRICS_CACHE_VERSION = "1"  # bump when the metrics or their RDF change
_CACHE_KEPT = 4  # metrics files of this many builds are kept in the cache folder


def metrics_cache_file(cache: Path, build_id: str, queries: Path) -> Path:
    """Where the metrics graph of build ``build_id`` is cached: the name carries the build
    id and a digest of what else the metrics depend on (the network queries, this code's
    version), so a new build or new queries never read a stale file."""
    h = hashlib.sha256(METRICS_CACHE_VERSION.encode())
    for f in sorted(queries.glob("*.rq")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return cache / f"metrics-{build_id}-{h.hexdigest()[:12]}.nt"


def _write_cache(path: Path, data: bytes) -> None:
    """Write atomically (a reader sees the whole file or none); prune old builds' files.
    A read-only folder is no error: the metrics are computed again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(
            (f for f in path.parent.glob("metrics-*.nt") if f != path),
            key=lambda f: f.stat().st_mtime,
            reverse=True,
        )
        for f in old[_CACHE_KEPT - 1 :]:
            f.unlink(missing_ok=True)
    except OSError:
        pass


def metrics_ntriples(
    store: EmbeddedStore,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bytes:
    """The default agency metrics of the store's build as N-Triples: read from ``cache``
    (a folder) when computed before for this build, else computed (and cached there)."""
    path = metrics_cache_file(cache, store.build_id, folder) if cache is not None else None
    if path is not None:
        try:
            body = path.read_bytes()
        except OSError:
            pass
        else:
            if f'"{store.build_id}"'.encode() in body:  # the file names its build
                return body
    body = metrics_rdf(data or load(store, folder)).serialize(format="nt", encoding="utf-8")
    if path is not None:
        _write_cache(path, body)
    return body


def add_metrics_graph(
    store: EmbeddedStore,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bool:
    """Compute the default agency metrics and load them into the store's metrics named graph
    (:data:`METRICS_GRAPH`) unless it is there already; True if added. ``cache``: a folder
    where they are kept per build (see :func:`metrics_ntriples`)."""
    if METRICS_GRAPH in store.graphs():
        return False
    return store.add_graph(METRICS_GRAPH, metrics_ntriples(store, folder, data, cache))


def options(data: NetworkData) -> dict[str, Any]:
    """What the filters accept (for a page's controls): plans, agreements, parties, themes,
    roles, kinds and the range of years."""
    years = sorted({y for k in data.links for y in k.years})
    return {
        "projections": list(PROJECTIONS),
        "formats": list(FORMATS),
        "plans": [
            {
                "id": p.iri.rsplit("/", 1)[-1],
                "iri": p.iri,
                "label": p.title,
                "agreement": p.agreement,
                "start": p.start,
                "end": p.end,
            }
            for p in sorted(data.plans.values(), key=lambda p: (p.start or 0, p.iri))
        ],
        "agreements": [
            {"id": iri.rsplit("/", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.agreements.items())
        ],
        "parties": [
            {"id": a.iri.rsplit("/", 1)[-1], "iri": a.iri, "label": a.label}
            for a in sorted(data.parties.values(), key=lambda a: a.iri)
        ],
        "themes": [
            {"id": iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.themes.items())
        ],
        "roles": list(ALL_ROLES),
        "default_roles": list(DEFAULT_ROLES),
        "kinds": sorted({a.kind for a in data.agents.values()}),
        "generic_kinds": list(GENERIC_KINDS),
        "years": {"min": years[0] if years else None, "max": years[-1] if years else None},
    }
