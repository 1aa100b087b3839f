"""The ``training-step`` suite: what one first-order training step of the solver costs.

A microbenchmark of the loop every network method shares (``Solver``'s forward, loss,
divergence check, backward, optimizer step and projection), on a few representative methods
and instances built by their registered builders:

* ``maxcut-relaxed`` — MaxCut, free spins (one (B, n) tensor), Adam, 64 restarts, on a
  G(n, p) graph with Gset G22's mean degree (≈ 20) and, by default, its size n = 2000
  (``--option n=N``);
* ``maxcut-pignn`` — MaxCut, PI-GNN (five parameter tensors per restart), Adam, 16 restarts;
* ``mis-pcqo`` — MIS, pCQO-MIS (box-clamped free variables, momentum, two loss
  hyper-parameters), 32 restarts, on graph 0 of the ER-[700-800] suite (p = 0.15);
* ``color-potts`` — graph colouring, Potts relaxation ((B, n, q) logits), Adam, 8 restarts, on
  the same G(n, p) graph with q = DSatur's colour count;
* ``mis-pcqo-gnp`` — pCQO-MIS on the G(n, p) graph of the MaxCut rows: the MIS step at any
  size (``--option n=1000000`` for the share of a GPU's memory bandwidth it reaches).

Each row times ``steps`` training steps (``--option steps=K``, default 200) ``repeats`` times
(``--option repeats=R``, default 3, after one untimed warm-up block) with no evaluation in
between, and reports the median and best milliseconds per step, steps per second and the
optimizer's share (CPU). ``kernels_per_step`` (innermost ATen calls that compute, views and
metadata left out: a proxy for kernel launches) and ``reads_per_step`` (device values read on
the host: ``item``, ``float``, ``bool``) come from the torch profiler over ten more steps;
``optimizer_kernels`` counts the optimizer step's kernels alone. ``--option threads=T`` sets
torch's thread count for the run; ``--option compile=MODE`` compiles the step's forward pass
and loss with ``torch.compile`` (``default``, ``reduce-overhead`` — CUDA graphs on a GPU —,
``max-autotune``; compilation falls in the untimed warm-up block).

Timings depend on the machine and its load: compare rows from one machine, and before / after
a change by running the suite twice, interleaved
(``dnnsolve bench training-step --device cpu --option threads=1``).

>>> import tempfile
>>> from pathlib import Path
>>> from dnnsolve.bench import run_suite
>>> rep = run_suite("training-step", instances="maxcut-relaxed", device="cpu", progress=False,
...                 options={"steps": 2, "repeats": 1, "n": 100}, out=Path(tempfile.mkdtemp()))
>>> row = rep.rows[0]
>>> row["tensors"], row["reads_per_step"], row["steps_per_s"] > 0
(1, 1.0, True)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ...core.errors import InputError
from ..generators import er_suite_graph, erdos_renyi
from ..harness import Instance, Suite, SuiteContext, mean_of, option_int, register_suite

#: edge probability of a G(n, p) graph as dense as Gset G22 (2000 vertices, 19990 edges)
G22_DENSITY = 2 * 19990 / (2000 * 1999)
G22_N = 2000
_PROFILED_STEPS = 10
_METHOD = "train"


@dataclass(frozen=True)
class Case:
    """One benchmarked method: the problem and method to build, and on which graph."""

    problem: str
    method: str
    graph: Callable[[int, int], Any]  # (n, seed) → Graph
    options: Callable[[Any], dict] = lambda graph: {}


def _gset_like(n: int, seed: int):
    """G(n, p) with G22's mean degree: G22's size and density at n = 2000."""
    p = min(1.0, G22_DENSITY * (G22_N - 1) / max(n - 1, 1))
    return erdos_renyi(n, p, seed, name=f"gnp-{n}")


def _dsatur_colors(graph: Any) -> dict:
    from ...baselines.coloring import dsatur

    return {"colors": max(int(dsatur(graph).objective), 1)}


CASES: dict[str, Case] = {
    "maxcut-relaxed": Case("maxcut", "relaxed", _gset_like),
    "maxcut-pignn": Case("maxcut", "pignn", _gset_like),
    "mis-pcqo": Case("mis", "pcqo", lambda n, seed: er_suite_graph(0, seed)),
    "color-potts": Case("color", "potts", _gset_like, _dsatur_colors),
    "mis-pcqo-gnp": Case("mis", "pcqo", _gset_like),
}


def _settings(ctx: SuiteContext) -> dict[str, Any]:
    opts = ctx.options or {}
    out: dict[str, Any] = {"steps": 200, "repeats": 3, "n": 2000, "threads": 0}
    for key in out:
        if key in opts:
            out[key] = option_int(opts[key], key, low=0 if key == "threads" else 1)
    out["compile"] = _compile_mode(opts.get("compile"))
    unknown = set(opts) - set(out)
    if unknown:
        raise InputError(
            f"unknown option(s) {', '.join(sorted(unknown))} for training-step; "
            f"choose from {', '.join(out)}"
        )
    return out


def _compile_mode(value: Any) -> str | None:
    """``--option compile=MODE``: a torch.compile mode for the step, or none (eager)."""
    from ...core.training import COMPILE_MODES

    if value in (None, "", "none", "eager"):
        return None
    if value not in COMPILE_MODES:
        raise InputError(
            f"--option compile must be none or one of {', '.join(COMPILE_MODES)}, got {value!r}"
        )
    return str(value)


def _instances(ctx: SuiteContext) -> list[Instance]:
    n, seed = _settings(ctx)["n"], ctx.seed
    return [
        Instance(name, lambda case=case: case.graph(n, seed), {"case": name})
        for name, case in CASES.items()
    ]


def _fresh_run(case: Case, graph: Any, ctx: SuiteContext):
    """The solver's run state for ``case`` on ``graph``: built as a solve builds it, with
    evaluations, patience, time limit, baseline and polish off (only steps are timed)."""
    from ...core.seeding import isolated_global_rng
    from ...core.solver import Solver, SolverConfig, _Run
    from ...methods import BuildContext, get_method

    method = get_method(case.problem, case.method)
    never = 10**9  # no evaluation is ever due, no schedule moves
    cfg = SolverConfig(**{**method.settings(graph), "steps": never, "eval_every": never,
                          "patience": None, "time_limit": None, "baseline": False,
                          "polish": False, "perturb_every": None, "exploit_every": None,
                          "lbfgs_steps": 0, "seed": ctx.seed,
                          "compile": _settings(ctx)["compile"]})  # fmt: skip
    gen = torch.Generator(device=ctx.device).manual_seed(ctx.seed)
    build = BuildContext(cfg.restarts, ctx.device, gen, case.options(graph), None)
    with isolated_global_rng(ctx.seed, ctx.device):
        problem, param = method.build(graph, build)
    return _Run(Solver(cfg), problem, param, [], ctx.seed), cfg


def _train(run: Any, first: int, last: int) -> None:
    """Steps ``first`` … ``last`` of the training loop's body (:meth:`_Run.train`)."""
    for step in range(first, last + 1):
        run.step = step
        if run._step(step / run.cfg.steps):
            run._after_step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _OptimizerClock:
    """Wraps ``run.opt.step`` in a profiler range and, on the CPU, times it (on an
    accelerator timing it would add the very waits the loop avoids)."""

    name = "dnnsolve.optimizer_step"

    def __init__(self, opt: Any, device: torch.device):
        self.seconds: float | None = 0.0 if device.type == "cpu" else None
        step = opt.step

        def timed(lr: torch.Tensor) -> None:
            t0 = time.perf_counter()
            with torch.profiler.record_function(self.name):
                step(lr)
            if self.seconds is not None:
                self.seconds += time.perf_counter() - t0

        opt.step = timed


