"""Minimum vertex cover: evaluator, repair, proven optima (brute force / CP-SAT), CLI."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.cover_clique import cover_value, cpsat_vertex_cover, greedy_vertex_cover
from dnnsolve.cli import main
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx
from dnnsolve.problems.vertex_cover import MinVertexCover

TRI_PENDANT = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)])


def _covers(graph: Graph, mask) -> bool:
    m = np.asarray(mask, dtype=bool)
    return all(m[u] or m[v] for u, v in graph.to_networkx().edges)


def _brute_force(graph: Graph) -> float:
    w = np.ones(graph.n) if graph.node_weight is None else graph.node_weight
    best = np.inf
    for bits in itertools.product([0, 1], repeat=graph.n):
        if _covers(graph, bits):
            best = min(best, float(np.dot(w, bits)))
    return best


def _cpsat_cover(graph: Graph) -> float:
    """Independent CP-SAT model (not the baseline under test)."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x = [m.NewBoolVar("") for _ in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        m.Add(x[u] + x[v] >= 1)
    w = np.ones(graph.n) if graph.node_weight is None else graph.node_weight
    m.Minimize(sum(int(wi) * xi for wi, xi in zip(w, x)))
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


def _mask(graph: Graph, solution) -> np.ndarray:
    m = np.zeros(graph.n, dtype=bool)
    idx = np.asarray(solution, dtype=int)
    m[idx - (1 if graph.ids is None else 0)] = True
    return m


# -- evaluator ---------------------------------------------------------------------
CASES = [
    ([1, 0, 1, 0], 2.0, True),
    ([0, 1, 1, 0], 2.0, True),
    ([1, 1, 0, 0], 2.0, False),  # edge 2-3 uncovered
    ([1, 1, 0, 1], 3.0, True),
    ([0, 0, 1, 0], 1.0, False),
    ([0, 0, 0, 0], 0.0, False),
    ([1, 1, 1, 1], 4.0, True),
]


def test_evaluate_and_verify_hand_made():
    prob = MinVertexCover(TRI_PENDANT)
    assert prob.sense == "min"
    ev = prob.evaluate(torch.tensor([c[0] for c in CASES], dtype=torch.bool))
    assert ev.objective.tolist() == [c[1] for c in CASES]
    assert ev.feasible.tolist() == [c[2] for c in CASES]
    for sel, obj, ok in CASES:
        assert prob.verify(np.array(sel)) == (obj, ok)
        assert cover_value(TRI_PENDANT, np.array(sel)) == (obj, ok)
    assert prob.verify(np.array([1, 1, 1]))[1] is False  # wrong length
    # an edgeless graph is covered by the empty set
    assert MinVertexCover(Graph.from_edges(3, [])).verify(np.zeros(3)) == (0.0, True)


def test_weighted_verify_and_output():
    g = Graph.from_edges(
        4, [(0, 1), (1, 2), (0, 2), (2, 3)], node_weight=[5, 1, 1, 1], ids=["a", "b", "c", "d"]
    )
    prob = MinVertexCover(g)
    assert prob.verify(np.array([0, 1, 1, 0])) == (2.0, True)
    assert prob.solution_output(np.array([0, 1, 1, 0])) == ["b", "c"]
    assert _brute_force(g) == 2.0


@pytest.mark.parametrize("seed", [0, 1])
def test_repair_and_local_search_give_covers(seed):
    g = _random_graph(50, 0.1, seed)
    prob = MinVertexCover(g)
    gen = torch.Generator().manual_seed(seed)
    z = prob.repair(prob.decode(torch.rand(8, g.n, generator=gen)))
    assert bool(prob.evaluate(z).feasible.all())
    for row in z.numpy():
        assert _covers(g, row)
        # minimal: every cover vertex has a neighbour outside the cover
        gx = g.to_networkx()
        assert all(any(not row[u] for u in gx.neighbors(v)) for v in np.flatnonzero(row))
    before = prob.evaluate(z).objective
    out = prob.local_search(z, None, torch.Generator().manual_seed(0))
    ev = prob.evaluate(out)
    assert bool(ev.feasible.all()) and bool((ev.objective <= before).all())


