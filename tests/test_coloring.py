"""Graph colouring: Potts loss, evaluator / verifier, Tabucol, the outer q search, CLI, suite."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.coloring import coloring_conflicts, cpsat_coloring, dsatur, greedy_clique
from dnnsolve.cli import main
from dnnsolve.data import default_data_dir
from dnnsolve.graph import Graph
from dnnsolve.io import from_networkx, read_graph
from dnnsolve.params.coloring import ColoringNetwork, FreeLogits
from dnnsolve.problems.coloring import GraphColoring, coloring_from_output, coloring_output
from dnnsolve.search.coloring import conflict_table, count_conflicts, reduce_colors, tabucol

TRIANGLE = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
FAST = {"tabu_iters": 2000}  # failing attempts (q < χ) end sooner


def _k_colorable(g: nx.Graph, k: int) -> bool:
    """Independent k-colourability check with python-sat (one-hot encoding)."""
    from pysat.solvers import Cadical153

    nodes = list(g.nodes)
    var = {(v, c): 1 + i * k + c for i, v in enumerate(nodes) for c in range(k)}
    with Cadical153() as s:
        for v in nodes:
            s.add_clause([var[v, c] for c in range(k)])
        for u, v in g.edges:
            for c in range(k):
                s.add_clause([-var[u, c], -var[v, c]])
        return s.solve()


def _chi(g: nx.Graph) -> int:
    k = 1
    while not _k_colorable(g, k):
        k += 1
    return k


def _proper(g: Graph, solution: dict) -> tuple[bool, int]:
    """Re-check a reported colouring edge by edge (own code)."""
    col = {str(k): v for k, v in solution["coloring"].items()}
    ids = [str(i) for i in g.vertex_ids(np.arange(g.n))]
    assert sorted(col) == sorted(ids)
    idx = dict(zip(range(g.n), ids))
    ok = all(col[idx[u]] != col[idx[v]] for u, v in zip(g.src.tolist(), g.dst.tolist()))
    return ok, len(set(col.values()))


# -- loss ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [2, 3, 5])
def test_potts_loss_uniform_triangle(q):
    prob = GraphColoring(TRIANGLE, q)
    x = torch.full((2, 3, q), 1.0 / q)
    assert torch.allclose(prob.loss(x, {}), torch.full((2,), 3.0 / q))


def test_potts_loss_matches_explicit_sum():
    g = from_networkx(nx.gnp_random_graph(12, 0.4, seed=1))
    prob = GraphColoring(g, 4)
    x = torch.softmax(torch.randn(3, 12, 4, generator=torch.Generator().manual_seed(0)), -1)
    want = [
        sum(float(x[b, u] @ x[b, v]) for u, v in zip(g.src.tolist(), g.dst.tolist()))
        for b in range(3)
    ]
    assert prob.loss(x, {}).tolist() == pytest.approx(want, rel=1e-5)
    # a one-hot x gives exactly the number of conflicting edges
    z = torch.randint(0, 4, (3, 12), generator=torch.Generator().manual_seed(1))
    onehot = torch.nn.functional.one_hot(z, 4).float()
    assert prob.loss(onehot, {}).tolist() == prob.evaluate(z).objective.tolist()


def test_parameterizations_are_on_the_simplex():
    g = from_networkx(nx.petersen_graph()).to_torch()
    gen = torch.Generator().manual_seed(0)
    for p in (
        FreeLogits(10, 3, 4, generator=gen),
        ColoringNetwork(g, 3, 4, generator=gen),
        ColoringNetwork(g, 3, 4, conv="sage", generator=gen),
    ):
        x = p()
        assert x.shape == (4, 10, 3)
        assert torch.allclose(x.sum(-1), torch.ones(4, 10))
        p.reset_(torch.tensor([True, False, False, True]), gen)
        assert p().shape == (4, 10, 3)


# -- evaluator / verify ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colors", "conflicts", "proper"),
    [([0, 1, 2], 0, True), ([0, 0, 1], 1, False), ([2, 2, 2], 3, False), ([0, 1, 0], 1, False)],
)
def test_evaluate_and_verify(colors, conflicts, proper):
    prob = GraphColoring(TRIANGLE, 3)
    ev = prob.evaluate(torch.tensor([colors]))
    assert ev.objective.tolist() == [float(conflicts)] and ev.feasible.tolist() == [True]
    assert prob.verify(np.array(colors)) == (float(conflicts), proper)


def test_verify_rejects_bad_shapes_and_ranges():
    prob = GraphColoring(TRIANGLE, 3)
    obj, ok = prob.verify(np.array([0, 1]))
    assert np.isnan(obj) and not ok
    assert prob.verify(np.array([0, 1, 3])) == (0.0, False)  # colour 3 does not exist with q=3
    assert prob.verify(np.array([0.0, 1.0, 2.0]))[1] is False  # not integer colours
    assert prob.evaluate(torch.tensor([[0, 1, 3]])).feasible.tolist() == [False]


def test_solution_output_round_trip():
    g = read_dimacs_like()
    out = coloring_output(g, np.array([5, 5, 2, 7]))
    assert out == {"colors": 3, "coloring": {11: 1, 12: 1, 13: 2, 14: 3}}
    back = coloring_from_output(g, json.loads(json.dumps(out)))
    assert back.tolist() == [0, 0, 1, 2]
    assert coloring_from_output(g, {"coloring": {"11": 1}}) is None


def read_dimacs_like() -> Graph:
    return Graph.from_edges(4, [(0, 2), (2, 3)], ids=np.array([11, 12, 13, 14]))


# -- kernels ---------------------------------------------------------------------------------


def test_conflict_table_matches_brute_force():
    g = from_networkx(nx.gnp_random_graph(15, 0.3, seed=2))
    z = torch.randint(0, 4, (3, 15), generator=torch.Generator().manual_seed(0))
    gamma = conflict_table(g.to_torch(), z, 4)
    nxg = g.to_networkx()
    for b in range(3):
        for v in range(15):
            for c in range(4):
                want = sum(1 for u in nxg[v] if int(z[b, u]) == c)
                assert int(gamma[b, v, c]) == want
    assert count_conflicts(g.to_torch(), z).tolist() == [
        coloring_conflicts(g, z[b].numpy()) for b in range(3)
    ]


@pytest.mark.parametrize(
    ("graph", "q"),
    [
        (nx.cycle_graph(9), 3),
        (nx.mycielski_graph(4), 4),  # Grötzsch graph, χ = 4
        (nx.mycielski_graph(5), 5),  # χ = 5
        (nx.petersen_graph(), 3),
        (nx.complete_graph(6), 6),
    ],
)
def test_tabucol_reaches_zero_conflicts_at_chi(graph, q):
    assert _k_colorable(graph, q) and not _k_colorable(graph, q - 1)
    tg = from_networkx(graph).to_torch()
    z0 = torch.zeros(4, graph.number_of_nodes(), dtype=torch.int64)
    best = tabucol(tg, z0, q, generator=torch.Generator().manual_seed(0), max_iters=20_000)
    assert int(count_conflicts(tg, best).min()) == 0
    assert int(best.max()) < q and int(best.min()) >= 0


def test_tabucol_deterministic_and_never_worse():
    g = from_networkx(nx.gnp_random_graph(40, 0.3, seed=3))
    tg = g.to_torch()
    z0 = torch.randint(0, 4, (5, 40), generator=torch.Generator().manual_seed(0))
    a = tabucol(tg, z0, 4, generator=torch.Generator().manual_seed(7), max_iters=300)
    b = tabucol(tg, z0, 4, generator=torch.Generator().manual_seed(7), max_iters=300)
    assert torch.equal(a, b)
    assert (count_conflicts(tg, a) <= count_conflicts(tg, z0)).all()


def test_tabucol_queen5_5_if_present():
    data = default_data_dir()
    path = None if data is None else data / "dimacs_color" / "queen5_5.col"
    if path is None or not path.is_file():
        pytest.skip("DIMACS colouring data not available")
    g = read_graph(path)
    assert (g.n, g.m) == (25, 160)
    tg = g.to_torch()
    z0 = torch.zeros(8, 25, dtype=torch.int64)
    best = tabucol(tg, z0, 5, generator=torch.Generator().manual_seed(0), max_iters=50_000)
    assert int(count_conflicts(tg, best).min()) == 0


def test_reduce_colors_maps_into_range():
    g = from_networkx(nx.cycle_graph(6)).to_torch()
    z = reduce_colors(g, torch.tensor([[0, 1, 0, 1, 0, 2]]), 2)
    assert z.tolist() == [[0, 1, 0, 1, 0, 1]]


# -- baselines -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_baselines_against_pysat(seed):
    nxg = nx.gnp_random_graph(14, 0.45, seed=seed)
    g = from_networkx(nxg)
    chi = _chi(nxg)
    ds = dsatur(g)
    assert ds.feasible and ds.objective >= chi
    assert coloring_conflicts(g, ds.solution) == 0
    assert len(greedy_clique(g)) <= chi
    cp = cpsat_coloring(g, time_limit=20)
    assert cp.optimal and cp.objective == chi and coloring_conflicts(g, cp.solution) == 0


# -- outer search / API ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("graph", "chi"),
    [
        (nx.petersen_graph(), 3),
        (nx.cycle_graph(7), 3),
        (nx.complete_graph(5), 5),
        (nx.complete_bipartite_graph(3, 4), 2),
        (nx.grid_2d_graph(4, 4), 2),
        (nx.mycielski_graph(4), 4),
        (nx.empty_graph(4), 1),
    ],
)
def test_outer_search_finds_chi(graph, chi):
    assert _chi(graph) == chi
    g = from_networkx(graph)
    r = solve("color", g, device="cpu", steps=200, restarts=4, seed=0, options=FAST)
    assert r.feasible and r.objective == chi
    ok, used = _proper(g, r.solution)
    assert ok and used == chi == r.solution["colors"] == r.extra["colors"]
    assert r.extra["conflicts"] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_outer_search_random_graphs_match_pysat(seed):
    nxg = nx.gnp_random_graph(16, 0.5, seed=10 + seed)
    g = from_networkx(nxg)
    r = solve("color", g, device="cpu", steps=300, restarts=8, seed=seed, options=FAST)
    ok, used = _proper(g, r.solution)
    assert r.feasible and ok and r.objective == used == _chi(nxg)


def test_outer_search_on_mycielski_with_a_weak_start():
    # DSatur colours the Mycielski graph of K2-chain poorly-ish; the search must go down to χ
    g = from_networkx(nx.mycielski_graph(5))
    r = solve("color", g, device="cpu", steps=200, restarts=4, seed=0, options=FAST)
    assert r.feasible and r.objective == 5 and _proper(g, r.solution)[0]
    assert all(a["colors"] >= 4 for a in r.extra["attempts"])


def test_timings_cover_the_whole_search():
    """The stages of a search over several q (DSatur, short Tabucol runs, full attempts) add
    up to nearly all of its time: the bench's "where the time went" table reads them."""
    board = [(r, c) for r in range(6) for c in range(6)]
    g = from_networkx(nx.Graph([
        (a, b) for a, b in itertools.combinations(board, 2)
        if a[0] == b[0] or a[1] == b[1] or abs(a[0] - b[0]) == abs(a[1] - b[1])
    ]))  # fmt: skip
    r = solve("color", g, device="cpu", time_limit=3, seed=0)
    assert r.feasible and r.objective == 7  # queen6_6: χ = 7 (DSatur 9), then q = 6 fails
    stages = sum(v for k, v in r.timings.items() if k != "total_s")
    assert 0.8 * r.timings["total_s"] <= stages <= r.timings["total_s"] + 1e-6, r.timings
    assert r.timings["baseline_s"] > 0 and r.timings["polish_s"] > 0


