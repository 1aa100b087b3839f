"""PI-GNN style graph networks, batched over restarts.

Each restart owns a trainable node embedding and its own layer weights
(Schuetz et al., Nat. Mach. Intell. 2022): embedding → conv → ReLU → dropout →
conv → sigmoid. B restarts share one sparse propagation per layer: the batch
is laid out as an (n, B·d) matrix so one CSR SpMM serves all of them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..core.parameterization import Parameterization, glorot_
from ..graph import TorchGraph


def _propagate(op: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Apply an (n, n) sparse operator to every restart of h (B, n, d)."""
    b, n, d = h.shape
    flat = h.permute(1, 0, 2).reshape(n, b * d)
    return (op @ flat).reshape(n, b, d).permute(1, 0, 2)


class GraphNetwork(Parameterization):
    """Two-layer GCN or GraphSAGE(mean) with a trainable embedding input.

    Parameters
    ----------
    graph: device-side graph.
    restarts: number of independent networks B.
    conv: ``"gcn"`` (D^-1/2 (A+I) D^-1/2) or ``"sage"`` (self + mean of neighbours).
    embedding_dim: input feature size d0 (PI-GNN uses ⌊√n⌋; default min(⌊√n⌋, 64)).
    hidden_dim: d1 (default d0 // 2).

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
    ):
        super().__init__()
        if conv not in ("gcn", "sage"):
            raise ValueError(f"unknown conv {conv!r}; choose gcn or sage")
        n = graph.n
        d0 = embedding_dim or max(4, min(int(math.sqrt(n)), 64))
        d1 = hidden_dim or max(2, d0 // 2)
        self.graph, self.n, self.restarts, self.conv, self.dropout = (
            graph,
            n,
            restarts,
            conv,
            dropout,
        )
        dev = graph.device
        self.embedding = nn.Parameter(torch.empty(restarts, n, d0, device=dev))
        self.w1 = nn.Parameter(torch.empty(restarts, d0, d1, device=dev))
        self.b1 = nn.Parameter(torch.zeros(restarts, 1, d1, device=dev))
        self.w2 = nn.Parameter(torch.empty(restarts, d1, 1, device=dev))
        self.b2 = nn.Parameter(torch.zeros(restarts, 1, 1, device=dev))
        if conv == "sage":
            self.s1 = nn.Parameter(torch.empty(restarts, d0, d1, device=dev))
            self.s2 = nn.Parameter(torch.empty(restarts, d1, 1, device=dev))
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=dev), generator)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if not len(idx):
            return
        with torch.no_grad():
            for name, p in self.named_parameters():
                fresh = torch.empty((len(idx), *p.shape[1:]), device=p.device)
                if name == "embedding":
                    fresh.uniform_(-1.0, 1.0, generator=generator)
                elif name.startswith("b"):
                    fresh.zero_()
                else:
                    glorot_(fresh, generator)
                p[idx] = fresh

    def _layer(self, h: torch.Tensor, w: torch.Tensor, b: torch.Tensor, s: torch.Tensor | None):
        if self.conv == "gcn":
            return _propagate(self.graph.gcn_norm, torch.bmm(h, w)) + b
        return torch.bmm(h, s) + _propagate(self.graph.mean_norm, torch.bmm(h, w)) + b

    def forward(self) -> torch.Tensor:
        h = torch.relu(self._layer(self.embedding, self.w1, self.b1, getattr(self, "s1", None)))
        if self.dropout and self.training:
            h = nn.functional.dropout(h, self.dropout)
        out = self._layer(h, self.w2, self.b2, getattr(self, "s2", None))
        return torch.sigmoid(out.squeeze(-1))
