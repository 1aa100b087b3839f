"""Linear and convex quadratic programs: readers, first-order and neural solvers, anchors.

``solve_lp`` / ``solve_qp`` take an :class:`LPData` (see :func:`make_lp`) or a file (MPS / QPS,
optionally gzipped, read by HiGHS; or ``.npz`` arrays) and return a core
:class:`~dnnsolve.core.result.Result` whose ``objective`` and residuals are recomputed in NumPy
from the returned ``x`` (and ``y``) by :func:`residuals`, never taken from the solver. Methods:

- ``pdhg``: restarted, Ruiz/Pock–Chambolle-scaled PDHG (PDLP-style), with adaptive steps,
  primal weight, KKT restarts and infeasibility detection — the accurate GPU workhorse;
- ``energy``: Kennedy–Chua penalty energy network trained by the core Solver (Adam restarts,
  growing penalty) — a neural baseline, accurate only to the penalty's bias;
- ``projection``: Xia–Wang projection neural network (Euler-integrated ODE);
- ``highs``: HiGHS itself (simplex / IPM), the reference.

>>> import numpy as np
>>> lp = make_lp([-1.0, -1.0], [[1.0, 2.0], [3.0, 1.0]], [-np.inf, -np.inf], [4.0, 6.0])
>>> res = solve_lp(lp, method="pdhg", tol=1e-9, device="cpu")
>>> res.status, res.extra["solver_status"], round(res.objective, 6), res.feasible
('optimal', 'optimal', -2.8, True)

``Result.status`` maps the solver's word (kept in ``extra["solver_status"]``: ``optimal``,
``infeasible``, ``unbounded``, ``infeasible_or_unbounded``, ``max_iter``, ``time_limit``,
``interrupted``, ``diverged``, or OSQP's and HiGHS's own words) and the recomputed
feasibility onto the common values (see :func:`result_status`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import InputError
from ..core.result import Result
from .io import read_lp, read_mps, read_npz, write_solution
from .model import LPData, make_lp, residuals

# torch is imported by the solve (its device, the solvers): reading an LP, and the CLI's
# ``dnnsolve solve lp --help``, do without it
if TYPE_CHECKING:
    import torch

__all__ = [
    "LP_METHODS",
    "QP_METHODS",
    "LPData",
    "make_lp",
    "read_lp",
    "read_mps",
    "read_npz",
    "residuals",
    "result_status",
    "solve_lp",
    "solve_qp",
    "write_solution",
]

LP_METHODS = ("pdhg", "energy", "projection", "highs")
QP_METHODS = ("pdhg", "projection", "energy", "osqp", "highs")
# the methods that run torch on the chosen device (HiGHS and OSQP run without it)
_TORCH_METHODS = ("pdhg", "projection", "energy")

#: default iteration budgets per method (``max_iter=None``)
_DEFAULT_ITERS = {"pdhg": 1_000_000, "projection": 1_000_000, "energy": 20_000}


def result_status(solver_status: str, feasible: bool) -> str:
    """``Result.status`` of an LP / QP solve from the solver's status and ``feasible`` (the
    recomputed relative primal residual within ``feas_tol``).

    ``optimal`` when the solver met its tolerance at a feasible point; ``infeasible`` when it
    found an infeasibility certificate, or claims a tolerance met at a point that misses
    ``feas_tol``; otherwise (a limit, Ctrl-C, an unboundedness ray, divergence) ``feasible``
    or ``unknown`` by the point's feasibility.

    >>> [result_status(s, f) for s, f in [("optimal", True), ("optimal", False),
    ...  ("infeasible", False), ("max_iter", True), ("time_limit", False), ("unbounded", False)]]
    ['optimal', 'infeasible', 'infeasible', 'feasible', 'unknown', 'unknown']
    """
    if solver_status == "infeasible":
        return "infeasible"
    if solver_status == "optimal":
        return "optimal" if feasible else "infeasible"
    return "feasible" if feasible else "unknown"


def _load(problem: LPData | str | os.PathLike) -> LPData:
    if isinstance(problem, LPData):
        return problem.validate()
    if isinstance(problem, (str, os.PathLike)):
        return read_lp(problem)
    raise InputError("problem must be an LPData or a path to an MPS/QPS/.npz file")


def _energy(lp, *, tol, max_iter, time_limit, device, seed, options, callback):
    import torch

    from ..core.solver import Solver, SolverConfig
    from .energy import BoxVariables, EnergyProblem

    prob = EnergyProblem(lp, device, feas_tol=options.get("feas_tol", 1e-6))
    restarts = int(options.get("restarts", 4))
    gen = torch.Generator(device=device).manual_seed(seed)
    param = BoxVariables(prob.cl, prob.cu, restarts, generator=gen)
    penalty = float(options.get("penalty", 1.0))
    growth = float(options.get("penalty_growth", 1e4))
    # Adam moves each coordinate by about lr per step: scale it to the size of the data
    fin = np.concatenate(
        [
            v[np.isfinite(v)]
            for v in (
                prob.slp.row_lower,
                prob.slp.row_upper,
                prob.slp.col_lower,
                prob.slp.col_upper,
            )
        ]
    )
    size = max(1.0, float(np.abs(fin).max())) if fin.size else 1.0
    cfg = SolverConfig(
        restarts=restarts,
        steps=max_iter,
        lr=float(options.get("lr", 0.01)) * size,
        lr_schedule=str(options.get("lr_schedule", "exp:1,0.001")),
        hparams={"penalty": penalty},
        hparam_schedules={"penalty": f"exp:1,{growth:g}"},
        eval_every=max(1, max_iter // 200),
        time_limit=time_limit,
        polish=False,
        seed=seed,
    )
    res = Solver(cfg).solve(prob, param, method="energy")
    x = np.asarray(res.solution, dtype=np.float64)
    hist = [
        {"step": h["step"], "loss": h["loss"], "objective": h.get("batch_objective")}
        for h in res.history
    ]
    status = "time_limit" if res.stop_reason == "time_limit" else "max_iter"
    if res.stop_reason == "interrupted":
        status = "interrupted"
    return x, None, status, res.steps, 0, hist, {"solver_hparams": res.hparams}


def solve_lp(
    problem: LPData | str | os.PathLike,
    *,
    method: str = "pdhg",
    tol: float = 1e-7,
    max_iter: int | None = None,
    time_limit: float | None = None,
    device: str | torch.device = "auto",
    seed: int = 0,
    reference: bool | float | None = None,
    feas_tol: float = 1e-6,
    options: dict[str, Any] | None = None,
    callback: Callable[[dict], None] | None = None,
) -> Result:
    """Solve an LP / QP; ``reference=True`` also runs HiGHS and reports the gap to it.

    ``tol`` is the relative KKT tolerance of the first-order methods (PDLP's relative primal
    residual, dual residual and duality gap). ``feas_tol`` decides ``Result.feasible`` from the
    independently recomputed relative primal residual. ``options`` are method settings
    (``energy``: ``restarts``, ``lr``, ``penalty``, ``penalty_growth``; ``pdhg``:
    ``check_every``, ``ruiz_iters``, ``backend``; ``projection``: ``step``).
    """
    t_start = time.perf_counter()
    lp = _load(problem)
    options = dict(options or {})
    methods = QP_METHODS if lp.is_qp else LP_METHODS
    if method not in methods:
        raise InputError(
            f"unknown method {method!r} for this problem; choose from {', '.join(methods)}"
        )
    if not (tol > 0 and math.isfinite(tol)):
        raise InputError(f"tol must be a positive number, got {tol}")
    if time_limit is not None and not time_limit > 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    if max_iter is not None and max_iter < 1:
        raise InputError(f"max_iter must be >= 1, got {max_iter}")
    # resolving a device loads torch (1-2 s of start-up), which HiGHS and OSQP do not need
    dev, device_text = None, "cpu"
    if method in _TORCH_METHODS:
        from ..core.device import device_name, resolve_device

        dev = resolve_device(device)
        device_text = device_name(dev)
    iters = max_iter or _DEFAULT_ITERS.get(method, 1_000_000)
    t_load = time.perf_counter()
    y = None
    extra: dict[str, Any] = {}
    hist: list[dict] = []
    restarts = 0
    cert = None
    if method == "pdhg":
        from .pdhg import pdhg

        out = pdhg(
            lp,
            tol=tol,
            max_iter=iters,
            time_limit=time_limit,
            device=dev,
            callback=callback,
            check_every=int(options.get("check_every", 64)),
            ruiz_iters=int(options.get("ruiz_iters", 10)),
            backend=str(options.get("backend", "auto")),
        )
        x, y, status, steps, restarts, hist = (
            out.x, out.y, out.status, out.iterations, out.restarts, out.history
        )  # fmt: skip
        cert = out.certificate
        extra["solver_kkt"] = out.kkt
    elif method == "projection":
        from .projection_net import projection_network

        out = projection_network(
            lp,
            tol=tol,
            max_iter=iters,
            time_limit=time_limit,
            device=dev,
            step=options.get("step"),
            callback=callback,
        )
        x, y, status, steps, hist = out.x, out.y, out.status, out.iterations, out.history
        extra["solver_kkt"] = out.kkt
    elif method == "energy":
        x, y, status, steps, restarts, hist, ex = _energy(
            lp, tol=tol, max_iter=iters, time_limit=time_limit, device=dev, seed=seed,
            options={**options, "feas_tol": feas_tol}, callback=callback,
        )  # fmt: skip
        extra.update(ex)
    elif method in ("highs", "osqp"):
        from .reference import highs_solve, osqp_solve

        r = (
            highs_solve(lp, time_limit=time_limit)
            if method == "highs"
            else osqp_solve(lp, eps=tol, time_limit=time_limit)
        )
        status, steps = r["status"], int(r.get("iterations", 0))
        x, y = r["x"], r.get("y")
        if x is None:
            x = np.zeros(lp.n)
    t_solve = time.perf_counter()

    res = residuals(lp, x, y)
    sign = -1.0 if lp.sense == "max" else 1.0
    objective = sign * res["objective"]
    ok_status = status not in ("infeasible", "unbounded", "infeasible_or_unbounded")
    feasible = bool(
        ok_status and math.isfinite(res["primal_residual"]) and res["primal_residual"] <= feas_tol
    )
    metrics = {
        "primal_residual": res["primal_residual"],
        "primal_violation": res["primal_violation"],
        "dual_residual": res.get("dual_residual"),
        "duality_gap": res.get("duality_gap"),
        "dual_objective": None if "dual_objective" not in res else sign * res["dual_objective"],
    }
    extra.update(
        {
            "solver_status": status,
            "n": lp.n,
            "m": lp.m,
            "nnz": int(lp.A.nnz),
            "is_qp": lp.is_qp,
            "offset": sign * lp.offset,
        }
    )
    if y is not None:
        extra["y"] = np.asarray(y).tolist()
    if cert is not None:
        extra["certificate"] = np.asarray(cert).tolist()
    ref_value = None
    if reference is True:
        from .reference import highs_solve

        r = highs_solve(lp, time_limit=time_limit)
        extra["reference_status"] = r["status"]
        extra["reference_time_s"] = r["time_s"]
        extra["reference_solver"] = "highs"
        if r["objective"] is not None:
            ref_value = sign * r["objective"]
    elif isinstance(reference, (int, float)) and not isinstance(reference, bool):
        ref_value = float(reference)
    if ref_value is not None:
        metrics["gap_to_reference"] = abs(objective - ref_value) / max(1.0, abs(ref_value))
    t_end = time.perf_counter()
    return Result(
        problem="qp" if lp.is_qp else "lp",
        instance=lp.name,
        method=method,
        objective=objective if math.isfinite(objective) else None,
        feasible=feasible,
        solution=np.asarray(x, dtype=np.float64).tolist(),
        time_s=t_solve - t_load,
        device=device_text,
        seed=seed,
        sense=lp.sense,
        reference=ref_value,
        found_by=method,
        stop_reason=status,
        steps=int(steps),
        restarts=int(restarts),
        hparams={"tol": tol, "max_iter": iters, "feas_tol": feas_tol, **options},
        timings={
            "setup_s": t_load - t_start,
            "optimize_s": t_solve - t_load,
            "verify_s": t_end - t_solve,
            "total_s": t_end - t_start,
        },
        history=hist,
        extra=extra,
        metrics=metrics,
        status=result_status(status, feasible),
    )


def solve_qp(problem: LPData | str | os.PathLike, **kwargs: Any) -> Result:
    """Solve a convex QP (same options as :func:`solve_lp`; an LP is accepted too).

    >>> qp = make_lp([-1.0, -1.0], None, col_upper=[1.0, 2.0], Q=[[1.0, 0.0], [0.0, 1.0]])
    >>> res = solve_qp(qp, tol=1e-9, device="cpu")
    >>> np.round(res.solution, 6).tolist(), res.problem
    ([1.0, 1.0], 'qp')
    """
    return solve_lp(problem, **kwargs)
