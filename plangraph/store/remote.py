"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, ...), read through SPARQLWrapper."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
from SPARQLWrapper import BASIC, DIGEST, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from plangraph.errors import DatasetError, QueryError, QueryTimeout
from plangraph.store.base import Store, syntax_error
from plangraph.store.bindings import XSD, BindingValue, bind_values
from plangraph.store.guard import has_dataset_clause, query_form
from plangraph.store.results import RESULT_FORMATS, Answer, Solutions

# The publication record a remote store holds (written by plangraph.store.publish): which build is
# live and which graphs it has, with their triple counts. Readers query exactly those graphs.
PUBLICATION_GRAPH = "urn:plangraph:publication"
PUB = "https://w3id.org/plangraph/publication#"
STAGING_PREFIX = "urn:plangraph:staging:"
STORE_URL_SCHEMES = ("sparql+http://", "sparql+https://")
_EMPTY = ox.Store()  # parses user queries locally: the same syntax errors on every store


def _from_json_term(term: dict[str, object]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = term.get("type")
    value = str(term.get("value", ""))
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("nodeID://")))
    if "xml:lang" in term:
        return ox.Literal(value, language=str(term["xml:lang"]))
    if "datatype" in term:
        datatype = str(term["datatype"])
        if datatype == XSD + "boolean" and value in ("0", "1"):
            value = "true" if value == "1" else "false"  # Virtuoso: the canonical form
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    return ox.Literal(value)


MAX_RESPONSE_HEADERS = 100_000
# The largest answer read from a remote store: a bigger one is refused (DatasetError), never
# read whole into memory. Answers are row-capped afterwards, so the cap bounds what the remote
# store may send before that (set a result limit on the store as well: Virtuoso ResultSetMaxRows).
MAX_REMOTE_ANSWER = 256 * 1024 * 1024


@dataclass(frozen=True)
class RemoteAccess:
    """How plangraph signs in to a remote store, for reading (SPARQLWrapper) and writing
    (httpx) alike: a user and password, sent with HTTP Digest (Virtuoso's) or Basic (Fuseki,
    GraphDB) authentication. Empty: anonymous."""

    user: str = ""
    password: str = field(default="", repr=False)
    auth: str = "digest"  # or "basic"

    def sign(self, sw: SPARQLWrapper) -> None:
        """Add the credentials to a SPARQLWrapper request (none when anonymous)."""
        if self.user and self.password:
            sw.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            sw.setCredentials(self.user, self.password)

    def httpx_auth(self) -> httpx.Auth | None:
        """The credentials as an httpx authentication (None when anonymous)."""
        if not (self.user and self.password):
            return None
        if self.auth == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return httpx.BasicAuth(self.user, self.password)