def test_reference_stops_the_search():
    g = from_networkx(nx.petersen_graph())
    r = solve("color", g, device="cpu", steps=100, restarts=2, reference_value=3, seed=0)
    assert r.objective == 3 and r.reference == 3 and r.stop_reason == "reference"
    assert all(a["colors"] >= 3 for a in r.extra["attempts"])


@pytest.mark.parametrize("method", ["potts", "pignn"])
def test_fixed_colors(method):
    g = from_networkx(nx.petersen_graph())
    r = solve("color", g, method, device="cpu", steps=200, restarts=4, options={"colors": 4})
    assert r.feasible and r.objective <= 4 and _proper(g, r.solution)[0]
    assert [a["colors"] for a in r.extra["attempts"]] == [4]


def test_impossible_colors_reports_no_proper_coloring():
    opts = {"colors": 2, "tabu_iters": 500}
    r = solve("color", TRIANGLE, device="cpu", steps=50, restarts=2, options=opts)
    assert not r.feasible and r.extra["conflicts"] >= 1
    ok, _ = _proper(TRIANGLE, r.solution)
    assert not ok  # what is reported is exactly what was checked


def test_sage_conv_option():
    g = from_networkx(nx.cycle_graph(8))
    r = solve("color", g, "pignn", device="cpu", steps=100, restarts=2, options={"conv": "sage"})
    assert r.feasible and r.objective == 2


