"""Classical SAT / MaxSAT baselines: CaDiCaL and RC2 (python-sat) and a single-thread probSAT.

Every result is re-checked clause by clause by :func:`count_falsified` (plain Python,
shares no code with the solvers or with :mod:`dnnsolve.search.sat`): a ``"sat"``
status is only reported for a model that satisfies every clause.

>>> from dnnsolve.io.cnf import CNF
>>> f = CNF(2, [[1, 2], [-1, 2], [1, -2]])
>>> cadical(f).status, probsat(f, seed=0).status
('sat', 'sat')
>>> cadical(CNF(1, [[1], [-1]])).status
'unsat'
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from fractions import Fraction
from typing import Any

import numpy as np

from ..io.cnf import CNF
from ..io.wcnf import WCNF
from .common import BaselineResult


def count_falsified(clauses: list[list[int]], assignment) -> int:
    """Number of clauses falsified by a 0/1 assignment of x1..xn (plain Python loop).

    >>> count_falsified([[1, 2], [-1], [-2]], [1, 0])
    1
    """
    a = [bool(v) for v in np.asarray(assignment).reshape(-1).tolist()]
    bad = 0
    for c in clauses:
        for lit in c:
            if a[abs(lit) - 1] == (lit > 0):
                break
        else:
            bad += 1
    return bad


def model_to_assignment(model: list[int] | None, n_vars: int) -> np.ndarray:
    """A solver's signed-literal model → 0/1 array of length ``n_vars`` (missing vars = 0)."""
    a = np.zeros(n_vars, dtype=np.int8)
    for lit in model or []:
        if 0 < abs(lit) <= n_vars and lit > 0:
            a[lit - 1] = 1
    return a


def _cadical_child(conn, clauses: list[list[int]]) -> None:  # pragma: no cover - subprocess
    from pysat.solvers import Solver

    with Solver(name="cadical153", bootstrap_with=clauses) as s:
        ok = s.solve()
        conn.send((ok, s.get_model() if ok else None))
    conn.close()


def _call_with_timeout(target, args: tuple, time_limit: float) -> Any:
    """Run ``target(conn, *args)`` in a forked process; None if it exceeds ``time_limit``."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(send, *args), daemon=True)
    proc.start()
    send.close()
    try:
        if recv.poll(time_limit):
            return recv.recv()
        return None
    except EOFError:
        return None
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(1.0)
        recv.close()


def cadical(cnf: CNF, time_limit: float | None = None) -> BaselineResult:
    """CaDiCaL 1.5.3 (python-sat), single thread.

    python-sat cannot interrupt CaDiCaL, so with a ``time_limit`` the solver runs in a
    forked process that is killed at the limit (status ``"unknown"``). ``status`` is
    ``"sat"`` (model verified), ``"unsat"`` or ``"unknown"``; ``objective`` is the
    number of clauses the model falsifies (0) or NaN without a model.
    """
    t0 = time.perf_counter()
    if time_limit is None:
        from pysat.solvers import Solver

        with Solver(name="cadical153", bootstrap_with=cnf.clauses) as s:
            ok = s.solve()
            out: Any = (ok, s.get_model() if ok else None)
    else:
        out = _call_with_timeout(_cadical_child, (cnf.clauses,), max(time_limit, 1e-3))
    dt = time.perf_counter() - t0
    if out is None:
        return BaselineResult(
            "cadical", math.nan, np.zeros(cnf.n_vars, np.int8), time_s=dt, status="unknown"
        )
    ok, model = out
    if not ok:
        return BaselineResult(
            "cadical",
            math.nan,
            np.zeros(cnf.n_vars, np.int8),
            optimal=True,
            time_s=dt,
            feasible=False,
            status="unsat",
        )
    a = model_to_assignment(model, cnf.n_vars)
    bad = count_falsified(cnf.clauses, a)
    status = "sat" if bad == 0 else "error"
    return BaselineResult("cadical", float(bad), a, optimal=bad == 0, time_s=dt, status=status)


def _clause_arrays(cnf: CNF) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clauses (duplicates and tautologies dropped) as CSR literal indices ``2 v + negated``,
    and the clauses of each literal index."""
    clauses = [list(dict.fromkeys(c)) for c in cnf.clauses]
    clauses = [c for c in clauses if not any(-lit in c for lit in c)]
    lengths = np.array([len(c) for c in clauses], dtype=np.int64)
    cptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.array([lit for c in clauses for lit in c], dtype=np.int64)
    clits = 2 * np.abs(flat) + (flat < 0)
    owner = np.repeat(np.arange(len(clauses), dtype=np.int64), lengths)
    order = np.argsort(clits, kind="stable")
    counts = np.bincount(clits, minlength=2 * cnf.n_vars + 2)
    optr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return cptr, clits, optr, owner[order]


