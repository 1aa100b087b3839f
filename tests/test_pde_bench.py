"""The ``pde`` benchmark suite: registration, options, per-seed rows, summary, classical column.

CI-sized runs (a few dozen training steps) on 2 CPU cores; the classical solvers' errors are
measured figures with a margin (OMP_NUM_THREADS=1): Crank–Nicolson heat 2.6e-6, FD Poisson
2.1e-5 (high frequency 3.3e-4), FD Helmholtz 1.3e-3, Burgers method of lines 2.5e-5, ETDRK4
256 modes 1.4e-4, FD L-shape (h = 2/320) 2.3e-4.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dnnsolve.bench import SUITES, run_suite
from dnnsolve.bench.harness import SuiteContext
from dnnsolve.bench.suites.pde import RECIPES, TARGETS, PDEOptions, _classical_fields
from dnnsolve.core.errors import InputError
from dnnsolve.pde import PDE_PROBLEMS, builtin

TINY = {"adam_steps": 30, "lbfgs_steps": 10, "points": 128, "boundary": 32, "validation": 128,
        "hidden": 12, "layers": 2, "eval_every": 10}  # fmt: skip


def test_suite_is_registered_with_its_methods():
    s = SUITES["pde"]
    assert s.methods == ("pinn", "deep-ritz") and s.default_methods == ("pinn", "deep-ritz")
    for col in ("relative_l2", "seed", "classical_rel_l2", "classical_time_s", "val_loss"):
        assert col in s.columns
    assert set(RECIPES) <= set(PDE_PROBLEMS)
    assert {i for i, _ in TARGETS} <= set(PDE_PROBLEMS)


def test_options_precedence_and_checks():
    o = PDEOptions({"lbfgs_steps": 7, "resample_every": 3, "deep-ritz.adam_steps": 9,
                    "seeds": 3, "net": "mlp"}, seed=10)  # fmt: skip
    assert o.seeds == [10, 11, 12]
    pinn, ritz = o.settings("poisson2d", "pinn"), o.settings("poisson2d", "deep-ritz")
    assert (pinn["lbfgs_steps"], pinn["resample_every"], pinn["dtype"]) == (7, 3, "float64")
    # Deep Ritz redraws its points every step: no L-BFGS unless asked for it by name
    assert (ritz["lbfgs_steps"], ritz["resample_every"], ritz["adam_steps"]) == (0, 1, 9)
    # the recipe's periodic Fourier embedding goes with its own network only
    assert o.settings("allen-cahn", "pinn")["net_options"] == {}
    ac = PDEOptions({}).settings("allen-cahn", "pinn")
    assert ac["net"] == "fourier" and ac["variant"] == {"periodic_network": True}
    assert PDEOptions({"seeds": [4.0, 2.0]}).seeds == [4, 2]
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
    ]
    for opts in bad:  # fmt: skip
        with pytest.raises(InputError):
            PDEOptions(opts)


def test_ci_run_writes_per_seed_rows_and_the_spread(tmp_path):
    rep = run_suite("pde", instances="heat", out=tmp_path, device="cpu", progress=False,
                    options={**TINY, "seeds": 2})  # fmt: skip
    doc = json.loads(rep.json_path.read_text())
    assert doc["suite"] == "pde" and doc["complete"] is True
    rows = doc["rows"]
    assert [(r["instance"], r["method"], r["seed"]) for r in rows] == [
        ("heat", "pinn", 0),
        ("heat", "pinn", 1),
    ]  # fmt: skip  (heat has no energy: no Ritz)
    for r in rows:
        assert r["error"] is None, r["error"]
        assert np.isfinite(r["relative_l2"]) and r["time_s"] > 0 and r["val_loss"] >= 0
        assert (r["adam_steps"], r["lbfgs_steps"]) == (30, 10) and r["stop_reason"] == "steps"
        assert r["classical"].startswith("Crank–Nicolson") and r["classical_rel_l2"] < 1e-5
        assert r["classical_time_s"] > 0
    assert rows[0]["relative_l2"] != rows[1]["relative_l2"]  # two seeds, two networks
    s = doc["summary"]["methods"]["heat / pinn"]
    errs = [r["relative_l2"] for r in rows]
    assert s["seeds"] == 2
    assert s["mean_rel_l2"] == pytest.approx(float(np.mean(errs)), rel=1e-12)
    assert s["median_rel_l2"] == pytest.approx(float(np.median(errs)), rel=1e-12)
    assert (s["min_rel_l2"], s["max_rel_l2"]) == (min(errs), max(errs))
    assert s["mean_time_s"] == pytest.approx(np.mean([r["time_s"] for r in rows]))
    assert doc["summary"]["classical"]["heat"]["rel_l2"] == rows[0]["classical_rel_l2"]
    md = rep.markdown_path.read_text()
    assert "| heat | pinn |" in md and "## Summary" in md and "heat / pinn" in md
    assert md.count("| heat | pinn |") == 2


def test_deep_ritz_rows_targets_and_no_baselines(tmp_path):
    rep = run_suite("pde", instances="poisson2d", out=tmp_path, device="cpu", progress=False,
                    baselines=False, options={**TINY, "seeds": 1, "dtype": "float32"})  # fmt: skip
    rows = rep.rows
    assert [(r["method"], r["seed"]) for r in rows] == [("pinn", 0), ("deep-ritz", 0)]
    ritz = rows[1]
    assert ritz["lbfgs_steps"] == 0 and ritz["adam_steps"] == 30 and np.isfinite(ritz["val_loss"])
    assert all("classical" not in r for r in rows)  # --no-baselines
    entry = rep.summary["methods"]["poisson2d / pinn"]
    assert (entry["target_rel_l2"], entry["target_time_s"]) == (1e-4, 30.0)
    assert entry["seeds_meeting_target"] == 0  # 30 steps are far from 1e-4
    assert any("H100" in n for n in rep.summary["notes"])


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
