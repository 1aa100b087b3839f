"""Parameterizations of relaxed q-colourings: (B, n, q) probabilities, rows on the simplex.

* :class:`FreeLogits` — one trainable logit per (restart, vertex, colour), softmax
  over the colours (the Potts relaxation optimized directly).
* :class:`ColoringNetwork` — PI-GNN for colouring (Schuetz et al., Phys. Rev.
  Research 4, 043131, 2022): trainable embedding → GCN or GraphSAGE(mean) layer →
  ReLU → dropout → layer with q outputs → softmax. It is the q-output
  generalization of :class:`dnnsolve.params.gnn.GraphNetwork` (which has one
  sigmoid output), batched the same way: per-restart weights (B, fan_in, fan_out)
  and one CSR SpMM per layer for all restarts.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..core.parameterization import Parameterization, glorot_
from ..graph import TorchGraph
from .gnn import _propagate


class FreeLogits(Parameterization):
    """Free logits θ (B, n, q); the relaxed colouring is softmax(θ) over the last axis.

    >>> p = FreeLogits(n=4, q=3, restarts=2, generator=torch.Generator().manual_seed(0))
    >>> x = p()
    >>> x.shape, bool(torch.allclose(x.sum(-1), torch.ones(2, 4)))
    (torch.Size([2, 4, 3]), True)
    """

    def __init__(
        self,
        n: int,
        q: int,
        restarts: int,
        init_std: float = 1.0,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if q < 1:
            raise ValueError("q must be at least 1")
        self.n, self.q, self.restarts, self.init_std = n, q, restarts, init_std
        dev = torch.device(device)
        self.theta = nn.Parameter(torch.empty(restarts, n, q, device=dev))
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=dev), generator)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if len(idx):
            with torch.no_grad():
                shape = (len(idx), self.n, self.q)
                noise = torch.randn(shape, generator=generator, device=self.theta.device)
                self.theta[idx] = self.init_std * noise

    def forward(self) -> torch.Tensor:
        return torch.softmax(self.theta, dim=-1)


class ColoringNetwork(Parameterization):
    """Two-layer GCN / GraphSAGE(mean) with a trainable embedding and a q-way softmax head.

    Parameters
    ----------
    graph: device-side graph.
    q: number of colours (output width).
    restarts: number of independent networks B.
    conv: ``"gcn"`` (D^-1/2 (A+I) D^-1/2) or ``"sage"`` (self + mean of neighbours).
    embedding_dim: input feature size d0 (default min(max(⌊√n⌋, q), 64)).
    hidden_dim: d1 (default max(d0 // 2, q)).

    >>> from dnnsolve.graph import Graph
    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)]).to_torch()
    >>> ColoringNetwork(g, 3, restarts=2, generator=torch.Generator().manual_seed(0))().shape
    torch.Size([2, 4, 3])
    """

    def __init__(
        self,
        graph: TorchGraph,
        q: int,
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
        if q < 1:
            raise ValueError("q must be at least 1")
        n = graph.n
        d0 = int(embedding_dim or min(max(int(math.sqrt(max(n, 1))), q, 4), 64))
        d1 = int(hidden_dim or max(d0 // 2, q, 2))
        self.graph, self.n, self.q, self.restarts = graph, n, q, restarts
        self.conv, self.dropout = conv, float(dropout)
        dev = graph.device
        self.embedding = nn.Parameter(torch.empty(restarts, n, d0, device=dev))
        self.w1 = nn.Parameter(torch.empty(restarts, d0, d1, device=dev))
        self.b1 = nn.Parameter(torch.zeros(restarts, 1, d1, device=dev))
        self.w2 = nn.Parameter(torch.empty(restarts, d1, q, device=dev))
        self.b2 = nn.Parameter(torch.zeros(restarts, 1, q, device=dev))
        if conv == "sage":
            self.s1 = nn.Parameter(torch.empty(restarts, d0, d1, device=dev))
            self.s2 = nn.Parameter(torch.empty(restarts, d1, q, device=dev))
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
        return torch.softmax(out, dim=-1)
