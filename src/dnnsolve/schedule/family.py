"""The ``schedule`` family (differentiable DAG stage scheduling): options, methods, runner.

Methods:

* ``gumbel`` (default) — the constrained Gumbel-softmax scheduler of Liu et al.
  (ICML 2024): logits (B, n, D), legal straight-through samples, Adam on
  expected communication + memory balance (see :mod:`dnnsolve.schedule`);
* ``softmax`` — free softmax logits, the same loss, legality restored by decoding;
* ``list``, ``topo`` (greedy fill of a topological order up to Σm/D), ``topo-dp`` (the best
  DP-optimal contiguous partition of a few topological orders), ``cpsat``, ``highs`` — the
  classical references of
  :mod:`dnnsolve.schedule.baselines` (CP-SAT and HiGHS time-limited), returned as
  the same kind of :class:`~dnnsolve.core.result.Result`.

Options (``options=`` / ``--option key=value``): ``stages`` (D, default the
longest path), ``objective`` (balance | latency), ``memory_weight`` (w),
``capacity`` (per-stage resource cap), ``strict`` (s_u < s_v), ``tau`` and
``noise`` (Gumbel temperature / noise scale), ``workers`` (CP-SAT threads).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core.callbacks import Callback
from ..core.device import device_name
from ..core.errors import InputError
from ..core.result import Result
from ..core.solver import Solver, SolverConfig
from ..family import Options, at_least, non_negative, one_of, option, positive
from ..methods import BuildContext, Method, SolverOptions, register, register_problem
from ..params.coloring import FreeLogits
from .baselines import BASELINES, run_baseline
from .graph import TaskGraph, as_task_graph
from .gumbel import ConstrainedGumbel
from .problem import SchedulingProblem

_TRUE = ("1", "true", "yes", "on")


def _opt_float(options: Mapping[str, Any], key: str, default: float | None) -> float | None:
    val = options.get(key, default)
    if val is None:
        return None
    try:
        return float(val)
    except (TypeError, ValueError):
        raise InputError(f"option {key} must be a number, got {val!r}") from None


def _opt_int(options: Mapping[str, Any], key: str) -> int | None:
    val = options.get(key)
    if val is None:
        return None
    try:
        f = float(val)
    except (TypeError, ValueError):
        raise InputError(f"option {key} must be an integer, got {val!r}") from None
    if not f.is_integer():
        raise InputError(f"option {key} must be an integer, got {val!r}")
    return int(f)


def problem_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`SchedulingProblem` keyword arguments named by ``options``.

    >>> problem_kwargs({"stages": "4", "strict": "yes"})["stages"]
    4
    """
    return {
        "stages": _opt_int(options, "stages"),
        "objective": str(options.get("objective", "balance")),
        "memory_weight": _opt_float(options, "memory_weight", 1.0),
        "capacity": _opt_float(options, "capacity", None),
        "strict": str(options.get("strict", False)).lower() in _TRUE,
    }


def build_problem(graph: TaskGraph, ctx: BuildContext) -> SchedulingProblem:
    """A :class:`SchedulingProblem` on ``ctx.device`` with the options of ``ctx``."""
    return SchedulingProblem(graph, device=ctx.device, **problem_kwargs(ctx.options))


def _latency_guess(graph: TaskGraph, prob: SchedulingProblem) -> int:
    """Stages a latency schedule likely needs: Σm / C (non-strict) or the depth (strict)."""
    if prob.strict or prob.capacity is None:
        return graph.depth
    return max(math.ceil(graph.total_memory / prob.capacity), 1)


def _load(instance: Any, format: str | None) -> TaskGraph:
    return as_task_graph(instance, format)


