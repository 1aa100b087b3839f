"""k-colouring as feasibility (``k-coloring``), the colouring member of the dataless family.

Given k (``--colors K`` or ``--option k=K``), find a colouring with no
conflicting edge. Relaxed variables are per-vertex colour distributions
p ∈ [0, 1]^{n×k}:

* ``"relu"`` — a dataless ReLU feasibility network on the box [0, 1]^{n×k}:
  f(x) = γ Σ_{uv∈E} Σ_c ReLU(x_uc + x_vc − 1) + Σ_v ReLU(1 − Σ_c x_vc)
  (zero exactly on proper colourings given as 0/1 one-hot vectors). The
  ``dataless`` package's k-colouring network (a scalar colour per vertex) has
  no conflict term that vanishes on proper colourings, so it is not copied.
* ``"potts"`` — PI-GNN's Potts loss Σ_E p_uᵀp_v with p_v = softmax(θ_v).

Decoding is argmax; the exact evaluator counts conflicting edges (objective,
minimized; 0 means solved, the solver stops there); the polish is a batched
min-conflicts tabu walk. ``Result.status`` is ``"sat"`` when a proper colouring was found,
else ``"unknown"`` with ``feasible`` false (a conflicting edge breaks a hard constraint; the
CLI then exits 1).

>>> import networkx as nx
>>> from dnnsolve import solve
>>> r = solve("k-coloring", nx.cycle_graph(5), options={"k": 3}, device="cpu", seed=0)
>>> r.objective, r.status
(0.0, 'sat')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ..baselines.coloring import dsatur_tabucol
from ..core.callbacks import Callback
from ..core.errors import InputError
from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..core.result import Result
from ..core.solver import SolverConfig
from ..graph import Graph
from ..methods import BuildContext, ColorsOptions, Method, register, register_problem, run_method
from ..search import domination as kernels
from ..search._common import draw_seed, one_thread
from .domination_check import check_k_coloring

_HPARAMS: dict[str, dict[str, float]] = {"relu": {"gamma": 1.0}, "potts": {}}


def colours_option(options: Mapping[str, Any]) -> int:
    """The number of colours from the options ``k`` or ``colors`` (InputError if missing/bad)."""
    k = options.get("k", options.get("colors"))
    if k is None:
        raise InputError("k-coloring needs the number of colours: --colors K or --option k=K")
    try:
        kk = int(k)
    except (TypeError, ValueError):
        raise InputError(f"the number of colours must be an integer, got {k!r}") from None
    if kk < 1 or kk != float(k):
        raise InputError(f"the number of colours must be a positive integer, got {k!r}")
    return kk


class KColoring(Problem):
    """Is there a proper k-colouring? Objective = conflicting edges (min); solutions are colours.

    >>> tri = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    >>> p = KColoring(tri, 3)
    >>> p.evaluate(torch.tensor([[0, 1, 2], [0, 0, 1]])).objective.tolist()
    [0.0, 1.0]
    """

    name = "k-coloring"
    sense = "min"

    def __init__(
        self,
        graph: Graph,
        k: int,
        device: torch.device | str = "cpu",
        formulation: str = "potts",
    ):
        if formulation not in _HPARAMS:
            raise ValueError(f"unknown formulation {formulation!r}; choose from {sorted(_HPARAMS)}")
        if k < 1:
            raise InputError("the number of colours must be at least 1")
        self.graph, self.k = graph, int(k)
        self.device = torch.device(device)
        self.tg = graph.to_torch(self.device)
        self.n_vars = graph.n
        self.instance = graph.name
        self.formulation = formulation
        self.hparams = dict(_HPARAMS[formulation])

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        p = x.reshape(x.shape[0], self.graph.n, self.k)
        pu, pv = p[:, self.tg.src], p[:, self.tg.dst]
        if self.formulation == "potts":
            return (pu * pv).sum(dim=(1, 2))
        clash = torch.relu(pu + pv - 1.0).sum(dim=(1, 2))
        return hp["gamma"] * clash + torch.relu(1.0 - p.sum(dim=2)).sum(dim=1)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], self.graph.n, self.k).argmax(dim=2)

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        z = z.long()
        bad = kernels.conflicts(self.tg.src, self.tg.dst, z).to(torch.float64)
        valid = ((z >= 0) & (z < self.k)).all(dim=1)
        return Evaluation(bad, valid)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        return check_k_coloring(self.graph, solution, self.k)

    baseline_name = "dsatur+tabucol"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """DSatur reduced to k colours, then Tabucol (the classical k-colouring heuristic,
        :func:`~dnnsolve.baselines.coloring.dsatur_tabucol`)."""
        r = dsatur_tabucol(self.graph, self.k, time_limit, draw_seed(generator))
        return torch.as_tensor(np.asarray(r.solution), dtype=torch.long, device=self.device)[None]

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched min-conflicts tabu walk (2000 iterations without a time limit)."""
        with one_thread(self.device):
            return kernels.min_conflicts(
                self.tg.adj01,
                self.tg.src,
                self.tg.dst,
                z.long().to(self.device),
                self.k,
                time_limit,
                generator,
            )

    def solution_output(self, solution: np.ndarray) -> dict:
        """``{"k": k, "colors": {vertex id: colour 1..k}}``."""
        ids = self.graph.vertex_ids(np.arange(self.graph.n))
        cols = np.asarray(solution).astype(int).reshape(-1)
        return {"k": self.k, "colors": {str(v): int(c) + 1 for v, c in zip(ids, cols)}}

    def reference(self) -> float | None:
        return 0.0


