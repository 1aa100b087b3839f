"""LP / QP suites: ``netlib`` (the Netlib LPs beside HiGHS) and ``random-qp`` (beside OSQP).

``netlib`` reads every ``*.mps.gz`` of ``<data>/lp/`` with HiGHS, runs each method with the
run's ``--time-limit`` per instance and, unless ``--no-baselines``, HiGHS (1 thread) as the
reference. Per row: the method's objective recomputed from its ``x``, the relative gap
``|f − f_ref| / max(1, |f_ref|)`` to HiGHS's optimum (or, without baselines, to Clp's
published value parsed from ``<data>/lp/SOURCES.md``), the relative primal residual, dual
residual and duality gap, and both times. The summary counts the instances that meet the issue's
target: gap ≤ 1e-6 and relative primal residual ≤ 1e-6.

``random-qp`` generates sparse convex QPs (``Q = MMᵀ + δI``, ranged rows around a known
feasible point, boxed columns) of sizes ``--option sizes=100,300,1000`` and compares each
method with OSQP (ADMM, eps 1e-6) and HiGHS's QP solver (the reference objective).

Options: ``tol`` (relative KKT tolerance, default 1e-7), ``steps`` (iteration cap), ``sizes``,
``per_size`` (random-qp instances per size), ``peers=pdlp`` (netlib: OR-Tools PDLP at the same tolerance,
time limit and one thread, as a ``pdlp (peer)`` row; the summary gives each method's
``time_vs_pdlp``, the geometric mean of the time ratio over the instances both meet the
target on).

>>> from dnnsolve.bench import SUITES
>>> SUITES["netlib"].methods, SUITES["random-qp"].default_methods
(('pdhg', 'energy', 'projection'), ('pdhg',))
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...core.errors import InputError
from ..harness import (
    Instance,
    Suite,
    SuiteContext,
    mean_of,
    option_float,
    option_int,
    register_suite,
)

TARGET_GAP = 1e-6
TARGET_PRIMAL = 1e-6

COLUMNS = (
    "instance", "method", "status", "solver_status", "objective", "reference", "rel_gap", "primal_residual",
    "dual_residual", "duality_gap", "iterations", "time_s", "ref_time_s", "meets_target",
)  # fmt: skip
QP_COLUMNS = (
    "instance", "method", "status", "solver_status", "objective", "reference", "rel_gap", "primal_residual",
    "dual_residual", "time_s", "osqp_rel_gap", "osqp_primal_residual", "osqp_time_s",
    "ref_time_s", "meets_target",
)  # fmt: skip


def clp_references(sources: Path) -> dict[str, float]:
    """Reference objectives from the Netlib ``SOURCES.md`` table (Clp's unitTest values).

    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "SOURCES.md"
    >>> _ = p.write_text("| e226.mps.gz | 1 | `x` | 2 | 3 | `-1.8751929066e+01 + 7.113` |\\n"
    ...                  "| pilot.mps.gz | 1 | `x` | 2 | 3 | `/*-5.57e+02*/ -557.48972927292` |\\n")
    >>> {k: round(v, 9) for k, v in clp_references(p).items()}
    {'e226': -11.638929066, 'pilot': -557.489729273}
    """
    out: dict[str, float] = {}
    if not sources.is_file():
        return out
    for line in sources.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].endswith(".mps.gz"):
            continue
        name = cells[0][: -len(".mps.gz")]
        if name in out:
            continue
        last = cells[-1].strip("`").strip()
        last = re.sub(r"/\*.*?\*/", "", last).strip()
        terms = re.findall(r"[-+]?\s*\d[\d.]*(?:[eE][-+]?\d+)?", last)
        if not terms or re.search(r"[a-df-zA-DF-Z]", last):
            continue
        try:
            out[name] = float(sum(float(t.replace(" ", "")) for t in terms))
        except ValueError:
            continue
    return out


def _opts(ctx: SuiteContext) -> dict[str, Any]:
    o = dict(ctx.options or {})
    known = {"tol", "steps", "sizes", "per_size", "peers"}
    unknown = set(o) - known
    if unknown:
        raise InputError(f"unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
    res: dict[str, Any] = {"tol": 1e-7, "steps": None}
    if "tol" in o:
        res["tol"] = option_float(o["tol"], "tol")
        if res["tol"] <= 0:
            raise InputError("option tol must be positive")
    if "steps" in o:
        res["steps"] = option_int(o["steps"], "steps")
    sizes = o.get("sizes", "100,300,1000")
    if isinstance(sizes, (list, tuple)):
        items = list(sizes)
    else:
        items = [s for s in str(sizes).split(",") if s.strip()]
    res["sizes"] = [option_int(s, "sizes", 2) for s in items]
    res["per_size"] = option_int(o.get("per_size", 2), "per_size")
    from ..peers import LP_PEERS

    res["peers"] = ctx.peers()
    unknown_peers = set(res["peers"]) - set(LP_PEERS)
    if unknown_peers:
        raise InputError(f"unknown LP peer(s) {sorted(unknown_peers)}; known: {list(LP_PEERS)}")
    return res


def _gap(obj: float | None, ref: float | None) -> float | None:
    if obj is None or ref is None:
        return None
    return abs(obj - ref) / max(1.0, abs(ref))


def _method_row(lp, method: str, ctx: SuiteContext, opts: dict, ref: float | None) -> dict:
    from ...lp import solve_lp

    try:
        r = solve_lp(
            lp, method=method, tol=opts["tol"], max_iter=opts["steps"],
            time_limit=ctx.time_limit, device=ctx.device, seed=ctx.seed,
        )  # fmt: skip
    except Exception as exc:  # one failing instance must not stop the suite
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}", "meets_target": False}
    ex = r.extra
    gap = _gap(r.objective, ref)
    return {
        "status": r.status,
        "solver_status": ex["solver_status"],
        "objective": r.objective,
        "feasible": r.feasible,
        "rel_gap": gap,
        "primal_residual": r.metrics["primal_residual"],
        "primal_violation": r.metrics["primal_violation"],
        "dual_residual": r.metrics.get("dual_residual"),
        "duality_gap": r.metrics.get("duality_gap"),
        "iterations": r.steps,
        "time_s": r.time_s,
        "timings": dict(r.timings or {}),
        "device": r.device,
        "meets_target": bool(
            gap is not None and gap <= TARGET_GAP and r.metrics["primal_residual"] <= TARGET_PRIMAL
        ),
        "error": None,
    }


# ---------------------------------------------------------------- netlib


def _netlib_instances(ctx: SuiteContext) -> list[Instance]:
    from ...lp.io import read_mps

    _opts(ctx)
    folder = ctx.data_folder(NETLIB)
    refs = clp_references(folder / "SOURCES.md")
    files = sorted(folder.glob("*.mps.gz"), key=lambda p: p.name)
    if not files:
        raise InputError(f"no *.mps.gz files in {folder} (needed by suite 'netlib')")
    out = []
    for p in files:
        name = p.name[: -len(".mps.gz")]
        out.append(Instance(name, lambda p=p: read_mps(p), {"path": str(p), "clp": refs.get(name)}))
    return out


def _netlib_rows(
    inst: Instance, lp, methods: dict[str, list[str]], ctx: SuiteContext
) -> list[dict]:
    from ...lp.reference import highs_solve

    opts = _opts(ctx)
    base = {"instance": inst.name, "n": lp.n, "m": lp.m, "nnz": int(lp.A.nnz)}
    ref, ref_time, ref_status = inst.meta.get("clp"), None, None
    ref_source = "clp" if ref is not None else None
    if ctx.baselines:
        h = highs_solve(lp, time_limit=ctx.time_limit)
        ref_time, ref_status = h["time_s"], h["status"]
        if h["objective"] is not None:
            ref = -h["objective"] if lp.sense == "max" else h["objective"]
            ref_source = "highs"
    rows = []
    for method in methods.get("lp", []):
        row = {**base, "method": method, "reference": ref, "reference_source": ref_source,
               "ref_time_s": ref_time, "ref_status": ref_status, "clp_reference": inst.meta.get("clp")}  # fmt: skip
        row.update(_method_row(lp, method, ctx, opts, ref))
        rows.append(row)
    for peer in opts["peers"]:
        row = {**base, "method": f"{peer} (peer)", "reference": ref, "reference_source": ref_source,
               "ref_time_s": ref_time, "ref_status": ref_status, "clp_reference": inst.meta.get("clp")}  # fmt: skip
        row.update(_peer_row(lp, ctx, opts, ref))
        rows.append(row)
    return rows


def _peer_row(lp, ctx: SuiteContext, opts: dict, ref: float | None) -> dict:
    """OR-Tools PDLP at the same tolerance and time limit, one thread, checked like ours."""
    from ..peers import pdlp_lp

    r = pdlp_lp(lp, ctx.time_limit, opts["tol"])
    gap = _gap(r.objective, ref)
    ok = gap is not None and r.primal_residual is not None
    return {
        "status": r.status or "error",
        "solver_status": r.status,
        "objective": r.objective,
        "rel_gap": gap,
        "primal_residual": r.primal_residual,
        "time_s": r.time_s,
        "meets_target": bool(ok and gap <= TARGET_GAP and r.primal_residual <= TARGET_PRIMAL),
        "error": r.error,
    }


def _summarize(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    methods = {}
    for m, rs in by.items():
        with_ref = [r for r in rs if r.get("reference") is not None]
        methods[m] = {
            "instances": len(rs),
            "with_reference": len(with_ref),
            "meets_target": sum(bool(r.get("meets_target")) for r in rs),
            "optimal_status": sum(r.get("status") == "optimal" for r in rs),
            "time_limit": sum(r.get("solver_status") == "time_limit" for r in rs),
            "median_rel_gap": _median([r.get("rel_gap") for r in rs]),
            "total_time_s": _sum([r.get("time_s") for r in rs]),
            "mean_time_s": mean_of([r.get("time_s") for r in rs]),
        }
    for m, stats in methods.items():
        for peer in (p for p in by if p.endswith("(peer)") and not m.endswith("(peer)")):
            stats[f"time_vs_{peer.split()[0]}"] = _time_ratio(by[m], by[peer])
    firsts = {r["instance"]: r for r in rows}
    return {
        "methods": methods,
        "reference": {
            "solver": "HiGHS (1 thread)",
            "instances": len(firsts),
            "solved": sum(r.get("ref_status") == "optimal" for r in firsts.values()),
            "total_time_s": _sum([r.get("ref_time_s") for r in firsts.values()]),
        },
        "target": f"rel. gap <= {TARGET_GAP:g} and rel. primal residual <= {TARGET_PRIMAL:g}",
        "errors": sum(1 for r in rows if r.get("error")),
    }


def _time_ratio(ours: list[dict], peer: list[dict]) -> float | None:
    """Geometric mean of time / peer's time over the instances both meet the target on."""
    theirs = {r["instance"]: r for r in peer if r.get("meets_target")}
    ratios = [
        r["time_s"] / theirs[r["instance"]]["time_s"]
        for r in ours
        if r.get("meets_target") and r["instance"] in theirs and theirs[r["instance"]]["time_s"]
    ]
    return float(np.exp(np.mean(np.log(ratios)))) if ratios else None


def _median(xs: list) -> float | None:
    v = [x for x in xs if x is not None and math.isfinite(x)]
    return float(np.median(v)) if v else None


def _sum(xs: list) -> float | None:
    v = [x for x in xs if x is not None]
    return float(np.sum(v)) if v else None


NETLIB = register_suite(
    Suite(
        "netlib",
        ("lp",),
        "Netlib LPs (MPS via HiGHS): first-order / neural LP methods vs HiGHS's optimum and time",
        "lp",
        60.0,
        COLUMNS,
        instances=_netlib_instances,
        rows=_netlib_rows,
        summarize=_summarize,
        methods=("pdhg", "energy", "projection"),
        default_methods=("pdhg",),
    )
)


# ---------------------------------------------------------------- random QP


def random_qp(n: int, seed: int, density: float | None = None):
    """A sparse convex QP with ``n`` columns and ``n // 2`` ranged rows, feasible by design.

    >>> qp = random_qp(20, 0)
    >>> qp.n, qp.m, qp.is_qp
    (20, 10, True)
    """
    from ...lp.model import make_lp

    rng = np.random.default_rng(seed)
    m = max(1, n // 2)
    dens = density if density is not None else min(1.0, 5.0 / n)
    M = sp.random(n, n, density=dens, random_state=rng, data_rvs=rng.standard_normal)
    Q = (M @ M.T + 1e-2 * sp.identity(n)).tocsr()
    A = sp.random(m, n, density=dens, random_state=rng, data_rvs=rng.standard_normal).tocsr()
    x0 = rng.uniform(-1, 1, n)
    ax = A @ x0
    lo = ax - rng.uniform(0, 1, m)
    hi = ax + rng.uniform(0, 1, m)
    eq = rng.random(m) < 0.2
    hi[eq] = lo[eq] = ax[eq]
    c = rng.standard_normal(n)
    return make_lp(c, A, lo, hi, np.full(n, -2.0), np.full(n, 2.0), Q=Q, name=f"qp{n}_s{seed}")


def _qp_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _opts(ctx)
    if opts["peers"]:  # PDLP solves LPs (and diagonal QPs) only; OSQP is this suite's peer
        raise InputError("suite 'random-qp' has no peer rows (OSQP runs as its baseline); "
                         "--option peers=pdlp is for suite 'netlib'")  # fmt: skip
    out = []
    for n in opts["sizes"]:
        for k in range(opts["per_size"]):
            seed = ctx.seed * 1000 + k
            out.append(Instance(f"qp{n}_s{seed}", lambda n=n, s=seed: random_qp(n, s), {"n": n}))
    return out


def _qp_rows(inst: Instance, qp, methods: dict[str, list[str]], ctx: SuiteContext) -> list[dict]:
    from ...lp.model import residuals
    from ...lp.reference import highs_solve, osqp_solve

    opts = _opts(ctx)
    base = {"instance": inst.name, "n": qp.n, "m": qp.m, "nnz": int(qp.A.nnz)}
    ref = ref_time = ref_status = None
    osqp_cols: dict[str, Any] = {}
    if ctx.baselines:
        h = highs_solve(qp, time_limit=ctx.time_limit)
        ref, ref_time, ref_status = h["objective"], h["time_s"], h["status"]
        o = osqp_solve(qp, eps=1e-6, time_limit=ctx.time_limit)
        if o["x"] is not None and np.isfinite(o["x"]).all():
            r = residuals(qp, o["x"])
            osqp_cols = {
                "osqp_status": o["status"],
                "osqp_rel_gap": _gap(r["objective"], ref),
                "osqp_primal_residual": r["primal_residual"],
                "osqp_time_s": o["time_s"],
            }
    rows = []
    for method in methods.get("qp", []):
        row = {**base, "method": method, "reference": ref, "ref_time_s": ref_time,
               "ref_status": ref_status, **osqp_cols}  # fmt: skip
        row.update(_method_row(qp, method, ctx, opts, ref))
        rows.append(row)
    return rows


RANDOM_QP = register_suite(
    Suite(
        "random-qp",
        ("qp",),
        "Random sparse convex QPs: PDHG / projection network / energy network vs OSQP and HiGHS",
        None,
        60.0,
        QP_COLUMNS,
        instances=_qp_instances,
        rows=_qp_rows,
        summarize=_summarize,
        methods=("pdhg", "projection", "energy"),
        default_methods=("pdhg",),
    )
)
