"""The ``pde`` suite: PINN and Deep Ritz on the built-in PDE problems, beside classical solvers.

Instances are the built-in problems of :data:`dnnsolve.pde.PDE_PROBLEMS` (``--instances heat,
burgers``); methods ``pinn`` and ``deep-ritz`` (the latter only on problems with an energy
functional). Every seed is a separate :func:`~dnnsolve.pde.solve_pde` call (not batched
restarts, which would keep only the best): one row per seed with its relative L2 error against
the reference, and the summary gives the spread over seeds (mean, median, min, max), as the
issue asks ("report per-seed spread over 5 seeds, not the best seed"). Beside each instance a
classical solver (finite differences, ETDRK4, method of lines, Crank–Nicolson) runs once on
the same evaluation points: its error and time are in the ``classical*`` columns.

Each instance has a default recipe (:data:`RECIPES`: network, points, steps, dtype), sized for
the issue's GPU targets; the run's ``options`` (``dnnsolve bench pde --option key=value``)
override it:

- ``adam_steps``, ``lbfgs_steps``, ``lr``, ``eval_every``: training (Adam, then L-BFGS);
- ``points`` (interior collocation points), ``boundary`` (points per condition),
  ``validation``, ``sampler`` (sobol / lhs / uniform), ``resample_every``;
- ``net`` (mlp / resnet / fourier / siren), ``hidden``, ``layers``, ``activation``: the
  network (``resnet``: ``hidden`` is its width, ``layers`` its blocks); a recipe's own network
  options (e.g. Allen–Cahn's exactly periodic Fourier embedding) apply only to its own ``net``;
- ``seeds``: how many seeds (``--seed S`` runs ``S, S+1, …``; default 5), or a list ``0,3,7``;
- ``dtype``: float32 / float64;
- ``<method>.<key>``: any of the above for one method only, e.g. ``deep-ritz.adam_steps=5000``.

Deep Ritz redraws its Monte Carlo points every step (``resample_every = 1``, E & Yu 2018), so
it runs Adam only: the plain ``lbfgs_steps`` and ``resample_every`` do not apply to it (L-BFGS
needs a fixed loss); ``deep-ritz.resample_every=0 deep-ritz.lbfgs_steps=500`` runs it on fixed
points with L-BFGS.
``--time-limit`` bounds each seed's training; ``--no-baselines`` skips the classical solvers.

>>> from dnnsolve.bench import SUITES
>>> SUITES["pde"].methods, SUITES["pde"].default_methods
(('pinn', 'deep-ritz'), ('pinn', 'deep-ritz'))
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ...core.errors import InputError
from ..harness import Instance, Suite, SuiteContext, _mean, option_int, register_suite

_METHODS = ("pinn", "deep-ritz")
_NETS = ("mlp", "resnet", "fourier", "siren")

_OPTION_KEYS = {
    "adam_steps": "Adam steps",
    "lbfgs_steps": "L-BFGS iterations (Deep Ritz: only deep-ritz.lbfgs_steps)",
    "lr": "Adam learning rate",
    "eval_every": "steps between validation checks",
    "points": "interior collocation points",
    "boundary": "points per boundary / initial condition",
    "validation": "validation points",
    "sampler": "sobol, lhs or uniform",
    "resample_every": "redraw the collocation points every N steps (0: never)",
    "net": "mlp, resnet, fourier or siren",
    "hidden": "hidden width",
    "layers": "hidden layers (resnet: blocks)",
    "activation": "network activation",
    "seeds": "number of seeds (or a list of seeds)",
    "dtype": "float32 or float64",
    "balance": "adaptive loss weights: fixed, annealing or grad-norm",
    "balance_every": "steps between loss-weight updates",
    "causal": "causal weighting ε (time-dependent problems; none: off)",
    "causal_chunks": "time chunks of causal weighting",
    "rar_every": "residual-based refinement every N Adam steps (0: off)",
    "rar_points": "points added by each refinement",
}
_INT_KEYS = ("adam_steps", "lbfgs_steps", "eval_every", "points", "boundary", "validation",
             "resample_every", "hidden", "layers", "balance_every", "causal_chunks",
             "rar_every", "rar_points")  # fmt: skip

#: defaults of every instance and method; a recipe entry overrides these
BASE: dict[str, Any] = {
    "adam_steps": 2000,
    "lbfgs_steps": 2000,
    "lr": 1e-3,
    "eval_every": 100,
    "points": 4000,
    "boundary": 400,
    "validation": 2000,
    "sampler": "sobol",
    "resample_every": 0,
    "net": "mlp",
    "hidden": 32,
    "layers": 4,
    "activation": None,  # the network's default (tanh; resnet: relu3)
    "dtype": "float32",
    "balance": "fixed",
    "balance_every": 100,
    "causal": None,
    "causal_chunks": 32,
    "rar_every": 0,
    "rar_points": 0,
    "net_options": {},
    "variant": {},
}

#: per-method settings that only ``<method>.<key>`` entries (recipe or options) change: Deep
#: Ritz redraws its Monte Carlo points every step, so no L-BFGS phase (it needs a fixed loss)
METHOD_PINNED: dict[str, dict[str, Any]] = {
    "deep-ritz": {"resample_every": 1, "lbfgs_steps": 0, "causal": None, "rar_every": 0},
}

#: per-instance recipes, sized for the issue's targets on one GPU (see :data:`TARGETS`);
#: ``net_options`` apply with the recipe's own ``net`` only, and so does ``variant`` (keyword
#: arguments of the problem's builder, e.g. Allen–Cahn's periodicity left to the network)
RECIPES: dict[str, dict[str, Any]] = {
    "heat": {"hidden": 20, "layers": 3, "points": 2000, "boundary": 200},
    "poisson2d": {"hidden": 32, "layers": 3, "points": 2000, "boundary": 400,
                  "lbfgs_steps": 3000, "dtype": "float64"},
    "poisson2d-hf": {"hidden": 64, "layers": 4, "points": 8000, "boundary": 800,
                     "adam_steps": 5000, "lbfgs_steps": 5000},
    "helmholtz": {"hidden": 50, "layers": 4, "points": 8000, "boundary": 800,
                  "adam_steps": 5000, "lbfgs_steps": 5000},
    # Raissi et al.: 9 layers x 20 tanh (8 hidden), 10,000 collocation points, L-BFGS
    "burgers": {"hidden": 20, "layers": 8, "points": 10000, "boundary": 100,
                "adam_steps": 1000, "lbfgs_steps": 10000},
    # JAX-PI's recipe: exactly periodic Fourier embedding of x, gradient-norm balancing and
    # causal weighting (ε = 1, 32 chunks); soft initial data
    "allen-cahn": {"net": "fourier", "hidden": 128, "layers": 4, "points": 8000,
                   "boundary": 512, "adam_steps": 20000, "lbfgs_steps": 5000,
                   "balance": "grad-norm", "balance_every": 1000, "causal": 1.0,
                   "net_options": {"periodic": {0: (2.0, 10)}, "features": 0},
                   "variant": {"periodic_network": True}},
    "poisson-lshape": {"hidden": 32, "layers": 4, "points": 4000, "boundary": 400,
                       "adam_steps": 3000, "lbfgs_steps": 3000},
    "poisson-nd": {"hidden": 64, "layers": 4, "points": 4000, "boundary": 2000,
                   "adam_steps": 5000, "lbfgs_steps": 2000},
}  # fmt: skip

#: the issue's targets on one H100: (instance, method) → (relative L2, seconds or None)
TARGETS: dict[tuple[str, str], tuple[float, float | None]] = {
    ("burgers", "pinn"): (1e-3, 60.0),
    ("poisson2d", "pinn"): (1e-4, 30.0),
    ("poisson2d", "deep-ritz"): (1e-4, 30.0),
    ("allen-cahn", "pinn"): (1e-3, 600.0),
    ("poisson-nd", "deep-ritz"): (1e-2, None),
}

#: published / re-run anchors (../shared/docs/research/imaging_pde_anchors.md §2.1 and the issue)
ANCHORS: dict[str, dict[str, float]] = {
    "burgers": {
        "raissi_pinn_rel_l2": 6.7e-4,
        "raissi_pinn_time_s_titan_x": 60,
        "pytorch_port_h100_rel_l2": 4.5e-3,
        "pytorch_port_h100_time_s": 75,
        "deepxde_h100_rel_l2": 5.6e-3,
        "deepxde_h100_time_s": 219,
    },
    "allen-cahn": {
        "plain_pinn_rel_l2": 5.17e-1,
        "jaxpi_best_recipe_rel_l2": 5.84e-4,
        "jaxpi_best_recipe_time_s": 978,
    },
}
_NOTES = [
    "targets (issue 5) are for one H100: Burgers ≤ 1e-3 in ≤ 60 s, Poisson 2-D ≤ 1e-4 in ≤ 30 s, "
    "Allen–Cahn ≤ 1e-3 in ≤ 10 min, Deep Ritz 10-d Poisson ≤ 1e-2; seeds_meeting_target counts "
    "the seeds within both the error and the time target",
    "anchors: Raissi's PINN on Burgers 6.7e-4 (L-BFGS, ~60 s, Titan X); H100 re-runs: PyTorch "
    "port 4.5e-3 in 75 s, DeepXDE example 5.6e-3 in 219 s; Allen–Cahn plain PINN 5.17e-1, "
    "JAX-PI's full recipe 5.84e-4 in 16.3 min",
    "relative L2 over the evaluation grid (poisson-nd: 8192 Sobol' points) against the reference "
    "(analytic; Burgers: Cole–Hopf; Allen–Cahn: ETDRK4 512 modes = AC.mat; L-shape: FD 641²)",
]


# ---------------------------------------------------------------- options


def _check(key: str, value: Any, label: str) -> Any:
    """One option value, checked and converted (``label``: the key as the user wrote it)."""
    if key in _INT_KEYS:
        low = 1 if key in ("points", "boundary", "validation", "hidden", "layers",
                           "eval_every") else 0  # fmt: skip
        return option_int(value, label, low)
    if key == "lr":
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise InputError(f"option {label} must be a number, got {value!r}") from None
        if not (math.isfinite(f) and f > 0):
            raise InputError(f"option {label} must be a positive number, got {value!r}")
        return f
    if key == "net" and value not in _NETS:
        raise InputError(f"option {label} must be one of {', '.join(_NETS)}, got {value!r}")
    if key == "sampler" and value not in ("sobol", "lhs", "uniform"):
        raise InputError(f"option {label} must be sobol, lhs or uniform, got {value!r}")
    if key == "dtype" and value not in ("float32", "float64"):
        raise InputError(f"option {label} must be float32 or float64, got {value!r}")
    if key == "balance" and value not in ("fixed", "annealing", "grad-norm"):
        raise InputError(f"option {label} must be fixed, annealing or grad-norm, got {value!r}")
    if key == "causal":
        if value is None or str(value).lower() in ("none", "off"):
            return None
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise InputError(f"option {label} must be a number or none, got {value!r}") from None
        if not (math.isfinite(f) and f >= 0):
            raise InputError(f"option {label} must be a non-negative number, got {value!r}")
        return f
    return str(value) if key in ("net", "sampler", "dtype", "activation", "balance") else value


class PDEOptions:
    """The run's options, checked once: plain keys for every method, ``<method>.<key>`` for one.

    >>> o = PDEOptions({"adam_steps": 100, "deep-ritz.hidden": 8, "seeds": 2}, seed=3)
    >>> o.seeds, o.plain, o.per_method
    ([3, 4], {'adam_steps': 100}, {'deep-ritz': {'hidden': 8}})
    """

    def __init__(self, options: dict | None, seed: int = 0):
        opts = dict(options or {})
        seeds = opts.pop("seeds", 5)
        if isinstance(seeds, (list, tuple)):
            self.seeds = [option_int(s, "seeds", 0) for s in seeds]
            if not self.seeds or len(set(self.seeds)) != len(self.seeds):
                raise InputError(f"option seeds must list distinct seeds, got {seeds!r}")
        else:
            self.seeds = [seed + i for i in range(option_int(seeds, "seeds", 1))]
        self.plain: dict[str, Any] = {}
        self.per_method: dict[str, dict[str, Any]] = {}
        for key, value in opts.items():
            meth, dot, name = key.rpartition(".")
            if not dot:
                meth, name = "", key
            if name not in _OPTION_KEYS or name == "seeds" or (dot and meth not in _METHODS):
                raise InputError(
                    f"unknown option {key!r} for suite 'pde'; known: "
                    + ", ".join(f"{k} ({d})" for k, d in _OPTION_KEYS.items())
                    + f"; or <method>.<key> with method {' / '.join(_METHODS)}"
                )
            value = _check(name, value, key)
            (self.per_method.setdefault(meth, {}) if dot else self.plain)[name] = value

    def settings(self, instance: str, method: str) -> dict[str, Any]:
        """The effective settings of ``method`` on ``instance``, later entries winning: the
        defaults (:data:`BASE`), the recipe, the plain options, the method's pinned settings
        (:data:`METHOD_PINNED`), the recipe's ``<method>.`` entries, the ``<method>.`` options.
        """
        recipe = RECIPES.get(instance, {})
        own = {k: v for k, v in recipe.items() if "." not in k}
        for_method = {k.split(".", 1)[1]: v for k, v in recipe.items()
                      if k.startswith(method + ".")}  # fmt: skip
        s = {**BASE, **own, **self.plain, **METHOD_PINNED.get(method, {}), **for_method}
        s.update(self.per_method.get(method, {}))
        if s["net"] != own.get("net", BASE["net"]):
            # the recipe's network options (and problem variant) belong to its own network
            s["net_options"], s["variant"] = {}, {}
        return s


def _net_options(s: dict[str, Any]) -> dict[str, Any]:
    opts = dict(s["net_options"])
    wide, deep = ("width", "blocks") if s["net"] == "resnet" else ("hidden", "layers")
    opts.setdefault(wide, s["hidden"])
    opts.setdefault(deep, s["layers"])
    if s["activation"] is not None:
        opts.setdefault("activation", s["activation"])
    return opts


def _net_label(s: dict[str, Any]) -> str:
    default = {"mlp": "tanh", "fourier": "tanh", "resnet": "relu3", "siren": "sine"}
    act = s["activation"] or default.get(s["net"], "")
    extra = " periodic" if "periodic" in s["net_options"] else ""
    return f"{s['net']} {s['hidden']}x{s['layers']} {act}{extra}"


# ---------------------------------------------------------------- evaluation points


def _eval_points(pde) -> np.ndarray:
    """The problem's evaluation points (float64), as :func:`solve_pde` uses them."""
    if pde.eval_points is not None:
        return np.asarray(pde.eval_points, dtype=np.float64)
    return pde.domain.grid(pde.grid, dtype=torch.float64).points.numpy()


