"""The ``schedule`` suite: differentiable DAG scheduling vs CP-SAT, HiGHS and list scheduling.

Instances are generated random layered DAGs (:func:`dnnsolve.schedule.random_layered_dag`)
of the sizes and densities of the ICML'24 paper's synthetic set, named
``layered-<density>-<n>-s<seed>``. Options (``--option key=value``):

- ``sizes``: comma list of node counts (default ``1000,5000,10000``; ``sizes=200`` for a
  quick run);
- ``densities``: ``sparse,dense`` (default both);
- ``seeds``: graphs per size and density (default 1);
- ``stages``: D (default: each graph's depth), ``memory_weight`` (w, default 1);
- ``hint=1``: also run CP-SAT warm-started from the list schedule (``cpsat+hint``).

``lower_bound`` is ``w·max(⌈Σm/D⌉, max m)`` (no communication, perfectly spread memory).

Every gradient method runs with ``--time-limit``; then, with baselines on, CP-SAT and
HiGHS get the *same wall time* the gradient method used (the issue's "equal wall time"),
and list scheduling and the topological partitions (``topo``: greedy fill of the level
order up to Σm/D; ``topo-dp``: the best DP-optimal contiguous partition of three
topological orders) run once. Rows: objective (comm + w·peak memory, re-checked
independently), legality, time. ``--no-exact`` skips CP-SAT and HiGHS.

>>> from dnnsolve.bench import SUITES
>>> SUITES["schedule"].problems
('schedule',)
"""

from __future__ import annotations

import math
from typing import Any

from ...core.errors import InputError
from ..harness import Instance, Suite, SuiteContext, _mean, option_int, register_suite


def _int_list(v: Any, key: str) -> list[int]:
    """``1000,5000`` as a string, a number or the CLI's parsed list → [1000, 5000]."""
    items = v if isinstance(v, (list, tuple)) else str(v).replace(";", ",").split(",")
    return [option_int(x, key) for x in items if str(x).strip()]


def _instances(ctx: SuiteContext) -> list[Instance]:
    from ...schedule.generators import DENSITY, random_layered_dag

    opts = ctx.options or {}
    sizes = _int_list(opts.get("sizes", "1000,5000,10000"), "sizes")
    dens = [d.strip() for d in str(opts.get("densities", "sparse,dense")).split(",") if d.strip()]
    bad = [d for d in dens if d not in DENSITY]
    if bad:
        raise InputError(f"option densities: unknown {', '.join(bad)}; use sparse, dense")
    seeds = option_int(opts.get("seeds", 1), "seeds")
    out = []
    for n in sizes:
        if ctx.max_n is not None and n > ctx.max_n:
            continue
        for d in dens:
            for s in range(seeds):
                name = f"layered-{d}-{n}-s{s}"
                out.append(
                    Instance(
                        name,
                        lambda n=n, d=d, s=s: random_layered_dag(n, d, seed=s),
                        {"n": n, "density": d},
                    )
                )
    return out


def _rows(inst: Instance, graph: Any, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...problems.scheduling import problem_kwargs
    from ...schedule.baselines import run_baseline
    from ...schedule.problem import SchedulingProblem

    opts = {k: v for k, v in (ctx.options or {}).items() if k in ("stages", "memory_weight")}
    prob = SchedulingProblem(graph, **problem_kwargs(opts))

    def recheck(solution: Any) -> float | None:
        stages = solution["stage"]
        z = [int(stages[i]) for i in graph.ids]
        obj, ok = prob.verify(z)
        return obj if ok else None

    # a valid lower bound: no communication, memory spread perfectly (integral when m is)
    share = graph.total_memory / prob.stages
    if float(graph.memory.sum()).is_integer():
        share = float(math.ceil(share))
    bound = prob.memory_weight * max(share, float(graph.memory.max()))
    base = {
        "instance": inst.name,
        "n": graph.n,
        "m": graph.m,
        "stages": prob.stages,
        "lower_bound": bound,
    }
    rows = []
    wall = ctx.time_limit
    for method in chosen["schedule"]:
        r = ctx.run("schedule", graph, method, options=opts, recheck=recheck)
        rows.append({**base, "method": method, "legal": r.get("feasible"), **r})
        if r.get("time_s"):
            wall = max(float(r["time_s"]), 1.0)
    if ctx.baselines:
        kw = {"stages": prob.stages, "memory_weight": prob.memory_weight}
        hint = str((ctx.options or {}).get("hint", "0")).lower() in ("1", "true", "yes", "on")
        todo = ["list", "topo", "topo-dp"] + ([] if ctx.exact is False else ["cpsat", "highs"])
        if hint and ctx.exact is not False:
            todo.append("cpsat+hint")
        list_run = None
        for name in todo:
            extra: dict[str, Any] = {} if name in ("list", "topo") else {"time_limit": wall}
            if name.startswith("cpsat"):
                extra["seed"] = ctx.seed
            if name == "cpsat+hint" and list_run is not None:
                extra["hint"] = list_run.stages
            run = run_baseline(name.split("+")[0], graph, **kw, **extra)
            if name == "list":
                list_run = run
            rows.append(
                {
                    **base,
                    "method": name,
                    "objective": run.objective if run.legal else None,
                    "feasible": run.legal,
                    "legal": run.legal,
                    "time_s": run.time_s,
                    "status": run.status,
                    "error": None,
                }
            )
    return rows


def _summary(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    # per instance: does the method reach CP-SAT's objective (or CP-SAT found none)?
    cps = {r["instance"]: r.get("objective") for r in rows if r["method"] == "cpsat"}
    methods = {}
    for m, rs in by.items():
        wins = [
            (r.get("objective") is not None)
            and (cps.get(r["instance"]) is None or r["objective"] <= cps[r["instance"]] + 1e-9)
            for r in rs
            if r["instance"] in cps
        ]
        methods[m] = {
            "instances": len(rs),
            "mean_objective": _mean([r.get("objective") for r in rs]),
            "legal_fraction": _mean([float(bool(r.get("legal"))) for r in rs]),
            "mean_time_s": _mean([r.get("time_s") for r in rs]),
            "at_or_below_cpsat": _mean([float(w) for w in wins]) if wins else None,
        }
    return {"methods": methods}


register_suite(
    Suite(
        "schedule",
        ("schedule",),
        "DAG stage scheduling (comm + peak memory) on random layered DAGs of 1k/5k/10k nodes, "
        "dense and sparse; CP-SAT and HiGHS at equal wall time, list scheduling, topological "
        "partitions",
        None,
        60.0,
        (
            "instance",
            "n",
            "m",
            "stages",
            "lower_bound",
            "method",
            "objective",
            "legal",
            "time_s",
            "status",
            "recheck",
            "error",
        ),
        instances=_instances,
        rows=_rows,
        summarize=_summary,
    )
)
