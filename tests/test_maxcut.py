"""MaxCut evaluator, incremental gains, greedy descent, tabu search and both methods.

Optima come from an independent NumPy brute force (n ≤ 22) or OR-Tools CP-SAT.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import dnnsolve
from dnnsolve.data import default_data_dir
from dnnsolve.graph import Graph
from dnnsolve.problems.maxcut import MaxCut
from dnnsolve.search.maxcut import (
    _State,
    cut_values,
    flip_gains,
    greedy_one_flip,
    parallel_tabu_search,
    tabu_search,
)

GSET = (default_data_dir() or Path("/nonexistent")) / "gset"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny kernels: intra-op threads only add waiting on a shared CPU."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


# -- independent references ----------------------------------------------------------
def np_cut(g: Graph, side: np.ndarray) -> np.ndarray:
    """Cut of each row of ``side`` (k, n) by plain edge loops over NumPy arrays."""
    side = np.atleast_2d(np.asarray(side, dtype=bool))
    total = np.zeros(len(side))
    for u, v, w in zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist()):
        total += w * (side[:, u] != side[:, v])
    return total


def graph_cache(fn):
    """Memoise an exact solver per graph (Graph itself is unhashable)."""
    memo: dict = {}

    @functools.wraps(fn)
    def wrapper(g: Graph) -> float:
        key = (g.n, g.src.tobytes(), g.dst.tobytes(), g.weight.tobytes())
        if key not in memo:
            memo[key] = fn(g)
        return memo[key]

    return wrapper


@graph_cache
def brute_force(g: Graph) -> float:
    """Exact MaxCut by enumeration with vertex n−1 fixed on side 0."""
    n = g.n
    best = -np.inf
    bits = np.arange(n - 1)
    for chunk in range(0, 2 ** (n - 1), 1 << 16):
        codes = np.arange(chunk, min(chunk + (1 << 16), 2 ** (n - 1)))
        side = np.zeros((len(codes), n), dtype=bool)
        side[:, : n - 1] = (codes[:, None] >> bits) & 1
        best = max(best, float(np_cut(g, side).max()))
    return best


@graph_cache
def cpsat_maxcut(g: Graph) -> float:
    """Exact MaxCut with CP-SAT (y_e = x_u xor x_v); asserts optimality was proved."""
    cp_model = pytest.importorskip("ortools.sat.python.cp_model")
    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"x{i}") for i in range(g.n)]
    m.Add(x[0] == 0)
    terms = []
    for e, (u, v, w) in enumerate(zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist())):
        y = m.NewBoolVar(f"y{e}")
        m.AddBoolXOr([x[u], x[v], y.Not()])
        terms.append(int(w) * y)
    m.Maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30.0
    solver.parameters.num_workers = 2
    status = solver.Solve(m)
    assert status == cp_model.OPTIMAL
    return float(solver.ObjectiveValue())


@functools.cache
def random_graph(n: int, p: float, seed: int, weights=(1.0,)) -> Graph:
    rng = np.random.default_rng(seed)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    w = rng.choice(np.asarray(weights, dtype=float), len(edges))
    return Graph.from_edges(n, edges, w)


def signed_example() -> Graph:
    # ±1 and 2 weights; the positive weights sum to 5, reached by sides {0, 2} | {1, 3, 4}
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2), (1, 3)]
    weights = [2, 1, 1, -1, 1, -1, -1]
    return Graph.from_edges(5, edges, weights)


# -- evaluator -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("graph", "side", "cut", "opt"),
    [
        (Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)]), [1, 0, 0], 2.0, 2.0),
        (Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)]), [1, 0, 1, 0], 4.0, 4.0),
        (Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)]), [1, 1, 0, 0], 2.0, 4.0),
        (signed_example(), [1, 0, 1, 0, 0], 5.0, 5.0),
    ],
)
def test_evaluator_hand_checked(graph: Graph, side, cut: float, opt: float) -> None:
    z = torch.tensor([side], dtype=torch.bool)
    assert cut_values(graph.to_torch(), z).tolist() == [cut]
    prob = MaxCut(graph)
    assert prob.evaluate(z).objective.tolist() == [cut]
    assert prob.verify(np.array(side)) == (cut, True)
    assert np_cut(graph, np.array(side))[0] == cut
    assert brute_force(graph) == opt


def test_evaluator_matches_brute_force_on_random_batches() -> None:
    g = random_graph(12, 0.4, 0, weights=(-1.0, 1.0, 2.5))
    z = torch.rand(16, g.n, generator=torch.Generator().manual_seed(1)) < 0.5
    assert np.allclose(cut_values(g.to_torch(), z).numpy(), np_cut(g, z.numpy()))


# -- incremental gains -------------------------------------------------------------------
def test_gains_match_brute_force_after_random_flips() -> None:
    g = random_graph(15, 0.35, 2, weights=(-1.0, 1.0, 0.5, 3.0))
    tg = g.to_torch()
    gen = torch.Generator().manual_seed(3)
    z = torch.rand(4, g.n, generator=gen) < 0.5
    st = _State(tg, z)
    for _ in range(40):
        k = torch.randint(0, g.n, (4, 1), generator=gen)
        st.flip(k, st.gains().gather(1, k).clone())
        side = st.sides().numpy()
        base = np_cut(g, side)
        assert np.allclose(st.cut.view(-1).numpy(), base)
        for i in range(g.n):
            flipped = side.copy()
            flipped[:, i] = ~flipped[:, i]
            assert np.allclose(st.gains()[:, i].numpy(), np_cut(g, flipped) - base)
    assert torch.allclose(st.gains(), flip_gains(tg, st.sides()))


# -- greedy ------------------------------------------------------------------------------
def test_greedy_reaches_one_flip_local_optimum() -> None:
    g = random_graph(30, 0.2, 4, weights=(-1.0, 1.0, 2.0))
    z = torch.rand(6, g.n, generator=torch.Generator().manual_seed(5)) < 0.5
    out = greedy_one_flip(g.to_torch(), z)
    side = out.numpy()
    base = np_cut(g, side)
    assert np.all(base >= np_cut(g, z.numpy()))
    for i in range(g.n):
        flipped = side.copy()
        flipped[:, i] = ~flipped[:, i]
        assert np.all(np_cut(g, flipped) <= base + 1e-9)


# -- tabu --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_tabu_reaches_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 17))
    g = random_graph(n, 0.4, seed, weights=(-1.0, 1.0, 2.0))
    opt = brute_force(g)
    z = torch.rand(4, n, generator=torch.Generator().manual_seed(seed)) < 0.5
    out = tabu_search(g.to_torch(), z, max_iters=3000, generator=torch.Generator().manual_seed(0))
    cuts = np_cut(g, out.numpy())
    assert np.all(cuts >= np_cut(g, z.numpy()))
    assert cuts.max() == opt


def test_tabu_never_worse_than_input() -> None:
    g = random_graph(40, 0.15, 7, weights=(-1.0, 1.0))
    tg = g.to_torch()
    # already good inputs: greedy optima, plus a few iterations only
    z = greedy_one_flip(tg, torch.rand(8, g.n, generator=torch.Generator().manual_seed(8)) < 0.5)
    for iters in (1, 50, 400):
        out = tabu_search(tg, z, max_iters=iters)
        assert out.shape == z.shape and out.dtype == torch.bool
        assert np.all(np_cut(g, out.numpy()) >= np_cut(g, z.numpy()))


def test_tabu_respects_time_limit_and_edge_cases() -> None:
    import time

    g = random_graph(200, 0.05, 9)
    tg = g.to_torch()
    z = torch.zeros(2, g.n, dtype=torch.bool)
    t = time.perf_counter()
    out = tabu_search(tg, z, time_limit=0.3)
    assert time.perf_counter() - t < 2.0
    assert np.all(np_cut(g, out.numpy()) > 0)
    empty = Graph.from_edges(3, [])
    assert tabu_search(empty.to_torch(), torch.ones(1, 3, dtype=torch.bool)).tolist() == [
        [True, True, True]
    ]
    with pytest.raises(ValueError):
        tabu_search(tg, torch.zeros(2, 5, dtype=torch.bool))


def test_tabu_is_deterministic_for_a_seed() -> None:
    g = random_graph(50, 0.1, 10, weights=(-1.0, 1.0))
    z = torch.rand(4, g.n, generator=torch.Generator().manual_seed(0)) < 0.5
    a = tabu_search(g.to_torch(), z, max_iters=500, generator=torch.Generator().manual_seed(1))
    b = tabu_search(g.to_torch(), z, max_iters=500, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


# -- whole methods -----------------------------------------------------------------------
def check_result(g: Graph, r) -> float:
    """Feasible, and the reported vertex ids really give the reported cut."""
    assert r.feasible
    side = np.zeros(g.n, dtype=bool)
    side[np.asarray(r.solution, dtype=int) - 1] = True  # ids are 1-based by default
    assert np_cut(g, side)[0] == r.objective
    return r.objective


@pytest.mark.parametrize("method", ["relaxed", "pignn"])
def test_methods_reach_brute_force_optimum(method: str) -> None:
    g = random_graph(20, 0.3, 11, weights=(-1.0, 1.0))
    opt = brute_force(g)
    r = dnnsolve.solve("maxcut", g, method=method, steps=100, device="cpu", seed=0)
    assert check_result(g, r) == opt


@pytest.mark.parametrize("method", ["relaxed", "pignn"])
def test_methods_reach_cpsat_optimum(method: str) -> None:
    g = random_graph(32, 0.12, 12)
    opt = cpsat_maxcut(g)
    r = dnnsolve.solve("maxcut", g, method=method, steps=100, device="cpu", seed=0)
    assert check_result(g, r) == opt


@pytest.mark.parametrize("restarts", [1, 8])
def test_single_and_batched_restarts(restarts: int) -> None:
    g = signed_example()
    r = dnnsolve.solve("maxcut", g, method="relaxed", restarts=restarts, steps=50, device="cpu")
    assert check_result(g, r) == 5.0
    assert r.restarts == restarts


def test_same_seed_same_result() -> None:
    g = random_graph(30, 0.2, 13, weights=(-1.0, 1.0))
    kw = dict(method="relaxed", steps=60, restarts=8, device="cpu", seed=5)
    a = dnnsolve.solve("maxcut", g, **kw)
    b = dnnsolve.solve("maxcut", g, **kw)
    assert a.objective == b.objective and a.solution == b.solution


def test_signed_torus_graph_local_search() -> None:
    # 5×4 toroidal grid with ±1 weights (the shape of Gset G11–G13), n = 20
    rng = np.random.default_rng(14)
    r, c = 5, 4
    edges = [(i * c + j, i * c + (j + 1) % c) for i in range(r) for j in range(c)]
    edges += [(i * c + j, ((i + 1) % r) * c + j) for i in range(r) for j in range(c)]
    g = Graph.from_edges(r * c, edges, rng.choice([-1.0, 1.0], len(edges)))
    opt = brute_force(g)
    z = torch.zeros(4, g.n, dtype=torch.bool)
    out = MaxCut(g).local_search(z, None, torch.Generator().manual_seed(0))
    assert out.shape == z.shape
    assert np_cut(g, out.numpy()).max() == opt


@pytest.mark.slow
@pytest.mark.skipif(not GSET.exists(), reason="Gset folder not present")
def test_gset_g14_quality() -> None:
    from dnnsolve.io import read_graph

    g = read_graph(GSET / "G14.txt")
    r = dnnsolve.solve("maxcut", g, method="relaxed", time_limit=60, device="cpu")
    assert r.feasible and r.objective >= 0.99 * 3064


def test_seeded_runs_with_default_polish_are_reproducible() -> None:
    g = random_graph(80, 0.1, 5, weights=(-1.0, 1.0))
    kw = dict(device="cpu", seed=7, steps=40, restarts=8)
    a, b = dnnsolve.solve("maxcut", g, **kw), dnnsolve.solve("maxcut", g, **kw)
    assert a.solution == b.solution and a.objective == b.objective


def test_reference_stops_the_run_once_reached() -> None:
    from dnnsolve.data import EXAMPLES, example_path
    from dnnsolve.io import read_graph

    g = read_graph(example_path("maxcut_example"))
    opt = EXAMPLES["maxcut_example"]["optimum"]
    r = dnnsolve.solve("maxcut", g, device="cpu", seed=0, reference_value=opt, time_limit=60)
    side = np.zeros(g.n, dtype=bool)
    side[np.asarray(r.solution, dtype=int) - 1] = True
    assert np_cut(g, side[None])[0] == r.objective == opt
    assert r.time_s < 30  # stopped at the target, not at the time limit
    # the tabu search alone stops at a target too: a low one is hit within the first block
    tg = g.to_torch()
    z = torch.zeros(2, g.n, dtype=torch.bool)
    t0 = time.perf_counter()
    out = tabu_search(tg, z, time_limit=30.0, target=10.0)
    assert time.perf_counter() - t0 < 10.0
    assert np_cut(g, out.numpy()).max() >= 10


@pytest.mark.parametrize("seed", range(3))
def test_parallel_tabu_reaches_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(12, 17))
    g = random_graph(n, 0.4, 100 + seed, weights=(-1.0, 1.0, 2.0))
    z = torch.rand(4, n, generator=torch.Generator().manual_seed(seed)) < 0.5
    out = parallel_tabu_search(
        g.to_torch(), z, max_iters=3000, generator=torch.Generator().manual_seed(0)
    )
    cuts = np_cut(g, out.numpy())
    assert np.all(cuts >= np_cut(g, z.numpy()))
    assert cuts.max() == brute_force(g)


def test_parallel_tabu_improves_large_sparse_graph_and_keeps_inputs() -> None:
    g = random_graph(3000, 0.0012, 11, weights=(-1.0, 1.0))
    tg = g.to_torch()
    z = greedy_one_flip(tg, torch.rand(2, g.n, generator=torch.Generator().manual_seed(3)) < 0.5)
    base = np_cut(g, z.numpy())
    out = parallel_tabu_search(tg, z, max_iters=300, generator=torch.Generator().manual_seed(1))
    # a 1-flip local optimum is improved by the walk; the returned cut is exact
    assert np.all(np_cut(g, out.numpy()) > base)
    assert np.allclose(cut_values(tg, out).numpy(), np_cut(g, out.numpy()))
    # a target already met stops at once and returns the input
    same = parallel_tabu_search(tg, z, max_iters=300, target=float(base.min()))
    assert torch.equal(same, z)


def test_the_network_share_of_a_timed_run_falls_on_large_graphs():
    # up to 4000 vertices the network gets 20 % of a timed run; above, 20 % * 4000 / n, so
    # the annealing polish has the time dwave's annealer would (tuned on Gset G55-G81)
    from dnnsolve.methods import get_method

    method = get_method("maxcut", "relaxed")
    fractions = [
        method.settings(Graph.from_edges(n, []))["polish_fraction"]
        for n in (800, 4000, 8000, 20000)
    ]
    assert fractions == pytest.approx([0.8, 0.8, 0.9, 0.96])
    assert (
        get_method("maxcut", "pignn").settings(Graph.from_edges(8000, []))["polish_fraction"] == 0.8
    )
