"""What the server keeps per store: one value each, made on first use, gone with the store.

The routers of an app are made over one store (server/app.py); a reload (server/live.py) makes
a new store and a new app, and the old build must be freed. What several routers (or several
requests) share about a store (the read model, the overlap reader, the search index, the
network rows, the query page's labels) is a :class:`PerStore`::

    graph_api = PerStore("graph_api", lambda settings, store: GraphApi(store, ...))
    api = graph_api(settings, store)  # made once per store, then the same object

The values are kept on the store itself (one dict attribute), not in a module's
:class:`weakref.WeakKeyDictionary` keyed by the store: such a dictionary holds its values
strongly, so a value that refers to its store (GraphApi and QueryPageData do, to read it
later) would keep its key alive through the module for ever. On the store, the store and its
values are one cycle that the garbage collector frees together when nothing else holds the
store (tests/test_per_store.py checks it after reloads, every value made).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from plangraph.settings import Settings
from plangraph.store.base import Store

T = TypeVar("T")

log = logging.getLogger("plangraph")

_ATTRIBUTE = "_plangraph_per_store"
_LOCK = threading.Lock()  # guards adding the attribute to a store


class _Kept:
    """The values of one store; ``lock``: a value is made once even when first asked for by
    several requests at the same time (re-entrant: making one may ask for another)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.values: dict[str, object] = {}


def _kept(store: Store) -> _Kept:
    with _LOCK:
        attributes = vars(store)
        kept = attributes.get(_ATTRIBUTE)
        if kept is None:
            kept = attributes[_ATTRIBUTE] = _Kept()
        return kept


class PerStore(Generic[T]):
    """``cache(settings, store)``: ``make(settings, store)``, made on the first call for
    ``store`` and returned again on every later one."""

    def __init__(self, name: str, make: Callable[[Settings, Store], T]) -> None:
        self.name = name
        self._make = make

    def __call__(self, settings: Settings, store: Store) -> T:
        kept = _kept(store)
        with kept.lock:
            if self.name not in kept.values:
                kept.values[self.name] = self._make(settings, store)
            return cast(T, kept.values[self.name])  # made by this PerStore's ``make``

    def deferred(self, settings: Settings, store: Store) -> T:
        """A stand-in for the value that makes it on its first use (an attribute read), so
        a router can hold it from the start without making the app wait for it (issue 21:
        the first answer as early as the store is open; :func:`warm` makes it meanwhile)."""
        return cast(T, _Deferred(lambda: self(settings, store)))  # forwards every attribute


class _Deferred:
    """Forwards every attribute read to ``get()`` (the value, made once by its PerStore)."""

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], object]) -> None:
        self._get = get

    def __getattr__(self, name: str) -> object:
        return getattr(self._get(), name)


def warm(settings: Settings, store: Store, values: Sequence[PerStore[Any]]) -> threading.Thread:
    """Make ``values`` for ``store`` in a background thread (started, returned): what the
    first requests would otherwise wait for is made while the server already answers. A
    value that fails is left to be made (and to fail with its error) on first use."""

    def run() -> None:
        for value in values:
            try:
                value(settings, store)
            except Exception:  # the request that needs it reports the error
                log.warning("plangraph: could not prepare %s", value.name, exc_info=True)

    thread = threading.Thread(target=run, name="plangraph-warm", daemon=True)
    thread.start()
    return thread


def kept_names(store: Store) -> frozenset[str]:
    """The names of the values made so far for ``store``."""
    kept = vars(store).get(_ATTRIBUTE)
    return frozenset(kept.values) if kept is not None else frozenset()