def run_schedule(
    method: Method,
    graph: TaskGraph,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """Runner of ``schedule``: the gradient methods through the Solver, baselines directly."""
    if method.name not in BASELINES:
        prob, param = method.build(graph, ctx)
        res = Solver(config, callbacks).solve(
            prob, param, method=method.name, extra={"options": ctx.options}
        )
        res.extra["stages"] = prob.stages
        return res
    prob = build_problem(graph, ctx)  # validates the options like the gradient methods
    kw = dict(
        stages=prob.stages,
        objective=prob.objective,
        memory_weight=prob.memory_weight,
        capacity=prob.capacity,
        strict=prob.strict,
    )
    if method.name not in ("list", "topo"):
        kw["time_limit"] = config.time_limit if config.time_limit is not None else 10.0
    if method.name == "cpsat":
        kw["workers"] = _opt_int(ctx.options, "workers") or 1
        kw["seed"] = config.seed or 0
    t0 = time.perf_counter()
    run = run_baseline(method.name, graph, **kw)
    sol = run.stages if run.stages is not None else np.zeros(graph.n, dtype=np.int64)
    objective, feasible = prob.verify(sol)
    if run.stages is None:
        objective, feasible = None, False
    res = Result(
        problem="schedule",
        instance=graph.name,
        method=method.name,
        objective=objective,
        feasible=feasible,
        solution=prob.solution_output(sol),
        time_s=time.perf_counter() - t0,
        device=device_name(torch.device("cpu")),
        seed=config.seed,
        sense="min",
        found_by=method.name,
        stop_reason=run.status,
        restarts=1,
        extra={
            "solver_status": run.status,
            # CP-SAT's / HiGHS's own bound (the certified one is ``bound`` at the top level,
            # its figures in extra["bound"])
            "solver_bound": run.bound,
            "stages": prob.stages,
            "options": ctx.options,
            "config": dataclasses.asdict(config),
        },
    )
    if feasible and run.status.lower() == "optimal":
        res.status = "optimal"  # CP-SAT / HiGHS proved it; otherwise feasible / infeasible
    if run.stages is None:
        res.extra["infeasible_reason"] = f"{method.name} found no schedule ({run.status})"
    res.solution_array = sol
    return res


@dataclasses.dataclass(kw_only=True)
class ScheduleOptions(SolverOptions):
    """Solver options with the scheduling problem's own (see the module docstring)."""

    stages: int | None = option(
        None, "Number of stages D (default: the DAG's depth).", check=at_least(1), short="-D"
    )
    objective: str = option(
        "balance",
        "balance (comm + w·peak memory) or latency (needs --capacity).",
        check=one_of("balance", "latency"),
    )
    memory_weight: float = option(
        1.0, "w: weight of the peak per-stage memory.", check=non_negative
    )
    capacity: float | None = option(
        None, "Per-stage resource capacity (a hard constraint).", check=positive
    )
    strict: bool = option(False, "Successors run in a later stage (s_u < s_v).")
    report: Path | None = option(None, "Write a Gantt-style figure (.png, .pdf, .svg) here.")

    def builder_options(self) -> dict[str, Any]:
        """The problem's settings: a field set away from its default wins over the same key
        in ``options`` (the older spelling, ``options={"stages": 4}``), which wins over the
        default."""
        own = {}
        for f in dataclasses.fields(ScheduleOptions):
            if f.name in _OWN:
                value = getattr(self, f.name)
                if value != f.default or f.name not in self.options:
                    own[f.name] = value
        return {**self.options, **{k: v for k, v in own.items() if v is not None}}


_OWN = ("stages", "objective", "memory_weight", "capacity", "strict")


def _write_report(result: Result, opts: Options) -> list[str]:
    """The Gantt-style figure ``--report`` asks for."""
    assert isinstance(opts, ScheduleOptions)
    if opts.report is None or result.solution_array is None:
        return []
    from ..schedule.report import write_schedule_figure

    write_schedule_figure(
        opts.report,
        result.instance_data,
        result.solution_array,
        num_stages=result.solution["num_stages"],
        capacity=opts.capacity,
        title=str(result.instance),
    )
    return [str(opts.report)]


def _bound(graph: TaskGraph, result: Result, deadline: float):
    """The certified lower bound of a schedule's optimum (:mod:`dnnsolve.bounds.schedule`),
    for the stages, objective, weight, capacity and precedence the answer was found under."""
    from ..bounds.schedule import schedule_bound

    sol = result.solution
    kw = problem_kwargs(result.extra.get("options") or {})
    parts = sol["parts"]
    return schedule_bound(
        graph.n,
        graph.src,
        graph.dst,
        graph.memory,
        graph.comm,
        graph.ids,
        stages=int(sol["num_stages"]),
        objective=sol["objective_kind"],
        memory_weight=float(parts["memory_weight"]),
        capacity=parts["capacity"],
        strict=kw["strict"],
        deadline=deadline,
    )


def _rows(result: Result) -> list[tuple[str, str]]:
    sol = result.solution
    parts = sol["parts"]
    return [
        ("instance", str(result.instance)),
        ("method", result.method),
        ("status", str(result.status)),
        ("stages", str(sol["num_stages"])),
        ("objective", "–" if result.objective is None else f"{result.objective:g}"),
        ("communication", f"{parts['communication']:g}"),
        ("peak memory", f"{parts['peak_memory']:g}"),
        ("legal", "yes" if sol["legal"] else "no"),
        ("time s", f"{result.time_s:.2f}"),
    ]


register_problem(
    "schedule",
    "Stage scheduling of a DAG (communication + memory balance, or latency under a capacity); "
    "GML, GraphML, edge list.",
    formats="gml, graphml, el",
    loader=_load,
    runner=run_schedule,
    options=ScheduleOptions,
    baseline="list",
    example=("schedule_example.gml", {"stages": 4, "time_limit": 5.0}),
    write=_write_report,
    rows=_rows,
    bound=_bound,
)


@register(
    "schedule",
    "gumbel",
    "Constrained Gumbel-softmax (ICML'24): legal straight-through samples, Adam on "
    "expected communication + memory balance",
    default=True,
    restarts=16,
    steps=500,
    lr=[0.1, 0.3],
    eval_every=10,
    patience=20,
    # half the time for the iterated local search, and half the restarts warm-started from
    # the classical partition: on deep DAGs of thousands of nodes the network gets tens of
    # steps, and the polish from the baseline is what improves on it (BENCHMARKS.md)
    polish_fraction=0.5,
    warm_start=0.5,
    polish_top=None,  # every restart: the batched local search is cheap
)
def _gumbel(graph: TaskGraph, ctx: BuildContext):
    prob = build_problem(graph, ctx)
    param = ConstrainedGumbel(
        graph,
        prob.stages,
        ctx.restarts,
        tau=_opt_float(ctx.options, "tau", 1.0) or 1.0,
        noise=_opt_float(ctx.options, "noise", 1.0) or 0.0,
        strict=prob.strict,
        device=ctx.device,
        generator=ctx.generator,
        levels=prob.levels,
        spread_over=_latency_guess(graph, prob) if prob.objective == "latency" else None,
        # start every restart memory-balanced: level-proportional starts leave deep DAGs'
        # stages far apart in memory, and single-node moves cannot even them out
        balance_memory=prob.objective == "balance",
    )
    return prob, param


@register(
    "schedule",
    "softmax",
    "Free softmax logits (B, n, D), same loss, legality restored by level-wise decoding",
    restarts=16,
    steps=500,
    lr=[0.1, 0.3],
    eval_every=10,
    patience=20,
    polish_fraction=0.15,
    polish_top=None,  # every restart: the batched local search is cheap
)
def _softmax(graph: TaskGraph, ctx: BuildContext):
    prob = build_problem(graph, ctx)
    param = FreeLogits(
        graph.n, prob.stages, ctx.restarts, init_std=0.1, device=ctx.device, generator=ctx.generator
    )
    with torch.no_grad():  # peaked at the level-proportional stage, like the Gumbel init
        target = torch.as_tensor(graph.level * (prob.stages - 1) / max(graph.depth - 1, 1))
        d = torch.arange(prob.stages, dtype=torch.float64)
        bias = -(d[None, :] - target.round()[:, None]).abs()
        param.theta.add_(bias.to(param.theta.dtype).to(ctx.device))
    return prob, param


def _baseline_builder(graph: TaskGraph, ctx: BuildContext):
    raise InputError("baseline methods run through run_schedule, not the Solver")


for _name, _desc in (
    ("list", "List scheduling in topological order (greedy comm + peak memory)"),
    ("topo", "Topological partition: fill stages in level order up to Σm/D"),
    ("topo-dp", "Best DP-optimal contiguous partition of a few topological orders"),
    ("cpsat", "The paper's ILP with OR-Tools CP-SAT, time-limited (--time-limit, default 10 s)"),
    ("highs", "The paper's ILP with HiGHS via scipy.optimize.milp, time-limited"),
):
    register("schedule", _name, _desc)(_baseline_builder)


__all__ = ["build_problem", "problem_kwargs", "run_schedule"]
