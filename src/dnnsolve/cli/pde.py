"""``dnnsolve pde PROBLEM``: solve a built-in PDE with a network (PINN or Deep Ritz), no data.

Training follows a recipe (``--recipe``, default ``auto``: see :mod:`dnnsolve.pde.recipes`):
Adam for ``--adam-steps``, then up to ``--lbfgs-steps`` iterations of a quasi-Newton method
(``--quasi-newton``: the dense self-scaled Broyden by default, or ``lbfgs``) within the
``--budget`` (seconds); every flag given overrides the recipe.  The state with the smallest
validation loss (a fixed set of residual points, never the reference) is returned.  ``dnnsolve pde --list`` (or ``dnnsolve pde list``) prints the built-in problems.

Files written into ``--out DIR`` (created; each written atomically):

- ``result.json``: the core result (history rows ``step`` / ``loss`` / ``batch_objective`` =
  validation loss, relative L2 error in ``extra.relative_l2``, timings, the solver
  configuration, and the CLI set-up in ``extra.cli``);
- ``solution.npz``: ``points`` ``(M, d)``, ``values`` ``(M, m)``, ``reference`` ``(M, m)`` when
  the problem has one, ``grid_shape`` ``(d,)``; when the points are the nodes of a tensor grid
  (in C order, as every built-in's are) also ``axis_0 … axis_{d-1}`` and ``mask`` (shape
  ``grid_shape``; False outside the domain), so ``full = np.full((*grid_shape, m), np.nan);
  full[mask] = values`` puts the field on the grid;
- ``solution.png``, ``reference.png``, ``error.png`` (``|network − reference|``): heat maps on
  the grid for 2-D problems (time on the horizontal axis, NaN / white outside the domain), line
  plots in 1-D; ``history.png``: training and validation loss against the step, log scale, the
  Adam → quasi-Newton switch marked (see :mod:`dnnsolve.pde.report`).

Exit codes: 0 success (also when the quasi-Newton phase met a non-finite loss: the last good state is restored
and a note says so), 2 bad input (one line on stderr), 130 interrupted by Ctrl-C (the files are
still written, from the best state so far).
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.callbacks import RichProgress
from ..core.errors import DnnsolveError, InputError, NumericalError
from .common import (
    DEVICE_HELP,
    EXIT_INTERRUPTED,
    err,
    out,
    parse_lr,
    parse_net_options,
    parse_pairs,
    set_threads,
)

__all__ = ["pde_command"]

METHODS = ("pinn", "deep-ritz")
QN_LABELS = {"lbfgs": "L-BFGS", "bfgs": "BFGS", "ssbfgs": "SSBFGS", "ssbroyden": "SSBroyden"}
DTYPES = ("float32", "float64")


class _PhaseProgress(RichProgress):
    """The core progress bar over both phases: Adam steps, then quasi-Newton iterations; in
    seconds of the budget when the run has one (the iterations then stop on time)."""

    def on_start(self, config, problem) -> None:
        super().on_start(config, problem)
        self._adam = config.steps
        self._budget = config.time_limit
        self._second = QN_LABELS.get(config.quasi_newton, config.quasi_newton)
        if self._progress is not None:
            total = config.steps + config.lbfgs_steps
            if self._budget is not None:
                total = max(1, round(self._budget))
            unit = " (s)" if self._budget is not None else ""
            self._progress.update(
                self._task, total=total, description=f"{self.description} · Adam{unit}"
            )

    def on_eval(self, state) -> None:
        super().on_eval(state)
        if self._progress is None:
            return
        if self._budget is not None:
            self._progress.update(self._task, completed=min(state.elapsed, self._budget))
        if state.step > self._adam:
            unit = " (s)" if self._budget is not None else ""
            self._progress.update(
                self._task, description=f"{self.description} · {self._second}{unit}"
            )


def _list_table() -> Table:
    from ..pde import PDE_PROBLEMS
    from ..pde.geometry import TimeDomain
    from ..pde.report import axis_labels

    table = Table(title="dnnsolve pde: built-in problems")
    table.add_column("problem", style="bold", no_wrap=True)
    table.add_column("variables", no_wrap=True)
    table.add_column("methods")
    table.add_column("description")
    for name, build in PDE_PROBLEMS.items():
        try:
            pde = build()
        except DnnsolveError as exc:  # one unusable problem must not hide the others
            table.add_row(name, "–", "–", f"[red]unavailable:[/] {exc}")
            continue
        timed = isinstance(pde.domain, TimeDomain)
        methods = [m for m, ok in (("pinn", pde.residual), ("deep-ritz", pde.energy)) if ok]
        table.add_row(
            name,
            ", ".join(axis_labels(pde.domain.dim, timed)),
            ", ".join(methods),
            pde.description,
        )
    return table


def _check_count(value: int | None, flag: str, minimum: int) -> None:
    if value is not None and value < minimum:
        what = "non-negative" if minimum == 0 else f"at least {minimum}"
        raise InputError(f"{flag} must be {what}, got {value}")


def _parse_weights(pairs: list[str] | None) -> dict[str, Any]:
    """``--weight name=value`` items → loss weights (a comma list is a per-restart population)."""

    weights = parse_pairs(pairs, "--weight", numeric=True)
    for key, val in weights.items():
        vals = val if isinstance(val, list) else [val]
        if not all(math.isfinite(v) and v >= 0 for v in vals):
            raise InputError(f"--weight {key} must be a finite non-negative number, got {val!r}")
    return weights


def _npz_bytes(res, grid) -> bytes:
    """``solution.npz`` as bytes (written atomically by the caller)."""
    import numpy as np

    arrays: dict[str, Any] = {
        "points": np.asarray(res.points, dtype=np.float64),
        "values": np.asarray(res.values, dtype=np.float64),
        "grid_shape": np.asarray(res.grid_shape or (), dtype=np.int64),
    }
    if res.reference is not None:
        arrays["reference"] = np.asarray(res.reference, dtype=np.float64)
    if grid is not None:
        for i, a in enumerate(grid.axes):
            arrays[f"axis_{i}"] = a
        arrays["mask"] = grid.mask
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _summary(rows: list[tuple[str, str]], title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for k, v in rows:
        table.add_row(k, v)
    return table


def pde_command(
    problem: Annotated[
        str | None,
        typer.Argument(
            help="Built-in problem (see --list), or `list`.", show_default=False, metavar="PROBLEM"
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the built-in problems and exit.")
    ] = False,
    recipe: Annotated[
        str,
        typer.Option(
            help="Training recipe: auto (the problem's own), default, or adam-lbfgs (the "
            "former Adam 5000 + L-BFGS 1000, float32); the flags below override it."
        ),
    ] = "auto",
    method: Annotated[
        str | None, typer.Option(help="pinn (residual loss) or deep-ritz (energy loss).")
    ] = None,
    net: Annotated[
        str | None, typer.Option(help="Network: mlp, resnet, fourier or siren (recipe: mlp).")
    ] = None,
    net_option: Annotated[
        list[str] | None,
        typer.Option(
            "--net-option",
            help="Network keyword argument key=value (repeatable; a comma makes a list), "
            "e.g. hidden=32, layers=4, activation=sin.",
        ),
    ] = None,
    adam_steps: Annotated[
        int | None, typer.Option("--adam-steps", help="Adam steps (recipe: 1000).")
    ] = None,
    lbfgs_steps: Annotated[
        int | None,
        typer.Option(
            "--lbfgs-steps",
            help="Most quasi-Newton iterations after Adam (recipe: 50000, ended by the budget).",
        ),
    ] = None,
    quasi_newton: Annotated[
        str | None,
        typer.Option(
            "--quasi-newton",
            help="Second phase: ssbroyden, ssbfgs, bfgs (dense, float64 matrix) or lbfgs.",
        ),
    ] = None,
    qn_refresh: Annotated[
        int | None,
        typer.Option(
            "--qn-refresh",
            help="Dense methods: redraw the collocation points every K iterations (0: never; "
            "recipe: 50).",
        ),
    ] = None,
    exact: Annotated[
        bool | None,
        typer.Option(
            "--exact/--no-exact",
            help="Build the boundary / initial conditions into the network where the problem "
            "allows (recipe: on), or keep them as loss terms.",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[
        str | None,
        typer.Option(help="Adam learning rate (recipe: 1e-3); a comma list gives one per restart."),
    ] = None,
    points: Annotated[
        int | None, typer.Option(help="Interior collocation points (recipe: 5000).")
    ] = None,
    boundary_points: Annotated[
        int | None,
        typer.Option(
            "--boundary-points", help="Points per boundary / initial condition (recipe: 200)."
        ),
    ] = None,
    sampler: Annotated[
        str | None, typer.Option(help="Collocation points: sobol, lhs or uniform.")
    ] = None,
    resample_every: Annotated[
        int,
        typer.Option(
            "--resample-every", help="Redraw the collocation points every K steps (0: never)."
        ),
    ] = 0,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="Loss weight name=value (repeatable): residual or a condition's name "
            "(e.g. boundary, initial); a comma list is a per-restart population.",
        ),
    ] = None,
    balance: Annotated[
        str,
        typer.Option(
            help="Adaptive loss weights: fixed, annealing (learning-rate annealing) or "
            "grad-norm (gradient-norm balancing); updated every --balance-every steps."
        ),
    ] = "fixed",
    balance_every: Annotated[
        int, typer.Option("--balance-every", help="Steps between loss-weight updates.")
    ] = 100,
    causal: Annotated[
        float | None,
        typer.Option(
            help="Causal weighting ε for time-dependent problems (e.g. 1.0): later times "
            "count once earlier ones are resolved."
        ),
    ] = None,
    causal_chunks: Annotated[
        int, typer.Option("--causal-chunks", help="Time chunks of causal weighting.")
    ] = 32,
    rar_every: Annotated[
        int,
        typer.Option(
            "--rar-every",
            help="Residual-based refinement: every K Adam steps add the --rar-points worst "
            "of 10×--points random interior points (0: off).",
        ),
    ] = 0,
    rar_points: Annotated[int, typer.Option("--rar-points", help="Points RAR adds each time.")] = 0,
    restarts: Annotated[
        int, typer.Option(help="Independent networks trained as one batch; the best is kept.")
    ] = 1,
    eval_every: Annotated[
        int,
        typer.Option("--eval-every", help="Steps between validation checks (history rows)."),
    ] = 100,
    patience: Annotated[
        int | None,
        typer.Option(help="Stop a phase after this many checks without improvement."),
    ] = None,
    dtype: Annotated[str | None, typer.Option(help="float32 or float64 (recipe: float64).")] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (network, points).")] = 0,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--budget",
            "--time-limit",
            help="Wall-clock budget of the training in seconds (recipe: 100, Burgers 270; "
            "inf: none); more buys accuracy.",
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads for torch (default: torch's choice).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, notes or table.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for result.json, solution.npz and the PNG plots (created).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Solve a built-in PDE with a network, without data (PINN or Deep Ritz).

    Adam, then a quasi-Newton method, by the problem's recipe within its budget; the state with the smallest validation loss is returned and compared with the reference solution on the evaluation grid (relative L2).

    Writes DIR/result.json, DIR/solution.npz and DIR/{solution,reference,error,history}.png.
    """
    from ..pde import PDE_PROBLEMS

    if list_ or problem == "list":
        out.print(_list_table())
        return
    if problem is None:
        raise InputError("give a PROBLEM (see dnnsolve pde --list)")
    if problem not in PDE_PROBLEMS:
        raise InputError(f"unknown PDE problem {problem!r}; choose from {', '.join(PDE_PROBLEMS)}")
    if out_dir is None:
        raise InputError("--out DIR is required (the folder for the result and plots)")
    _run(
        problem,
        recipe=recipe,
        method=method,
        net=net,
        net_option=net_option,
        adam_steps=adam_steps,
        lbfgs_steps=lbfgs_steps,
        quasi_newton=quasi_newton,
        qn_refresh=qn_refresh,
        exact=exact,
        lr=lr,
        points=points,
        boundary_points=boundary_points,
        sampler=sampler,
        resample_every=resample_every,
        weight=weight,
        balance=balance,
        balance_every=balance_every,
        causal=causal,
        causal_chunks=causal_chunks,
        rar_every=rar_every,
        rar_points=rar_points,
        restarts=restarts,
        eval_every=eval_every,
        patience=patience,
        dtype=dtype,
        device=device,
        seed=seed,
        time_limit=time_limit,
        threads=threads,
        quiet=quiet,
        out_dir=out_dir,
    )


