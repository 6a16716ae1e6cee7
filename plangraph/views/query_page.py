"""What the query page (``/query``) needs from the graph, as plain Python (no HTTP here).

- :data:`PREFIXES`: the prefixes the page declares for a query that uses them without a
  ``PREFIX`` line (the page adds the lines to the editor before sending: what runs is what
  the user sees, and ``/sparql`` stays a standard SPARQL 1.1 endpoint);
- :class:`QueryPageData`: the label of every resource (``skos:prefLabel``, else
  ``rdfs:label``, else ``dcterms:title``, English or untagged) and the values a catalog
  query's ``iri`` parameter can take (agencies, parties, plans, agreements, themes), read
  through the queries in ``queries/query-page/`` once, on first use. The served dataset does
  not change while a server runs (a rebuild makes a new store, and a new instance: the
  server keeps one per store, server/query_page.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from plangraph import ids
from plangraph.store.bindings import BindingValue
from plangraph.store.query_catalog import CatalogQuery, Param, load_catalog
from plangraph.views.links import PREFIXES as API_PREFIXES

# The ontology's, the graph's and the usual vocabularies' prefixes, by name.
PREFIXES: dict[str, str] = {
    **API_PREFIXES,
    "pgid": str(ids.ID),
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sh": "http://www.w3.org/ns/shacl#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}

# The kinds of graph value an ``iri`` parameter can name, and the group label of values
# that have no group (an agency of no party: an international or regional body).
KINDS = ("agency", "party", "plan", "agreement", "theme")
_UNGROUPED = {"agency": "International and regional bodies", "theme": "Pillars"}
_PARTIES_AS_AGENCIES = "Countries (where a plan names only the country)"
_KIND_OF_NAME = re.compile(r"^([a-z]+)(?:[A-Z0-9_].*)?$")


class _Selecting(Protocol):
    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]: ...


def param_kind(param: Param) -> str | None:
    """The kind of graph value an ``iri`` parameter names, from its name: ``agency``,
    ``agreementA`` -> ``agreement``; None for other types and other names (e.g.
    ``activity``: too many to offer, typed as an IRI)."""
    if param.type != "iri":
        return None
    m = _KIND_OF_NAME.match(param.name)
    kind = m.group(1) if m else None
    return kind if kind in KINDS else None


def examples_json(catalog: Mapping[str, CatalogQuery]) -> list[dict[str, object]]:
    """The catalog as the page's examples: name, title, question, typed parameters."""
    out: list[dict[str, object]] = []
    for q in catalog.values():
        params = []
        for p in q.params:
            item = p.to_json()
            item["kind"] = param_kind(p)
            params.append(item)
        out.append({"name": q.name, "title": q.title, "question": q.question, "params": params})
    return out


class QueryPageData:
    """Labels and parameter values of one store, read once (thread-safe)."""

    def __init__(self, store: _Selecting, folder: Path) -> None:
        self._store = store
        self._queries = load_catalog(folder)
        self._lock = threading.Lock()
        self._labels: dict[str, str] | None = None
        self._choices: dict[str, list[dict[str, str]]] | None = None

    def _all_labels(self) -> dict[str, str]:
        with self._lock:
            if self._labels is None:
                best: dict[str, tuple[int, str]] = {}
                for row in self._store.select(self._queries["labels"].text):
                    key = (int(row["rank"]), row["label"])
                    if row["resource"] not in best or key < best[row["resource"]]:
                        best[row["resource"]] = key
                self._labels = {iri: label for iri, (_, label) in best.items()}
            return self._labels

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """The label of each IRI that has one (others are left out)."""
        known = self._all_labels()
        return {iri: known[iri] for iri in iris if iri in known}

    def choices(self) -> dict[str, list[dict[str, str]]]:
        """Per kind, the values an ``iri`` parameter can take: ``value`` (the IRI),
        ``label`` and ``group``, ordered by group and label."""
        labels = self._all_labels()
        with self._lock:
            if self._choices is None:
                out: dict[str, list[dict[str, str]]] = {kind: [] for kind in KINDS}
                for row in self._store.select(self._queries["param-choices"].text):
                    kind, value = row["kind"], row["value"]
                    group = row.get("group")
                    out[kind].append(
                        {
                            "value": value,
                            "label": labels.get(value, value),
                            "group": labels.get(group, group)
                            if group
                            else _UNGROUPED.get(kind, ""),
                        }
                    )
                out["agency"] += [
                    {**party, "group": _PARTIES_AS_AGENCIES} for party in out["party"]
                ]
                for values in out.values():
                    values.sort(key=_order)
                self._choices = out
            return self._choices


def _order(choice: dict[str, str]) -> tuple[int, str, str]:
    """Groups by name, except: pillars first, parties named as agencies last."""
    group = choice["group"]
    first = {_UNGROUPED["theme"]: -1, _PARTIES_AS_AGENCIES: 1}.get(group, 0)
    return (first, group, choice["label"])
