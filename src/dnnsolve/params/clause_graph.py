"""A clause–variable graph network for SAT / MaxSAT, batched over restarts.

The formula is the bipartite graph of variables and clauses with one edge per literal
occurrence, labelled by the literal's sign. Each restart owns a trainable variable
embedding and its own weights. One layer passes messages variable → clause → variable:

    h_c = ReLU( mean_{ℓ ∈ c} h_{v(ℓ)} W_{sign(ℓ)} )
    h_v ← ReLU( h_v S + mean_{ℓ ∋ v} h_{c(ℓ)} U_{sign(ℓ)} )

with separate matrices for positive and negative occurrences, and the readout is
x_v = sigmoid(h_v w + b) = P(x_v true). Messages are gathers over the L literal
occurrences and ``index_add`` segment sums, O(B·L·d) memory, no dense matrix.
"""

from __future__ import annotations

import torch
from torch import nn

from ..search.sat import ClauseTensors
from .gnn import EmbeddingNetwork


class ClauseGraphNetwork(EmbeddingNetwork):
    """Message passing on the clause–variable graph with a trainable embedding input.

    >>> from dnnsolve.search.sat import clause_tensors
    >>> ct = clause_tensors(3, [[1, -2], [2, 3]])
    >>> net = ClauseGraphNetwork(ct, restarts=2, generator=torch.Generator().manual_seed(0))
    >>> net().shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        ct: ClauseTensors,
        restarts: int,
        dim: int = 16,
        layers: int = 2,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if dim < 1 or layers < 1:
            raise ValueError("dim and layers must be positive")
        self.ct, self.n, self.restarts, self.layers = ct, ct.n, restarts, layers
        dev = ct.device
        B, d = restarts, dim
        self.embedding = nn.Parameter(torch.empty(B, ct.n, d, device=dev))
        self.weights = nn.ParameterList()
        for _ in range(5 * layers):  # per layer: W+, W-, U+, U-, S
            self.weights.append(nn.Parameter(torch.empty(B, d, d, device=dev)))
        self.w_out = nn.Parameter(torch.empty(B, d, 1, device=dev))
        self.b_out = nn.Parameter(torch.zeros(B, 1, 1, device=dev))
        L = len(ct.lit_var)
        ones = torch.ones(L, device=dev)
        clen = torch.zeros(ct.m, device=dev).index_add_(0, ct.lit_clause, ones)
        deg = torch.zeros(ct.n, device=dev).index_add_(0, ct.lit_var, ones)
        self.register_buffer("inv_clen", (1.0 / clen.clamp_min(1.0))[None, :, None])
        self.register_buffer("inv_deg", (1.0 / deg.clamp_min(1.0))[None, :, None])
        self.register_buffer("pos", ct.lit_pos[None, :, None])
        self.reset_(torch.ones(B, dtype=torch.bool, device=dev), generator)

    def perturb_(
        self, mask: torch.Tensor, scale: float, generator: torch.Generator | None = None
    ) -> None:
        with torch.no_grad():
            noise = torch.randn(self.embedding.shape, generator=generator, device=mask.device)
            self.embedding.add_(scale * noise * mask[:, None, None].to(noise.dtype))

    def forward(self) -> torch.Tensor:
        ct = self.ct
        B = self.restarts
        h = self.embedding
        d = h.shape[-1]
        for i in range(self.layers):
            wp, wn, up, un, s = self.weights[5 * i : 5 * i + 5]
            msg = torch.where(
                self.pos, torch.bmm(h, wp)[:, ct.lit_var], torch.bmm(h, wn)[:, ct.lit_var]
            )
            hc = torch.zeros(B, ct.m, d, device=h.device, dtype=h.dtype)
            hc = torch.relu(hc.index_add(1, ct.lit_clause, msg) * self.inv_clen)
            back = torch.where(
                self.pos, torch.bmm(hc, up)[:, ct.lit_clause], torch.bmm(hc, un)[:, ct.lit_clause]
            )
            hv = torch.zeros(B, ct.n, d, device=h.device, dtype=h.dtype)
            hv = hv.index_add(1, ct.lit_var, back) * self.inv_deg
            h = torch.relu(torch.bmm(h, s) + hv)
        return torch.sigmoid((torch.bmm(h, self.w_out) + self.b_out).squeeze(-1))
