"""Graph colouring: the PI-GNN Potts relaxation, batched Tabucol, and an outer search over q.

With q colours, the relaxed colouring is x (B, n, q), each row p_v a probability
vector over the colours (softmax of free logits or of a GNN's q outputs). The
loss is the Potts relaxation of PI-GNN colouring (Schuetz et al., Phys. Rev.
Research 4, 043131, 2022)::

    L(x) = ½ Σ_ij A_ij ⟨p_i, p_j⟩ = Σ_{(u,v) ∈ E} ⟨p_u, p_v⟩,

the expected number of monochromatic edges when each vertex draws its colour
from p_v (summed once per undirected edge, with edge lists and gathers, no dense
matrix). Decoding takes the argmax colour; :func:`dnnsolve.search.coloring.tabucol`
polishes the decoded colourings.

Semantics of :class:`GraphColoring` (q fixed):

* :meth:`~GraphColoring.evaluate`: objective = number of conflicting edges (sense
  ``"min"``), feasible = every colour lies in [0, q) — so the solver ranks
  improper colourings by their conflicts and stops at :meth:`reference` = 0;
* :meth:`~GraphColoring.verify`: (conflicts, conflicts == 0 and colours in range).

The problem ``color`` of the registry runs :func:`run_coloring`: with
``--colors q`` one solve with q colours, otherwise a search for the smallest q,
starting from a DSatur colouring (a proper colouring from the start) and trying
q − 1, q − 2, ... until an attempt fails, the greedy clique bound or the given
``reference`` (known χ) is reached. Its :class:`~dnnsolve.core.result.Result`
has ``objective`` = number of colours of the reported colouring and ``feasible``
= the colouring is proper (re-checked by :meth:`GraphColoring.verify`), so the
CLI exits 2 when no proper colouring was found with a fixed q.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ..baselines.coloring import dsatur, greedy_clique
from ..core.callbacks import Callback
from ..core.device import device_name
from ..core.errors import InputError
from ..core.problem import Evaluation, Problem
from ..core.result import Result
from ..core.solver import Solver, SolverConfig
from ..graph import Graph
from ..methods import BuildContext, Method, register, register_problem
from ..params.coloring import ColoringNetwork, FreeLogits
from ..search import coloring as kernels


class GraphColoring(Problem):
    """q-colouring of a graph; discrete solutions are colour indices in [0, q) per vertex.

    ``warm_start`` (k, n) colourings, when set, are added to the batch that the
    local search polishes (the outer search passes the last proper colouring with
    its smallest colour class recoloured).

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    >>> prob = GraphColoring(g, 3)
    >>> prob.verify(np.array([0, 1, 2])), prob.verify(np.array([0, 1, 0]))
    ((0.0, True), (1.0, False))
    >>> round(float(prob.loss(torch.full((1, 3, 3), 1 / 3), {})), 4)  # 3 edges · 1/q
    1.0
    """

    name = "color"
    sense = "min"
    hparams: Mapping[str, float] = {}

    def __init__(
        self,
        graph: Graph,
        q: int,
        device: torch.device | str = "cpu",
        tabu_iters: int = 20_000,
    ):
        if int(q) != q or q < 1:
            raise InputError(f"the number of colours must be a positive integer, got {q!r}")
        self.graph = graph
        self.q = int(q)
        self.tg = graph.to_torch(device)
        self.n_vars = graph.n
        self.instance = graph.name
        self.tabu_iters = int(tabu_iters)
        self.warm_start: torch.Tensor | None = None
        self.generator: torch.Generator | None = None
        self.last_search: dict = {}

    # -- relaxed side ----------------------------------------------------------------
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Σ over edges of ⟨p_u, p_v⟩ for x (B, n, q) → (B,)."""
        return (x.index_select(1, self.tg.src) * x.index_select(1, self.tg.dst)).sum(dim=(1, 2))

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x.argmax(dim=-1)

    # -- discrete side -----------------------------------------------------------------
    def evaluate(self, z: torch.Tensor) -> Evaluation:
        conflicts = kernels.count_conflicts(self.tg, z).to(torch.float64)
        in_range = ((z >= 0) & (z < self.q)).all(dim=1)
        return Evaluation(conflicts, in_range)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """(number of monochromatic edges, proper q-colouring?) recounted in NumPy."""
        col = np.asarray(solution).reshape(-1)
        if col.shape != (self.graph.n,) or not np.issubdtype(col.dtype, np.integer):
            return float("nan"), False
        same = np.equal(np.take(col, self.graph.src), np.take(col, self.graph.dst))
        bad = int(np.count_nonzero(same))
        in_range = bool(np.all((col >= 0) & (col < self.q)))
        return float(bad), bad == 0 and in_range

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched Tabucol from every colouring of ``z`` (plus the warm start, if any).

        Without a time limit at most ``tabu_iters`` iterations (deterministic).
        """
        if self.warm_start is not None:
            z = torch.cat([z, self.warm_start.to(z.device, z.dtype)], dim=0)
        stats: dict = {}
        out = kernels.tabucol(
            self.tg,
            z,
            self.q,
            time_limit,
            generator,
            max_iters=self.tabu_iters if time_limit is None else None,
            stats=stats,
        )
        if self.warm_start is not None:
            conf = kernels.count_conflicts(self.tg, out)
            k = self.warm_start.shape[0]
            stats["warm_start_best"] = bool(conf[-k:].min() <= conf[:-k].min())
        self.last_search = stats
        return out

    def solution_output(self, solution: np.ndarray) -> dict:
        """``{"colors": k, "coloring": {vertex id: colour}}`` with colours renumbered 1..k."""
        return coloring_output(self.graph, solution)

    def reference(self) -> float | None:
        return 0.0


def coloring_output(graph: Graph, colors: np.ndarray) -> dict:
    """JSON form of a colouring: colours renumbered 1..k in order of first use, keyed by vertex id.

    >>> coloring_output(Graph.from_edges(3, [(0, 1)]), np.array([4, 2, 4]))
    {'colors': 2, 'coloring': {1: 1, 2: 2, 3: 1}}
    """
    col = np.asarray(colors).reshape(-1)
    _, first, inv = np.unique(col, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    new = rank[inv] + 1
    ids = graph.vertex_ids(np.arange(graph.n))
    return {"colors": len(first), "coloring": dict(zip(ids, new.tolist()))}


def coloring_from_output(graph: Graph, solution: Any) -> np.ndarray | None:
    """0-based colours per vertex from :func:`coloring_output`'s form (None if unreadable).

    >>> g = Graph.from_edges(3, [(0, 1)])
    >>> coloring_from_output(g, {"colors": 2, "coloring": {"1": 1, "2": 2, "3": 1}}).tolist()
    [0, 1, 0]
    """
    if not isinstance(solution, dict) or not isinstance(solution.get("coloring"), dict):
        return None
    table = {str(k): v for k, v in solution["coloring"].items()}
    try:
        col = [int(table[str(i)]) - 1 for i in graph.vertex_ids(np.arange(graph.n))]
    except (KeyError, TypeError, ValueError):
        return None
    if len(table) != graph.n or any(c < 0 for c in col):
        return None
    return np.array(col, dtype=np.int64)


# ---------------------------------------------------------------- builders


def _opt_int(options: Mapping[str, Any], key: str, default: int | None) -> int | None:
    val = options.get(key, default)
    if val is None:
        return None
    try:
        out = int(val)
    except (TypeError, ValueError):
        raise InputError(f"option {key} must be an integer, got {val!r}") from None
    return out


def _colors(graph: Graph, ctx: BuildContext) -> int:
    q = _opt_int(ctx.options, "colors", None)
    if q is None:
        q = max(int(dsatur(graph).objective), 1)
    if q < 1:
        raise InputError(f"--colors must be at least 1, got {q}")
    return q


def _problem(graph: Graph, ctx: BuildContext) -> GraphColoring:
    q = _colors(graph, ctx)
    prob = GraphColoring(graph, q, ctx.device, _opt_int(ctx.options, "tabu_iters", 20_000) or 1)
    prob.generator = ctx.generator
    return prob


def run_coloring(
    method: Method,
    graph: Graph,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """Runner of ``color``: one solve with ``--colors q``, else the search for the smallest q."""
    t0 = time.perf_counter()
    q_fixed = _opt_int(ctx.options, "colors", None)
    if q_fixed is not None and q_fixed < 1:
        raise InputError(f"--colors must be at least 1, got {q_fixed}")
    warm = str(ctx.options.get("warm", "1")).lower() not in ("0", "false", "no", "off")
    chi = ctx.reference
    if q_fixed is not None:
        res, col = _attempt(method, graph, ctx, config, callbacks, q_fixed, None, config.time_limit)
        attempt = _attempt_row(q_fixed, res, time.perf_counter() - t0)
        return _finish(graph, res, col, chi, t0, [attempt], {})

    ds = dsatur(graph)
    best = ds.solution
    best_k = len(np.unique(best))
    clique = greedy_clique(graph)
    lower = max(len(clique), 1 if graph.n else 0)
    info = {"dsatur_colors": best_k, "clique_bound": lower}
    attempts: list[dict] = []
    best_res: Result | None = None
    found_by = "dsatur"
    while best_k > lower and not (chi is not None and best_k <= chi):
        q = best_k - 1
        remaining = None
        if config.time_limit is not None:
            remaining = config.time_limit - (time.perf_counter() - t0)
            if remaining <= 0.05:
                break
        start = _warm_start(graph, best, q) if warm else None
        t_a = time.perf_counter()
        quick = _quick_tabucol(graph, start, q, ctx, remaining) if warm else None
        if quick is not None:  # the easy steps down: Tabucol from the warm start alone
            row = {"colors": q, "success": True, "conflicts": 0.0, "found_by": "warm_tabucol"}
            row.update(time_s=time.perf_counter() - t_a, stop_reason="reference")
            attempts.append({**row, "warm_start_best": True})
            best, best_k, found_by = quick, len(np.unique(quick)), "warm_tabucol"
            continue
        res, col = _attempt(method, graph, ctx, config, callbacks, q, start, remaining)
        attempts.append(_attempt_row(q, res, time.perf_counter() - t_a))
        if not res.feasible or col is None:
            break
        best, best_k, best_res, found_by = col, len(np.unique(col)), res, res.found_by
    if best_res is None:
        best_res = _dsatur_result(graph, method, ctx, config, ds.time_s)
    best_res.found_by = found_by
    return _finish(graph, best_res, best, chi, t0, attempts, info)


def _quick_tabucol(
    graph: Graph, start: np.ndarray, q: int, ctx: BuildContext, remaining: float | None
) -> np.ndarray | None:
    """A short Tabucol run (≤ 2000 iterations, ≤ 10 % of the time left) from the warm start."""
    tg = graph.to_torch(ctx.device)
    z = torch.as_tensor(start, dtype=torch.int64, device=ctx.device)[None]
    limit = None if remaining is None else 0.1 * remaining
    out = kernels.tabucol(tg, z, q, limit, ctx.generator, max_iters=2000)
    col = out[0].cpu().numpy()
    ok = not np.any(col[graph.src] == col[graph.dst])
    return col if ok else None


def _attempt(method, graph, ctx, config, callbacks, q, start, time_limit):
    sub = BuildContext(ctx.restarts, ctx.device, ctx.generator, {**ctx.options, "colors": q})
    prob, param = method.build(graph, sub)
    if start is not None:
        prob.warm_start = torch.as_tensor(start, dtype=torch.int64, device=ctx.device)[None]
    cfg = dataclasses.replace(config, time_limit=time_limit)
    res = Solver(cfg, callbacks).solve(prob, param, method=method.name, extra={"colors": q})
    res.extra["search"] = prob.last_search
    col = coloring_from_output(graph, res.solution)
    return res, col


def _attempt_row(q: int, res: Result, seconds: float) -> dict:
    return {
        "colors": q,
        "success": bool(res.feasible),
        "conflicts": res.objective,
        "time_s": seconds,
        "found_by": res.found_by,
        "stop_reason": res.stop_reason,
        "warm_start_best": res.extra.get("search", {}).get("warm_start_best"),
    }


def _warm_start(graph: Graph, colors: np.ndarray, q: int) -> np.ndarray:
    """Drop the smallest colour class of a colouring: its vertices take their least-conflict colour."""
    labels, counts = np.unique(colors, return_counts=True)
    order = labels[np.argsort(-counts, kind="stable")]  # largest classes first
    relabel = np.empty(int(colors.max()) + 1, dtype=np.int64)
    relabel[order] = np.arange(len(order))
    z = torch.as_tensor(relabel[colors])[None]
    return kernels.reduce_colors(graph.to_torch("cpu"), z, q)[0].numpy()


def _dsatur_result(
    graph: Graph, method: Method, ctx: BuildContext, config: SolverConfig, seconds: float
) -> Result:
    return Result(
        problem="color",
        instance=graph.name,
        method=method.name,
        objective=None,
        feasible=False,
        solution=None,
        time_s=seconds,
        device=device_name(ctx.device),
        seed=config.seed,
        sense="min",
        found_by="dsatur",
        stop_reason="bound",
        restarts=config.restarts,
        extra={"config": dataclasses.asdict(config)},
    )


def _finish(
    graph: Graph,
    res: Result,
    colors: np.ndarray | None,
    chi: float | None,
    t0: float,
    attempts: list[dict],
    info: dict,
) -> Result:
    """The reported result: colours used as objective, properness re-checked independently."""
    if colors is None:
        colors = np.zeros(graph.n, dtype=np.int64)
    bad = sum(1 for u, v in zip(graph.src.tolist(), graph.dst.tolist()) if colors[u] == colors[v])
    k = len(np.unique(colors)) if graph.n else 0
    proper = bad == 0
    total = time.perf_counter() - t0
    extra = {k_: v for k_, v in res.extra.items() if k_ != "colors"}
    extra.update(info)
    extra.update(colors=k, conflicts=bad, attempts=attempts)
    if not proper:
        extra["infeasible_reason"] = (
            f"no proper colouring found: the best one uses {k} colours and leaves "
            f"{bad} conflicting edge{'s' if bad != 1 else ''}"
        )
    stop = res.stop_reason
    if chi is not None and proper and k <= chi:
        stop = "reference"
    return dataclasses.replace(
        res,
        problem="color",
        objective=float(k),
        feasible=proper,
        solution=coloring_output(graph, colors),
        time_s=total,
        sense="min",
        reference=chi,
        stop_reason=stop,
        timings={**res.timings, "total_s": total},
        extra=extra,
    )


register_problem(
    "color",
    "Graph colouring: smallest q without conflicts (or --colors q); DIMACS .col, edge list.",
    formats="dimacs (.col), gset, edgelist",
    runner=run_coloring,
    cli_options=("colors",),
)


@register(
    "color",
    "potts",
    "Potts relaxation Σ_E⟨p_u,p_v⟩ on free softmax logits (B, n, q), Adam, then batched Tabucol",
    default=True,
    restarts=8,
    steps=600,
    lr=[0.05, 0.2],
    eval_every=25,
    patience=6,
    polish_fraction=0.8,
    polish_top=8,
)
def _potts(graph: Graph, ctx: BuildContext):
    prob = _problem(graph, ctx)
    param = FreeLogits(
        graph.n,
        prob.q,
        ctx.restarts,
        init_std=float(ctx.options.get("init_std", 1.0)),
        device=ctx.device,
        generator=ctx.generator,
    )
    return prob, param


@register(
    "color",
    "pignn",
    "PI-GNN colouring: GCN (or --option conv=sage) with embedding and q-way softmax, Potts loss",
    restarts=8,
    steps=3000,
    lr=[1e-2, 3e-2],
    eval_every=50,
    patience=8,
    polish_fraction=0.8,
    polish_top=8,
)
def _pignn(graph: Graph, ctx: BuildContext):
    prob = _problem(graph, ctx)
    param = ColoringNetwork(
        prob.tg,
        prob.q,
        ctx.restarts,
        conv=str(ctx.options.get("conv", "gcn")),
        embedding_dim=_opt_int(ctx.options, "embedding_dim", None),
        hidden_dim=_opt_int(ctx.options, "hidden_dim", None),
        dropout=float(ctx.options.get("dropout", 0.0)),
        generator=ctx.generator,
    )
    return prob, param


__all__ = ["GraphColoring", "coloring_from_output", "coloring_output", "run_coloring"]