class RemoteStore(Store):
    """A SPARQL 1.1 server (Virtuoso, Fuseki, GraphDB, Oxigraph server, QLever) read through
    SPARQLWrapper: the same :meth:`query` / :meth:`select` as :class:`EmbeddedStore`.

    The server may hold other graphs (another dataset, a publish's staging graphs), so every
    query that names no dataset of its own is sent with the published graphs as
    ``default-graph-uri`` (their union is the default graph, as on the embedded store) and as
    ``named-graph-uri``. Results are parsed and re-serialised here, so clients get the same
    formats and the same row cap. The time limit is the HTTP client's timeout (the server
    sends nothing before the query has run); set the server's own limit as well (Virtuoso:
    ``[SPARQL] MaxQueryExecutionTime``).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        access: RemoteAccess | None = None,
        timeout: float = 10.0,
        load: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self.folder: Path | None = None
        self.access = access or RemoteAccess()
        self.timeout = timeout
        self.build_id = ""
        self.triples = 0
        self.graph_counts: dict[str, int] = {}
        self.extra_graphs: dict[str, bytes] = {}  # computed graphs are not added (add_graph)
        # Virtuoso echoes one X-SPARQL-default-graph header per graph of the dataset; a corpus
        # of hundreds of source documents would pass the standard library's limit of 100
        # response headers (urllib, under SPARQLWrapper). Raise it for this process.
        http.client._MAXHEADERS = max(http.client._MAXHEADERS, MAX_RESPONSE_HEADERS)  # type: ignore[attr-defined]
        if load:
            self.reload()

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RemoteStore:
        """``sparql+http://host:port/sparql`` (or ``sparql+https://``) -> a store over it."""
        if not url.startswith(STORE_URL_SCHEMES):
            raise QueryError(
                f"store {url!r}: 'embedded' or sparql+http(s)://host:port/path", param="--store"
            )
        return cls(url.removeprefix("sparql+"), **kwargs)  # type: ignore[arg-type]

    def reload(self) -> None:
        """Read the publication record: the live build, its graphs and their counts."""
        rows = self._select_raw(
            f"SELECT ?build ?graph ?count WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ "
            f"<{PUBLICATION_GRAPH}> <{PUB}build> ?build ; <{PUB}graph> ?graph . "
            f"?graph <{PUB}triples> ?count }} }}",
            dataset=False,
        )
        if not rows:
            raise DatasetError(
                f"nothing published at {self.endpoint}: run 'plangraph publish' first",
                file=self.endpoint,
            )
        try:
            build_id = rows[0]["build"]
            counts = {r["graph"]: int(r["count"]) for r in rows}
        except (KeyError, ValueError) as exc:
            raise DatasetError(
                f"the publication record at {self.endpoint} is incomplete or malformed "
                f"({type(exc).__name__}: {exc}): run 'plangraph publish' again",
                file=self.endpoint,
            ) from None
        self.build_id = build_id
        self.graph_counts = counts
        self.triples = sum(self.graph_counts.values())

    def graphs(self) -> frozenset[str]:
        return frozenset(self.graph_counts)

    def _wrapper(self, sparql: str, accept: str) -> SPARQLWrapper:
        sw = SPARQLWrapper(self.endpoint)
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setQuery(sparql)
        sw.setOnlyConneg(True)  # content negotiation only: no format=/output= parameters
        sw.setTimeout(max(1, round(self.timeout)))
        sw.addCustomHttpHeader("Accept", accept)
        self.access.sign(sw)
        return sw

    def _send(
        self,
        sparql: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        dataset: bool = True,
    ) -> bytes:
        sw = self._wrapper(sparql, accept)
        if dataset and not default_graphs and not named_graphs:
            if not has_dataset_clause(sparql):
                default_graphs = named_graphs = sorted(self.graph_counts)
        elif dataset and default_graphs and not named_graphs:
            named_graphs = sorted(self.graph_counts)  # as on the embedded store: all graphs
        for g in default_graphs:
            sw.addParameter("default-graph-uri", g)
        for g in named_graphs:
            sw.addParameter("named-graph-uri", g)
        try:
            with warnings.catch_warnings():
                # SPARQLWrapper warns when it cannot tell the query form (it only decides the
                # Accept header, which is set explicitly here)
                warnings.filterwarnings("ignore", "not detected query type", RuntimeWarning)
                response = sw.query().response
            try:
                body = response.read(MAX_REMOTE_ANSWER + 1)
            finally:
                response.close()
            if len(body) > MAX_REMOTE_ANSWER:
                raise DatasetError(
                    f"the SPARQL store at {self.endpoint} answered with more than "
                    f"{MAX_REMOTE_ANSWER} bytes (refused, not read)",
                    file=self.endpoint,
                )
            return body
        except QueryBadFormed as exc:
            raise QueryError(
                f"the store refused the query: {_detail(exc)}", param="query"
            ) from None
        except TimeoutError:
            raise QueryTimeout(
                f"query stopped after the time limit of {self.timeout:g} s", param="query"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise QueryTimeout(
                    f"query stopped after the time limit of {self.timeout:g} s", param="query"
                ) from None
            raise DatasetError(
                f"the SPARQL store at {self.endpoint} failed: {exc}", file=self.endpoint
            ) from None
        except (SPARQLWrapperException, OSError, http.client.HTTPException) as exc:
            raise DatasetError(
                f"the SPARQL store at {self.endpoint} failed: {_detail(exc)}", file=self.endpoint
            ) from None

    # Only SPARQL JSON results (SELECT, ASK) and N-Triples (graphs) are asked for and read:
    # an answer in any other format, XML included (whose DTD and entities are never parsed:
    # tests/test_xml_bombs.py), is refused as a DatasetError naming the store.
    def _unexpected(self, body: bytes, expected: str, exc: Exception | None = None) -> DatasetError:
        detail = f": {_detail(exc)[:200]}" if exc is not None else ""
        return DatasetError(
            f"the SPARQL store at {self.endpoint} answered with something other than "
            f"{expected} (it begins {body[:40]!r}){detail}",
            file=self.endpoint,
        )

    def _results(self, body: bytes) -> bool | Solutions:
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise self._unexpected(body, "SPARQL JSON results") from None
        results = doc.get("results") if isinstance(doc, dict) else None
        rows = results.get("bindings") if isinstance(results, dict) else None
        if not isinstance(doc, dict) or not (
            isinstance(doc.get("boolean"), bool) or isinstance(rows, list)
        ):
            raise self._unexpected(body, "SPARQL JSON results")
        if "boolean" in doc:
            return bool(doc["boolean"])
        head = doc.get("head", {})
        variables = head.get("vars", []) if isinstance(head, dict) else None
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise self._unexpected(body, "SPARQL JSON results (a head with a vars list)")
        try:
            bound = [{str(k): _from_json_term(v) for k, v in b.items()} for b in rows or ()]
        except (AttributeError, TypeError, ValueError) as exc:  # not a dict; not an IRI
            raise self._unexpected(body, "SPARQL JSON results", exc) from None
        return Solutions(variables, [[b.get(v) for v in variables] for b in bound])

    def _select_raw(
        self,
        sparql: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        dataset: bool = True,
    ) -> list[dict[str, str]]:
        """SELECT rows (as :meth:`select`) of the query as written: no parameters, no
        syntax check here; ``dataset=False`` sends it without the published graphs (for
        the publication record and a publish's staging graphs)."""
        body = self._send(sparql, RESULT_FORMATS["json"][1], default_graphs, named_graphs, dataset)
        answer = self._results(body)
        if not isinstance(answer, Solutions):
            raise self._unexpected(body, "SPARQL JSON results with bindings")
        return answer.records()

    def _prepare(self, sparql: str, bindings: dict[str, BindingValue] | None) -> str:
        if bindings:
            # First in the WHERE clause, not trailing: Virtuoso 7.2 does not restrict a
            # variable bound by a trailing VALUES when it is the object of a triple pattern
            # with a variable predicate (it returned every agency's relations for one agency).
            # The catalog's parameters are group keys bound in required patterns, where both
            # placements mean the same; tests/test_remote_store.py compares every query.
            sparql = bind_values(sparql, bindings, first_in_where=True)
        try:
            _EMPTY.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise syntax_error(exc, sparql) from None
        return sparql

    def _answer(
        self,
        sparql: str,
        bindings: dict[str, BindingValue] | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        *,
        only_select: bool = False,
    ) -> Answer:
        """The server's answer, parsed. The query is bound and parsed here first, so a
        malformed one (or, with ``only_select``, one of another form) is never sent."""
        sparql = self._prepare(sparql, bindings)
        form = query_form(sparql) or "select"
        if only_select and form != "select":
            raise QueryError("not a SELECT query", param="query")
        if form in ("select", "ask"):
            body = self._send(sparql, RESULT_FORMATS["json"][1], default_graphs, named_graphs)
            return self._results(body)
        body = self._send(sparql, "application/n-triples", default_graphs, named_graphs)
        try:
            return [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        except (SyntaxError, ValueError) as exc:
            raise self._unexpected(body, "N-Triples", exc) from None

    def add_graph(self, name: str, nquads_or_ntriples: bytes) -> bool:
        """Computed graphs (the network metrics) are not written to a remote store, which
        the server only reads: publish them with the dataset instead. Always False."""
        return False


def _detail(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:500]