def _axes(pde) -> tuple[np.ndarray, ...]:
    return tuple(a.numpy() for a in pde.domain.grid(pde.grid, dtype=torch.float64).axes)


# ---------------------------------------------------------------- classical solvers


def _fd_helmholtz(pts: np.ndarray, n: int = 200, k: float = 1.0) -> np.ndarray:
    """``Δu + k²u = q`` on ``[−1, 1]²``, ``u = 0`` on the boundary: 5-point finite differences
    on ``n × n`` intervals, a sparse direct solve, bicubic interpolation at ``pts``."""
    import scipy.sparse as sp
    from scipy.interpolate import RegularGridInterpolator
    from scipy.sparse.linalg import spsolve

    from ...pde.references import grid_points, helmholtz_forcing

    x = np.linspace(-1.0, 1.0, n + 1)
    h = 2.0 / n
    m = n - 1
    lap = sp.diags([-np.ones(m - 1), 2.0 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1]) / h**2
    eye = sp.identity(m)
    a = (sp.kron(lap, eye) + sp.kron(eye, lap) - k * k * sp.identity(m * m)).tocsc()
    inner = grid_points(x[1:-1], x[1:-1])
    u = np.zeros((n + 1, n + 1))
    u[1:-1, 1:-1] = spsolve(a, -helmholtz_forcing(inner)).reshape(m, m)
    return RegularGridInterpolator((x, x), u, method="cubic")(pts)


