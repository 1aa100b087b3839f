"""The MaxCut and MIS suites: Gset, SATLIB CBS MIS graphs, ER-[700-800], random 3-regular scaling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ...baselines import (
    cpsat_maxcut,
    cpsat_mis,
    greedy_maxcut,
    greedy_mis,
    maxcut_value,
    mis_value,
)
from ...graph import Graph
from ..generators import er_suite_graph, random_regular
from ..harness import (
    Instance,
    Suite,
    SuiteContext,
    file_instances,
    mean_of,
    peak_memory,
    register_suite,
    vertex_set_recheck,
)
from ..references import ER_ANCHORS, GSET_BEST_KNOWN, PIGNN_GSET, SATLIB_TEST_MEAN_OPTIMUM

#: graphs up to this many vertices get a CP-SAT column in the gset suite by default
CPSAT_AUTO_MAX_N = 200


def _gnum(name: str) -> int:
    m = re.search(r"(\d+)", name)
    return int(m.group(1)) if m else -1


def _rechecker(problem: str, graph: Graph):
    """Objective of a returned vertex-id list, recomputed by :mod:`dnnsolve.baselines`."""
    if problem == "maxcut":
        return vertex_set_recheck(graph, lambda side: maxcut_value(graph, side))
    return vertex_set_recheck(graph, lambda mask: mis_value(graph, mask))


# ---------------------------------------------------------------- instances


def _read(fmt: str | None):
    def load(path: Path) -> Graph:
        from ...io import read_graph

        return read_graph(path, format=fmt)

    return load


def _gset_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["gset"]
    return file_instances(ctx.data_folder(suite), "G*.txt", suite, _read("gset"))


def _satlib_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["satlib-mis"]
    return file_instances(ctx.data_folder(suite), "*.cnf", suite, _read(None))


def _er_instances(ctx: SuiteContext) -> list[Instance]:
    seed = ctx.seed
    return [
        Instance(f"er-{i:03d}", lambda i=i: er_suite_graph(i, seed), {"seed": seed + i})
        for i in range(128)
    ]


def _regular_sizes(max_n: int) -> list[int]:
    sizes, n = [], 100
    while n <= max_n:
        sizes.append(n)
        n *= 10
    return sizes


def _regular_instances(ctx: SuiteContext) -> list[Instance]:
    seed = ctx.seed
    top = ctx.max_n if ctx.max_n is not None else (10**6 if ctx.device.type == "cuda" else 10**5)
    return [
        Instance(f"reg3-n{n}", lambda n=n: random_regular(n, 3, seed + n), {"seed": seed + n})
        for n in _regular_sizes(top)
    ]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _gset_rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    methods_ = chosen["maxcut"]
    best = GSET_BEST_KNOWN.get(inst.name)
    base: dict[str, Any] = {
        "graph": inst.name,
        "n": graph.n,
        "m": graph.m,
        "best_known": best,
        "pignn": PIGNN_GSET.get(inst.name),
        "pignn_ratio": _ratio(PIGNN_GSET.get(inst.name), best),
    }
    if ctx.baselines:
        g = greedy_maxcut(graph)
        base.update(
            greedy_cut=g.objective, greedy_ratio=_ratio(g.objective, best), greedy_time_s=g.time_s
        )
        use_cpsat = ctx.exact if ctx.exact is not None else graph.n <= CPSAT_AUTO_MAX_N
        if use_cpsat:
            c = cpsat_maxcut(graph, ctx.time_limit, seed=ctx.seed)
            base.update(
                cpsat_cut=c.objective,
                cpsat_bound=c.bound,
                cpsat_optimal=c.optimal,
                cpsat_time_s=c.time_s,
            )
    base.update(_maxcut_peers(graph, best, ctx))
    rows = []
    for meth in methods_:
        out = ctx.run("maxcut", graph, meth, reference=best, recheck=_rechecker("maxcut", graph))
        rows.append(
            {
                **base,
                "method": meth,
                "cut": out["objective"],
                "ratio": _ratio(out["objective"], best),
                **out,
            }
        )
    return rows


def _maxcut_peers(graph: Graph, best: float | None, ctx: SuiteContext) -> dict[str, Any]:
    """Columns of the peers ``--option peers=dwave`` (or ``dwave-sa``, ``dwave-tabu``) asks for,
    each run once per graph at the suite's time limit, one thread."""
    from ..peers import MAXCUT_PEERS, dwave_maxcut

    wanted = [p for p in ctx.peers() for p in (MAXCUT_PEERS if p == "dwave" else (p,))]
    cols: dict[str, Any] = {}
    for peer in wanted:
        r = dwave_maxcut(graph, peer, ctx.time_limit, seed=ctx.seed)
        key = peer.replace("dwave-", "")
        cols.update({f"{key}_cut": r.objective, f"{key}_ratio": _ratio(r.objective, best)})
        cols[f"{key}_time_s"] = r.time_s
        if r.error:
            cols["peer_error"] = r.error
    return cols


