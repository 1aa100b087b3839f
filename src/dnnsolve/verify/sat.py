"""Rechecking SAT and MaxSAT results from the CNF / WCNF file.

The solution is a list of signed DIMACS literals, one per variable (``v`` if x_v is true,
``−v`` otherwise). Recomputed here, clause by clause: which clauses it satisfies; for ``sat``
the objective (the falsified clauses) and ``feasible`` (none falsified); for ``maxsat`` the
cost (the falsified soft weight, summed exactly) and ``feasible`` (every hard clause true).
An ``unsat`` answer carries no proof: the formula (for ``maxsat``, its hard clauses) is
handed to MiniSat 2.2 for :data:`UNSAT_SECONDS` and the answer is confirmed, refuted, or said
to be unchecked.

A MaxSAT bound (``bound_method`` ``"cores"``) is rechecked from its certificate ``{"cores":
[[clause index, ...], ...], "weights": [μ, ...]}`` (indices 0-based over all clauses of the
file, hard and soft, in the file's order): every index names a soft clause, the μ are
positive, every core is unsatisfiable together with the hard clauses (MiniSat 2.2, not the
solver the bound used), and the value proven is Σ μ_k, scaled by min(1, min_c w_c / Σ_{k ∋
c} μ_k) when the μ overfill a clause. Without ``weights`` the cores must be pairwise disjoint
and μ_k is the smallest weight of core k. The recorded bound may not exceed the value proven.
"""

from __future__ import annotations

import math
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from . import Failed

#: how long MiniSat may take to confirm an ``unsat`` answer (seconds)
UNSAT_SECONDS = 10.0
#: how long MiniSat may take, in all, to confirm that the cores are cores (seconds)
CORE_SECONDS = 120.0
#: the python-sat solver of the rechecks (the bounds use Glucose 4)
SOLVER = "minisat22"


def _read(problem: str, path: Path, fmt: str | None) -> tuple[int, list[list[int]], list, list]:
    """(n_vars, clauses, weights, hard) of the input; a CNF read for maxsat is all soft, 1."""
    from ..io.wcnf import detect_sat_format

    kind = fmt or detect_sat_format(path)
    if kind == "wcnf":
        if problem == "sat":
            raise InputError("a WCNF file is not a SAT instance", path=str(path))
        from ..io.wcnf import read_wcnf

        f = read_wcnf(path)
        return f.n_vars, f.clauses, f.weights.tolist(), f.hard.tolist()
    if kind != "cnf":
        raise InputError(f"unknown SAT format {kind!r}; use cnf or wcnf", path=str(path))
    from ..io.cnf import read_cnf

    f = read_cnf(path)
    m = len(f.clauses)
    if problem == "sat":
        return f.n_vars, f.clauses, [1.0] * m, [True] * m
    return f.n_vars, f.clauses, [1.0] * m, [False] * m


def _assignment(solution: Any, n_vars: int) -> list[bool]:
    """The truth values x_1 … x_n of a signed-literal list (Failed when it is not one)."""
    if not isinstance(solution, list) or len(solution) != n_vars:
        got = len(solution) if isinstance(solution, list) else type(solution).__name__
        raise Failed(f"the solution is not one signed literal per variable ({got} for {n_vars})")
    value: list[bool | None] = [None] * n_vars
    for lit in solution:
        if isinstance(lit, bool) or not isinstance(lit, int) or lit == 0 or abs(lit) > n_vars:
            raise Failed(f"the solution holds {lit!r}, not a literal of x1..x{n_vars}")
        if value[abs(lit) - 1] is not None:
            raise Failed(f"the solution sets x{abs(lit)} twice")
        value[abs(lit) - 1] = lit > 0
    return [bool(v) for v in value]