def classical(name: str, pde) -> tuple[str, Callable[[], np.ndarray]] | None:
    """The classical solver of instance ``name``: (label, function returning its values at the
    evaluation points), or None where there is none (10-d Poisson: no grid solver)."""
    from ...pde import classical as C
    from ...pde import references as R

    pts = _eval_points(pde)
    if name in ("poisson2d", "poisson2d-hf"):
        freq = (4.0, 4.0) if name == "poisson2d-hf" else (1.0, 1.0)
        return (
            "FD 5-point, 200² intervals",
            lambda: (
                C.fd_poisson_rectangle(
                    lambda q: R.poisson2d_forcing(q, freq), n=200, eval_points=pts
                )[0].values
            ),
        )
    if name == "heat":
        x, t = _axes(pde)
        return (
            "Crank–Nicolson, 400 intervals, dt 1e-3",
            lambda: C.heat_crank_nicolson(n=400, dt=1e-3, x_eval=x, t_eval=t)[0].values,
        )
    if name == "burgers":
        x, t = _axes(pde)
        return (
            "method of lines, 4080 intervals, BDF",
            lambda: C.burgers_mol(n=4080, x_eval=x, t_eval=t)[0].values,
        )
    if name == "allen-cahn":
        x, t = _axes(pde)
        xw = np.where(x >= 1.0, x - 2.0, x)  # the period is [−1, 1)
        return (
            "ETDRK4, 256 modes, dt 1e-3",
            lambda: C.allen_cahn_etdrk4(n=256, dt=1e-3, x_eval=xw, t_eval=t)[0].values,
        )
    if name == "poisson-lshape":
        return (
            "FD 5-point on the L-shape, h = 2/320",
            lambda: C.fd_poisson_lshape(n=320, eval_points=pts)[0].values,
        )
    if name == "helmholtz":
        return "FD 5-point, 200² intervals", lambda: _fd_helmholtz(pts)
    return None


