"""The compiled ARW iterated local search for MIS (search/_mis_ils_jit.py) and its CPU path in
:func:`dnnsolve.search.mis.local_search`."""

from __future__ import annotations

import itertools
import time

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve.graph import EdgeIndex, Graph
from dnnsolve.io import from_networkx
from dnnsolve.search import mis as K
from dnnsolve.search import mis_greedy

J = mis_greedy.ils_kernel()
pytestmark = pytest.mark.skipif(J is None, reason="numba not installed")


def _graph(n: int, p: float, seed: int, weighted: bool = False) -> Graph:
    g = from_networkx(nx.gnp_random_graph(n, p, seed=seed))
    if weighted:
        g.node_weight = np.random.default_rng(seed).integers(1, 10, n).astype(float)
    return g


def _adj(g: Graph) -> list[list[int]]:
    adj: list[list[int]] = [[] for _ in range(g.n)]
    for a, b in zip(g.src.tolist(), g.dst.tolist()):
        adj[a].append(b)
        adj[b].append(a)
    return adj


def _params(**kw) -> np.ndarray:
    prm = np.zeros(J.N_P)
    prm[J.P_FORCE_CAND], prm[J.P_STALL], prm[J.P_TARGET] = 4, np.inf, np.inf
    prm[J.P_SWAP_ON_FAILURE], prm[J.P_PLATEAU] = 1, 2.0
    for name, value in kw.items():
        prm[getattr(J, "P_" + name.upper())] = value
    return prm


def _walk(g: Graph, w, allowed, z, seed=0, **kw) -> K._Walk:
    wk = K._Walk(J, EdgeIndex(g.to_torch()).csr_numpy, w, allowed, z, seed, _params(**kw))
    wk.descend()  # the first local search
    return wk


def _check_state(wk: K._Walk, g: Graph, w: np.ndarray, allowed: np.ndarray) -> None:
    """Every incremental structure of the walk equals its definition."""
    S, F, sc, fs = wk.state[:4]
    adj = _adj(g)
    ins = S[J.INSOL].astype(bool)
    tight = np.array([sum(ins[u] for u in adj[v]) for v in range(g.n)])
    assert (S[J.TIGHT] == tight).all()
    assert (S[J.OWN] == [sum(u for u in adj[v] if ins[u]) for v in range(g.n)]).all()
    assert np.allclose(F[J.NBW], [sum(w[u] for u in adj[v] if ins[u]) for v in range(g.n)])
    assert not (ins & ~allowed).any() and not (ins & (tight > 0)).any()  # allowed, independent
    ss, nf, na = sc[J.SSIZE], sc[J.NFREE], sc[J.NALL]
    perm, pos = S[J.PERM], S[J.POS]
    assert na == allowed.sum() and all(pos[perm[i]] == i for i in range(na))
    assert set(perm[:ss].tolist()) == set(np.flatnonzero(ins).tolist())
    free = allowed & ~ins & (tight == 0)
    assert set(perm[ss : ss + nf].tolist()) == set(np.flatnonzero(free).tolist())
    one = allowed & ~ins & (tight == 1)
    assert set(S[J.OT, : sc[J.NOT]].tolist()) == set(np.flatnonzero(one).tolist())
    for x in np.flatnonzero(ins):
        assert S[J.N1, x] == sum(one[u] for u in adj[x])
    best = S[J.BEST].astype(bool)
    assert abs(w[best].sum() - fs[J.BESTW]) < 1e-6 and abs(w[ins].sum() - fs[J.CURW]) < 1e-6
    diff = set(S[J.BDIFF, : sc[J.NBD]].tolist())  # the incumbent differs only there
    assert all(bool(S[J.INBD, v]) == (v in diff) for v in range(g.n))
    assert all(best[v] == ins[v] for v in range(g.n) if v not in diff)
    assert not (best[g.src] & best[g.dst]).any()


@pytest.mark.parametrize("trial", range(12))
def test_incremental_state_stays_exact(trial):
    rng = np.random.default_rng(trial)
    n = int(rng.integers(8, 45))
    g = _graph(n, float(rng.uniform(0.08, 0.4)), trial)
    w = rng.integers(1, 10, n).astype(float) if trial % 2 else np.ones(n)
    allowed = rng.random(n) < (0.7 if trial % 3 == 0 else 1.1)
    wk = _walk(g, w, allowed, rng.random(n) < 0.4, seed=trial, tenure=trial % 4,
               walk_len=[0, 4, 40][trial % 3])  # fmt: skip
    _check_state(wk, g, w, allowed)
    for _ in range(25):
        wk.run(int(rng.integers(1, 15)))
        _check_state(wk, g, w, allowed)


def test_one_two_swap_and_weighted_omega_one_swap():
    star = from_networkx(nx.star_graph(5))  # centre 0
    z = np.zeros(6, dtype=bool)
    z[0] = True
    wk = _walk(star, np.ones(6), np.ones(6, dtype=bool), z)  # init runs the local search
    assert wk.best.tolist() == [False] + [True] * 5
    # weighted: two leaves of weight 2 do not beat a centre of 5 ...
    w = np.array([5.0, 2, 2, 10, 1, 1])
    path = Graph.from_edges(6, [(0, 1), (0, 2), (3, 4), (3, 5)])
    wk = _walk(path, w, np.ones(6, dtype=bool), np.array([1, 0, 0, 0, 1, 1], dtype=bool))
    # ... and vertex 3 (10) beats its solution neighbours 4, 5 (1 + 1): an (ω,1)-swap
    assert wk.best.tolist() == [True, False, False, True, False, False]


