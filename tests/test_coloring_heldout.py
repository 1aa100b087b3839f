"""Colouring on held-out graphs: never worse than DSatur, planted colourings found at k,
the sequential Tabucol / HEA kernels, the held-out generator module and its ablation rows.

Every colouring is re-checked here with NumPy over the edge list, never with solver code.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.coloring import dsatur
from dnnsolve.bench.harness import Instance, SuiteContext
from dnnsolve.bench.heldout import coloring as heldout
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx
from dnnsolve.params.coloring import FreeLogits
from dnnsolve.problems.coloring import reduce_to
from dnnsolve.search import coloring as kernels


def _colors(g: Graph, solution: dict) -> np.ndarray:
    """Colour per vertex index from the result's id → colour table (ids: the graph's labels,
    else 1-based indices)."""
    table = {int(k): int(v) for k, v in solution["coloring"].items()}
    ids = list(range(1, g.n + 1)) if g.ids is None else [int(i) for i in g.ids]
    assert sorted(table) == sorted(ids)
    return np.array([table[i] for i in ids])


def _conflicts(g: Graph, col: np.ndarray) -> int:
    return int(np.count_nonzero(col[g.src] == col[g.dst]))


def _small_heldout() -> list[Graph]:
    """Small graphs of the held-out families (report-range seeds)."""
    return [
        heldout.planted_coloring(60, 5, seed=1000),
        heldout.planted_coloring(80, 6, seed=1001),
        heldout.geometric(80, 10.0, seed=1002),
        heldout.barabasi_albert(100, 4, seed=1003),
    ]


@pytest.mark.parametrize("index", range(4))
def test_default_never_worse_than_dsatur(index):
    g = _small_heldout()[index]
    ds = dsatur(g).solution
    assert _conflicts(g, ds) == 0
    ds_colors = len(np.unique(ds))  # DSatur's colour count, recounted here
    r = solve("color", g, time_limit=1.5, device="cpu", seed=0)
    col = _colors(g, r.solution)
    assert r.feasible and _conflicts(g, col) == 0
    assert len(np.unique(col)) == r.objective <= ds_colors
    assert r.found_by in ("baseline", "warm_tabucol", "network", "local_search") or (
        r.found_by == "baseline+local_search"
    )


@pytest.mark.parametrize("network", [True, False])
def test_fixed_colors_never_worse_than_reduced_dsatur(network):
    """With q below χ no proper colouring exists; the reported one has at most the conflicts
    of DSatur's colouring reduced to q."""
    g = heldout.planted_coloring(60, 5, seed=1004)
    q = 3
    start = reduce_to(g, dsatur(g).solution, q)
    assert start.min() >= 0 and start.max() < q
    r = solve(
        "color", g, time_limit=1.0, device="cpu", seed=0, network=network, options={"colors": q}
    )
    col = _colors(g, r.solution)
    assert not r.feasible
    assert len(np.unique(col)) <= q
    assert _conflicts(g, col) == r.extra["conflicts"] <= _conflicts(g, start)


def test_planted_small_found_at_k():
    g = heldout.planted_coloring(60, 5, seed=1005)
    assert _conflicts(g, g.meta["planted"]) == 0
    r = solve("color", g, time_limit=4.0, device="cpu", seed=0, options={"colors": 5})
    col = _colors(g, r.solution)
    assert r.feasible and _conflicts(g, col) == 0 and len(np.unique(col)) <= 5
    # the search for the smallest q reaches k (or fewer) from DSatur too
    r = solve("color", g, time_limit=3.0, device="cpu", seed=0)
    col = _colors(g, r.solution)
    assert r.feasible and _conflicts(g, col) == 0 and len(np.unique(col)) <= 5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1000, 1001])
def test_planted_15_coloring_of_450_vertices(seed):
    """The case of issue 14: n = 450, 15 classes, p = 0.2 between classes, within 60 s."""
    rng = np.random.default_rng(seed)
    cls = rng.permutation(np.arange(450) % 15)
    iu, ju = np.triu_indices(450, 1)
    keep = (cls[iu] != cls[ju]) & (rng.random(len(iu)) < 0.2)
    g = Graph.from_edges(450, np.stack([iu[keep], ju[keep]], 1))
    r = solve("color", g, time_limit=60, device="cpu", seed=0, options={"colors": 15})
    col = _colors(g, r.solution)
    assert r.feasible and _conflicts(g, col) == 0 and len(np.unique(col)) <= 15


# -- kernels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("use_numba", [False, None])
def test_tabu_search_finds_planted_coloring(use_numba):
    if use_numba is None:
        pytest.importorskip("numba")
    g = heldout.planted_coloring(60, 4, seed=3, degree_factor=0.8)
    csr = kernels.adjacency_csr(g.n, g.src, g.dst)
    z0 = np.zeros(g.n, dtype=np.int64)
    ts = kernels.TabuSearch(csr, z0, 4, seed=1, use_numba=use_numba)
    assert ts.best_f == _conflicts(g, z0) == g.m
    ts.run(max_iters=20_000)
    assert ts.best_f == _conflicts(g, ts.best_z) == 0
    assert ts.best_z.min() >= 0 and ts.best_z.max() < 4
    # the conflict table stayed exact: recount it from the current colouring
    want = np.zeros((g.n, 4), dtype=np.int64)
    np.add.at(want, (g.src, ts.z[g.dst]), 1)
    np.add.at(want, (g.dst, ts.z[g.src]), 1)
    assert np.array_equal(ts.gamma, want)