def _satlib_rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    methods_ = chosen["mis"]
    opt = graph.meta.get("n_clauses")
    base: dict[str, Any] = {"instance": inst.name, "n": graph.n, "m": graph.m, "optimum": opt}
    if ctx.baselines:
        g = greedy_mis(graph)
        c = cpsat_mis(graph, ctx.time_limit, seed=ctx.seed)
        base.update(
            greedy_size=g.objective,
            greedy_time_s=g.time_s,
            cpsat_size=c.objective,
            cpsat_optimal=c.optimal,
            cpsat_bound=c.bound,
            cpsat_status=c.status,
            cpsat_time_s=c.time_s,
        )
    rows = []
    for meth in methods_:
        out = ctx.run("mis", graph, meth, reference=opt, recheck=_rechecker("mis", graph))
        size = out["objective"]
        rows.append(
            {
                **base,
                "method": meth,
                "size": size,
                "at_optimum": None if opt is None or size is None else bool(size >= opt),
                **out,
            }
        )
    return rows


def _er_rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    methods_ = chosen["mis"]
    base: dict[str, Any] = {"instance": inst.name, "n": graph.n, "m": graph.m, **inst.meta}
    if ctx.baselines:
        g = greedy_mis(graph)
        base.update(greedy_size=g.objective, greedy_time_s=g.time_s)
    rows = []
    for meth in methods_:
        out = ctx.run("mis", graph, meth, reference=None, recheck=_rechecker("mis", graph))
        row = {**base, "method": meth, "size": out["objective"], **out}
        if ctx.baselines:
            # CP-SAT gets the wall time the method used (its whole budget if it failed)
            budget = out["wall_s"] if out["error"] is None else ctx.time_limit
            c = cpsat_mis(graph, max(budget, 0.1), seed=ctx.seed)
            row.update(
                cpsat_size=c.objective,
                cpsat_time_limit=budget,
                cpsat_time_s=c.time_s,
                cpsat_bound=c.bound,
                cpsat_optimal=c.optimal,
                cpsat_status=c.status,
            )
        rows.append(row)
    return rows


def _regular_rows(
    inst: Instance, graph: Graph, methods_by_problem: dict, ctx: SuiteContext
) -> list[dict]:
    rows = []
    dev = ctx.device
    for problem, meths in methods_by_problem.items():
        base: dict[str, Any] = {"problem": problem, "n": graph.n, "m": graph.m, **inst.meta}
        if ctx.baselines:
            g = greedy_maxcut(graph) if problem == "maxcut" else greedy_mis(graph)
            base.update(greedy_objective=g.objective, greedy_time_s=g.time_s)
        for meth in meths:
            with peak_memory(dev) as mem:
                out = ctx.run(problem, graph, meth, recheck=_rechecker(problem, graph))
            obj = out["objective"]
            rows.append(
                {
                    **base,
                    "method": meth,
                    "per_n": None if obj is None else obj / graph.n,
                    **mem,
                    **out,
                }
            )
    return rows


