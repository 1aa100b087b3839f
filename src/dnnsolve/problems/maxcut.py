"""Weighted MaxCut (Gset-style ±1 weights).

Relaxed variables x ∈ [0, 1] are the probabilities of side 1; with spins
s = 2x − 1 the expected cut is Σ_e w_e (1 − s_u s_v)/2 = Σ_e w_e (x_u + x_v − 2 x_u x_v),
which is both the relaxed-quadratic (s = tanh θ) objective and the PI-GNN QUBO
loss. The loss is evaluated as x·d_w − xᵀAx with one sparse SpMM.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import torch

from ..baselines.greedy import greedy_maxcut
from ..core.bound import Bound
from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..core.result import Result
from ..graph import Graph
from ..methods import BuildContext, SizeRule, register, register_problem
from ..params.gnn import GraphNetwork
from ..search import anneal
from ..search.maxcut import cut_values, greedy_one_flip, parallel_tabu_search, tabu_search

# tabu restarts per polish: batching up to this many costs about the same as one on CPU
_MIN_TABU_RESTARTS = 8
# from this size on, most of the polish time goes to the many-moves tabu search
_PARALLEL_TABU_MIN_N = 4000
# the share of a timed CPU polish given to simulated annealing (tuned on Gset G14, G22, G55),
# and from _PARALLEL_TABU_MIN_N vertices on (tuned on G55, G60, G70, G81: with the anneal's
# reads of at least 50 000 sweeps, tabu after it found less than more annealing did)
_ANNEAL_SHARE = 0.75
_ANNEAL_SHARE_LARGE = 0.95
# the network's share of a timed run up to this many vertices; above, the share falls as
# 1/n (tuned on Gset G55, G60, G70, G81: the annealing polish found every best cut there, and
# the network's 20 % left it a third less time than dwave's annealer at equal wall time)
_NETWORK_SHARE = 0.2
_NETWORK_SHARE_MAX_N = 4000


def anneal_share(n: int) -> float:
    """The share of a timed CPU polish given to annealing on a graph of ``n`` vertices."""
    return _ANNEAL_SHARE_LARGE if n >= _PARALLEL_TABU_MIN_N else _ANNEAL_SHARE


def polish_fraction(graph: Graph) -> float:
    """The share of a timed run kept for the polish: 0.8 up to 4000 vertices, then
    1 − 0.2 · 4000 / n (0.96 at 20 000 vertices).

    >>> polish_fraction(Graph.from_edges(3, [(0, 1)])), polish_fraction(Graph.from_edges(20_000, []))
    (0.8, 0.96)
    """
    return 1.0 - _NETWORK_SHARE * min(1.0, _NETWORK_SHARE_MAX_N / max(graph.n, 1))


class MaxCut(Problem):
    """MaxCut on a weighted graph; the solution is a 0/1 side per vertex.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    >>> MaxCut(g).verify(np.array([1, 0, 0]))
    (2.0, True)
    """

    name = "maxcut"
    sense = "max"

    def __init__(
        self, graph: Graph, device: torch.device | str = "cpu", reference: float | None = None
    ):
        self.graph = graph
        self.tg = graph.to_torch(device)
        self.n_vars = graph.n
        self.instance = graph.name
        self._reference = reference
        wdeg = np.zeros(graph.n)
        np.add.at(wdeg, graph.src, graph.weight)
        np.add.at(wdeg, graph.dst, graph.weight)
        self.wdeg = torch.as_tensor(wdeg, dtype=torch.float32, device=self.tg.device)

    def relaxed_cut(self, x: torch.Tensor) -> torch.Tensor:
        """Expected cut of independent sides with probabilities x, shape (B,)."""
        return (x * self.wdeg).sum(1) - (x * self.tg.matvec(x)).sum(1)

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return -self.relaxed_cut(x)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x > 0.5

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        cut = (z[:, self.tg.src] != z[:, self.tg.dst]).to(torch.float64) @ self.tg.weight.to(
            torch.float64
        )
        return Evaluation(cut, torch.ones(z.shape[0], dtype=torch.bool, device=z.device))

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        side = np.asarray(solution).astype(bool)
        if side.shape != (self.graph.n,):
            return float("nan"), False
        cut = float(self.graph.weight[side[self.graph.src] != side[self.graph.dst]].sum())
        return cut, True

    baseline_name = "greedy+1flip"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """Greedy placement by weighted degree, then 1-flip local search (the classical
        heuristic, :func:`~dnnsolve.baselines.greedy_maxcut`)."""
        side = greedy_maxcut(self.graph).solution
        return torch.as_tensor(side, dtype=torch.bool, device=self.tg.device)[None]

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, list[str | None]]:
        """On a CPU with a time limit: simulated annealing from random starts for most of the
        budget (75 %, 95 % from 4000 vertices on; :mod:`dnnsolve.search.anneal`, a compiled
        kernel), then tabu search from the
        given starts and the best annealed states for the rest; the rows found from annealed
        states are labelled ``"anneal"``. Otherwise: the tabu search below alone.

        Greedy 1-flip descent, then batched tabu search (see :mod:`dnnsolve.search.maxcut`).

        With a ``time_limit`` the tabu search uses it, stopping early after
        ``max(500 n, 20000)`` iterations without a new best; without one it runs
        ``100 n`` iterations; either way it stops once the known ``reference``
        cut is reached. On graphs with n ≥ 4000 the first 75 % of the time (or
        5000 iterations without a limit) goes to the many-moves-per-iteration
        :func:`~dnnsolve.search.maxcut.parallel_tabu_search`, which covers large
        sparse graphs far faster; 1-flip tabu then finishes (only with a limit).
        Few candidates are copied up to 8 tabu restarts (same cost on CPU, more
        diversity); each row returns the best of its copies.
        """
        B, n = z.shape
        if B == 0 or n == 0:
            return z
        if time_limit is not None and z.device.type == "cpu" and anneal.available():
            return self._anneal_then_tabu(z, time_limit, generator)
        return self._tabu(z, time_limit, generator)

    def _anneal_then_tabu(
        self, z: torch.Tensor, time_limit: float, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, list[str | None]]:
        t0 = time.perf_counter()
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator)) if generator else 0
        sides, cuts = anneal.anneal_maxcut(
            self.graph,
            time_limit=anneal_share(self.graph.n) * time_limit,
            seed=seed,
            target=self._reference,
        )
        best = sides[np.argsort(-cuts, kind="stable")[: z.shape[0]]]
        starts = torch.cat([z, torch.as_tensor(best, dtype=z.dtype, device=z.device)])
        left = max(time_limit - (time.perf_counter() - t0), 0.0)
        polished = self._tabu(starts, left, generator)
        return polished, [None] * z.shape[0] + ["anneal"] * len(best)

    def _tabu(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None
    ) -> torch.Tensor:
        B, n = z.shape
        t0 = time.perf_counter()
        reps = -(-_MIN_TABU_RESTARTS // B)
        zz = greedy_one_flip(self.tg, z.repeat(reps, 1), time_limit=time_limit)
        kw = {"generator": generator, "target": self._reference}
        large = n >= _PARALLEL_TABU_MIN_N
        if time_limit is None:  # iteration budgets: seeded runs are reproducible
            if large:
                zz = parallel_tabu_search(self.tg, zz, max_iters=5000, **kw)
            else:
                zz = tabu_search(self.tg, zz, max_iters=100 * n, **kw)
        else:

            def left() -> float:
                return max(time_limit - (time.perf_counter() - t0), 0.0)

            if large:
                zz = parallel_tabu_search(self.tg, zz, time_limit=0.75 * left(), **kw)
            zz = tabu_search(self.tg, zz, time_limit=left(), patience=max(500 * n, 20000), **kw)
        cuts = cut_values(self.tg, zz).view(reps, B)
        pick = cuts.argmax(0)
        return zz.view(reps, B, n)[pick, torch.arange(B, device=zz.device)]

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids on side 1 of the cut."""
        return self.graph.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