def _classical_fields(name: str, pde, ctx: SuiteContext) -> dict[str, Any]:
    if not ctx.baselines:
        return {}
    try:
        spec = classical(name, pde)
        if spec is None:
            return {"classical": "none (no grid solver)"}
        label, run = spec
        t0 = time.perf_counter()
        values = run()
        seconds = time.perf_counter() - t0
        from ...pde.references import relative_l2

        exact = np.asarray(pde.reference(_eval_points(pde)), dtype=np.float64)
        return {
            "classical": label,
            "classical_rel_l2": relative_l2(values, exact),
            "classical_time_s": seconds,
        }
    except Exception as exc:  # a failing classical solver is reported, the run goes on
        return {"classical": "failed", "classical_error": f"{type(exc).__name__}: {exc}"}


# ---------------------------------------------------------------- rows


def _instances(ctx: SuiteContext) -> list[Instance]:
    from ...pde import PDE_PROBLEMS, builtin

    PDEOptions(ctx.options, ctx.seed)  # check the options before anything runs
    return [Instance(name, lambda name=name: builtin(name), {}) for name in PDE_PROBLEMS]


def _solve_one(pde, method: str, s: dict, seed: int, ctx: SuiteContext) -> dict[str, Any]:
    from ...pde import solve_pde

    try:
        out = solve_pde(
            pde,
            method=method,
            net=s["net"],
            options=_net_options(s),
            adam_steps=s["adam_steps"],
            lbfgs_steps=s["lbfgs_steps"],
            lr=s["lr"],
            interior=s["points"],
            boundary=s["boundary"],
            validation=s["validation"],
            sampler=s["sampler"],
            resample_every=s["resample_every"],
            dtype=s["dtype"],
            device=ctx.device,
            seed=seed,
            time_limit=ctx.time_limit,
            eval_every=s["eval_every"],
            balance=s["balance"],
            balance_every=s["balance_every"],
            causal=s["causal"],
            causal_chunks=s["causal_chunks"],
            rar_every=s["rar_every"],
            rar_points=s["rar_points"],
        )
    except Exception as exc:
        return {"relative_l2": None, "time_s": None, "error": f"{type(exc).__name__}: {exc}"}
    r = out.result
    lbfgs = int((r.extra.get("quasi_newton") or {}).get("iterations", 0))
    return {
        "relative_l2": out.relative_l2,
        "val_loss": r.objective,
        "adam_steps": r.steps - lbfgs,
        "lbfgs_steps": lbfgs,
        "stop_reason": r.stop_reason,
        "time_s": r.time_s,
        "device": r.device,
        "error": None,
    }


