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

import torch

from ..hypergraph import TorchHypergraph
from .gnn import TwoLayerNetwork, propagate


class HypergraphNetwork(TwoLayerNetwork):
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
        super().__init__(
            hypergraph.n,
            restarts,
            hypergraph.device,
            embedding_dim=embedding_dim,
            hidden_dim=hidden_dim,
            dropout=dropout,
            generator=generator,
        )
        self.hg = hypergraph
        self.left, self.right = hypergraph.propagation

    def propagate(self, h: torch.Tensor) -> torch.Tensor:
        return propagate(self.left, propagate(self.right, h))