def _time_steps(run: Any, steps: int, repeats: int, device: torch.device) -> dict:
    """Median and best ms per step over ``repeats`` blocks, after one warm-up block."""
    clock = _OptimizerClock(run.opt, device)
    per_step, opt_share = [], []
    done = 0
    for block in range(repeats + 1):
        clock.seconds = None if clock.seconds is None else 0.0
        _sync(device)
        t0 = time.perf_counter()
        _train(run, done + 1, done + steps)
        _sync(device)
        elapsed = time.perf_counter() - t0
        done += steps
        if block:  # the first block warms up caches, lazily built operators and the allocator
            per_step.append(1000.0 * elapsed / steps)
            if clock.seconds is not None:
                opt_share.append(clock.seconds / elapsed)
    return {
        "ms_per_step": statistics.median(per_step),
        "ms_per_step_best": min(per_step),
        "steps_per_s": 1000.0 / statistics.median(per_step),
        "optimizer_share": statistics.median(opt_share) if opt_share else None,
        "steps_timed": done,
        "time_s": elapsed * (repeats + 1),
    }


#: ATen operators that launch no computation: views, metadata, allocation, dispatch wrappers
_NO_KERNEL = frozenset(
    "aten::" + name
    for name in (
        "view", "alias", "as_strided", "_reshape_alias", "reshape", "slice", "select", "expand",
        "t", "numpy_T", "transpose", "permute", "unsqueeze", "squeeze", "detach", "lift_fresh",
        "empty", "empty_like", "empty_strided", "result_type", "to", "contiguous", "item",
        "is_nonzero", "_unsafe_view", "flatten", "unflatten", "resolve_conj", "resolve_neg",
        "_local_scalar_dense",
    )
)  # fmt: skip


