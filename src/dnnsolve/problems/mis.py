"""Maximum (vertex-weighted) independent set.

Relaxed variables x ∈ [0, 1]^n are the probabilities that each vertex is in the
set. Three differentiable losses share one problem class (``formulation``):

* ``"pcqo"`` — pCQO-MIS (Alkhouri et al., arXiv:2406.19532):
  f(x) = −Σ w_i x_i + (γ/2) xᵀAx − (γ'/2) xᵀĀx, where the complement-graph term
  uses xᵀĀx = (1ᵀx)² − xᵀx − xᵀAx, so Ā is never formed.
* ``"relu"`` — the ReLU dataless network (Alkhouri, Atia & Velasquez, Neural
  Networks 155, 2022): −Σ w_i ReLU(x_i − ½) + γ n Σ_E ReLU(x_u + x_v − 1)
  − ½ Σ_Ē ReLU(x_u + x_v − 1); the complement-edge sum is the all-pairs sum
  (sorting + prefix sums, O(n log n)) minus the edge sum.
* ``"qubo"`` — PI-GNN (Schuetz et al. 2022): −Σ w_i x_i + P Σ_E x_u x_v.

Decoding thresholds at ½; repair and local search live in
:mod:`dnnsolve.search.mis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from ..baselines.greedy import greedy_mis
from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..graph import EdgeIndex, Graph
from ..methods import BuildContext, register, register_problem
from ..params.gnn import GraphNetwork
from ..search import mis as kernels

_HPARAMS: dict[str, dict[str, float]] = {
    "pcqo": {"gamma": 900.0, "gamma_c": 1.0},
    "relu": {"gamma": 1.0},
    "qubo": {"penalty": 2.0},
}


def all_pairs_relu(x: torch.Tensor) -> torch.Tensor:
    """Σ_{u<v} ReLU(x_u + x_v − 1) per row of ``x`` (B, n), in O(n log n).

    With x sorted ascending, the partners v of u with x_v > 1 − x_u form a
    suffix found by ``searchsorted``; its sum comes from prefix sums. The
    ordered-pair total minus the diagonal terms ReLU(2x_u − 1), halved, is the
    unordered sum. Differentiable in ``x``.

    >>> round(all_pairs_relu(torch.tensor([[0.9, 0.8, 0.1]])).item(), 4)  # 0.7 + 0 + 0
    0.7
    """
    s, _ = torch.sort(x, dim=1)
    n = x.shape[1]
    csum = torch.cat([torch.zeros_like(s[:, :1]), torch.cumsum(s, dim=1)], dim=1)
    first = torch.searchsorted(s.detach().contiguous(), (1.0 - s).detach().contiguous(), right=True)
    cnt = (n - first).to(x.dtype)
    tail = csum[:, -1:] - csum.gather(1, first)
    ordered = (cnt * (s - 1.0) + tail).sum(dim=1)
    diag = torch.relu(2.0 * x - 1.0).sum(dim=1)
    return 0.5 * (ordered - diag)


class MaxIndependentSet(Problem):
    """Maximum (vertex-weighted) independent set; solutions are 0/1 masks.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> MaxIndependentSet(g).verify(np.array([1, 0, 1]))
    (2.0, True)
    """

    name = "mis"
    sense = "max"

    def __init__(
        self,
        graph: Graph,
        device: torch.device | str = "cpu",
        reference: float | None = None,
        formulation: str = "pcqo",
    ):
        if formulation not in _HPARAMS:
            raise ValueError(f"unknown formulation {formulation!r}; choose from {sorted(_HPARAMS)}")
        self.graph = graph
        self.tg = graph.to_torch(device)
        self.edges = EdgeIndex(self.tg)
        self.n_vars = graph.n
        self.instance = graph.name
        self.formulation = formulation
        self.hparams = dict(_HPARAMS[formulation])
        self._reference = reference
        self.w = self.tg.node_weight.float()
        if graph.node_weight is not None and np.any(graph.node_weight < 0):
            raise ValueError("vertex weights must be non-negative")
        self.generator: torch.Generator | None = None

    # -- losses ------------------------------------------------------------------
    def _xax(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.tg.matvec(x, weighted=False)).sum(dim=1)

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        gain = x @ self.w
        if self.formulation == "qubo":
            return -gain + hp["penalty"] * 0.5 * self._xax(x)
        if self.formulation == "pcqo":
            xax = self._xax(x)
            s = x.sum(dim=1)
            clique = s * s - (x * x).sum(dim=1) - xax
            return -gain + 0.5 * hp["gamma"] * xax - 0.5 * hp["gamma_c"] * clique
        # relu: fixed-weight network of Alkhouri et al. 2022, edge weight γ·n
        node = torch.relu(x - 0.5) @ self.w
        edge = torch.relu(x[:, self.tg.src] + x[:, self.tg.dst] - 1.0).sum(dim=1)
        comp = all_pairs_relu(x) - edge
        return -node + hp["gamma"] * self.graph.n * edge - 0.5 * comp

    # -- discrete side -------------------------------------------------------------
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x > 0.5

    def repair(self, z: torch.Tensor) -> torch.Tensor:
        """Drop conflicting vertices, then augment to a maximal independent set."""
        return kernels.repair(self.tg, z, self.w, generator=self.generator, edges=self.edges)

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        z = z.bool()
        clash = (z[:, self.tg.src] & z[:, self.tg.dst]).any(dim=1)
        return Evaluation(z.to(torch.float64) @ self.w.to(torch.float64), ~clash)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        sel = np.asarray(solution).reshape(-1)
        if sel.shape != (self.graph.n,):
            return float("nan"), False
        sel = sel.astype(bool)
        w = np.ones(self.graph.n) if self.graph.node_weight is None else self.graph.node_weight
        independent = not bool(np.any(sel[self.graph.src] & sel[self.graph.dst]))
        return float(w[sel].sum()), independent

    baseline_name = "min-degree greedy"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """Dynamic min-degree greedy (weight aware, :func:`~dnnsolve.baselines.greedy_mis`)."""
        mask = greedy_mis(self.graph).solution
        return torch.as_tensor(mask, dtype=torch.bool, device=self.tg.device)[None]

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """ARW iterated local search: compiled walks on a CPU, batched swaps elsewhere
        (:func:`~dnnsolve.search.mis.local_search`).

        With a ``time_limit`` it runs until then (or until the search stalls); without one
        the batched search runs at most 3000 iterations and stops after 300 without a new
        best, each compiled walk (a hundredth of the cost per iteration, one perturbation
        each) at most 3000 + 3n and 300 + n, so seeded CPU runs are reproducible.
        Stops early once the known ``reference`` objective is reached.
        """
        kw: dict = {}
        if time_limit is None:
            n = self.graph.n
            compiled = kernels.compiled_search(self.tg.device)
            kw = {"stall_iters": 300 + n, "max_iters": 3000 + 3 * n} if compiled else {
                "stall_iters": 300, "max_iters": 3000}  # fmt: skip
        return kernels.local_search(
            self.tg, z, time_limit, generator, weight=self.w, target=self._reference,
            edges=self.edges, **kw,
        )  # fmt: skip

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids in the set."""
        return self.graph.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


