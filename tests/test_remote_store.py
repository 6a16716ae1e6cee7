"""The remote store on a real Virtuoso (a private instance on free loopback ports, see
tests/virtuoso_server.py): publish, re-publish, refusal of an invalid dataset, a publish
killed halfway, every catalog query equal on both stores, the REST API and the network.

Without Virtuoso installed these tests skip, except under CI (CI=true), where they fail.

Row comparison (catalog, network): rows are compared as multisets of {variable: lexical
value}. One normalisation: GROUP_CONCAT lists are split and sorted (SPARQL leaves their order
undefined; Virtuoso and Oxigraph order them differently). xsd:boolean values are already
canonical ("true"/"false") in the store's results (Virtuoso answers "1"/"0";
:class:`RemoteStore` maps them), so no other normalisation is needed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plangraph.errors import ValidationFailed
from plangraph.graph.build import MANIFEST, NQUADS
from plangraph.network import METRICS_GRAPH, computed_graphs
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.publish import publish, read_dataset
from plangraph.store.query_catalog import load_catalog
from plangraph.store.remote import PUBLICATION_GRAPH, STAGING_PREFIX, RemoteAccess, RemoteStore
from tests.server_process import dataset_folder, root_with_graph, running_server
from tests.virtuoso_server import Virtuoso, available, running_virtuoso

ROOT = Path(__file__).resolve().parent.parent
CONCATENATED = {"parties": ", ", "names": "; "}

if not available():
    if os.environ.get("CI"):
        raise RuntimeError(
            "CI=true but virtuoso-t / isql-vt are missing: .ci/run installs virtuoso-opensource"
        )
    pytest.skip(
        "Virtuoso is not installed (apt-get install virtuoso-opensource); "
        "the remote-store tests need it and run in CI",
        allow_module_level=True,
    )


def graph_folder() -> Path:
    return dataset_folder() or ROOT / "data" / "graph"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """XDG_CACHE_HOME for this module: each dataset is SHACL-validated once."""
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[Virtuoso]:
    with running_virtuoso() as v:
        yield v


def do_publish(v: Virtuoso, folder: Path, cache: Path, **kwargs: object):
    """Publish ``folder`` as `plangraph publish` does: the project's own dataset with the
    graphs a server computes from it (the network metrics), a derived one as it is."""
    if folder == graph_folder():
        kwargs.setdefault("computed", project_computed(cache))
    return publish(
        folder,
        ROOT / "shapes",
        v.query_endpoint,
        v.update_endpoint,
        access=RemoteAccess("dba", v.password),
        cache=cache / "plangraph" / "validated",
        progress=False,
        log=lambda _text: None,
        **kwargs,  # type: ignore[arg-type]
    )


def project_computed(cache: Path) -> dict[str, bytes]:
    return computed_graphs(graph_folder(), ROOT / "queries" / "network", cache=cache / "metrics")


@pytest.fixture
def published(virtuoso: Virtuoso, cache: Path) -> RemoteStore:
    """The project's dataset is the live publication (published again if a test changed it)."""
    build_id = read_dataset(graph_folder()).build_id
    try:
        live = RemoteStore(virtuoso.query_endpoint, timeout=60)
    except Exception:
        live = None
    if live is None or live.build_id != build_id:
        do_publish(virtuoso, graph_folder(), cache)
        live = RemoteStore(virtuoso.query_endpoint, timeout=60)
    return live


@pytest.fixture(scope="module")
def embedded() -> EmbeddedStore:
    return EmbeddedStore.from_folder(graph_folder())


def all_counts(v: Virtuoso) -> dict[str, int]:
    """Every graph on the server (publication record and staging graphs included)."""
    store = RemoteStore(v.query_endpoint, timeout=60, load=False)
    rows = store._select_raw(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", dataset=False
    )
    return {r["g"]: int(r["n"]) for r in rows if not r["g"].startswith("http://www.openlinksw")}


def ours(counts: dict[str, int]) -> dict[str, int]:
    return {g: n for g, n in counts.items() if "plangraph" in g}


def derived_dataset(dest: Path, extra: str) -> Path:
    """A copy of the dataset with ``extra`` N-Quads lines added, and a matching build.json."""
    src = graph_folder()
    dest.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(src):
        shutil.copy(src / name, dest / name)
    lines = sorted(
        set((src / NQUADS).read_text(encoding="utf-8").splitlines())
        | {line for line in extra.splitlines() if line.strip()}
    )
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (dest / NQUADS).write_bytes(data)
    manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    manifest["build_id"] = hashlib.sha256(data).hexdigest()[:16]
    manifest["files"][NQUADS] = hashlib.sha256(data).hexdigest()
    graphs: dict[str, int] = {}
    for line in lines:
        g = line.rsplit(" ", 2)[-2].strip("<>")
        graphs[g] = graphs.get(g, 0) + 1
    manifest["graphs"] = dict(sorted(graphs.items()))
    manifest["triples"] = sum(graphs.values())
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return dest