def _bound(graph: Graph, result: Result, deadline: float) -> Bound:
    """The spectral upper bound (Goemans–Williamson SDP / Delorme–Poljak), certificate u."""
    from ..bounds.spectral import maxcut_bound  # scipy's eigensolvers load with the bound

    return maxcut_bound(graph, deadline, target=result.objective)


register_problem(
    "maxcut",
    "Maximum cut of a weighted graph (Gset, DIMACS, edge list).",
    formats="gset, dimacs, edgelist",
    example=("maxcut_example.gset", {}),
    bound=_bound,
)


@register(
    "maxcut",
    "relaxed",
    "relaxed quadratic: spins s = tanh(θ) per restart, Adam, sign decoding + tabu polish",
    default=True,
    restarts=64,
    steps=400,
    lr=[0.05, 0.1, 0.2],
    eval_every=20,
    patience=10,
    polish_time=None,
    polish_top=8,
    polish_fraction=SizeRule(polish_fraction, "0.8, or 1 - 0.2 * 4000 / n above 4000 vertices"),
)
def _relaxed(graph: Graph, ctx: BuildContext):
    prob = MaxCut(graph, ctx.device, ctx.reference)
    param = FreeVariables(
        graph.n,
        ctx.restarts,
        squash="tanh",
        init_std=0.1,
        device=ctx.device,
        generator=ctx.generator,
    )
    return prob, param


@register(
    "maxcut",
    "pignn",
    "PI-GNN: GCN/GraphSAGE on the graph with a trainable embedding, MaxCut QUBO loss",
    restarts=16,
    steps=2000,
    lr=[1e-3, 3e-3, 1e-2],
    eval_every=50,
    patience=10,
    polish_time=None,
    polish_top=8,
    polish_fraction=0.8,
)
def _pignn(graph: Graph, ctx: BuildContext):
    prob = MaxCut(graph, ctx.device, ctx.reference)
    param = GraphNetwork(
        prob.tg,
        ctx.restarts,
        conv=ctx.options.get("conv", "gcn"),
        embedding_dim=ctx.options.get("embedding_dim"),
        hidden_dim=ctx.options.get("hidden_dim"),
        dropout=ctx.options.get("dropout", 0.0),
        generator=ctx.generator,
    )
    return prob, param
