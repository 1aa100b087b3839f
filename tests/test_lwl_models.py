"""LWL models: RRR finds exact NMFs, trains a classifier and a binary autoencoder; data; CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from dnnsolve.cli import app as cli_app
from dnnsolve.rrr.lwl.baselines import gradient_classifier, multiplicative_nmf
from dnnsolve.rrr.lwl.data import eval_majority_circuit, ledm, majority_circuit_data
from dnnsolve.rrr.lwl.nmf import rrr_nmf
from dnnsolve.rrr.lwl.train import LWLConfig, train_autoencoder, train_classifier


def _check_nmf(x, w, z, tol=1e-6):
    """Independent re-check: non-negative factors reproducing X."""
    assert (w >= 0).all() and (z >= 0).all()
    assert np.linalg.norm(x - z @ w.T) <= tol * np.linalg.norm(x)


def test_rrr_exact_nmf_of_planted_rank3():
    rng = np.random.default_rng(0)
    w0, z0 = rng.random((6, 3)), rng.random((6, 3))
    w0[rng.random((6, 3)) < 0.3] = 0.0  # sparse factors: a (generically) unique NMF
    x = z0 @ w0.T
    out = rrr_nmf(x, 3, beta=0.5, omega=1.0, restarts=4, max_iter=4000, seed=0, stop_on_first=True)
    assert any(out["solved"])
    _check_nmf(x, out["W"], out["Z"])


def test_rrr_exact_nmf_of_ledm4():
    x = ledm(4)
    out = rrr_nmf(x, 4, beta=0.5, omega=0.6, restarts=4, max_iter=4000, seed=1, stop_on_first=True)
    assert any(out["solved"])
    _check_nmf(x, out["W"], out["Z"])
    # rank 2 is impossible (LEDM has rank 3): RRR must not claim success
    bad = rrr_nmf(x, 2, beta=0.5, omega=0.6, restarts=2, max_iter=300, seed=1)
    assert not any(bad["solved"]) and bad["best_error"] > 1e-3


def test_ledm_data():
    x = ledm(6)
    assert x.shape == (6, 6) and np.linalg.matrix_rank(x) == 3 and x.max() == 1.0


@pytest.mark.slow
def test_rrr_ledm6_rank5():
    # the paper's LEDM m = 6 instance at its nonnegative rank 5 (Table 1: RRR 100 %)
    x = ledm(6)
    out = rrr_nmf(
        x,
        5,
        beta=0.3,
        omega=0.6,
        restarts=10,
        max_iter=60000,
        seed=0,
        stop_on_first=True,
        time_limit=600,
    )
    assert any(out["solved"])
    _check_nmf(x, out["W"], out["Z"])


def test_rrr_classifier_separable():
    rng = np.random.default_rng(0)
    x = rng.random((300, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] > x[:, 2] + 0.5 * x[:, 3]).astype(int)
    cfg = LWLConfig(batch=100, iterations=40, epochs=3, restarts=2, seed=0)
    model, s = train_classifier(x[:200], y[:200], [8], cfg, x_test=x[200:], y_test=y[200:])
    assert s["test_error"] <= 0.06  # stated target on this easy linearly separable set
    # the reported error is the NumPy forward pass; the torch model agrees
    assert float(model.error(x[200:], y[200:])[s["best_restart"]]) == pytest.approx(s["test_error"])
    assert model.history and model.history[-1]["iterations"] > 0


def test_rrr_autoencoder_two_bits():
    cfg = LWLConfig(beta=0.5, omega=10.0, margin=0.2, iterations=1500, epochs=1, restarts=6)
    _model, s = train_autoencoder(2, cfg)
    assert s["success_rate"] > 0 and s["verified"]
    codes = {tuple(c) for c in s["codes"]}
    assert len(codes) == 4


def test_majority_data_independent_labels():
    xtr, ytr, xte, _yte = majority_circuit_data(2, 13, 4096, seed=3)
    assert xtr.shape == (4096, 13) and xte.shape == (4096, 13)
    allx = np.concatenate([xtr, xte])
    assert len({r.tobytes() for r in allx}) == 8192  # every input exactly once
    # labels are a majority-of-majorities: recompute with a recursive definition
    leaves = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8])
    bits = np.array([[1, 1, 0, 0, 0, 1, 1, 1, 1]])

    def maj(v):
        return int(sum(v) >= 2)

    expect = maj([maj(bits[0, 0:3]), maj(bits[0, 3:6]), maj(bits[0, 6:9])])
    assert eval_majority_circuit(leaves, bits).tolist() == [expect]
    assert 0 < ytr.mean() < 1


def test_baselines_small():
    out = multiplicative_nmf(np.outer([1.0, 2.0], [1.0, 3.0]), 1, max_iter=2000)
    assert out["success_rate"] == 1.0
    x = np.array([[0.0, 1.0], [1.0, 0.0]] * 8)
    g = gradient_classifier(
        x, np.array([0, 1] * 8), [4], x_test=x, y_test=np.array([0, 1] * 8), epochs=60, batch=16
    )
    assert g["test_error"] == 0.0


def _rrr(runner: CliRunner, args: list[str]):
    """``dnnsolve rrr ARGS`` (the rrr group builds its commands only under the root app)."""
    return runner.invoke(cli_app, ["rrr", *args])


def test_cli_nmf_json_and_errors(tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.json"
    np.save(tmp_path / "m.npy", np.outer([1.0, 2.0, 1.0], [1.0, 3.0]))
    r = _rrr(
        runner,
        [
            "nmf",
            "--matrix",
            str(tmp_path / "m.npy"),
            "--rank",
            "1",
            "--beta",
            "0.5",
            "--omega",
            "1",
            "--steps",
            "3000",
            "--output",
            str(out),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["problem"] == "nmf" and d["feasible"] is True
    w, z = np.array(d["solution"]["W"]), np.array(d["solution"]["Z"])
    _check_nmf(np.outer([1.0, 2.0, 1.0], [1.0, 3.0]), w, z)
    r = _rrr(runner, ["nmf", "--ledm", "7"])
    assert r.exit_code == 2 and "rank" in r.output
    r = _rrr(runner, ["nmf", "--matrix", str(tmp_path / "missing.txt"), "--rank", "1"])
    assert r.exit_code == 2
    r = _rrr(runner, ["classify", "--data", "nope"])
    assert r.exit_code == 2 and "majority" in r.output
    r = _rrr(runner, ["autoencode", "--bits", "12"])
    assert r.exit_code == 2


def test_cli_classify_majority_small(tmp_path):
    runner = CliRunner()
    out = tmp_path / "c.json"
    r = _rrr(
        runner,
        [
            "classify",
            "--data",
            "majority",
            "--depth",
            "1",
            "--train",
            "256",
            "--hidden",
            "6",
            "--batch",
            "64",
            "--steps",
            "30",
            "--epochs",
            "2",
            "--output",
            str(out),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    # depth-1 majority is a linear threshold: RRR must learn it well
    assert d["objective"] <= 0.05 and d["metrics"]["test_error"] == d["objective"]
    assert torch.tensor(d["solution"]["weights"][0]).shape == (6, 13)
