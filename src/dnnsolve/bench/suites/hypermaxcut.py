"""The hypermaxcut suite: HypOp-sized random hypergraphs (+ HypOp's files) vs simulated annealing.

Every method runs under the suite's time limit; the simulated-annealing
baseline then gets the wall time the method actually used (equal time).
"""

from __future__ import annotations

from typing import Any

from ...baselines.hypermaxcut import hypercut_value, sa_hypermaxcut
from ...hypergraph import Hypergraph, random_hypergraph
from ..harness import Instance, Suite, SuiteContext, mean_of, register_suite, vertex_set_recheck

#: (n, m) of the HypOp synthetic hypergraphs (``Hyp_<n>_<m>.txt``)
HYPOP_SIZES = [(453, 673), (901, 1333), (1779, 2660), (2664, 3901), (4425, 6555), (6281, 9325),
               (8901, 13058)]  # fmt: skip
#: cut values in the HypOp repository logs (commit 2574298; hardware not stated)
HYPOP_LOG_CUT = {
    "Hyp_901_1333": 1291,
    "Hyp_1779_2660": 2593,
    "Hyp_2664_3901": 3798,
    "Hyp_4425_6555": 6369,
    "Hyp_6281_9325": 9098,
    "Hyp_8901_13058": 12731,
}


def _instances(ctx: SuiteContext) -> list[Instance]:
    seed = ctx.seed
    out: list[Instance] = []
    files = {}
    try:
        folder = ctx.data_folder(SUITE, "hypop_hypergraph")
        files = {p.name.split(".")[0]: p for p in folder.glob("*.txt")}
    except Exception:  # the files are optional: generated instances always run
        pass
    from ...io.hypergraphs import read_hypergraph

    for n, m in HYPOP_SIZES:
        name = f"rand-{n}-{m}"
        out.append(
            Instance(
                name,
                lambda n=n, m=m, name=name: random_hypergraph(n, m, seed + n, name),
                {"seed": seed + n},
            )
        )
        fname = f"Hyp_{n}_{m}"
        if fname in files:
            p = files.pop(fname)
            out.append(Instance(fname, lambda p=p: read_hypergraph(p), {"path": str(p)}))
    for fname, p in sorted(files.items()):
        out.append(Instance(fname, lambda p=p: read_hypergraph(p), {"path": str(p)}))
    return out


def _rechecker(hg: Hypergraph):
    return vertex_set_recheck(hg, lambda side: hypercut_value(hg, side))


def _rows(inst: Instance, hg: Hypergraph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    rows = []
    base = {"instance": inst.name, "n": hg.n, "m": hg.m, "hypop_log": HYPOP_LOG_CUT.get(inst.name)}
    for meth in chosen["hypermaxcut"]:
        out = ctx.run("hypermaxcut", hg, meth, recheck=_rechecker(hg))
        row: dict[str, Any] = {**base, "method": meth, "cut": out["objective"], **out}
        if ctx.baselines:
            budget = out["wall_s"] if out["error"] is None else ctx.time_limit
            sa = sa_hypermaxcut(hg, time_limit=max(budget, 0.1), seed=ctx.seed)
            cut = out["objective"]
            row.update(
                sa_cut=sa.objective,
                sa_time_s=sa.time_s,
                ratio=None if cut is None or not sa.objective else cut / sa.objective,
            )
        rows.append(row)
    return rows


def _summary(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    out: dict[str, Any] = {"methods": {}}
    for meth, rs in by.items():
        ratios = [r.get("ratio") for r in rs if r.get("ratio") is not None]
        out["methods"][meth] = {
            "instances": len(rs),
            "mean_ratio_vs_sa": mean_of(ratios),
            "wins_vs_sa": sum(1 for x in ratios if x > 1),
            "ties_vs_sa": sum(1 for x in ratios if x == 1),
            "losses_vs_sa": sum(1 for x in ratios if x < 1),
            "mean_time_s": mean_of([r.get("time_s") for r in rs]),
            "recheck_ok": all(r.get("recheck") is not False for r in rs),
        }
    return out


SUITE = register_suite(
    Suite(
        "hypermaxcut",
        ("hypermaxcut",),
        "Hypergraph MaxCut on random hypergraphs of the HypOp sizes (n 453–8901, HypOp's "
        "edge-size mix) and HypOp's files (<data>/hypop_hypergraph/, when present); "
        "simulated annealing gets each method's measured wall time",
        None,
        10.0,
        (
            "instance",
            "n",
            "m",
            "method",
            "cut",
            "sa_cut",
            "ratio",
            "hypop_log",
            "time_s",
            "recheck",
            "error",
        ),
        instances=_instances,
        rows=_rows,
        summarize=_summary,
    )
)