def _run(problem: str, *, out_dir: Path, quiet: bool, threads: int | None, **o: Any) -> None:
    """Check every option, solve, write the files, print the summary."""
    from ..core.device import resolve_device
    from ..core.result import atomic_write_bytes
    from ..pde import builtin, solve_pde
    from ..pde.geometry import TimeDomain
    from ..pde.networks import NETWORKS, build_network
    from ..pde.report import axis_labels, tensor_grid, write_figures
    from ..pde.sampling import METHODS as SAMPLERS

    # every check before any training, so that a typo costs nothing
    set_threads(threads)
    from ..core.quasi_newton import QN_METHODS
    from ..pde.recipes import recipe_for

    rec = recipe_for(problem, o["recipe"])
    if o["method"] is not None and o["method"] not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {o['method']!r}")
    if o["net"] is not None and o["net"] not in NETWORKS:
        raise InputError(f"unknown network {o['net']!r}; choose from {', '.join(NETWORKS)}")
    if o["dtype"] is not None and o["dtype"] not in DTYPES:
        raise InputError(f"--dtype must be float32 or float64, got {o['dtype']!r}")
    if o["sampler"] is not None and o["sampler"] not in SAMPLERS:
        raise InputError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {o['sampler']!r}")
    _check_count(o["adam_steps"], "--adam-steps", 0)
    _check_count(o["lbfgs_steps"], "--lbfgs-steps", 0)
    _check_count(o["qn_refresh"], "--qn-refresh", 0)
    if o["quasi_newton"] is not None and o["quasi_newton"] not in ("lbfgs", *QN_METHODS):
        raise InputError(
            f"--quasi-newton must be one of lbfgs, {', '.join(QN_METHODS)}, "
            f"got {o['quasi_newton']!r}"
        )
    _check_count(o["points"], "--points", 1)
    _check_count(o["boundary_points"], "--boundary-points", 1)
    _check_count(o["resample_every"], "--resample-every", 0)
    _check_count(o["restarts"], "--restarts", 1)
    _check_count(o["balance_every"], "--balance-every", 1)
    _check_count(o["causal_chunks"], "--causal-chunks", 1)
    _check_count(o["rar_every"], "--rar-every", 0)
    _check_count(o["rar_points"], "--rar-points", 0)
    from ..pde.weighting import BALANCING

    if o["balance"] not in BALANCING:
        raise InputError(f"--balance must be one of {', '.join(BALANCING)}, got {o['balance']!r}")
    if o["causal"] is not None and not (math.isfinite(o["causal"]) and o["causal"] >= 0):
        raise InputError(f"--causal must be a finite non-negative number, got {o['causal']}")
    _check_count(o["eval_every"], "--eval-every", 1)
    _check_count(o["patience"], "--patience", 1)
    if o["time_limit"] is not None and not o["time_limit"] > 0:  # inf: no budget
        raise InputError(f"--budget must be positive (inf: none), got {o['time_limit']}")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("--out must be a folder, not a file", path=str(out_dir))
    lr = parse_lr(o["lr"])
    weights = _parse_weights(o["weight"])
    options = parse_net_options(o["net_option"])
    dev = resolve_device(o["device"])
    pde = builtin(problem)
    # what the recipe fills in, so that checks, labels and the summary name what runs
    o["method"] = o["method"] or rec.method
    o["net"] = o["net"] or rec.net
    o["dtype"] = o["dtype"] or rec.dtype
    o["sampler"] = o["sampler"] or rec.sampler
    given_options = options or None  # None: the recipe's network (and its formulation)
    if not options and o["net"] == rec.net:
        options = dict(rec.options)
    build_network(o["net"], pde.domain.dim, pde.outputs, **options)  # one-line option errors

    kwargs: dict[str, Any] = {
        "adam_steps": o["adam_steps"],
        "lbfgs_steps": o["lbfgs_steps"],
        "quasi_newton": o["quasi_newton"],
        "qn_refresh": o["qn_refresh"],
        "exact": o["exact"],
        "lr": lr,
        "interior": o["points"],
        "boundary": o["boundary_points"],
        "patience": o["patience"],
    }
    label = f"{problem} {o['method']}/{o['net']}"
    callbacks = [] if quiet else [_PhaseProgress(label, console=err)]
    t0 = time.perf_counter()
    res = solve_pde(
        problem,
        recipe=rec,
        method=o["method"],
        net=o["net"],
        options=given_options,
        sampler=o["sampler"],
        resample_every=o["resample_every"],
        weights=weights or None,
        balance=o["balance"],
        balance_every=o["balance_every"],
        causal=o["causal"],
        causal_chunks=o["causal_chunks"],
        rar_every=o["rar_every"],
        rar_points=o["rar_points"],
        restarts=o["restarts"],
        dtype=o["dtype"],
        device=dev,
        seed=o["seed"],
        time_limit=o["time_limit"],
        eval_every=o["eval_every"],
        callbacks=callbacks,
        **{k: v for k, v in kwargs.items() if v is not None},  # unset: the library defaults
    )
    result = res.result
    import numpy as np

    if not result.feasible or not bool(np.isfinite(res.values).all()):
        raise NumericalError(
            "training produced a non-finite field (NaN / inf): lower --lr or the loss weights, "
            "or try --dtype float64"
        )

    # ---- files: the arrays, the figures, then the result (which lists them all)
    out_dir.mkdir(parents=True, exist_ok=True)
    grid = tensor_grid(res.points, res.grid_shape)
    written = [out_dir / "solution.npz"]
    atomic_write_bytes(written[0], _npz_bytes(res, grid))
    qn = result.extra.get("quasi_newton")
    qn_its = int(qn["iterations"]) if qn else 0
    qn_label = QN_LABELS.get(qn["method"], qn["method"]) if qn else "quasi-Newton"
    adam_done = result.steps - qn_its
    switch = adam_done if qn else None
    best_step = _best_step(result.history)
    timed = isinstance(pde.domain, TimeDomain)
    notes: list[str] = []
    try:
        written += write_figures(
            out_dir,
            res.points,
            res.values,
            res.reference,
            res.grid_shape,
            result.history,
            labels=axis_labels(pde.domain.dim, timed),
            time_dependent=timed,
            switch_step=switch,
            best_step=best_step,
            title=f"{problem} · {o['method']} · {o['net']}",
        )
    except Exception as exc:  # a figure must never cost the trained result
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        notes.append(f"the plots could not be drawn: {first}")
        result.extra["plot_error"] = first
    result.extra["cli"] = {
        "problem": problem,
        "method": o["method"],
        "net": o["net"],
        "net_options": options,
        "points": o["points"],
        "boundary_points": o["boundary_points"],
        "sampler": o["sampler"],
        "resample_every": o["resample_every"],
        "weights": weights,
        "balance": o["balance"],
        "causal": o["causal"],
        "rar": [o["rar_every"], o["rar_points"]],
        "dtype": o["dtype"],
        "adam_steps_run": adam_done,
        "quasi_newton_iterations_run": qn_its,
        "best_step": best_step,
        "out": str(out_dir),
        "files": [p.name for p in [*written, out_dir / "result.json"]],
    }
    result.timings["cli_total_s"] = time.perf_counter() - t0
    result.save(out_dir / "result.json")
    written.append(out_dir / "result.json")

    if result.stop_reason == "lbfgs_diverged":
        notes.append(
            f"{qn_label} met a non-finite loss after {qn_its} iterations; the last good state "
            "was restored (try --dtype float64 or fewer --lbfgs-steps)"
        )
    for note in notes:
        err.print(f"note: {note}", highlight=False)
    if not quiet:
        rel = res.relative_l2
        rows = [
            ("problem", f"{problem}: {pde.description}"),
            ("recipe", rec.name + (" (with overrides)" if _overridden(o) else "")),
            ("method", o["method"]),
            ("network", o["net"] + (f" ({_fmt_options(options)})" if options else "")),
            ("steps", f"{adam_done} Adam + {qn_its} {qn_label}"),
            ("stop reason", result.stop_reason),
            ("validation loss", "–" if result.objective is None else f"{result.objective:.4g}"),
            ("relative L2", "no reference" if rel is None else f"{rel:.3e}"),
            ("time", f"{result.time_s:.1f} s ({result.device})"),
            ("files", f"{out_dir}: " + ", ".join(p.name for p in written)),
        ]
        out.print(_summary(rows, f"dnnsolve pde {problem}"))
    if result.stop_reason == "interrupted":
        err.print(f"interrupted at step {result.steps}: {out_dir} holds the best state so far")
        raise typer.Exit(EXIT_INTERRUPTED)


def _best_step(history: list[dict]) -> int | None:
    """The step of the smallest validation loss (the state returned)."""
    best, step = math.inf, None
    for row in history:
        v = row.get("batch_objective")
        if v is not None and math.isfinite(v) and v < best:
            best, step = v, row["step"]
    return step


def _overridden(o: dict[str, Any]) -> bool:
    keys = ("adam_steps", "lbfgs_steps", "quasi_newton", "qn_refresh", "exact", "lr", "points",
            "boundary_points", "time_limit", "net_option")  # fmt: skip
    return any(o.get(k) is not None for k in keys)


def _fmt_options(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items())
