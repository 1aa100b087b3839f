"""The compiled Tabucol kernel (search/_tabucol_jit.py), its batch driver, the CPU / tensor
dispatch of :func:`tabucol`, and the DSatur + Tabucol k-colouring baseline.

Conflicts, conflict tables and conflicting vertices are recounted here in NumPy over the edge
list, never with the code under test.
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve.baselines.coloring import dsatur, dsatur_tabucol, greedy_clique
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx
from dnnsolve.search import coloring as kernels

pytest.importorskip("numba")


def _conflicts(g: Graph, z: np.ndarray) -> int:
    z = np.asarray(z)
    return int(np.count_nonzero(z[g.src] == z[g.dst]))


def _table(g: Graph, z: np.ndarray, q: int) -> np.ndarray:
    want = np.zeros((g.n, q), dtype=np.int64)
    np.add.at(want, (g.src, z[g.dst]), 1)
    np.add.at(want, (g.dst, z[g.src]), 1)
    return want


def _csr(g: Graph) -> tuple[np.ndarray, np.ndarray]:
    return kernels.adjacency_csr(g.n, g.src, g.dst)


def _assert_consistent(g: Graph, rows: kernels.CompiledTabucol) -> None:
    """Every row's table, conflict count, conflicting set and best colouring are exact."""
    for b in range(len(rows.z)):
        z = rows.z[b]
        table = _table(g, z, rows.q)
        assert np.array_equal(rows.gamma[b], table)
        assert rows.state[b, 1] == _conflicts(g, z)
        count = int(rows.state[b, 3])
        members = rows.conf[b, :count]
        assert sorted(members.tolist()) == np.flatnonzero(table[np.arange(g.n), z]).tolist()
        assert np.array_equal(rows.pos[b, members], np.arange(count))
        assert rows.best_f[b] == _conflicts(g, rows.best_z[b]) <= rows.state[b, 1]
        assert rows.best_z[b].min() >= 0 and rows.best_z[b].max() < rows.q


def test_kernel_state_stays_exact_through_a_long_run():
    g = from_networkx(nx.gnp_random_graph(120, 0.3, seed=4))
    start = np.random.default_rng(0).integers(0, 6, (3, g.n))  # 6 < χ: it never stops early
    rows = kernels.CompiledTabucol(_csr(g), start, 6, seed=1)
    _assert_consistent(g, rows)
    assert rows.best_f.tolist() == [_conflicts(g, s) for s in start]
    before = rows.best_f
    for _ in range(4):
        assert rows.run(max_iters=5_000) == 5_000
        _assert_consistent(g, rows)
    assert rows.iterations.tolist() == [20_000] * 3  # every row had the same turns
    assert (rows.best_f < before).all()


def test_first_move_is_a_best_move_and_its_tenure_follows_galinier_hao():
    g = from_networkx(nx.gnp_random_graph(60, 0.2, seed=1))
    q = 4
    start = np.random.default_rng(2).integers(0, q, g.n)
    table = _table(g, start, q)
    own = table[np.arange(g.n), start]
    conflicting = np.flatnonzero(own)
    delta = table[conflicting] - own[conflicting, None]
    delta[np.arange(len(conflicting)), start[conflicting]] = 1 << 20  # keeping a colour: no move
    chosen = set()
    for seed in range(12):
        rows = kernels.CompiledTabucol(_csr(g), start[None], q, seed=seed)
        rows.run(max_iters=1)
        (v,) = np.flatnonzero(rows.z[0] != start)
        c = int(rows.z[0, v])
        assert delta.min() == delta[conflicting.tolist().index(v), c]  # nothing is tabu yet
        assert rows.state[0, 1] == _conflicts(g, start) + delta.min()
        chosen.add((int(v), c))
        # the old colour is tabu for L + ⌊0.6 · |conflicting vertices|⌋, L in 0 … 9
        ten = int(rows.tabu[0, v, start[v]]) - 1
        base = int(0.6 * len(conflicting))
        assert base <= ten <= base + 9
        assert np.count_nonzero(rows.tabu[0]) == 1
    assert len(chosen) > 1  # ties are broken at random


