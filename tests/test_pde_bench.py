"""The ``pde`` benchmark suite: registration, options, the library recipe by default, per-seed
rows, summary, classical column, the DeepXDE peer.

CI-sized runs (a few dozen training steps) on 2 CPU cores; the classical solvers' errors are
measured figures with a margin (OMP_NUM_THREADS=1): Crank–Nicolson heat 2.6e-6, FD Poisson
2.1e-5 (high frequency 3.3e-4), FD Helmholtz 1.3e-3, Burgers method of lines 2.5e-5, ETDRK4
256 modes 1.4e-4, FD L-shape (h = 2/320) 2.3e-4.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import dnnsolve.pde
from dnnsolve.bench import SUITES, run_suite
from dnnsolve.bench.harness import SuiteContext
from dnnsolve.bench.suites import pde as pde_suite
from dnnsolve.bench.suites.pde import (
    RITZ_SETTINGS,
    TARGETS,
    PDEOptions,
    _classical_fields,
    solve_call,
)
from dnnsolve.core.errors import InputError
from dnnsolve.pde import PDE_PROBLEMS, builtin
from dnnsolve.pde.recipes import recipe_for

TINY = {"adam_steps": 20, "lbfgs_steps": 5, "points": 128, "boundary": 32, "validation": 128,
        "hidden": 12, "layers": 2, "eval_every": 10}  # fmt: skip
CPU = SuiteContext(device=torch.device("cpu"), time_limit=math.inf, seed=0)


@pytest.fixture
def solve_spy(monkeypatch):
    """Record every ``solve_pde`` call of the suite (problem, keyword arguments, result)."""
    real = dnnsolve.pde.solve_pde
    calls: list[dict] = []

    def spy(problem, **kw):
        call = {"problem": problem, "kw": dict(kw), "out": None}
        calls.append(call)
        call["out"] = real(problem, **kw)
        return call["out"]

    monkeypatch.setattr(dnnsolve.pde, "solve_pde", spy)
    return calls


def _independent_rel_l2(out) -> float:
    """The relative L2 of a ``solve_pde`` result, recomputed from its points and values."""
    exact = np.asarray(out.reference, dtype=np.float64).reshape(-1)
    diff = np.asarray(out.values, dtype=np.float64).reshape(-1) - exact
    return float(np.sqrt(np.sum(diff**2) / np.sum(exact**2)))


def test_suite_is_registered_with_its_methods():
    s = SUITES["pde"]
    assert s.methods == ("pinn", "deep-ritz") and s.default_methods == ("pinn", "deep-ritz")
    for col in ("relative_l2", "seed", "recipe", "quasi_newton", "qn_iterations",
                "classical_rel_l2", "classical_time_s", "val_loss", "peer_rel_l2"):  # fmt: skip
        assert col in s.columns
    assert s.default_time_limit == math.inf  # no --time-limit: each recipe's own
    # the suite's own Ritz settings are for problems with an energy functional only
    assert set(RITZ_SETTINGS) <= {n for n in PDE_PROBLEMS if builtin(n).energy is not None}
    assert {i for i, _ in TARGETS} <= set(PDE_PROBLEMS)
    # this CPU targets
    assert TARGETS[("burgers", "pinn")] == (1e-3, 300.0)
    assert TARGETS[("poisson2d", "pinn")] == TARGETS[("heat", "pinn")] == (1e-5, 120.0)
    assert TARGETS[("allen-cahn", "pinn")] == (1e-2, 900.0)
    for key in (("poisson-lshape", "pinn"), ("poisson-nd", "deep-ritz")):
        assert TARGETS[key] == (1e-2, None)


def test_options_precedence_and_checks():
    o = PDEOptions({"lbfgs_steps": 7, "resample_every": 3, "deep-ritz.adam_steps": 9,
                    "seeds": 3, "net": "mlp", "quasi_newton": "bfgs", "exact": "false",
                    "pinn.qn_refresh": 10, "recipe": "adam-lbfgs"}, seed=10)  # fmt: skip
    assert o.seeds == [10, 11, 12] and o.peers == "none"
    pinn = o.given("pinn")
    assert pinn["lbfgs_steps"] == 7 and pinn["qn_refresh"] == 10 and pinn["exact"] is False
    assert pinn["quasi_newton"] == "bfgs" and pinn["recipe"] == "adam-lbfgs"
    assert "adam_steps" not in pinn and "qn_refresh" not in o.given("deep-ritz")
    # the suite's Ritz settings: points redrawn every step, no quasi-Newton phase unless
    # asked for by name
    ritz = o.ritz_settings("poisson2d")
    assert (ritz["lbfgs_steps"], ritz["resample_every"], ritz["adam_steps"]) == (0, 1, 9)
    assert ritz["dtype"] == "float64" and ritz["hidden"] == 32
    named = PDEOptions({"deep-ritz.lbfgs_steps": 50, "deep-ritz.resample_every": 0})
    assert named.ritz_settings("poisson2d")["lbfgs_steps"] == 50
    assert PDEOptions({"seeds": [4.0, 2.0]}).seeds == [4, 2]
    assert PDEOptions({"peers": "deepxde"}).peers == "deepxde"
    bad = [
        {"adam_step": 3},
        {"points": 0},
        {"net": "cnn"},
        {"dtype": "float16"},
        {"lr": -1},
        {"seeds": 0},
        {"seeds": [1, 1]},
        {"galerkin.points": 3},
        {"sampler": "grid"},
        {"quasi_newton": "newton"},
        {"qn_refresh": -1},
        {"exact": "maybe"},
        {"recipe": "no-such-recipe"},
        {"peers": "pina"},
        {"pinn.peers": "deepxde"},
        {"pinn.seeds": 2},
    ]
    for opts in bad:  # fmt: skip
        with pytest.raises(InputError):
            PDEOptions(opts)


def test_options_map_onto_solve_pde_arguments():
    # no option: exactly the library default
    problem, kw, label = solve_call("burgers", "pinn", PDEOptions({}), 3, CPU)
    assert (problem, label) == ("burgers", recipe_for("burgers").name)
    assert kw == {"recipe": "auto", "seed": 3, "device": torch.device("cpu"), "time_limit": None}
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=42.0, seed=0)
    assert solve_call("heat", "pinn", PDEOptions({}), 0, ctx)[1]["time_limit"] == 42.0
    # single settings map onto solve_pde's arguments
    opts = PDEOptions({"points": 99, "qn_refresh": 7, "quasi_newton": "lbfgs", "exact": 0,
                       "dtype": "float32", "lr": 0.01, "balance": "annealing"})  # fmt: skip
    _, kw, _ = solve_call("heat", "pinn", opts, 0, CPU)
    assert kw["interior"] == 99 and "points" not in kw
    assert (kw["qn_refresh"], kw["quasi_newton"], kw["exact"]) == (7, "lbfgs", False)
    assert (kw["dtype"], kw["lr"], kw["balance"]) == ("float32", 0.01, "annealing")
    assert "net" not in kw and "options" not in kw and "method" not in kw
    # the recipe's own network: its options (and formulation) kept, the width changed
    ac = recipe_for("allen-cahn")
    problem, kw, _ = solve_call("allen-cahn", "pinn", PDEOptions({"hidden": 8}), 0, CPU)
    assert kw["net"] == ac.net and kw["options"] == {**ac.options, "hidden": 8}
    if ac.variant:
        assert problem.name != "allen-cahn" and kw["recipe"] is ac
    # another network: its own defaults, on the plain problem
    resnet = PDEOptions({"net": "resnet", "layers": 2})
    problem, kw, _ = solve_call("allen-cahn", "pinn", resnet, 0, CPU)
    assert problem == "allen-cahn" and kw["net"] == "resnet" and kw["options"] == {"blocks": 2}
    # Deep Ritz: the suite's own settings unless the problem's recipe is a Ritz one
    problem, kw, label = solve_call("poisson2d", "deep-ritz", PDEOptions({}), 0, CPU)
    assert label == "suite-ritz" and problem.name == "poisson2d"
    assert (kw["method"], kw["resample_every"], kw["lbfgs_steps"]) == ("deep-ritz", 1, 0)
    assert kw["options"] == {"hidden": 32, "layers": 3}
    nd = recipe_for("poisson-nd")
    _, kw, label = solve_call("poisson-nd", "deep-ritz", PDEOptions({}), 0, CPU)
    if nd.method == "deep-ritz":
        assert label == nd.name and kw == {"recipe": "auto", "seed": 0, "device": CPU.device,
                                        "time_limit": None}  # fmt: skip
    else:
        assert label == "suite-ritz"
    # a pinn row runs a PINN even where the problem's recipe is not one
    _, kw, _ = solve_call("poisson-nd", "pinn", PDEOptions({}), 0, CPU)
    assert kw.get("method", nd.method) == "pinn"


def test_no_options_runs_the_library_recipe(tmp_path, solve_spy):
    rep = run_suite("pde", instances="heat", out=tmp_path, device="cpu", progress=False,
                    baselines=False, time_limit=3, options={"seeds": 1})  # fmt: skip
    (call,) = solve_spy
    assert call["problem"] == "heat"
    assert call["kw"] == {"recipe": "auto", "seed": 0, "device": torch.device("cpu"),
                          "time_limit": 3.0}  # fmt: skip
    (row,) = rep.rows
    rec = recipe_for("heat")
    assert row["error"] is None, row["error"]
    assert row["recipe"] == rec.name and row["quasi_newton"] == rec.quasi_newton == "ssbroyden"
    assert row["net"] == f"{rec.net} {rec.options['hidden']}x{rec.options['layers']} tanh"
    assert (row["dtype"], row["points"]) == (rec.dtype, rec.interior)
    assert 0 < row["time_s"] <= 3.0 + 1.0  # the suite's time limit, not the recipe's
    assert row["adam_steps"] + row["qn_iterations"] >= 1
    assert row["relative_l2"] == pytest.approx(_independent_rel_l2(call["out"]), rel=1e-9)
    entry = rep.summary["methods"]["heat / pinn"]
    assert entry["recipe"] == rec.name and entry["quasi_newton"] == "ssbroyden"


def test_without_time_limit_the_recipe_sets_it(tmp_path, monkeypatch):
    seen = []

    def fake(problem, **kw):
        seen.append((problem, kw))
        raise RuntimeError("not run")

    monkeypatch.setattr(dnnsolve.pde, "solve_pde", fake)
    rep = run_suite("pde", instances="burgers", out=tmp_path, device="cpu", progress=False,
                    baselines=False, options={"seeds": 1})  # fmt: skip
    assert seen == [("burgers", {"recipe": "auto", "seed": 0, "device": torch.device("cpu"),
                                 "time_limit": None})]  # fmt: skip
    (row,) = rep.rows
    assert row["error"] == "RuntimeError: not run" and row["relative_l2"] is None
    assert row["recipe"] == recipe_for("burgers").name
    doc = json.loads(rep.json_path.read_text())
    assert doc["settings"]["time_limit_s"] is None  # inf: each recipe's own


def test_ci_run_writes_per_seed_rows_and_the_spread(tmp_path, solve_spy):
    rep = run_suite("pde", instances="heat", out=tmp_path, device="cpu", progress=False,
                    options={**TINY, "seeds": 2})  # fmt: skip
    doc = json.loads(rep.json_path.read_text())
    assert doc["suite"] == "pde" and doc["complete"] is True
    rows = doc["rows"]
    assert [(r["instance"], r["method"], r["seed"]) for r in rows] == [
        ("heat", "pinn", 0),
        ("heat", "pinn", 1),
    ]  # fmt: skip  (heat has no energy: no Ritz)
    assert [c["kw"]["seed"] for c in solve_spy] == [0, 1]
    for r, call in zip(rows, solve_spy, strict=True):
        assert call["kw"]["interior"] == 128 and call["kw"]["options"] == {"hidden": 12,
                                                                          "layers": 2}  # fmt: skip
        assert r["error"] is None, r["error"]
        assert r["relative_l2"] == pytest.approx(_independent_rel_l2(call["out"]), rel=1e-9)
        assert np.isfinite(r["relative_l2"]) and r["time_s"] > 0 and r["val_loss"] >= 0
        assert (r["adam_steps"], r["qn_iterations"]) == (20, 5) and r["stop_reason"] == "steps"
        assert r["quasi_newton"] == "ssbroyden" and r["recipe"] == recipe_for("heat").name
        assert r["net"] == "mlp 12x2 tanh" and r["dtype"] == "float64"
        assert r["classical"].startswith("Crank–Nicolson") and r["classical_rel_l2"] < 1e-5
        assert r["classical_time_s"] > 0
    assert rows[0]["relative_l2"] != rows[1]["relative_l2"]  # two seeds, two networks
    s = doc["summary"]["methods"]["heat / pinn"]
    errs = [r["relative_l2"] for r in rows]
    assert s["seeds"] == 2 and s["mean_qn_iterations"] == 5
    assert s["mean_rel_l2"] == pytest.approx(float(np.mean(errs)), rel=1e-12)
    assert s["median_rel_l2"] == pytest.approx(float(np.median(errs)), rel=1e-12)
    assert (s["min_rel_l2"], s["max_rel_l2"]) == (min(errs), max(errs))
    assert s["mean_time_s"] == pytest.approx(np.mean([r["time_s"] for r in rows]))
    assert doc["summary"]["classical"]["heat"]["rel_l2"] == rows[0]["classical_rel_l2"]
    assert "peers" not in doc["summary"] and all("peer" not in r for r in rows)
    md = rep.markdown_path.read_text()
    assert "| heat | pinn |" in md and "## Summary" in md and "heat / pinn" in md
    assert md.count("| heat | pinn |") == 2


def test_deep_ritz_rows_targets_and_no_baselines(tmp_path):
    rep = run_suite("pde", instances="poisson2d", out=tmp_path, device="cpu", progress=False,
                    baselines=False, options={**TINY, "seeds": 1, "dtype": "float32"})  # fmt: skip
    rows = rep.rows
    assert [(r["method"], r["seed"]) for r in rows] == [("pinn", 0), ("deep-ritz", 0)]
    pinn, ritz = rows
    assert pinn["qn_iterations"] == 5 and pinn["quasi_newton"] == "ssbroyden"
    assert ritz["recipe"] == "suite-ritz" and ritz["dtype"] == "float32"
    assert ritz["qn_iterations"] == 0 and ritz["quasi_newton"] == "none"
    assert ritz["adam_steps"] == 20 and np.isfinite(ritz["val_loss"])
    assert all("classical" not in r for r in rows)  # --no-baselines
    entry = rep.summary["methods"]["poisson2d / pinn"]
    assert (entry["target_rel_l2"], entry["target_time_s"]) == (1e-5, 120.0)
    assert entry["seeds_meeting_target"] == 0  # 25 steps are far from 1e-5
    assert "target_rel_l2" not in rep.summary["methods"]["poisson2d / deep-ritz"]
    assert any("2-core CPU" in n for n in rep.summary["notes"])


def test_method_without_energy_keeps_the_classical_row(tmp_path):
    rep = run_suite("pde", instances="heat", methods=["deep-ritz"], out=tmp_path, device="cpu",
                    progress=False, options={"seeds": 1})  # fmt: skip
    (row,) = rep.rows
    assert row["method"] == "none" and "energy" in row["note"]
    assert row["classical_rel_l2"] < 1e-5
    assert rep.summary["methods"] == {}


@pytest.mark.parametrize(
    "name, bound",
    [("heat", 1e-5), ("poisson2d", 5e-5), ("poisson2d-hf", 1e-3), ("helmholtz", 3e-3),
     ("burgers", 1e-4), ("allen-cahn", 5e-4), ("poisson-lshape", 1e-3)],
)  # fmt: skip
def test_classical_solvers_match_the_references(name, bound):
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=10.0, seed=0)
    f = _classical_fields(name, builtin(name), ctx)
    assert "classical_error" not in f, f.get("classical_error")
    assert 0 < f["classical_rel_l2"] < bound and f["classical_time_s"] > 0


def test_bad_instance_and_option_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no instance"):
        run_suite("pde", instances="navier-stokes", out=tmp_path, device="cpu", progress=False)
    with pytest.raises(InputError, match="unknown option"):
        run_suite("pde", instances="heat", out=tmp_path, device="cpu", progress=False,
                  options={"adam": 3})  # fmt: skip
    with pytest.raises(InputError, match="unknown method"):
        run_suite("pde", methods=["fem"], out=tmp_path, device="cpu", progress=False)


def test_a_failing_peer_is_reported_in_the_row(tmp_path, monkeypatch):
    # a child that dies: the row keeps our figures and says why the peer has none
    monkeypatch.setattr(pde_suite, "_PEER_CHILD", "import sys\nsys.exit(3)\n")
    rep = run_suite("pde", instances="heat,helmholtz", out=tmp_path, device="cpu",
                    progress=False, baselines=False, time_limit=5,
                    options={**TINY, "seeds": 1, "peers": "deepxde"})  # fmt: skip
    heat, helm = rep.rows
    assert heat["error"] is None and np.isfinite(heat["relative_l2"])
    assert heat["peer"] == "deepxde" and heat["peer_rel_l2"] is None
    assert heat["peer_error"].startswith("child exited 3")
    assert "peer" not in helm  # the peer covers burgers, heat and poisson2d only
    peers = rep.summary["peers"]
    assert set(peers) == {"heat"} and peers["heat"]["peer_errors"] == 1
    assert peers["heat"]["mean_ratio_peer_over_ours"] is None
    # outside the peer's problems, or without a time: an error in the result, never raised
    out = pde_suite.deepxde_peer("allen-cahn", 1.0)
    assert out["peer_rel_l2"] is None and "covers" in out["peer_error"]


def test_deepxde_peer_in_the_suite(tmp_path):
    pytest.importorskip("deepxde")
    seconds = 3.0
    rep = run_suite("pde", instances="heat", out=tmp_path, device="cpu", progress=False,
                    baselines=False, time_limit=seconds,
                    options={**TINY, "seeds": 1, "peers": "deepxde"})  # fmt: skip
    (row,) = rep.rows
    assert row["peer"] == "deepxde" and row["peer_error"] is None, row.get("peer_error")
    assert row["peer_dtype"] == "float64" and row["peer_device"] == "cpu"
    assert 0 < row["peer_rel_l2"] < 2 and np.isfinite(row["peer_rel_l2"])
    # Adam for 60 % of the time, then L-BFGS calls that stop near the time
    assert 0.6 * seconds <= row["peer_time_s"] <= seconds + 2.0
    assert row["peer_adam_steps"] >= 1 and row["peer_lbfgs_iterations"] >= 0
    peers = rep.summary["peers"]["heat"]
    assert peers["seeds"] == 1 and peers["mean_peer_rel_l2"] == row["peer_rel_l2"]
    ratio = row["peer_rel_l2"] / row["relative_l2"]
    assert peers["mean_ratio_peer_over_ours"] == pytest.approx(ratio, rel=1e-12)


def test_deepxde_peer_in_process_puts_torch_back():
    pytest.importorskip("deepxde")
    dtype = torch.get_default_dtype()
    out = pde_suite.deepxde_peer("poisson2d", 2.0, seed=1, threads=1)
    assert out["peer_error"] is None, out["peer_error"]
    assert torch.get_default_dtype() == dtype  # DeepXDE's float64 default does not leak
    assert out["peer_dtype"] == "float64" and 0 < out["peer_rel_l2"] < 2
    assert out["peer_adam_steps"] >= 1 and out["peer_time_s"] <= 2.0 + 2.0