# -- CLI -------------------------------------------------------------------------------------


def _write_col(path, n, edges):
    path.write_text(
        f"c test\np edge {n} {len(edges)}\n" + "".join(f"e {u} {v}\n" for u, v in edges)
    )
    return path


@pytest.fixture
def petersen_col(tmp_path):
    g = nx.petersen_graph()
    return _write_col(tmp_path / "petersen.col", 10, [(u + 1, v + 1) for u, v in g.edges])


def test_cli_search_and_json(petersen_col, tmp_path):
    out = tmp_path / "r.json"
    fast = ["--steps", "200", "--option", "tabu_iters=1000"]
    code = main(
        ["solve", "color", str(petersen_col), *fast, "--device", "cpu", "-q", "-o", str(out)]
    )
    assert code in (0, None)
    doc = json.loads(out.read_text())
    assert doc["objective"] == 3 and doc["feasible"] and doc["solution"]["colors"] == 3
    assert sorted(map(int, doc["solution"]["coloring"])) == list(range(1, 11))


def test_cli_fixed_colors(petersen_col, tmp_path):
    out = tmp_path / "r.json"
    args = ["solve", "color", str(petersen_col), "--colors", "3", "--device", "cpu", "-q"]
    assert main([*args, "-o", str(out)]) in (0, None)
    doc = json.loads(out.read_text())
    assert doc["feasible"] and doc["solution"]["colors"] <= 3
    assert [a["colors"] for a in doc["extra"]["attempts"]] == [3]


