"""Sparse graph instances shared by every graph problem.

A :class:`Graph` is plain NumPy data (edge list, weights, original vertex ids);
:meth:`Graph.to_torch` gives a :class:`TorchGraph` with a symmetric CSR adjacency
on a device, so problems and GNNs never build an n×n dense matrix;
:class:`EdgeIndex` gives batched neighbourhood sums and maxima over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import torch

from .core.errors import InputError

#: most vertices a :class:`Graph` can hold: edges are keyed ``u·n + v`` in int64
#: (deduplication here, CSR ordering in :class:`TorchGraph`), so n² must fit in 2⁶³ − 1
MAX_VERTICES = math.isqrt(2**63 - 1)


@dataclass
class Graph:
    """An undirected graph with optional edge and vertex weights.

    Edges are stored once each with ``src < dst`` (0-based). ``ids`` holds the
    vertex labels of the input file so outputs can use them.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> g.n, g.m, g.degrees().tolist()
    (3, 2, [1, 2, 1])
    """

    n: int
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    node_weight: np.ndarray | None = None
    ids: np.ndarray | None = None
    name: str = "graph"
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_edges(
        cls,
        n: int,
        edges,
        weights=None,
        *,
        node_weight=None,
        ids=None,
        name: str = "graph",
        merge: str = "sum",
        allow_self_loops: bool = False,
    ) -> Graph:
        """Build a graph from 0-based ``(u, v)`` pairs.

        Duplicate edges are merged (``merge="sum"`` adds weights, ``"first"``
        keeps the first, ``"error"`` rejects them). Self-loops raise unless
        ``allow_self_loops`` (then they are dropped).
        """
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        w = (
            np.ones(len(e))
            if weights is None
            else np.asarray(weights, dtype=np.float64).reshape(-1)
        )
        if len(w) != len(e):
            raise InputError(f"{len(e)} edges but {len(w)} weights")
        if n < 0:
            raise InputError("number of vertices must be non-negative")
        if n > MAX_VERTICES:
            raise InputError(f"{n} vertices: a graph holds at most {MAX_VERTICES}")
        if len(e) and (e.min() < 0 or e.max() >= n):
            raise InputError(f"edge endpoint out of range [0, {n})")
        loops = e[:, 0] == e[:, 1]
        if loops.any():
            if not allow_self_loops:
                raise InputError(f"self-loop on vertex {int(e[loops][0, 0])}")
            e, w = e[~loops], w[~loops]
        u = np.minimum(e[:, 0], e[:, 1])
        v = np.maximum(e[:, 0], e[:, 1])
        key = u * max(n, 1) + v
        order = np.argsort(key, kind="stable")
        key, u, v, w = key[order], u[order], v[order], w[order]
        uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
        if len(uniq) != len(key):
            if merge == "error":
                dup = int(np.argmax(counts > 1))
                raise InputError(f"duplicate edge ({u[first[dup]]}, {v[first[dup]]})")
            w = np.add.reduceat(w, first) if merge == "sum" else w[first]
            u, v = u[first], v[first]
        if node_weight is not None:
            node_weight = np.asarray(node_weight, dtype=np.float64).reshape(-1)
            if len(node_weight) != n:
                raise InputError(f"{n} vertices but {len(node_weight)} vertex weights")
        if ids is not None:
            ids = np.asarray(ids)
            if len(ids) != n:
                raise InputError(f"{n} vertices but {len(ids)} vertex ids")
        return cls(
            int(n),
            u.astype(np.int64),
            v.astype(np.int64),
            w.astype(np.float64),
            node_weight,
            ids,
            name,
        )

    @property
    def m(self) -> int:
        return len(self.src)

    @property
    def weighted(self) -> bool:
        return bool(len(self.weight)) and not np.all(self.weight == 1.0)

    @property
    def vertex_weighted(self) -> bool:
        return self.node_weight is not None and not np.all(self.node_weight == 1.0)

    def degrees(self) -> np.ndarray:
        """Unweighted vertex degrees."""
        return np.bincount(np.concatenate([self.src, self.dst]), minlength=self.n)

    def vertex_ids(self, mask_or_index) -> list:
        """Map 0-based indices (or a boolean mask) to the input's vertex ids."""
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        if self.ids is None:
            return [int(i) + 1 for i in idx]
        return [i.item() if hasattr(i, "item") else i for i in self.ids[idx]]

    def to_networkx(self):
        """Return a :mod:`networkx` graph (vertex labels are 0-based indices)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        g.add_weighted_edges_from(zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist()))
        return g

    def to_torch(self, device: torch.device | str = "cpu", dtype=torch.float32) -> TorchGraph:
        return TorchGraph(self, torch.device(device), dtype)

    def __repr__(self) -> str:
        return f"Graph(name={self.name!r}, n={self.n}, m={self.m}, weighted={self.weighted})"


class _SymmetricProduct(torch.autograd.Function):
    """``(A Xᵀ)ᵀ`` for a symmetric sparse ``A``: the backward is the same product, where
    autograd's generic sparse backward would transpose ``A`` on every step (on a CPU that
    transpose costs more than the product: 3.8 → 1.6 ms per MIS training step at n ≈ 750)."""

    @staticmethod
    def forward(ctx, op: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.op = op
        return (op @ x.T.contiguous()).T

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, (ctx.op @ grad.T.contiguous()).T


class TorchGraph:
    """Device-side view of a :class:`Graph` with sparse operators.

    Row-major batches ``X`` have shape ``(B, n)`` (restarts first).
    """

    def __init__(self, graph: Graph, device: torch.device, dtype=torch.float32):
        self.graph = graph
        self.n = graph.n
        self.device = device
        self.dtype = dtype
        self.src = torch.as_tensor(graph.src, device=device)
        self.dst = torch.as_tensor(graph.dst, device=device)
        self.weight = torch.as_tensor(graph.weight, device=device, dtype=dtype)
        self.deg = torch.as_tensor(graph.degrees(), device=device, dtype=dtype)
        nw = graph.node_weight if graph.node_weight is not None else np.ones(graph.n)
        self.node_weight = torch.as_tensor(nw, device=device, dtype=dtype)

    def _build_csr(
        self, rows: torch.Tensor, cols: torch.Tensor, vals: torch.Tensor
    ) -> torch.Tensor:
        order = torch.argsort(rows * max(self.n, 1) + cols)
        crow = torch.zeros(self.n + 1, dtype=torch.int64, device=self.device)
        crow[1:] = torch.cumsum(torch.bincount(rows, minlength=self.n), 0)
        return torch.sparse_csr_tensor(
            crow, cols[order], vals[order], (self.n, self.n), check_invariants=False
        )

    def _symmetric(
        self, values: torch.Tensor, row_scale: torch.Tensor | None = None
    ) -> torch.Tensor:
        rows = torch.cat([self.src, self.dst])
        cols = torch.cat([self.dst, self.src])
        vals = torch.cat([values, values])
        if row_scale is not None:
            vals = vals * row_scale[rows]
        return self._build_csr(rows, cols, vals)

    @cached_property
    def adj(self) -> torch.Tensor:
        """Symmetric weighted adjacency (CSR)."""
        return self._symmetric(self.weight)

    @cached_property
    def adj01(self) -> torch.Tensor:
        """Symmetric 0/1 adjacency (CSR)."""
        return self._symmetric(torch.ones_like(self.weight))

    @cached_property
    def gcn_norm(self) -> torch.Tensor:
        """D^-1/2 (A + I) D^-1/2 as CSR, the GCN propagation operator (Kipf & Welling)."""
        loops = torch.arange(self.n, device=self.device)
        rows = torch.cat([self.src, self.dst, loops])
        cols = torch.cat([self.dst, self.src, loops])
        dinv = (self.deg + 1.0).rsqrt()
        return self._build_csr(rows, cols, dinv[rows] * dinv[cols])

    @cached_property
    def mean_norm(self) -> torch.Tensor:
        """D^-1 A as CSR (GraphSAGE mean aggregation)."""
        return self._symmetric(torch.ones_like(self.weight), 1.0 / self.deg.clamp_min(1.0))

    @staticmethod
    def spmm(op: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``op @ x`` for ``x`` of shape (n, k) or a batch (B, n) → (B, n)."""
        if x.dim() == 2 and x.shape[0] != op.shape[1]:
            return (op @ x.T).T
        return op @ x

    def matvec(self, x: torch.Tensor, weighted: bool = True) -> torch.Tensor:
        """Batched ``A x`` for ``x`` of shape (B, n); returns (B, n).

        >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
        >>> tg.matvec(torch.tensor([[1.0, 0.0, 2.0]])).tolist()
        [[0.0, 3.0, 0.0]]
        """
        op = self.adj if weighted else self.adj01
        if x.requires_grad and torch.is_grad_enabled():
            return _SymmetricProduct.apply(op, x)
        return (op @ x.T.contiguous()).T

    def edge_products(self, x: torch.Tensor) -> torch.Tensor:
        """x_u * x_v for every edge, shape (B, m)."""
        return x[:, self.src] * x[:, self.dst]

    @cached_property
    def neighbor_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded neighbour lists ``(nbr, w)`` of shape (n, dmax).

        Padding points at the dummy vertex ``n`` with weight 0, so a caller can
        scatter into a (B, n + 1) buffer without masks.
        """
        rows = torch.cat([self.src, self.dst])
        cols = torch.cat([self.dst, self.src])
        vals = torch.cat([self.weight, self.weight])
        order = torch.argsort(rows, stable=True)
        rows, cols, vals = rows[order], cols[order], vals[order]
        counts = torch.bincount(rows, minlength=self.n)
        dmax = int(counts.max().item()) if self.n and len(rows) else 0
        start = torch.zeros(self.n, dtype=torch.int64, device=self.device)
        start[1:] = torch.cumsum(counts, 0)[:-1]
        slot = torch.arange(len(rows), device=self.device) - start[rows]
        nbr = torch.full((self.n, max(dmax, 1)), self.n, dtype=torch.int64, device=self.device)
        w = torch.zeros((self.n, max(dmax, 1)), dtype=self.dtype, device=self.device)
        nbr[rows, slot] = cols
        w[rows, slot] = vals
        return nbr, w


class EdgeIndex:
    """Neighbourhood reductions over a batch (B, n) via the CSR adjacency.

    Sums are one sparse-dense product; maxima one gather of the 2m directed
    edges (rows[k] → cols[k], CSR order) and a segment reduction.

    >>> from dnnsolve.graph import Graph
    >>> ei = EdgeIndex(Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch())
    >>> ei.count(torch.tensor([[True, False, True]])).tolist()
    [[0.0, 2.0, 0.0]]
    """

    def __init__(self, tg: TorchGraph):
        self.n = tg.n
        self.device = tg.device
        self.adj = tg.adj01.to(torch.float32)
        crow = self.adj.crow_indices()
        self.lengths = crow[1:] - crow[:-1]
        self.cols = self.adj.col_indices()
        self.rows = torch.repeat_interleave(torch.arange(tg.n, device=tg.device), self.lengths)
        self._csr_numpy: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def csr_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """The adjacency's CSR ``(indptr, indices)`` as int64 NumPy arrays (for CPU kernels)."""
        if self._csr_numpy is None:
            crow = self.adj.crow_indices().cpu().numpy().astype(np.int64)
            self._csr_numpy = (crow, self.cols.cpu().numpy().astype(np.int64))
        return self._csr_numpy

    def sum(self, x: torch.Tensor) -> torch.Tensor:
        """Σ over neighbours of ``x`` (B, n), float32."""
        return (self.adj @ x.to(torch.float32).T.contiguous()).T

    def count(self, z: torch.Tensor) -> torch.Tensor:
        """Number of neighbours in ``z`` (B, n) as float32."""
        return self.sum(z)

    def max(self, x: torch.Tensor) -> torch.Tensor:
        """Max over neighbours of ``x`` (B, n); −inf for isolated vertices."""
        vals = x.T.contiguous().index_select(0, self.cols)
        out = torch.segment_reduce(
            vals, "max", lengths=self.lengths, axis=0, unsafe=True, initial=-math.inf
        )
        return out.T


