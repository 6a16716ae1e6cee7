"""Positions of a network's nodes for drawing it (the page's default layout)."""

from __future__ import annotations

from plangraph.network.lazy_networkx import nx
from plangraph.network.metrics import sorted_copy


def layout(G: nx.Graph, size: float = 1000.0) -> dict[str, tuple[float, float]]:
    """Deterministic positions in pixels: each connected component laid out on its own
    (Kamada-Kawai on hops, no randomness), scaled by the square root of its size, and the
    components packed in rows, largest first, so small groups do not crowd the big one."""
    H = sorted_copy(G)
    if H.number_of_nodes() == 0:
        return {}
    comps = sorted((sorted(c) for c in nx.connected_components(H)), key=lambda c: (-len(c), c[0]))
    unit = size / max(1.0, len(comps[0]) ** 0.5)
    out: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    width = max(size * 1.6, unit * 3)
    for comp in comps:
        sub = H.subgraph(comp)
        extent = unit * len(comp) ** 0.5
        if len(comp) == 1:
            pos = {comp[0]: (0.0, 0.0)}
        elif len(comp) == 2:
            pos = {comp[0]: (-0.5, 0.0), comp[1]: (0.5, 0.0)}
        else:
            pos = nx.kamada_kawai_layout(sub, weight=None)
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        box = extent if len(comp) > 2 else unit * 0.6
        if x > 0 and x + box > width:
            x, y, row_height = 0.0, y + row_height + unit * 0.4, 0.0
        for n, (px, py) in pos.items():
            nx_ = x + (px - min(xs)) / span * box if len(comp) > 1 else x
            ny_ = y + (py - min(ys)) / span * box if len(comp) > 1 else y
            out[n] = (round(float(nx_), 1), round(float(ny_), 1))
        x += box + unit * 0.4
        row_height = max(row_height, box if len(comp) > 1 else 0.0)
    return out
