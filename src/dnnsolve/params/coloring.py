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

import torch
from torch import nn

from ..core.parameterization import Parameterization
from ..graph import TorchGraph
from .gnn import GraphNetwork


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

    def warm_start_(
        self, idx: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> bool:
        """Set restarts ``idx`` to the relaxed colourings ``x`` (len(idx), n, q).

        The logits are log(0.7·x + 0.3/q) plus a little noise: the argmax is x's colour, yet
        the softmax is not saturated, so the Potts gradient can still move every vertex.
        """
        with torch.no_grad():
            target = 0.7 * x.to(self.theta) + 0.3 / self.q
            noise = torch.randn(target.shape, generator=generator, device=self.theta.device)
            self.theta[idx] = torch.log(target) + 0.1 * self.init_std * noise
        return True

    def forward(self) -> torch.Tensor:
        return torch.softmax(self.theta, dim=-1)


class ColoringNetwork(GraphNetwork):
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
        if q < 1:
            raise ValueError("q must be at least 1")
        super().__init__(
            graph,
            restarts,
            conv,
            embedding_dim,
            hidden_dim,
            dropout,
            generator,
            out_dim=q,
            head="softmax",
        )
        self.q = q
