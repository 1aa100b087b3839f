"""Maximum independent set: evaluator, repair kernels, losses, local search, methods."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.data import default_data_dir
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx
from dnnsolve.problems.mis import MaxIndependentSet, all_pairs_relu, degree_init
from dnnsolve.search import mis as K


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny sparse products are dominated by thread start-up on a shared 2-core box
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _independent(g: Graph, sel: np.ndarray) -> bool:
    adj = {(int(u), int(v)) for u, v in zip(g.src, g.dst)}
    idx = np.flatnonzero(sel)
    return all((min(a, b), max(a, b)) not in adj for a, b in itertools.combinations(idx, 2))


def _maximal(g: Graph, sel: np.ndarray) -> bool:
    nbrs = [set() for _ in range(g.n)]
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        nbrs[u].add(v)
        nbrs[v].add(u)
    return all(sel[v] or any(sel[u] for u in nbrs[v]) for v in range(g.n))


def _cpsat_mis(g: Graph) -> float:
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x = [m.NewBoolVar("") for _ in range(g.n)]
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        m.Add(x[u] + x[v] <= 1)
    w = np.ones(g.n) if g.node_weight is None else g.node_weight
    m.Maximize(sum(int(wi) * xi for wi, xi in zip(w, x)))
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_time_in_seconds = 20
    assert s.Solve(m) == cp_model.OPTIMAL
    return float(s.ObjectiveValue())


def _random_graph(n: int, p: float, seed: int, weighted: bool = False) -> Graph:
    g = from_networkx(nx.gnp_random_graph(n, p, seed=seed))
    if weighted:
        g.node_weight = np.random.default_rng(seed).integers(1, 10, n).astype(float)
    return g


# -- evaluator / verify --------------------------------------------------------------
@pytest.mark.parametrize(
    "graph, sel, obj, ok",
    [
        (nx.path_graph(4), [1, 0, 1, 0], 2.0, True),
        (nx.path_graph(4), [1, 0, 0, 1], 2.0, True),
        (nx.path_graph(4), [0, 1, 1, 0], 2.0, False),
        (nx.star_graph(4), [0, 1, 1, 1, 1], 4.0, True),
        (nx.star_graph(4), [1, 1, 0, 0, 0], 2.0, False),
        (nx.cycle_graph(5), [1, 0, 1, 0, 0], 2.0, True),
        (nx.cycle_graph(5), [1, 0, 1, 0, 1], 3.0, False),
    ],
)
def test_evaluate_and_verify(graph, sel, obj, ok):
    prob = MaxIndependentSet(from_networkx(graph))
    assert prob.verify(np.array(sel)) == (obj, ok)
    ev = prob.evaluate(torch.tensor([sel], dtype=torch.bool))
    assert float(ev.objective[0]) == obj and bool(ev.feasible[0]) == ok


def test_weighted_verify_and_output():
    g = Graph.from_edges(3, [(0, 1), (1, 2)], node_weight=[1.0, 5.0, 1.0], ids=[10, 20, 30])
    prob = MaxIndependentSet(g)
    assert prob.verify(np.array([0, 1, 0])) == (5.0, True)
    assert prob.verify(np.array([1, 0, 1])) == (2.0, True)
    obj, ok = prob.verify(np.array([1, 1]))
    assert np.isnan(obj) and not ok
    assert prob.solution_output(np.array([0, 1, 0])) == [20]
    ev = prob.evaluate(torch.tensor([[0, 1, 0], [1, 1, 0]], dtype=torch.bool))
    assert ev.objective.tolist() == [5.0, 6.0] and ev.feasible.tolist() == [True, False]


# -- kernels -----------------------------------------------------------------------
@pytest.fixture(params=["sequential", "parallel"])
def kernel_path(request, monkeypatch):
    """Run a kernel test with the compiled sequential rules (CPU) and the tensor rounds (GPU)."""
    if request.param == "parallel":
        monkeypatch.setattr(K.mis_greedy, "available", lambda: False)
    return request.param


@pytest.mark.parametrize("seed", range(4))
def test_repair_gives_maximal_independent_sets(seed, kernel_path):
    g = _random_graph(40, 0.12 + 0.05 * seed, seed, weighted=seed % 2 == 1)
    tg = g.to_torch()
    gen = torch.Generator().manual_seed(seed)
    z = torch.rand(8, g.n, generator=gen) < torch.linspace(0, 1, 8)[:, None]
    out = K.repair(tg, z, generator=gen).numpy()
    for row in out:
        assert _independent(g, row) and _maximal(g, row)


def test_repair_respects_keep_mask(kernel_path):
    g = _random_graph(30, 0.1, 7)
    keep = torch.arange(30) % 3 != 0
    out = K.repair(g.to_torch(), torch.ones(4, 30, dtype=torch.bool), keep=keep)
    assert not out[:, ~keep].any()
    assert bool(K.is_independent(g.to_torch(), out).all())


def test_drop_conflicts_fallback_round_is_independent(kernel_path):
    g = _random_graph(50, 0.3, 3)
    out = K.drop_conflicts(g.to_torch(), torch.ones(5, 50, dtype=torch.bool), max_rounds=0)
    assert all(_independent(g, row) for row in out.numpy())


def _reference_greedy(g: Graph) -> np.ndarray:
    """Dynamic min-degree greedy written plainly: take the alive vertex of largest
    w / (alive degree + 1), smallest index on ties; delete it and its neighbours."""
    w = np.ones(g.n) if g.node_weight is None else g.node_weight
    nbrs = [set() for _ in range(g.n)]
    for a, b in zip(g.src.tolist(), g.dst.tolist()):
        nbrs[a].add(b)
        nbrs[b].add(a)
    alive, chosen = set(range(g.n)), np.zeros(g.n, dtype=bool)
    alive -= {v for v in range(g.n) if w[v] <= 0}
    while alive:
        v = max(sorted(alive), key=lambda u: w[u] / (len(nbrs[u] & alive) + 1))
        chosen[v] = True
        alive -= nbrs[v] | {v}
    return chosen


@pytest.mark.parametrize("seed", range(6))
def test_compiled_greedy_is_min_degree_greedy(seed):
    from dnnsolve.baselines.greedy import greedy_mis

    g = _random_graph(60, 0.05 + 0.04 * seed, seed, weighted=seed % 2 == 1)
    assert np.array_equal(greedy_mis(g).solution.astype(bool), _reference_greedy(g))


@pytest.mark.parametrize("seed", range(4))
def test_compiled_drop_and_fill_keep_their_contracts(seed):
    from dnnsolve.search.mis_greedy import greedy_drop, greedy_fill

    g = _random_graph(50, 0.15, seed, weighted=seed % 2 == 1)
    indptr, indices = K.EdgeIndex(g.to_torch()).csr_numpy
    w = np.ones(g.n) if g.node_weight is None else g.node_weight
    rng = np.random.default_rng(seed)
    z = rng.random((6, g.n)) < np.linspace(0.2, 1.0, 6)[:, None]
    dropped = greedy_drop(indptr, indices, w, z, rng.random(z.shape))
    assert not (dropped & ~z).any()  # only removes
    assert all(_independent(g, row) for row in dropped)
    filled = greedy_fill(indptr, indices, w, dropped, None, rng.random(z.shape))
    assert not (dropped & ~filled).any()  # only adds
    assert all(_independent(g, row) and _maximal(g, row) for row in filled)


def test_complement_identity_matches_dense():
    g = _random_graph(12, 0.4, 1)
    a = torch.zeros(12, 12)
    a[g.src, g.dst] = 1
    a = a + a.T
    comp = 1 - a - torch.eye(12)
    x = torch.rand(3, 12, generator=torch.Generator().manual_seed(0))
    xax = (x * (x @ a)).sum(1)
    implicit = x.sum(1) ** 2 - (x * x).sum(1) - xax
    assert torch.allclose(implicit, (x * (x @ comp)).sum(1), atol=1e-5)
    prob = MaxIndependentSet(g)
    hp = {"gamma": torch.tensor(3.0), "gamma_c": torch.tensor(0.5)}
    dense = -x.sum(1) + 1.5 * xax - 0.25 * (x * (x @ comp)).sum(1)
    assert torch.allclose(prob.loss(x, hp), dense, atol=1e-4)


def test_all_pairs_relu_matches_brute_force():
    x = torch.rand(4, 9, generator=torch.Generator().manual_seed(2))
    x[0, :3] = torch.tensor([0.5, 0.5, 1.0])  # ties on the threshold
    brute = torch.stack(
        [
            sum(torch.relu(r[i] + r[j] - 1) for i, j in itertools.combinations(range(9), 2))
            for r in x
        ]
    )
    assert torch.allclose(all_pairs_relu(x), brute, atol=1e-5)
    # gradient agrees with the brute-force sum's
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    all_pairs_relu(xa).sum().backward()
    sum(
        torch.relu(xb[:, i] + xb[:, j] - 1) for i, j in itertools.combinations(range(9), 2)
    ).sum().backward()
    assert torch.allclose(xa.grad, xb.grad, atol=1e-5)


def test_relu_loss_matches_explicit_network():
    g = _random_graph(10, 0.3, 4)
    prob = MaxIndependentSet(g, formulation="relu")
    x = torch.rand(2, 10, generator=torch.Generator().manual_seed(1))
    edges = set(zip(g.src.tolist(), g.dst.tolist()))
    want = []
    for r in x:
        node = torch.relu(r - 0.5).sum()
        e = sum(torch.relu(r[u] + r[v] - 1) for u, v in edges)
        c = sum(
            torch.relu(r[u] + r[v] - 1)
            for u, v in itertools.combinations(range(10), 2)
            if (u, v) not in edges
        )
        want.append(-node + 10 * e - 0.5 * c)
    assert torch.allclose(prob.loss(x, {"gamma": torch.tensor(1.0)}), torch.stack(want), atol=1e-4)


@pytest.mark.parametrize("weighted", [False, True])
def test_local_search_never_worse_and_feasible(weighted):
    g = _random_graph(60, 0.1, 11, weighted=weighted)
    prob = MaxIndependentSet(g)
    gen = torch.Generator().manual_seed(0)
    z = K.repair(prob.tg, torch.rand(6, 60, generator=gen) < 0.5, generator=gen)
    before = prob.evaluate(z).objective
    out = prob.local_search(z, time_limit=2.0, generator=gen)
    after = prob.evaluate(out)
    assert bool(after.feasible.all()) and bool((after.objective >= before).all())
    for row in out.numpy():
        assert _independent(g, row) and _maximal(g, row)
    assert float(after.objective.max()) == _cpsat_mis(g)


def test_local_search_one_two_swap():
    # star: the centre alone is maximal; one (1,2)-swap reaches all leaves
    g = from_networkx(nx.star_graph(5))
    z = torch.zeros(1, 6, dtype=torch.bool)
    z[0, 0] = True
    out = K.local_search(g.to_torch(), z, max_iters=3, generator=torch.Generator().manual_seed(0))
    assert out[0].tolist() == [False] + [True] * 5


def test_degree_init():
    g = from_networkx(nx.star_graph(3))
    assert degree_init(g).tolist() == [0.0, pytest.approx(2 / 3)] + [pytest.approx(2 / 3)] * 2


# -- methods -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["pcqo", "relu", "pignn"])
@pytest.mark.parametrize("seed", [0, 1])
def test_methods_reach_cpsat_optimum(method, seed):
    g = _random_graph(30 + 15 * seed, 0.15, 100 + seed)
    opt = _cpsat_mis(g)
    r = solve("mis", g, method=method, device="cpu", seed=0, steps=150, restarts=8, time_limit=3)
    assert r.feasible and r.objective == opt
    sel = np.zeros(g.n, dtype=bool)
    sel[np.asarray(r.solution, dtype=int)] = True  # NetworkX labels 0..n-1 are the ids
    assert _independent(g, sel)


@pytest.mark.parametrize("method", ["pcqo", "relu", "pignn"])
def test_methods_weighted_optimum(method):
    g = _random_graph(30, 0.2, 5, weighted=True)
    r = solve("mis", g, method=method, device="cpu", seed=0, steps=150, restarts=8, time_limit=3)
    assert r.feasible and r.objective == _cpsat_mis(g)


def test_network_alone_is_feasible():
    g = _random_graph(40, 0.15, 9)
    for method in ("pcqo", "relu", "pignn"):
        r = solve("mis", g, method=method, device="cpu", seed=0, steps=60, restarts=4, polish=False)
        sel = np.zeros(g.n, dtype=bool)
        sel[np.asarray(r.solution, dtype=int)] = True
        assert r.feasible and _independent(g, sel) and _maximal(g, sel)


def test_single_restart_and_seed_reproducibility():
    g = _random_graph(40, 0.15, 21)
    kw = dict(device="cpu", seed=3, steps=90, time_limit=2, polish_time=0.3)
    one = solve("mis", g, method="pcqo", restarts=1, lr=3e-4, hparams={"gamma": 900.0}, **kw)
    assert one.feasible and one.restarts == 1
    a = solve("mis", g, method="pcqo", restarts=4, polish=False, **kw)
    b = solve("mis", g, method="pcqo", restarts=4, polish=False, **kw)
    assert a.solution == b.solution and a.objective == b.objective


_SATLIB = (default_data_dir() or Path("/nonexistent")) / "satlib_mis_cbs" / "cnf"


@pytest.mark.slow
def test_satlib_instance_near_clause_count():
    if not _SATLIB.is_dir():
        pytest.skip("SATLIB data not present")
    from dnnsolve.io import read_graph

    g = read_graph(sorted(_SATLIB.glob("*.cnf"))[0])
    r = solve("mis", g, device="cpu", seed=0, time_limit=30)
    sel = np.zeros(g.n, dtype=bool)
    sel[np.asarray(r.solution, dtype=int) - 1] = True  # CNF vertex ids are 1..L
    assert r.feasible and _independent(g, sel) and sel.sum() == r.objective
    # the optimum is the clause count (all these formulas are satisfiable)
    assert g.meta["n_clauses"] - 4 <= r.objective <= g.meta["n_clauses"]


def test_seeded_runs_with_default_polish_are_reproducible():
    # no time limit: the polish runs on an iteration budget, so the whole run is deterministic
    g = _random_graph(80, 0.1, 5)
    kw = dict(device="cpu", seed=7, steps=60, restarts=8)
    a, b = solve("mis", g, **kw), solve("mis", g, **kw)
    assert a.feasible and a.solution == b.solution and a.objective == b.objective


def test_local_search_two_two_swaps_keep_sets_independent_and_maximal():
    from dnnsolve.data import EXAMPLES, example_path
    from dnnsolve.io import read_graph

    g = read_graph(example_path("mis_sat_example"))  # MIS graph of a satisfiable 3-SAT formula
    tg = g.to_torch()
    gen = torch.Generator().manual_seed(1)
    z = K.repair(tg, torch.zeros(8, g.n, dtype=torch.bool), generator=gen)
    # the torch search (the one CUDA runs): every walk makes (2,2)-swaps, no plateau 1-swaps, no kicks
    out = K.local_search(tg, z, max_iters=400, generator=gen, p_two_tight=1.0,
                         p_plateau=0.0, p_perturb=0.0, compiled=False)  # fmt: skip
    for row in out.numpy():
        assert _independent(g, row) and _maximal(g, row)
    sizes = out.sum(dim=1)
    assert bool((sizes >= z.sum(dim=1)).all())
    assert int(sizes.max()) == EXAMPLES["mis_sat_example"]["optimum"]
