"""MaxCut's spectral bound through ``dnnsolve solve`` and ``dnnsolve verify``: the bound is at
least the brute-force optimum, tight where the SDP is, and a changed vertex, a changed entry
of u or a bound stronger than u proves are caught (issue 21)."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.data import example_path
from dnnsolve.verify import Failed, verify

EXAMPLE = example_path("maxcut_example.gset")


def _brute_force(n: int, edges: list[tuple[int, int, float]]) -> float:
    best = -np.inf
    for bits in itertools.product((0, 1), repeat=n - 1):
        side = (0, *bits)
        best = max(best, sum(w for u, v, w in edges if side[u] != side[v]))
    return best


def _write(tmp_path, n, edges, name="g.txt"):
    path = tmp_path / name
    path.write_text(
        f"{n} {len(edges)}\n" + "".join(f"{u + 1} {v + 1} {w:g}\n" for u, v, w in edges)
    )
    return path


@pytest.mark.parametrize("seed", range(4))
def test_the_bound_is_at_least_the_optimum_with_signed_weights(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = 11
    edges = [
        (u, v, float(rng.choice([-1, 1, 2])))
        for u, v in itertools.combinations(range(n), 2)
        if rng.random() < 0.4
    ]
    path = _write(tmp_path, n, edges)
    r = solve("maxcut", path, format="gset", steps=30, restarts=4, device="cpu", seed=0)
    assert r.bound is not None and r.bound >= _brute_force(n, edges)
    assert r.bound == int(r.bound)  # integer weights: the floor
    out = tmp_path / "r.json"
    r.save(out)
    assert verify(path, out, "gset")


def test_complete_graph_bound_is_tight_and_proves_optimality(tmp_path):
    n = 8  # K_8: the SDP bound n²/4 = 16 is the maximum cut
    edges = [(u, v, 1.0) for u, v in itertools.combinations(range(n), 2)]
    path = _write(tmp_path, n, edges)
    r = solve("maxcut", path, format="gset", steps=30, restarts=4, device="cpu", seed=0)
    assert (r.objective, r.bound, r.gap, r.status) == (16.0, 16.0, 0.0, "optimal")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    r = solve("maxcut", EXAMPLE, steps=50, restarts=4, device="cpu", seed=0)
    assert r.bound_method == "spectral" and r.bound >= r.objective
    path = tmp_path_factory.mktemp("maxcut") / "r.json"
    r.save(path)
    return path


def _tampered(saved, tmp_path, change) -> str:
    data = json.loads(saved.read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


def test_a_genuine_result_is_verified(saved, capsys):
    assert main(["verify", str(EXAMPLE), str(saved)]) == 0
    assert "u proves" in capsys.readouterr().out


def test_one_vertex_moved_is_caught(saved, tmp_path):
    bad = _tampered(saved, tmp_path, lambda d: d["solution"].pop())
    with pytest.raises(Failed, match="the cut weighs"):
        verify(EXAMPLE, bad)


def test_one_entry_of_u_changed_is_caught(saved, tmp_path):
    def change(d):
        d["certificate"]["u"][0] += 2.0

    with pytest.raises(Failed, match="u proves only"):
        verify(EXAMPLE, _tampered(saved, tmp_path, change))


def test_a_bound_stronger_than_proven_is_caught(saved, tmp_path):
    def change(d):
        d["bound"] = d["objective"]
        d["gap"] = 0.0

    with pytest.raises(Failed, match="u proves only"):
        verify(EXAMPLE, _tampered(saved, tmp_path, change))


def test_the_certificate_can_live_beside_the_result(tmp_path, capsys):
    out, cert = tmp_path / "r.json", tmp_path / "r.cert.json"
    args = ["solve", "maxcut", str(EXAMPLE), "--steps", "30", "-q", "-o", str(out)]
    assert main([*args, "--certificate", str(cert)]) == 0
    data = json.loads(out.read_text())
    assert data["certificate"]["file"] == "r.cert.json" and "u" in json.loads(cert.read_text())
    assert main(["verify", str(EXAMPLE), str(out)]) == 0
    u = json.loads(cert.read_text())
    u["u"][0] += 1.0
    cert.write_text(json.dumps(u))
    capsys.readouterr()
    assert main(["verify", str(EXAMPLE), str(out)]) == 1
    assert "not the one the result was written with" in capsys.readouterr().err


def test_no_bound_and_the_flags_only_where_a_family_has_one(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        main(["solve", "maxcut", str(EXAMPLE), "--steps", "20", "-q", "--no-bound", "-o", str(out)])
        == 0
    )
    assert json.loads(out.read_text())["bound"] is None
    capsys.readouterr()
    main(["solve", "sat", "--help"])
    assert "--bound-time" not in capsys.readouterr().out


def test_a_hypergraph_cut_is_rechecked(tmp_path):
    path = example_path("hypermaxcut_example.hgr")
    r = solve("hypermaxcut", path, device="cpu", seed=0, steps=30)
    out = tmp_path / "h.json"
    r.save(out)
    assert verify(path, out)
    data = json.loads(out.read_text())
    data["objective"] += 1
    out.write_text(json.dumps(data))
    with pytest.raises(Failed, match="recorded"):
        verify(path, out)


def test_networkx_inputs_get_a_bound_too():
    r = solve("maxcut", nx.petersen_graph(), steps=30, restarts=4, device="cpu", seed=0)
    assert r.objective == 12 and r.bound is not None and 12 <= r.bound <= 13