# -- proven optima -----------------------------------------------------------------
@pytest.mark.parametrize("method", ["pcqo", "relu", "pignn"])
def test_methods_reach_brute_force_optimum(method):
    g = _random_graph(14, 0.3, 3)
    opt = _brute_force(g)
    r = solve(
        "vertex-cover", g, method=method, device="cpu", seed=0, steps=100, restarts=4, time_limit=2
    )
    assert r.feasible and r.objective == opt and _covers(g, _mask(g, r.solution))


@pytest.mark.parametrize(("n", "p", "seed"), [(40, 0.15, 1), (60, 0.1, 2)])
def test_pcqo_reaches_cpsat_optimum(n, p, seed):
    g = _random_graph(n, p, seed)
    opt = _cpsat_cover(g)
    c = cpsat_vertex_cover(g, time_limit=10)
    assert c.optimal and c.objective == opt and greedy_vertex_cover(g).objective >= opt
    r = solve("vertex-cover", g, device="cpu", seed=0, steps=150, restarts=8, time_limit=3)
    assert r.feasible and r.objective == opt and _covers(g, _mask(g, r.solution))
    # König-free sanity: cover optimum + independence number = n
    mis = solve("mis", g, device="cpu", seed=0, steps=150, restarts=8, time_limit=3)
    assert mis.objective + opt == n


def test_weighted_optimum():
    g = _random_graph(30, 0.15, 5, weighted=True)
    opt = _cpsat_cover(g)
    r = solve("vertex-cover", g, device="cpu", seed=0, steps=150, restarts=8, time_limit=3)
    assert r.feasible and r.objective == opt


def test_network_alone_is_feasible():
    g = _random_graph(40, 0.15, 9)
    for method in ("pcqo", "relu", "pignn"):
        r = solve(
            "vertex-cover", g, method=method, device="cpu", seed=0, steps=60, restarts=4,
            polish=False, baseline=False,
        )  # fmt: skip
        assert r.feasible and r.found_by == "network" and _covers(g, _mask(g, r.solution))


def test_reference_stops_at_optimum():
    g = _random_graph(30, 0.2, 4)
    opt = _cpsat_cover(g)
    r = solve("vertex-cover", g, device="cpu", seed=0, steps=300, restarts=8, reference_value=opt)
    assert r.objective == opt and r.stop_reason in ("reference", "steps", "converged")


# -- CLI ---------------------------------------------------------------------------
def test_cli_solve_vertex_cover(tmp_path):
    g = _random_graph(20, 0.2, 6)
    path = tmp_path / "g.txt"
    path.write_text(
        f"{g.n} {g.m}\n" + "".join(f"{u + 1} {v + 1} 1\n" for u, v in zip(g.src, g.dst))
    )
    out = tmp_path / "r.json"
    rc = main(["solve", "vertex-cover", str(path), "--format", "gset", "--time-limit", "2",
               "--device", "cpu", "-q", "--output", str(out)])  # fmt: skip
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["problem"] == "vertex-cover" and data["sense"] == "min" and data["feasible"]
    mask = np.zeros(g.n, dtype=bool)
    mask[np.asarray(data["solution"]) - 1] = True  # 1-based ids of the file
    assert _covers(g, mask) and data["objective"] == mask.sum() == _cpsat_cover(g)


@pytest.mark.parametrize("content", ["", "3 2\n1 2 1\n", "3 1\n1 x 1\n", "3 1\n2 2 1\n"])
def test_cli_malformed_file_exits_2(tmp_path, content, capsys):
    path = tmp_path / "bad.gset"
    path.write_text(content)
    rc = main(["solve", "vertex-cover", str(path), "--format", "gset", "--device", "cpu", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.gset" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
