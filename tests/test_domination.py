"""The dominating-set family: evaluators, independent checks, proven optima, CLI."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.domination import (
    CPSAT_PROBLEMS,
    cpsat_domination,
    cpsat_k_coloring,
    greedy_domination,
)
from dnnsolve.bench.harness import solution_indices
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx
from dnnsolve.problems.domination import KINDS, CoveringProblem, induced_connected
from dnnsolve.problems.domination_check import CHECKS
from dnnsolve.problems.domination_color import KColoring
from dnnsolve.search import domination as K

ALL = sorted(KINDS)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny sparse products are dominated by thread start-up on a shared 2-core box
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _path(n: int) -> Graph:
    return Graph.from_edges(n, [(i, i + 1) for i in range(n - 1)])


def _cycle(n: int) -> Graph:
    return Graph.from_edges(n, [(i, (i + 1) % n) for i in range(n)])


def _star(leaves: int) -> Graph:
    return Graph.from_edges(leaves + 1, [(0, i) for i in range(1, leaves + 1)])


def _connected_random(n: int, p: float, seed: int) -> Graph:
    g = nx.gnp_random_graph(n, p, seed=seed)
    g.add_edges_from((i, i + 1) for i in range(n - 1))  # a Hamiltonian path keeps it connected
    return from_networkx(g)


# (problem, graph, set, feasible) — hand-made from the definitions
HAND = [
    ("domset", _path(4), [0, 1, 1, 0], True),
    ("domset", _path(4), [1, 0, 0, 1], True),
    ("domset", _path(4), [1, 0, 0, 0], False),
    ("domset", _star(4), [1, 0, 0, 0, 0], True),
    ("domset", _star(4), [0, 1, 1, 1, 0], False),
    ("total-domset", _star(3), [1, 0, 0, 0], False),  # the centre has no neighbour in D
    ("total-domset", _star(3), [1, 1, 0, 0], True),
    ("total-domset", _path(4), [0, 1, 1, 0], True),
    ("total-domset", _cycle(6), [1, 0, 0, 1, 0, 0], False),
    ("connected-domset", _path(5), [0, 1, 1, 1, 0], True),
    ("connected-domset", _path(5), [0, 1, 0, 1, 0], False),  # dominating, not connected
    ("connected-domset", _cycle(6), [1, 1, 1, 1, 0, 0], True),
    ("disjunctive-domset", _path(5), [1, 0, 0, 0, 1], True),  # 2 sees 0 and 4 at distance 2
    ("disjunctive-domset", _path(5), [1, 0, 0, 0, 0], False),
    ("disjunctive-domset", _cycle(8), [1, 0, 0, 0, 1, 0, 0, 0], True),  # 2, 6: two at dist. 2
    ("disjunctive-domset", _cycle(8), [1, 0, 0, 0, 0, 1, 0, 0], False),  # 3: only 5 at dist. 2
    ("disjunctive-domset", _cycle(6), [1, 0, 0, 1, 0, 0], True),
    ("liars-domset", nx.complete_graph(4), [1, 1, 1, 0], True),
    ("liars-domset", nx.complete_graph(4), [1, 1, 0, 0], False),
    ("liars-domset", _path(3), [1, 1, 1], True),
    ("liars-domset", _cycle(6), [1, 1, 1, 1, 1, 1], True),
    ("liars-domset", _cycle(6), [1, 1, 0, 1, 1, 0], False),  # pair (0, 1) sees only {0, 1}
    ("ve-domset", _path(6), [0, 0, 1, 1, 0, 0], True),
    ("ve-domset", _path(6), [0, 0, 1, 0, 0, 0], False),  # edge (4, 5) unseen
    ("ve-domset", _star(5), [0, 1, 0, 0, 0, 0], True),  # a leaf sees every edge
    ("dissociation", _path(4), [1, 1, 0, 1], True),
    ("dissociation", _path(4), [1, 1, 1, 0], False),
    ("dissociation", _star(3), [0, 1, 1, 1], True),
    ("dissociation", _star(3), [1, 1, 1, 0], False),
]


def _as_graph(g) -> Graph:
    return g if isinstance(g, Graph) else from_networkx(g)


@pytest.mark.parametrize("problem,graph,sel,feasible", HAND)
def test_hand_made_cases(problem, graph, sel, feasible):
    g = _as_graph(graph)
    prob = CoveringProblem(g, problem)
    z = torch.tensor([sel], dtype=torch.bool)
    ev = prob.evaluate(z)
    assert bool(ev.feasible[0]) is feasible
    assert float(ev.objective[0]) == sum(sel)
    assert prob.verify(np.array(sel)) == (float(sum(sel)), feasible)


@pytest.mark.parametrize("problem", ALL)
def test_verify_agrees_with_evaluate_on_random_sets(problem):
    rng = np.random.default_rng(0)
    for seed in range(2):
        g = _connected_random(14, 0.25, seed)
        prob = CoveringProblem(g, problem)
        z = torch.as_tensor(rng.random((48, g.n)) < rng.random((48, 1)))
        ev = prob.evaluate(z)
        for i in range(len(z)):
            assert prob.verify(z[i].numpy()) == (float(ev.objective[i]), bool(ev.feasible[i]))


def test_verify_wrong_length_is_infeasible():
    assert CoveringProblem(_path(4), "domset").verify(np.ones(3))[1] is False


def test_induced_connected_batched():
    g = _path(5)
    z = torch.tensor([[0, 1, 1, 1, 0], [1, 1, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)
    assert induced_connected(torch.as_tensor(g.src), torch.as_tensor(g.dst), z).tolist() == [
        True,
        False,
        False,
    ]


def _brute_force(problem: str, g: Graph) -> float:
    best = None
    maximize = KINDS[problem].sense == "max"
    for bits in itertools.product([0, 1], repeat=g.n):
        obj, ok = CHECKS[problem](g, np.array(bits))
        if ok and (best is None or (obj > best if maximize else obj < best)):
            best = obj
    assert best is not None
    return best


def test_cpsat_models_match_brute_force():
    g = _connected_random(9, 0.3, 4)
    for problem in CPSAT_PROBLEMS:
        r = cpsat_domination(problem, g, time_limit=10)
        assert r.optimal and r.feasible
        assert r.objective == _brute_force(problem, g)


@pytest.mark.parametrize("problem", [p for p in ALL if p != "connected-domset"])
def test_reaches_cpsat_optimum(problem):
    for seed in (1, 2):
        g = _connected_random(16, 0.2, seed)
        opt = cpsat_domination(problem, g, time_limit=10)
        assert opt.optimal
        r = solve(problem, g, device="cpu", seed=0, steps=100)
        assert r.feasible
        assert r.objective == opt.objective, (problem, seed)
        assert CHECKS[problem](g, _mask(g, r.solution)) == (opt.objective, True)


def test_connected_domset_reaches_brute_force_optimum():
    for seed in (1, 2):
        g = _connected_random(10, 0.25, seed)
        r = solve("connected-domset", g, device="cpu", seed=0, steps=60)
        assert r.feasible and r.objective == _brute_force("connected-domset", g)


def test_penalty_method_and_reference_stop():
    g = _connected_random(16, 0.2, 3)
    opt = cpsat_domination("domset", g, time_limit=10).objective
    r = solve("domset", g, method="penalty", device="cpu", seed=0, steps=100, reference_value=opt)
    assert r.feasible and r.objective == opt
    assert r.stop_reason in ("reference", "converged", "steps")


def _mask(g: Graph, ids) -> np.ndarray:
    m = np.zeros(g.n, dtype=np.int8)
    m[solution_indices(g, ids)] = 1
    return m


def test_kernels_keep_feasible_and_minimal():
    g = _connected_random(40, 0.08, 5)
    prob = CoveringProblem(g, "liars-domset")
    y = torch.rand(6, g.n, generator=torch.Generator().manual_seed(0)) < 0.2
    rep = K.repair(prob.cov, y, torch.Generator().manual_seed(1))
    assert prob.cov.satisfied(rep).all()
    assert not (rep & ~prob.cov.critical(rep)).any()  # no redundant vertex left
    best = K.iterated_greedy(prob.cov, rep, max_iters=30)
    assert prob.cov.satisfied(best).all()
    assert (best.sum(1) <= rep.sum(1)).all()


def test_greedy_baseline_is_feasible():
    g = _connected_random(30, 0.1, 6)
    for problem in CPSAT_PROBLEMS:
        r = greedy_domination(problem, g)
        assert r.feasible, problem


def test_unsolvable_instances_raise_input_error():
    iso = Graph.from_edges(3, [(0, 1)])
    with pytest.raises(InputError, match="isolated"):
        CoveringProblem(iso, "total-domset")
    with pytest.raises(InputError, match="component"):
        CoveringProblem(Graph.from_edges(2, [(0, 1)]), "liars-domset")
    with pytest.raises(InputError, match="components"):
        CoveringProblem(Graph.from_edges(4, [(0, 1), (2, 3)]), "connected-domset")


# ---------------------------------------------------------------- k-colouring


def test_k_coloring_evaluator_and_solve():
    tri = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    p = KColoring(tri, 3)
    ev = p.evaluate(torch.tensor([[0, 1, 2], [1, 1, 1], [0, 0, 2]]))
    assert ev.objective.tolist() == [0.0, 3.0, 1.0]
    assert p.verify(np.array([0, 1, 2])) == (0.0, True)
    assert p.verify(np.array([0, 1, 3])) == (0.0, False)  # colour out of range
    pet = nx.petersen_graph()
    r = solve("k-coloring", pet, options={"k": 3}, device="cpu", seed=0)
    assert r.status == "sat" and r.objective == 0.0
    cols = [r.solution["colors"][str(v)] for v in range(10)]  # NetworkX labels 0..9
    assert all(cols[u] != cols[v] for u, v in pet.edges())
    r = solve("k-coloring", nx.complete_graph(4), options={"colors": 3}, device="cpu", seed=0)
    assert r.status == "unknown" and r.objective >= 1.0
    assert cpsat_k_coloring(from_networkx(nx.complete_graph(4)), 3, 5).status == "infeasible"


def test_k_coloring_relu_method():
    r = solve("k-coloring", nx.cycle_graph(7), method="relu", options={"k": 3}, device="cpu")
    assert r.objective == 0.0


def test_min_conflicts_fixes_a_bad_colouring():
    g = from_networkx(nx.petersen_graph())
    tg = g.to_torch()
    start = torch.zeros(4, g.n, dtype=torch.long)
    out = K.min_conflicts(tg.adj01, tg.src, tg.dst, start, 3, generator=torch.Generator())
    assert int(K.conflicts(tg.src, tg.dst, out).min()) == 0


# ---------------------------------------------------------------- CLI


@pytest.fixture
def graph_file(tmp_path):
    r = _connected_random(12, 0.25, 7)
    g = Graph.from_edges(r.n, list(zip(r.src, r.dst)))  # 1-based ids, as read from the file
    path = tmp_path / "g.gset"
    lines = [f"{g.n} {g.m}"] + [f"{u + 1} {v + 1} 1" for u, v in zip(g.src, g.dst)]
    path.write_text("\n".join(lines) + "\n")
    return path, g


@pytest.mark.parametrize("problem", ALL)
def test_cli_reaches_every_problem(problem, graph_file, tmp_path):
    path, g = graph_file
    out = tmp_path / "r.json"
    rc = main(
        [
            "solve",
            problem,
            str(path),
            "--steps",
            "30",
            "--restarts",
            "4",
            "--device",
            "cpu",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert rc in (0, None)
    d = json.loads(out.read_text())
    assert d["problem"] == problem and d["feasible"]
    assert CHECKS[problem](g, _mask(g, d["solution"])) == (d["objective"], True)


def test_cli_k_coloring(graph_file, tmp_path, capsys):
    path, _ = graph_file
    out = tmp_path / "c.json"
    args = ["solve", "k-coloring", str(path), "--steps", "30", "--device", "cpu", "--quiet"]
    assert main([*args, "--colors", "5", "--output", str(out)]) in (0, None)
    assert json.loads(out.read_text())["objective"] == 0.0
    assert main([*args, "--option", "k=5"]) in (0, None)
    assert main([*args, "--colors", "1"]) == 1  # edges exist: no proper 1-colouring found
    assert main(args) == 2
    assert "number of colours" in capsys.readouterr().err


def test_cli_malformed_input_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.gset"
    bad.write_text("3 2\n1 2 1\n2 x 1\n")
    assert main(["solve", "domset", str(bad), "--device", "cpu", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and len(err.strip().splitlines()) == 1
    iso = tmp_path / "iso.gset"
    iso.write_text("3 1\n1 2 1\n")
    assert main(["solve", "total-domset", str(iso), "--device", "cpu", "--quiet"]) == 2
    assert "isolated" in capsys.readouterr().err


def test_connected_repair_seed_is_drawn_on_the_generators_device(monkeypatch):
    """The connected-domset repair seeds a CPU generator from the solver's generator (on the
    GPU in CUDA runs): the draw must use that generator's device, not torch's CPU default."""
    from dnnsolve.problems.domination import _cpu_gen

    seen: list[dict] = []
    real = torch.randint

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "randint", spy)
    gen = torch.Generator().manual_seed(7)
    g = _cpu_gen(gen)
    assert len(seen) == 1 and seen[0]["generator"] is gen
    assert torch.device(seen[0]["device"]) == gen.device
    # same stream as before on the CPU: a seeded run still reproduces
    expect = int(real(0, 2**31 - 1, (1,), generator=torch.Generator().manual_seed(7)))
    assert g.device.type == "cpu" and g.initial_seed() == expect
    assert _cpu_gen(None).initial_seed() == 0


def test_graph_without_vertices_connected_domset():
    """As NetworkX's connected_dominating_set: the empty set answers the null graph."""
    null = Graph.from_edges(0, [])
    assert CHECKS["connected-domset"](null, np.zeros(0)) == (0.0, True)
    assert CHECKS["connected-domset"](Graph.from_edges(2, [(0, 1)]), [0, 0]) == (0.0, False)
    empty = torch.zeros((3, 0), dtype=torch.bool)
    src = torch.zeros(0, dtype=torch.int64)
    assert induced_connected(src, src, empty).tolist() == [True, True, True]
    prob = CoveringProblem(null, "connected-domset")
    ev = prob.evaluate(empty)
    assert ev.feasible.tolist() == [True] * 3 and ev.objective.tolist() == [0.0] * 3
    r = solve("connected-domset", null, device="cpu", steps=5, restarts=2)
    assert (r.solution, r.objective, r.feasible) == ([], 0.0, True)


