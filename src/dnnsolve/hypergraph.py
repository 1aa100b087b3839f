"""Hypergraphs: hyperedges stored as CSR (``edge_ptr``, ``edge_vertices``), plus a torch view.

A :class:`Hypergraph` holds ``n`` vertices (0-based internally, ``ids`` are the
input's labels), ``m`` weighted hyperedges whose members are
``edge_vertices[edge_ptr[e]:edge_ptr[e + 1]]`` (distinct, at least one per edge).
:class:`TorchHypergraph` carries the incidence on a device: per incidence the edge
and the vertex, padded member / incident-edge tables for local search and the
sparse HyperGCN propagation operators.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import torch


@dataclass
class Hypergraph:
    """A weighted hypergraph with CSR hyperedges.

    >>> h = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3)])
    >>> h.n, h.m, h.edge_sizes.tolist(), h.edge(0).tolist()
    (4, 2, [3, 2], [0, 1, 2])
    """

    n: int
    edge_ptr: np.ndarray  # (m + 1,) int64
    edge_vertices: np.ndarray  # (nnz,) int64, 0-based
    weight: np.ndarray  # (m,) float64
    ids: np.ndarray | None = None  # vertex labels of the input (None: 1..n)
    name: str = "hypergraph"
    node_weight: np.ndarray | None = None  # hMETIS vertex weights (not used by the cut)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.edge_ptr = np.asarray(self.edge_ptr, dtype=np.int64)
        self.edge_vertices = np.asarray(self.edge_vertices, dtype=np.int64)
        self.weight = np.asarray(self.weight, dtype=np.float64)
        m = len(self.edge_ptr) - 1
        if m < 0 or self.edge_ptr[0] != 0 or self.edge_ptr[-1] != len(self.edge_vertices):
            raise ValueError("edge_ptr must start at 0 and end at len(edge_vertices)")
        if np.any(np.diff(self.edge_ptr) < 1):
            raise ValueError("every hyperedge needs at least one vertex")
        if self.weight.shape != (m,):
            raise ValueError(f"weight has shape {self.weight.shape}, expected ({m},)")
        if len(self.edge_vertices) and (
            self.edge_vertices.min() < 0 or self.edge_vertices.max() >= self.n
        ):
            raise ValueError(f"vertex index out of range [0, {self.n})")
        if not np.all(np.isfinite(self.weight)):
            raise ValueError("hyperedge weights must be finite")

    @classmethod
    def from_edges(
        cls,
        n: int,
        edges: Iterable[Sequence[int]],
        weights: Sequence[float] | np.ndarray | None = None,
        ids: Sequence[Any] | np.ndarray | None = None,
        name: str = "hypergraph",
    ) -> Hypergraph:
        """Build from 0-based vertex lists; repeated vertices inside an edge count once."""
        lists = [np.unique(np.asarray(list(e), dtype=np.int64)) for e in edges]
        sizes = np.array([len(e) for e in lists], dtype=np.int64)
        ptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        verts = np.concatenate(lists) if lists else np.zeros(0, np.int64)
        w = np.ones(len(lists)) if weights is None else np.asarray(weights, dtype=np.float64)
        return cls(n, ptr, verts, w, None if ids is None else np.asarray(ids), name)

    @property
    def m(self) -> int:
        return len(self.edge_ptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.edge_vertices)

    @property
    def edge_sizes(self) -> np.ndarray:
        return np.diff(self.edge_ptr)

    @property
    def edge_of_incidence(self) -> np.ndarray:
        """Hyperedge index of every entry of ``edge_vertices``."""
        return np.repeat(np.arange(self.m, dtype=np.int64), self.edge_sizes)

    def edge(self, e: int) -> np.ndarray:
        return self.edge_vertices[self.edge_ptr[e] : self.edge_ptr[e + 1]]

    def edges(self) -> list[list[int]]:
        """Hyperedges as lists of 0-based vertices."""
        return [self.edge(e).tolist() for e in range(self.m)]

    def degrees(self) -> np.ndarray:
        return np.bincount(self.edge_vertices, minlength=self.n)

    def vertex_ids(self, mask_or_index) -> list:
        """Map 0-based indices (or a boolean mask) to the input's vertex ids."""
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        if self.ids is None:
            return [int(i) + 1 for i in idx]
        return [i.item() if hasattr(i, "item") else i for i in self.ids[idx]]

    def to_torch(self, device: torch.device | str = "cpu") -> TorchHypergraph:
        return TorchHypergraph(self, device)


