"""Simulated annealing for MaxCut (the compiled CPU kernel): optima on small graphs checked by
brute force, reproducibility, the schedule, and its place in the default polish."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import dnnsolve
from dnnsolve.baselines import greedy_maxcut
from dnnsolve.data import EXAMPLES, example_path
from dnnsolve.graph import Graph
from dnnsolve.search.anneal import (
    anneal_maxcut,
    available,
    beta_range,
    csr_arrays,
    loss_table_size,
)

pytestmark = pytest.mark.skipif(not available(), reason="numba is not importable")


def _cut(edges, weights, side) -> float:
    return float(sum(w for (u, v), w in zip(edges, weights) if side[u] != side[v]))


def _brute_force(n, edges, weights) -> float:
    return max(_cut(edges, weights, bits) for bits in itertools.product((0, 1), repeat=n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reaches_the_brute_force_optimum_with_negative_weights(seed):
    rng = np.random.default_rng(seed)
    n = 12
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.4]
    weights = rng.choice([-1.0, 1.0, 2.0], size=len(edges)).tolist()
    g = Graph.from_edges(n, edges, weights=weights)
    sides, cuts = anneal_maxcut(g, reads=8, sweeps=500, seed=seed)
    best = int(np.argmax(cuts))
    assert cuts[best] == _cut(edges, weights, sides[best])  # the reported cut is the real one
    assert cuts[best] == _brute_force(n, edges, weights)


def test_known_optima_of_cycles_and_complete_graphs():
    for n, edges, optimum in [
        (8, [(i, (i + 1) % 8) for i in range(8)], 8),  # even cycle: bipartite
        (7, [(i, (i + 1) % 7) for i in range(7)], 6),  # odd cycle
        (6, list(itertools.combinations(range(6), 2)), 9),  # K6: 3 x 3
    ]:
        _, cuts = anneal_maxcut(Graph.from_edges(n, edges), reads=4, sweeps=300, seed=0)
        assert cuts.max() == optimum


def test_same_seed_same_answer_and_isolated_vertices():
    edges = [(i, (i * 7 + 3) % 25) for i in range(25) if (i * 7 + 3) % 25 != i]
    g = Graph.from_edges(30, edges)  # vertices 25..29 isolated
    a = anneal_maxcut(g, reads=3, sweeps=200, seed=5)
    b = anneal_maxcut(g, reads=3, sweeps=200, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_schedule_from_the_weights():
    g = Graph.from_edges(3, [(0, 1), (1, 2)], weights=[2.0, 0.5])
    indptr, _, weights = csr_arrays(g)
    hot, cold = beta_range(indptr, weights)
    # the largest possible loss of one flip (vertex 1: 2 + 0.5) accepted with probability 1/2;
    # at the end, the smallest weight (0.5, on the edge of vertices 1 and 2) with 1/100 summed
    # over the two vertices that have it
    assert np.exp(-hot * 2.5) == pytest.approx(0.5)
    assert 2 * np.exp(-cold * 0.5) == pytest.approx(0.01)


def test_the_loss_table_gives_the_same_moves_as_exp():
    # integer weights: the table of acceptance probabilities, or (size 0) an exp per move;
    # the same seed makes the same draws, so the annealed states must be the same
    rng = np.random.default_rng(4)
    n = 200
    edges = {tuple(sorted(e)) for e in rng.integers(0, n, size=(800, 2)).tolist() if e[0] != e[1]}
    signs = rng.choice([-1.0, 1.0], size=len(edges))
    from dnnsolve.search._anneal_jit import anneal_read

    g = Graph.from_edges(n, sorted(edges), weights=signs)
    indptr, indices, weights = csr_arrays(g)
    hot, cold = beta_range(indptr, weights)
    size = loss_table_size(indptr, weights)
    degree = np.bincount(np.array(sorted(edges)).ravel(), minlength=n)
    assert size == degree.max() + 1  # the largest loss of one flip (all |w| = 1), + 1
    assert loss_table_size(indptr, weights * 0.5) == 0  # not integral: no table
    start = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    a, b = start.copy(), start.copy()
    anneal_read(indptr, indices, weights, a, 300, hot, cold, 9, size)
    anneal_read(indptr, indices, weights, b, 300, hot, cold, 9, 0)
    np.testing.assert_array_equal(a, b)


def test_beats_the_greedy_heuristic_on_a_random_graph():
    rng = np.random.default_rng(3)
    n = 300
    edges = {tuple(sorted(e)) for e in rng.integers(0, n, size=(1500, 2)).tolist() if e[0] != e[1]}
    g = Graph.from_edges(n, sorted(edges))
    _, cuts = anneal_maxcut(g, reads=2, sweeps=2000, seed=0)
    assert cuts.max() >= greedy_maxcut(g).objective


def test_timed_run_stays_in_its_budget():
    g = Graph.from_edges(200, [(i, (i * 13 + 1) % 200) for i in range(200)])
    import time

    t = time.perf_counter()
    _, cuts = anneal_maxcut(g, time_limit=0.5, seed=0)
    assert time.perf_counter() - t < 1.5 and len(cuts) >= 1


def test_timed_reads_are_long_enough_on_a_large_graph(monkeypatch):
    """A read sized to a sixth of the budget would be short on a large graph (a slow sweep):
    then what the calibration read left, in as many reads of ``min_sweeps`` as fit."""
    from dnnsolve.search import anneal

    clock = [0.0]
    monkeypatch.setattr(anneal.time, "perf_counter", lambda: clock[0])
    counts: list[int] = []

    def read(k: int, count: int) -> np.ndarray:
        counts.append(count)
        clock[0] += count * 5e-4  # a sweep takes half a millisecond
        return np.zeros(4, dtype=bool)

    def run(min_sweeps: int) -> list[int]:
        counts.clear()
        clock[0] = 0.0
        anneal._timed_reads(read, lambda x: np.zeros(len(x)), 4, None, None, 1.0, None,
                            min_sweeps=min_sweeps)  # fmt: skip
        return list(counts)

    assert run(0) == [200] + [333] * 5  # a sixth of 1 s each, until one would not fit
    one = run(1000)  # 0.95 of the 0.9 s left holds 1710 sweeps: one read of them all
    assert len(one) == 2 and 1709 <= one[1] <= 1710
    three = run(500)  # ... or three reads of at least 500
    assert three[0] == 200 and len(three) == 4 and all(569 <= c <= 570 for c in three[1:])
    capped = run(5000)  # 5000 do not fit: one read of what is left
    assert len(capped) == 2 and 1709 <= capped[1] <= 1710
    assert sum(three) * 5e-4 <= 1.0 and sum(capped) * 5e-4 <= 1.0


def test_default_maxcut_polish_reaches_the_bundled_optimum():
    path = example_path("maxcut_example")
    r = dnnsolve.solve("maxcut", path, device="cpu", seed=0, time_limit=3)
    assert r.objective == EXAMPLES["maxcut_example"]["optimum"]  # proven by CP-SAT
    assert r.found_by in ("network", "local_search", "baseline", "baseline+local_search", "anneal")


def _hyper_cut(edges, weights, side) -> float:
    return float(sum(w for e, w in zip(edges, weights) if len({side[v] for v in e}) == 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_hypergraph_annealing_reaches_the_brute_force_optimum(seed):
    from dnnsolve.hypergraph import Hypergraph
    from dnnsolve.search.anneal import anneal_hypercut

    rng = np.random.default_rng(seed)
    n = 11
    edges = [rng.choice(n, size=int(rng.integers(2, 5)), replace=False).tolist() for _ in range(18)]
    edges.append([0, 0, 3])  # a repeated member counts once
    weights = rng.choice([-1.0, 1.0, 3.0], size=len(edges)).tolist()
    hg = Hypergraph.from_edges(n, edges, weights=weights)
    sides, cuts = anneal_hypercut(hg, reads=6, sweeps=400, seed=seed)
    for side, cut in zip(sides, cuts):
        assert cut == _hyper_cut(edges, weights, side)  # every reported cut is the real one
    best = max(_hyper_cut(edges, weights, b) for b in itertools.product((0, 1), repeat=n))
    assert cuts.max() == best


def test_hypergraph_annealing_is_seeded_and_keeps_to_its_time():
    import time

    from dnnsolve.hypergraph import random_hypergraph
    from dnnsolve.search.anneal import anneal_hypercut

    hg = random_hypergraph(300, seed=3)
    a = anneal_hypercut(hg, reads=2, sweeps=50, seed=7)
    b = anneal_hypercut(hg, reads=2, sweeps=50, seed=7)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    t0 = time.perf_counter()
    sides, _ = anneal_hypercut(hg, time_limit=0.5, seed=0)
    assert len(sides) >= 1 and time.perf_counter() - t0 < 3.0  # 0.5 s asked; slack for load