def test_tabu_search_respects_iteration_budget_and_deadline():
    g = heldout.planted_coloring(200, 10, seed=4)
    csr = kernels.adjacency_csr(g.n, g.src, g.dst)
    ts = kernels.TabuSearch(csr, np.zeros(g.n, np.int64), 3, seed=0)  # 3 < χ: never 0
    assert ts.run(max_iters=1000) == 1000 == ts.iterations
    assert ts.run(deadline=0.0) == 0
    with pytest.raises(ValueError):
        ts.run()
    with pytest.raises(ValueError):
        kernels.TabuSearch(csr, np.full(g.n, 3), 3)


def test_gpx_child_inherits_whole_classes():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    child = kernels.gpx_crossover(a, b, 4, rng)
    assert child.shape == (50,) and child.min() >= 0 and child.max() < 4
    # colour 0 of the child holds the whole largest class of parent a (the vertices no
    # class took get random colours, so it may hold more)
    largest = np.bincount(a, minlength=4).argmax()
    assert np.all(child[a == largest] == 0)


def test_hea_reports_origin_and_is_deterministic_without_time_limit():
    g = heldout.planted_coloring(100, 5, seed=5)
    csr = kernels.adjacency_csr(g.n, g.src, g.dst)
    starts = np.random.default_rng(0).integers(0, 5, (4, g.n))
    runs = []
    for _ in range(2):
        st: dict = {}
        col = kernels.hea(csr, starts, 5, None, seed=3, max_iters=50_000, origins=[1, 1, 2, 2])
        kernels.hea(csr, starts, 5, None, seed=3, max_iters=50_000, stats=st)
        runs.append(col)
        assert st["origin"] in (1, 2, 3, 8, 9, 11) and st["iterations"] <= 50_000
    assert np.array_equal(runs[0], runs[1])
    assert _conflicts(g, runs[0]) == 0


def test_free_logits_warm_start_decodes_to_the_given_coloring():
    p = FreeLogits(n=6, q=3, restarts=4, generator=torch.Generator().manual_seed(0))
    z = torch.tensor([[0, 1, 2, 0, 1, 2]])
    onehot = torch.nn.functional.one_hot(z, 3).float()
    assert p.warm_start_(torch.tensor([2, 3]), onehot.expand(2, -1, -1))
    x = p()
    assert torch.equal(x[2:].argmax(-1), z.expand(2, -1))
    assert float(x[2:].detach().max()) < 0.99  # not saturated: gradients still flow


def test_dsatur_matches_networkx_colour_count_and_is_proper():
    for seed in range(3):
        g = from_networkx(nx.gnp_random_graph(120, 0.1, seed=seed))
        r = dsatur(g)
        assert _conflicts(g, r.solution) == 0 and r.feasible
        nx_col = nx.greedy_color(g.to_networkx(), strategy="DSATUR")
        assert r.objective <= max(nx_col.values()) + 1 + 1  # same rule, ties may differ


# -- the held-out module ----------------------------------------------------------------------


def test_heldout_instances_and_splits():
    for split, low in (("tune", 0), ("report", 1000)):
        insts = heldout.instances(split)
        assert {i.meta["family"] for i in insts} == {"color"}
        assert {i.meta["generator"] for i in insts} == {"planted", "geometric", "ba"}
        ks = [i.meta["k"] for i in insts if i.meta["generator"] == "planted"]
        assert min(ks) == 5 and max(ks) == 20
        for i in insts:
            assert i.meta["problem"] == "color" and i.meta["split"] == split
            assert (low <= i.meta["seed"] < 100) if split == "tune" else i.meta["seed"] >= low
    with pytest.raises(ValueError):
        heldout.instances("test")


def test_planted_generator_hides_a_proper_coloring():
    g = heldout.planted_coloring(300, 12, seed=7)
    assert heldout.check_coloring(g, g.meta["planted"]) == 12
    sizes = np.bincount(g.meta["planted"])
    assert sizes.max() - sizes.min() <= 1


def test_check_coloring_is_independent():
    g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    assert heldout.check_coloring(g, np.array([7, 3, 7, 3])) == 2
    assert heldout.check_coloring(g, np.array([0, 1, 2, 2])) is None
    assert heldout.check_coloring(g, np.array([0, 1, 0])) is None


def test_heldout_rows_with_ablation():
    g = heldout.planted_coloring(40, 4, seed=1006)
    inst = Instance(g.name, lambda: g, {"problem": "color", "family": "planted"})
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=0.6, seed=0)
    rows = heldout.rows(inst, g, ctx, ablation=True)
    names = [r["variant"] for r in rows]
    assert names == [
        "default",
        "baseline",
        "network-only",
        "random+polish",
        "baseline+polish",
        "cpsat",
    ]
    ds_colors = len(np.unique(dsatur(g).solution))
    by = {r["variant"]: r for r in rows}
    assert by["baseline"]["objective"] == ds_colors
    for r in rows:
        assert r["sense"] == "min" and r["feasible"] and r["recheck"] is True, r
        assert r["objective"] >= by["cpsat"]["objective"]
    assert by["default"]["objective"] <= ds_colors
    assert len(heldout.rows(inst, g, ctx, ablation=False)) == 2
