"""Classical baselines: CP-SAT equals brute force on tiny graphs; greedy results are feasible."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dnnsolve.baselines import (
    cpsat_maxcut,
    cpsat_mis,
    greedy_maxcut,
    greedy_mis,
    maxcut_value,
    mis_value,
)
from dnnsolve.bench.generators import erdos_renyi, random_regular
from dnnsolve.graph import Graph


def _random_graph(n: int, p: float, seed: int, signed: bool = False, vweights: bool = False):
    rng = np.random.default_rng(seed)
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if rng.random() < p]
    w = rng.choice([-1.0, 1.0], size=len(edges)) if signed else None
    nw = rng.integers(1, 5, size=n).astype(float) if vweights else None
    return Graph.from_edges(n, edges, w, node_weight=nw)


def _brute_cut(g: Graph) -> float:
    best = -np.inf
    for bits in itertools.product([0, 1], repeat=g.n):
        s = np.array(bits)
        best = max(best, float(sum(w for u, v, w in zip(g.src, g.dst, g.weight) if s[u] != s[v])))
    return best


def _brute_mis(g: Graph) -> float:
    nw = g.node_weight if g.node_weight is not None else np.ones(g.n)
    best = 0.0
    for bits in itertools.product([0, 1], repeat=g.n):
        s = np.array(bits)
        if any(s[u] and s[v] for u, v in zip(g.src, g.dst)):
            continue
        best = max(best, float(nw[s == 1].sum()))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("signed", [False, True])
def test_cpsat_maxcut_equals_brute_force(seed, signed):
    g = _random_graph(9, 0.45, seed, signed=signed)
    r = cpsat_maxcut(g, time_limit=10, workers=1)
    assert r.optimal and r.status == "optimal"
    assert r.objective == _brute_cut(g)
    assert r.bound == pytest.approx(r.objective)
    # objective is the cut of the returned vector, computed here independently
    side = r.solution.astype(bool)
    assert r.objective == float(g.weight[side[g.src] != side[g.dst]].sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("vweights", [False, True])
def test_cpsat_mis_equals_brute_force(seed, vweights):
    g = _random_graph(10, 0.35, seed, vweights=vweights)
    r = cpsat_mis(g, time_limit=10, workers=1)
    assert r.optimal and r.feasible
    assert r.objective == _brute_mis(g)
    x = r.solution.astype(bool)
    assert not np.any(x[g.src] & x[g.dst])


def test_cpsat_maxcut_fractional_weights():
    g = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)], [0.5, 1.25, 2.0])
    r = cpsat_maxcut(g, time_limit=5, workers=1)
    assert r.objective == pytest.approx(3.25)  # vertex 2 alone: 1.25 + 2.0
    assert r.optimal


def test_greedy_mis_feasible_and_maximal():
    g = erdos_renyi(300, 0.05, seed=3)
    r = greedy_mis(g)
    x = r.solution.astype(bool)
    assert not np.any(x[g.src] & x[g.dst])  # independent
    assert r.objective == float(x.sum()) and r.feasible
    # maximal: every vertex outside the set has a neighbour inside it
    covered = x.copy()
    covered[g.src[x[g.dst]]] = True
    covered[g.dst[x[g.src]]] = True
    assert covered.all()
    assert r.objective <= cpsat_mis(g, time_limit=2, workers=1).bound + 1e-9


def test_greedy_mis_prefers_heavy_vertices():
    # star: the centre weighs more than all leaves together → it must be taken
    g = Graph.from_edges(4, [(0, 1), (0, 2), (0, 3)], node_weight=[10.0, 1.0, 1.0, 1.0])
    assert greedy_mis(g).solution.tolist() == [1, 0, 0, 0]
    assert greedy_mis(g).objective == 10.0


def test_greedy_maxcut_is_one_flip_optimal():
    g = _random_graph(60, 0.15, 4, signed=True)
    r = greedy_maxcut(g)
    side = r.solution.astype(bool)
    assert r.objective == float(g.weight[side[g.src] != side[g.dst]].sum())
    for v in range(g.n):  # no single flip improves (checked by brute recomputation)
        flipped = side.copy()
        flipped[v] = not flipped[v]
        assert maxcut_value(g, flipped) <= r.objective + 1e-9
    assert r.objective <= _cut_upper(g)


def _cut_upper(g: Graph) -> float:
    return float(g.weight[g.weight > 0].sum())


def test_greedy_on_regular_graph_is_reasonable():
    g = random_regular(2000, 3, seed=0)
    cut = greedy_maxcut(g)
    mis = greedy_mis(g)
    assert cut.objective / g.m > 0.8  # random cubic graphs: max cut ≈ 0.9 m
    obj, ok = mis_value(g, mis.solution)
    assert ok and obj == mis.objective and 0.40 < obj / g.n < 0.46


def test_value_helpers_reject_wrong_length():
    g = Graph.from_edges(3, [(0, 1)])
    with pytest.raises(ValueError):
        maxcut_value(g, np.zeros(2))
    with pytest.raises(ValueError):
        mis_value(g, np.zeros(4))