def degree_init(graph: Graph) -> torch.Tensor:
    """1 − deg/deg_max, the initial point of both Alkhouri et al. networks."""
    deg = graph.degrees().astype(np.float64)
    return torch.as_tensor(1.0 - deg / max(deg.max(initial=0.0), 1.0), dtype=torch.float32)


#: solver defaults of the three MIS-formulation methods (shared with clique and vertex cover)
MIS_METHOD_DEFAULTS: dict[str, dict] = {
    "pcqo": dict(
        restarts=32,
        steps=600,
        optimizer="momentum",
        momentum=0.875,
        lr=[1e-4, 3e-4],
        hparams={"gamma": [300.0, 900.0]},
        eval_every=30,
        perturb_every=1,
        perturb_scale=0.5,
        patience=6,
        polish_top=16,
    ),
    "relu": dict(restarts=32, steps=600, lr=[3e-3, 1e-2], eval_every=30, patience=6, polish_top=16),
    "pignn": dict(
        restarts=16, steps=1000, lr=[3e-3, 1e-2], eval_every=50, patience=6, polish_top=16
    ),
}


def register_mis_methods(
    problem: str,
    make_problem: Callable[[Graph, BuildContext, str], Problem],
    init_mean: Callable[[Graph], torch.Tensor],
    descriptions: Mapping[str, str],
    overrides: Mapping[str, Mapping] | None = None,
) -> None:
    """Register ``pcqo`` (default), ``relu`` and ``pignn`` for a problem solved as an MIS.

    ``make_problem(graph, ctx, formulation)`` builds the problem for the
    formulation ``"pcqo"``, ``"relu"`` or ``"qubo"`` (PI-GNN); ``init_mean(graph)``
    is the free variables' starting point; ``overrides`` replace entries of
    :data:`MIS_METHOD_DEFAULTS` per method. Options: ``init_std`` (free
    variables), ``conv``, ``embedding_dim``, ``hidden_dim``, ``dropout`` (PI-GNN).
    """
    extra = overrides or {}

    def free(formulation: str, init_std: float):
        def build(graph: Graph, ctx: BuildContext):
            prob = make_problem(graph, ctx, formulation)
            param = FreeVariables(
                graph.n,
                ctx.restarts,
                squash="clamp",
                init_mean=init_mean(graph),
                init_std=float(ctx.options.get("init_std", init_std)),
                device=ctx.device,
                generator=ctx.generator,
            )
            return prob, param

        return build

    def gnn(graph: Graph, ctx: BuildContext):
        prob = make_problem(graph, ctx, "qubo")
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

    builders = {"pcqo": free("pcqo", 0.5), "relu": free("relu", 0.1), "pignn": gnn}
    for name, build in builders.items():
        defaults = {**MIS_METHOD_DEFAULTS[name], **extra.get(name, {})}
        register(problem, name, descriptions[name], default=name == "pcqo", **defaults)(build)


def _problem(graph: Graph, ctx: BuildContext, formulation: str) -> MaxIndependentSet:
    prob = MaxIndependentSet(graph, ctx.device, ctx.reference, formulation)
    prob.generator = ctx.generator
    return prob


def _bound(graph: Graph, result, deadline: float):
    """The answer's upper bound: a (fractional) clique cover, with its certificate
    (:mod:`dnnsolve.bounds.cliques`, imported here: it loads numba)."""
    from ..bounds.cliques import mis_bound

    return mis_bound(graph, deadline, result.objective)


register_problem(
    "mis",
    "Maximum (weighted) independent set (Gset, DIMACS, edge list, or CNF → MIS graph).",
    formats="gset, dimacs, edgelist, cnf",
    example=("mis_example.dimacs", {}),
    bound=_bound,
)
register_mis_methods(
    "mis",
    _problem,
    degree_init,
    {
        "pcqo": "pCQO-MIS: quadratic loss with implicit complement-graph clique term, "
        "box [0,1], momentum GD",
        "relu": "ReLU dataless network (Alkhouri et al. 2022), sparse with O(n log n) "
        "complement term, Adam",
        "pignn": "PI-GNN: GCN/GraphSAGE with trainable embedding, MIS QUBO loss (penalty P = 2), "
        "Adam",
    },
)
