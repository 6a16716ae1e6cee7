"""XML bombs (billion laughs) against every place where RDF/XML, TriX or SPARQL XML results
could reach a parser (issue 11): each payload is rejected with an error naming the input,
within 1 s, with less than 100 MB of memory growth, and the process is not aborted.

Where XML can come in, and why none of it is parsed as XML:

- ``POST /sparql`` (and ``PUT``) with an RDF body (``application/rdf+xml``, ``application/trix``,
  XML results...): the endpoint is read-only and refuses RDF bodies by their Content-Type,
  before reading them as RDF (server/sparql.py). Measured on the real server process.
- :class:`plangraph.store.remote.RemoteStore`: it asks the remote store for SPARQL JSON results
  (SELECT, ASK, the publication record) and N-Triples (CONSTRUCT, DESCRIBE), and reads
  nothing else; a store answering SPARQL XML results, RDF/XML or TriX is refused with a
  :class:`DatasetError` naming the store. Measured in a subprocess against a loopback
  HTTP server that plays the remote SPARQL endpoint.
- The ontology, themes and shapes files (plangraph/sources/turtle.py): read as Turtle only, so an
XML
  document there is a :class:`SourceError` naming the file.

No module of plangraph/ or server/ parses XML or hands RDF/XML or TriX to a parser (checked
below): the libraries would not survive these payloads. pyoxigraph 0.5's RDF/XML parser
expands internal entities (depth 7: a 300 MB literal in 4 s; depth 8: the process aborts on
a failed allocation), and rdflib's RDF/XML parser (over expat) ran for over a minute on depth
5. Parsing RDF/XML or TriX one day needs a DOCTYPE-refusing pre-parse (e.g. defusedxml).
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plangraph.paths import ProjectPaths
from tests.fake_endpoint import canned_endpoint
from tests.server_process import PROCESSES, running_server, tree_rss_mb

ROOT = Path(__file__).resolve().parent.parent
DEPTHS = (3, 5, 8, 10)
MAX_SECONDS = 1.0
MAX_GROWTH_MB = 100.0
EX = "http://example.org/"


def _entities(depth: int, fan: int = 10) -> str:
    """lol0 is 30 bytes; lol<n> is ``fan`` times lol<n-1>: depth 10 expands to 300 GB."""
    lines = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * fan}">' for i in range(1, depth + 1)]
    return "\n".join(lines)


def rdfxml(depth: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n{_entities(depth)}\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}s">'
        f"<ex:p>&lol{depth};</ex:p></rdf:Description></rdf:RDF>\n"
    ).encode()


def trix(depth: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE TriX [\n{_entities(depth)}\n]>\n'
        '<TriX xmlns="http://www.w3.org/2004/03/trix/trix-1/"><graph><triple>'
        f"<uri>{EX}s</uri><uri>{EX}p</uri><plainLiteral>&lol{depth};</plainLiteral>"
        "</triple></graph></TriX>\n"
    ).encode()


def sparql_xml(depth: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sparql [\n{_entities(depth)}\n]>\n'
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
        '<variable name="build"/><variable name="graph"/><variable name="count"/></head>'
        '<results><result><binding name="build"><literal>&lol'
        f"{depth};</literal></binding></result></results></sparql>\n"
    ).encode()


PAYLOADS = {
    "rdfxml": (rdfxml, "application/rdf+xml"),
    "trix": (trix, "application/trix"),
    "sparql-xml": (sparql_xml, "application/sparql-results+xml"),
}
CASES = [(fmt, depth) for fmt in PAYLOADS for depth in DEPTHS]


def test_payloads_are_bombs() -> None:
    """Each payload is small and well-formed up to its entities (the DOCTYPE declares them
    all, each level ten times the one below)."""
    for make, _ in PAYLOADS.values():
        for depth in DEPTHS:
            body = make(depth)
            assert len(body) < 2_000
            assert body.count(b"<!ENTITY") == depth + 1
            assert f"&lol{depth};".encode() in body


# --- no module parses XML, or RDF/XML or TriX

XML_PARSERS = re.compile(
    r"^\s*(?:from|import)\s+(?:xml\.(?:dom|etree|sax(?!\.saxutils))|lxml|defusedxml|pyexpat"
    r"|xml\.parsers)",
    re.MULTILINE,
)
XML_RDF_PARSE = re.compile(
    r"\.(?:parse|load|parse_query_results)\([^)]*"
    r"(?:RDF_XML|QueryResultsFormat\.XML|[\"'](?:xml|trix|rdfxml|rdf\+xml|pretty-xml)[\"']"
    r"|application/(?:rdf\+xml|trix|sparql-results\+xml))",
    re.DOTALL,
)


def test_no_module_parses_xml() -> None:
    files = sorted((ROOT / "plangraph").rglob("*.py")) + sorted((ROOT / "server").rglob("*.py"))
    assert len(files) > 20
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)!r}" for m in XML_PARSERS.finditer(text)]
        found += [f"{path.name}: {m.group(0)[:80]!r}" for m in XML_RDF_PARSE.finditer(text)]
    assert not found, "XML parsing needs a DOCTYPE-refusing pre-parse (this module's docstring)"


# --- the endpoint: RDF bodies are refused before any parse


@pytest.fixture(scope="module")
def server(paths: ProjectPaths) -> Iterator[tuple[httpx.Client, int]]:
    with running_server(paths.root) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, PROCESSES[url].pid


@pytest.mark.parametrize(("fmt", "depth"), CASES)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_endpoint_refuses_bomb(server, method: str, fmt: str, depth: int) -> None:
    client, pid = server
    make, media = PAYLOADS[fmt]
    client.get("/sparql", params={"query": "ASK {}"})  # warm
    before = tree_rss_mb(pid)
    start = time.monotonic()
    r = client.request(method, "/sparql", content=make(depth), headers={"content-type": media})
    elapsed = time.monotonic() - start
    growth = tree_rss_mb(pid) - before
    print(
        f"endpoint {method} {fmt} depth {depth}: {r.status_code} {elapsed:.3f} s {growth:+.1f} MB"
    )
    assert r.status_code in (400, 403, 405, 415), r.text
    body = r.json()
    assert "read-only" in body["message"] or media in body["message"], body
    assert elapsed < MAX_SECONDS
    assert growth < MAX_GROWTH_MB
    assert client.get("/health").status_code == 200  # alive


# --- the remote store: a loopback "SPARQL endpoint" answering with the bomb

CHILD = r"""
import json, resource, sys, time

def hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from plangraph.errors import PlangraphError
from plangraph.store.remote import RemoteStore

endpoint, call = sys.argv[1], sys.argv[2]
store = RemoteStore(endpoint, load=False, timeout=5)
store.graph_counts = {"urn:g": 1}
store._prepare("ASK {}", None)  # warm the local query parser
before = hwm_mb()
start = time.monotonic()
out = {"error": None, "message": ""}
try:
    if call == "reload":
        store.reload()
    elif call == "select":
        store.select("SELECT ?s WHERE { ?s ?p ?o }")
    elif call == "ask":
        store.query("ASK { ?s ?p ?o }")
    else:
        store.query("CONSTRUCT WHERE { ?s ?p ?o }", "turtle")
except PlangraphError as exc:
    out = {"error": type(exc).__name__, "message": str(exc)}
out["elapsed"] = time.monotonic() - start
out["growth_mb"] = hwm_mb() - before
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def fake_store() -> Iterator[http.server.ThreadingHTTPServer]:
    with canned_endpoint() as srv:
        yield srv


# SPARQL XML results answer the result queries; RDF/XML and TriX answer the graph query
REMOTE_CALLS = {"sparql-xml": ("reload", "select", "ask"), "rdfxml": ("construct",)}
REMOTE_CALLS["trix"] = ("construct",)


@pytest.mark.parametrize(("fmt", "depth"), CASES)
def test_remote_store_refuses_bomb(fake_store, fmt: str, depth: int) -> None:
    make, media = PAYLOADS[fmt]
    fake_store.payload, fake_store.media = make(depth), media  # type: ignore[attr-defined]
    endpoint = f"http://127.0.0.1:{fake_store.server_address[1]}/sparql"
    for call in REMOTE_CALLS[fmt]:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, endpoint, call],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            check=False,
        )
        assert proc.returncode == 0, f"child ended with {proc.returncode}: {proc.stderr[-2000:]}"
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"remote {fmt} depth {depth} {call}: {out['error']} "
            f"{out['elapsed']:.3f} s {out['growth_mb']:+.1f} MB"
        )
        assert out["error"] == "DatasetError", out
        assert endpoint in out["message"] and "<?xml" in out["message"], out
        assert out["elapsed"] < MAX_SECONDS
        assert out["growth_mb"] < MAX_GROWTH_MB


# --- the ontology, themes and shapes files: Turtle only


@pytest.mark.parametrize(("fmt", "depth"), CASES)
def test_turtle_file_refuses_bomb(tmp_path: Path, fmt: str, depth: int) -> None:
    path = tmp_path / "ontology.ttl"
    path.write_bytes(PAYLOADS[fmt][0](depth))
    child = (
        "import json, sys, time, resource\n"
        "from pathlib import Path\n"
        "from rdflib import Graph\n"
        "from plangraph.errors import SourceError\n"
        "from plangraph.sources.turtle import parse_turtle\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    parse_turtle(Graph(), Path(sys.argv[1])); out = {'error': None}\n"
        "except SourceError as exc:\n"
        "    out = {'error': type(exc).__name__, 'message': str(exc)}\n"
        "out['elapsed'] = time.monotonic() - start\n"
        "out['growth_mb'] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", child, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"turtle {fmt} depth {depth}: {out['error']} "
        f"{out['elapsed']:.3f} s {out['growth_mb']:+.1f} MB"
    )
    assert out["error"] == "SourceError", out
    assert "ontology.ttl" in out["message"] and "malformed Turtle" in out["message"], out
    assert out["elapsed"] < MAX_SECONDS
    assert out["growth_mb"] < MAX_GROWTH_MB
