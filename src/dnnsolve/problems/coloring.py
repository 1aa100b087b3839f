"""Graph colouring: the PI-GNN Potts relaxation, Tabucol / HEA polish, an outer search over q.

With q colours, the relaxed colouring is x (B, n, q), each row p_v a probability
vector over the colours (softmax of free logits or of a GNN's q outputs). The
loss is the Potts relaxation of PI-GNN colouring (Schuetz et al., Phys. Rev.
Research 4, 043131, 2022)::

    L(x) = ½ Σ_ij A_ij ⟨p_i, p_j⟩ = Σ_{(u,v) ∈ E} ⟨p_u, p_v⟩,

the expected number of monochromatic edges when each vertex draws its colour
from p_v (summed once per undirected edge, with edge lists and gathers, no dense
matrix). Decoding takes the argmax colour; the best decodes, DSatur's colouring reduced
to q (the baseline, run first, so a result never has more conflicts than it) and the
warm start form the population of :func:`dnnsolve.search.coloring.hea` (sequential
Tabucol, compiled with numba when it is installed, plus greedy partition crossover).

Semantics of :class:`GraphColoring` (q fixed):

* :meth:`~GraphColoring.evaluate`: objective = number of conflicting edges (sense
  ``"min"``), feasible = every colour lies in [0, q) — so the solver ranks
  improper colourings by their conflicts and stops at :meth:`reference` = 0;
* :meth:`~GraphColoring.verify`: (conflicts, conflicts == 0 and colours in range).

The problem ``color`` of the registry runs :func:`run_coloring`: with
``--colors q`` one solve with q colours, otherwise a search for the smallest q,
starting from a DSatur colouring (a proper colouring from the start) and trying
q − 1, q − 2, ... until the time is spent, the greedy clique bound or the given
``reference`` (known χ) is reached; with a time limit a failed q that ended close to a
colouring is followed by q − 1 (see :func:`run_coloring`), since on planted
k-colourable graphs q = k is easier than the q just above it. Its :class:`~dnnsolve.core.result.Result`
has ``objective`` = number of colours of the reported colouring and ``feasible``
= the colouring is proper (re-checked by :meth:`GraphColoring.verify`), so the
CLI exits 2 when no proper colouring was found with a fixed q.
"""

from __future__ import annotations

import dataclasses
import math
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
from ..graph import Graph, coloring_output
from ..methods import BuildContext, ColorsOptions, Method, register, register_problem
from ..params.coloring import ColoringNetwork, FreeLogits
from ..search import coloring as kernels
from ..search._common import draw_seed


