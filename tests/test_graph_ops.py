"""Sparse graph operators: the product and its gradient against dense algebra."""

from __future__ import annotations

import numpy as np
import torch

from dnnsolve.graph import Graph


def test_matvec_and_its_gradient_match_the_dense_adjacency():
    rng = np.random.default_rng(0)
    n = 30
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.2]
    weights = rng.uniform(-2, 2, len(edges))
    tg = Graph.from_edges(n, edges, weights=weights).to_torch(dtype=torch.float64)
    dense = torch.zeros(n, n, dtype=torch.float64)
    for (u, v), w in zip(edges, weights):
        dense[u, v] = dense[v, u] = w
    x = torch.randn(4, n, dtype=torch.float64, requires_grad=True)
    g = torch.randn(4, n, dtype=torch.float64)
    y = tg.matvec(x)
    assert torch.allclose(y, x @ dense.T)
    (y * g).sum().backward()
    assert torch.allclose(x.grad, g @ dense)
    x01 = x.detach().requires_grad_()
    tg.matvec(x01, weighted=False).pow(2).sum().backward()
    a01 = (dense != 0).to(torch.float64)
    assert torch.allclose(x01.grad, 2 * (x01 @ a01) @ a01)