@pytest.mark.parametrize(
    ("graph", "chi"),
    [
        (nx.cycle_graph(9), 3),  # odd cycle
        (nx.mycielski_graph(4), 4),  # = DIMACS myciel3 (Grötzsch graph)
        (nx.mycielski_graph(5), 5),  # = myciel4
        (nx.complete_bipartite_graph(4, 5), 2),
        (nx.grid_2d_graph(5, 6), 2),
        (nx.petersen_graph(), 3),
        (nx.complete_graph(7), 7),
    ],
)
@pytest.mark.parametrize("use_numba", [True, False])
def test_tabucol_reaches_chi_and_not_below(graph, chi, use_numba):
    g = from_networkx(graph)
    tg = g.to_torch()
    z0 = torch.zeros(4, g.n, dtype=torch.int64)
    gen = torch.Generator().manual_seed(0)
    stats: dict = {}
    best = kernels.tabucol(tg, z0, chi, generator=gen, use_numba=use_numba, stats=stats)
    col = best.numpy()
    assert stats["compiled"] is use_numba
    assert min(_conflicts(g, row) for row in col) == 0 == stats["best_conflicts"]
    assert col.min() >= 0 and col.max() < chi
    iters = 3_000 if use_numba else 200  # the tensor path costs ~1 ms per iteration
    below = kernels.tabucol(
        tg, z0, chi - 1, generator=gen, use_numba=use_numba, max_iters=iters, stats=stats
    )
    best_below = min(_conflicts(g, row) for row in below.numpy())
    assert best_below >= 1 and stats["best_conflicts"] == best_below
    assert stats["iterations"] == iters


