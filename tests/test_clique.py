"""Maximum clique: evaluator, implicit-complement losses and kernels, optima, CLI."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import torch

import dnnsolve.problems.clique as clique_mod
from dnnsolve import solve
from dnnsolve.baselines.cover_clique import clique_value, cpsat_clique, greedy_clique
from dnnsolve.bench.generators import erdos_renyi
from dnnsolve.cli import main
from dnnsolve.graph import Graph, complement_graph
from dnnsolve.io import from_networkx
from dnnsolve.problems.clique import MaxClique
from dnnsolve.problems.mis import MaxIndependentSet
from dnnsolve.search import clique as kernels

# triangle 0-1-2 with a pendant vertex 3 on 2
TRI_PENDANT = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)])


def _is_clique(graph: Graph, mask) -> bool:
    """Independent check through NetworkX: every selected pair is an edge."""
    g = graph.to_networkx()
    idx = np.flatnonzero(np.asarray(mask, dtype=bool)).tolist()
    return all(g.has_edge(u, v) for u, v in itertools.combinations(idx, 2))


def _mask(graph: Graph, solution) -> np.ndarray:
    """Mask of a result's vertex ids (1-based for graphs without ids)."""
    m = np.zeros(graph.n, dtype=bool)
    idx = np.asarray(solution, dtype=int)
    m[idx - (1 if graph.ids is None else 0)] = True
    return m


def _nx_optimum(graph: Graph, weighted: bool = False) -> float:
    g = graph.to_networkx()
    if weighted:
        for v in g.nodes:
            g.nodes[v]["w"] = int(graph.node_weight[v])
    return float(nx.max_weight_clique(g, weight="w" if weighted else None)[1])


# -- evaluator ---------------------------------------------------------------------
CASES = [
    ([1, 1, 1, 0], 3.0, True),
    ([1, 0, 1, 1], 3.0, False),
    ([0, 0, 1, 1], 2.0, True),
    ([0, 1, 0, 1], 2.0, False),
    ([0, 0, 0, 1], 1.0, True),
    ([0, 0, 0, 0], 0.0, True),
    ([1, 1, 1, 1], 4.0, False),
]


@pytest.mark.parametrize("mode", ["explicit", "implicit"])
def test_evaluate_and_verify_hand_made(mode):
    prob = MaxClique(TRI_PENDANT, complement=mode)
    z = torch.tensor([c[0] for c in CASES], dtype=torch.bool)
    ev = prob.evaluate(z)
    assert ev.objective.tolist() == [c[1] for c in CASES]
    assert ev.feasible.tolist() == [c[2] for c in CASES]
    for sel, obj, ok in CASES:
        assert prob.verify(np.array(sel)) == (obj, ok)
        assert clique_value(TRI_PENDANT, np.array(sel)) == (obj, ok)
    assert prob.verify(np.array([1, 1]))[1] is False  # wrong length


def test_weighted_verify_and_output():
    g = Graph.from_edges(
        4, [(0, 1), (1, 2), (0, 2), (2, 3)], node_weight=[1, 2, 3, 10], ids=["a", "b", "c", "d"]
    )
    prob = MaxClique(g)
    assert prob.verify(np.array([0, 0, 1, 1])) == (13.0, True)
    assert prob.evaluate(torch.tensor([[0, 0, 1, 1]], dtype=torch.bool)).objective.item() == 13.0
    assert prob.solution_output(np.array([0, 0, 1, 1])) == ["c", "d"]
    with pytest.raises(ValueError):
        MaxClique(Graph.from_edges(2, [(0, 1)], node_weight=[1, -1]))


def test_complement_graph_matches_networkx():
    g = erdos_renyi(40, 0.3, 1)
    comp = complement_graph(g)
    ref = nx.complement(g.to_networkx())
    assert comp.m == ref.number_of_edges()
    assert all(ref.has_edge(u, v) for u, v in zip(comp.src.tolist(), comp.dst.tolist()))
    with pytest.raises(ValueError):
        complement_graph(g, max_edges=10)


@pytest.mark.parametrize("formulation", ["pcqo", "relu", "qubo"])
def test_implicit_loss_equals_mis_loss_on_complement(formulation):
    g = erdos_renyi(30, 0.4, 2)
    g.node_weight = np.arange(1, 31, dtype=np.float64)
    implicit = MaxClique(g, formulation=formulation, complement="implicit")
    explicit = MaxIndependentSet(complement_graph(g), formulation=formulation)
    assert implicit.mode == "implicit" and implicit.inner is None
    x = torch.rand(5, 30, generator=torch.Generator().manual_seed(0))
    hp = {k: torch.full((5,), 7.0) for k in explicit.hparams}
    assert torch.allclose(implicit.loss(x, hp), explicit.loss(x, hp), rtol=1e-5, atol=1e-3)


# -- kernels -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repair_and_decode_give_maximal_cliques(seed):
    g = erdos_renyi(60, 0.5, seed)
    gen = torch.Generator().manual_seed(seed)
    for mode in ("explicit", "implicit"):
        prob = MaxClique(g, complement=mode)
        x = torch.rand(8, g.n, generator=gen)
        z = prob.repair(prob.decode(x))
        assert bool(prob.evaluate(z).feasible.all())
        for row in z.numpy():
            assert _is_clique(g, row)
            outside = np.flatnonzero(~row)
            members = set(np.flatnonzero(row).tolist())
            nbrs = g.to_networkx()
            # maximal: no outside vertex is adjacent to every member
            assert not any(members <= set(nbrs.neighbors(v)) for v in outside.tolist())