def hypergraph_from_edge_lists(
    edges: Iterable[Iterable[Any]],
    weights: Sequence[float] | None = None,
    name: str = "hypergraph",
) -> Hypergraph:
    """A hypergraph from hyperedges given by arbitrary vertex labels (kept as ``ids``).

    >>> h = hypergraph_from_edge_lists([[10, 20], [20, 30, 40]])
    >>> h.n, h.ids.tolist(), h.edges()
    (4, [10, 20, 30, 40], [[0, 1], [1, 2, 3]])
    """
    lists = [list(e) for e in edges]
    labels = sorted({v for e in lists for v in e})
    index = {v: i for i, v in enumerate(labels)}
    for k, e in enumerate(lists):
        if not e:
            raise ValueError(f"hyperedge {k} is empty")
    return Hypergraph.from_edges(
        len(labels),
        [[index[v] for v in e] for e in lists],
        weights,
        ids=np.array(labels),
        name=name,
    )


# empirical hyperedge-size distribution of the HypOp synthetic hypergraphs (sizes 2..11)
_HYPOP_SIZE_COUNTS = np.array([15240, 11433, 6495, 2804, 1039, 382, 89, 19, 8, 2], dtype=float)


def random_hypergraph(
    n: int, m: int | None = None, seed: int = 0, name: str | None = None
) -> Hypergraph:
    """Random hypergraph shaped like HypOp's synthetic ones (``m ≈ 1.47 n``).

    Hyperedge sizes follow the size histogram of the HypOp files ``Hyp_*``
    (42 % pairs, 31 % triples, ... up to 11 members); members are drawn uniformly
    without replacement; unit weights. Deterministic for a given seed.

    >>> h = random_hypergraph(100, seed=1)
    >>> h.n, h.m, int(h.edge_sizes.min()) >= 2
    (100, 147, True)
    """
    if n < 2:
        raise ValueError("random_hypergraph needs n >= 2")
    m = round(1.4733 * n) if m is None else m
    rng = np.random.default_rng(seed)
    p = _HYPOP_SIZE_COUNTS / _HYPOP_SIZE_COUNTS.sum()
    sizes = np.minimum(2 + rng.choice(len(p), size=m, p=p), n)
    edges = [rng.choice(n, size=int(k), replace=False) for k in sizes]
    return Hypergraph.from_edges(n, edges, name=name or f"rand-n{n}-m{m}-s{seed}")


