"""Maximum (vertex-weighted) clique: an independent set of the complement graph Ḡ.

Two modes, chosen from the graph's size (``complement="auto"``):

* **explicit** — when Ḡ is small (at most :data:`COMPLEMENT_MAX_EDGES` edges
  and not much larger than G, or n ≤ 500) it is built once and the whole MIS
  machinery of :mod:`dnnsolve.problems.mis` (losses, repair, batched ARW local
  search) runs on it;
* **implicit** — on large sparse graphs Ḡ is never formed. With
  xᵀĀx = (1ᵀx)² − xᵀx − xᵀAx every MIS loss on Ḡ needs one sparse product with
  A per step; pCQO reads f(x) = −Σ w_i x_i + (γ/2) xᵀĀx − (γ'/2) xᵀAx.
  Decoding, repair and local search use counts from A only
  (:mod:`dnnsolve.search.clique`).

Solutions are 0/1 masks over the vertices of G; ``evaluate`` and ``verify``
check them against G's own edges.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import torch

from ..baselines.cover_clique import greedy_clique
from ..core.problem import Evaluation, Problem
from ..graph import COMPLEMENT_MAX_EDGES, EdgeIndex, Graph, complement_edges, complement_graph
from ..methods import BuildContext, register_problem
from ..search import clique as kernels
from .mis import MaxIndependentSet, all_pairs_relu, register_mis_methods

# implicit-mode loss constants: at a clique indicator a vertex missing one member
# is pushed out iff γ > w + γ'·(its neighbours in the clique), so γ ≈ a few × ω
_IMPLICIT_HPARAMS: dict[str, dict] = {
    "pcqo": {"gamma": [30.0, 100.0], "gamma_c": 1.0},
    "relu": {"gamma": 1.0},
    "qubo": {"penalty": 2.0},
}


def use_explicit_complement(graph: Graph) -> bool:
    """The ``"auto"`` rule: build Ḡ when it is small and not much larger than G.

    >>> from dnnsolve.bench.generators import erdos_renyi
    >>> use_explicit_complement(erdos_renyi(200, 0.5, 0)), use_explicit_complement(
    ...     erdos_renyi(2000, 0.005, 0))
    (True, False)
    """
    comp = complement_edges(graph)
    return comp <= COMPLEMENT_MAX_EDGES and (graph.n <= 500 or comp <= 8 * graph.m)


def complement_degree_init(graph: Graph) -> torch.Tensor:
    """1 − deg_Ḡ / max deg_Ḡ with deg_Ḡ = n − 1 − deg (the MIS initial point on Ḡ)."""
    cdeg = (graph.n - 1 - graph.degrees()).astype(np.float64)
    return torch.as_tensor(1.0 - cdeg / max(cdeg.max(initial=0.0), 1.0), dtype=torch.float32)


class MaxClique(Problem):
    """Maximum (vertex-weighted) clique; solutions are 0/1 masks over G's vertices.

    ``complement`` is ``"auto"``, ``"explicit"`` (build Ḡ, reuse MIS) or
    ``"implicit"`` (sparse products with A only).

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)])
    >>> p = MaxClique(g)
    >>> p.verify(np.array([1, 1, 1, 0])), p.verify(np.array([1, 0, 1, 1]))
    ((3.0, True), (3.0, False))
    """

    name = "clique"
    sense = "max"

    def __init__(
        self,
        graph: Graph,
        device: torch.device | str = "cpu",
        reference: float | None = None,
        formulation: str = "pcqo",
        complement: str = "auto",
    ):
        if formulation not in _IMPLICIT_HPARAMS:
            raise ValueError(
                f"unknown formulation {formulation!r}; choose from {sorted(_IMPLICIT_HPARAMS)}"
            )
        if complement not in ("auto", "explicit", "implicit"):
            raise ValueError(
                f"complement must be 'auto', 'explicit' or 'implicit', got {complement!r}"
            )
        if graph.node_weight is not None and np.any(graph.node_weight < 0):
            raise ValueError("vertex weights must be non-negative")
        self.graph = graph
        self.tg = graph.to_torch(device)
        self.edges = EdgeIndex(self.tg)
        self.n_vars = graph.n
        self.instance = graph.name
        self.formulation = formulation
        self._reference = reference
        self.w = self.tg.node_weight.float()
        self.generator: torch.Generator | None = None
        explicit = complement == "explicit" or (
            complement == "auto" and use_explicit_complement(graph)
        )
        self.mode = "explicit" if explicit else "implicit"
        self.inner: MaxIndependentSet | None = None
        if explicit:
            self.inner = MaxIndependentSet(complement_graph(graph), device, reference, formulation)
            self.hparams = dict(self.inner.hparams)
            if formulation == "pcqo":
                self.hparams["gamma"] = [300.0, 900.0]  # the MIS method's population
        else:
            self.hparams = dict(_IMPLICIT_HPARAMS[formulation])

    # -- losses ------------------------------------------------------------------
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        if self.inner is not None:
            return self.inner.loss(x, hp)
        gain = x @ self.w
        xax = (x * self.tg.matvec(x, weighted=False)).sum(dim=1)
        s = x.sum(dim=1)
        xcx = s * s - (x * x).sum(dim=1) - xax  # xᵀĀx without forming Ā
        if self.formulation == "qubo":
            return -gain + hp["penalty"] * 0.5 * xcx
        if self.formulation == "pcqo":
            return -gain + 0.5 * hp["gamma"] * xcx - 0.5 * hp["gamma_c"] * xax
        node = torch.relu(x - 0.5) @ self.w
        edge = torch.relu(x[:, self.tg.src] + x[:, self.tg.dst] - 1.0).sum(dim=1)
        non_edge = all_pairs_relu(x) - edge
        return -node + hp["gamma"] * self.graph.n * non_edge - 0.5 * edge

    # -- discrete side -------------------------------------------------------------
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """Threshold at ½; in implicit mode also drop conflicts and extend by largest x."""
        z = x > 0.5
        if self.inner is not None:
            return z
        z = kernels.drop_conflicts(self.tg, z, self.w, self.generator, edges=self.edges)
        return kernels.extend(
            self.tg, z, self.w, key=x.detach(), generator=self.generator, edges=self.edges
        )

    def repair(self, z: torch.Tensor) -> torch.Tensor:
        """Maximal cliques: drop conflicting vertices, then extend greedily."""
        if self.inner is not None:
            self.inner.generator = self.generator
            return self.inner.repair(z)
        return kernels.repair(self.tg, z, self.w, generator=self.generator, edges=self.edges)

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        return Evaluation(kernels.objective(z.bool(), self.w), kernels.is_clique(self.tg, z))

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        sel = np.asarray(solution).reshape(-1)
        if sel.shape != (self.graph.n,):
            return float("nan"), False
        sel = sel.astype(bool)
        g = self.graph
        w = np.ones(g.n) if g.node_weight is None else g.node_weight
        k = int(sel.sum())
        inside = sel[g.src] & sel[g.dst] & (g.src != g.dst)
        a, b = g.src[inside], g.dst[inside]
        pairs = np.unique(np.minimum(a, b) * max(g.n, 1) + np.maximum(a, b))
        return float(w[sel].sum()), len(pairs) == k * (k - 1) // 2

    baseline_name = "greedy"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """Best of 32 greedy cliques grown from the heaviest-degree vertices
        (:func:`~dnnsolve.baselines.greedy_clique`)."""
        mask = greedy_clique(self.graph).solution
        return torch.as_tensor(mask, dtype=torch.bool, device=self.tg.device)[None]

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched swap / plateau search on G; the MIS search on Ḡ when G is dense.

        On graphs of density ≥ 0.8 (Ḡ built, 4|Ē| ≤ m) the MIS iterated local
        search runs on Ḡ; elsewhere the clique search of
        :mod:`dnnsolve.search.clique` runs on G, from the given rows and the best
        greedy cliques grown from the heaviest-degree vertices. On a CPU its
        walks are compiled: a move costs O(degrees of a few members), and an
        iteration of 16 walks about 0.3 ms on G(n = 10⁵, d = 10) (0.6 s as
        tensors).

        Without a ``time_limit`` it runs at most 3000 iterations and stops after
        300 without a new best (10× both when compiled, where an iteration costs
        100–2000× less), reproducibly for a seeded generator.
        """
        if self.inner is not None and self.graph.m >= 4 * complement_edges(self.graph):
            return self.inner.local_search(z, time_limit, generator)
        kw: dict = {}
        if time_limit is None:
            scale = 10 if kernels.runs_compiled(z) else 1
            kw = {"stall_iters": 300 * scale, "max_iters": 3000 * scale}
        t0 = time.perf_counter()
        seeds = self._degree_seeds(32, min(z.shape[0], 8), z.device)
        if time_limit is not None:  # the seeds' cost comes out of the search's budget
            time_limit = max(time_limit - (time.perf_counter() - t0), 1e-3)
        out = kernels.local_search(
            self.tg,
            torch.cat([z.bool(), seeds]),
            time_limit,
            generator,
            weight=self.w,
            target=self._reference,
            edges=self.edges,
            **kw,
        )
        return out

    def _degree_seeds(self, starts: int, keep: int, device: torch.device) -> torch.Tensor:
        """The ``keep`` best greedy cliques grown from the ``starts`` heaviest-degree vertices.

        Extra starting rows of the search: on large sparse graphs the decoded
        sets carry little signal (and a tensor swap iteration costs O(B·m)), so
        walks also begin where large cliques are likeliest.
        """
        score = self.w * (1.0 + self.tg.deg)
        top = torch.topk(score, min(starts, self.n_vars)).indices.to(device)
        seeds = torch.zeros((len(top), self.n_vars), dtype=torch.bool, device=device)
        seeds[torch.arange(len(top), device=device), top] = True
        grown = kernels.extend(self.tg, seeds, self.w, edges=self.edges)
        best = torch.argsort(kernels.objective(grown, self.w), descending=True, stable=True)
        return grown[best[:keep]]

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids in the clique."""
        return self.graph.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


def _problem(graph: Graph, ctx: BuildContext, formulation: str) -> MaxClique:
    prob = MaxClique(
        graph,
        ctx.device,
        ctx.reference,
        formulation,
        complement=str(ctx.options.get("complement", "auto")),
    )
    prob.generator = ctx.generator
    return prob


def _bound(graph: Graph, result, deadline: float):
    """The answer's upper bound: a (fractional) colouring's classes, with its certificate
    (:mod:`dnnsolve.bounds.cliques`, imported here: it loads numba)."""
    from ..bounds.cliques import clique_bound

    return clique_bound(graph, deadline, result.objective)


register_problem(
    "clique",
    "Maximum (weighted) clique = independent set of the complement (built only when small).",
    formats="gset, dimacs, edgelist",
    example=("mis_example.dimacs", {}),
    bound=_bound,
)

# the problem carries its own γ defaults (explicit: the MIS population; implicit: its own)
register_mis_methods(
    "clique",
    _problem,
    complement_degree_init,
    {
        "pcqo": "pCQO-MIS on the complement: quadratic loss with xᵀĀx from A only, box [0,1], "
        "momentum GD",
        "relu": "ReLU dataless network (Alkhouri et al. 2022) on the complement, "
        "O(n log n + m), Adam",
        "pignn": "PI-GNN on G with the complement-graph MIS QUBO loss (penalty P = 2), Adam",
    },
    overrides={"pcqo": {"hparams": {}}},
)