def _rows(inst: Instance, pde, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...pde import builtins as B

    opts = PDEOptions(ctx.options, ctx.seed)
    common = {"instance": inst.name, **_classical_fields(inst.name, pde, ctx)}
    methods = chosen["pde"]
    rows: list[dict] = []
    for meth in methods:
        if meth == "deep-ritz" and pde.energy is None:
            continue  # no energy functional: Deep Ritz does not apply
        s = opts.settings(inst.name, meth)
        problem = pde
        if s["variant"]:
            builder = {"allen-cahn": B.allen_cahn, "poisson-lshape": B.poisson_lshape}
            problem = builder[inst.name](**s["variant"])
        for seed in opts.seeds:
            row = {
                **common,
                "method": meth,
                "net": _net_label(s),
                "seed": seed,
                "dtype": s["dtype"],
                "points": s["points"],
                "adam_budget": s["adam_steps"],
                "lbfgs_budget": s["lbfgs_steps"],
            }
            row.update(_solve_one(problem, meth, s, seed, ctx))
            rows.append(row)
    if not rows:  # e.g. --methods deep-ritz on a problem without energy: the classical row
        rows.append({**common, "method": "none", "time_s": None,
                     "note": f"no energy functional: {', '.join(methods) or 'no method'} "
                             "not applicable"})  # fmt: skip
    return rows


# ---------------------------------------------------------------- summary


def _summarize(rows: list[dict]) -> dict:
    """Per (instance, method): seeds, mean / median / min / max relative L2, mean time, the
    target and how many seeds meet it; per instance the classical solver; anchors."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r.get("method") not in (None, "none"):
            groups.setdefault((r["instance"], r["method"]), []).append(r)
    methods: dict[str, dict] = {}
    for (inst, meth), rs in groups.items():
        errs = [float(r["relative_l2"]) for r in rs if r.get("relative_l2") is not None]
        entry: dict[str, Any] = {
            "seeds": len(errs),
            "mean_rel_l2": float(np.mean(errs)) if errs else None,
            "median_rel_l2": float(np.median(errs)) if errs else None,
            "min_rel_l2": float(np.min(errs)) if errs else None,
            "max_rel_l2": float(np.max(errs)) if errs else None,
            "mean_time_s": _mean([r.get("time_s") for r in rs]),
            "net": rs[0].get("net"),
            "errors": sum(1 for r in rs if r.get("error")),
        }
        target = TARGETS.get((inst, meth))
        if target is not None:
            tol, secs = target
            entry["target_rel_l2"], entry["target_time_s"] = tol, secs
            entry["seeds_meeting_target"] = sum(
                1
                for r in rs
                if r.get("relative_l2") is not None
                and r["relative_l2"] <= tol
                and (secs is None or (r.get("time_s") or math.inf) <= secs)
            )
        methods[f"{inst} / {meth}"] = entry
    out: dict[str, Any] = {"methods": methods}
    firsts: dict[str, dict] = {}
    for r in rows:
        firsts.setdefault(r["instance"], r)
    classical_rows = {
        name: {
            "solver": r.get("classical"),
            "rel_l2": r.get("classical_rel_l2"),
            "time_s": r.get("classical_time_s"),
        }
        for name, r in firsts.items()
        if r.get("classical") is not None
    }
    if classical_rows:
        out["classical"] = classical_rows
    anchors = {k: v for k, v in ANCHORS.items() if k in firsts}
    if anchors:
        out["anchors"] = anchors
    out["notes"] = list(_NOTES)
    return out


COLUMNS = [
    "instance",
    "method",
    "net",
    "seed",
    "relative_l2",
    "val_loss",
    "adam_steps",
    "lbfgs_steps",
    "stop_reason",
    "time_s",
    "classical",
    "classical_rel_l2",
    "classical_time_s",
    "error",
]

PDE_SUITE = register_suite(
    Suite(
        "pde",
        ("pde",),
        "PDEs without data: PINN and Deep Ritz on the built-in problems (one row per seed, "
        "relative L2 against the reference on the evaluation grid) beside a classical solver",
        None,
        3600.0,
        tuple(COLUMNS),
        instances=_instances,
        rows=_rows,
        summarize=_summarize,
        methods=_METHODS,
        default_methods=_METHODS,
    )
)
