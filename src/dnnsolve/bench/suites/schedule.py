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
topological orders) run once. Rows: objective (comm + w·peak memory), legality, time,
and ``recheck``: whether :func:`schedule_recheck` (plain Python on the instance's raw
arrays, sharing no code with :mod:`dnnsolve.schedule`, whose checker produced the answer)
finds the schedule legal with the same objective. ``--no-exact`` skips CP-SAT and HiGHS.

>>> from dnnsolve.bench import SUITES
>>> SUITES["schedule"].problems
('schedule',)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core.errors import InputError
from ..harness import Instance, Suite, SuiteContext, mean_of, option_int, register_suite


def _int_list(v: Any, key: str) -> list[int]:
    """``1000,5000`` as a string, a number or the CLI's parsed list → [1000, 5000]."""
    items = v if isinstance(v, (list, tuple)) else str(v).replace(";", ",").split(",")
    return [option_int(x, key) for x in items if str(x).strip()]


# ---------------------------------------------------------------- independent re-check
#
# Everything below reads only the instance's raw arrays (ids, src, dst, memory, comm) and
# the returned stages. It must not call dnnsolve.schedule's checking code
# (check_schedule, SchedulingProblem.verify / parts / evaluate, TaskGraph.level / depth):
# those produced the answers it re-checks, so a bug there would pass unnoticed.


def _longest_path_nodes(graph: Any) -> int:
    """Nodes on a longest path (the default number of stages), by Kahn's algorithm.

    >>> from dnnsolve.schedule import TaskGraph
    >>> _longest_path_nodes(TaskGraph.from_edges(4, [(0, 1), (1, 2), (0, 3)]))
    3
    """
    n = int(graph.n)
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for u, v in zip(graph.src.tolist(), graph.dst.tolist(), strict=True):
        succ[u].append(v)
        indeg[v] += 1
    longest = [1] * n
    ready = [v for v in range(n) if indeg[v] == 0]
    seen = 0
    while ready:
        u = ready.pop()
        seen += 1
        for v in succ[u]:
            longest[v] = max(longest[v], longest[u] + 1)
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    if seen < n:
        raise InputError("the task graph has a cycle: it has no schedule")
    return max(longest)


