"""Suites for "Learning Without Loss" (RRR training, Elser arXiv 1911.00493) vs classical/gradient.

- ``lwl-nmf``: exact NMF of the paper's LEDM matrices (m = 6, 8, 12, 16 at ranks 5, 6, 7, 8).
  Methods ``rrr`` (β = 0.3, Ω by the library's rule, which on LEDM 6 is Table 1's 0.6 with
  entries scaled to [0, 1]; ``--option omega=`` sets it), ``hals`` (coordinate descent, restarts until
  the time limit), ``mu`` (Lee-Seung multiplicative updates) and ``cd`` (scikit-learn
  coordinate descent). Every method gets ``restarts`` independent starts (default 10) in
  ``--time-limit`` seconds; ``objective`` = success rate (relative error <= 1e-6, re-checked
  in NumPy). Paper (Table 1): RRR 100 % on m = 6 in 2 s, coordinate descent 1.6 %.
  ``--option set=issue`` (12 x 10 rank 4, sparse integer factors), ``set=mixed`` (sizes
  8-40, ranks 2-6, sparse integer / dense factors) or ``set=wide`` (ranks 3-8) runs the planted matrices of
  :mod:`dnnsolve.bench.heldout.nmf` instead (``split=report`` seeds 1000+, default, or
  ``split=tune`` seeds 0-99; ``count=N``): every method at its defaults with restarts until
  solved in ``--time-limit``; objective = solved (0/1), ``tts_s`` = time to solution.
- ``lwl-majority``: 13-input majority circuits of depth 2, 3, 4 (4096 train / 4096 test,
  our generator), network 13-26-26-2 ReLU; methods ``rrr``, ``adam``, ``sgd``; objective =
  test error (min). Options: ``epochs`` (RRR, default 3), ``gd_epochs`` (default 200),
  ``steps`` (RRR iterations per batch, 100), ``batch`` (128), ``exempt`` (the fraction of a
  batch exempted from the class constraint, §5.5; default 0), ``init`` (``gaussian`` or the
  paper's ``centred-uniform``).
- ``lwl-digits``: scikit-learn 8x8 digits, 1000 train / 797 test, 64-20-10 ReLU; methods
  ``rrr``, ``adam``; objective = test error.
- ``lwl-autoencode``: strict binary encoding 2^n -> n -> 2^n for n = 2, 3, 4; methods
  ``rrr`` (the cyclic network, :func:`~dnnsolve.rrr.lwl.cyclic.train_cyclic_autoencoder`) and
  ``adam`` (:func:`~dnnsolve.rrr.lwl.baselines.gradient_autoencoder`): RRR runs ``restarts``
  (10) in ``--time-limit``, Adam fresh batches of 10 until the time is spent; objective =
  fraction of restarts that encode every item.

>>> from dnnsolve.bench import SUITES
>>> sorted(k for k in SUITES if k.startswith("lwl-"))
['lwl-autoencode', 'lwl-digits', 'lwl-majority', 'lwl-nmf']
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..harness import (
    Instance,
    Suite,
    SuiteContext,
    mean_of,
    option_float,
    option_int,
    register_suite,
)


def _opt(ctx: SuiteContext, key: str, default: Any, kind=int) -> Any:
    opts = ctx.options or {}
    if key not in opts:
        return default
    return option_int(opts[key], key) if kind is int else option_float(opts[key], key)


# ---------------------------------------------------------------- NMF


def _nmf_set(ctx: SuiteContext) -> tuple[str, str, int | None]:
    from ...core.errors import InputError

    opts = ctx.options or {}
    which = str(opts.get("set", "ledm"))
    if which not in ("ledm", "issue", "mixed", "wide"):
        raise InputError(f"option set must be ledm, issue, mixed or wide, got {which!r}")
    split = str(opts.get("split", "report"))
    if split not in ("tune", "report"):
        raise InputError(f"option split must be tune or report, got {split!r}")
    count = option_int(opts["count"], "count") if "count" in opts else None
    return which, split, count


def _nmf_instances(ctx: SuiteContext) -> list[Instance]:
    from ...rrr.lwl.data import LEDM_RANKS, ledm
    from ..heldout.nmf import instance_list

    which, split, count = _nmf_set(ctx)
    if which != "ledm":
        insts = instance_list(split, which, count)
        return [i for i in insts if ctx.max_n is None or max(i.meta["k"], i.meta["m"]) <= ctx.max_n]
    sizes = [m for m in LEDM_RANKS if ctx.max_n is None or m <= ctx.max_n]
    return [
        Instance(f"ledm{m}", (lambda m=m: ledm(m)), {"m": m, "rank": LEDM_RANKS[m]}) for m in sizes
    ]


def _nmf_rows(inst: Instance, x, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...rrr.lwl.baselines import cd_nmf, hals_nmf, multiplicative_nmf
    from ...rrr.lwl.nmf import nmf_residual, rrr_nmf

    planted = isinstance(x, tuple)  # held-out sets load (X, W, H)
    if planted:
        x = x[0]
    r = inst.meta["rank"]
    # LEDM: success rate over a fixed number of restarts (the paper's statistic); planted
    # sets: restarts until one succeeds (the default of ``dnnsolve rrr nmf``), success 0/1
    restarts = None if planted else _opt(ctx, "restarts", 10)
    rows = []
    for meth in chosen["lwl-nmf"]:
        t0 = time.perf_counter()
        try:
            if meth == "rrr":
                out = rrr_nmf(
                    x,
                    r,
                    beta=_opt(ctx, "beta", 0.3, float),
                    omega=_opt(ctx, "omega", None, float),
                    restarts=restarts,
                    max_iter=_opt(ctx, "steps", None if planted else 10**7),
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                    device=ctx.device,
                )
            elif meth == "hals":
                out = hals_nmf(x, r, time_limit=ctx.time_limit, seed=ctx.seed)
            elif meth == "mu":
                out = multiplicative_nmf(
                    x,
                    r,
                    restarts=restarts or 10,
                    max_iter=10**7,
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                )
            else:
                out = cd_nmf(
                    x,
                    r,
                    restarts=restarts or 10**6,
                    max_iter=_opt(ctx, "cd_iterations", 20000),
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                    stop_on_first=planted,
                )
            err = None
        except Exception as exc:  # a failing method becomes a row with its error
            out, err = {}, f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - t0
        solved = bool(any(out.get("solved", [])))
        tts = out.get("time_to_solution")
        if planted and "W" in out:  # re-check the reported factors independently
            solved = nmf_residual(x, out["W"], out["Z"]) <= 1e-6
        rows.append(
            {
                "instance": inst.name,
                "method": meth,
                "rank": r,
                "restarts": restarts if restarts is not None else len(out.get("solved", [])),
                "objective": (float(solved) if planted else out.get("success_rate"))
                if out
                else None,
                "feasible": solved,
                "solved": int(sum(out.get("solved", []))),
                "best_error": out.get("best_error"),
                "time_s": out.get("time_s"),
                "tts_s": tts if solved else None,
                "wall_s": wall,
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
                "found_by": out.get("found_by") if meth == "rrr" else None,
                "stop_reason": out.get("stop_reason"),
                "error": err,
            }
        )
    return rows


def _tts(rs: list[dict]) -> dict:
    """Solved count and median time to solution where rows carry ``tts_s`` (NMF sets)."""
    if not any("tts_s" in r for r in rs):
        return {}
    t = sorted(r["tts_s"] for r in rs if r.get("tts_s") is not None)
    return {"solved": len(t), "median_tts_s": float(np.median(t)) if t else None}


def _summary(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for row in rows:
        by.setdefault(row["method"], []).append(row)
    return {
        "methods": {
            m: {
                "instances": len(rs),
                "mean_objective": mean_of([r.get("objective") for r in rs]),
                "mean_time_s": mean_of([r.get("time_s") for r in rs]),
                **_tts(rs),
            }
            for m, rs in by.items()
        }
    }


register_suite(
    Suite(
        "lwl-nmf",
        ("lwl-nmf",),
        "exact NMF of LEDM matrices (or planted random ones: --option set=issue|mixed): RRR "
        "(Learning Without Loss) vs HALS, multiplicative updates and coordinate descent; "
        "objective = success rate",
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
            "tts_s",
            "iterations",
            "iters_solved",
            "gwm",
            "found_by",
            "stop_reason",
        ),
        instances=_nmf_instances,
        rows=_nmf_rows,
        summarize=_summary,
        methods=("rrr", "hals", "mu", "cd"),
        default_methods=("rrr", "hals", "mu", "cd"),
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
                        iterations=_opt(ctx, "steps", 100),
                        epochs=_opt(ctx, "epochs", 3),
                        seed=ctx.seed,
                        restarts=_opt(ctx, "restarts", 1),
                        time_limit=ctx.time_limit,
                        exempt=_opt(ctx, "exempt", 0.0, float),
                        init=str((ctx.options or {}).get("init", "gaussian")),
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


# ---------------------------------------------------------------- binary autoencoder


def _autoencode_instances(ctx: SuiteContext) -> list[Instance]:
    bits = [n for n in (2, 3, 4) if ctx.max_n is None or 2**n <= ctx.max_n]
    return [Instance(f"binary{n}", (lambda n=n: n), {"bits": n}) for n in bits]


def _autoencode_rows(inst: Instance, n, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...rrr.lwl.baselines import gradient_autoencoder
    from ...rrr.lwl.cyclic import train_cyclic_autoencoder

    restarts = _opt(ctx, "restarts", 10)
    rows = []
    for meth in chosen["lwl-autoencode"]:
        t0 = time.perf_counter()
        try:
            if meth == "adam":  # fresh batches of restarts until the time is spent
                out = {"solved": [], "time_s": 0.0}
                while not out["solved"] or out["time_s"] < ctx.time_limit:
                    part = gradient_autoencoder(
                        n,
                        restarts=restarts,
                        epochs=_opt(ctx, "gd_epochs", 10_000),
                        seed=ctx.seed + len(out["solved"]),
                        time_limit=ctx.time_limit - out["time_s"],
                    )
                    out["solved"] += part["solved"]
                    out["time_s"] += part["time_s"]
                out["success_rate"] = float(np.mean(out["solved"]))
            else:
                out = train_cyclic_autoencoder(
                    n,
                    restarts=restarts,
                    iterations=_opt(ctx, "steps", 500_000),
                    time_limit=ctx.time_limit,
                    seed=ctx.seed,
                    device=ctx.device,
                )
            err = None
        except Exception as exc:  # a failing method becomes a row with its error
            out, err = {}, f"{type(exc).__name__}: {exc}"
        rows.append(
            {
                "instance": inst.name,
                "method": meth,
                "restarts": len(out.get("solved", [])),
                "objective": out.get("success_rate"),
                "feasible": bool(any(out.get("solved", []))),
                "solved": int(sum(out.get("solved", []))),
                "time_s": out.get("time_s"),
                "wall_s": time.perf_counter() - t0,
                "gwm": out.get("gwm"),
                "error": err,
            }
        )
    return rows


register_suite(
    Suite(
        "lwl-autoencode",
        ("lwl-autoencode",),
        "strict binary encoding 2^n -> n -> 2^n (n = 2, 3, 4; LWL §6.3.1): RRR on the cyclic "
        "network vs Adam on a sigmoid autoencoder; objective = fraction of restarts that "
        "encode every item (step units)",
        None,
        300.0,
        ("instance", "method", "restarts", "objective", "solved", "time_s", "gwm"),
        instances=_autoencode_instances,
        rows=_autoencode_rows,
        summarize=_summary,
        methods=("rrr", "adam"),
        default_methods=("rrr", "adam"),
    )
)