def _solve(clauses: list[list[int]], seconds: float) -> bool | None:
    """MiniSat's answer on ``clauses`` within ``seconds`` (None: not finished)."""
    from pysat.solvers import Solver

    with Solver(name=SOLVER, bootstrap_with=clauses) as s:
        timer = threading.Timer(seconds, s.interrupt)
        timer.daemon = True
        timer.start()
        try:
            return s.solve_limited(expect_interrupt=True)
        finally:
            timer.cancel()


def _unsat_line(clauses: list[list[int]], what: str) -> str:
    status = _solve(clauses, UNSAT_SECONDS)
    if status is True:
        raise Failed(f"status unsat recorded, but {what} are satisfiable ({SOLVER} found a model)")
    if status is False:
        return f"unsat: {what} confirmed unsatisfiable by {SOLVER} (no proof is recorded)"
    return f"unsat: no proof recorded, and {SOLVER} did not finish in {UNSAT_SECONDS:g} s"


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _check_cores(
    clauses: list[list[int]], weights: list, hard: list, n_vars: int, cert: Any
) -> tuple[float, list[str]]:
    """The value the cores certificate proves (Failed when it proves nothing)."""
    if not isinstance(cert, dict) or not isinstance(cert.get("cores"), list):
        raise Failed('the cores certificate has no "cores" list')
    cores_in = cert["cores"]
    m = len(clauses)
    cores: list[list[int]] = []
    for k, core in enumerate(cores_in):
        if not isinstance(core, list) or not core:
            raise Failed(f"core {k} is not a non-empty list of clause indices")
        seen = set()
        for i in core:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < m:
                raise Failed(f"core {k} names clause {i!r}; the file has clauses 0..{m - 1}")
            if hard[i]:
                raise Failed(f"core {k} names clause {i}, a hard clause")
            seen.add(i)
        cores.append(sorted(seen))
    mus_in = cert.get("weights")
    if mus_in is None:
        owner: dict[int, int] = {}
        for k, core in enumerate(cores):
            for i in core:
                if i in owner:
                    raise Failed(f"cores {owner[i]} and {k} share clause {i} (no weights given)")
                owner[i] = k
        mus = [Fraction(min(float(weights[i]) for i in core)) for core in cores]
    else:
        if not isinstance(mus_in, list) or len(mus_in) != len(cores):
            raise Failed("the certificate needs one weight per core")
        mus = []
        for k, mu in enumerate(mus_in):
            if isinstance(mu, bool) or not isinstance(mu, (int, float)) or not math.isfinite(mu):
                raise Failed(f"core {k} has weight {mu!r}, not a finite number")
            if mu <= 0:
                raise Failed(f"core {k} has weight {mu!r}; a core's weight must be positive")
            mus.append(Fraction(mu))
    # the packing, exactly: Σ_{k ∋ c} μ_k ≤ w_c, else the μ are scaled down to fit
    load: dict[int, Fraction] = {}
    for core, mu in zip(cores, mus, strict=True):
        for i in core:
            load[i] = load.get(i, Fraction(0)) + mu
    scale = Fraction(1)
    for i, total in load.items():
        w = Fraction(float(weights[i]))
        if w <= 0:
            raise Failed(f"clause {i} has weight 0: no core weight fits in it")
        if total > w:
            scale = min(scale, w / total)
    proven = sum(mus, Fraction(0)) * scale
    # every core is one: hard ∪ core unsatisfiable (one solver, a selector per core clause)
    lines = []
    if cores:
        from pysat.solvers import Solver

        sel = {i: n_vars + 1 + j for j, i in enumerate(sorted(load))}
        with Solver(name=SOLVER) as s:
            for i, c in enumerate(clauses):
                if hard[i]:
                    s.add_clause(list(c))
                elif i in sel:
                    s.add_clause([*c, -sel[i]])
            timer = threading.Timer(CORE_SECONDS, s.interrupt)
            timer.daemon = True
            timer.start()
            try:
                for k, core in enumerate(cores):
                    status = s.solve_limited([sel[i] for i in core], expect_interrupt=True)
                    if status is True:
                        raise Failed(
                            f"core {k} is not a core: the hard clauses and its {len(core)} "
                            "soft clauses are satisfiable"
                        )
                    if status is None:
                        raise Failed(
                            f"core {k} could not be rechecked within {CORE_SECONDS:g} s ({SOLVER})"
                        )
            finally:
                timer.cancel()
    how = "disjoint" if mus_in is None else "weights pack into the clause weights"
    if scale < 1:
        how = f"weights overfill a clause: scaled by {float(scale):.17g}"
    lines.append(
        f"cores: {len(cores)} unsatisfiable with the hard clauses ({SOLVER}), {how}; "
        f"cost >= {float(proven):.17g}"
    )
    return float(proven), lines


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    n_vars, clauses, weights, hard = _read(problem, input, fmt)
    lines = [f"{input.name}: {n_vars} variables, {len(clauses)} clauses ({sum(hard)} hard)"]
    status = result.get("status")
    solution = result.get("solution")
    if solution is None:
        if status != "unsat":
            raise Failed(f"status {status!r} recorded without a solution")
        if result.get("feasible"):
            raise Failed("feasible True recorded without a solution")
        hard_clauses = [c for c, h in zip(clauses, hard, strict=True) if h]
        what = "the clauses" if problem == "sat" else "the hard clauses"
        lines.append(_unsat_line(hard_clauses, what))
        if result.get("bound") is not None:
            raise Failed("a bound is recorded for an unsat answer")
        return lines
    if status == "unsat":
        raise Failed("status unsat recorded with a solution")
    a = _assignment(solution, n_vars)
    falsified = [
        i for i, c in enumerate(clauses) if not any(a[abs(lit) - 1] == (lit > 0) for lit in c)
    ]
    bad_hard = [i for i in falsified if hard[i]]
    recorded = result.get("objective")
    if problem == "sat":
        objective = float(len(falsified))
        feasible = not falsified
        lines.append(f"the assignment falsifies {len(falsified)} clauses")
        if status == "sat" and not feasible:
            raise Failed(f"status sat recorded, but clause {falsified[0]} is falsified")
        if result.get("bound") is not None:
            raise Failed("a bound is recorded for sat, which has none")
    else:
        exact = sum((Fraction(float(weights[i])) for i in falsified if not hard[i]), Fraction(0))
        try:
            objective = float(exact)
        except OverflowError:
            objective = math.inf
        feasible = not bad_hard
        lines.append(
            f"cost {objective:.17g} (falsified soft weight of {len(falsified) - len(bad_hard)} "
            f"clauses); {len(bad_hard)} hard clauses falsified"
        )
        if status in ("optimal", "feasible") and not feasible:
            raise Failed(f"status {status} recorded, but hard clause {bad_hard[0]} is falsified")
    if bool(result.get("feasible")) != feasible:
        raise Failed(
            f"feasible {result.get('feasible')} recorded, but the assignment gives {feasible}"
        )
    if not isinstance(recorded, (int, float)) or not _close(float(recorded), objective):
        raise Failed(f"objective {recorded!r} recorded, but the assignment gives {objective:.17g}")
    lines.append(f"objective {objective:.17g} and feasible {feasible} as recorded")
    bound = result.get("bound")
    if problem == "maxsat" and bound is not None:
        if result.get("bound_method") != "cores":
            raise Failed(f"bound method {result.get('bound_method')!r} is not one for maxsat")
        t0 = time.perf_counter()
        proven, more = _check_cores(clauses, weights, hard, n_vars, certificate)
        lines += more
        if bound > proven + 1e-9 * max(1.0, abs(proven)):
            raise Failed(f"bound {bound:.17g} recorded, but the cores prove only {proven:.17g}")
        lines.append(
            f"bound {bound:.17g} no stronger than proven ({time.perf_counter() - t0:.2f} s)"
        )
    return lines
