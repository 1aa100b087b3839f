"""Solve a PDE with a network on the core solver: Adam, then a quasi-Newton method.

>>> out = solve_pde("heat", adam_steps=200, lbfgs_steps=50, interior=256, boundary=64,
...                 options={"hidden": 16, "layers": 2}, seed=0)
>>> out.result.extra["quasi_newton"]["iterations"], out.relative_l2 < 0.2
(50, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..core.callbacks import Callback
from ..core.device import resolve_device
from ..core.errors import InputError
from ..core.result import Result
from ..core.solver import Solver, SolverConfig
from .builtins import PDE_PROBLEMS, builtin
from .constraints import exact_conditions
from .problem import PDE, FieldNetwork, PDEProblem
from .recipes import Recipe, recipe_for

__all__ = ["PDE_PROBLEMS", "PDEResult", "builtin", "formulation", "solve_pde"]


@dataclass
class PDEResult:
    """The field on the evaluation grid, the core result, and the error against the reference."""

    points: np.ndarray  # (M, d)
    values: np.ndarray  # (M, m)
    result: Result
    relative_l2: float | None = None
    reference: np.ndarray | None = None
    grid_shape: tuple[int, ...] | None = None
    history: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------- solving


def formulation(
    problem: str | PDE,
    recipe: Recipe,
    net: str | None = None,
    options: dict[str, Any] | None = None,
) -> PDE:
    """``problem`` as a solve with ``recipe`` and this network poses it: a built-in name in the
    recipe's formulation when the recipe's own network is used (:meth:`Recipe.network`), else
    as built; a :class:`PDE` as given.

    >>> formulation("allen-cahn", recipe_for("allen-cahn")).hard_conditions
    ('initial', 'periodic')
    >>> formulation("allen-cahn", recipe_for("allen-cahn"), net="mlp").hard_conditions
    ()
    """
    if not isinstance(problem, str):
        return problem
    builtin(problem)  # one-line error for an unknown name
    own = recipe.network(net, options)[2]
    return PDE_PROBLEMS[problem](**(recipe.variant if own else {}))


def solve_pde(
    problem: str | PDE,
    *,
    recipe: str | Recipe = "auto",
    method: str | None = None,
    net: str | None = None,
    options: dict[str, Any] | None = None,
    adam_steps: int | None = None,
    lbfgs_steps: int | None = None,
    quasi_newton: str | None = None,
    qn_refresh: int | None = None,
    lr: float | Sequence[float] | None = None,
    interior: int | None = None,
    boundary: int | None = None,
    validation: int | None = None,
    sampler: str | None = None,
    resample_every: int = 0,
    weights: dict[str, float] | None = None,
    balance: str = "fixed",
    balance_every: int = 100,
    causal: float | None = None,
    causal_chunks: int = 32,
    rar_every: int = 0,
    rar_points: int = 0,
    restarts: int = 1,
    dtype: str | None = None,
    exact: bool | None = None,
    device: str | torch.device = "auto",
    seed: int | None = 0,
    time_limit: float | None = None,
    eval_every: int = 100,
    patience: int | None = None,
    callbacks: Sequence[Callback] = (),
) -> PDEResult:
    """Train a network on ``problem`` (a built-in name or a :class:`PDE`) and evaluate it.

    Every setting left ``None`` comes from ``recipe`` (:mod:`~dnnsolve.pde.recipes`; ``"auto"``:
    the built-in problem's own, else ``"default"``): by default a 3×20 tanh network in float64
    with the conditions built in (``exact``), Adam for ``adam_steps``, then up to
    ``lbfgs_steps`` iterations of ``quasi_newton`` (``"ssbroyden"``, ``"ssbfgs"``, ``"bfgs"``:
    dense, with the collocation points redrawn every ``qn_refresh`` iterations; ``"lbfgs"``:
    torch's L-BFGS on fixed points) within ``time_limit`` seconds (``math.inf``: none).  The
    returned field is the state with the smallest validation loss (checked every
    ``eval_every`` steps), and its relative L2 error against the reference is computed here, in
    NumPy; ``result.extra["recipe"]`` records the settings used.

    ``restarts`` trains that many independently initialized networks in one batched pass
    (seeds), and the best by validation loss is returned; ``weights`` sets the loss weights
    (``residual`` and one per condition left in the loss); ``balance`` (``annealing`` /
    ``grad-norm``), ``causal`` (ε) and ``rar_every`` / ``rar_points`` switch on adaptive
    weighting, causal weighting and residual-based refinement (see
    :class:`~dnnsolve.pde.problem.PDEProblem`).  ``device`` is ``"auto"`` (CUDA when
    available, else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    A few steps of a small network on the 2-D Poisson problem, the field returned on the
    reference's 101×101 grid:

    >>> out = solve_pde("poisson2d", adam_steps=20, lbfgs_steps=5, interior=64, boundary=16,
    ...                 validation=32, options={"hidden": 8, "layers": 1})
    >>> out.grid_shape, out.values.shape, out.result.extra["quasi_newton"]["method"]
    ((101, 101), (10201, 1), 'ssbroyden')
    """
    from .networks import build_network

    name = problem if isinstance(problem, str) else problem.name
    rec = recipe if isinstance(recipe, Recipe) else recipe_for(name, recipe)
    pde = formulation(problem, rec, net, options)
    net, options, _ = rec.network(net, options)
    given = {"method": method, "net": net, "adam_steps": adam_steps, "lbfgs_steps": lbfgs_steps,
             "quasi_newton": quasi_newton, "qn_refresh": qn_refresh, "lr": lr,
             "interior": interior, "boundary": boundary, "validation": validation,
             "sampler": sampler, "dtype": dtype, "exact": exact}  # fmt: skip
    use = {k: (getattr(rec, k) if v is None else v) for k, v in given.items()}
    method, dtype, lr = use["method"], use["dtype"], use["lr"]
    interior, boundary, validation = use["interior"], use["boundary"], use["validation"]
    if time_limit is None:
        time_limit = rec.time_limit
    elif math.isinf(time_limit):
        time_limit = None
    if use["exact"]:
        pde = exact_conditions(pde) or pde
    dev = resolve_device(str(device))
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype must be float32 or float64, got {dtype!r}")
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    prob = PDEProblem(pde, method, interior, boundary, validation, use["sampler"], resample_every,
                      tdtype, dev, 0 if seed is None else seed, balance=balance,
                      balance_every=balance_every, causal=causal, causal_chunks=causal_chunks,
                      rar_every=rar_every, rar_points=rar_points)  # fmt: skip
    dim = pde.domain.dim
    lo, hi = (torch.as_tensor(b, dtype=tdtype) for b in pde.domain.bbox)
    net_opts = dict(options or {})
    # every network sees its inputs mapped from the domain's bounding box to [−1, 1]
    net_opts.setdefault("lo", lo)
    net_opts.setdefault("hi", hi)

    def make_net():
        return build_network(net, dim, pde.outputs, **net_opts)

    param = FieldNetwork(
        make_net, prob.points, pde.outputs, restarts, pde.hard, dev, tdtype,
        generator=torch.Generator().manual_seed(0 if seed is None else seed),
    )  # fmt: skip
    prob.attach(param)
    prob.instance = name  # the problem, whatever its formulation
    unknown = set(weights or {}) - set(prob.hparams)
    if unknown:
        built_in = (
            f"; {', '.join(pde.hard_conditions)} built into the network (exact=False keeps "
            "them in the loss)"
            if pde.hard_conditions
            else ""
        )
        raise InputError(
            f"unknown loss weight(s) {sorted(unknown)}; known: {sorted(prob.hparams)}{built_in}"
        )
    config = SolverConfig(
        restarts=restarts,
        steps=use["adam_steps"],
        lr=lr,
        hparams=dict(weights or {}),
        eval_every=eval_every,
        patience=patience,
        polish=False,
        time_limit=time_limit,
        # a NaN / inf loss sends a restart back to its last good parameters (only real
        # blow-ups: PINN losses legitimately move by large factors when points are redrawn)
        backtrack=1e6,
        lbfgs_steps=use["lbfgs_steps"],
        quasi_newton=use["quasi_newton"],
        qn_refresh=use["qn_refresh"],
        seed=seed,
    )
    result = Solver(config, callbacks).solve(prob, param, method=f"{method}/{net}")
    values = prob.field_of(result.solution_array)
    points = prob.eval_points.detach().cpu().double().numpy()
    out = PDEResult(points, values, result, grid_shape=prob.grid_shape)
    if pde.reference is not None:
        exact = np.asarray(pde.reference(points), dtype=np.float64).reshape(values.shape)
        err = float(np.linalg.norm(values - exact) / np.linalg.norm(exact))
        out.relative_l2, out.reference = err, exact
        result.metrics["relative_l2"] = err
    result.extra["pde"] = name
    result.extra["description"] = pde.description
    result.extra["setup"] = {  # what reproduces this run, beside the solver config
        "method": method, "net": net,
        "options": {k: (v.tolist() if isinstance(v, torch.Tensor) else v)
                    for k, v in net_opts.items()},
        "interior": interior, "boundary": boundary, "validation": validation,
        "sampler": use["sampler"], "resample_every": resample_every, "dtype": dtype,
        "weights": dict(prob.hparams, **(weights or {})),
        "balance": balance, "causal": causal, "rar_every": rar_every, "rar_points": rar_points,
    }  # fmt: skip
    result.extra["recipe"] = {
        "name": rec.name, **{k: v for k, v in use.items() if k not in ("lr",)},
        "lr": list(lr) if isinstance(lr, Sequence) else lr,
        "exact_conditions": list(pde.hard_conditions) if use["exact"] else [],
        "time_limit": time_limit,
    }  # fmt: skip
    aids = prob.training_aids()
    if aids:
        result.extra["training_aids"] = aids
    return out