def test_unsolvable_file_error_names_the_file(tmp_path):
    from dnnsolve.io import read_graph

    f = tmp_path / "two.col"
    f.write_text("p edge 4 2\ne 1 2\ne 3 4\n")
    g = read_graph(f)
    for kind, why in [
        ("liars-domset", "edge 1-2 is a component of its own"),
        ("connected-domset", "the graph has 2 components"),
    ]:
        with pytest.raises(InputError) as info:
            CoveringProblem(g, kind)
        assert info.value.path == str(f) and str(info.value).startswith(f"{f}: {why}")
    f2 = tmp_path / "iso.gset"
    f2.write_text("3 1\n1 2 1\n")
    with pytest.raises(InputError) as info:
        CoveringProblem(read_graph(f2), "total-domset")
    assert str(info.value) == f"{f2}: vertex 3 is isolated: the graph has no total dominating set"


def test_k_coloring_baseline_is_a_proper_colouring_where_dsatur_needs_more():
    # the baseline alone (no network, no polish) used to return colour 1 everywhere
    g = from_networkx(nx.frucht_graph())  # chi = 3; DSatur uses 4
    r = solve("k-coloring", g, colors=3, network=False, polish=False, seed=0, device="cpu")
    colours = r.solution["colors"]  # {vertex id: colour 1..k}
    ids = g.vertex_ids(np.arange(g.n))
    assert set(colours.values()) <= {1, 2, 3}
    assert all(colours[str(ids[u])] != colours[str(ids[v])] for u, v in zip(g.src, g.dst))
    assert r.objective == 0 and r.found_by == "baseline"
