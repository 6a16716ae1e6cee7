"""networkx, imported on first use: serving a dataset whose metrics are cached never needs it
(its import costs a good part of the server's start-up). ``from ...lazy_networkx import nx``
and use ``nx`` as the module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx
else:

    class _Lazy:
        """networkx, imported on first use."""

        def __getattr__(self, name: str) -> Any:
            import networkx

            return getattr(networkx, name)

    nx = _Lazy()

__all__ = ["nx"]
