"""``dnnsolve verify`` on the dominating-set family: genuine results with their LP-dual bound
pass; a flipped vertex, a changed dual entry, a row the problem does not imply or a bound
stronger than its certificate fail (issue 21)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dnnsolve import solve
from dnnsolve.bounds.covering import ROWS
from dnnsolve.verify import Failed, verify

KINDS = tuple(ROWS)


def _graph_file(tmp_path, n=24, p=0.16, seed=4):
    """A connected random graph (a path through all vertices plus random chords), ids 1..n."""
    rng = np.random.default_rng(seed)
    edges = {(i, i + 1) for i in range(1, n)}
    edges |= {(i, j) for i in range(1, n + 1) for j in range(i + 2, n + 1) if rng.random() < p}
    path = tmp_path / "g.el"
    path.write_text("".join(f"{u} {v}\n" for u, v in sorted(edges)))
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """kind → (graph file, result file): every kind solved once, with its bound."""
    tmp = tmp_path_factory.mktemp("domination")
    graph = _graph_file(tmp)
    out = {}
    for kind in KINDS:
        r = solve(kind, graph, steps=20, restarts=2, device="cpu", seed=0, polish=False)
        assert r.feasible and r.bound is not None, kind
        path = tmp / f"{kind}.json"
        r.save(path)
        out[kind] = (graph, path)
    return out


def _tampered(tmp_path, path, change) -> object:
    data = json.loads(path.read_text())
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    return bad


@pytest.mark.parametrize("kind", KINDS)
def test_a_genuine_result_and_its_bound_are_verified(solved, kind):
    graph, path = solved[kind]
    data = json.loads(path.read_text())
    assert data["bound_method"] == "covering-lp-dual" and data["certificate"]["rows"]
    lines = verify(graph, path)
    assert any(line.startswith("LP dual") for line in lines)
    assert any("feasible" in line for line in lines)


@pytest.mark.parametrize("kind", KINDS)
def test_one_flipped_vertex_is_caught(solved, kind, tmp_path):
    graph, path = solved[kind]

    def flip(data):
        sol = data["solution"]
        if 1 in sol:
            sol.remove(1)
        else:
            sol.append(1)

    with pytest.raises(Failed, match="recorded"):
        verify(graph, _tampered(tmp_path, path, flip))


@pytest.mark.parametrize("kind", KINDS)
def test_one_changed_dual_entry_is_caught(solved, kind, tmp_path):
    graph, path = solved[kind]

    def inflate(data):  # one dual entry far above what Aᵀy ≤ 1 allows: the scaling costs all
        rows = data["certificate"]["rows"]
        name = next(k for k, v in rows.items() if v)
        rows[name][0][-1] += 100.0

    data = json.loads(path.read_text())
    if data["bound"] <= 1 and kind != "dissociation":
        pytest.skip("a bound of 1 survives any dual")  # not the case on this graph
    with pytest.raises(Failed, match="certificate proves only"):
        verify(graph, _tampered(tmp_path, path, inflate))


def test_a_negative_dual_entry_is_rejected(solved, tmp_path):
    graph, path = solved["domset"]

    def negate(data):
        data["certificate"]["rows"]["closed"][0][-1] = -0.5

    with pytest.raises(Failed, match="negative"):
        verify(graph, _tampered(tmp_path, path, negate))


def test_a_row_the_problem_does_not_imply_is_rejected(solved, tmp_path):
    graph, path = solved["ve-domset"]

    def non_edge(data):
        data["certificate"]["rows"]["edge"][0][:2] = [1, 24]  # not adjacent in this graph

    text = graph.read_text()
    assert "1 24\n" not in text
    with pytest.raises(Failed, match="not an edge"):
        verify(graph, _tampered(tmp_path, path, non_edge))

    graph, path = solved["connected-domset"]

    def fake_cut(data):  # vertex 1 ends the spanning path: no cut vertex
        data["certificate"]["rows"]["cut"] = [[1, 1.0]]

    with pytest.raises(Failed, match="not a cut vertex"):
        verify(graph, _tampered(tmp_path, path, fake_cut))


def test_a_bound_stronger_than_its_certificate_is_caught(solved, tmp_path):
    graph, path = solved["domset"]

    def stronger(data):
        data["bound"] += 1
        obj, b = data["objective"], data["bound"]
        data["gap"] = 0.0 if obj == b else (obj - b) / b

    with pytest.raises(Failed, match="certificate proves only"):
        verify(graph, _tampered(tmp_path, path, stronger))


def test_a_wrong_gap_is_caught(solved, tmp_path):
    graph, path = solved["liars-domset"]

    def gap(data):
        data["gap"] = (data["gap"] or 0.0) + 0.01

    with pytest.raises(Failed, match="gap"):
        verify(graph, _tampered(tmp_path, path, gap))


def test_a_hand_made_domset_result_on_a_star(tmp_path):
    graph = tmp_path / "star.el"
    graph.write_text("1 2\n1 3\n1 4\n1 5\n")
    result = {
        "schema_version": 2, "problem": "domset", "feasible": True, "objective": 1.0,
        "sense": "min", "status": "optimal", "solution": [1], "bound": 1.0,
        "bound_method": "covering-lp-dual", "gap": 0.0,
        "certificate": {"problem": "domset", "rows": {"closed": [[2, 1.0]]}, "upper": []},
    }  # fmt: skip
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result))
    assert any("proves bound 1" in line for line in verify(graph, path))
    result["certificate"]["rows"]["closed"] = [[1, 0.5]]  # proves ⌈0.5⌉ = 1 still
    path.write_text(json.dumps(result))
    verify(graph, path)
    result["certificate"]["rows"]["closed"] = [[2, 0.5], [3, 0.5], [4, 0.5]]  # Aᵀy = 1.5 at 1
    path.write_text(json.dumps(result))
    assert any("scaled" in line for line in verify(graph, path))  # 1.5 / 1.5 = 1
    result["certificate"]["rows"]["closed"] = [[2, 0.4]]
    path.write_text(json.dumps(result))
    with pytest.raises(Failed, match="proves only 1"):
        result["bound"], result["objective"], result["solution"] = 2.0, 2.0, [1, 2]
        result["gap"] = 0.0
        path.write_text(json.dumps(result))
        verify(graph, path)