class GraphColoring(Problem):
    """q-colouring of a graph; discrete solutions are colour indices in [0, q) per vertex.

    ``warm_start`` (k, n) colourings, when set, are added to the batch that the
    local search polishes (the outer search passes the last proper colouring with
    its smallest colour class recoloured).

    :meth:`baseline` is DSatur's colouring, reduced to q colours when it uses more
    (the smallest classes dropped, their vertices recoloured greedily), so the solver
    never reports more conflicts than that; ``init="random"`` makes it random
    colourings instead (the ablation row that polishes random starts).
    :meth:`local_search` is the hybrid evolutionary algorithm
    (:func:`~dnnsolve.search.coloring.hea`: Tabucol + greedy partition crossover) on
    the starts it is given; ``ls_iters`` and ``pop_size`` are its settings.

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
        *,
        ls_iters: int = 5_000,
        pop_size: int = 8,
        init: str = "network",
    ):
        if int(q) != q or q < 1:
            raise InputError(f"the number of colours must be a positive integer, got {q!r}")
        self.graph = graph
        self.q = int(q)
        self.tg = graph.to_torch(device)
        self.n_vars = graph.n
        self.instance = graph.name
        self.tabu_iters = int(tabu_iters)
        if init not in ("network", "random"):
            raise InputError(f"option init must be network or random, got {init!r}")
        if ls_iters < 1 or pop_size < 2:
            raise InputError("options ls_iters must be >= 1 and pop_size >= 2")
        self.ls_iters, self.pop_size, self.init = int(ls_iters), int(pop_size), init
        self.csr = kernels.adjacency_csr(graph.n, graph.src, graph.dst)
        self.dsatur_colors: np.ndarray | None = None  # DSatur's colouring, when known already
        self.baseline_name = "random" if init == "random" else "dsatur"
        self._baseline_z: torch.Tensor | None = None
        self.warm_start: torch.Tensor | None = None
        self.generator: torch.Generator | None = None
        self.last_search: dict = {}

    # -- relaxed side ----------------------------------------------------------------
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Σ over edges of ⟨p_u, p_v⟩ for x (B, n, q) → (B,), as ½ Σ_v ⟨p_v, (A p)_v⟩.

        One sparse product with the adjacency holds (B·q, n) numbers; gathering both ends
        of every edge held (B, m, q): 1.1 GB and 20 s a step on latin_square_10.
        """
        B, n, q = x.shape
        per_colour = x.transpose(1, 2).reshape(B * q, n)
        spread = self.tg.matvec(per_colour, weighted=False)
        return 0.5 * (per_colour * spread).reshape(B, q * n).sum(dim=1)

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

    def baseline(
        self, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """DSatur's colouring reduced to q colours (1, n); ``init="random"``: ``pop_size``
        random colourings."""
        dev = self.tg.src.device
        if self.init == "random":
            gdev = generator.device if generator is not None else dev  # draw where gen lives
            z = torch.randint(
                0, self.q, (self.pop_size, self.graph.n), generator=generator, device=gdev
            )
        else:
            col = self.dsatur_colors if self.dsatur_colors is not None else None
            if col is None:
                col = dsatur(self.graph).solution
            z = torch.as_tensor(reduce_to(self.graph, col, self.q))[None]
        self._baseline_z = z.to(dev)
        return self._baseline_z

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        """One-hot (k, n, q) relaxed colourings of ``z`` (network warm starts)."""
        return torch.nn.functional.one_hot(z.clamp(0, self.q - 1), self.q).float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """:func:`~dnnsolve.search.coloring.hea` from the colourings of ``z`` (plus the warm
        start, if any) as its population; CPU, sequential, compiled when numba is installed.

        Without a time limit at most ``tabu_iters`` Tabucol iterations (deterministic).
        Returns ``z``'s rows with the best colouring found in the row of a start it descends
        from (a baseline row when it descends from baseline starts only), so the solver's
        ``found_by`` says which starts won; ``last_search`` holds the details.
        """
        given = z
        if self.warm_start is not None:
            z = torch.cat([z, self.warm_start.to(z.device, z.dtype)], dim=0)
        starts = z.detach().cpu().numpy().astype(np.int64)
        origin = np.full(len(starts), _NETWORK, dtype=np.int64)
        if self._baseline_z is not None:
            base = self._baseline_z.cpu().numpy()
            is_base = (starts[:, None, :] == base[None, :, :]).all(axis=2).any(axis=1)
            origin[is_base] = _BASELINE
        if self.warm_start is not None:
            origin[-len(self.warm_start) :] = _WARM
        seed = draw_seed(generator, 2**31 - 1)
        stats: dict = {}
        best = kernels.hea(
            self.csr,
            starts,
            self.q,
            time_limit,
            seed,
            pop_size=max(self.pop_size, 2),
            ls_iters=self.ls_iters,
            max_iters=self.tabu_iters if time_limit is None else None,
            origins=origin,
            stats=stats,
        )
        tag = int(stats.pop("origin"))
        stats["origin"] = _origin_name(tag, self.init)
        stats["warm_start_best"] = bool(tag & _WARM)
        self.last_search = stats
        out = given.clone()  # one row per given start: the solver reads found_by by row
        # the winner goes to a baseline row only when no network start is among its ancestors
        kind = origin[: len(given)]
        rows = np.flatnonzero(kind == (_BASELINE if tag == _BASELINE else _NETWORK))
        row = int(rows[0]) if len(rows) else 0
        out[row] = torch.as_tensor(best, dtype=out.dtype, device=out.device)
        return out

    def solution_output(self, solution: np.ndarray) -> dict:
        """``{"colors": k, "coloring": {vertex id: colour}}`` with colours renumbered 1..k."""
        return coloring_output(self.graph, solution)

    def reference(self) -> float | None:
        return 0.0


_NETWORK, _BASELINE, _WARM = 1, 2, 4  # start origins, bit masks (a child: its parents' union)


def _origin_name(tag: int, init: str = "network") -> str:
    """Readable origin of HEA's winner: the kinds of starts among its ancestors.

    >>> _origin_name(1), _origin_name(3), _origin_name(2, "random")
    ('network', 'network+dsatur', 'random')
    """
    names = [(_NETWORK, "network"), (_BASELINE, "random" if init == "random" else "dsatur")]
    names += [(_WARM, "warm_start"), (kernels._RANDOM, "random_restart")]
    return "+".join(name for bit, name in names if tag & bit) or "none"


def reduce_to(graph: Graph, colors: np.ndarray, q: int) -> np.ndarray:
    """A q-colouring derived from ``colors``: the q largest classes kept, the other vertices
    recoloured one by one with their least-conflict colour (conflicts possible).

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> reduce_to(g, np.array([0, 1, 2]), 2).tolist()
    [0, 1, 0]
    """
    csr = kernels.adjacency_csr(graph.n, graph.src, graph.dst)
    return kernels.reduce_classes(csr, colors, q)


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
    prob = GraphColoring(
        graph,
        q,
        ctx.device,
        _opt_int(ctx.options, "tabu_iters", 20_000) or 1,
        ls_iters=_opt_int(ctx.options, "ls_iters", 5_000) or 1,
        pop_size=_opt_int(ctx.options, "pop_size", 8) or 2,
        init=str(ctx.options.get("init", "network")),
    )
    prob.generator = ctx.generator
    return prob


def _flag(options: Mapping[str, Any], key: str, default: bool) -> bool:
    return str(options.get(key, default)).lower() not in ("0", "false", "no", "off")


def run_coloring(
    method: Method,
    graph: Graph,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """Runner of ``color``: one solve with ``--colors q``, else the search for the smallest q.

    Every attempt at q runs the :class:`~dnnsolve.core.solver.Solver`: DSatur reduced to q
    colours (the baseline) first, then the network, then :func:`~dnnsolve.search.coloring.hea`
    on the network's best decodes, the baseline and the warm start. The search for the
    smallest q starts from DSatur's colouring; each step down first tries a short Tabucol
    run from the last colouring reduced to q − 1 (``found_by`` "warm_tabucol") and only runs
    a full attempt when that fails. Options: ``warm`` (0: no warm starts, no short runs),
    ``init=random`` (the baseline is random colourings: the random-starts ablation),
    ``ls_iters`` / ``pop_size`` (HEA), ``tabu_iters`` (iterations without a time limit).
    """
    t0 = time.perf_counter()
    q_fixed = _opt_int(ctx.options, "colors", None)
    if q_fixed is not None and q_fixed < 1:
        raise InputError(f"--colors must be at least 1, got {q_fixed}")
    warm = _flag(ctx.options, "warm", True)
    chi = ctx.reference
    if q_fixed is not None:
        ds_col = dsatur(graph).solution if config.baseline else None
        remaining = None  # DSatur's time counts inside the limit
        if config.time_limit is not None:
            remaining = max(config.time_limit - (time.perf_counter() - t0), 0.01)
        res, col = _attempt(method, graph, ctx, config, callbacks, q_fixed, None, remaining, ds_col)
        attempt = _attempt_row(q_fixed, res, time.perf_counter() - t0)
        return _finish(graph, res, col, chi, t0, [attempt], {})

    ds = dsatur(graph)
    best = ds.solution
    best_k = len(np.unique(best))
    clique = greedy_clique(graph)
    lower = max(len(clique), 1 if graph.n else 0)
    info = {"dsatur_colors": best_k, "clique_bound": lower, "dsatur_s": ds.time_s}
    attempts: list[dict] = []
    best_res: Result | None = None
    found_by = "baseline"
    # Probing: while attempts end close to a colouring (few conflicts left), a failed q is
    # followed by q − 1 with its own share of the time, since a lower q can be the easier
    # one (planted k-colourings: at q = k the landscape funnels into the hidden colouring,
    # at k < q < DSatur's count the search wanders among many near-colourings). An attempt
    # that ends far from a colouring ends probing: the rest of the time goes to the
    # smallest q not yet reached, from its best improper colouring so far (probing needs a
    # time limit to share out).
    probing = config.time_limit is not None  # without a time limit: stop at the first failure
    near = max(2.0, 0.002 * graph.m)  # conflicts left that count as "close"
    partial: dict[int, np.ndarray] = {}  # best improper colouring seen per q
    q = best_k - 1
    while best_k > lower and q >= lower and not (chi is not None and best_k <= chi):
        remaining = None
        if config.time_limit is not None:
            remaining = config.time_limit - (time.perf_counter() - t0)
            if remaining <= 0.05:
                break
        t_a = time.perf_counter()
        start = None
        warm_s = 0.0  # the short Tabucol run's time, a polish outside the Solver
        if q in partial:
            start = partial[q] if warm else None
        elif warm:
            start = reduce_to(graph, best, q)
            quick = _quick_tabucol(graph, start, q, ctx, remaining)
            warm_s = time.perf_counter() - t_a
            if quick is not None:  # the easy steps down: Tabucol from the warm start alone
                row = {"colors": q, "success": True, "conflicts": 0.0}
                row.update(found_by="warm_tabucol", time_s=warm_s, warm_tabucol_s=warm_s)
                attempts.append({**row, "stop_reason": "reference", "warm_start_best": True})
                best, best_k, found_by = quick, len(np.unique(quick)), "warm_tabucol"
                q = best_k - 1
                continue
        limit = _PROBE_SHARE * remaining if probing and remaining is not None else remaining
        res, col = _attempt(method, graph, ctx, config, callbacks, q, start, limit, ds.solution)
        row = _attempt_row(q, res, time.perf_counter() - t_a)
        attempts.append({**row, "probe": probing, "warm_tabucol_s": warm_s})
        if res.feasible and col is not None:
            best, best_k, best_res, found_by = col, len(np.unique(col)), res, res.found_by
            q = best_k - 1
            continue
        if col is not None:  # the attempt started from partial[q]: it is no worse
            partial[q] = col
        floor = lower if chi is None else max(lower, math.ceil(chi))  # never probe below χ
        if probing and res.objective is not None and res.objective <= near and q - 1 >= floor:
            q -= 1
            continue
        if probing:
            probing = False
            q = best_k - 1
            continue
        break
    if best_res is None:
        best_res = _dsatur_result(graph, method, ctx, config, ds.time_s)
    best_res.found_by = found_by
    return _finish(graph, best_res, best, chi, t0, attempts, info)


_PROBE_SHARE = 0.25  # share of the time left that one probing attempt may take


def _quick_tabucol(
    graph: Graph, start: np.ndarray, q: int, ctx: BuildContext, remaining: float | None
) -> np.ndarray | None:
    """A short Tabucol run (≤ 10 000 iterations, ≤ 10 % of the time left) from the warm start
    (the compiled kernel when numba is installed)."""
    seed = draw_seed(ctx.generator, 2**31 - 1)
    ts = kernels.TabuSearch(kernels.adjacency_csr(graph.n, graph.src, graph.dst), start, q, seed)
    deadline = None if remaining is None else time.perf_counter() + 0.1 * remaining
    ts.run(10_000, deadline)
    return ts.best_z if ts.best_f == 0 else None


def _attempt(method, graph, ctx, config, callbacks, q, start, time_limit, base_colors):
    """One Solver run with q colours; ``base_colors``: the colouring the baseline reduces."""
    sub = BuildContext(ctx.restarts, ctx.device, ctx.generator, {**ctx.options, "colors": q})
    prob, param = method.build(graph, sub)
    if base_colors is not None:
        prob.dsatur_colors = base_colors
    if start is not None:
        prob.warm_start = torch.as_tensor(start, dtype=torch.int64, device=ctx.device)[None]
    cfg = dataclasses.replace(config, time_limit=time_limit)
    res = Solver(cfg, callbacks).solve(prob, param, method=method.name, extra={"colors": q})
    res.extra["search"] = prob.last_search
    if prob.init == "random" and res.found_by.startswith("baseline"):
        res.found_by = res.found_by.replace("baseline", "random", 1)
    col = coloring_from_output(graph, res.solution)
    return res, col


def _attempt_row(q: int, res: Result, seconds: float) -> dict:
    return {
        "colors": q,
        "success": bool(res.feasible),
        "conflicts": res.objective,
        "time_s": seconds,
        "found_by": res.found_by,
        "origin": res.extra.get("search", {}).get("origin"),
        "stop_reason": res.stop_reason,
        "timings": res.timings,
        "warm_start_best": res.extra.get("search", {}).get("warm_start_best"),
    }


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
        found_by="baseline",
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
    timings = _search_timings(attempts, float(info.get("dsatur_s", 0.0)), total)
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
        timings=timings,
        extra=extra,
    )


def _search_timings(attempts: list[dict], dsatur_s: float, total: float) -> dict[str, float]:
    """The stages of the whole search for the smallest q: every attempt's stages summed, the
    first DSatur run as baseline and the short Tabucol runs as polish."""
    out: dict[str, float] = {}
    for row in attempts:
        for key, value in (row.get("timings") or {}).items():
            if key != "total_s":
                out[key] = out.get(key, 0.0) + float(value)
        out["polish_s"] = out.get("polish_s", 0.0) + float(row.get("warm_tabucol_s", 0.0))
    out["baseline_s"] = out.get("baseline_s", 0.0) + dsatur_s
    out["total_s"] = total
    return out


def _bound(graph: Graph, result, deadline: float):
    """The answer's lower bound: a clique, with its certificate
    (:mod:`dnnsolve.bounds.cliques`, imported here: it loads numba)."""
    from ..bounds.cliques import coloring_bound

    return coloring_bound(graph, deadline, result.objective)


register_problem(
    "color",
    "Graph colouring: smallest q without conflicts (or --colors q); DIMACS .col, edge list.",
    formats="dimacs (.col), gset, edgelist",
    runner=run_coloring,
    options=ColorsOptions,
    example=("color_example.col", {}),
    bound=_bound,
)


@register(
    "color",
    "potts",
    "Potts relaxation Σ_E⟨p_u,p_v⟩ on free softmax logits (B, n, q), Adam, then batched Tabucol",
    default=True,
    restarts=8,
    steps=300,
    lr=[0.05, 0.2],
    eval_every=25,
    patience=6,
    polish_fraction=0.9,
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
    polish_fraction=0.9,
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
