"""The compiled clique kernels (CPU path of dnnsolve.search.clique) and the tensor path beside them.

Cliques, maximality and weights are recomputed here from the edge lists (NetworkX for optima),
never from the code under test.
"""

from __future__ import annotations

import itertools
import time

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve.bench.generators import erdos_renyi
from dnnsolve.graph import EdgeIndex, Graph
from dnnsolve.search import clique as kernels

pytestmark = pytest.mark.skipif(
    not kernels.compiled_available(), reason="numba is needed for the compiled kernels"
)


def _adjacency(graph: Graph) -> list[set[int]]:
    nbrs: list[set[int]] = [set() for _ in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        nbrs[u].add(v)
        nbrs[v].add(u)
    return nbrs


def _check_maximal_cliques(graph: Graph, z: torch.Tensor, weight=None) -> None:
    """Every row is a clique, and no positive-weight vertex outside it sees all of it."""
    nbrs = _adjacency(graph)
    w = np.ones(graph.n) if weight is None else np.asarray(weight)
    for row in z.numpy():
        members = np.flatnonzero(row).tolist()
        assert all(b in nbrs[a] for a, b in itertools.combinations(members, 2))
        for v in range(graph.n):
            if not row[v] and w[v] > 0:
                assert not set(members) <= nbrs[v], f"{v} could join {members}"


def _weight(z: torch.Tensor, weight) -> np.ndarray:
    return z.numpy().astype(np.float64) @ np.asarray(weight, dtype=np.float64)


def _optimum(graph: Graph, weight=None) -> float:
    g = graph.to_networkx()
    if weight is not None:
        for v in g.nodes:
            g.nodes[v]["w"] = int(weight[v])
    return float(nx.max_weight_clique(g, weight=None if weight is None else "w")[1])


def _planted(n: int, p: float, members: list[int], seed: int) -> Graph:
    base = erdos_renyi(n, p, seed)
    extra = list(itertools.combinations(members, 2))
    return Graph.from_edges(n, np.concatenate([np.stack([base.src, base.dst], 1), extra]))


@pytest.fixture(params=["compiled", "tensor"])
def path(request, monkeypatch):
    """Run a test on the compiled CPU path and on the tensor path (the one CUDA takes)."""
    if request.param == "tensor":
        monkeypatch.setattr(kernels, "_compiled", lambda z: False)
    return request.param


# -- repair -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_repair_gives_maximal_cliques_from_any_rows(seed, path):
    g = erdos_renyi(70, 0.4, seed)
    w = np.random.default_rng(seed).integers(0, 4, g.n).astype(np.float64)  # zeros too
    tg = g.to_torch()
    gen = torch.Generator().manual_seed(seed)
    z = torch.rand(6, g.n, generator=gen) < torch.tensor(
        [[0.0], [0.05], [0.3], [0.6], [0.9], [1.0]]
    )
    out = kernels.repair(tg, z, torch.as_tensor(w, dtype=torch.float32), generator=gen)
    _check_maximal_cliques(g, out, w)
    dropped = kernels.drop_conflicts(tg, z, torch.as_tensor(w, dtype=torch.float32), gen)
    _check_maximal_cliques(g, kernels.extend(tg, dropped, torch.as_tensor(w)), w)
    assert bool((dropped <= z).all())  # only removals


def test_extend_keeps_cliques_and_follows_the_key():
    g = Graph.from_edges(6, [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)])
    tg = g.to_torch()
    start = torch.zeros(2, 6, dtype=torch.bool)
    key = torch.tensor([[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    out = kernels.extend(tg, start, key=key)
    assert out.tolist() == [
        [False, False, False, True, True, True],
        [True, True, True] + [False] * 3,
    ]
    # a clique row only grows
    grown = kernels.extend(tg, torch.tensor([[False, False, True, True, False, False]]))
    assert grown.tolist() == [[False, False, True, True, False, False]]


def test_clique_bound_holds_on_random_graphs():
    for seed in range(4):
        g = erdos_renyi(40, 0.5, seed)
        assert kernels.clique_bound(g.degrees()) >= _optimum(g)


# -- the search ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "p", "seed"), [(60, 0.5, 0), (80, 0.7, 1), (50, 0.9, 2), (90, 0.2, 3)]
)
def test_local_search_reaches_the_optimum(n, p, seed, path):
    g = erdos_renyi(n, p, seed)
    opt = _optimum(g)
    out = kernels.local_search(
        g.to_torch(), torch.zeros(8, n, dtype=torch.bool), 5.0,
        torch.Generator().manual_seed(seed), stall_iters=10**9, target=opt,
    )  # fmt: skip
    _check_maximal_cliques(g, out)
    assert float(out.sum(dim=1).max()) == opt


def test_weighted_search_reaches_the_weighted_optimum(path):
    g = erdos_renyi(60, 0.5, 4)
    w = np.random.default_rng(4).integers(1, 20, g.n).astype(np.float64)
    opt = _optimum(g, w)
    out = kernels.local_search(
        g.to_torch(), torch.zeros(8, g.n, dtype=torch.bool), 5.0,
        torch.Generator().manual_seed(0), weight=torch.as_tensor(w), stall_iters=10**9, target=opt,
    )  # fmt: skip
    _check_maximal_cliques(g, out, w)
    assert _weight(out, w).max() == opt


def test_heavy_edge_beats_light_triangle():
    # triangle 0-1-2 of weight 1 each, edge 3-4 of weight 5 each, bridge 2-3
    g = Graph.from_edges(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)])
    w = torch.tensor([1.0, 1.0, 1.0, 5.0, 5.0])
    start = torch.tensor([[True, True, True, False, False]])
    out = kernels.local_search(g.to_torch(), start, None, torch.Generator().manual_seed(0),
                               weight=w, max_iters=50)  # fmt: skip
    assert out.tolist() == [[False, False, False, True, True]]


