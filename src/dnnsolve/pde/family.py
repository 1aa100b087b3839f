"""The PDE family: a built-in PDE solved by a network without data (PINN or Deep Ritz).

``dnnsolve pde PROBLEM`` (also ``dnnsolve solve pde PROBLEM``, and
``dnnsolve.solve("pde", PROBLEM, ...)``) trains by a recipe (``recipe``, default ``auto``:
see :mod:`dnnsolve.pde.recipes`): Adam for ``steps``, then up to ``lbfgs_steps``
iterations of a quasi-Newton method (``quasi_newton``: the dense self-scaled Broyden by
default, or ``lbfgs``) within the budget ``time_limit`` (``--time-limit``, seconds); every option
given overrides the recipe. The state with the smallest validation loss (a fixed set of
residual points, never the reference) is returned, and its relative L2 error against the
reference (analytic, or the classical solvers of :mod:`dnnsolve.pde.classical`: finite
differences, ETDRK4, Cole–Hopf quadrature) is ``result.metrics["relative_l2"]``.
``dnnsolve pde --list`` (or ``dnnsolve pde list``) prints the built-in problems
(:func:`catalog`).

The input is a built-in problem's name (:data:`~dnnsolve.pde.PDE_PROBLEMS`) or, from Python,
a :class:`~dnnsolve.pde.PDE`. Files written into ``out_dir`` (``--out-dir DIR``: created, each file
written atomically) by :func:`write`:

- ``result.json``: the core result (history rows ``step`` / ``loss`` / ``batch_objective`` =
  validation loss, relative L2 error in ``metrics.relative_l2``, timings, the solver
  configuration, and the set-up as the options gave it in ``extra.cli``);
- ``solution.npz``: ``points`` ``(M, d)``, ``values`` ``(M, m)``, ``reference`` ``(M, m)`` when
  the problem has one, ``grid_shape`` ``(d,)``; when the points are the nodes of a tensor grid
  (in C order, as every built-in's are) also ``axis_0 … axis_{d-1}`` and ``mask`` (shape
  ``grid_shape``; False outside the domain), so ``full = np.full((*grid_shape, m), np.nan);
  full[mask] = values`` puts the field on the grid;
- ``solution.png``: solution | reference | pointwise error ``|network − reference|`` side by
  side, the relative L2 error in the titles: heat maps on the grid for 2-D problems (time on
  the horizontal axis, NaN / white outside the domain), line plots in 1-D; ``history.png``:
  training and validation loss against the step, log scale, the Adam → quasi-Newton switch
  marked (see :mod:`dnnsolve.pde.report`).

A quasi-Newton phase that meets a non-finite loss restores the last good state and says so in
``result.extra["notes"]`` (exit code 0); a non-finite field is a :class:`NumericalError`.
The runner keeps the arrays of the field on the evaluation grid, not serialized, in
``result.solution_array`` (a :class:`~dnnsolve.pde.PDEResult`).

>>> import dnnsolve
>>> fam = dnnsolve.get_family("pde")
>>> fam.default_method(), fam.baseline, fam.alias
('pinn', 'classical', 'pde')
>>> fam.make_options(steps=-1)
Traceback (most recent call last):
...
dnnsolve.core.errors.InputError: --steps must be non-negative, got -1
>>> r = dnnsolve.solve("pde", "heat", steps=100, lbfgs_steps=20, points=200,
...                    boundary_points=40, net_options={"hidden": 8, "layers": 2}, device="cpu")
>>> r.instance, r.steps, r.metrics["relative_l2"] < 0.1
('heat', 120, True)
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.callbacks import Callback
from ..core.errors import DnnsolveError, InputError, NumericalError
from ..core.quasi_newton import QN_LABELS, QN_METHODS
from ..core.result import Result, atomic_write_bytes
from ..family import (
    Family,
    Options,
    at_least,
    non_negative,
    one_of,
    option,
    parse_numbers,
    parse_pairs,
    register_family,
)
from .builtins import PDE_PROBLEMS
from .geometry import TimeDomain
from .networks import NETWORKS
from .problem import PDE
from .recipes import Recipe, recipe_for
from .report import axis_labels, tensor_grid, write_figures
from .sampling import METHODS as SAMPLERS
from .solve import PDEResult, formulation
from .weighting import BALANCING

__all__ = ["METHODS", "PdeOptions", "catalog", "read", "rows", "run", "write"]

METHODS = {
    "pinn": "physics-informed network: the PDE's residual at collocation points",
    "deep-ritz": "Deep Ritz: the problem's energy functional (where it defines one)",
}
DTYPES = ("float32", "float64")
#: the options that override a recipe setting when given
_RECIPE_KEYS = ("steps", "lbfgs_steps", "quasi_newton", "qn_refresh", "exact", "lr",
                "points", "boundary_points", "time_limit")  # fmt: skip


# --------------------------------------------------------------------------- option checks


def _budget(v: Any) -> str | None:  # inf: no budget
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
    return None if ok else "must be positive (inf: none)"


def _dtype(v: Any) -> str | None:
    return None if v in DTYPES else "must be float32 or float64"


def _rates(v: Any) -> str | None:
    vals = v if isinstance(v, list) else [v]
    ok = all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in vals)
    return None if ok and vals else "must be positive"


def _weights(v: Any) -> str | None:
    for key, val in v.items():
        vals = val if isinstance(val, list) else [val]
        if not all(isinstance(x, (int, float)) and math.isfinite(x) and x >= 0 for x in vals):
            return f"{key} must be a finite non-negative number"
    return None


def _lr(text: Any) -> Any:
    return parse_numbers(text, "--lr") if isinstance(text, str) else text


@dataclass(kw_only=True)
class PdeOptions(Options):
    """The options of ``dnnsolve pde``; every one left ``None`` is the recipe's."""

    method: str | None = option(
        None, "pinn (residual loss) or deep-ritz (energy loss).", check=one_of(*METHODS)
    )
    time_limit: float | None = option(
        None,
        "Wall-clock budget of the training in seconds (recipe: 100, Burgers 270; inf: none); "
        "more buys accuracy.",
        check=_budget,
        aliases=("budget",),
    )
    seed: int | None = option(0, "Random seed (network, points).", metavar="INT")
    recipe: str = option(
        "auto",
        "Training recipe: auto (the problem's own), default, or adam-lbfgs (the former Adam "
        "5000 + L-BFGS 1000, float32); the options below override it.",
    )
    net: str | None = option(None, "Network: mlp, resnet, fourier or siren (recipe: mlp).")
    net_options: dict[str, Any] = option(
        help="Network keyword argument key=value (repeatable; a comma makes a list), e.g. "
        "hidden=32, layers=4, activation=sin; none: the recipe's network.",
        flag="--net-option",
        parse=lambda items: parse_pairs(items, "--net-option"),
        cli_type=list[str],
        factory=dict,
    )
    steps: int | None = option(
        None, "Adam steps (recipe: 1000).", check=non_negative, aliases=("adam_steps",)
    )
    lbfgs_steps: int | None = option(
        None,
        "Most quasi-Newton iterations after Adam (recipe: 50000, ended by the budget).",
        check=non_negative,
    )
    quasi_newton: str | None = option(
        None,
        "Second phase: ssbroyden, ssbfgs, bfgs (dense, float64 matrix) or lbfgs.",
        check=one_of("lbfgs", *QN_METHODS),
    )
    qn_refresh: int | None = option(
        None,
        "Dense methods: redraw the collocation points every K iterations (0: never; recipe: 50).",
        check=non_negative,
    )
    exact: bool | None = option(
        None,
        "Build the boundary / initial conditions into the network where the problem allows "
        "(recipe: on), or keep them as loss terms.",
    )
    lr: float | list[float] | None = option(
        None,
        "Adam learning rate (recipe: 1e-3); a comma list gives one per restart.",
        check=_rates,
        parse=_lr,
        cli_type=str,
    )
    points: int | None = option(
        None, "Interior collocation points (recipe: 5000).", check=at_least(1)
    )
    boundary_points: int | None = option(
        None, "Points per boundary / initial condition (recipe: 200).", check=at_least(1)
    )
    sampler: str | None = option(
        None, "Collocation points: sobol, lhs or uniform.", check=one_of(*SAMPLERS)
    )
    resample_every: int = option(
        0, "Redraw the collocation points every K steps (0: never).", check=non_negative
    )
    weights: dict[str, Any] = option(
        help="Loss weight name=value (repeatable): residual or a condition's name (e.g. "
        "boundary, initial); a comma list is a per-restart population.",
        check=_weights,
        flag="--weight",
        parse=lambda items: parse_pairs(items, "--weight", numeric=True),
        cli_type=list[str],
        factory=dict,
    )
    balance: str = option(
        "fixed",
        "Adaptive loss weights: fixed, annealing (learning-rate annealing) or grad-norm "
        "(gradient-norm balancing); updated every --balance-every steps.",
        check=one_of(*BALANCING),
    )
    balance_every: int = option(100, "Steps between loss-weight updates.", check=at_least(1))
    causal: float | None = option(
        None,
        "Causal weighting ε for time-dependent problems (e.g. 1.0): later times count once "
        "earlier ones are resolved.",
        check=non_negative,
    )
    causal_chunks: int = option(32, "Time chunks of causal weighting.", check=at_least(1))
    rar_every: int = option(
        0,
        "Residual-based refinement: every K Adam steps add the --rar-points worst of "
        "10×--points random interior points (0: off).",
        check=non_negative,
    )
    rar_points: int = option(0, "Points RAR adds each time.", check=non_negative)
    restarts: int = option(
        1, "Independent networks trained as one batch; the best is kept.", check=at_least(1)
    )
    eval_every: int = option(
        100, "Steps between validation checks (history rows).", check=at_least(1)
    )
    patience: int | None = option(
        None, "Stop a phase after this many checks without improvement.", check=at_least(1)
    )
    dtype: str | None = option(None, "float32 or float64 (recipe: float64).", check=_dtype)
    out_dir: Path | None = option(
        None,
        "Folder for result.json, solution.npz and the PNG plots (created).",
        metavar="DIR",
        aliases=("out",),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        recipe_for(None, self.recipe)  # one-line error for an unknown recipe
        if self.net is not None and self.net not in NETWORKS:
            raise InputError(f"unknown network {self.net!r}; choose from {', '.join(NETWORKS)}")
        if self.out_dir is not None:
            self.out_dir = Path(self.out_dir)
            if self.out_dir.exists() and not self.out_dir.is_dir():
                raise InputError("--out-dir must be a folder, not a file", path=str(self.out_dir))

    def recipe_of(self, problem: str) -> Recipe:
        """The recipe these options name for ``problem`` (``auto``: the problem's own)."""
        return recipe_for(problem, self.recipe)

    def overrides(self) -> list[str]:
        """The recipe settings these options override."""
        given = [k for k in _RECIPE_KEYS if getattr(self, k) is not None]
        return given + (["net_options"] if self.net_options else [])


# --------------------------------------------------------------------------- read and run


def read(input: Any, opts: Options) -> PDE:
    """The problem: a :class:`PDE` as given, or a built-in name in the formulation of the
    recipe's network when that is the one trained (:func:`~dnnsolve.pde.solve.formulation`)."""
    if isinstance(input, PDE):
        return input
    if input is None:
        raise InputError("give a PROBLEM (see dnnsolve pde --list)")
    assert isinstance(opts, PdeOptions)
    name = str(input)
    return formulation(name, opts.recipe_of(name), opts.net, opts.net_options or None)


def run(pde: PDE, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    """Train by the recipe and the options (:func:`~dnnsolve.pde.solve_pde`) and return the
    verified result, its relative L2 error in ``metrics["relative_l2"]``."""
    from . import solve_pde  # through the package, so that a caller's wrapper is the one run

    assert isinstance(opts, PdeOptions)
    t0 = time.perf_counter()
    rec = opts.recipe_of(pde.name)
    net, net_options, _ = rec.network(opts.net, opts.net_options or None)
    res = solve_pde(
        pde,
        recipe=rec,
        method=opts.method,
        net=opts.net,
        options=opts.net_options or None,
        adam_steps=opts.steps,
        lbfgs_steps=opts.lbfgs_steps,
        quasi_newton=opts.quasi_newton,
        qn_refresh=opts.qn_refresh,
        exact=opts.exact,
        lr=opts.lr,
        interior=opts.points,
        boundary=opts.boundary_points,
        sampler=opts.sampler,
        resample_every=opts.resample_every,
        weights=opts.weights or None,
        balance=opts.balance,
        balance_every=opts.balance_every,
        causal=opts.causal,
        causal_chunks=opts.causal_chunks,
        rar_every=opts.rar_every,
        rar_points=opts.rar_points,
        restarts=opts.restarts,
        dtype=opts.dtype,
        device=opts.device,
        seed=opts.seed,
        time_limit=opts.time_limit,
        eval_every=opts.eval_every,
        patience=opts.patience,
        callbacks=callbacks,
    )
    result = res.result
    if not result.feasible or not bool(np.isfinite(res.values).all()):
        raise NumericalError(
            "training produced a non-finite field (NaN / inf): lower --lr or the loss weights, "
            "or try --dtype float64"
        )
    qn = result.extra.get("quasi_newton")
    qn_its = int(qn["iterations"]) if qn else 0
    recipe = result.extra["recipe"]
    result.extra["cli"] = {
        "problem": pde.name,
        "recipe": rec.name,
        "overrides": opts.overrides(),
        "method": recipe["method"],
        "net": net,
        "net_options": net_options,
        "points": opts.points,
        "boundary_points": opts.boundary_points,
        "sampler": recipe["sampler"],
        "resample_every": opts.resample_every,
        "weights": opts.weights,
        "balance": opts.balance,
        "causal": opts.causal,
        "rar": [opts.rar_every, opts.rar_points],
        "dtype": recipe["dtype"],
        "adam_steps_run": result.steps - qn_its,
        "quasi_newton_iterations_run": qn_its,
        "best_step": _best_step(result.history),
    }
    if result.stop_reason == "lbfgs_diverged":
        label = QN_LABELS.get(qn["method"], qn["method"]) if qn else "quasi-Newton"
        result.extra.setdefault("notes", []).append(
            f"{label} met a non-finite loss after {qn_its} iterations; the last good state "
            "was restored (try --dtype float64 or fewer --lbfgs-steps)"
        )
    result.timings["total_s"] = time.perf_counter() - t0  # with the reference and the check
    result.solution_array = res
    return result


def _best_step(history: list[dict]) -> int | None:
    """The step of the smallest validation loss (the state returned)."""
    best, step = math.inf, None
    for row in history:
        v = row.get("batch_objective")
        if v is not None and math.isfinite(v) and v < best:
            best, step = v, row["step"]
    return step


# --------------------------------------------------------------------------- files and summary


def _npz_bytes(res: PDEResult) -> bytes:
    """``solution.npz`` as bytes (written atomically by the caller)."""
    arrays: dict[str, Any] = {
        "points": np.asarray(res.points, dtype=np.float64),
        "values": np.asarray(res.values, dtype=np.float64),
        "grid_shape": np.asarray(res.grid_shape or (), dtype=np.int64),
    }
    if res.reference is not None:
        arrays["reference"] = np.asarray(res.reference, dtype=np.float64)
    grid = tensor_grid(res.points, res.grid_shape)
    if grid is not None:
        for i, a in enumerate(grid.axes):
            arrays[f"axis_{i}"] = a
        arrays["mask"] = grid.mask
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write(result: Result, opts: Options) -> list[str]:
    """``solution.npz``, the figures and ``result.json`` (listing them all) into ``out``."""
    assert isinstance(opts, PdeOptions)
    res = result.solution_array
    if opts.out_dir is None or not isinstance(res, PDEResult):
        return []
    t0 = time.perf_counter()
    out, setup = opts.out_dir, result.extra["cli"]
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "solution.npz"]
    atomic_write_bytes(written[0], _npz_bytes(res))
    pde = result.instance_data
    dim = res.points.shape[1]
    timed = isinstance(pde, PDE) and isinstance(pde.domain, TimeDomain)
    qn = setup["quasi_newton_iterations_run"] if "quasi_newton" in result.extra else None
    try:
        written += write_figures(
            out,
            res.points,
            res.values,
            res.reference,
            res.grid_shape,
            result.history,
            labels=axis_labels(dim, timed),
            time_dependent=timed,
            switch_step=None if qn is None else setup["adam_steps_run"],
            best_step=setup["best_step"],
            title=f"{setup['problem']} · {setup['method']} · {setup['net']}",
            relative_l2=res.relative_l2,
            separate=False,
        )
    except Exception as exc:  # a figure must never cost the trained result
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        result.extra.setdefault("notes", []).append(f"the plots could not be drawn: {first}")
        result.extra["plot_error"] = first
    setup["out"] = str(out)
    setup["files"] = [p.name for p in [*written, out / "result.json"]]
    setup["write_s"] = time.perf_counter() - t0
    result.save(out / "result.json")
    return [str(p) for p in [*written, out / "result.json"]]


def rows(result: Result) -> list[tuple[str, str]]:
    """The summary: problem, recipe, network, steps of each phase, losses, error, files."""
    setup = result.extra.get("cli", {})
    qn = result.extra.get("quasi_newton")
    qn_label = QN_LABELS.get(qn["method"], qn["method"]) if qn else "quasi-Newton"
    options = setup.get("net_options")
    rel = result.metrics.get("relative_l2")
    shown = [
        ("problem", f"{result.instance}: {result.extra.get('description', '')}"),
        ("recipe", setup.get("recipe", "") + (" (with overrides)" if setup.get("overrides") else "")),
        ("method", str(setup.get("method"))),
        ("network", str(setup.get("net")) + (f" ({_fmt(options)})" if options else "")),
        ("steps", f"{setup.get('adam_steps_run')} Adam + "
                  f"{setup.get('quasi_newton_iterations_run')} {qn_label}"),
        ("stop reason", result.stop_reason),
        ("validation loss", "–" if result.objective is None else f"{result.objective:.4g}"),
        ("relative L2", "no reference" if rel is None else f"{rel:.3e}"),
        ("time", f"{result.time_s:.1f} s ({result.device})"),
    ]  # fmt: skip
    if setup.get("files"):
        shown.append(("files", f"{setup['out']}: " + ", ".join(setup["files"])))
    return shown


def _fmt(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items())


def catalog() -> list[dict[str, str]]:
    """The built-in problems: name, variables, methods and description."""
    table = []
    for name, build in PDE_PROBLEMS.items():
        try:
            pde = build()
        except DnnsolveError as exc:  # one unusable problem must not hide the others
            table.append({"problem": name, "variables": "–", "methods": "–",
                          "description": f"unavailable: {exc}"})  # fmt: skip
            continue
        timed = isinstance(pde.domain, TimeDomain)
        methods = [m for m, ok in (("pinn", pde.residual), ("deep-ritz", pde.energy)) if ok]
        table.append({
            "problem": name,
            "variables": ", ".join(axis_labels(pde.domain.dim, timed)),
            "methods": ", ".join(methods),
            "description": pde.description,
        })  # fmt: skip
    return table


#: the heat equation with a few hundred Adam steps, no quasi-Newton phase: a few seconds
_EXAMPLE = {"steps": 300, "lbfgs_steps": 0, "points": 500, "boundary_points": 100,
            "eval_every": 50}  # fmt: skip

FAMILY = register_family(
    Family(
        name="pde",
        summary="Solve a built-in PDE with a network, without data (PINN or Deep Ritz).\n\n"
        "Adam, then a quasi-Newton method, by the problem's recipe within its budget; the "
        "state with the smallest validation loss is returned and compared with the reference "
        "solution on the evaluation grid (relative L2).\n\n"
        "Writes DIR/result.json, DIR/solution.npz and "
        "DIR/{solution,reference,error,history}.png.",
        options=PdeOptions,
        read=read,
        run=run,
        methods=lambda: METHODS,
        default_method=lambda: "pinn",
        # the references: analytic, or the classical solvers of pde.classical (finite
        # differences, ETDRK4, Cole–Hopf quadrature); the relative L2 is against them
        baseline="classical",
        formats="built-in problems (dnnsolve pde --list)",
        input_help="Built-in problem (see --list), or `list`.",
        input_kind="name",
        alias="pde",
        example=("heat", _EXAMPLE),
        write=write,
        rows=rows,
        catalog=catalog,
    )
)