# ------------------------------------------------------------------ complement

#: the complement is built only when it has at most this many edges
COMPLEMENT_MAX_EDGES = 2_000_000


def complement_edges(graph: Graph) -> int:
    """Number of edges of the complement: n(n−1)/2 − m."""
    return graph.n * (graph.n - 1) // 2 - graph.m


def complement_graph(graph: Graph, max_edges: int = COMPLEMENT_MAX_EDGES) -> Graph:
    """The complement Ḡ (same vertices, weights, ids), built in row blocks.

    Raises ValueError when Ḡ would have more than ``max_edges`` edges.

    >>> complement_graph(Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])).src.tolist()
    [0, 0, 1]
    """
    n = graph.n
    if complement_edges(graph) > max_edges:
        raise ValueError(
            f"the complement of a graph with n={n}, m={graph.m} has "
            f"{complement_edges(graph)} edges (> {max_edges}); use the implicit mode"
        )
    rows = np.concatenate([graph.src, graph.dst])
    cols = np.concatenate([graph.dst, graph.src])
    adj = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
    us, vs = [], []
    block = max(1, min(n, 4_000_000 // max(n, 1)))
    col = np.arange(n)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        dense = adj[lo:hi].toarray()
        r = np.arange(lo, hi)[:, None]
        u, v = np.nonzero(~dense & (col[None, :] > r))
        us.append(u + lo)
        vs.append(v)
    src = np.concatenate(us) if us else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(vs) if vs else np.zeros(0, dtype=np.int64)
    return Graph(
        n,
        src.astype(np.int64),
        dst.astype(np.int64),
        np.ones(len(src)),
        node_weight=graph.node_weight,
        ids=graph.ids,
        name=f"co-{graph.name}",
    )


def coloring_output(graph: Graph, colors: np.ndarray) -> dict:
    """JSON form of a colouring: colours renumbered 1..k in order of first use, keyed by vertex id.

    >>> coloring_output(Graph.from_edges(3, [(0, 1)]), np.array([4, 2, 4]))
    {'colors': 2, 'coloring': {1: 1, 2: 2, 3: 1}}
    """
    col = np.asarray(colors).reshape(-1)
    _, first, inv = np.unique(col, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    new = rank[inv] + 1
    ids = graph.vertex_ids(np.arange(graph.n))
    return {"colors": len(first), "coloring": dict(zip(ids, new.tolist()))}