def test_local_search_never_worse_and_deterministic():
    g = erdos_renyi(80, 0.6, 3)
    g.node_weight = np.random.default_rng(0).integers(1, 6, g.n).astype(np.float64)
    prob = MaxClique(g, complement="implicit")
    z0 = prob.repair(torch.zeros(6, g.n, dtype=torch.bool))
    before = prob.evaluate(z0).objective
    kw = dict(weight=prob.w, max_iters=40)
    out1 = kernels.local_search(prob.tg, z0, None, torch.Generator().manual_seed(4), **kw)
    out2 = kernels.local_search(prob.tg, z0, None, torch.Generator().manual_seed(4), **kw)
    ev = prob.evaluate(out1)
    assert bool(ev.feasible.all()) and bool((ev.objective >= before).all())
    assert torch.equal(out1, out2)


def test_local_search_finds_hidden_clique():
    g = erdos_renyi(150, 0.1, 5)
    edges = np.stack([g.src, g.dst], 1).tolist() + list(itertools.combinations(range(0, 60, 5), 2))
    g = Graph.from_edges(150, edges)
    out = kernels.local_search(
        g.to_torch(), torch.zeros(4, 150, dtype=torch.bool), time_limit=3.0,
        generator=torch.Generator().manual_seed(0), target=12.0,
    )  # fmt: skip
    assert int(out.sum(dim=1).max()) == 12 and bool(kernels.is_clique(g.to_torch(), out).all())


# -- proven optima -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "p", "seed", "mode", "method"),
    [
        (40, 0.5, 0, "explicit", "pcqo"),
        (50, 0.7, 1, "implicit", "pcqo"),
        (45, 0.8, 2, "explicit", "relu"),
        (40, 0.6, 3, "implicit", "pignn"),
    ],
)
def test_methods_reach_proven_optimum(n, p, seed, mode, method):
    g = erdos_renyi(n, p, seed)
    opt = _nx_optimum(g)
    r = solve(
        "clique", g, method=method, device="cpu", seed=0, steps=100, restarts=8, time_limit=2,
        options={"complement": mode},
    )  # fmt: skip
    assert r.feasible and r.objective == opt
    assert _is_clique(g, _mask(g, r.solution)) and len(r.solution) == opt


def test_weighted_optimum_matches_networkx_and_cpsat():
    g = erdos_renyi(35, 0.5, 7)
    g.node_weight = np.random.default_rng(7).integers(1, 10, g.n).astype(np.float64)
    opt = _nx_optimum(g, weighted=True)
    c = cpsat_clique(g, time_limit=10)
    assert c.optimal and c.objective == opt
    for mode in ("explicit", "implicit"):
        r = solve(
            "clique", g, device="cpu", seed=0, steps=100, restarts=8, time_limit=2,
            options={"complement": mode},
        )  # fmt: skip
        assert r.feasible and r.objective == opt


def test_implicit_path_never_builds_the_complement(monkeypatch):
    base = erdos_renyi(2000, 0.004, 11)
    planted = list(itertools.combinations(range(4), 2))  # a K4 on vertices 0..3
    g = Graph.from_edges(2000, np.concatenate([np.stack([base.src, base.dst], 1), planted]))
    assert MaxClique(g).mode == "implicit"

    def boom(*a, **k):
        raise AssertionError("complement built")

    monkeypatch.setattr(clique_mod, "complement_graph", boom)
    # the polish (tabu search) is time-bounded: 6 s leaves it margin on a busy machine
    r = solve("clique", g, device="cpu", seed=0, restarts=8, time_limit=6)
    mask = _mask(g, r.solution)
    assert r.feasible and _is_clique(g, mask)
    assert r.objective >= max(greedy_clique(g).objective, 4.0)


def test_empty_and_edgeless_graphs():
    for g in (Graph.from_edges(3, []), Graph.from_edges(1, [])):
        r = solve("clique", g, device="cpu", seed=0, steps=10, restarts=2)
        assert r.feasible and r.objective == 1.0


# -- CLI ---------------------------------------------------------------------------
def test_cli_solve_clique_writes_verified_json(tmp_path):
    g = erdos_renyi(30, 0.5, 4)
    path = tmp_path / "g.dimacs"
    path.write_text(
        f"p edge {g.n} {g.m}\n" + "".join(f"e {u + 1} {v + 1}\n" for u, v in zip(g.src, g.dst))
    )
    out = tmp_path / "r.json"
    rc = main(["solve", "clique", str(path), "--time-limit", "2", "--device", "cpu", "-q",
               "--method", "relu", "--output", str(out)])  # fmt: skip
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["problem"] == "clique" and data["feasible"]
    assert data["objective"] == len(data["solution"]) == _nx_optimum(g)
    assert _is_clique(g, _mask(g, data["solution"]))


@pytest.mark.parametrize("content", ["", "p edge 3 1\ne 1 9\n", "p edge 3 1\ne 1 x\n"])
def test_cli_malformed_file_exits_2(tmp_path, content, capsys):
    path = tmp_path / "bad.dimacs"
    path.write_text(content)
    rc = main(["solve", "clique", str(path), "--format", "dimacs", "--device", "cpu", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.dimacs" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_from_networkx_ids_are_labels():
    gx = nx.complete_graph(["x", "y", "z"])
    gx.add_edge("z", "w")
    r = solve("clique", from_networkx(gx), device="cpu", seed=0, steps=20, restarts=2)
    assert sorted(r.solution) == ["x", "y", "z"]
