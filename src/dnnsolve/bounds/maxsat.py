"""A lower bound on the cost of weighted partial MaxSAT from unsatisfiable cores.

A *core* is a set K of soft clauses that cannot all hold together with the hard clauses
(hard ∪ K is unsatisfiable): every assignment that satisfies the hard clauses falsifies at
least one clause of K. Cores K_1 … K_t with weights μ_k > 0 that *pack* into the soft
weights, Σ_{k : c ∈ K_k} μ_k ≤ w_c for every soft clause c, prove

    cost(x) = Σ_{c falsified} w_c ≥ Σ_{c falsified} Σ_{k ∋ c} μ_k ≥ Σ_k μ_k

(each core has a falsified clause). Disjoint cores with μ_k = min_{c ∈ K_k} w_c are the plain
case; with unit weights every core is disjoint.

They are found with a SAT solver of python-sat (Glucose 4, incremental, interruptible at the
deadline): each soft clause c gets a selector s_c, the clause (c ∨ ¬s_c) is added beside the
hard clauses, and the solver runs under the assumptions {s_c : c still has weight left}. On
UNSAT its final conflict names a core (the assumptions used); the core is shrunk (re-solved
under its own assumptions while that shrinks it, then clause by clause with a small conflict
budget), gets μ = its smallest remaining weight, every clause of it loses μ, and the clauses
left with none drop out (the WPM1 weight split). Stratification: only clauses with at least a
threshold weight are assumed at first, the threshold dividing by 10 each time they are
satisfiable; the search ends when every clause with weight left is satisfiable with the hard
clauses (``exhausted``) or at the deadline (the cores found still prove their sum).

Certificate (``bound_method`` ``"cores"``)::

    {"cores": [[i, ...], ...],   # clause indices: 0-based over ALL clauses of the input file
                                 # (hard and soft together), in the file's order
     "weights": [μ_1, ...]}      # one per core

The value is Σ μ_k, scaled by min(1, min_c w_c / Σ_{k ∋ c} μ_k) should float rounding of the
weight split overfill a clause (never with integer weights, where all of it is exact).
``dnnsolve verify`` checks the packing and reruns another SAT solver (MiniSat 2.2) on each
hard ∪ K_k. Without ``weights`` a certificate's cores must be disjoint and μ_k is the core's
smallest weight.

>>> from dnnsolve.io.wcnf import WCNF
>>> f = WCNF(2, [[1, 2], [-1], [-2], [1]], [0, 3, 1, 2], [True, False, False, False])
>>> b = core_bound(f)  # optimum 3: x1 true falsifies ¬x1 (3); x1 false, ¬x2 (1) and x1 (2)
>>> b.value, b.certificate["cores"], b.certificate["weights"], b.notes["exhausted"]
(3.0, [[1, 2], [1, 3]], [1.0, 2.0], True)
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np

from ..core.bound import Bound
from ..io.wcnf import WCNF, weight_sum

__all__ = ["SOLVER", "core_bound"]

#: the python-sat solver the cores come from (the checker uses another one)
SOLVER = "glucose4"
#: cores up to this size are minimized clause by clause
MINIMIZE_MAX = 300
#: the conflict budget of each clause-by-clause minimization call
MINIMIZE_CONFLICTS = 1000


def _pack(weights: np.ndarray, cores: list[list[int]], mus: list[float]) -> float:
    """Σ μ_k, scaled down should any clause's load Σ_{k ∋ c} μ_k exceed its weight."""
    if not cores:
        return 0.0
    load: dict[int, list[float]] = {}
    for core, mu in zip(cores, mus, strict=True):
        for i in core:
            load.setdefault(i, []).append(mu)
    ratio = max(math.fsum(v) / float(weights[i]) for i, v in load.items())
    total = weight_sum(mus)
    return total / ratio if ratio > 1 else total


