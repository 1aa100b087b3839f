"""Benchmark harness: generators, instance selection, suites on tiny synthetic data."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from dnnsolve.baselines import cpsat_maxcut, greedy_mis, maxcut_value, mis_value
from dnnsolve.bench import (
    SUITES,
    er_suite_graph,
    erdos_renyi,
    markdown_table,
    random_regular,
    run_suite,
    select_instances,
)
from dnnsolve.core.errors import InputError
from dnnsolve.core.result import Result
from dnnsolve.graph import Graph

# the package re-exports a function named `methods`, so fetch the module itself
M = importlib.import_module("dnnsolve.methods")
F = importlib.import_module("dnnsolve.family")

# ---------------------------------------------------------------- generators


def test_erdos_renyi_deterministic_and_density():
    a, b = erdos_renyi(400, 0.1, seed=7), erdos_renyi(400, 0.1, seed=7)
    assert np.array_equal(a.src, b.src) and np.array_equal(a.dst, b.dst)
    assert not np.array_equal(erdos_renyi(400, 0.1, seed=8).src[:50], a.src[:50])
    pairs = 400 * 399 / 2
    sd = np.sqrt(pairs * 0.1 * 0.9)
    assert abs(a.m - 0.1 * pairs) < 5 * sd
    assert np.all(a.src < a.dst) and a.dst.max() < 400
    assert len(np.unique(a.src * 400 + a.dst)) == a.m  # simple graph
    assert erdos_renyi(10, 0.0, seed=0).m == 0 and erdos_renyi(10, 1.0, seed=0).m == 45


def test_er_suite_graphs():
    g0, g0b, g1 = er_suite_graph(0), er_suite_graph(0), er_suite_graph(1)
    assert g0.m == g0b.m and np.array_equal(g0.dst, g0b.dst)
    for g in (g0, g1):
        assert 700 <= g.n <= 800
        p_hat = g.m / (g.n * (g.n - 1) / 2)
        assert abs(p_hat - 0.15) < 0.01
    assert g0.name == "er-000" and g1.name == "er-001"


@pytest.mark.parametrize("n,d", [(100, 3), (1000, 3), (501, 4), (50_000, 3)])
def test_random_regular(n, d):
    g = random_regular(n, d, seed=1)
    assert g.n == n and g.m == n * d // 2
    assert np.all(g.degrees() == d)
    assert np.all(g.src < g.dst)
    assert len(np.unique(g.src * n + g.dst)) == g.m
    h = random_regular(n, d, seed=1)
    assert np.array_equal(g.src, h.src) and np.array_equal(g.dst, h.dst)


def test_random_regular_rejects_impossible():
    with pytest.raises(InputError):
        random_regular(101, 3, seed=0)
    with pytest.raises(InputError):
        random_regular(3, 3, seed=0)


# ---------------------------------------------------------------- helpers


def test_select_instances():
    names = ["G1", "G2", "G10", "G14", "G15", "G55"]
    assert select_instances(names, None) == names
    assert select_instances(names, "G1-G10") == ["G1", "G2", "G10"]
    assert select_instances(names, "G14,G55") == ["G14", "G55"]
    assert select_instances(names, "G1*") == ["G1", "G10", "G14", "G15"]
    assert select_instances(["er-000", "er-001"], "er-001") == ["er-001"]
    with pytest.raises(InputError):
        select_instances(names, "G99")
    # names holding commas (crop positions) are taken whole, alone or in a list
    crops = ["Kodak24-kodim05@200,150", "Kodak24-kodim13@60,300", "CBSD68-101087@150,100"]
    assert select_instances(crops, "Kodak24-kodim13@60,300") == [crops[1]]
    assert select_instances(crops, "CBSD68-101087@150,100,Kodak24-kodim05@200,150") == [
        crops[0], crops[2]]  # fmt: skip
    with pytest.raises(InputError, match="'Kodak24-kodim13@60'"):
        select_instances(crops, "Kodak24-kodim13@60,301")


def test_markdown_table():
    md = markdown_table([{"a": 1, "b": 0.25, "c": None}, {"a": True, "b": 1234.5}], ["a", "b", "c"])
    lines = md.splitlines()
    assert lines[0] == "| a | b | c |"
    assert lines[2] == "| 1 | 0.2500 | – |"
    assert lines[3] == "| yes | 1234.5 | – |"


def test_suites_described():
    assert set(SUITES) >= {"gset", "satlib-mis", "er", "regular", "hypermaxcut"}
    assert all(s.description for s in SUITES.values())


# ---------------------------------------------------------------- synthetic data


def _write_gset(path: Path, n: int, p: float, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if rng.random() < p]
    lines = [f"{n} {len(edges)}"] + [f"{u + 1} {v + 1} 1" for u, v in edges]
    path.write_text("\n".join(lines) + "\n")
    return Graph.from_edges(n, edges)


# x1..x5, all satisfiable (x1 = x2 = x3 = True, x4 = False works) → MIS = 4 clauses
_CNF = """c tiny satisfiable formula
p cnf 5 4
1 -2 3 0
2 -4 5 0
-1 3 -5 0
-4 1 2 0
"""


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "datasets"
    (d / "gset").mkdir(parents=True)
    _write_gset(d / "gset" / "G14.txt", 18, 0.3, 0)
    _write_gset(d / "gset" / "G15.txt", 16, 0.3, 1)
    (d / "satlib_mis_cbs" / "cnf").mkdir(parents=True)
    (d / "satlib_mis_cbs" / "cnf" / "tiny_sat.cnf").write_text(_CNF)
    return d


def _load_json(path: Path) -> dict:
    doc = json.loads(path.read_text())
    assert {"suite", "hardware", "settings", "rows", "summary"} <= set(doc)
    assert {"platform", "cpu", "cores", "torch", "device", "command"} <= set(doc["hardware"])
    return doc


def test_gset_suite_on_synthetic_files(data_dir, tmp_path):
    out = tmp_path / "out"
    rep = run_suite(
        "gset",
        data=data_dir,
        out=out,
        device="cpu",
        methods=["relaxed"],
        time_limit=1.0,
        progress=False,
        command="dnnsolve bench gset --test",
    )
    assert rep.json_path.exists() and rep.markdown_path.exists()
    assert rep.json_path.parent == out and rep.json_path.name.startswith("gset-")
    doc = _load_json(rep.json_path)
    assert doc["hardware"]["command"] == "dnnsolve bench gset --test"
    assert [r["graph"] for r in doc["rows"]] == ["G14", "G15"]
    for r in doc["rows"]:
        assert r["error"] is None and r["feasible"] and r["recheck"] is True
        assert r["best_known"] == {"G14": 3064, "G15": 3050}[r["graph"]]
        assert r["pignn"] == {"G14": 3026, "G15": 2990}[r["graph"]]
        assert r["ratio"] == pytest.approx(r["cut"] / r["best_known"])
        # small graphs get a CP-SAT column: proven optimum bounds the method's cut
        assert r["cpsat_optimal"] and r["cut"] <= r["cpsat_cut"] + 1e-9
        assert r["cut"] >= 0.9 * r["cpsat_cut"]
        assert r["greedy_cut"] <= r["cpsat_cut"] + 1e-9
    g14 = _write_gset(tmp_path / "check.txt", 18, 0.3, 0)
    assert cpsat_maxcut(g14, 5).objective == doc["rows"][0]["cpsat_cut"]
    md = rep.markdown_path.read_text()
    assert md == rep.markdown and "| G14 | 18 |" in md and "## Summary" in md
    assert rep.summary["methods"]["relaxed"]["graphs_G1_G54"] == 2


def _fake_solve(fail_on: str):
    """Stand-in for dnnsolve.solve: greedy answers, or a crash on one instance."""

    def solve(problem, graph, method=None, **kw):
        if graph.name == fail_on:
            raise RuntimeError("boom")
        if problem == "mis":
            sol = greedy_mis(graph).solution.astype(bool)
            obj, ok = mis_value(graph, sol)
        else:
            sol = np.arange(graph.n) % 2 == 0
            obj, ok = maxcut_value(graph, sol), True
        return Result(problem, graph.name, method or "x", obj, ok, graph.vertex_ids(sol), 0.01,
                      "cpu", kw.get("seed"))  # fmt: skip

    return solve


def test_gset_suite_records_errors_and_filters(data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "solve", _fake_solve("G15"))
    rep = run_suite(
        "gset", data=data_dir, out=tmp_path, device="cpu", instances="G14-G15", progress=False
    )
    by = {r["graph"]: r for r in rep.rows}
    assert by["G15"]["error"] == "RuntimeError: boom" and by["G15"]["cut"] is None
    assert by["G14"]["error"] is None and by["G14"]["recheck"] is True
    assert rep.summary["errors"] == 1
    rep = run_suite("gset", data=data_dir, out=tmp_path, instances="G15", progress=False,
                    baselines=False, device="cpu")  # fmt: skip
    assert [r["graph"] for r in rep.rows] == ["G15"] and "greedy_cut" not in rep.rows[0]
    rep = run_suite("gset", data=data_dir, out=tmp_path, limit=1, progress=False, device="cpu")
    assert len(rep.rows) == 1


def test_satlib_suite_on_tiny_cnf(data_dir, tmp_path):
    pytest.importorskip("dnnsolve.io.cnf")
    try:
        M.methods("mis")
    except InputError:
        pytest.skip("no MIS method registered yet")
    rep = run_suite("satlib-mis", data=data_dir, out=tmp_path, device="cpu", time_limit=1.0,
                    progress=False)  # fmt: skip
    doc = _load_json(rep.json_path)
    assert len(doc["rows"]) == 1
    r = doc["rows"][0]
    assert r["instance"] == "tiny_sat" and r["n"] == 12 and r["optimum"] == 4
    assert r["cpsat_size"] == 4 and r["cpsat_optimal"]
    assert 1 <= r["greedy_size"] <= 4
    assert r["error"] is None and r["feasible"] and r["size"] <= 4
    assert r["at_optimum"] == (r["size"] == 4)
    assert "fraction_at_optimum" in rep.summary["methods"][r["method"]]


def test_satlib_suite_with_fake_method(data_dir, tmp_path, monkeypatch):
    pytest.importorskip("dnnsolve.io.cnf")
    try:
        mis_methods = list(M.methods("mis"))
    except InputError:
        pytest.skip("no MIS method registered yet")
    monkeypatch.setattr(F, "solve", _fake_solve(""))
    rep = run_suite("satlib-mis", data=data_dir, out=tmp_path, methods=mis_methods[:1],
                    progress=False, device="cpu", time_limit=1.0)  # fmt: skip
    r = rep.rows[0]
    assert r["recheck"] is True and r["size"] == r["greedy_size"]
    assert rep.summary["methods"][mis_methods[0]]["cpsat_fraction_optimal"] == 1.0


def test_er_suite_cpsat_at_equal_time(tmp_path, monkeypatch):
    try:
        M.methods("mis")
    except InputError:
        pytest.skip("no MIS method registered yet")
    monkeypatch.setattr(F, "solve", _fake_solve(""))
    rep = run_suite("er", out=tmp_path, limit=1, progress=False, device="cpu", seed=3)
    (r,) = rep.rows
    g = er_suite_graph(0, seed=3)
    assert r["instance"] == "er-000" and r["n"] == g.n and r["m"] == g.m
    assert r["cpsat_time_limit"] == pytest.approx(r["wall_s"])
    assert r["size"] == greedy_mis(g).objective and r["recheck"] is True
    # 0.1 s may be too short for CP-SAT to return anything on ~42k edges
    if r["cpsat_status"] in ("optimal", "feasible"):
        assert r["cpsat_size"] >= 1 and r["cpsat_bound"] >= r["cpsat_size"]
    else:
        assert r["cpsat_size"] == 0 and r["cpsat_bound"] is None
    assert rep.summary["anchors_mean_size"]["KaMIS"] == 44.87


def test_regular_suite_records_memory(tmp_path):
    rep = run_suite("regular", out=tmp_path, max_n=100, methods=["relaxed"], time_limit=1.0,
                    progress=False, device="cpu")  # fmt: skip
    (r,) = rep.rows
    assert r["problem"] == "maxcut" and r["n"] == 100 and r["m"] == 150
    assert r["error"] is None and r["recheck"] is True
    assert r["peak_mem_mb"] > 0 and r["mem_kind"].startswith("cpu")
    assert r["per_n"] == pytest.approx(r["objective"] / 100)
    assert r["objective"] >= r["greedy_objective"] * 0.95


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="unknown benchmark suite"):
        run_suite("nope", out=tmp_path, progress=False)
    with pytest.raises(InputError, match="gset"):
        run_suite("gset", data=tmp_path / "missing", out=tmp_path, progress=False)
    (tmp_path / "d" / "gset").mkdir(parents=True)
    with pytest.raises(InputError, match=r"G\*\.txt"):
        run_suite("gset", data=tmp_path / "d", out=tmp_path, progress=False)
    with pytest.raises(InputError, match="unknown method"):
        run_suite("regular", out=tmp_path, methods=["nope"], progress=False)


def test_interrupted_run_keeps_finished_instances_and_resumes(data_dir, tmp_path, monkeypatch):
    def interrupt_on_g15(problem, graph, method=None, **kw):
        if graph.name == "G15":
            raise KeyboardInterrupt
        return _fake_solve("")(problem, graph, method, **kw)

    monkeypatch.setattr(F, "solve", interrupt_on_g15)
    kw = dict(data=data_dir, out=tmp_path, device="cpu", time_limit=1.0, progress=False)
    with pytest.raises(KeyboardInterrupt):
        run_suite("gset", **kw)
    (partial,) = tmp_path.glob("gset-*.json")
    doc = json.loads(partial.read_text())
    assert doc["complete"] is False and doc["done"] == ["G14"]
    assert [r["graph"] for r in doc["rows"]] == ["G14"] and partial.with_suffix(".md").exists()

    monkeypatch.setattr(F, "solve", _fake_solve(""))
    with pytest.raises(InputError, match="time_limit_s"):
        run_suite("gset", **{**kw, "time_limit": 2.0}, resume=partial)
    with pytest.raises(InputError, match="not 'er'"):
        run_suite("er", **kw, resume=partial)
    rep = run_suite("gset", **kw, resume=partial)
    assert rep.json_path == partial
    doc = json.loads(partial.read_text())
    assert doc["complete"] is True and doc["done"] == ["G14", "G15"]
    assert [r["graph"] for r in doc["rows"]] == ["G14", "G15"]
    assert all(r["error"] is None for r in doc["rows"])
