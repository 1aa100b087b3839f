"""Peer tools run beside dnnsolve in the benchmark suites, at the same wall time and one thread.

These are the libraries a user would pick instead; they are optional (``pip install
"dnnsolve[peers]"``), and a suite asked for a peer that is not installed records why in the
row (``peer_error``) instead of failing. Every peer answer is re-checked here with the same
independent evaluator as dnnsolve's.

MaxCut through dwave-samplers, in its Ising form (minimize Σ w_ij s_i s_j, h = 0, so that
cut = (Σ w − E) / 2), with the protocol of the project's side-by-side runs:

* ``SimulatedAnnealingSampler``: one calibration read of 1000 sweeps measures the sweep rate;
  then reads sized to a sixth of the budget each, one at a time, until the next would not fit;
  the best read is kept.
* ``TabuSampler``: one read with ``timeout`` = the budget.

LPs through OR-Tools PDLP (``ortools``, a dependency of dnnsolve), one thread, on the arrays
dnnsolve read (``pdlp_lp``): its relative tolerance set to the suite's, its answer re-checked
with :func:`dnnsolve.lp.model.residuals` like dnnsolve's own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..baselines import maxcut_value
from ..graph import Graph

#: the MaxCut peers by name (``--option peers=dwave`` runs both)
MAXCUT_PEERS = ("dwave-sa", "dwave-tabu")
#: the LP peers by name
LP_PEERS = ("pdlp",)


@dataclass
class PeerResult:
    """One peer run: the cut re-checked here, its time, or why it did not run."""

    name: str
    objective: float | None
    time_s: float
    error: str | None = None
    #: the LP peers' checked figures (relative primal residual, the solver's own status)
    primal_residual: float | None = None
    status: str | None = None


def _ising(graph: Graph) -> dict[tuple[int, int], float]:
    quad: dict[tuple[int, int], float] = {}
    for u, v, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist()):
        key = (u, v) if u < v else (v, u)
        quad[key] = quad.get(key, 0.0) + float(w)
    return quad


def _sides(sample, n: int) -> np.ndarray:
    return np.array([sample[i] > 0 for i in range(n)], dtype=bool)


def dwave_maxcut(graph: Graph, peer: str, time_limit: float, seed: int = 0) -> PeerResult:
    """Run the dwave-samplers peer ``peer`` (``dwave-sa`` or ``dwave-tabu``) for about
    ``time_limit`` seconds on ``graph``; the best cut, re-checked."""
    t0 = time.perf_counter()
    try:
        from dwave.samplers import SimulatedAnnealingSampler, TabuSampler
    except ImportError:
        return PeerResult(peer, None, 0.0, "dwave-samplers is not installed (pip install "
                          "dwave-samplers)")  # fmt: skip
    n = graph.n
    h = {i: 0.0 for i in range(n)}
    j = _ising(graph)
    best: np.ndarray | None = None
    if peer == "dwave-tabu":
        ss = TabuSampler().sample_ising(
            h, j, num_reads=1, timeout=int(1000 * time_limit), seed=seed
        )
        best = _sides(ss.first.sample, n)
    elif peer == "dwave-sa":
        sampler = SimulatedAnnealingSampler()
        t = time.perf_counter()
        ss = sampler.sample_ising(h, j, num_reads=1, num_sweeps=1000, seed=seed)
        per_sweep = (time.perf_counter() - t) / 1000
        sweeps = max(1000, int(time_limit / 6 / max(per_sweep, 1e-9)))
        candidates = [_sides(ss.first.sample, n)]
        k, last = 1, time.perf_counter() - t
        while True:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0 or last > left:
                break
            t = time.perf_counter()
            ss = sampler.sample_ising(h, j, num_reads=1, num_sweeps=sweeps, seed=seed + k)
            last = time.perf_counter() - t
            candidates.append(_sides(ss.first.sample, n))
            k += 1
        best = max(candidates, key=lambda side: maxcut_value(graph, side))
    else:
        raise ValueError(f"unknown MaxCut peer {peer!r}; choose from {', '.join(MAXCUT_PEERS)}")
    return PeerResult(peer, maxcut_value(graph, best), time.perf_counter() - t0)


def pdlp_lp(lp, time_limit: float, tol: float = 1e-7) -> PeerResult:
    """OR-Tools PDLP on ``lp`` (a :class:`~dnnsolve.lp.model.LPData` without a quadratic term),
    one thread, relative and absolute optimality tolerance ``tol``; objective and relative
    primal residual recomputed from its x by :func:`~dnnsolve.lp.model.residuals`."""
    from ..lp.model import residuals

    t0 = time.perf_counter()
    try:
        from ortools.pdlp import solve_log_pb2, solvers_pb2
        from ortools.pdlp.python import pdlp
    except ImportError:
        return PeerResult("pdlp", None, 0.0, "OR-Tools PDLP is not importable")
    if lp.is_qp:
        return PeerResult("pdlp", None, 0.0, "the PDLP peer runs LPs only")
    qp = pdlp.QuadraticProgram()
    qp.resize_and_initialize(lp.n, lp.m)
    qp.objective_vector = np.asarray(lp.c, dtype=np.float64)
    qp.objective_offset = float(lp.offset)
    qp.constraint_matrix = lp.A.tocsc()
    qp.constraint_lower_bounds = np.asarray(lp.row_lower, dtype=np.float64)
    qp.constraint_upper_bounds = np.asarray(lp.row_upper, dtype=np.float64)
    qp.variable_lower_bounds = np.asarray(lp.col_lower, dtype=np.float64)
    qp.variable_upper_bounds = np.asarray(lp.col_upper, dtype=np.float64)
    params = solvers_pb2.PrimalDualHybridGradientParams()
    crit = params.termination_criteria.simple_optimality_criteria
    crit.eps_optimal_absolute = crit.eps_optimal_relative = tol
    params.termination_criteria.time_sec_limit = float(time_limit)
    params.num_threads = 1
    result = pdlp.primal_dual_hybrid_gradient(qp, params)
    x = np.asarray(result.primal_solution, dtype=np.float64)
    status = solve_log_pb2.TerminationReason.Name(result.solve_log.termination_reason)
    if x.shape != (lp.n,) or not np.all(np.isfinite(x)):
        return PeerResult("pdlp", None, time.perf_counter() - t0, f"no primal point ({status})")
    r = residuals(lp, x)
    return PeerResult(
        "pdlp",
        float(r["objective"]),
        time.perf_counter() - t0,
        primal_residual=float(r["primal_residual"]),
        status=status.removeprefix("TERMINATION_REASON_").lower(),
    )
