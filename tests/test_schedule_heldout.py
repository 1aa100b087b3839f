"""Held-out DAGs, the topological-partition baselines and the never-worse guarantee.

Objectives and legality are recomputed here with plain NumPy / NetworkX, never with the
package's own checker.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.bench.heldout import dags
from dnnsolve.schedule import SchedulingProblem, TaskGraph
from dnnsolve.schedule.baselines import (
    fill_partition,
    list_schedule,
    partition_order,
    topological_orders,
    topological_partition,
)
from dnnsolve.schedule.gumbel import ConstrainedGumbel

D = 8


def value(graph: TaskGraph, s, stages: int = D) -> float | None:
    """comm + peak memory, None when a precedence is violated or a stage is out of range."""
    s = np.asarray(s, dtype=np.int64)
    if s.shape != (graph.n,) or s.min() < 0 or s.max() >= stages:
        return None
    comm, load = 0.0, [0.0] * stages
    for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
        if s[v] < s[u]:
            return None
        comm += c * (s[v] - s[u])
    for i, m in enumerate(graph.memory.tolist()):
        load[s[i]] += m
    return comm + max(load)


def is_topological(graph: TaskGraph, order) -> bool:
    pos = np.empty(graph.n, dtype=np.int64)
    pos[np.asarray(order)] = np.arange(graph.n)
    return sorted(np.asarray(order).tolist()) == list(range(graph.n)) and bool(
        (pos[graph.src] < pos[graph.dst]).all()
    )


# ------------------------------------------------------------------ generators


def test_random_window_shape():
    g = dags.random_window_dag(600, seed=3)
    indeg = np.bincount(g.dst, minlength=g.n)
    assert g.n == 600 and nx.is_directed_acyclic_graph(g.to_networkx())
    assert (indeg == 0).sum() == 1 and indeg.max() <= 3 and indeg.min() == 0
    assert 0.2 < (g.memory == 0).mean() < 0.4 and g.memory.max() <= 5000
    assert set(np.unique(g.comm).tolist()) <= {1.0, 2.0, 3.0}
    assert (g.src > g.dst).any()  # ids shuffled: numbering is no topological order
    # every edge spans at most 60 nodes of some topological order: the depth is large
    assert g.depth > 600 / 60
    h = dags.random_window_dag(600, seed=3, heavy=True)
    nz = h.memory[h.memory > 0]
    assert nz.max() > 20 * np.median(nz)  # heavy tail


def test_fork_join_and_layered_shape():
    g = dags.fork_join_dag(500, seed=1)
    G = g.to_networkx()
    assert g.n == 500 and nx.is_directed_acyclic_graph(G)
    src = [v for v in G if G.in_degree(v) == 0]
    snk = [v for v in G if G.out_degree(v) == 0]
    assert len(src) == 1 and len(snk) == 1
    assert sum(G.out_degree(v) >= 2 for v in G) > 10  # forks
    assert sum(G.in_degree(v) >= 2 for v in G) > 10  # joins
    w = dags.layered_dag(1000, 5, seed=0)
    d = dags.layered_dag(900, 150, seed=0)
    assert w.depth == 5 and d.depth == 150


def test_series_parallel_reduces_to_one_edge():
    g = dags.series_parallel_dag(80, seed=4)
    G = nx.DiGraph(g.to_networkx())
    changed = True
    while changed:  # series reductions (parallel ones are implicit in a DiGraph)
        changed = False
        for v in list(G):
            if G.in_degree(v) == 1 and G.out_degree(v) == 1:
                (u,), (w,) = list(G.predecessors(v)), list(G.successors(v))
                G.remove_node(v)
                G.add_edge(u, w)
                changed = True
    assert G.number_of_nodes() == 2 and G.number_of_edges() == 1


def test_instances_contract():
    tune, report = dags.instances("tune"), dags.instances("report")
    assert len(tune) == len(report) == len(dags.FAMILIES)
    for inst in report:
        assert inst.meta["problem"] == "schedule" and inst.meta["seed"] >= 1000
        assert inst.meta["split"] == "report"
    for inst in tune:
        assert inst.meta["seed"] < 100
    g = report[-1].load()
    assert 300 <= g.n <= 3000


# ------------------------------------------------------------------ baselines


@pytest.mark.parametrize("seed", [0, 1])
def test_partitions_are_legal_and_contiguous(seed):
    g = dags.random_window_dag(400, seed=seed)
    for name, order in topological_orders(g).items():
        assert is_topological(g, order), name
        for s in (fill_partition(g, order, D), partition_order(g, order, D)):
            assert value(g, s) is not None
            assert (np.diff(s[order]) >= 0).all()  # stages never decrease along the order
    f = fill_partition(g, g.order, D)
    share = g.memory.sum() / D
    loads = np.bincount(f, weights=g.memory, minlength=D)
    # every stage but the last stays within the share plus the node that closes it
    assert (loads[:-1] <= share + g.memory.max()).all()


def test_partition_dp_is_optimal_on_tiny_orders():
    rng = np.random.default_rng(7)
    for trial in range(5):
        n, stages = 9, 3
        g = dags.random_window_dag(n, seed=trial, window=4)
        g.memory = rng.integers(0, 6, n).astype(float)
        order = topological_orders(g)["fifo"]
        best = min(
            value(g, np.searchsorted(np.array(b), np.argsort(order), side="right"), stages)
            for b in itertools.combinations_with_replacement(range(n + 1), stages - 1)
        )
        got = value(g, partition_order(g, order, stages, grid=200), stages)
        assert got == pytest.approx(best)


def test_topological_partition_beats_the_fill():
    g = dags.random_window_dag(1500, seed=11)
    fill = value(g, topological_partition(g, D, dp=False).stages)
    dp = topological_partition(g, D)
    assert dp.legal and value(g, dp.stages) == pytest.approx(dp.objective)
    assert dp.objective <= fill


def test_baseline_candidates_are_legal_and_sorted():
    g = dags.series_parallel_dag(300, seed=2)
    prob = SchedulingProblem(g, stages=D)
    z = prob.baseline(None)
    vals = [value(g, row) for row in z.numpy()]
    assert all(v is not None for v in vals) and vals == sorted(vals)
    assert vals[0] <= value(g, list_schedule(g, D).stages)


# ------------------------------------------------------------------ never worse


@pytest.mark.parametrize(
    "make",
    [
        lambda: dags.random_window_dag(300, seed=1001),
        lambda: dags.series_parallel_dag(300, seed=1001),
        lambda: dags.fork_join_dag(300, seed=1001),
        lambda: dags.layered_dag(300, 60, seed=1001),
    ],
)
def test_default_never_worse_than_the_baselines(make):
    g = make()
    r = solve("schedule", g, device="cpu", seed=0, time_limit=3.0, options={"stages": D})
    got = value(g, r.solution_array)
    assert got is not None and got == pytest.approx(r.objective)
    fill = value(g, fill_partition(g, g.order, D))
    lst = value(g, list_schedule(g, D).stages)
    # the level order's DP partition always runs inside the budget (further orders may not)
    dp = value(g, partition_order(g, g.order, D))
    assert got <= min(fill, lst, dp) + 1e-9
    assert r.found_by in ("baseline", "baseline+local_search", "network", "local_search")
    assert r.extra["baseline"]["objective"] <= min(fill, lst) + 1e-9


def test_iterated_local_search_keeps_legal_and_never_worsens():
    g = dags.random_window_dag(300, seed=5)
    prob = SchedulingProblem(g, stages=D)
    z0 = prob.baseline(None)[:3]
    z = prob.local_search(z0.clone(), 1.0, torch.Generator().manual_seed(0))
    for a, b in zip(z0.numpy(), z.numpy()):
        assert value(g, b) is not None and value(g, b) <= value(g, a)


def test_gumbel_warm_start_reproduces_the_schedule():
    g = dags.random_window_dag(200, seed=6)
    s = topological_partition(g, D).stages
    p = ConstrainedGumbel(g, D, restarts=4, generator=torch.Generator().manual_seed(0))
    prob = SchedulingProblem(g, stages=D)
    assert p.warm_start_(torch.tensor([0, 2]), prob.relax(torch.as_tensor(s)[None]).repeat(2, 1, 1))
    with torch.no_grad():
        z = p().argmax(-1)
    assert (z[0].numpy() == s).all()  # even restarts decode noise-free


def test_heldout_rows_recheck():
    from dnnsolve.bench.harness import SuiteContext

    inst = dags.Instance("t", lambda: dags.random_window_dag(300, seed=1002), {"stages": D})
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=2.0, seed=0)
    rows = dags.rows(inst, inst.load(), ctx, ablation=False)
    by = {r["variant"]: r for r in rows}
    assert set(by) == {"default", "baseline", "topo", "list"}
    assert all(r["recheck"] is True and r["feasible"] for r in rows)
    assert by["default"]["objective"] <= by["baseline"]["objective"]
    assert by["baseline"]["objective"] <= min(by["topo"]["objective"], by["list"]["objective"])


@pytest.mark.slow
def test_heldout_rows_ablation():
    from dnnsolve.bench.harness import SuiteContext

    inst = dags.Instance("t", lambda: dags.series_parallel_dag(300, seed=1003), {"stages": D})
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=3.0, seed=0)
    rows = dags.rows(inst, inst.load(), ctx, ablation=True)
    names = {r["variant"] for r in rows}
    assert {"default", "baseline", "network-only", "random+polish", "baseline+polish"} <= names
    assert "cpsat" in names
    assert all(r["recheck"] is not False for r in rows)
