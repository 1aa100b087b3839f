"""Certified lower bounds for stage scheduling (the ``schedule`` family), from its data.

A schedule puts node i (resource m_i) in a stage s_i ∈ 0..D−1 with s_u ≤ s_v on every edge
u → v (s_u < s_v when ``strict``) and, with a capacity C, every stage's load M_d = Σ_{s_i=d} m_i
at most C. Under strict precedence node i can only be in its *window* [level_i, D−1−height_i]
(level / height: the longest path, in edges, into / out of i); otherwise every window is
[0, D−1].

**Balance** (minimize Σ_e c_e (s_v − s_u) + w·max_d M_d), ``schedule-counting``:

* peak ≥ max(max_i m_i, max over stage intervals [a, b] of M(a, b) / (b − a + 1)), M(a, b) the
  memory of the nodes whose window lies inside [a, b] ([0, D−1]: Σm / D); rounded up when
  every m_i is an integer (the peak then is one);
* communication ≥ Σ_e c_e when strict (every edge crosses a boundary), else ≥ 0;
* bound = communication bound + w · peak bound.

``schedule-lp-dual`` (strict precedence only) adds the LP relaxation of the ILP of
:mod:`dnnsolve.schedule.baselines` with the windows (x_{i,d} ∈ [0, 1] for d in i's window,
Σ_d x_{i,d} = 1, Σ_d d·x_{v,d} − Σ_d d·x_{u,d} ≥ 1, r ≥ M_d, M_d ≤ C, r ∈ [peak bound, Σm]),
solved with HiGHS. Its duals — λ_e ≥ 0 per edge, μ_d ≥ 0 per stage row, ν_d ≥ 0 per
capacity row — are the certificate, and the bound is the Lagrangian value they give, exact
for any λ, μ, ν ≥ 0 (each node takes one stage of its window, so the relaxed problem
separates):

    L = Σ_e λ_e − C·Σ_d ν_d + Σ_i min_{d ∈ W_i} [(σ_i − Λin_i + Λout_i)·d + m_i (μ_d + ν_d)]
        + min((w − Σ_d μ_d)·lo, (w − Σ_d μ_d)·hi)

with σ_i = Σ_{e into i} c_e − Σ_{e out of i} c_e (so that Σ_e c_e (s_v − s_u) = Σ_i σ_i s_i),
Λin_i / Λout_i the λ of the edges into / out of i and [lo, hi] the range of r. When c, m and w
are all integers the bound is ``ceil(L − 1e-6 − 1e-9·|L|)``, else L − 1e-9·max(1, |L|).
Without strict precedence the LP relaxation is no stronger than the counting bound (every
x_{i,d} = 1/D is feasible: no communication, every stage Σm / D), so it is not run.

**Latency** (minimize max_i s_i + 1 under the capacity), ``schedule-counting``: the largest of
1; ⌈Σm / C⌉; the number of nodes with m_i > C/2 (no two share a stage); when strict, the
depth and, for every t, t + ⌈Σ_{level_i ≥ t} m_i / C⌉ and t + ⌈Σ_{height_i ≥ t} m_i / C⌉ (those
nodes fit only in the last / first L − t stages). No LP.

>>> import numpy as np
>>> b = schedule_bound(3, [0, 0], [1, 2], [2.0, 1.0, 1.0], [1.0, 1.0], stages=2)
>>> b.value, b.method, b.certificate["peak"]   # peak ≥ max(4/2, 2): all in one stage is 4
(2.0, 'schedule-counting', {'node': '0'})
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.bound import Bound
from .covering import MIN_LP_SECONDS, highs_lp, round_up

COUNTING, LP_DUAL = "schedule-counting", "schedule-lp-dual"

#: intervals are searched only up to this many stages (O(D²)); beyond, [0, D−1] alone
MAX_INTERVAL_STAGES = 2000

#: the LP is not built beyond this many stage variables
MAX_LP_COLUMNS = 3_000_000


def _longest(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Longest path (in edges) ending at each node (Kahn's algorithm on the DAG)."""
    indeg = np.bincount(dst, minlength=n)
    order = np.argsort(src, kind="stable")
    starts = np.searchsorted(src[order], np.arange(n + 1))
    succ = dst[order]
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0).tolist()
    indeg = indeg.copy()
    while frontier:
        nxt = []
        for u in frontier:
            for v in succ[starts[u] : starts[u + 1]].tolist():
                level[v] = max(level[v], level[u] + 1)
                indeg[v] -= 1
                if indeg[v] == 0:
                    nxt.append(v)
        frontier = nxt
    return level


