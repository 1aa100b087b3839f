"""Temporary minimal readers (replaced by the full I/O module)."""

from __future__ import annotations

import numpy as np

from ..graph import Graph


def from_networkx(g, name="networkx"):
    nodes = list(g.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in g.edges()]
    w = [d.get("weight", 1.0) for _, _, d in g.edges(data=True)]
    return Graph.from_edges(len(nodes), edges, w, ids=np.array(nodes, dtype=object), name=name)


def read_graph(path, format=None):
    raise ValueError("not yet")