def core_bound(
    wcnf: WCNF,
    deadline: float | None = None,
    *,
    solver: str = SOLVER,
    minimize: bool = True,
) -> Bound | None:
    """A lower bound on the optimum cost of ``wcnf`` from cores (see the module docstring),
    by ``deadline`` (:func:`time.monotonic`; None: until exhausted). None when the hard clauses
    alone are unsatisfiable (no assignment has a cost)."""
    from pysat.solvers import Solver

    t0 = time.perf_counter()
    w = np.asarray(wcnf.weights, dtype=np.float64)
    soft = [i for i in range(wcnf.n_clauses) if not wcnf.hard[i] and w[i] > 0]
    sel = {i: wcnf.n_vars + 1 + k for k, i in enumerate(soft)}
    of_sel = {s: i for i, s in sel.items()}
    residual = {i: float(w[i]) for i in soft}
    cores: list[list[int]] = []
    mus: list[float] = []
    calls = 0
    exhausted = False
    with Solver(name=solver) as s:
        for i, c in enumerate(wcnf.clauses):
            if wcnf.hard[i]:
                s.add_clause(list(c))
            elif i in sel:  # a soft clause of weight 0 costs nothing: left out
                s.add_clause([*c, -sel[i]])
        timer = None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            timer = threading.Timer(left, s.interrupt)
            timer.daemon = True
            timer.start()
        try:

            def run(assumptions: list[int], budget: int = -1) -> bool | None:
                nonlocal calls
                calls += 1
                s.conf_budget(budget)
                return s.solve_limited(assumptions=assumptions, expect_interrupt=True)

            def core_of() -> list[int]:
                return sorted(of_sel[v] for v in (s.get_core() or []) if v in of_sel)

            threshold = max(residual.values(), default=0.0) / 10
            while True:
                active = [i for i in soft if residual[i] > 0 and residual[i] >= threshold]
                status = run([sel[i] for i in active])
                if status is None:
                    break
                if status:
                    lower = [r for r in residual.values() if 0 < r < threshold]
                    if not lower:
                        exhausted = True
                        break
                    threshold = max(lower) / 10  # the next stratum
                    continue
                core = core_of()
                if not core:
                    return None  # the hard clauses alone are unsatisfiable
                if minimize:
                    core = _shrink(core, sel, run, core_of)
                mu = min(residual[i] for i in core)
                cores.append(core)
                mus.append(mu)
                for i in core:
                    rest = residual[i] - mu
                    residual[i] = 0.0 if rest <= 1e-12 * float(w[i]) else rest
        finally:
            if timer is not None:
                timer.cancel()
    value = _pack(w, cores, mus)
    if not math.isfinite(value):
        return None
    cert: dict[str, Any] = {"cores": cores, "weights": mus}
    notes = {"cores": len(cores), "exhausted": exhausted, "sat_calls": calls, "solver": solver}
    return Bound(value, "cores", cert, time.perf_counter() - t0, notes)


def _shrink(core: list[int], sel: dict[int, int], run, core_of) -> list[int]:
    """A smaller core inside ``core``: re-solve under its own assumptions while that shrinks
    it, then drop clause by clause (small conflict budget) those whose removal still leaves it
    unsatisfiable (``needed`` ∪ ``rest`` stays a core throughout, so an interrupt at the
    deadline leaves a core)."""
    for _ in range(5):
        status = run([sel[i] for i in core])
        if status is not False:
            return core
        smaller = core_of()
        if not smaller or len(smaller) >= len(core):
            break
        core = smaller
    if len(core) > MINIMIZE_MAX:
        return core
    needed: list[int] = []
    rest = list(core)
    while rest:
        i = rest.pop()
        status = run([sel[j] for j in needed + rest], MINIMIZE_CONFLICTS)
        if status is False:
            smaller = set(core_of())
            rest = [j for j in rest if j in smaller]
            needed = [j for j in needed if j in smaller]
        else:
            needed.append(i)
    return sorted(needed)
