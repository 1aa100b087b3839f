"""``dnnsolve pde``: files written and consistent, relative L2 recomputed, exit codes, Ctrl-C.

Every run is in-process (``dnnsolve.cli.main``) with a 16×2 network and a few dozen steps on a
few hundred points, so each takes one or two seconds on one CPU thread; the point here is the
command's plumbing, not the accuracy (``test_pde_solve.py`` checks that).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from matplotlib.image import imread

import dnnsolve.pde
from dnnsolve.cli import main
from dnnsolve.core.callbacks import RichProgress
from dnnsolve.pde import PDE_PROBLEMS
from dnnsolve.pde.report import tensor_grid, write_figures

CPU = ["--device", "cpu", "--threads", "1"]
SMALL = ["--net-option", "hidden=16", "--net-option", "layers=2", "--points", "200",
         "--boundary-points", "40"]  # fmt: skip
PNGS = ("solution.png", "history.png")  # solution | reference | error in one figure


def _run(*args) -> int:
    """``dnnsolve pde --device cpu --threads 1 ARGS...`` (a later option overrides those)."""
    return main(["pde", *CPU, *[str(a) for a in args]])


def _check_outputs(out, *, reference: bool = True) -> tuple[dict, dict]:
    """Every file exists and is valid; the npz is consistent with itself and with the JSON."""
    data = json.loads((out / "result.json").read_text())
    for key in ("problem", "instance", "method", "objective", "stop_reason", "steps", "time_s",
                "timings", "history", "extra"):  # fmt: skip
        assert key in data, key
    assert data["problem"] == "pde" and data["history"]
    assert {"step", "loss", "batch_objective", "elapsed"} <= set(data["history"][0])
    with np.load(out / "solution.npz") as z:
        arrays = {k: z[k] for k in z.files}
    pts, vals = arrays["points"], arrays["values"]
    assert pts.ndim == 2 and vals.ndim == 2 and len(pts) == len(vals)
    assert np.isfinite(vals).all()
    shape = tuple(int(s) for s in arrays["grid_shape"])
    if "mask" in arrays:  # a tensor grid: axes, mask and points agree
        mask = arrays["mask"]
        assert mask.shape == shape and int(mask.sum()) == len(pts)
        axes = [arrays[f"axis_{i}"] for i in range(pts.shape[1])]
        assert tuple(len(a) for a in axes) == shape
        nodes = np.stack(np.meshgrid(*axes, indexing="ij"), -1)[mask]
        np.testing.assert_array_equal(nodes, pts)
        full = np.full((*shape, vals.shape[1]), np.nan)
        full[mask] = vals
        assert np.isfinite(full).sum() == vals.size
    if reference:
        ref = arrays["reference"]
        assert ref.shape == vals.shape
        rel = np.linalg.norm(vals - ref) / np.linalg.norm(ref)
        assert math.isclose(data["metrics"]["relative_l2"], rel, rel_tol=1e-12)
    names = PNGS if reference else ("solution.png", "history.png")
    for name in names:
        img = imread(out / name)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100, name
    listed = set(data["extra"]["cli"]["files"])
    assert listed == {"result.json", "solution.npz", *names}
    return data, arrays


def test_heat_files_and_consistency(tmp_path, capsys):
    out = tmp_path / "heat"
    rc = _run("heat", "--steps", 100, "--lbfgs-steps", 20, "--eval-every", 50, *SMALL,
              "--out-dir", out)  # fmt: skip
    assert rc == 0
    data, arrays = _check_outputs(out)
    assert arrays["grid_shape"].tolist() == [101, 101] and bool(arrays["mask"].all())
    assert arrays["points"].shape == (101 * 101, 2) and arrays["values"].shape == (101 * 101, 1)
    lb = data["extra"]["quasi_newton"]["iterations"]
    assert data["steps"] == 100 + lb and 0 < lb <= 20
    assert data["extra"]["cli"]["adam_steps_run"] == 100
    steps = [r["step"] for r in data["history"]]
    # under the recipe's budget the first step is evaluated too (it prices an evaluation)
    assert steps[:3] == [1, 50, 100] and steps[-1] == data["steps"]
    assert data["extra"]["recipe"]["name"] == "default"
    assert data["extra"]["quasi_newton"]["method"] == "ssbroyden"
    # the returned state is the one with the smallest validation loss
    best = min(r["batch_objective"] for r in data["history"])
    assert math.isclose(data["objective"], best, rel_tol=1e-6)
    assert data["metrics"]["relative_l2"] < 1.0
    shown = capsys.readouterr().out
    for word in (
        "relative L2",
        "validation loss",
        "100 Adam +",
        "SSBroyden",
        "solution.npz",
        "history.png",
    ):
        assert word in shown, word


def test_options_reach_the_solver(tmp_path):
    """Restarts, loss weights, sampler, resampling, float64 and a SIREN all go through."""
    out = tmp_path / "opts"
    rc = _run("heat", "--steps", 40, "--lbfgs-steps", 5, "--eval-every", 20,
              "--points", 150, "--boundary-points", 30, "--net", "siren",
              "--net-option", "hidden=16", "--net-option", "layers=2",
              "--restarts", 2, "--weight", "initial=10", "--weight", "residual=1",
              "--sampler", "lhs", "--resample-every", 10, "--dtype", "float64",
              "--lr", "2e-3", "--seed", 3, "--no-exact", "-q", "--out-dir", out)  # fmt: skip
    assert rc == 0
    data, _ = _check_outputs(out)
    cli = data["extra"]["cli"]
    assert data["restarts"] == 2 and data["seed"] == 3
    assert data["method"] == "pinn/siren" and cli["dtype"] == "float64"
    assert cli["weights"] == {"initial": 10, "residual": 1}
    assert cli["sampler"] == "lhs" and cli["resample_every"] == 10
    assert data["hparams"]["initial"] == 10.0 and data["extra"]["config"]["lr"] == 2e-3


def test_deep_ritz(tmp_path):
    out = tmp_path / "ritz"
    rc = _run("poisson2d", "--method", "deep-ritz", "--net", "resnet", "--net-option", "width=8",
              "--net-option", "blocks=1", "--steps", 60, "--lbfgs-steps", 0,
              "--eval-every", 20, "--points", 200, "--boundary-points", 40, "-q", "--out-dir", out)  # fmt: skip
    assert rc == 0
    data, _ = _check_outputs(out)
    assert data["method"] == "deep-ritz/resnet" and "quasi_newton" not in data["extra"]
    assert data["steps"] == 60


@pytest.mark.parametrize("name", list(PDE_PROBLEMS))
def test_every_builtin_runs(tmp_path, name):
    out = tmp_path / name
    rc = _run(name, "--steps", 20, "--lbfgs-steps", 5, "--eval-every", 10, *SMALL, "-q",
              "--out-dir", out)  # fmt: skip
    assert rc == 0
    data, _ = _check_outputs(out, reference="relative_l2" in json.loads(
        (out / "result.json").read_text())["metrics"])  # fmt: skip
    assert data["instance"] == name and data["stop_reason"] in ("steps", "converged")


def test_list(capsys):
    for args in (["pde", "--list"], ["pde", "list"]):
        assert main(args) == 0
        shown = capsys.readouterr().out
        for name in PDE_PROBLEMS:
            assert name in shown, name


BAD = {
    "unknown problem": (["nosuch"], "unknown PDE problem"),
    "no problem": ([], "give a PROBLEM"),
    "unknown network": (["heat", "--net", "transformer"], "unknown network"),
    "unknown net option": (["heat", "--net-option", "depth=3"], "unknown option 'depth'"),
    "bad net option": (["heat", "--net-option", "depth"], "key=value"),
    "bad weight name": (["heat", "--weight", "bogus=1"], "unknown loss weight"),
    "negative weight": (["heat", "--weight", "initial=-1"], "--weight initial"),
    "negative adam steps": (["heat", "--steps", "-1"], "--steps"),
    "negative lbfgs steps": (["heat", "--lbfgs-steps", "-5"], "--lbfgs-steps"),
    "nan lr": (["heat", "--lr", "nan"], "--lr"),
    "zero lr": (["heat", "--lr", "0"], "--lr"),
    "dtype": (["heat", "--dtype", "float16"], "float32 or float64"),
    "method": (["heat", "--method", "ritz"], "--method"),
    "no energy": (["heat", "--method", "deep-ritz"], "energy"),
    "sampler": (["heat", "--sampler", "halton"], "--sampler"),
    "points": (["heat", "--points", "0"], "--points"),
    "restarts": (["heat", "--restarts", "0"], "--restarts"),
    "time limit": (["heat", "--time-limit", "-1"], "--time-limit must be positive"),
    "bad quasi-newton": (["heat", "--quasi-newton", "newton"], "--quasi-newton must be"),
    "bad recipe": (["heat", "--recipe", "fast"], "unknown recipe"),
    "device": (["heat", "--device", "tpu"], "device"),
    "balance": (["heat", "--balance", "ntk"], "--balance"),
    "balance every": (
        ["heat", "--balance", "grad-norm", "--balance-every", "0"],
        "--balance-every",
    ),
    "causal not timed": (["poisson2d", "--causal", "1"], "time-dependent"),
    "causal negative": (["heat", "--causal", "-1"], "--causal"),
    "causal ritz": (["poisson2d", "--method", "deep-ritz", "--causal", "1"], "time-dependent"),
    "rar half": (["heat", "--rar-every", "10"], "RAR needs both"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2(tmp_path, capsys, case):
    args, message = BAD[case]
    out = tmp_path / "out"
    rc = _run("--steps", 10, "--lbfgs-steps", 0, *(["--out-dir", out] if args else []), *args)
    assert rc == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    assert not out.exists()  # nothing trained, nothing written


def test_out_dir_is_optional_and_the_former_out_still_works(tmp_path, capsys):
    res = tmp_path / "r.json"
    assert _run("heat", *SMALL, "--steps", 5, "--lbfgs-steps", 0, "-q", "-o", res) == 0
    assert json.loads(res.read_text())["problem"] == "pde"
    assert (
        _run("heat", *SMALL, "--steps", 5, "--lbfgs-steps", 0, "-q", "--out", tmp_path / "d") == 0
    )
    assert (tmp_path / "d" / "result.json").exists()
    assert "--out is deprecated; use --out-dir" in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert _run("heat", "--out-dir", f) == 2
    assert "folder" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_unavailable(tmp_path, capsys):
    rc = main(["pde", "heat", "--device", "cuda", "--out-dir", str(tmp_path / "o")])
    assert rc == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "CUDA" in lines[0]


def test_ctrl_c_writes_best_state_and_exits_130(tmp_path, monkeypatch, capsys):
    calls = []

    def interrupt(self, state):
        calls.append(state.step)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(RichProgress, "on_eval", interrupt)
    out = tmp_path / "int"
    rc = _run("heat", "--steps", 200, "--lbfgs-steps", 20, "--eval-every", 10, *SMALL,
              "--out-dir", out)  # fmt: skip
    assert rc == 130
    data, _ = _check_outputs(out)
    assert data["stop_reason"] == "interrupted" and data["steps"] == calls[1]
    assert "interrupted" in capsys.readouterr().err


def test_lbfgs_diverged_still_writes_and_exits_0(tmp_path, monkeypatch, capsys):
    real = dnnsolve.pde.solve_pde

    def diverging(*args, **kwargs):
        res = real(*args, **kwargs)
        res.result.stop_reason = "lbfgs_diverged"
        res.result.extra["quasi_newton"]["stop_reason"] = "lbfgs_diverged"
        return res

    monkeypatch.setattr(dnnsolve.pde, "solve_pde", diverging)
    out = tmp_path / "div"
    rc = _run("heat", "--steps", 20, "--lbfgs-steps", 5, "--eval-every", 10, *SMALL, "-q",
              "--out-dir", out)  # fmt: skip
    assert rc == 0
    data, _ = _check_outputs(out)
    assert data["stop_reason"] == "lbfgs_diverged"
    err = capsys.readouterr().err
    assert "note:" in err and "last good state" in err


# ---------------------------------------------------------------- figures of other layouts


def test_figures_1d_and_scattered(tmp_path):
    x = np.linspace(0, 1, 50)[:, None]
    u = np.sin(np.pi * x)
    files = write_figures(tmp_path / "one", x, u + 1e-3, u, (50,), [{"step": 1, "loss": 1.0}])
    assert [f.name for f in files] == ["solution.png", "reference.png", "error.png", "history.png"]
    pts = np.random.default_rng(0).random((300, 5))  # scattered: no tensor grid
    assert tensor_grid(pts) is None
    v = pts.sum(1, keepdims=True)
    files = write_figures(tmp_path / "five", pts, v, None, None, [])
    assert [f.name for f in files] == ["solution.png"]
    for f in files:
        assert imread(f).ndim == 3
    # two components, a partial 2-D grid (L-shape-like), a negative (Deep Ritz) loss
    g = np.stack(np.meshgrid(np.arange(4.0), np.arange(3.0), indexing="ij"), -1).reshape(-1, 2)
    keep = ~((g[:, 0] > 1) & (g[:, 1] > 0))
    hist = [{"step": s, "loss": -1.0 / s, "batch_objective": -2.0 / s} for s in (1, 2, 3)]
    files = write_figures(tmp_path / "two", g[keep], np.c_[g[keep], g[keep]][:, :2], None,
                          (4, 3), hist, switch_step=2, best_step=3)  # fmt: skip
    assert tensor_grid(g[keep], (4, 3)).mask.sum() == keep.sum()
    assert [f.name for f in files] == ["solution.png", "history.png"]