def test_tabucol_is_reproducible_and_seeded():
    g = from_networkx(nx.gnp_random_graph(80, 0.4, seed=3))
    tg = g.to_torch()
    z0 = torch.randint(0, 5, (6, g.n), generator=torch.Generator().manual_seed(0))

    def run(seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return kernels.tabucol(tg, z0, 5, generator=gen, max_iters=2_000)

    a, b, c = run(7), run(7), run(8)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    for start, row in zip(z0.numpy(), a.numpy()):  # each row: its own best, never worse
        assert _conflicts(g, row) <= _conflicts(g, start)


def test_a_proper_row_ends_the_batch_at_once():
    g = from_networkx(nx.cycle_graph(6))
    z0 = np.array([[0] * 6, [0, 1] * 3])
    rows = kernels.CompiledTabucol(_csr(g), z0, 2, seed=0)
    assert rows.run(max_iters=1_000) == 0
    assert rows.best_f.tolist() == [6, 0]


def test_time_limit_is_kept_and_rows_share_it():
    g = from_networkx(nx.gnp_random_graph(300, 0.5, seed=5))  # χ ≫ 10: never solved
    tg = g.to_torch()
    z0 = torch.zeros(4, g.n, dtype=torch.int64)
    stats: dict = {}
    t0 = time.perf_counter()
    kernels.tabucol(tg, z0, 10, time_limit=0.3, stats=stats)
    assert time.perf_counter() - t0 < 1.5  # the clock is read every few milliseconds
    assert stats["iterations"] > 100
    rows = kernels.CompiledTabucol(_csr(g), z0.numpy(), 10, seed=0)
    rows.run(deadline=time.perf_counter() + 0.2)
    its = rows.iterations
    assert its.min() > 0 and its.max() - its.min() == 0  # equal turns, round after round


def test_iteration_cost_does_not_grow_with_the_idle_vertices():
    """A million isolated vertices next to a 5-cycle at q = 2 (never solved): an iteration looks
    at the conflicting vertices only, so 20 000 of them take milliseconds (a scan over all
    vertices would take 2·10^10 steps)."""
    n = 1_000_000
    ring = np.arange(5)
    g = Graph.from_edges(n, np.stack([ring, (ring + 1) % 5], axis=1))
    rows = kernels.CompiledTabucol(_csr(g), np.zeros((1, n), dtype=np.int64), 2, seed=0)
    rows.run(max_iters=10)  # compiled / loaded
    t0 = time.perf_counter()
    assert rows.run(max_iters=20_000) == 20_000
    assert time.perf_counter() - t0 < 1.0
    assert rows.best_f[0] == 1


def test_tabu_search_uses_the_compiled_kernel_and_numpy_agrees_on_the_answer():
    g = from_networkx(nx.mycielski_graph(5))
    csr = _csr(g)
    fast = kernels.TabuSearch(csr, np.zeros(g.n, np.int64), 5, seed=3)
    slow = kernels.TabuSearch(csr, np.zeros(g.n, np.int64), 5, seed=3, use_numba=False)
    assert fast.compiled and not slow.compiled
    for ts in (fast, slow):
        ts.run(max_iters=20_000)
        assert ts.best_f == _conflicts(g, ts.best_z) == 0
        assert np.array_equal(ts.gamma, _table(g, ts.z, 5))


def test_bad_starts_are_refused():
    csr = _csr(from_networkx(nx.cycle_graph(4)))
    for z in (np.full((1, 4), 3), np.full((1, 4), -1), np.zeros((1, 5), np.int64)):
        with pytest.raises(ValueError):
            kernels.CompiledTabucol(csr, z, 3)
    with pytest.raises(ValueError):
        kernels.CompiledTabucol(csr, np.zeros((1, 4), np.int64), 3).run()


def test_reduce_classes_keeps_the_largest_classes():
    g = from_networkx(nx.gnp_random_graph(50, 0.2, seed=6))
    col = dsatur(g).solution
    k = len(np.unique(col))
    z = kernels.reduce_classes(_csr(g), col, k - 2)
    assert z.min() >= 0 and z.max() < k - 2
    sizes = np.bincount(col)
    for kept in np.argsort(-sizes, kind="stable")[: k - 2]:  # whole classes, still together
        assert len(np.unique(z[col == kept])) == 1


# -- the k-colouring baseline ------------------------------------------------------------------


def test_dsatur_tabucol_repairs_dsatur_down_to_k():
    g = from_networkx(nx.frucht_graph())  # χ = 3, DSatur uses 4
    assert dsatur(g).objective == 4
    r = dsatur_tabucol(g, 3, seed=1)
    assert r.feasible and r.objective == 0 == _conflicts(g, r.solution)
    assert r.status == "sat" and r.solution.max() < 3 and r.extra["dsatur_colors"] == 4
    assert r.extra["iterations"] > 0


def test_dsatur_tabucol_keeps_dsatur_when_it_fits_and_reports_conflicts_below_chi():
    g = from_networkx(nx.cycle_graph(7))
    fits = dsatur_tabucol(g, 3)
    assert fits.objective == 0 and fits.extra["iterations"] == 0
    assert np.array_equal(fits.solution, dsatur(g).solution)
    below = dsatur_tabucol(g, 2, max_iters=2_000)  # an odd cycle needs 3
    assert not below.feasible and below.status == "unknown"
    assert below.objective == _conflicts(g, below.solution) == 1  # the fewest possible


def test_dsatur_tabucol_planted_coloring_within_its_time():
    rng = np.random.default_rng(11)
    cls = rng.permutation(np.arange(150) % 6)
    iu, ju = np.triu_indices(150, 1)
    keep = (cls[iu] != cls[ju]) & (rng.random(len(iu)) < 0.3)
    g = Graph.from_edges(150, np.stack([iu[keep], ju[keep]], axis=1))
    assert dsatur(g).objective > 6
    t0 = time.perf_counter()
    r = dsatur_tabucol(g, 6, time_limit=5.0, seed=0)
    assert time.perf_counter() - t0 < 6.0
    assert r.feasible and _conflicts(g, r.solution) == 0 and r.solution.max() < 6


@pytest.mark.parametrize("seed", range(4))
def test_greedy_clique_is_a_maximal_clique(seed):
    nxg = nx.gnp_random_graph(150, 0.3 + 0.15 * seed, seed=seed)
    clique = greedy_clique(from_networkx(nxg))
    assert len(set(clique)) == len(clique) >= 2
    assert all(nxg.has_edge(u, v) for i, u in enumerate(clique) for v in clique[i + 1 :])
    outside = set(nxg) - set(clique)
    assert not any(all(nxg.has_edge(w, u) for u in clique) for w in outside)  # maximal