class TorchHypergraph:
    """Device-side incidence of a :class:`Hypergraph`.

    ``inc_edge`` / ``inc_vertex`` (nnz,) give the edge and the vertex of every
    incidence; ``sizes`` (m,), ``weight`` (m,) float32 and ``weight64``.

    >>> th = Hypergraph.from_edges(3, [(0, 1, 2), (0, 1)]).to_torch()
    >>> th.edge_sum(torch.ones(1, 3)[:, th.inc_vertex]).tolist()
    [[3.0, 2.0]]
    """

    def __init__(self, hg: Hypergraph, device: torch.device | str = "cpu"):
        dev = torch.device(device)
        self.hg = hg
        self.n, self.m, self.device = hg.n, hg.m, dev
        self.inc_edge = torch.as_tensor(hg.edge_of_incidence, device=dev)
        self.inc_vertex = torch.as_tensor(hg.edge_vertices, device=dev)
        self.sizes = torch.as_tensor(hg.edge_sizes, device=dev)
        self.weight64 = torch.as_tensor(hg.weight, dtype=torch.float64, device=dev)
        self.weight = self.weight64.to(torch.float32)
        self.vdeg = torch.as_tensor(hg.degrees(), device=dev)

    def edge_sum(self, vals: torch.Tensor) -> torch.Tensor:
        """Per-edge sums of per-incidence values (B, nnz) → (B, m) (differentiable)."""
        out = torch.zeros(vals.shape[0], self.m, dtype=vals.dtype, device=vals.device)
        return out.index_add(1, self.inc_edge, vals)

    def vertex_sum(self, vals: torch.Tensor) -> torch.Tensor:
        """Per-vertex sums of per-incidence values (B, nnz) → (B, n)."""
        out = torch.zeros(vals.shape[0], self.n, dtype=vals.dtype, device=vals.device)
        return out.index_add(1, self.inc_vertex, vals)

    def edge_products(self, x: torch.Tensor, eps: float = 1e-30) -> torch.Tensor:
        """Π_{i∈e} x_i for x (B, n) in [0, 1], computed as exp(Σ log x), shape (B, m)."""
        logs = torch.log(x.clamp_min(eps))[:, self.inc_vertex]
        return torch.exp(self.edge_sum(logs))

    @cached_property
    def member_table(self) -> torch.Tensor:
        """(m + 1, kmax) members of each edge padded with the dummy vertex n (last row: dummy)."""
        return _padded(self.inc_edge, self.inc_vertex, self.m, self.n, self.device)

    @cached_property
    def incident_table(self) -> torch.Tensor:
        """(n + 1, dmax) edges of each vertex padded with the dummy edge m."""
        return _padded(self.inc_vertex, self.inc_edge, self.n, self.m, self.device)

    @cached_property
    def propagation(self) -> tuple[torch.Tensor, torch.Tensor]:
        """HyperGCN operator G = D_v^-1/2 H W D_e^-1 Hᵀ D_v^-1/2 as two CSR factors.

        Returns ``(left, right)`` with G = left @ right: ``right`` = D_e^-1 Hᵀ D_v^-1/2
        (m × n), ``left`` = D_v^-1/2 H W (n × m); never the n × n product.
        """
        wabs = self.weight.abs()
        dv = torch.zeros(self.n, device=self.device).index_add(
            0, self.inc_vertex, wabs[self.inc_edge]
        )
        dv_isqrt = torch.where(dv > 0, dv.clamp_min(1e-30).rsqrt(), torch.zeros_like(dv))
        de_inv = 1.0 / self.sizes.to(torch.float32)
        e, v = self.inc_edge, self.inc_vertex
        right = _csr(e, v, de_inv[e] * dv_isqrt[v], self.m, self.n)
        left = _csr(v, e, dv_isqrt[v] * wabs[e], self.n, self.m)
        return left, right


def _csr(rows, cols, vals, nr: int, nc: int) -> torch.Tensor:
    order = torch.argsort(rows * max(nc, 1) + cols)
    crow = torch.zeros(nr + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=nr), 0)
    return torch.sparse_csr_tensor(crow, cols[order], vals[order], (nr, nc), check_invariants=False)


def _padded(keys: torch.Tensor, vals: torch.Tensor, nk: int, pad: int, dev) -> torch.Tensor:
    """Group ``vals`` by ``keys`` into an (nk + 1, width) table padded with ``pad``."""
    counts = torch.bincount(keys, minlength=nk)
    width = max(int(counts.max()) if nk and len(keys) else 0, 1)
    order = torch.argsort(keys, stable=True)
    k_sorted = keys[order]
    start = torch.zeros(nk + 1, dtype=torch.int64, device=dev)
    start[1:] = torch.cumsum(counts, 0)
    slot = torch.arange(len(keys), device=dev) - start[k_sorted]
    table = torch.full((nk + 1, width), pad, dtype=torch.int64, device=dev)
    table[k_sorted, slot] = vals[order]
    return table