def _kernels(events: list) -> list:
    """The ATen calls that compute something: innermost calls, less views and metadata."""
    return [
        e
        for e in events
        if e.name.startswith("aten::")
        and e.name not in _NO_KERNEL
        and not any(c.name.startswith("aten::") for c in e.cpu_children)
    ]


def _count_kernels(run: Any, first: int) -> dict:
    """Kernels, host reads and the optimizer's kernels per step, over a few profiled steps."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        _train(run, first, first + _PROFILED_STEPS - 1)
    events = list(prof.events())
    kernels = _kernels(events)
    spans = [
        (e.thread, e.time_range.start, e.time_range.end)
        for e in events
        if e.name == _OptimizerClock.name
    ]
    in_optimizer = sum(
        any(t == e.thread and a <= e.time_range.start <= b for t, a, b in spans) for e in kernels
    )
    reads = sum(e.name == "aten::_local_scalar_dense" for e in events)
    return {
        "kernels_per_step": len(kernels) / _PROFILED_STEPS,
        "optimizer_kernels": in_optimizer / _PROFILED_STEPS,
        "reads_per_step": reads / _PROFILED_STEPS,
    }


def _rows(inst: Instance, graph: Any, methods: dict, ctx: SuiteContext) -> list[dict]:
    settings = _settings(ctx)
    case = CASES[inst.name]
    threads = torch.get_num_threads()
    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    row: dict[str, Any] = {"instance": inst.name, "method": _METHOD, "n": graph.n, "m": graph.m}
    try:
        run, cfg = _fresh_run(case, graph, ctx)
        params = [p for p in run.param.parameters() if p.requires_grad]
        row.update(
            family=f"{case.problem}/{case.method}",
            compile=cfg.compile or "eager",
            optimizer=cfg.optimizer,
            restarts=cfg.restarts,
            tensors=len(params),
            parameters=sum(p.numel() for p in params),
            threads=torch.get_num_threads(),
        )
        timing = _time_steps(run, settings["steps"], settings["repeats"], ctx.device)
        row.update(timing)
        row.update(_count_kernels(run, timing["steps_timed"] + 1))
        row.update(nan_resets=run.nan_reset.count, error=None)
    except Exception as exc:  # a row per instance, as the other suites
        row.update(error=f"{type(exc).__name__}: {exc}")
    finally:
        torch.set_num_threads(threads)
    return [row]


COLUMNS = ("instance", "family", "compile", "optimizer", "restarts", "n", "m", "tensors", "parameters",
           "threads", "ms_per_step", "ms_per_step_best", "steps_per_s", "optimizer_share",
           "kernels_per_step", "optimizer_kernels", "reads_per_step", "error")  # fmt: skip


def _summary(rows: list[dict]) -> dict:
    ok = [r for r in rows if not r.get("error")]
    return {
        "methods": {
            _METHOD: {
                "instances": len(ok),
                "mean_ms_per_step": mean_of([r["ms_per_step"] for r in ok]),
                "mean_kernels_per_step": mean_of([r["kernels_per_step"] for r in ok]),
                "mean_reads_per_step": mean_of([r["reads_per_step"] for r in ok]),
            }
        },
        "steps_per_s": {r["instance"]: round(r["steps_per_s"], 1) for r in ok},
    }


SUITE = register_suite(
    Suite(
        "training-step",
        ("training-step",),
        "Cost of one training step of the solver (forward, loss, divergence check, backward, "
        "optimizer, projection) for representative methods: ms per step, steps/s, the "
        "optimizer's share, ATen calls and host reads per step (torch profiler)",
        None,
        60.0,
        COLUMNS,
        instances=_instances,
        rows=_rows,
        summarize=_summary,
        methods=(_METHOD,),
        default_methods=(_METHOD,),
    )
)
