"""Minimum (vertex-weighted) vertex cover: the complement of an independent set.

C is a vertex cover iff V \\ C is an independent set, and w(C) = w(V) − w(V \\ C),
so a maximum-weight independent set gives a minimum-weight cover. The relaxed
variable x_v is the probability that v is in the cover; the losses are the MIS
losses of :mod:`dnnsolve.problems.mis` at 1 − x, and repair / local search run
the MIS kernels on the complement mask. Reported solutions are covers, checked
edge by edge.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from ..baselines.cover_clique import greedy_vertex_cover
from ..core.problem import Evaluation, Problem
from ..graph import Graph
from ..methods import BuildContext, register_problem
from .mis import MaxIndependentSet, degree_init, register_mis_methods


class MinVertexCover(Problem):
    """Minimum (vertex-weighted) vertex cover; solutions are 0/1 cover masks.

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 0), (2, 3)])
    >>> p = MinVertexCover(g)
    >>> p.verify(np.array([1, 0, 1, 0])), p.verify(np.array([1, 1, 0, 0]))
    ((2.0, True), (2.0, False))
    """

    name = "vertex-cover"
    sense = "min"

    def __init__(
        self,
        graph: Graph,
        device: torch.device | str = "cpu",
        reference: float | None = None,
        formulation: str = "pcqo",
    ):
        w = np.ones(graph.n) if graph.node_weight is None else graph.node_weight
        self.total_weight = float(np.sum(w))
        mis_ref = None if reference is None else self.total_weight - reference
        self.mis = MaxIndependentSet(graph, device, mis_ref, formulation)
        self.graph = graph
        self.tg = self.mis.tg
        self.n_vars = graph.n
        self.instance = graph.name
        self.formulation = formulation
        self.hparams = dict(self.mis.hparams)
        self._reference = reference
        self.w = self.mis.w
        self.generator: torch.Generator | None = None

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.mis.loss(1.0 - x, hp)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return ~self.mis.decode(1.0 - x)

    def repair(self, z: torch.Tensor) -> torch.Tensor:
        """Add an endpoint of every uncovered edge, then drop redundant vertices.

        (The MIS repair on the complement mask: conflict removal, then augmentation.)
        """
        self.mis.generator = self.generator
        return ~self.mis.repair(~z.bool())

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        z = z.bool()
        uncovered = (~z[:, self.tg.src] & ~z[:, self.tg.dst]).any(dim=1)
        return Evaluation(z.to(torch.float64) @ self.w.to(torch.float64), ~uncovered)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        sel = np.asarray(solution).reshape(-1)
        if sel.shape != (self.graph.n,):
            return float("nan"), False
        sel = sel.astype(bool)
        g = self.graph
        w = np.ones(g.n) if g.node_weight is None else g.node_weight
        covered = np.logical_or(sel[g.src], sel[g.dst])  # one entry per edge
        return float(w[sel].sum()), bool(covered.all())

    baseline_name = "greedy"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """Complement of the min-degree greedy independent set
        (:func:`~dnnsolve.baselines.greedy_vertex_cover`)."""
        mask = greedy_vertex_cover(self.graph).solution
        return torch.as_tensor(mask, dtype=torch.bool, device=self.tg.device)[None]

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The MIS iterated local search on V \\ C (see :meth:`MaxIndependentSet.local_search`)."""
        return ~self.mis.local_search(~z.bool(), time_limit, generator)

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids in the cover."""
        return self.graph.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


def _problem(graph: Graph, ctx: BuildContext, formulation: str) -> MinVertexCover:
    prob = MinVertexCover(graph, ctx.device, ctx.reference, formulation)
    prob.generator = ctx.generator
    return prob


def _bound(graph: Graph, result, deadline: float):
    """The answer's lower bound: an edge packing or Σw − a clique cover, with its certificate
    (:mod:`dnnsolve.bounds.cliques`, imported here: it loads numba)."""
    from ..bounds.cliques import vertex_cover_bound

    return vertex_cover_bound(graph, deadline, result.objective)


register_problem(
    "vertex-cover",
    "Minimum (weighted) vertex cover = complement of a maximum independent set.",
    formats="gset, dimacs, edgelist",
    example=("mis_example.dimacs", {}),
    bound=_bound,
)


register_mis_methods(
    "vertex-cover",
    _problem,
    lambda graph: 1.0 - degree_init(graph),
    {
        "pcqo": "pCQO-MIS loss at 1 − x (cover = complement of the independent set), momentum GD",
        "relu": "ReLU dataless MIS network (Alkhouri et al. 2022) at 1 − x, Adam",
        "pignn": "PI-GNN: GCN/GraphSAGE, MIS QUBO loss at 1 − x (penalty P = 2), Adam",
    },
)