def test_rows_never_get_worse_than_their_start(path):
    g = erdos_renyi(120, 0.3, 5)
    w = np.random.default_rng(5).integers(1, 6, g.n).astype(np.float64)
    tg, wt = g.to_torch(), torch.as_tensor(w, dtype=torch.float32)
    start = kernels.repair(tg, torch.zeros(6, g.n, dtype=torch.bool), wt,
                           generator=torch.Generator().manual_seed(1))  # fmt: skip
    out = kernels.local_search(tg, start, None, torch.Generator().manual_seed(2), weight=wt,
                               max_iters=30)  # fmt: skip
    _check_maximal_cliques(g, out, w)
    assert (_weight(out, w) >= _weight(start, w) - 1e-9).all()


def test_seeded_runs_repeat_and_seeds_differ():
    g = erdos_renyi(150, 0.5, 6)
    tg = g.to_torch()
    z = torch.zeros(4, g.n, dtype=torch.bool)

    def run(seed: int) -> torch.Tensor:
        return kernels.local_search(tg, z, None, torch.Generator().manual_seed(seed),
                                    max_iters=200, stall_iters=10**9)  # fmt: skip

    assert torch.equal(run(3), run(3))
    assert any(not torch.equal(run(3), run(s)) for s in (4, 5, 6))


def test_hidden_clique_in_a_large_sparse_graph_fast():
    """n = 20 000, ~100 000 edges, a planted 12-clique: one iteration of 16 walks costs
    O(degrees), so the clique is found in well under the time limit."""
    n = 20_000
    members = list(range(0, 12 * 997, 997))
    g = _planted(n, 10.0 / n, members, 7)
    tg = g.to_torch()
    ei = EdgeIndex(tg)
    z = torch.zeros(16, n, dtype=torch.bool)
    z[:, members[0]] = True  # the walks start next to the clique
    z[0, members[0]] = False
    t = time.perf_counter()
    out = kernels.local_search(tg, z, 20.0, torch.Generator().manual_seed(0), target=12.0,
                               edges=ei)  # fmt: skip
    assert time.perf_counter() - t < 20.0
    best = int(torch.argmax(out.sum(dim=1)))
    assert sorted(np.flatnonzero(out[best].numpy()).tolist()) == members
    assert bool(kernels.is_clique(tg, out).all())


def test_time_limit_and_iteration_limits_are_honoured():
    g = erdos_renyi(300, 0.5, 8)
    tg = g.to_torch()
    z = torch.zeros(8, g.n, dtype=torch.bool)
    kernels.local_search(tg, z[:1], None, max_iters=1)  # compile / load outside the clock
    t = time.perf_counter()
    kernels.local_search(tg, z, 0.5, torch.Generator().manual_seed(0), stall_iters=10**12)
    assert time.perf_counter() - t < 1.5  # 0.5 s and margin for a loaded machine
    t = time.perf_counter()
    kernels.local_search(tg, z, 60.0, torch.Generator().manual_seed(0), stall_iters=50)
    assert time.perf_counter() - t < 5.0  # stalls long before the time limit


def test_walk_state_is_left_clean():
    """Adding and removing update c_v and the owner sums symmetrically: after a walk every
    count is back to zero and no vertex holds a slot."""
    g = erdos_renyi(200, 0.3, 9)
    tg = g.to_torch()
    w = tg.node_weight.float()
    csr = kernels._Csr(tg, w, None)
    start = csr.repair(np.zeros((4, g.n), dtype=bool), np.arange(1, 5, dtype=np.uint64))
    walks = kernels._CompiledWalks(csr, start, np.arange(11, 15, dtype=np.uint64))
    probs = np.array([0.7, 0.5, 0.3])
    walks.walk(500, probs, np.array([7, 1]), 1e-9, 2.0, np.inf)
    vx = csr.state[0]
    assert not vx[:, 0].any() and not vx[:, 1].any() and (vx[:, 2] == -1).all()
    for cur, k in zip(walks.cur, walks.cur_k):
        row = np.zeros((1, g.n), dtype=bool)
        row[0, cur[:k]] = True
        _check_maximal_cliques(g, torch.from_numpy(row))


def test_edgeless_and_tiny_graphs(path):
    for g in (Graph.from_edges(3, []), Graph.from_edges(1, []), Graph.from_edges(2, [(0, 1)])):
        out = kernels.local_search(g.to_torch(), torch.zeros(2, g.n, dtype=torch.bool), None,
                                   max_iters=5)  # fmt: skip
        _check_maximal_cliques(g, out)
        assert int(out.sum(dim=1).min()) == min(g.n, 1 + int(g.m > 0))


def test_zero_weights_never_join_and_do_not_break_the_walk():
    g = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)])
    start = torch.tensor([[True, True, False, False], [False, False, False, True]])
    for w, expect in (
        ([0.0, 0.0, 0.0, 0.0], [[True, True, False, False], [False, False, False, True]]),
        ([0.0, 0.0, 1.0, 0.0], [[True, True, True, False], [False, False, True, True]]),
    ):
        out = kernels.local_search(g.to_torch(), start, None, weight=torch.tensor(w), max_iters=20)
        assert out.tolist() == expect