def normalised(rows: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    out = []
    for row in rows:
        items = []
        for k, v in row.items():
            if k in CONCATENATED:
                v = CONCATENATED[k].join(sorted(v.split(CONCATENATED[k])))
            items.append((k, v))
        out.append(tuple(sorted(items)))
    return sorted(out)


def canonical(value: object, base: str) -> object:
    """JSON with every list sorted: the API sorts by its keys (plan, number, role, label),
    and where those tie, rows keep the engine's order, which differs between engines."""
    if isinstance(value, dict):
        return {k: canonical(v, base) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((canonical(v, base) for v in value), key=json.dumps)
    if isinstance(value, str):
        return value.replace(base, "")
    return value


def cli(*args: str, env: dict[str, str], root: Path = ROOT, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plangraph.cli", *args],
        env={**os.environ, "PLANGRAPH_ROOT": str(root), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_publish_loads_every_graph_with_the_build_counts(
    published: RemoteStore, virtuoso: Virtuoso
) -> None:
    dataset = read_dataset(graph_folder())
    assert published.build_id == dataset.build_id
    # the dataset's graphs and the metrics a server computes from it (as the CLI publishes)
    assert set(published.graph_counts) == {*dataset.counts, METRICS_GRAPH}
    assert {g: published.graph_counts[g] for g in dataset.counts} == dataset.counts
    assert published.graph_counts[METRICS_GRAPH] > 0
    counts = all_counts(virtuoso)
    assert {g: counts[g] for g in dataset.counts} == dataset.counts
    assert not [g for g in counts if g.startswith(STAGING_PREFIX)]
    assert PUBLICATION_GRAPH in counts


def test_republish_through_the_cli_gives_the_same_store(
    published: RemoteStore, virtuoso: Virtuoso, cache: Path
) -> None:
    before = ours(all_counts(virtuoso))
    proc = cli(
        "publish",
        "--endpoint",
        virtuoso.query_endpoint,
        "--update-endpoint",
        virtuoso.update_endpoint,
        "--chunk",
        "2000",
        env={**virtuoso.env(), "XDG_CACHE_HOME": str(cache)},
        root=root_with_graph_if_needed(cache),
    )
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"published build {published.build_id}" in out
    assert ours(all_counts(virtuoso)) == before  # no duplicates, no staging graphs left


_ROOTS: dict[str, Path] = {}


def root_with_graph_if_needed(tmp: Path) -> Path:
    """The project root, or one whose data/graph/ is PLANGRAPH_TEST_GRAPH."""
    folder = dataset_folder()
    if folder is None:
        return ROOT
    if "root" not in _ROOTS:
        dest = tmp / "root"
        dest.mkdir(exist_ok=True)
        _ROOTS["root"] = root_with_graph(ROOT, folder, dest)
    return _ROOTS["root"]


@pytest.mark.parametrize("name", sorted(load_catalog(ROOT / "queries")))
def test_catalog_query_gives_the_same_rows_on_both_stores(
    name: str, published: RemoteStore, embedded: EmbeddedStore
) -> None:
    q = load_catalog(ROOT / "queries")[name]
    bindings = q.bindings({})  # every catalog parameter is optional or has a default
    local = embedded.select(q.text, bindings)
    remote = published.select(q.text, bindings)
    assert len(remote) == len(local)
    assert normalised(remote) == normalised(local)


def test_rest_api_and_sparql_over_virtuoso(published: RemoteStore, virtuoso: Virtuoso) -> None:
    graph = dataset_folder()
    with (
        running_server(ROOT, graph=graph) as local,
        running_server(
            ROOT, "--store", virtuoso.store_url, env=virtuoso.env(), graph=graph
        ) as remote,
        httpx.Client(timeout=60) as client,
    ):
        health = client.get(f"{remote}/health").json()
        assert health == {"status": "ok", "build": published.build_id, "triples": published.triples}
        for path in (
            "/api/plans",
            "/api/agencies?limit=1000",
            "/api/activities?limit=1000",
            "/api/activities?party=khm&year=2012",
            "/api/agencies/khm/mosvy",
            "/api/agencies/khm/nc-stsls",
            "/api/plans?limit=2",
            "/api/plans/vnm-khm-2020-2022",
            "/api/overlaps",
            "/api/overlaps?theme=victim-identification&confidence=possible",
        ):
            a, b = client.get(local + path), client.get(remote + path)
            assert a.status_code == b.status_code == 200, (path, b.text)
            assert canonical(a.json(), local) == canonical(b.json(), remote), path
        # the pages read through SPARQL too: the same page from either store
        for path in (
            "/themes",
            "/id/theme/victim-identification",
            "/id/party/khm",
            "/years/2012",
            "/id/agency/khm/mosvy",
            "/id/plan/commit-srpa-2005-2007",
            "/search?q=repatriation&plan=khm-npa-2011-2013",
            "/api/search.csv?theme=victim-identification",
            "/overlaps",
            "/api/overlaps?format=csv",
        ):
            a, b = client.get(local + path), client.get(remote + path)
            assert a.status_code == b.status_code == 200, (path, b.text)
            diff = list(difflib.unified_diff(a.text.splitlines(), b.text.splitlines(), n=0))
            assert not diff, (path, "\n".join(diff[:40]))
        rows = client.get(f"{remote}/api/queries/agencies-most-commitments").json()
        assert rows["count"] > 10
        # the SPARQL endpoint over Virtuoso: same safety rules, same formats, same row cap
        r = client.get(f"{remote}/sparql", params={"query": "DROP ALL"})
        assert r.status_code == 403
        r = client.get(
            f"{remote}/sparql",
            params={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"},
        )
        assert r.status_code == 400
        r = client.get(
            f"{remote}/sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "csv"},
        )
        assert r.status_code == 200 and r.text.split() == ["n", str(published.triples)]
        r = client.get(f"{remote}/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
        assert r.status_code == 400 and r.json()["error"] == "query-error"
        r = client.get(
            f"{remote}/sparql",
            params={"query": f"SELECT * WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ ?s ?p ?o }} }}"},
        )
        assert r.status_code == 200 and r.json()["results"]["bindings"] == []
        void_local = client.get(f"{local}/.well-known/void", headers={"accept": "text/turtle"})
        void_remote = client.get(f"{remote}/.well-known/void", headers={"accept": "text/turtle"})
        assert void_local.status_code == void_remote.status_code == 200, void_remote.text
        assert f"<http://rdfs.org/ns/void#triples> {published.triples} " in void_remote.text


def test_network_computed_over_virtuoso(published: RemoteStore, embedded: EmbeddedStore) -> None:
    network = pytest.importorskip("plangraph.network")
    folder = ROOT / "queries" / "network"
    local = network.load(embedded, folder)
    remote = network.load(published, folder)
    assert len(remote.links) == len(local.links) > 0
    assert network.agency_metrics(remote) == network.agency_metrics(local)


def test_publish_refuses_an_invalid_dataset_before_writing(
    published: RemoteStore, virtuoso: Virtuoso, cache: Path, tmp_path: Path
) -> None:
    broken = "https://w3id.org/plangraph/id/agency/khm/no-label-agency"
    folder = derived_dataset(
        tmp_path / "graph",
        f"<{broken}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/plangraph/ontology#Agency> "
        "<https://w3id.org/plangraph/graph/registry> .",
    )
    before = all_counts(virtuoso)
    with pytest.raises(ValidationFailed, match="nothing was published"):
        do_publish(virtuoso, folder, cache)
    assert all_counts(virtuoso) == before
    assert RemoteStore(virtuoso.query_endpoint).build_id == published.build_id


def test_publish_killed_halfway_leaves_the_previous_publication(
    published: RemoteStore, virtuoso: Virtuoso, cache: Path, tmp_path: Path
) -> None:
    extra = "\n".join(
        f'<{g}> <http://www.w3.org/2000/01/rdf-schema#comment> "republished" <{g}> .'
        for g in read_dataset(graph_folder()).counts
    )
    folder = derived_dataset(tmp_path / "graph", extra)
    new_build = read_dataset(folder).build_id
    do_publish(virtuoso, folder, cache)  # validates (then cached)...
    do_publish(virtuoso, graph_folder(), cache)  # ...then back to the previous data
    q = load_catalog(ROOT / "queries")["agencies-most-commitments"]
    rows_before = normalised(published.select(q.text, q.bindings({})))
    counts_before = ours(all_counts(virtuoso))

    (tmp_path / "root-new").mkdir()
    root = root_with_graph(ROOT, folder, tmp_path / "root-new")
    proc = cli(
        "publish",
        "--endpoint",
        virtuoso.query_endpoint,
        "--update-endpoint",
        virtuoso.update_endpoint,
        "--chunk",
        "100",
        "--no-progress",
        env={**virtuoso.env(), "XDG_CACHE_HOME": str(cache)},
        root=root,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    while True:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "publish ended before staging a graph"
        if line.startswith("staged "):
            break
        assert time.monotonic() < deadline
    proc.send_signal(signal.SIGKILL)  # halfway: one graph staged, the others not yet
    proc.wait(30)
    proc.stderr.close()
    if proc.stdout:
        proc.stdout.close()

    after = all_counts(virtuoso)
    staged = [g for g in after if g.startswith(STAGING_PREFIX)]
    assert staged, "the publish was killed after the swap, not halfway"
    live = RemoteStore(virtuoso.query_endpoint, timeout=60)
    assert live.build_id == published.build_id
    assert live.graph_counts == published.graph_counts
    assert {g: after[g] for g in published.graph_counts} == published.graph_counts
    assert normalised(live.select(q.text, q.bindings({}))) == rows_before

    # the next publish clears the leftovers and completes
    do_publish(virtuoso, folder, cache)
    done = all_counts(virtuoso)
    assert not [g for g in done if g.startswith(STAGING_PREFIX)]
    live = RemoteStore(virtuoso.query_endpoint, timeout=60)
    assert live.build_id == new_build
    # a derived dataset is published as it is: its graphs, one more triple each, no metrics
    assert live.graph_counts == {g: n + 1 for g, n in read_dataset(graph_folder()).counts.items()}
    do_publish(virtuoso, graph_folder(), cache)
    assert ours(all_counts(virtuoso)) == counts_before