def schedule_violations(
    graph: Any,
    solution: Any,
    stages: int,
    memory_weight: float = 1.0,
    *,
    objective: str = "balance",
    strict: bool = False,
    capacity: float | None = None,
) -> tuple[float | None, list[str]]:
    """``(objective, violations)`` of a returned stage schedule, from the raw instance.

    ``solution`` is a result's ``{"stage": {node id: stage}}``, a mapping node id → stage,
    or a sequence of stages in node order. Checked: every node of the instance gets
    exactly one integer stage in ``0..stages-1`` (no unknown ids); ``s_u <= s_v`` for
    every edge ``u → v`` (``<`` with ``strict``); each stage's summed resource is at most
    ``capacity`` (when given). The objective is recomputed: ``"balance"`` =
    ``Σ_e comm_e·(s_v − s_u) + memory_weight·max_d Σ_{s_i=d} memory_i``, ``"latency"`` =
    ``max_i s_i + 1``. It is None (with the reasons) when any check fails.

    >>> from dnnsolve.schedule import TaskGraph
    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1])
    >>> schedule_violations(g, {"stage": {"0": 0, "1": 1, "2": 1}}, 2)
    (4.0, [])
    >>> schedule_violations(g, [1, 0, 1], 2)
    (None, ['edge 0 -> 1 goes from stage 1 back to stage 0'])
    """
    ids = [str(i) for i in graph.ids]
    n = len(ids)
    problems: list[str] = []
    if isinstance(solution, dict) and "stage" in solution:
        solution = solution["stage"]
    if isinstance(solution, dict):
        got = {str(k): v for k, v in solution.items()}
        missing = [i for i in ids if i not in got]
        unknown = sorted(set(got) - set(ids))
        if missing:
            problems.append(f"{len(missing)} node(s) without a stage, e.g. {missing[0]}")
        if unknown:
            problems.append(f"stage(s) for unknown node(s), e.g. {unknown[0]}")
        raw = [got.get(i) for i in ids]
    else:
        raw = list(solution) if solution is not None else []
        if len(raw) != n:
            problems.append(f"{len(raw)} stages for {n} nodes")
            raw = (raw + [None] * n)[:n]
    s: list[int | None] = []
    for i, v in zip(ids, raw, strict=True):
        if v is None:
            s.append(None)
        elif isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            problems.append(f"node {i}: stage {v!r} is not an integer")
            s.append(None)
        elif not 0 <= int(v) < stages:
            problems.append(f"node {i}: stage {int(v)} outside 0..{stages - 1}")
            s.append(None)
        else:
            s.append(int(v))
    gap = 1 if strict else 0
    crossed = []
    for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist(), strict=True):
        su, sv = s[u], s[v]
        if su is None or sv is None:
            continue
        if sv - su < gap:
            where = "back to" if sv < su else "to the same"
            problems.append(f"edge {ids[u]} -> {ids[v]} goes from stage {su} {where} stage {sv}")
        crossed.append(float(c) * (sv - su))
    loads: list[list[float]] = [[] for _ in range(stages)]
    for i, w in enumerate(graph.memory.tolist()):
        if s[i] is not None:
            loads[s[i]].append(float(w))
    load = [math.fsum(ws) for ws in loads]
    if capacity is not None:
        for d, x in enumerate(load):
            if x > capacity * (1.0 + 1e-12) + 1e-9:
                problems.append(f"stage {d} holds {x:g} > capacity {capacity:g}")
    if problems:
        keep = 20  # a badly wrong schedule has a reason per edge: list the first ones
        more = [f"... and {len(problems) - keep} more"] if len(problems) > keep else []
        return None, problems[:keep] + more
    if objective == "latency":
        return float(max(s) + 1), []  # type: ignore[type-var]
    return math.fsum(crossed) + memory_weight * max(load), []


def schedule_recheck(graph: Any, stages: int, memory_weight: float = 1.0, **kw: Any):
    """A ``recheck`` for :meth:`SuiteContext.run`: solution → objective, or None if illegal."""

    def recheck(solution: Any) -> float | None:
        return schedule_violations(graph, solution, stages, memory_weight, **kw)[0]

    return recheck


def _agrees(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(b))


# ---------------------------------------------------------------- suite


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
    from ...schedule.baselines import run_baseline
    from ...schedule.family import problem_kwargs
    from ...schedule.problem import SchedulingProblem

    opts = {k: v for k, v in (ctx.options or {}).items() if k in ("stages", "memory_weight")}
    prob = SchedulingProblem(graph, **problem_kwargs(opts))
    # the re-check's own reading of the instance: D from the option or the longest path
    D = option_int(opts["stages"], "stages") if "stages" in opts else _longest_path_nodes(graph)
    recheck = schedule_recheck(graph, D, prob.memory_weight)

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
            objective = run.objective if run.legal else None
            rows.append(
                {
                    **base,
                    "method": name,
                    "objective": objective,
                    "feasible": run.legal,
                    "legal": run.legal,
                    "time_s": run.time_s,
                    "status": run.status,
                    # the baselines' legality and objective come from check_schedule too
                    "recheck": None
                    if objective is None
                    else _agrees(recheck(run.stages), objective),
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
            "mean_objective": mean_of([r.get("objective") for r in rs]),
            "legal_fraction": mean_of([float(bool(r.get("legal"))) for r in rs]),
            # every reported schedule passed the independent re-check
            "recheck_ok": all(r.get("recheck") is not False for r in rs),
            "mean_time_s": mean_of([r.get("time_s") for r in rs]),
            "at_or_below_cpsat": mean_of([float(w) for w in wins]) if wins else None,
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