class _Softmax(FreeVariables):
    """Free logits per (vertex, colour); forward gives per-vertex softmax, flattened (B, n·k)."""

    def __init__(self, n: int, k: int, restarts: int, **kw):
        super().__init__(n * k, restarts, squash="sigmoid", **kw)
        self.k = k

    def forward(self) -> torch.Tensor:
        B = self.theta.shape[0]
        return torch.softmax(self.theta.reshape(B, -1, self.k), dim=2).reshape(B, -1)


def _run(
    method: Method,
    instance: Any,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    colours_option(ctx.options)
    result = run_method(method, instance, ctx, config, callbacks)
    solved = result.feasible and result.objective == 0.0
    result.status = "sat" if solved else "unknown"
    result.feasible = bool(solved)
    return result


def _bound(graph: Graph, result: Result, deadline: float):
    """The answer's lower bound on the conflicting edges: edge-disjoint cliques larger than k
    (:mod:`dnnsolve.bounds.cliques`; imported here: it loads numba)."""
    from ..bounds.cliques import clique_packing_bound

    k = result.solution.get("k") if isinstance(result.solution, dict) else None
    if k is None:
        return None
    return clique_packing_bound(graph, int(k), deadline, result.objective)


register_problem(
    "k-coloring",
    "Proper k-colouring as feasibility (k from --colors or --option k=K); objective = "
    "conflicting edges.",
    runner=_run,
    options=ColorsOptions,
    example=("color_example.col", {"colors": 8}),
    bound=_bound,
)


@register(
    "k-coloring",
    "potts",
    "Potts loss on per-vertex softmax (PI-GNN style), Adam; min-conflicts polish",
    default=True,
    restarts=16,
    steps=500,
    lr=[0.05, 0.1],
    eval_every=25,
    patience=6,
    polish_top=8,
)
def _potts(graph: Graph, ctx: BuildContext):
    k = colours_option(ctx.options)
    prob = KColoring(graph, k, ctx.device, "potts")
    param = _Softmax(graph.n, k, ctx.restarts, device=ctx.device, generator=ctx.generator)
    return prob, param


@register(
    "k-coloring",
    "relu",
    "Dataless ReLU feasibility network on [0,1]^(n×k) (clamped), Adam; min-conflicts polish",
    restarts=16,
    steps=500,
    lr=[0.01, 0.03],
    eval_every=25,
    patience=6,
    polish_top=8,
)
def _relu(graph: Graph, ctx: BuildContext):
    k = colours_option(ctx.options)
    prob = KColoring(graph, k, ctx.device, "relu")
    param = FreeVariables(
        graph.n * k,
        ctx.restarts,
        squash="clamp",
        init_mean=0.5,
        init_std=0.3,
        device=ctx.device,
        generator=ctx.generator,
    )
    return prob, param
