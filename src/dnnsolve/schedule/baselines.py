"""Classical references for stage scheduling: list scheduling, topological partitions, CP-SAT
and HiGHS on the ILP.

The ILP is the one of Liu et al. (ICML 2024): one-hot stage binaries ``x_{i,d}``,
stage ``s_i = Σ_d d·x_{i,d}``, precedence ``s_u <= s_v`` (``+1`` when strict),
peak variable ``r >= Σ_i m_i x_{i,d}`` for every d. With precedence, the
communication term ``Σ_e c_e·[s_u <= k < s_v]`` summed over boundaries k equals
``Σ_e c_e·(s_v − s_u)``, which is linear, so no per-edge boundary variables are
needed. Latency mode minimizes ``L >= s_i`` under ``Σ_i m_i x_{i,d} <= C``.

Every function returns a :class:`ScheduleRun`: stages (or None), its objective
re-checked by :func:`~dnnsolve.schedule.check.check_schedule`, legality, the
solver status and the wall time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import InputError
from .check import check_schedule
from .graph import TaskGraph


@dataclass
class ScheduleRun:
    """A baseline's schedule and how it was obtained."""

    method: str
    stages: np.ndarray | None
    objective: float | None
    legal: bool
    status: str
    time_s: float
    bound: float | None = None
    extra: dict = field(default_factory=dict)


def _finish(method, graph, s, D, strict, capacity, w, objective, status, t0, bound=None):
    if s is None:
        return ScheduleRun(method, None, None, False, status, time.perf_counter() - t0, bound)
    s = np.asarray(s, dtype=np.int64)
    rep = check_schedule(graph, s, D, strict, capacity, w)
    obj = rep["objective"] if objective == "balance" else rep["latency"]
    return ScheduleRun(
        method, s, float(obj), bool(rep["legal"]), status, time.perf_counter() - t0, bound
    )


def list_schedule(
    graph: TaskGraph,
    stages: int | None = None,
    objective: str = "balance",
    memory_weight: float = 1.0,
    capacity: float | None = None,
    strict: bool = False,
) -> ScheduleRun:
    """Greedy list scheduling in topological order.

    Balance: each node takes the stage at or after its predecessors' that adds the
    least ``comm + w·peak`` so far, where the peak is measured against an even share
    ``Σm / D`` (so early nodes do not pile into stage 0). Latency: the earliest legal
    stage with room under the capacity.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1])
    >>> r = list_schedule(g, stages=2)
    >>> r.legal, r.objective, r.stages.tolist()  # the optimum here (see cpsat_schedule)
    (True, 4.0, [0, 0, 0])
    """
    t0 = time.perf_counter()
    D = graph.depth if stages is None else int(stages)
    n = graph.n
    mem = graph.memory
    preds: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
        preds[v].append((u, c))
    s = np.zeros(n, dtype=np.int64)
    load = np.zeros(D)
    share = graph.total_memory / D
    gap = 1 if strict else 0
    for v in graph.order.tolist():
        lb = max((int(s[u]) + gap for u, _ in preds[v]), default=0)
        lb = min(lb, D - 1)
        if objective == "latency":
            d = lb
            while capacity is not None and d < D - 1 and load[d] + mem[v] > capacity + 1e-9:
                d += 1
        else:
            best, d = math.inf, lb
            peak = max(load.max(), share)
            for t in range(lb, D):
                cost = sum(c * (t - int(s[u])) for u, c in preds[v])
                cost += memory_weight * max(peak, load[t] + mem[v])
                if capacity is not None and load[t] + mem[v] > capacity + 1e-9:
                    cost += 1e18
                if cost < best - 1e-12:
                    best, d = cost, t
        s[v] = d
        load[d] += mem[v]
    return _finish("list", graph, s, D, strict, capacity, memory_weight, objective, "heuristic", t0)