def windows(
    n: int, src: np.ndarray, dst: np.ndarray, stages: int, strict: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi): the stages node i can take in a legal schedule (the module docstring)."""
    if not strict:
        return np.zeros(n, dtype=np.int64), np.full(n, stages - 1, dtype=np.int64)
    return _longest(n, src, dst), stages - 1 - _longest(n, dst, src)


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(np.mod(a, 1) == 0))


def peak_bound(
    memory: np.ndarray, lo: np.ndarray, hi: np.ndarray, stages: int, ids: list[str]
) -> tuple[float, dict[str, Any]]:
    """(peak lower bound, the argument) — module docstring."""
    best, arg = -1.0, {}
    if len(memory):
        i = int(np.argmax(memory))
        best, arg = float(memory[i]), {"node": ids[i]}
    D = stages
    if D <= MAX_INTERVAL_STAGES:
        W = np.zeros((D, D))  # memory of the nodes by window (lo, hi)
        np.add.at(W, (np.clip(lo, 0, D - 1), np.clip(hi, 0, D - 1)), memory)
        # S[a, b] = Σ_{lo ≥ a, hi ≤ b} W: suffix sums over lo, prefix sums over hi
        S = np.cumsum(np.cumsum(W[::-1], axis=0)[::-1], axis=1)
        a, b = np.triu_indices(D)
        avg = S[a, b] / (b - a + 1)
        k = int(np.argmax(avg))
        cand, interval = float(avg[k]), [int(a[k]), int(b[k])]
    else:
        inside = (lo >= 0) & (hi <= D - 1)
        cand, interval = float(memory[inside].sum()) / D, [0, D - 1]
    if cand > best:
        best, arg = cand, {"interval": interval}
    if _integral(memory):
        best = round_up(best)
    return best, arg


def _latency(n, src, dst, memory, ids, capacity, strict) -> tuple[float, dict[str, Any]]:
    cands: list[tuple[float, dict[str, Any]]] = [(1.0, {"argument": "one"})]
    if strict:
        level, height = _longest(n, src, dst), _longest(n, dst, src)
        cands.append((float(level.max() + 1), {"argument": "depth"}))
    if capacity is not None:
        C = float(capacity)
        cands.append((round_up(float(memory.sum()) / C), {"argument": "total"}))
        cands.append((float(np.sum(memory > C / 2)), {"argument": "big"}))
        if strict:
            for name, depth_of in (("levels", level), ("heights", height)):
                tot = np.bincount(depth_of, weights=memory)
                above = np.cumsum(tot[::-1])[::-1]  # memory of the nodes at depth ≥ t
                vals = [t + round_up(float(above[t]) / C) for t in range(len(above))]
                t = int(np.argmax(vals))
                cands.append((float(vals[t]), {"argument": name, "t": t}))
    return max(cands, key=lambda c: c[0])


def lagrangian_value(
    n, src, dst, memory, comm, lo, hi, stages, memory_weight, capacity, lam, mu, nu, r_range
) -> float:
    """The Lagrangian bound L of the module docstring for multipliers λ (per edge), μ, ν (per
    stage; ν None without a capacity) and r ∈ ``r_range``."""
    D = stages
    slope = np.zeros(n)
    np.add.at(slope, dst, comm - lam)
    np.add.at(slope, src, -(comm - lam))
    cap = mu if nu is None else mu + nu
    d = np.arange(D)
    total = float(lam.sum()) - (0.0 if nu is None else float(capacity) * float(nu.sum()))
    # per node: min over its window of slope·d + m·cap[d]
    cost = slope[:, None] * d[None, :] + memory[:, None] * cap[None, :]
    outside = (d[None, :] < lo[:, None]) | (d[None, :] > hi[:, None])
    cost[outside] = np.inf
    total += float(cost.min(axis=1).sum())
    coef = memory_weight - float(mu.sum())
    total += min(coef * r_range[0], coef * r_range[1])
    return total


def _lp(n, src, dst, memory, comm, lo, hi, stages, w, capacity, peak_lo, deadline):
    """HiGHS on the strict LP; (λ, μ, ν, status) or None when it is not run / has no duals."""
    D, m = stages, len(src)
    width = np.maximum(hi - lo + 1, 0)
    ncol = int(width.sum())
    left = math.inf if deadline is None else deadline - time.monotonic()
    if ncol + 1 > MAX_LP_COLUMNS or left <= MIN_LP_SECONDS:
        return None
    node = np.repeat(np.arange(n), width)
    first = np.concatenate([[0], np.cumsum(width)[:-1]])
    stage = lo[node] + (np.arange(ncol) - first[node])
    sigma = np.zeros(n)
    np.add.at(sigma, dst, comm)
    np.add.at(sigma, src, -comm)
    cols = np.arange(ncol)
    blocks = [
        # assignment rows (n): Σ_d x_{i,d} = 1
        sp.csr_matrix((np.ones(ncol), (node, cols)), shape=(n, ncol + 1)),
    ]
    # precedence rows (m): Σ d x_{v,d} − Σ d x_{u,d} ≥ 1: via node-stage sums
    node_stage = sp.csr_matrix((stage.astype(float), (node, cols)), shape=(n, ncol + 1))
    inc = sp.csr_matrix(
        (np.concatenate([np.ones(m), -np.ones(m)]),
         (np.tile(np.arange(m), 2), np.concatenate([dst, src]))),
        shape=(m, n),
    )  # fmt: skip
    blocks.append(sp.csr_matrix(inc @ node_stage))
    # stage rows (D): r − Σ_i m_i x_{i,d} ≥ 0
    load = sp.csr_matrix((memory[node], (stage, cols)), shape=(D, ncol + 1))
    blocks.append(sp.csr_matrix(sp.hstack([-load[:, :ncol], np.ones((D, 1))])))
    lower = [np.ones(n), np.ones(m), np.zeros(D)]
    upper = [np.ones(n), np.full(m, np.inf), np.full(D, np.inf)]
    if capacity is not None:
        blocks.append(load)
        lower.append(np.full(D, -np.inf))
        upper.append(np.full(D, float(capacity)))
    A = sp.vstack(blocks, format="csr")
    cost = np.concatenate([sigma[node] * stage, [w]])
    col_lo = np.concatenate([np.zeros(ncol), [peak_lo]])
    col_hi = np.concatenate([np.ones(ncol), [max(float(memory.sum()), peak_lo)]])
    res = highs_lp(cost, A, np.concatenate(lower), np.concatenate(upper), col_lo, col_hi, deadline)
    y = res["y"]
    if y is None:
        return None
    lam = np.maximum(y[n : n + m], 0.0)
    mu = np.maximum(y[n + m : n + m + D], 0.0)
    nu = np.maximum(-y[n + m + D :], 0.0) if capacity is not None else None
    return lam, mu, nu, res["status"]


def schedule_bound(
    n: int,
    src: Any,
    dst: Any,
    memory: Any,
    comm: Any,
    ids: list[str] | None = None,
    *,
    stages: int,
    objective: str = "balance",
    memory_weight: float = 1.0,
    capacity: float | None = None,
    strict: bool = False,
    deadline: float | None = None,
) -> Bound:
    """A certified lower bound on the optimal schedule of the DAG (``n`` nodes, edges
    ``src → dst``; the module docstring), the LP's where strict precedence lets it help and
    HiGHS finishes by ``deadline`` (``time.monotonic()``; None: no limit)."""
    t0 = time.perf_counter()
    src = np.asarray(src, dtype=np.int64).reshape(-1)
    dst = np.asarray(dst, dtype=np.int64).reshape(-1)
    memory = np.asarray(memory, dtype=np.float64).reshape(-1)
    comm = np.asarray(comm, dtype=np.float64).reshape(-1)
    ids = [str(i) for i in (ids if ids else range(n))]
    D, w = int(stages), float(memory_weight)
    head = {"objective": objective, "stages": D, "strict": bool(strict)}
    if objective == "latency":
        value, arg = _latency(n, src, dst, memory, ids, capacity, strict)
        return Bound(value, COUNTING, {**head, **arg}, time.perf_counter() - t0)
    lo, hi = windows(n, src, dst, D, strict)
    peak, arg = peak_bound(memory, lo, hi, D, ids)
    comm_lb = float(comm.sum()) if strict else 0.0
    counting = comm_lb + w * peak
    cert: dict[str, Any] = {**head, "peak": arg, "comm": "edges" if strict else "none"}
    notes: dict[str, Any] = {"counting": counting, "peak_lower": peak, "comm_lower": comm_lb}
    integral = _integral(memory) and _integral(comm) and float(w).is_integer()
    value, method = counting, COUNTING
    if strict and n:
        got = _lp(n, src, dst, memory, comm, lo, hi, D, w, capacity, peak, deadline)
        notes["lp"] = "not run" if got is None else got[3]
        if got is not None:
            lam, mu, nu, _ = got
            r_range = [peak, max(float(memory.sum()), peak)]
            L = lagrangian_value(
                n, src, dst, memory, comm, lo, hi, D, w, capacity, lam, mu, nu, r_range
            )
            notes["lagrangian"] = L
            L = round_up(L) if integral else L - 1e-9 * max(1.0, abs(L))
            if value < L:
                keep = np.flatnonzero(lam > 0)
                cert["lp"] = {
                    "edges": [[ids[src[e]], ids[dst[e]], float(lam[e])] for e in keep.tolist()],
                    "stages": [float(x) for x in mu],
                    **({} if nu is None else {"capacity": [float(x) for x in nu]}),
                    "peak_range": r_range,
                }
                value, method = L, LP_DUAL
    return Bound(float(value), method, cert, time.perf_counter() - t0, notes)


__all__ = ["COUNTING", "LP_DUAL", "lagrangian_value", "peak_bound", "schedule_bound", "windows"]
