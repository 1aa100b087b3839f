"""``dnnsolve verify`` on MIS, clique, vertex-cover, colouring and k-colouring results (issue
21): genuine results and their bounds pass; one flipped vertex, one changed colour, a
certificate with a vertex dropped or a bound stronger than it proves are caught."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.data import example_path
from dnnsolve.io import from_networkx, write_cnf, write_dimacs
from dnnsolve.io.cnf import CNF
from dnnsolve.verify import Failed, verify

FAST = {"device": "cpu", "seed": 0, "steps": 30, "restarts": 2}
BASE = {"method": "baseline"}  # the classical heuristic alone: quick, and as genuine
GRAPH = example_path("mis_example")  # 60 vertices, DIMACS
COLOR = example_path("color_example.col")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, tuple[Path, Path, dict]]:
    tmp = tmp_path_factory.mktemp("sets")
    cnf = tmp / "sat.cnf"  # satisfiable: the MIS bound is the clause triangles, tight
    write_cnf(CNF(4, [[1, 2, 3], [-1, -2, 4], [2, -3, -4], [1, 3, 4], [-2, -3, 4]]), cnf)
    weighted = tmp / "weighted.dimacs"
    g = from_networkx(nx.petersen_graph())
    g.node_weight = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0])
    write_dimacs(g, weighted)
    out = {}
    for key, problem, input, kw in [
        ("mis", "mis", GRAPH, {}),
        ("clique", "clique", GRAPH, BASE),
        ("vertex-cover", "vertex-cover", GRAPH, BASE),
        ("color", "color", COLOR, {}),
        ("k-coloring", "k-coloring", COLOR, {"colors": 8}),
        ("mis-cnf", "mis", cnf, BASE),
        ("mis-weighted", "mis", weighted, BASE),
        ("clique-weighted", "clique", weighted, BASE),
        ("cover-weighted", "vertex-cover", weighted, BASE),
    ]:
        path, data = saved(tmp, key, problem, input, kw)
        out[key] = (input, path, data)
    return out


def saved(tmp: Path, key: str, problem: str, input: Path, kw: dict) -> tuple[Path, dict]:
    r = solve(problem, input, **{**FAST, **kw})
    assert r.feasible and r.bound is not None, (key, r.extra.get("notes"))
    path = tmp / f"{key}.json"
    r.save(path)
    return path, json.loads(path.read_text())


def tampered(tmp_path: Path, data: dict, change) -> Path:
    data = copy.deepcopy(data)
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "key",
    [
        "mis",
        "clique",
        "vertex-cover",
        "color",
        "k-coloring",
        "mis-cnf",
        "mis-weighted",
        "clique-weighted",
        "cover-weighted",
    ],
)
def test_genuine_results_and_bounds_pass(results, key):
    input, path, data = results[key]
    lines = verify(input, path)
    assert any(data["bound_method"] in line for line in lines)
    assert any(line.startswith("gap") for line in lines)


def test_the_satisfiable_cnf_answer_is_proven_optimal(results):
    _, _, data = results["mis-cnf"]
    assert data["objective"] == 5 and data["bound"] == 5 and data["status"] == "optimal"
    assert data["bound_method"] == "clique-cover" and len(data["certificate"]["cliques"]) == 5


@pytest.mark.parametrize("key", ["mis", "clique", "vertex-cover", "mis-weighted"])
def test_one_vertex_dropped_from_the_answer_is_caught(results, key, tmp_path):
    input, _, data = results[key]
    bad = tampered(tmp_path, data, lambda d: d["solution"].pop())
    with pytest.raises(Failed, match=r"objective|feasible"):
        verify(input, bad)


@pytest.mark.parametrize("key", ["mis", "clique", "vertex-cover"])
def test_one_vertex_flipped_into_or_out_of_the_answer_breaks_it(results, key, tmp_path):
    input, _, data = results[key]
    ids = {str(v) for v in data["solution"]}
    n = 60
    if key == "vertex-cover":  # a cover loses a vertex: some edge is uncovered (it was minimal)
        change = lambda d: d["solution"].remove(d["solution"][0])  # noqa: E731
    else:  # an independent set / clique gains a vertex: some pair clashes (it was maximal)
        extra = next(i for i in range(1, n + 1) if str(i) not in ids)
        change = lambda d: d["solution"].append(extra)  # noqa: E731
    bad = tampered(tmp_path, data, change)
    with pytest.raises(Failed):
        verify(input, bad)


def test_one_changed_colour_is_caught(results, tmp_path):
    input, _, data = results["color"]
    edge = next(
        line.split()[1:3] for line in input.read_text().splitlines() if line.startswith("e ")
    )

    def change(d):
        d["solution"]["coloring"][edge[0]] = d["solution"]["coloring"][edge[1]]

    with pytest.raises(Failed, match=r"feasible True recorded, but \d+ edges join equal colours"):
        verify(input, tampered(tmp_path, data, change))


def test_one_changed_colour_of_a_k_coloring_is_caught(results, tmp_path):
    input, _, data = results["k-coloring"]
    edge = next(
        line.split()[1:3] for line in input.read_text().splitlines() if line.startswith("e ")
    )

    def change(d):
        d["solution"]["colors"][edge[0]] = d["solution"]["colors"][edge[1]]

    with pytest.raises(Failed, match="feasible True recorded"):
        verify(input, tampered(tmp_path, data, change))


def test_a_vertex_dropped_from_a_clique_of_the_cover_is_caught(results, tmp_path):
    input, _, data = results["mis-cnf"]
    bad = tampered(tmp_path, data, lambda d: d["certificate"]["cliques"][2].pop())
    with pytest.raises(Failed, match="is covered 0 by the certificate's cliques"):
        verify(input, bad)


def test_a_certificate_set_that_is_not_a_clique_is_caught(results, tmp_path):
    input, _, data = results["mis-cnf"]

    def change(d):
        c = d["certificate"]["cliques"]
        c[0][0], c[1][0] = c[1][0], c[0][0]  # two clause triangles swap a vertex

    with pytest.raises(Failed, match="is not a clique"):
        verify(input, tampered(tmp_path, data, change))


def test_a_colour_class_that_is_not_independent_is_caught(results, tmp_path):
    input, _, data = results["clique"]
    edge = next(
        line.split()[1:3] for line in input.read_text().splitlines() if line.startswith("e ")
    )

    def change(d):
        d["certificate"]["classes"].append([int(edge[0]), int(edge[1])])
        if "weights" in d["certificate"]:
            d["certificate"]["weights"].append(0.0)

    with pytest.raises(Failed, match="not an independent set"):
        verify(input, tampered(tmp_path, data, change))


@pytest.mark.parametrize(
    "key", ["mis", "clique", "vertex-cover", "color", "mis-weighted", "cover-weighted"]
)
def test_a_bound_stronger_than_its_certificate_is_caught(results, key, tmp_path):
    input, _, data = results[key]
    step = -1 if data["sense"] == "max" else 1

    def change(d):
        d["bound"] = d["bound"] + 0.5 * step  # rounding cannot make it up either

    with pytest.raises(Failed, match="the certificate proves only"):
        verify(input, tampered(tmp_path, data, change))


def test_a_weaker_bound_passes_but_its_gap_must_follow(results, tmp_path):
    input, _, data = results["mis"]

    def weaker(d):
        d["bound"] += 3
        d["gap"] = (d["bound"] - d["objective"]) / d["bound"]
        d["status"] = "feasible"

    assert verify(input, tampered(tmp_path, data, weaker))
    with pytest.raises(Failed, match="gap"):
        verify(input, tampered(tmp_path, data, lambda d: d.update(gap=0.5)))


def test_a_k_coloring_certificate_for_another_k_is_caught(results, tmp_path):
    input, _, data = results["k-coloring"]
    bad = tampered(tmp_path, data, lambda d: d["certificate"].update(k=3))
    with pytest.raises(Failed, match="certificate is for k = 3"):
        verify(input, bad)


def test_an_edge_packing_is_checked(results, tmp_path):
    input, _, data = results["vertex-cover"]
    edges = [line.split()[1:3] for line in input.read_text().splitlines() if line.startswith("e ")]
    used: set[str] = set()
    matching = []
    for u, v in edges:
        if u not in used and v not in used:
            used |= {u, v}
            matching.append([int(u), int(v)])

    def packing(d, weights):
        d["bound_method"] = "edge-packing"
        d["certificate"] = {"edges": matching, "weights": weights}
        d["bound"] = float(sum(weights))
        d["gap"] = (d["objective"] - d["bound"]) / d["bound"]
        d["status"] = "feasible"

    good = tampered(tmp_path, data, lambda d: packing(d, [1.0] * len(matching)))
    assert any("edge-packing" in line for line in verify(input, good))
    over = [1.0] * len(matching)
    over[0] = 1.5  # its ends would carry more than their weight 1
    with pytest.raises(Failed, match=r"carries 1\.5 of the certificate's edge packing"):
        verify(input, tampered(tmp_path, data, lambda d: packing(d, over)))


def test_the_cli_verifies_and_fails(results, tmp_path, capsys):
    input, path, data = results["mis-cnf"]
    assert main(["verify", str(input), str(path)]) == 0
    bad = tampered(tmp_path, data, lambda d: d["certificate"]["cliques"][0].pop())
    assert main(["verify", str(input), str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().err
