"""The ``pde`` family: the API (``dnnsolve.solve("pde", ...)``), ``dnnsolve pde`` and
``dnnsolve solve pde`` run the same solve, its options are checked once, and the result
carries the relative L2 error against the reference.

Small networks and a few dozen steps on one CPU thread: a second or two per run.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import dnnsolve
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.pde import PDE_PROBLEMS, PDEResult, builtin

SMALL = {"steps": 40, "lbfgs_steps": 5, "eval_every": 20, "points": 200,
         "boundary_points": 40, "net_options": {"hidden": 8, "layers": 2}}  # fmt: skip
SMALL_ARGS = ["--steps", "40", "--lbfgs-steps", "5", "--eval-every", "20", "--points", "200",
              "--boundary-points", "40", "--net-option", "hidden=8", "--net-option", "layers=2",
              "--device", "cpu", "--threads", "1", "-q"]  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_api_and_both_commands_agree(tmp_path):
    api = dnnsolve.solve("pde", "heat", device="cpu", seed=2, **SMALL)
    rel = api.metrics["relative_l2"]
    assert rel is not None and math.isfinite(rel)
    for k, command in enumerate((["pde"], ["solve", "pde"])):
        out = tmp_path / f"run{k}"
        assert main([*command, "heat", *SMALL_ARGS, "--seed", "2", "--out-dir", str(out)]) == 0
        data = json.loads((out / "result.json").read_text())
        assert data["metrics"]["relative_l2"] == pytest.approx(rel, rel=1e-9)
        assert data["steps"] == api.steps and data["method"] == api.method == "pinn/mlp"
        assert data["extra"]["cli"]["net_options"] == {"hidden": 8, "layers": 2}


def test_result_carries_the_relative_l2_against_the_reference():
    r = dnnsolve.solve("pde", "heat", device="cpu", seed=0, **SMALL)
    field = r.solution_array
    assert isinstance(field, PDEResult) and r.instance == "heat" and r.feasible
    # the heat equation's exact solution, written out here: u = exp(-0.4 π² t) sin(πx)
    x, t = field.points[:, 0], field.points[:, 1]
    exact = (np.exp(-0.4 * np.pi**2 * t) * np.sin(np.pi * x))[:, None]
    np.testing.assert_allclose(field.reference, exact, atol=1e-12)
    rel = np.linalg.norm(field.values - exact) / np.linalg.norm(exact)
    assert r.metrics["relative_l2"] == pytest.approx(rel, rel=1e-12)
    assert r.extra["quasi_newton"]["iterations"] == 5 and r.steps == 45
    rows = dict(dnnsolve.get_family("pde").rows(r))
    assert rows["relative L2"] == f"{rel:.3e}" and rows["steps"] == "40 Adam + 5 SSBroyden"


def test_a_pde_object_and_the_write_hook(tmp_path):
    fam = dnnsolve.get_family("pde")
    opts = fam.make_options(device="cpu", out_dir=tmp_path / "o", **SMALL)
    r = fam.solve(builtin("poisson2d"), opts)
    files = fam.write(r, opts)
    names = ["solution.npz", "solution.png", "history.png", "result.json"]
    assert sorted(p.rsplit("/", 1)[-1] for p in files) == sorted(names)
    with np.load(tmp_path / "o" / "solution.npz") as z:
        assert z["values"].shape == r.solution_array.values.shape


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--restarts", "0"], "--restarts must be at least 1"),
        (["--lr", "-1"], "--lr must be positive"),
        (["--time-limit", "0"], "--time-limit must be positive"),
        (["--dtype", "half"], "--dtype must be float32 or float64"),
        (["--recipe", "quick"], "unknown recipe 'quick'"),
    ],
)
@pytest.mark.parametrize("command", [["pde"], ["solve", "pde"]])
def test_a_bad_option_is_one_line_and_exit_2(tmp_path, capsys, command, args, message):
    out = tmp_path / "out"
    rc = main([*command, "heat", *SMALL_ARGS, *args, "--out-dir", str(out)])
    assert rc == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    assert not out.exists()


def test_options_are_checked_once_in_the_api():
    with pytest.raises(InputError, match="--points must be at least 1"):
        dnnsolve.solve("pde", "heat", points=0)
    with pytest.raises(InputError, match="--weight initial must be a finite non-negative"):
        dnnsolve.solve("pde", "heat", weights={"initial": -1})
    with pytest.raises(InputError, match="unknown PDE problem 'nosuch'"):
        dnnsolve.solve("pde", "nosuch", steps=1)
    with pytest.raises(
        InputError, match=r"unknown option 'stepz' for pde \(did you mean 'steps'\?\)"
    ):
        dnnsolve.solve("pde", "heat", stepz=10)
    deprecated = pytest.warns(DeprecationWarning, match="adam_steps is deprecated; use steps")
    with deprecated, pytest.raises(InputError, match="--steps must be non-negative"):
        dnnsolve.solve("pde", "heat", adam_steps=-1)


def test_exact_is_three_valued_and_list_needs_no_out(tmp_path, capsys):
    out = tmp_path / "ex"
    assert main(["solve", "pde", "heat", *SMALL_ARGS, "--no-exact", "--out-dir", str(out)]) == 0
    data = json.loads((out / "result.json").read_text())
    assert data["extra"]["recipe"]["exact"] is False and "initial" in data["hparams"]
    capsys.readouterr()
    assert main(["solve", "pde", "--list"]) == 0
    shown = capsys.readouterr().out
    assert all(name in shown for name in PDE_PROBLEMS)


def test_family_spec():
    fam = dnnsolve.get_family("pde")
    assert fam.input_kind == "name" and fam.alias == "pde" and fam.group is None
    assert set(fam.methods()) == {"pinn", "deep-ritz"} and fam.baseline == "classical"
    name, options = fam.example
    assert name in PDE_PROBLEMS and options["lbfgs_steps"] == 0
    assert {row["problem"] for row in fam.catalog()} == set(PDE_PROBLEMS)
