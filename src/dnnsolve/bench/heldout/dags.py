"""Held-out task graphs for stage scheduling, unlike the suite's random layered DAGs.

The ``schedule`` suite and the defaults were tuned on :func:`~dnnsolve.schedule.random_layered_dag`
(about 2·log2 n layers, half the memories zero, the rest in [1000, 5000], unit communication).
These generators make other structures:

* ``window`` — random-window DAGs: a hidden random topological order, each node depends on
  1–3 of the 60 nodes before it (memory 0–5000 with 30 % zeros, communication 1–3); deep
  (hundreds of levels), with no layer structure to align stages with;
* ``forkjoin`` — repeated fork / join blocks of parallel chains (pipelined models);
* ``sp`` — random series-parallel DAGs (recursive series and parallel composition);
* ``wide`` / ``deep`` — layered DAGs with few wide layers or many narrow ones;
* ``heavy`` — a random-window DAG whose memories are Pareto distributed (a few nodes hold
  much of the memory, so balancing is hard).

Node ids are shuffled so the numbering never reveals a topological order. Every generator
is a pure function of its arguments (NumPy ``default_rng(seed)``).

>>> g = random_window_dag(300, seed=1)
>>> g.n, bool(g.m >= 299), bool((g.memory == 0).mean() > 0.2)
(300, True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...schedule.graph import TaskGraph
from ..harness import Instance, SuiteContext
from . import SPLIT_SEED, solver_rows

# ---------------------------------------------------------------- generators


def _finish(
    n: int,
    edges: np.ndarray,
    rng: np.random.Generator,
    name: str,
    memory: np.ndarray | None = None,
    zero_fraction: float = 0.3,
) -> TaskGraph:
    """A TaskGraph from edges in generation order: duplicate edges dropped, memories 0–5000
    (``zero_fraction`` zeros) unless given, communication 1–3, node numbers shuffled."""
    e = np.unique(np.asarray(edges, dtype=np.int64).reshape(-1, 2), axis=0)
    if memory is None:
        memory = rng.integers(1, 5001, n).astype(np.float64)
        memory[rng.random(n) < zero_fraction] = 0.0
    comm = rng.integers(1, 4, len(e)).astype(np.float64)
    perm = rng.permutation(n)  # node k of the generation order becomes node perm[k]
    return TaskGraph.from_edges(n, perm[e], memory[np.argsort(perm)], comm, name=name)


def random_window_dag(
    n: int, seed: int, window: int = 60, max_preds: int = 3, heavy: bool = False
) -> TaskGraph:
    """Node k of a hidden order depends on 1..``max_preds`` of the ``window`` nodes before it.

    ``heavy``: Pareto (α = 1.2) memories scaled to a median of about 1000, 30 % zeros.

    >>> g = random_window_dag(500, seed=0)
    >>> bool(g.depth > 20), g.n
    (True, 500)
    """
    rng = np.random.default_rng(seed)
    src, dst = [], []
    for k in range(1, n):
        lo = max(0, k - window)
        cnt = min(int(rng.integers(1, max_preds + 1)), k - lo)
        src.append(rng.choice(np.arange(lo, k), cnt, replace=False))
        dst.append(np.full(cnt, k))
    e = np.stack([np.concatenate(src), np.concatenate(dst)], axis=1)
    memory = None
    if heavy:
        memory = np.round(1000.0 * (rng.pareto(1.2, n) + 1.0) / 1.78)
        memory[rng.random(n) < 0.3] = 0.0
    kind = "heavy" if heavy else "window"
    return _finish(n, e, rng, f"{kind}{n}-s{seed}", memory)


def fork_join_dag(n: int, seed: int, width: tuple[int, int] = (2, 8)) -> TaskGraph:
    """Blocks of a fork node, ``w`` parallel chains (w in ``width``) and a join node, in series.

    >>> g = fork_join_dag(400, seed=2)
    >>> g.n, int((np.bincount(g.src, minlength=g.n) >= 2).sum()) > 5
    (400, True)
    """
    rng = np.random.default_rng(seed)
    edges: list[tuple[int, int]] = []
    prev = 0  # the current join (node 0: the source)
    nxt = 1
    while nxt < n:
        w = int(rng.integers(width[0], width[1] + 1))
        length = int(rng.integers(1, 6))
        if nxt + w * length + 1 > n:  # the rest: one chain to the end
            for v in range(nxt, n):
                edges.append((prev, v))
                prev = v
            break
        tails = []
        for _ in range(w):
            last = prev
            for _ in range(length if rng.random() < 0.5 else int(rng.integers(1, length + 1))):
                edges.append((last, nxt))
                last = nxt
                nxt += 1
            tails.append(last)
        join = nxt
        nxt += 1
        edges += [(t, join) for t in tails]
        prev = join
    return _finish(n, np.array(edges), rng, f"forkjoin{n}-s{seed}")


def series_parallel_dag(n: int, seed: int) -> TaskGraph:
    """A random two-terminal series-parallel DAG on ``n`` nodes.

    Starting from one edge s → t, repeatedly pick an edge u → v and either subdivide it
    (series: u → x → v) or add a parallel path through a new node (u → x → v beside u → v).

    >>> g = series_parallel_dag(300, seed=0)
    >>> g.n, int((np.bincount(g.dst, minlength=g.n) == 0).sum())   # one source
    (300, 1)
    """
    rng = np.random.default_rng(seed)
    src, dst = [0], [1]
    for x in range(2, n):
        i = int(rng.integers(len(src)))
        u, v = src[i], dst[i]
        if rng.random() < 0.5:  # series: replace u → v by u → x → v
            dst[i] = x
        else:  # parallel: keep u → v, add u → x → v
            src.append(u)
            dst.append(x)
        src.append(x)
        dst.append(v)
    # generation order is not topological here; _finish only needs a valid DAG
    return _finish(n, np.stack([src, dst], axis=1), rng, f"sp{n}-s{seed}")


def layered_dag(n: int, layers: int, seed: int, preds: float = 2.0) -> TaskGraph:
    """``layers`` equal layers; each node takes one predecessor in the previous layer plus
    Poisson(``preds`` − 1) more from the two layers before (kind: ``wide`` or ``deep``).

    >>> g = layered_dag(600, 6, seed=0)
    >>> g.depth
    6
    """
    rng = np.random.default_rng(seed)
    bounds = np.linspace(0, n, layers + 1).round().astype(np.int64)
    src, dst = [], []
    for k in range(1, layers):
        lo, hi = bounds[k], bounds[k + 1]
        v = np.arange(lo, hi)
        src.append(rng.integers(bounds[k - 1], lo, len(v)))
        dst.append(v)
        extra = rng.poisson(preds - 1.0, len(v))
        src.append(rng.integers(bounds[max(k - 2, 0)], lo, int(extra.sum())))
        dst.append(np.repeat(v, extra))
    e = np.stack([np.concatenate(src), np.concatenate(dst)], axis=1)
    kind = "wide" if layers * layers < n else "deep"
    return _finish(n, e, rng, f"{kind}{n}-{layers}-s{seed}")


# ---------------------------------------------------------------- independent evaluator


def schedule_value(graph: TaskGraph, stages: np.ndarray, num_stages: int) -> float | None:
    """Communication + peak stage memory of a schedule, None when it is not legal.

    Vectorized NumPy, shares no code with :mod:`dnnsolve.schedule` (the harness's re-check).

    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1], comm=[1, 2])
    >>> schedule_value(g, np.array([0, 1, 0]), 2), schedule_value(g, np.array([1, 0, 1]), 2)
    (4.0, None)
    """
    s = np.asarray(stages)
    if s.shape != (graph.n,) or s.min() < 0 or s.max() >= num_stages:
        return None
    diff = s[graph.dst] - s[graph.src]
    if (diff < 0).any():
        return None
    load = np.bincount(s, weights=graph.memory, minlength=num_stages)
    return float(diff @ graph.comm + load.max())


def _recheck(graph: TaskGraph, num_stages: int) -> Callable[[Any], float | None]:
    index = {nid: i for i, nid in enumerate(graph.ids)}

    def check(solution: Any) -> float | None:
        got = solution.get("stage") if isinstance(solution, dict) else None
        if not isinstance(got, dict) or set(got) != set(index):
            return None
        s = np.zeros(graph.n, dtype=np.int64)
        for nid, st in got.items():
            s[index[nid]] = int(st)
        return schedule_value(graph, s, num_stages)

    return check


# ---------------------------------------------------------------- the instance lists

#: stages of every held-out instance (the issue's case uses 8)
STAGES = 8
#: CP-SAT rows only up to this many nodes (the ILP has n·D binaries)
CPSAT_MAX_N = 600

#: (label, generator of the seed): sizes 300–3000 nodes
FAMILIES: list[tuple[str, Callable[[int], TaskGraph]]] = [
    ("window", lambda s: random_window_dag(3000, s)),
    ("window-small", lambda s: random_window_dag(500, s)),
    ("forkjoin", lambda s: fork_join_dag(1500, s)),
    ("sp", lambda s: series_parallel_dag(1000, s)),
    ("wide", lambda s: layered_dag(2000, 5, s)),
    ("deep", lambda s: layered_dag(1500, 300, s)),
    ("heavy", lambda s: random_window_dag(2000, s, heavy=True)),
    ("sp-small", lambda s: series_parallel_dag(300, s)),
]


def instances(split: str, per_generator: int = 1) -> list[Instance]:
    """``per_generator`` DAGs of each family for ``split`` ("tune": seeds 0–99, "report":
    from 1000), scheduled into :data:`STAGES` stages."""
    out = []
    for label, make in FAMILIES:
        for k in range(per_generator):
            seed = SPLIT_SEED[split] + k
            meta = {
                "problem": "schedule",
                "family": "schedule",
                "generator": label,
                "split": split,
                "seed": seed,
                "stages": STAGES,
            }
            out.append(Instance(f"schedule-{label}-s{seed}", lambda m=make, s=seed: m(s), meta))
    return out


def rows(inst: Instance, loaded: TaskGraph, ctx: SuiteContext, ablation: bool) -> list[dict]:
    """default / baseline (the best of list scheduling and the topological partitions: greedy
    fill and DP-optimal, over three orders) and, with ``ablation``, network-only,
    random+polish, baseline+polish and (small n) CP-SAT; also ``topo`` (the greedy fill of
    the level order alone) and ``list`` (list scheduling alone)."""
    D = int(inst.meta.get("stages", STAGES))
    check = _recheck(loaded, D)
    out = solver_rows(
        ctx,
        "schedule",
        loaded,
        sense="min",
        recheck=check,
        ablation=ablation,
        options={"stages": D},
    )
    # the two classical heuristics on their own (the "baseline" row is the better of them
    # and of the DP-optimal partitions): the greedy fill of the level order and list scheduling
    todo = ["topo", "list"] + (["cpsat"] if ablation and loaded.n <= CPSAT_MAX_N else [])
    for name in todo:
        out.append(_baseline_row(name, loaded, D, ctx))
    return out


def _baseline_row(name: str, graph: TaskGraph, D: int, ctx: SuiteContext) -> dict:
    """A row for one of :mod:`dnnsolve.schedule.baselines`, re-checked by :func:`schedule_value`."""
    import time

    from ...schedule.baselines import run_baseline

    kw: dict[str, Any] = {"stages": D}
    if name == "cpsat":
        kw.update(time_limit=ctx.time_limit, seed=ctx.seed)
    t0 = time.perf_counter()
    run = run_baseline(name, graph, **kw)
    ok = run.stages is not None and run.legal
    value = schedule_value(graph, run.stages, D) if ok else None
    return {
        "variant": name,
        "objective": run.objective if ok else None,
        "sense": "min",
        "feasible": ok,
        "time_s": time.perf_counter() - t0,
        "found_by": f"{name} ({run.status})",
        "recheck": None if not ok else value is not None and abs(value - run.objective) < 1e-6,
        "error": None,
    }
