"""Hypergraph MaxCut (HypOp's loss).

A hyperedge is cut when its members are not all on the same side; the
objective is the total weight of cut hyperedges. With x_i ∈ [0, 1] the
probability of side 1, HypOp's loss Σ_e w_e (Π_{i∈e}(1 − x_i) + Π_{i∈e} x_i) is
the expected weight of monochromatic (uncut) hyperedges; minimizing it maximizes
the expected cut. The products are exp(Σ log x) over the CSR incidence, so the
loss costs O(B · nnz) and is differentiable everywhere it matters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import torch

from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..hypergraph import Hypergraph
from ..io.hypergraphs import load_hypergraph
from ..methods import BuildContext, register, register_problem
from ..params.hypergnn import HypergraphNetwork
from ..search import anneal
from ..search.hypermaxcut import cut_values, greedy_descent, parallel_annealing, tabu_search

_MIN_TABU_RESTARTS = 8
#: the share of a timed polish given to simulated annealing (as for MaxCut)
_ANNEAL_SHARE = 0.75


class HyperMaxCut(Problem):
    """MaxCut of a weighted hypergraph; the solution is a 0/1 side per vertex.

    >>> h = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3), (0, 3)])
    >>> HyperMaxCut(h).verify(np.array([1, 1, 1, 0]))
    (2.0, True)
    """

    name = "hypermaxcut"
    sense = "max"

    def __init__(
        self, hg: Hypergraph, device: torch.device | str = "cpu", reference: float | None = None
    ):
        self.hg = hg
        self.th = hg.to_torch(device)
        self.n_vars = hg.n
        self.instance = hg.name
        self._reference = reference

    def uncut_expectation(self, x: torch.Tensor) -> torch.Tensor:
        """HypOp's loss: expected weight of monochromatic hyperedges, shape (B,)."""
        th = self.th
        mono = th.edge_products(x) + th.edge_products(1.0 - x)
        return mono @ th.weight.to(x.dtype)

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.uncut_expectation(x)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x > 0.5

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        """Exact cut: per edge min and max of the members' sides differ."""
        th = self.th
        zi = z.to(th.device).to(torch.int64)[:, th.inc_vertex]
        idx = th.inc_edge.expand(zi.shape[0], -1)
        B = zi.shape[0]
        lo = torch.ones(B, th.m, dtype=torch.int64, device=th.device)
        hi = torch.zeros(B, th.m, dtype=torch.int64, device=th.device)
        lo.scatter_reduce_(1, idx, zi, "amin")
        hi.scatter_reduce_(1, idx, zi, "amax")
        cut = (lo != hi).to(torch.float64) @ th.weight64
        return Evaluation(cut, torch.ones(B, dtype=torch.bool, device=th.device))

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """Independent re-check: a plain Python pass over the hyperedges."""
        side = np.asarray(solution).astype(bool).reshape(-1)
        if side.shape != (self.hg.n,):
            return float("nan"), False
        sides = side.tolist()
        ptr, ev, w = self.hg.edge_ptr.tolist(), self.hg.edge_vertices.tolist(), self.hg.weight
        total = 0.0
        for e in range(self.hg.m):
            seen = {sides[v] for v in ev[ptr[e] : ptr[e + 1]]}
            if len(seen) == 2:
                total += float(w[e])
        return total, True

    baseline_name = "random+1flip"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """Greedy 1-flip descent from 8 random partitions (the classical local-optimum cut)."""
        z = torch.rand((8, self.n_vars), generator=generator, device=self.th.device) < 0.5
        return greedy_descent(self.th, z, time_limit=time_limit)

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, list[str | None]]:
        """Greedy descent, simulated annealing, then 1-flip tabu search.

        On a CPU with a ``time_limit``, 75 % of it goes to compiled simulated annealing from
        random starts (:func:`~dnnsolve.search.anneal.anneal_hypercut`), and the rest to greedy
        descent and tabu search from the given rows and the best annealed states (rows found
        from annealed states are labelled ``"anneal"``). Otherwise the batched torch stages:
        :func:`~dnnsolve.search.hypermaxcut.parallel_annealing` (75 % of the time, or 200
        sweeps without a limit) from the rows, then
        :func:`~dnnsolve.search.hypermaxcut.tabu_search` (``min(20 n, 100000)`` iterations
        without a limit, so seeded runs are reproducible). Rows are copied up to 8 tabu
        restarts; each returns the best of its copies. Stops once the known ``reference`` is
        reached.
        """
        B, n = z.shape
        if B == 0 or n == 0:
            return z
        if time_limit is not None and z.device.type == "cpu" and anneal.available():
            return self._anneal_then_tabu(z, time_limit, generator)
        return self._polish(z, time_limit, generator, torch_annealing=True)

    def _anneal_then_tabu(
        self, z: torch.Tensor, time_limit: float, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, list[str | None]]:
        t0 = time.perf_counter()
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator)) if generator else 0
        sides, cuts = anneal.anneal_hypercut(
            self.hg, time_limit=_ANNEAL_SHARE * time_limit, seed=seed, target=self._reference
        )
        best = sides[np.argsort(-cuts, kind="stable")[: z.shape[0]]]
        starts = torch.cat([z, torch.as_tensor(best, dtype=z.dtype, device=z.device)])
        left = max(time_limit - (time.perf_counter() - t0), 0.0)
        polished = self._polish(starts, left, generator, torch_annealing=False)
        return polished, [None] * z.shape[0] + ["anneal"] * len(best)

    def _polish(
        self,
        z: torch.Tensor,
        time_limit: float | None,
        generator: torch.Generator | None,
        torch_annealing: bool,
    ) -> torch.Tensor:
        B, n = z.shape
        t0 = time.perf_counter()
        reps = -(-_MIN_TABU_RESTARTS // B)
        zz = greedy_descent(self.th, z.repeat(reps, 1), time_limit=time_limit)
        kw = {"generator": generator, "target": self._reference}
        if time_limit is None:
            if torch_annealing:
                zz = parallel_annealing(self.th, zz, max_sweeps=200, **kw)
            zz = tabu_search(
                self.th, zz, max_iters=min(20 * n, 100_000), patience=max(5 * n, 2000), **kw
            )
        else:

            def left() -> float:
                return max(time_limit - (time.perf_counter() - t0), 0.0)

            if torch_annealing:
                zz = parallel_annealing(self.th, zz, time_limit=_ANNEAL_SHARE * left(), **kw)
            zz = tabu_search(self.th, zz, time_limit=left(), patience=max(300 * n, 20000), **kw)
        cuts = cut_values(self.th, zz).view(reps, B)
        pick = cuts.argmax(0)
        return zz.view(reps, B, n)[pick, torch.arange(B, device=zz.device)]

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids on side 1 (the input's labels, as for MaxCut)."""
        return self.hg.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


register_problem(
    "hypermaxcut",
    "Maximum cut of a weighted hypergraph (HypOp text format, hMETIS).",
    formats="hypop, hmetis",
    loader=load_hypergraph,
    example=("hypermaxcut_example.hgr", {}),
)

_COMMON = dict(
    eval_every=20,
    polish_time=None,
    polish_top=8,
)


@register(
    "hypermaxcut",
    "free",
    "free variables x = sigmoid(θ) per restart on HypOp's loss, threshold decoding + tabu polish",
    default=True,
    restarts=32,
    steps=300,
    lr=[0.05, 0.1, 0.2],
    patience=8,
    polish_fraction=0.85,
    **_COMMON,
)
def _free(hg: Hypergraph, ctx: BuildContext):
    prob = HyperMaxCut(hg, ctx.device, ctx.reference)
    param = FreeVariables(
        hg.n,
        ctx.restarts,
        squash="sigmoid",
        init_std=0.5,
        device=ctx.device,
        generator=ctx.generator,
    )
    return prob, param


@register(
    "hypermaxcut",
    "hypop",
    "HypOp: 2-layer hypergraph convolution with a trainable embedding, Adam lr 1e-2, "
    "threshold decoding + tabu polish",
    restarts=8,
    steps=1000,
    lr=1e-2,
    patience=25,
    polish_fraction=0.6,
    **_COMMON,
)
def _hypop(hg: Hypergraph, ctx: BuildContext):
    prob = HyperMaxCut(hg, ctx.device, ctx.reference)
    param = HypergraphNetwork(
        prob.th,
        ctx.restarts,
        embedding_dim=ctx.options.get("embedding_dim"),
        hidden_dim=ctx.options.get("hidden_dim"),
        dropout=ctx.options.get("dropout", 0.0),
        generator=ctx.generator,
    )
    return prob, param