def _brute_force(g: Graph, w: np.ndarray, allowed: np.ndarray) -> float:
    adj = _adj(g)
    best = 0.0
    idx = np.flatnonzero(allowed).tolist()
    for r in range(len(idx) + 1):
        for sub in itertools.combinations(idx, r):
            s = set(sub)
            if all(u not in s for v in sub for u in adj[v]):
                best = max(best, float(w[list(sub)].sum()))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_local_search_compiled_reaches_optimum_with_keep_and_weights(seed):
    g = _graph(16, 0.25, seed, weighted=seed % 2 == 1)
    w = np.ones(g.n) if g.node_weight is None else g.node_weight
    keep = torch.arange(g.n) % 5 != seed % 5
    tg = g.to_torch()
    z = torch.zeros(3, g.n, dtype=torch.bool)
    out = K.local_search(tg, z, max_iters=2000, generator=torch.Generator().manual_seed(seed),
                         keep=keep, weight=torch.as_tensor(w))  # fmt: skip
    assert not out[:, ~keep].any() and bool(K.is_independent(tg, out).all())
    assert float((out.double() @ torch.as_tensor(w)).max()) == _brute_force(g, w, keep.numpy())


def test_local_search_compiled_contract():
    g = _graph(120, 0.06, 3)
    tg = g.to_torch()
    gen = torch.Generator().manual_seed(0)
    z = K.repair(tg, torch.rand(5, g.n, generator=gen) < 0.5, generator=gen)
    before = z.sum(1)
    kw = dict(max_iters=500, stall_iters=200)
    a = K.local_search(tg, z, generator=torch.Generator().manual_seed(1), **kw)
    b = K.local_search(tg, z, generator=torch.Generator().manual_seed(1), **kw)
    assert torch.equal(a, b)  # seeded, no time limit: reproducible
    assert bool((a.sum(1) >= before).all()) and bool(K.is_independent(tg, a).all())
    count = EdgeIndex(tg).count(a)
    assert bool((a | (count > 0)).all())  # maximal
    # a timed run stops at the target, long before the limit
    t = time.perf_counter()
    out = K.local_search(tg, z, time_limit=20.0, target=float(before.max()))
    assert time.perf_counter() - t < 5 and int(out.sum(1).max()) >= int(before.max())


def test_torch_path_still_selectable(monkeypatch):
    g = from_networkx(nx.star_graph(4))
    z = torch.zeros(1, 5, dtype=torch.bool)
    z[0, 0] = True
    out = K.local_search(g.to_torch(), z, max_iters=3, compiled=False)
    assert out[0].tolist() == [False] + [True] * 4
    monkeypatch.setattr(K.mis_greedy, "available", lambda: False)
    assert not K._use_compiled(z, None)


def test_sat_graph_reaches_clause_count():
    from dnnsolve.data import EXAMPLES, example_path
    from dnnsolve.io import read_graph

    g = read_graph(example_path("mis_sat_example"))
    tg = g.to_torch()
    z = K.repair(tg, torch.zeros(2, g.n, dtype=torch.bool))
    out = K.local_search(tg, z, max_iters=20000, generator=torch.Generator().manual_seed(0))
    assert int(out.sum(1).max()) == EXAMPLES["mis_sat_example"]["optimum"]


def test_iteration_cost_does_not_grow_with_n():
    """A move is O(degree): iterations per second on a 3-regular graph of 2·10⁵ vertices are
    within a small factor of those on 2·10³ (an O(n) step would make them 100× fewer)."""
    from dnnsolve.bench.generators import random_regular

    rates = []
    for n in (2_000, 200_000):
        g = random_regular(n, 3, seed=0)
        z = np.zeros(n, dtype=bool)
        wk = _walk(g, np.ones(n), np.ones(n, dtype=bool), z)
        wk.run(2000)
        t = time.process_time()
        done = wk.run(20_000)
        rates.append(done / max(time.process_time() - t, 1e-6))
    assert rates[1] > rates[0] / 10


def test_descent_in_chunks_is_the_same_descent():
    g = _graph(300, 0.03, 5)
    z = np.zeros(g.n, dtype=bool)
    csr = EdgeIndex(g.to_torch()).csr_numpy
    one = K._Walk(J, csr, np.ones(g.n), np.ones(g.n, dtype=bool), z, 3, _params())
    assert J.descend(*one.graph, *one.state, -1)  # no budget: to the local optimum at once
    many = K._Walk(J, csr, np.ones(g.n), np.ones(g.n, dtype=bool), z, 3, _params())
    calls = 1
    while not J.descend(*many.graph, *many.state, 2):
        calls += 1
    assert calls > 1 and np.array_equal(one.best, many.best)


def test_timed_search_keeps_its_time_limit():
    from dnnsolve.bench.generators import random_regular

    g = random_regular(100_000, 3, seed=1)
    tg = g.to_torch()
    z = K.repair(tg, torch.zeros(2, g.n, dtype=torch.bool))
    K.local_search(tg, z[:, :], max_iters=1)  # load the kernels
    t = time.perf_counter()
    out = K.local_search(tg, z, time_limit=0.5, generator=torch.Generator().manual_seed(0))
    assert time.perf_counter() - t < 1.0
    assert bool((out.sum(1) >= z.sum(1)).all()) and bool(K.is_independent(tg, out).all())