# ---------------------------------------------------------------- summaries


def _by_method(rows: list[dict]) -> dict[str, list[dict]]:
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    return by_method


def _gset_summary(rows: list[dict]) -> dict:
    by_method = _by_method(rows)
    out: dict[str, Any] = {"methods": {}}
    for meth, rs in by_method.items():
        lo = [r["ratio"] for r in rs if _gnum(r["graph"]) <= 54]
        hi = [r["ratio"] for r in rs if _gnum(r["graph"]) >= 55]
        out["methods"][meth] = {
            "graphs": len(rs),
            "mean_ratio_G1_G54": mean_of(lo),
            "graphs_G1_G54": len(lo),
            "mean_ratio_G55_G81": mean_of(hi),
            "graphs_G55_G81": len(hi),
            "mean_time_s": mean_of([r["time_s"] for r in rs]),
        }
    first = next(iter(by_method.values()), [])
    if first and "greedy_ratio" in first[0]:
        out["greedy"] = {
            "mean_ratio_G1_G54": mean_of(
                [r["greedy_ratio"] for r in first if _gnum(r["graph"]) <= 54]
            ),
            "mean_ratio_G55_G81": mean_of(
                [r["greedy_ratio"] for r in first if _gnum(r["graph"]) >= 55]
            ),
            "mean_time_s": mean_of([r["greedy_time_s"] for r in first]),
        }
    for peer in ("sa", "tabu"):
        if first and f"{peer}_cut" in first[0]:
            out[f"dwave_{peer}"] = {"mean_ratio": mean_of([r[f"{peer}_ratio"] for r in first])}
            for meth, rs in by_method.items():
                out["methods"][meth][f"vs_dwave_{peer}"] = _versus(rs, f"{peer}_cut")
    return out


def _versus(rows: list[dict], column: str) -> dict[str, int]:
    """Graphs where the method's cut is above, equal to or below a peer's (both present)."""
    pairs = [(r["cut"], r[column]) for r in rows if r["cut"] is not None and r[column] is not None]
    return {
        "ahead": sum(a > b for a, b in pairs),
        "tied": sum(a == b for a, b in pairs),
        "behind": sum(a < b for a, b in pairs),
    }


def _mis_summary(suite: str, rows: list[dict]) -> dict:
    by_method = _by_method(rows)
    out: dict[str, Any] = {"methods": {}}
    for meth, rs in by_method.items():
        s = {
            "graphs": len(rs),
            "mean_size": mean_of([r["size"] for r in rs]),
            "mean_time_s": mean_of([r["time_s"] for r in rs]),
        }
        if suite == "satlib-mis":
            hits = [r["at_optimum"] for r in rs if r["at_optimum"] is not None]
            s["fraction_at_optimum"] = mean_of([float(h) for h in hits])
            s["mean_optimum"] = mean_of([r["optimum"] for r in rs])
        if rs and "cpsat_size" in rs[0]:
            s["cpsat_mean_size"] = mean_of([r["cpsat_size"] for r in rs])
            s["cpsat_mean_time_s"] = mean_of([r["cpsat_time_s"] for r in rs])
            s["cpsat_fraction_optimal"] = mean_of([float(r["cpsat_optimal"]) for r in rs])
        if rs and "greedy_size" in rs[0]:
            s["greedy_mean_size"] = mean_of([r["greedy_size"] for r in rs])
        out["methods"][meth] = s
    if suite == "er":
        out["anchors_mean_size"] = dict(ER_ANCHORS)
    else:
        out["anchor_mean_optimum_500_test_graphs"] = SATLIB_TEST_MEAN_OPTIMUM
    return out


def _satlib_summary(rows: list[dict]) -> dict:
    return _mis_summary("satlib-mis", rows)