def _int_scale(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer coefficients for CP-SAT: exact when the values are integers, else ×1000."""
    if np.all(np.mod(values, 1) == 0):
        return values.astype(np.int64), 1.0
    return np.round(values * 1000).astype(np.int64), 1000.0


def cpsat_schedule(
    graph: TaskGraph,
    stages: int | None = None,
    objective: str = "balance",
    memory_weight: float = 1.0,
    capacity: float | None = None,
    strict: bool = False,
    time_limit: float = 10.0,
    workers: int = 1,
    hint: np.ndarray | None = None,
    seed: int = 0,
) -> ScheduleRun:
    """The scheduling ILP with OR-Tools CP-SAT, time-limited (status OPTIMAL = proven).

    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1])
    >>> r = cpsat_schedule(g, stages=2, time_limit=5)
    >>> r.status, r.objective   # everything in one stage: peak 4, no communication
    ('OPTIMAL', 4.0)
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    D = graph.depth if stages is None else int(stages)
    n = graph.n
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{d}") for d in range(D)] for i in range(n)]
    s = [model.new_int_var(0, D - 1, f"s{i}") for i in range(n)]
    for i in range(n):
        model.add_exactly_one(x[i])
        model.add(s[i] == sum(d * x[i][d] for d in range(1, D)))
    gap = 1 if strict else 0
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        model.add(s[u] + gap <= s[v])
    mem, mscale = _int_scale(graph.memory)
    nz = np.flatnonzero(mem)
    loads = [sum(int(mem[i]) * x[i][d] for i in nz.tolist()) for d in range(D)]
    if capacity is not None:
        cap = math.floor(capacity * mscale + 1e-9)
        for d in range(D):
            model.add(loads[d] <= cap)
    extra_var = None
    if objective == "latency":
        L = model.new_int_var(0, D - 1, "L")
        extra_var = L
        for i in range(n):
            model.add(s[i] <= L)
        model.minimize(L)
    else:
        r = model.new_int_var(0, int(mem.sum()), "r")
        extra_var = r
        for d in range(D):
            model.add(loads[d] <= r)
        comm, cscale = _int_scale(graph.comm)
        # one objective scale: comm·(K/cscale) + w·r·(K/mscale), integral coefficients
        k_r = memory_weight / mscale
        k_c = 1.0 / cscale
        factor = 1.0
        while factor < 1e6 and not (
            float(k_r * factor).is_integer() and float(k_c * factor).is_integer()
        ):
            factor *= 10
        wr, wc = round(k_r * factor), round(k_c * factor)
        edge_terms = [
            int(c) * wc * (s[v] - s[u])
            for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), comm.tolist())
            if c
        ]
        model.minimize(sum(edge_terms) + wr * r)
    if hint is not None:  # a complete hint (stages and one-hot literals) CP-SAT can check
        for i in range(n):
            model.add_hint(s[i], int(hint[i]))
            for d in range(D):
                model.add_hint(x[i][d], int(hint[i]) == d)
        h = np.asarray(hint, dtype=np.int64)
        if objective == "latency":
            model.add_hint(extra_var, int(h.max()))
        else:
            model.add_hint(extra_var, int(np.bincount(h, weights=mem, minlength=D).max()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    status = solver.solve(model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _finish(
            "cpsat", graph, None, D, strict, capacity, memory_weight, objective, name, t0
        )
    sol = np.array([solver.value(s[i]) for i in range(n)], dtype=np.int64)
    run = _finish("cpsat", graph, sol, D, strict, capacity, memory_weight, objective, name, t0)
    if objective == "latency":
        run.bound = float(solver.best_objective_bound) + 1.0
    return run


def highs_schedule(
    graph: TaskGraph,
    stages: int | None = None,
    objective: str = "balance",
    memory_weight: float = 1.0,
    capacity: float | None = None,
    strict: bool = False,
    time_limit: float = 10.0,
) -> ScheduleRun:
    """The same ILP with HiGHS (through ``scipy.optimize.milp``), time-limited.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1])
    >>> r = highs_schedule(g, stages=2, time_limit=5)
    >>> r.status, r.objective
    ('optimal', 4.0)
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    D = graph.depth if stages is None else int(stages)
    n = graph.n
    nx_ = n * D  # x_{i,d} at i*D + d, then the extra variable (r or L)
    nv = nx_ + 1
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # one stage per node
    for i in range(n):
        rows += [r] * D
        cols += list(range(i * D, i * D + D))
        vals += [1.0] * D
        lo.append(1.0)
        hi.append(1.0)
        r += 1
    gap = 1.0 if strict else 0.0
    stage_coef = np.arange(D, dtype=float)
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        rows += [r] * (2 * D)
        cols += list(range(v * D, v * D + D)) + list(range(u * D, u * D + D))
        vals += stage_coef.tolist() + (-stage_coef).tolist()
        lo.append(gap)
        hi.append(np.inf)
        r += 1
    nz = np.flatnonzero(graph.memory)
    for d in range(D):  # load_d − extra <= 0 (balance) / load_d <= C (latency)
        rows += [r] * len(nz)
        cols += (nz * D + d).tolist()
        vals += graph.memory[nz].tolist()
        if objective == "balance":
            rows.append(r)
            cols.append(nx_)
            vals.append(-1.0)
            lo.append(-np.inf)
            hi.append(0.0)
        else:
            lo.append(-np.inf)
            hi.append(np.inf if capacity is None else float(capacity))
        r += 1
    c = np.zeros(nv)
    ub_extra = np.inf
    if objective == "balance":
        for u, v, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
            c[v * D : v * D + D] += w * stage_coef
            c[u * D : u * D + D] -= w * stage_coef
        c[nx_] = memory_weight
        ub_extra = np.inf if capacity is None else float(capacity)
    else:
        for i in range(n):  # s_i − L <= 0
            rows += [r] * (D + 1)
            cols += [*range(i * D, i * D + D), nx_]
            vals += [*stage_coef.tolist(), -1.0]
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
        c[nx_] = 1.0
    A = sparse.csr_array((vals, (rows, cols)), shape=(r, nv))
    integrality = np.ones(nv)
    integrality[nx_] = 0 if objective == "balance" else 1
    bounds = Bounds(np.zeros(nv), np.concatenate([np.ones(nx_), [ub_extra]]))
    res = milp(
        c,
        constraints=LinearConstraint(A, lo, hi),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": float(time_limit), "disp": False},
    )
    status = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "other"}.get(
        res.status, str(res.status)
    )
    if res.x is None:
        return _finish(
            "highs", graph, None, D, strict, capacity, memory_weight, objective, status, t0
        )
    X = np.asarray(res.x[:nx_]).reshape(n, D)
    sol = X.argmax(axis=1).astype(np.int64)
    return _finish("highs", graph, sol, D, strict, capacity, memory_weight, objective, status, t0)


# ---------------------------------------------------------------------- topological partitions


def topological_orders(graph: TaskGraph) -> dict[str, np.ndarray]:
    """A few cheap topological orders: by level (ASAP), Kahn FIFO and LIFO (chain-following).

    Different orders put different edges across a stage boundary; the partition DP
    (:func:`partition_order`) is run on each and the best kept.

    >>> g = TaskGraph.from_edges(4, [(0, 1), (0, 2), (2, 3)])
    >>> {k: v.tolist() for k, v in topological_orders(g).items()}
    {'level': [0, 1, 2, 3], 'fifo': [0, 1, 2, 3], 'lifo': [0, 2, 3, 1]}
    """
    n = graph.n
    order = np.argsort(graph.src, kind="stable")
    starts = np.searchsorted(graph.src[order], np.arange(n + 1))
    succ = graph.dst[order].tolist()
    out = {"level": graph.order.astype(np.int64)}
    for mode in ("fifo", "lifo"):
        indeg = np.bincount(graph.dst, minlength=n).tolist()
        ready = [v for v in range(n) if indeg[v] == 0]
        seq: list[int] = []
        head = 0  # FIFO: a list with a moving head; LIFO: a stack
        while head < len(ready):
            if mode == "fifo":
                u = ready[head]
                head += 1
            else:
                u = ready.pop()
            seq.append(u)
            for v in succ[starts[u] : starts[u + 1]]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    ready.append(v)
        out[mode] = np.asarray(seq, dtype=np.int64)
    return out


def fill_partition(graph: TaskGraph, order: np.ndarray, stages: int) -> np.ndarray:
    """The ten-line greedy: walk ``order`` and close a stage once it would exceed Σm/D.

    >>> g = TaskGraph.from_edges(4, [(0, 1), (1, 2), (2, 3)], memory=[1, 1, 1, 1])
    >>> fill_partition(g, np.arange(4), 2).tolist()
    [0, 0, 1, 1]
    """
    share = graph.total_memory / stages
    s = np.zeros(graph.n, dtype=np.int64)
    d, load = 0, 0.0
    for v in np.asarray(order).tolist():
        w = float(graph.memory[v])
        if load > 0 and load + w > share + 1e-9 and d < stages - 1:
            d, load = d + 1, 0.0
        s[v] = d
        load += w
    return s


def _range_min(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise minimum and argmin of ``vals[c, lo[c, i] : hi[c, i] + 1]`` (a sparse table).

    ``vals``, ``lo`` and ``hi`` are (C, N): C independent rows (one per peak cap) share
    every NumPy call, so the cost per call is spread over all of them.
    """
    C, n = vals.shape
    tv, ti = [vals], [np.broadcast_to(np.arange(n), (C, n))]
    h = 1
    while 2 * h <= n:
        a, b = tv[-1][:, :-h], tv[-1][:, h:]
        take = b < a
        tv.append(np.where(take, b, a))
        ti.append(np.where(take, ti[-1][:, h:], ti[-1][:, :-h]))
        h *= 2
    k = np.floor(np.log2(np.maximum(hi - lo + 1, 1))).astype(np.int64)
    out_v = np.full(lo.shape, np.inf)
    out_i = np.zeros(lo.shape, dtype=np.int64)
    for kk in np.unique(k).tolist():
        rows, cols = np.nonzero(k == kk)
        left, right = lo[rows, cols], hi[rows, cols] - (1 << kk) + 1
        a, b = tv[kk][rows, left], tv[kk][rows, right]
        take = b < a
        out_v[rows, cols] = np.where(take, b, a)
        out_i[rows, cols] = np.where(take, ti[kk][rows, right], ti[kk][rows, left])
    return out_v, out_i


def _partition_dp(
    prefix: np.ndarray, cut: np.ndarray, D: int, caps: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Least Σ cut over D − 1 boundaries of a sequence with every block's memory <= cap.

    ``prefix[p]`` is the memory of the first p nodes, ``cut[p]`` the communication across a
    boundary before position p. g_k(p) = cut[p] + min over q <= p with a block (q, p) under
    the cap of g_{k−1}(q); blocks may be empty (boundaries may coincide). All ``caps`` (C,)
    at once; returns the least communication per cap (inf: infeasible), the back-pointers
    and the last boundary per cap."""
    n = len(prefix) - 1
    C = len(caps)
    g = np.full((C, n + 1), np.inf)
    g[:, 0] = 0.0
    lo = np.searchsorted(prefix, (prefix[None, :] - caps[:, None] - 1e-9).ravel(), side="left")
    lo = lo.reshape(C, n + 1)
    hi = np.broadcast_to(np.arange(n + 1), (C, n + 1))
    backs = []
    for _ in range(1, D):
        v, i = _range_min(g, lo, hi)
        g = cut[None, :] + v
        backs.append(i)
    q0 = np.searchsorted(prefix, prefix[n] - caps - 1e-9, side="left")
    g = np.where(np.arange(n + 1)[None, :] >= q0[:, None], g, np.inf)
    q = np.argmin(g, axis=1)
    return g[np.arange(C), q], backs, q


def _bounds(backs: list[np.ndarray], q: np.ndarray, row: int) -> list[int]:
    """The D − 1 boundaries of one cap's optimum, from the DP's back-pointers."""
    bounds = [int(q[row])]
    for k in range(len(backs) - 1, 0, -1):
        bounds.append(int(backs[k][row, bounds[-1]]))
    return bounds[::-1]


def partition_order(
    graph: TaskGraph,
    order: np.ndarray,
    stages: int,
    memory_weight: float = 1.0,
    capacity: float | None = None,
    grid: int = 24,
) -> np.ndarray:
    """The best contiguous partition of one topological order into ``stages`` blocks.

    Minimizes ``comm + w·peak`` over partitions of ``order`` into consecutive blocks
    (every such partition is legal, non-strict): for a peak cap P the DP of
    :func:`_partition_dp` finds the least communication, and P is swept over a grid
    between the lower bound max(Σm/D, max m) and the greedy fill's objective, then
    refined twice around the best P. Exact up to the P grid (exact when the memories are
    integers and the last bracket is small enough to enumerate).

    >>> g = TaskGraph.from_edges(4, [(0, 1), (1, 2), (2, 3)], memory=[2, 1, 1, 2], comm=[5, 1, 5])
    >>> partition_order(g, np.arange(4), 2).tolist()   # cut the cheap middle edge
    [0, 0, 1, 1]
    """
    D, n = int(stages), graph.n
    order = np.asarray(order, dtype=np.int64)
    if D == 1:
        return np.zeros(n, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    diff = np.zeros(n + 2)
    np.add.at(diff, pos[graph.src] + 1, graph.comm)
    np.add.at(diff, pos[graph.dst] + 1, -graph.comm)
    cut = np.cumsum(diff)[: n + 1]
    prefix = np.concatenate([[0.0], np.cumsum(graph.memory[order])])
    total = float(prefix[-1])
    lo = max(total / D, float(graph.memory.max()))
    if capacity is not None and lo > capacity + 1e-9:
        lo = float(capacity)  # the DP then reports infeasible caps as inf
    hi_cap = total if capacity is None else min(total, float(capacity))
    if memory_weight <= 0:  # communication alone: the largest cap is best
        caps = np.array([hi_cap])
    else:
        fill = fill_partition(graph, order, D)
        rep = check_schedule(graph, fill, D, memory_weight=memory_weight)
        hi = min(lo + (rep["objective"] - lo * memory_weight) / memory_weight, hi_cap)
        caps = np.unique(np.linspace(lo, max(hi, lo), grid))
    integral = bool(np.all(np.mod(graph.memory, 1) == 0))
    best, best_bounds, step = math.inf, None, 0.0
    for _ in range(3):  # a coarse grid of caps, then finer ones around the best
        if integral:  # peaks are integers: integer caps lose nothing
            caps = np.unique(np.concatenate([np.floor(caps), [math.ceil(lo - 1e-9)]]))
            caps = caps[caps >= lo - 1e-9]
        # caps in batches: the DP's tables are (caps, n) per stage and doubling
        per = max(1, 250_000 // (n + 1))
        vals = np.full(len(caps), np.inf)
        for i in range(0, len(caps), per):
            comm, backs, q = _partition_dp(prefix, cut, D, caps[i : i + per])
            vals[i : i + per] = comm + memory_weight * caps[i : i + per]
            j = int(np.argmin(vals[i : i + per]))
            if vals[i + j] < best:
                best, best_bounds = float(vals[i + j]), _bounds(backs, q, j)
        j = int(np.argmin(vals))
        if len(caps) < 2 or not math.isfinite(best):
            break
        step = float(caps[1] - caps[0])
        c0 = float(caps[j])
        if integral and 2 * step <= 4 * grid:
            caps = np.arange(max(math.floor(c0 - step), math.ceil(lo - 1e-9)), c0 + step + 1)
        else:
            caps = np.linspace(max(c0 - step, lo), c0 + step, grid)
    if best_bounds is None:
        return fill_partition(graph, order, D)
    bounds = best_bounds
    block = np.searchsorted(np.asarray(bounds), np.arange(n), side="right")
    s = np.empty(n, dtype=np.int64)
    s[order] = block
    return s


def topological_partition(
    graph: TaskGraph,
    stages: int | None = None,
    objective: str = "balance",
    memory_weight: float = 1.0,
    capacity: float | None = None,
    strict: bool = False,
    time_limit: float | None = None,
    dp: bool = True,
) -> ScheduleRun:
    """Contiguous partitions of topological orders: the greedy fill and the DP-optimal one.

    With ``dp=False`` only the greedy fill of the level order up to Σm/D (the "ten-line
    greedy"). Otherwise, per order of :func:`topological_orders`, the fill and the
    DP-optimal partition (:func:`partition_order`); the best legal one is returned, and
    ``extra["candidates"]`` holds every schedule tried (best first). The level order is
    always done; ``time_limit`` only skips the further orders. Strict precedence and
    the latency objective are not contiguous-partition problems: the fill is returned.

    >>> g = TaskGraph.from_edges(4, [(0, 1), (1, 2), (2, 3)], memory=[1, 2, 1, 2], comm=[1, 5, 1])
    >>> r = topological_partition(g, stages=2)   # the fill cuts the costly edge 1 → 2
    >>> r.legal, r.objective, topological_partition(g, 2, dp=False).objective
    (True, 5.0, 8.0)
    """
    t0 = time.perf_counter()
    D = graph.depth if stages is None else int(stages)
    cands: list[tuple[float, np.ndarray]] = []
    orders = topological_orders(graph) if dp else {"level": graph.order}
    simple = not dp or strict or objective != "balance"
    for order in orders.values():
        if time_limit is not None and cands and time.perf_counter() - t0 > time_limit:
            break
        tries = [fill_partition(graph, order, D)]
        if not simple:
            tries.append(partition_order(graph, order, D, memory_weight, capacity))
        for s in tries:
            rep = check_schedule(graph, s, D, strict, capacity, memory_weight)
            obj = rep["objective"] if objective == "balance" else rep["latency"]
            cands.append((obj if rep["legal"] else math.inf, s))
    cands.sort(key=lambda c: c[0])
    name = "topo-dp" if dp else "topo"
    run = _finish(
        name, graph, cands[0][1], D, strict, capacity, memory_weight, objective, "heuristic", t0
    )
    run.extra["candidates"] = [s for _, s in cands]
    return run


BASELINES = {
    "list": list_schedule,
    "topo": lambda graph, **kw: topological_partition(graph, dp=False, **kw),
    "topo-dp": topological_partition,
    "cpsat": cpsat_schedule,
    "highs": highs_schedule,
}


def run_baseline(name: str, graph: TaskGraph, **kw) -> ScheduleRun:
    """Run a baseline by name (``list``, ``topo``, ``topo-dp``, ``cpsat``, ``highs``);
    ``time_limit`` ignored by list."""
    if name not in BASELINES:
        raise InputError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    if name == "list":
        kw.pop("time_limit", None)
        kw.pop("seed", None)
    if name == "highs":
        kw.pop("seed", None)
    return BASELINES[name](graph, **kw)
