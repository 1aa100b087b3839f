"""The ``lp`` and ``qp`` families: linear and convex quadratic programs.

INPUT is an MPS or QPS file (free or fixed format, optionally ``.gz``; read by HiGHS) or an
``.npz`` with arrays ``c``, ``A``, ``row_lower``/``row_upper``, ``col_lower``/``col_upper``,
``Q``, ``offset`` (see :func:`dnnsolve.lp.read_npz`). The result carries the objective,
``x``, the dual ``y`` (when the method has one), the recomputed relative primal residual,
dual residual and duality gap, ``status`` (see :func:`dnnsolve.lp.result_status`), the
solver's own word in ``extra.solver_status`` and, with ``reference=True``, HiGHS's objective,
time and the relative gap to it. Unless ``--no-bound``, the run's dual proves a bound on the
optimum (the Lagrangian bound, :mod:`dnnsolve.lp.bound`), recorded with its certificate and the
proven gap; ``dnnsolve verify`` rechecks it.

On the command line an answer short of ``optimal`` (infeasible, unbounded, a limit reached
first, or a point missing ``--feas-tol``) exits 1 with one line saying which; the result
JSON is still written.

>>> from dnnsolve import solve
>>> from dnnsolve.data import example_path
>>> r = solve("lp", example_path("lp_example.mps"), device="cpu")
>>> r.status, round(r.objective, 6)
('optimal', 8.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.callbacks import Callback, CallbackRun
from ..core.result import Result
from ..family import (
    BoundOptions,
    Family,
    Options,
    at_least,
    option,
    parse_pairs,
    positive,
    register_family,
)
from . import LP_METHODS, QP_METHODS, LPData, read_lp, solve_lp
from .bound import lp_bound


@dataclass(kw_only=True)
class LPOptions(BoundOptions):
    """Options of ``lp`` and ``qp``."""

    seed: int | None = option(0, "Random seed (energy network restarts).", metavar="INT")
    tol: float = option(1e-7, "Relative KKT tolerance (first-order methods).", check=positive)
    steps: int | None = option(
        None,
        "Iteration limit (default: until --time-limit or converged).",
        check=at_least(1),
        aliases=("max_iter",),
    )
    feas_tol: float = option(1e-6, "Relative primal residual counted as feasible.", check=positive)
    compare_highs: bool = option(
        False, "Also solve with HiGHS; report its optimum and the gap.", aliases=("reference",)
    )
    options: dict[str, Any] = option(
        help="Method setting key=value (energy: restarts, lr, penalty; pdhg: check_every, "
        "ruiz_iters, backend; projection: step).",
        flag="--option",
        short="-O",
        parse=lambda items: parse_pairs(items, "--option", lists=False),
        cli_type=list[str],
        factory=dict,
    )


def _read(instance: Any, opts: Options) -> LPData:
    return instance.validate() if isinstance(instance, LPData) else read_lp(instance)


def _run(kind: str):
    def run(lp: LPData, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
        assert isinstance(opts, LPOptions)
        hooks = CallbackRun(callbacks, opts.steps, opts, lp)

        def solve(_: Any) -> Result:
            return solve_lp(
                lp,
                method=opts.method or "pdhg",
                tol=opts.tol,
                max_iter=opts.steps,
                time_limit=opts.time_limit,
                device=opts.device,
                seed=opts.seed if opts.seed is not None else 0,
                reference=opts.compare_highs,
                feas_tol=opts.feas_tol,
                options=opts.options,
                # the solvers' check rows, shown by the callbacks
                callback=(lambda row: hooks.report(row["step"], row.get("objective")))
                if callbacks
                else None,
            )

        result = hooks.run(solve)
        if kind == "lp" and lp.is_qp:
            result.extra["notes"] = ["the file has a quadratic objective; solved as a QP"]
        return result

    return run


def _fmt(v: Any, spec: str = ".3e") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return format(v, spec)


def _rows(result: Result) -> list[tuple[str, str]]:
    ex = result.extra
    word = ex["solver_status"]
    status = result.status if word == result.status else f"{result.status} ({word})"
    rows = [
        ("instance", str(result.instance)),
        ("method", result.method),
        ("size", f"{ex['n']} columns, {ex['m']} rows, {ex['nnz']} nonzeros"),
        ("status", status),
        ("objective", _fmt(result.objective, ".10g")),
        ("primal residual (rel.)", _fmt(result.metrics["primal_residual"])),
        ("max violation", _fmt(result.metrics["primal_violation"])),
        ("dual residual (rel.)", _fmt(result.metrics.get("dual_residual"))),
        ("duality gap (rel.)", _fmt(result.metrics.get("duality_gap"))),
        ("iterations", str(result.steps)),
        ("time", f"{result.time_s:.3f} s ({result.device})"),
    ]
    if result.reference is not None:
        rows.append(("HiGHS objective", _fmt(result.reference, ".10g")))
        rows.append(("gap to HiGHS (rel.)", _fmt(result.metrics.get("gap_to_reference"))))
        if "reference_time_s" in ex:
            rows.append(("HiGHS time", f"{ex['reference_time_s']:.3f} s"))
    elif "reference_status" in ex:
        rows.append(("HiGHS", ex["reference_status"]))
    return rows


def _shortfall(result: Result) -> str | None:
    """Why an LP / QP answer is not optimal, in one line (None when it is)."""
    if result.status == "optimal":
        return None
    ex = result.extra
    word = ex["solver_status"]
    gap = result.gap
    if word == "optimal" and result.feasible and gap is not None and gap > 0:
        return f"the solver met its tolerance, but the proven gap is {gap:.3g}"
    return {
        "infeasible": "the problem is infeasible (certificate found)",
        "unbounded": "the problem is unbounded (certificate found)",
        "optimal": (
            f"the tolerance was met but the primal residual {_fmt(result.metrics['primal_residual'])} "
            f"exceeds --feas-tol {result.hparams.get('feas_tol', 0):g}"
        ),
    }.get(word, f"stopped by a limit ({word}) before reaching the tolerance")


_METHOD_TEXT = {
    "pdhg": "restarted PDHG (PDLP-style), matrix-free, CPU or GPU",
    "energy": "penalty-energy network trained by gradient descent",
    "projection": "projection neural network (Xia–Wang) integrated in time",
    "highs": "HiGHS (simplex / interior point), the classical reference",
    "osqp": "OSQP (ADMM), a classical QP solver",
}

for _kind, _names, _summary, _input in (
    (
        "lp",
        LP_METHODS,
        "Solve a linear program from an MPS file (HiGHS reads it) and report its residuals.",
        "MPS file (free/fixed, .gz ok) or .npz arrays.",
    ),
    (
        "qp",
        QP_METHODS,
        "Solve a convex quadratic program (QPS via HiGHS, or .npz arrays).",
        "QPS/MPS file with a quadratic section, or .npz.",
    ),
):
    register_family(
        Family(
            name=_kind,
            summary=_summary,
            options=LPOptions,
            read=_read,
            run=_run(_kind),
            methods=lambda names=_names: {n: _METHOD_TEXT[n] for n in names},
            default_method=lambda: "pdhg",
            baseline="highs",
            formats="mps, qps (.gz ok), npz",
            input_help=_input,
            example=(f"{_kind}_example.{'mps' if _kind == 'lp' else 'qps'}", {}),
            rows=_rows,
            shortfall=_shortfall,
            bound=lp_bound,
        )
    )