def _er_summary(rows: list[dict]) -> dict:
    return _mis_summary("er", rows)


def _regular_summary(rows: list[dict]) -> dict:
    by_method = _by_method(rows)
    out: dict[str, Any] = {"methods": {}}
    for meth, rs in by_method.items():
        for problem in sorted({r["problem"] for r in rs}):
            sub = [r for r in rs if r["problem"] == problem and r["time_s"]]
            slope = None
            if len(sub) >= 2:
                # log-log slope of time vs n: ≈ 1 means linear growth
                slope = float(
                    np.polyfit(
                        np.log([r["n"] for r in sub]), np.log([r["time_s"] for r in sub]), 1
                    )[0]
                )
            out["methods"][f"{problem}/{meth}"] = {
                "sizes": [r["n"] for r in sub],
                "time_s": [r["time_s"] for r in sub],
                "peak_mem_mb": [r.get("peak_mem_mb") for r in sub],
                "per_n": [r["per_n"] for r in sub],
                "time_loglog_slope": slope,
            }
    return out


# ---------------------------------------------------------------- registration

SUITES_BY_NAME = {
    "gset": register_suite(
        Suite(
            "gset",
            ("maxcut",),
            "MaxCut on the 71 Gset graphs (<data>/gset/G*.txt) vs best-known cuts, PI-GNN's "
            "published values and a greedy + 1-flip baseline",
            "gset",
            60.0,
            (
                "graph",
                "n",
                "m",
                "method",
                "cut",
                "best_known",
                "ratio",
                "time_s",
                "pignn",
                "greedy_cut",
                "greedy_time_s",
                "cpsat_cut",
                "cpsat_time_s",
                "sa_cut",
                "tabu_cut",
                "error",
            ),
            instances=_gset_instances,
            rows=_gset_rows,
            summarize=_gset_summary,
            key="graph",
        )
    ),
    "satlib-mis": register_suite(
        Suite(
            "satlib-mis",
            ("mis",),
            "MIS on SATLIB CBS 3-SAT graphs (<data>/satlib_mis_cbs/cnf/*.cnf); optimum = "
            "number of clauses; CP-SAT and min-degree greedy side by side",
            "satlib_mis_cbs/cnf",
            20.0,
            (
                "instance",
                "n",
                "m",
                "method",
                "size",
                "optimum",
                "at_optimum",
                "time_s",
                "cpsat_size",
                "cpsat_optimal",
                "cpsat_time_s",
                "greedy_size",
                "error",
            ),
            instances=_satlib_instances,
            rows=_satlib_rows,
            summarize=_satlib_summary,
        )
    ),
    "er": register_suite(
        Suite(
            "er",
            ("mis",),
            "MIS on 128 generated Erdős–Rényi graphs, n uniform in [700, 800], p = 0.15 "
            "(seeds seed+i); CP-SAT at the method's wall time and greedy",
            None,
            30.0,
            (
                "instance",
                "n",
                "m",
                "method",
                "size",
                "time_s",
                "cpsat_size",
                "cpsat_time_s",
                "cpsat_bound",
                "greedy_size",
                "error",
            ),
            instances=_er_instances,
            rows=_er_rows,
            summarize=_er_summary,
        )
    ),
    "regular": register_suite(
        Suite(
            "regular",
            ("maxcut", "mis"),
            "Scaling on random 3-regular graphs, n = 100 × 10^k up to max_n (10^5 on CPU, "
            "10^6 on CUDA): MaxCut and MIS time and peak memory per n",
            None,
            120.0,
            (
                "problem",
                "n",
                "m",
                "method",
                "objective",
                "per_n",
                "time_s",
                "peak_mem_mb",
                "mem_start_mb",
                "mem_kind",
                "greedy_objective",
                "greedy_time_s",
                "error",
            ),
            instances=_regular_instances,
            rows=_regular_rows,
            summarize=_regular_summary,
        )
    ),
}