def probsat(
    cnf: CNF,
    time_limit: float | None = 10.0,
    max_flips: int | None = None,
    seed: int = 0,
    cb: float = 2.06,
    eps: float = 0.9,
) -> BaselineResult:
    """Classical single-thread probSAT (Balint & Schöning 2012), polynomial break rule.

    One walker, compiled with numba (:mod:`dnnsolve.baselines._probsat_jit`): incremental
    true-literal counts, a list of falsified clauses with O(1) removal, break values from the
    occurrence lists. Stops at a model, after ``max_flips`` flips or at ``time_limit`` seconds
    (status ``"unknown"``: an incomplete method never reports unsat). The same seed gives the
    same walk.
    """
    from . import _probsat_jit as kernel

    t0 = time.perf_counter()
    n = cnf.n_vars
    cptr, clits, optr, oidx = _clause_arrays(cnf)
    m = len(cptr) - 1
    rng = np.random.default_rng(seed)
    a = np.zeros(n + 1, dtype=np.int8)
    a[1:] = rng.random(n) < 0.5
    state = np.array([rng.integers(1, 2**63 - 1)], dtype=np.uint64)
    numtrue = np.zeros(m, dtype=np.int32)
    unsat = np.zeros(m, dtype=np.int32)
    where = np.full(m, -1, dtype=np.int32)
    nunsat = np.array([kernel.start(cptr, clits, a, numtrue, unsat, where)], dtype=np.int64)
    table = (eps + np.arange(64, dtype=np.float64)) ** -cb
    best, best_a = int(nunsat[0]), a.copy()
    scratch = a.copy()
    flips = 0
    limit = max_flips if max_flips is not None else 1 << 62
    chunk = 1 << 14  # flips between two looks at the clock
    while nunsat[0] > 0 and flips < limit:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        step = min(chunk, limit - flips)
        done, low = kernel.walk(
            cptr, clits, optr, oidx, a, numtrue, unsat, where, nunsat, state, table, step, scratch
        )
        flips += int(done)
        if low < best:
            best, best_a = int(low), scratch.copy()
        chunk = min(chunk * 2, 1 << 20)
    if nunsat[0] == 0:
        best, best_a = 0, a.copy()
    best_a = best_a[1:]
    assign = np.asarray(best_a, dtype=np.int8)
    bad = count_falsified(cnf.clauses, assign)
    status = "sat" if bad == 0 else "unknown"
    return BaselineResult(
        "probsat",
        float(bad),
        assign,
        optimal=bad == 0,
        time_s=time.perf_counter() - t0,
        status=status,
        extra={"flips": flips},
    )


def maxsat_cost(wcnf: WCNF, assignment) -> tuple[float, bool]:
    """``(falsified soft weight, all hard clauses satisfied)`` by a plain loop.

    The falsified weights are added exactly (Python ints / fractions) and rounded once,
    so weights near 1e308 cannot overflow a partial sum; a cost beyond float64 is inf.

    >>> f = WCNF(2, [[1], [2], [-2]], np.array([1e308, 1e308, 1.0]), np.zeros(3, bool))
    >>> maxsat_cost(f, [1, 0]), maxsat_cost(f, [0, 0])
    ((1e+308, True), (inf, True))
    """
    a = [bool(v) for v in np.asarray(assignment).reshape(-1).tolist()]
    total, ok = 0, True
    for c, w, h in zip(wcnf.clauses, wcnf.weights.tolist(), wcnf.hard.tolist(), strict=True):
        if not any(a[abs(lit) - 1] == (lit > 0) for lit in c):
            if h:
                ok = False
            else:
                total += int(w) if float(w).is_integer() else Fraction(w)
    try:
        cost = float(total)
    except OverflowError:
        cost = math.inf
    return cost, ok


def rc2(wcnf: WCNF) -> BaselineResult:
    """Optimal weighted partial MaxSAT by RC2 (python-sat); no time limit.

    ``status`` is ``"optimal"`` (cost re-checked) or ``"infeasible"`` (hard clauses
    unsatisfiable).

    >>> f = WCNF(2, [[1, 2], [-1], [-2]], np.array([0, 3, 1]), np.array([True, False, False]))
    >>> r = rc2(f)
    >>> r.status, r.objective
    ('optimal', 1.0)
    """
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF as PyWCNF

    t0 = time.perf_counter()
    w = PyWCNF()
    integral = bool(np.all(np.asarray(wcnf.weights) == np.round(wcnf.weights)))
    for c, wt, h in zip(wcnf.clauses, wcnf.weights.tolist(), wcnf.hard.tolist(), strict=True):
        if h:
            w.append(list(c))
        elif wt > 0:
            w.append(list(c), weight=int(wt) if integral else float(wt))
    if wcnf.n_vars > w.nv:
        w.nv = wcnf.n_vars
    with RC2(w) as solver:
        model = solver.compute()
    dt = time.perf_counter() - t0
    if model is None:
        return BaselineResult(
            "rc2",
            math.nan,
            np.zeros(wcnf.n_vars, np.int8),
            optimal=True,
            time_s=dt,
            feasible=False,
            status="infeasible",
        )
    a = model_to_assignment(model, wcnf.n_vars)
    cost, ok = maxsat_cost(wcnf, a)
    return BaselineResult(
        "rc2", cost, a, optimal=ok, bound=cost, time_s=dt, feasible=ok, status="optimal"
    )
