"""HypOp-style hypergraph convolution network, batched over restarts.

HypOp (Heydaribeni et al., Nat. Mach. Intell. 2024) trains, per instance, a
trainable embedding → linear → hypergraph convolution → ReLU → linear →
hypergraph convolution → sigmoid, with the convolution
G = D_v^-1/2 H W D_e^-1 Hᵀ D_v^-1/2 (H the n × m incidence, W the edge weights,
D_v / D_e the weighted vertex / edge degrees). G is applied as two sparse
products (Hᵀ then H), never as an n × n matrix; B restarts with their own
weights share each product through an (n, B·d) layout.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..core.parameterization import Parameterization, glorot_
from ..hypergraph import TorchHypergraph


def _apply(op: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Apply a sparse (r, c) operator to every restart of h (B, c, d) → (B, r, d)."""
    b, c, d = h.shape
    flat = h.permute(1, 0, 2).reshape(c, b * d)
    return (op @ flat).reshape(op.shape[0], b, d).permute(1, 0, 2)


class HypergraphNetwork(Parameterization):
    """Two-layer hypergraph convolution network with a trainable embedding input.

    ``embedding_dim`` d0 defaults to min(max(⌊√n⌋, 4), 64) (HypOp uses 50–70
    features), ``hidden_dim`` to d0 // 2, as HypOp's f → f/2 layer.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3)]).to_torch()
    >>> HypergraphNetwork(th, restarts=2, generator=torch.Generator().manual_seed(0))().shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        hypergraph: TorchHypergraph,
        restarts: int,
        embedding_dim: int | None = None,
        hidden_dim: int | None = None,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        n = hypergraph.n
        d0 = embedding_dim or max(4, min(int(math.sqrt(n)), 64))
        d1 = hidden_dim or max(2, d0 // 2)
        self.hg, self.n, self.restarts, self.dropout = hypergraph, n, restarts, dropout
        self.left, self.right = hypergraph.propagation
        dev = hypergraph.device
        self.embedding = nn.Parameter(torch.empty(restarts, n, d0, device=dev))
        self.w1 = nn.Parameter(torch.empty(restarts, d0, d1, device=dev))
        self.b1 = nn.Parameter(torch.zeros(restarts, 1, d1, device=dev))
        self.w2 = nn.Parameter(torch.empty(restarts, d1, 1, device=dev))
        self.b2 = nn.Parameter(torch.zeros(restarts, 1, 1, device=dev))
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

    def _conv(self, h: torch.Tensor) -> torch.Tensor:
        return _apply(self.left, _apply(self.right, h))

    def forward(self) -> torch.Tensor:
        h = torch.relu(self._conv(torch.bmm(self.embedding, self.w1)) + self.b1)
        if self.dropout and self.training:
            h = nn.functional.dropout(h, self.dropout)
        out = self._conv(torch.bmm(h, self.w2)) + self.b2
        return torch.sigmoid(out.squeeze(-1))
