"""The ``domset`` suite: the dominating-set family on connected random graphs.

Instances are G(n, p) graphs with average degree d (n ∈ {50, 100, 200, 500},
d ∈ {4, 8}, seed = suite seed + n + d), made connected by joining every extra
component to the first by one random edge (so every problem of the family has
a solution). Each problem runs its methods; CP-SAT (same time limit, optimum
proven or not) for n ≤ 200 and the sequential greedy sit beside them, and
every returned vertex list is re-checked from the definition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ...baselines.domination import cpsat_domination, greedy_domination
from ...graph import Graph
from ...problems.domination_check import CHECKS
from ..generators import erdos_renyi
from ..harness import Instance, Suite, SuiteContext, mean_of, register_suite, vertex_set_recheck

#: CP-SAT runs by default on graphs up to this many vertices
CPSAT_MAX_N = 200
PROBLEMS = ("domset", "total-domset", "ve-domset", "dissociation", "liars-domset")
SIZES = (50, 100, 200, 500)
DEGREES = (4, 8)


def connected_er(n: int, degree: float, seed: int, name: str) -> Graph:
    """G(n, d/(n−1)) with each extra component joined to the first by one random edge.

    >>> g = connected_er(60, 4, 0, "x")
    >>> import scipy.sparse.csgraph as cg
    >>> g.n, cg.connected_components(
    ...     sp.coo_matrix((np.ones(g.m), (g.src, g.dst)), shape=(g.n, g.n)), directed=False)[0]
    (60, 1)
    """
    rng = np.random.default_rng(seed)
    g = erdos_renyi(n, min(degree / max(n - 1, 1), 1.0), rng, name=name)
    adj = sp.coo_matrix((np.ones(g.m), (g.src, g.dst)), shape=(n, n))
    k, label = sp.csgraph.connected_components(adj, directed=False)
    edges = list(zip(g.src.tolist(), g.dst.tolist()))
    if k > 1:
        first = np.flatnonzero(label == label[0])
        for c in range(k):
            if c == label[0]:
                continue
            members = np.flatnonzero(label == c)
            edges.append((int(rng.choice(members)), int(rng.choice(first))))
    out = Graph.from_edges(n, edges, name=name)
    out.meta = {"generator": "connected_er", "degree": degree, "seed": seed}
    return out


def _instances(ctx: SuiteContext) -> list[Instance]:
    out = []
    for n in SIZES:
        for d in DEGREES:
            seed = ctx.seed + n + d
            name = f"er-n{n}-d{d}"
            out.append(
                Instance(
                    name,
                    lambda n=n, d=d, seed=seed, name=name: connected_er(n, d, seed, name),
                    {"degree": d, "seed": seed},
                )
            )
    return out


def _rechecker(problem: str, graph: Graph):
    return vertex_set_recheck(graph, lambda mask: CHECKS[problem](graph, mask))


def _rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    rows = []
    for problem, meths in chosen.items():
        base: dict[str, Any] = {
            "problem": problem,
            "instance": inst.name,
            "n": graph.n,
            "m": graph.m,
            **inst.meta,
        }
        ref = None
        if ctx.baselines:
            g = greedy_domination(problem, graph)
            base.update(greedy=g.objective if g.feasible else None, greedy_time_s=g.time_s)
            use = ctx.exact if ctx.exact is not None else graph.n <= CPSAT_MAX_N
            if use:
                c = cpsat_domination(problem, graph, ctx.time_limit, seed=ctx.seed)
                base.update(
                    cpsat=c.objective if c.feasible else None,
                    proven=c.optimal,
                    cpsat_bound=c.bound,
                    cpsat_time_s=c.time_s,
                )
                ref = c.objective if c.optimal else None
        for meth in meths:
            out = ctx.run(problem, graph, meth, reference=ref, recheck=_rechecker(problem, graph))
            obj = out["objective"]
            row = {**base, "method": meth, **out}
            row["at_optimum"] = None if ref is None or obj is None else bool(obj == ref)
            rows.append(row)
    return rows


def _summary(rows: list[dict]) -> dict:
    out: dict[str, Any] = {"methods": {}}
    keys = sorted({(r["problem"], r["method"]) for r in rows})
    for problem, meth in keys:
        rs = [r for r in rows if r["problem"] == problem and r["method"] == meth]
        hits = [float(r["at_optimum"]) for r in rs if r.get("at_optimum") is not None]
        better = [
            float(
                r["objective"] is not None
                and r.get("greedy") is not None
                and (
                    r["objective"] > r["greedy"]
                    if problem == "dissociation"
                    else r["objective"] < r["greedy"]
                )
            )
            for r in rs
        ]
        out["methods"][f"{problem}/{meth}"] = {
            "instances": len(rs),
            "feasible_fraction": mean_of([float(bool(r.get("feasible"))) for r in rs]),
            "proven_optima_hit": f"{int(sum(hits))}/{len(hits)}",
            "better_than_greedy": mean_of(better),
            "mean_time_s": mean_of([r.get("time_s") for r in rs]),
            "recheck_ok": all(r.get("recheck") is not False for r in rs),
        }
    return out


register_suite(
    Suite(
        "domset",
        PROBLEMS,
        "Dominating-set family (domset, total, vertex-edge, dissociation, liar's) on connected "
        "G(n, d/n) graphs, n = 50..500, d = 4, 8; CP-SAT optimum (n ≤ 200) and greedy beside",
        None,
        10.0,
        (
            "problem",
            "instance",
            "n",
            "m",
            "method",
            "objective",
            "cpsat",
            "proven",
            "at_optimum",
            "time_s",
            "greedy",
            "recheck",
            "error",
        ),
        instances=_instances,
        rows=_rows,
        summarize=_summary,
    )
)
