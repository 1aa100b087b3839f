"""PI-GNN style graph networks, batched over restarts.

Each restart owns a trainable node embedding and its own layer weights
(Schuetz et al., Nat. Mach. Intell. 2022): embedding → conv → ReLU → dropout →
conv → sigmoid. B restarts share one sparse propagation per layer: the batch
is laid out as an (n, B·d) matrix so one CSR SpMM serves all of them.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import torch
from torch import nn

from ..core.parameterization import Parameterization, glorot_
from ..graph import TorchGraph


def propagate(op: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Apply a sparse (r, c) operator to every restart of h (B, c, d) → (B, r, d)."""
    b, c, d = h.shape
    flat = h.permute(1, 0, 2).reshape(c, b * d)
    return (op @ flat).reshape(op.shape[0], b, d).permute(1, 0, 2)


def default_dims(
    n: int, out_dim: int = 1, embedding_dim: int | None = None, hidden_dim: int | None = None
) -> tuple[int, int]:
    """PI-GNN's sizes: d0 = ⌊√n⌋ clipped to [max(4, out_dim), 64], d1 = d0 // 2 (≥ out_dim, 2).

    >>> default_dims(10_000), default_dims(100, out_dim=12)
    ((64, 32), (12, 12))
    """
    d0 = int(embedding_dim or min(max(int(math.sqrt(max(n, 1))), out_dim, 4), 64))
    d1 = int(hidden_dim or max(d0 // 2, out_dim, 2))
    return d0, d1


class EmbeddingNetwork(Parameterization):
    """Base of the networks with a trainable input embedding and per-restart weights.

    :meth:`reset_` re-draws parameters by name: ``embedding*`` uniform in [−1, 1],
    names starting with ``b`` (biases) zero, every other weight Glorot-uniform per
    restart. Parameters have the restart dimension first.
    """

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if not len(idx):
            return
        with torch.no_grad():
            for name, p in self.named_parameters():
                fresh = torch.empty((len(idx), *p.shape[1:]), device=p.device)
                if name.startswith("embedding"):
                    fresh.uniform_(-1.0, 1.0, generator=generator)
                elif name.startswith("b"):
                    fresh.zero_()
                else:
                    glorot_(fresh, generator)
                p[idx] = fresh


class TwoLayerNetwork(EmbeddingNetwork):
    """embedding → propagate(h W1) (+ h S1) + b1 → ReLU → dropout → propagate(h W2) (+ h S2) + b2 → head.

    Subclasses give :meth:`propagate`, the sparse operator applied to all restarts
    at once; ``skip`` adds the self weights S of GraphSAGE; ``head`` is
    ``"sigmoid"`` (out_dim 1, output (B, n)) or ``"softmax"`` (output (B, n, out_dim)).
    """

    def __init__(
        self,
        n: int,
        restarts: int,
        device: torch.device,
        *,
        out_dim: int = 1,
        head: str = "sigmoid",
        skip: bool = False,
        embedding_dim: int | None = None,
        hidden_dim: int | None = None,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if head not in ("sigmoid", "softmax"):
            raise ValueError(f"unknown head {head!r}; choose sigmoid or softmax")
        if out_dim < 1 or (head == "sigmoid" and out_dim != 1):
            raise ValueError("a sigmoid head has one output; a softmax head at least one")
        d0, d1 = default_dims(n, out_dim, embedding_dim, hidden_dim)
        self.n, self.restarts, self.head, self.dropout = n, restarts, head, float(dropout)
        self.embedding = nn.Parameter(torch.empty(restarts, n, d0, device=device))
        self.w1 = nn.Parameter(torch.empty(restarts, d0, d1, device=device))
        self.b1 = nn.Parameter(torch.zeros(restarts, 1, d1, device=device))
        self.w2 = nn.Parameter(torch.empty(restarts, d1, out_dim, device=device))
        self.b2 = nn.Parameter(torch.zeros(restarts, 1, out_dim, device=device))
        if skip:
            self.s1 = nn.Parameter(torch.empty(restarts, d0, d1, device=device))
            self.s2 = nn.Parameter(torch.empty(restarts, d1, out_dim, device=device))
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=device), generator)

    @abstractmethod
    def propagate(self, h: torch.Tensor) -> torch.Tensor:
        """The network's sparse operator applied to h (B, n, d)."""

    def _layer(self, h: torch.Tensor, w: torch.Tensor, b: torch.Tensor, s: torch.Tensor | None):
        out = self.propagate(torch.bmm(h, w)) + b
        return out if s is None else out + torch.bmm(h, s)

    def forward(self) -> torch.Tensor:
        h = torch.relu(self._layer(self.embedding, self.w1, self.b1, getattr(self, "s1", None)))
        if self.dropout and self.training:
            h = nn.functional.dropout(h, self.dropout)
        out = self._layer(h, self.w2, self.b2, getattr(self, "s2", None))
        if self.head == "softmax":
            return torch.softmax(out, dim=-1)
        return torch.sigmoid(out.squeeze(-1))


class GraphNetwork(TwoLayerNetwork):
    """Two-layer GCN or GraphSAGE(mean) with a trainable embedding input.

    Parameters
    ----------
    graph: device-side graph.
    restarts: number of independent networks B.
    conv: ``"gcn"`` (D^-1/2 (A+I) D^-1/2) or ``"sage"`` (self + mean of neighbours).
    embedding_dim: input feature size d0 (PI-GNN uses ⌊√n⌋; default min(⌊√n⌋, 64)).
    hidden_dim: d1 (default d0 // 2).
    out_dim, head: one sigmoid output per vertex (default) or a softmax over ``out_dim``.

    >>> from dnnsolve.graph import Graph
    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)]).to_torch()
    >>> GraphNetwork(g, restarts=2, generator=torch.Generator().manual_seed(0))().shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        graph: TorchGraph,
        restarts: int,
        conv: str = "gcn",
        embedding_dim: int | None = None,
        hidden_dim: int | None = None,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
        out_dim: int = 1,
        head: str = "sigmoid",
    ):
        if conv not in ("gcn", "sage"):
            raise ValueError(f"unknown conv {conv!r}; choose gcn or sage")
        super().__init__(
            graph.n,
            restarts,
            graph.device,
            out_dim=out_dim,
            head=head,
            skip=conv == "sage",
            embedding_dim=embedding_dim,
            hidden_dim=hidden_dim,
            dropout=dropout,
            generator=generator,
        )
        self.graph, self.conv = graph, conv

    def propagate(self, h: torch.Tensor) -> torch.Tensor:
        op = self.graph.gcn_norm if self.conv == "gcn" else self.graph.mean_norm
        return propagate(op, h)