def test_cli_impossible_colors_exit_2(tmp_path, capsys):
    tri = _write_col(tmp_path / "tri.col", 3, [(1, 2), (2, 3), (1, 3)])
    args = ["solve", "color", str(tri), "--colors", "2", "--device", "cpu", "-q"]
    assert main([*args, "--steps", "20", "--option", "tabu_iters=200"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "no proper colouring found" in err and "1 conflicting edge" in err


@pytest.mark.parametrize(
    "text",
    [
        "p edge 3 2\ne 1 2\ne 2 9\n",  # vertex out of range
        "p edge 3 1\ne 1 x\n",  # not a number
        "e 1 2\n",  # no p line
        "p edge 2 1\ne 1 1\n",  # self-loop
    ],
)
def test_cli_malformed_input_exit_2(tmp_path, text):
    bad = tmp_path / "bad.col"
    bad.write_text(text)
    assert main(["solve", "color", str(bad), "--device", "cpu", "-q"]) == 2


def test_cli_bad_colors_exit_2(petersen_col):
    assert main(["solve", "color", str(petersen_col), "--colors", "0", "-q"]) == 2


# -- bench suite -----------------------------------------------------------------------------


def test_color_suite_on_synthetic_files(tmp_path):
    from dnnsolve.bench.harness import run_suite

    d = tmp_path / "datasets" / "dimacs_color"
    d.mkdir(parents=True)
    my = nx.mycielski_graph(4)  # = myciel3 (χ = 4)
    _write_col(d / "myciel3.col", 11, [(u + 1, v + 1) for u, v in my.edges])
    _write_col(d / "anna.col", 5, list(itertools.combinations(range(1, 6), 2)))  # K5, χ "11"
    rep = run_suite(
        "color-all",
        data=tmp_path / "datasets",
        out=tmp_path / "out",
        device="cpu",
        time_limit=5.0,
        progress=False,
    )
    rows = {r["instance"]: r for r in rep.rows}
    assert rows["myciel3"]["colors"] == 4 and rows["myciel3"]["at_chi"] is True
    assert rows["myciel3"]["recheck"] is True and rows["myciel3"]["conflicts"] == 0
    assert rows["anna"]["colors"] == 5 and rows["anna"]["at_chi"] is True  # K5 needs 5 ≤ 11
    assert rep.summary["methods"]["potts"]["at_chi"] == 2
