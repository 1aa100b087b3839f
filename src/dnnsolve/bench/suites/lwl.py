"""Suites for "Learning Without Loss" (RRR training, Elser arXiv 1911.00493) vs classical/gradient.

- ``lwl-nmf``: exact NMF of the paper's LEDM matrices (m = 6, 8, 12, 16 at ranks 5, 6, 7, 8;
  default ledm6, ledm8). Methods ``rrr`` (β = 0.3, Ω = 0.6 + 0.05 (m-6)/2 as in Table 1 up to
  m = 8), ``mu`` (Lee-Seung multiplicative updates) and ``cd`` (scikit-learn coordinate
  descent). Every method gets ``restarts`` independent starts (default 10) in ``--time-limit``
  seconds; ``objective`` = success rate (relative error <= 1e-6, re-checked in NumPy).
  Paper (Table 1): RRR 100 % on m = 6 in 2 s, coordinate descent 1.6 %.
- ``lwl-majority``: 13-input majority circuits of depth 2, 3, 4 (4096 train / 4096 test,
  our generator), network 13-26-26-2 ReLU; methods ``rrr``, ``adam``, ``sgd``; objective =
  test error (min). Options: ``epochs`` (RRR, default 3), ``gd_epochs`` (default 200),
  ``iterations`` (RRR per batch, 100), ``batch`` (128).
- ``lwl-digits``: scikit-learn 8x8 digits, 1000 train / 797 test, 64-20-10 ReLU; methods
  ``rrr``, ``adam``; objective = test error.

>>> from dnnsolve.bench import SUITES
>>> sorted(k for k in SUITES if k.startswith("lwl-"))
['lwl-digits', 'lwl-majority', 'lwl-nmf']
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..harness import Instance, Suite, SuiteContext, _mean, option_float, option_int, register_suite

_NMF_OMEGA = {6: 0.6, 8: 0.7, 12: 0.8, 16: 0.9}  # paper Table 1


def _opt(ctx: SuiteContext, key: str, default: Any, kind=int) -> Any:
    opts = ctx.options or {}
    if key not in opts:
        return default
    return option_int(opts[key], key) if kind is int else option_float(opts[key], key)


# ---------------------------------------------------------------- NMF


def _nmf_instances(ctx: SuiteContext) -> list[Instance]:
    from ...rrr.lwl.data import LEDM_RANKS, ledm

    sizes = [m for m in LEDM_RANKS if ctx.max_n is None or m <= ctx.max_n]
    return [
        Instance(f"ledm{m}", (lambda m=m: ledm(m)), {"m": m, "rank": LEDM_RANKS[m]}) for m in sizes
    ]


def _nmf_rows(inst: Instance, x: np.ndarray, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...rrr.lwl.baselines import cd_nmf, multiplicative_nmf
    from ...rrr.lwl.nmf import rrr_nmf

    m, r = inst.meta["m"], inst.meta["rank"]
    restarts = _opt(ctx, "restarts", 10)
    rows = []
    for meth in chosen["lwl-nmf"]:
        t0 = time.perf_counter()
        try:
            if meth == "rrr":
                out = rrr_nmf(
                    x,
                    r,
                    beta=_opt(ctx, "beta", 0.3, float),
                    omega=_opt(ctx, "omega", _NMF_OMEGA[m], float),
                    restarts=restarts,
                    max_iter=_opt(ctx, "iterations", 10**7),
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                    device=ctx.device,
                )
            elif meth == "mu":
                out = multiplicative_nmf(
                    x,
                    r,
                    restarts=restarts,
                    max_iter=10**7,
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                )
            else:
                out = cd_nmf(
                    x,
                    r,
                    restarts=restarts,
                    max_iter=_opt(ctx, "cd_iterations", 20000),
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                )
            err = None
        except Exception as exc:  # a failing method becomes a row with its error
            out, err = {}, f"{type(exc).__name__}: {exc}"
        rows.append(
            {
                "instance": inst.name,
                "method": meth,
                "rank": r,
                "restarts": restarts,
                "objective": out.get("success_rate"),
                "feasible": bool(any(out.get("solved", []))),
                "solved": int(sum(out.get("solved", []))),
                "best_error": out.get("best_error"),
                "time_s": out.get("time_s"),
                "wall_s": time.perf_counter() - t0,
                "iterations": out.get("iterations")
                if meth != "rrr"
                else (max(out["iterations"]) if out else None),
                "gwm": out.get("gwm"),
                # RRR: iterations each solved restart needed (restarts are frozen when solved)
                "iters_solved": sorted(
                    it for it, ok in zip(out.get("iterations", []), out.get("solved", [])) if ok
                )
                if meth == "rrr" and out
                else None,
                "stop_reason": out.get("stop_reason"),
                "error": err,
            }
        )
    return rows


def _summary(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for row in rows:
        by.setdefault(row["method"], []).append(row)
    return {
        "methods": {
            m: {
                "instances": len(rs),
                "mean_objective": _mean([r.get("objective") for r in rs]),
                "mean_time_s": _mean([r.get("time_s") for r in rs]),
            }
            for m, rs in by.items()
        }
    }


register_suite(
    Suite(
        "lwl-nmf",
        ("lwl-nmf",),
        "exact NMF of LEDM matrices: RRR (Learning Without Loss) vs multiplicative updates and "
        "coordinate descent; objective = success rate over restarts",
        None,
        120.0,
        (
            "instance",
            "method",
            "rank",
            "restarts",
            "objective",
            "solved",
            "best_error",
            "time_s",
            "iterations",
            "iters_solved",
            "gwm",
            "stop_reason",
        ),
        instances=_nmf_instances,
        rows=_nmf_rows,
        summarize=_summary,
        methods=("rrr", "mu", "cd"),
        default_methods=("rrr", "mu", "cd"),
    )
)


# ---------------------------------------------------------------- classifiers


def _classify_rows(suite: str, hidden: list[int]):
    def rows(inst: Instance, data, chosen: dict, ctx: SuiteContext) -> list[dict]:
        from ...rrr.lwl.baselines import gradient_classifier
        from ...rrr.lwl.train import LWLConfig, train_classifier

        xtr, ytr, xte, yte = data
        batch = _opt(ctx, "batch", 128)
        out_rows = []
        for meth in chosen[suite]:
            t0 = time.perf_counter()
            try:
                if meth == "rrr":
                    cfg = LWLConfig(
                        beta=_opt(ctx, "beta", 1.0, float),
                        omega=_opt(ctx, "omega", 2.0, float),
                        margin=_opt(ctx, "margin", inst.meta["margin"], float),
                        batch=batch,
                        iterations=_opt(ctx, "iterations", 100),
                        epochs=_opt(ctx, "epochs", 3),
                        seed=ctx.seed,
                        restarts=_opt(ctx, "restarts", 1),
                        time_limit=ctx.time_limit,
                    )
                    model, s = train_classifier(
                        xtr, ytr, hidden, cfg, x_test=xte, y_test=yte, device=ctx.device
                    )
                    res = {
                        "train_error": s["train_error"],
                        "test_error": s["test_error"],
                        "time_s": model.time_s,
                        "epochs": len(model.history),
                        "stop_reason": model.stop_reason,
                    }
                else:
                    g = gradient_classifier(
                        xtr,
                        ytr,
                        hidden,
                        x_test=xte,
                        y_test=yte,
                        optimizer=meth,
                        batch=batch,
                        epochs=_opt(ctx, "gd_epochs", 200),
                        seed=ctx.seed,
                        device=ctx.device,
                        time_limit=ctx.time_limit,
                    )
                    res = {k: g[k] for k in ("train_error", "test_error", "time_s", "epochs")}
                err = None
            except Exception as exc:
                res, err = {}, f"{type(exc).__name__}: {exc}"
            out_rows.append(
                {
                    "instance": inst.name,
                    "method": meth,
                    "objective": res.get("test_error"),
                    "feasible": bool(res),
                    **res,
                    "wall_s": time.perf_counter() - t0,
                    "error": err,
                }
            )
        return out_rows

    return rows


def _majority_instances(ctx: SuiteContext) -> list[Instance]:
    from ...rrr.lwl.data import majority_circuit_data

    return [
        Instance(
            f"maj13_depth{d}",
            (lambda d=d: majority_circuit_data(d, 13, 4096, seed=ctx.seed)),
            {"depth": d, "margin": 0.1},
        )
        for d in (2, 3, 4)
    ]


def _digits_instances(ctx: SuiteContext) -> list[Instance]:
    from ...rrr.lwl.data import digits_data

    return [Instance("digits8x8", lambda: digits_data(1000, seed=ctx.seed), {"margin": 0.5})]


_CLS_COLUMNS = (
    "instance",
    "method",
    "objective",
    "train_error",
    "test_error",
    "time_s",
    "epochs",
    "stop_reason",
)

register_suite(
    Suite(
        "lwl-majority",
        ("lwl-majority",),
        "majority-circuit Boolean data (13 inputs, 4096/4096): RRR-trained 13-26-26-2 ReLU net vs "
        "Adam / SGD on the same net; objective = test error",
        None,
        600.0,
        _CLS_COLUMNS,
        instances=_majority_instances,
        rows=_classify_rows("lwl-majority", [26, 26]),
        summarize=_summary,
        methods=("rrr", "adam", "sgd"),
        default_methods=("rrr", "adam", "sgd"),
    )
)

register_suite(
    Suite(
        "lwl-digits",
        ("lwl-digits",),
        "scikit-learn 8x8 digits (1000 train / 797 test): RRR-trained 64-20-10 ReLU net vs Adam; "
        "objective = test error",
        None,
        600.0,
        _CLS_COLUMNS,
        instances=_digits_instances,
        rows=_classify_rows("lwl-digits", [20]),
        summarize=_summary,
        methods=("rrr", "adam"),
        default_methods=("rrr", "adam"),
    )
)
