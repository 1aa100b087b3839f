"""Shared pieces of the baselines: the result record and independent objective checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..graph import Graph


@dataclass
class BaselineResult:
    """Outcome of one classical baseline run.

    ``objective`` and ``feasible`` are recomputed from ``solution`` (0/1 per vertex);
    ``optimal`` is True only when the solver proved optimality; ``bound`` is the
    solver's best bound on the optimum (None for heuristics).
    """

    name: str
    objective: float
    solution: np.ndarray
    optimal: bool = False
    bound: float | None = None
    time_s: float = 0.0
    feasible: bool = True
    status: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-friendly summary (the solution vector is left out)."""
        return {
            "name": self.name,
            "objective": self.objective,
            "feasible": self.feasible,
            "optimal": self.optimal,
            "bound": self.bound,
            "time_s": self.time_s,
            "status": self.status,
        }


def maxcut_value(graph: Graph, side: np.ndarray) -> float:
    """Weighted cut of the 0/1 side assignment ``side`` (length n).

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    >>> maxcut_value(g, np.array([1, 0, 0]))
    2.0
    """
    s = np.asarray(side).astype(bool).reshape(-1)
    if s.shape != (graph.n,):
        raise ValueError(f"solution has length {s.size}, graph has {graph.n} vertices")
    return float(graph.weight[s[graph.src] != s[graph.dst]].sum())


def mis_value(graph: Graph, mask: np.ndarray) -> tuple[float, bool]:
    """``(weight of the set, is it independent?)`` for a 0/1 vertex mask.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> mis_value(g, np.array([1, 0, 1])), mis_value(g, np.array([1, 1, 0]))
    ((2.0, True), (2.0, False))
    """
    x = np.asarray(mask).astype(bool).reshape(-1)
    if x.shape != (graph.n,):
        raise ValueError(f"solution has length {x.size}, graph has {graph.n} vertices")
    w = graph.node_weight if graph.node_weight is not None else np.ones(graph.n)
    feasible = not bool(np.any(x[graph.src] & x[graph.dst]))
    return float(w[x].sum()), feasible


def csr_adjacency(graph: Graph, weighted: bool = True) -> sp.csr_matrix:
    """Symmetric sparse adjacency (n × n CSR, O(m) memory)."""
    rows = np.concatenate([graph.src, graph.dst])
    cols = np.concatenate([graph.dst, graph.src])
    vals = np.concatenate([graph.weight, graph.weight]) if weighted else np.ones(len(rows))
    return sp.csr_matrix((vals, (rows, cols)), shape=(graph.n, graph.n))


def integer_scale(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer coefficients for CP-SAT: ``(round(values * s), s)`` with s = 1 when already integral."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0 or np.allclose(v, np.round(v)):
        return np.round(v).astype(np.int64), 1.0
    scale = 1000.0  # three decimals are plenty for a baseline; the objective is recomputed anyway
    return np.round(v * scale).astype(np.int64), scale
