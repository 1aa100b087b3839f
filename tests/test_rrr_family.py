"""The RRR and "Learning Without Loss" families through ``dnnsolve.solve`` and the generated
commands (``dnnsolve rrr …`` and ``dnnsolve solve …``).

Every answer is re-checked here with plain NumPy / Python, never with the solver's own check.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import dnnsolve
from dnnsolve.cli import main
from dnnsolve.data import example_path
from dnnsolve.family import get_family

SUDOKU = example_path("sudoku_example.txt")


def _givens(path) -> np.ndarray:
    rows = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and ln[0] != "#"]
    return np.array([[0 if c == "." else int(c) for c in row] for row in rows])


def _check_sudoku(solution, givens: np.ndarray) -> None:
    grid = np.asarray(solution)
    assert grid.shape == (9, 9)
    full = list(range(1, 10))
    for i in range(9):
        assert sorted(grid[i, :].tolist()) == full
        assert sorted(grid[:, i].tolist()) == full
    for r in range(0, 9, 3):
        for c in range(0, 9, 3):
            assert sorted(grid[r : r + 3, c : c + 3].ravel().tolist()) == full
    assert (grid[givens > 0] == givens[givens > 0]).all()


def _residual(x, w, z) -> float:
    w, z = np.asarray(w, dtype=float), np.asarray(z, dtype=float)
    assert (w >= 0).all() and (z >= 0).all()
    return float(np.sqrt(((x - z @ w.T) ** 2).sum() / (x**2).sum()))


def test_sudoku_api_and_both_commands(tmp_path, capsys):
    givens = _givens(SUDOKU)
    r = dnnsolve.solve("sudoku", str(SUDOKU), device="cpu", seed=0)
    assert r.feasible and r.method == "rrr" and r.seed == 0
    _check_sudoku(r.solution, givens)
    for args in (["rrr", "sudoku"], ["solve", "sudoku"]):
        out = tmp_path / f"{args[0]}.json"
        assert main([*args, str(SUDOKU), "-q", "-o", str(out)]) == 0
        _check_sudoku(json.loads(out.read_text())["solution"], givens)
    # the puzzle's text itself, as today
    text = "".join("".join(map(str, row)) for row in givens)
    capsys.readouterr()  # -q still printed the one-line answers above
    assert main(["rrr", "sudoku", text, "-o", "-", "--seed", "1"]) == 0
    _check_sudoku(json.loads(capsys.readouterr().out)["solution"], givens)


def test_bad_option_is_exit_2_and_one_line(capsys):
    assert main(["rrr", "sudoku", str(SUDOKU), "--restarts", "0"]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--restarts must be at least 1" in lines[0]
    assert main(["solve", "nmf", "--ledm", "6", "--backend", "nope", "-q"]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--backend" in lines[0]
    with pytest.raises(dnnsolve.InputError, match="beta"):
        dnnsolve.solve("sudoku", str(SUDOKU), beta=3)


def test_nmf_factors_recomputed(tmp_path):
    from dnnsolve.rrr.lwl.data import ledm

    r = dnnsolve.solve("nmf", ledm=6, device="cpu", seed=0, time_limit=30)
    x = ledm(6)
    err = _residual(x, r.solution["W"], r.solution["Z"])
    assert r.feasible and err <= 1e-6 and err == pytest.approx(r.objective, abs=1e-12)
    assert np.asarray(r.solution["W"]).shape == (6, 5)  # the paper's rank of LEDM 6
    # a planted rank-2 matrix given as an array, solved by the classical baseline
    rng = np.random.default_rng(3)
    y = rng.random((7, 2)) @ rng.random((2, 5))
    fam = get_family("nmf")
    assert fam.baseline == "hals" and set(fam.methods()) >= {"rrr", "hals", "mu", "cd"}
    b = dnnsolve.solve("nmf", y, method="hals", rank=2, seed=0, time_limit=10)
    assert b.method == "hals"
    assert _residual(y, b.solution["W"], b.solution["Z"]) == pytest.approx(b.objective, abs=1e-12)
    # the command: a matrix file; a run that finds no exact factorization still exits 0
    np.savetxt(tmp_path / "y.txt", y, delimiter=",")
    out = tmp_path / "r.json"
    assert main(["rrr", "nmf", str(tmp_path / "y.txt"), "--rank", "2", "-q", "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["feasible"] and _residual(y, d["solution"]["W"], d["solution"]["Z"]) <= 1e-6
    args = ["rrr", "nmf", "--ledm", "8", "--restarts", "1", "--steps", "5", "--no-polish"]
    assert main([*args, "-q", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["feasible"] is False


def test_bits_and_classify_rechecked(tmp_path):
    r = dnnsolve.solve("bit-retrieval", n=20, instance_seed=4, seed=0, fourier_first=False)
    x = np.asarray(r.solution)
    target = [int(sum(x[j] * x[(j + k) % 20] for j in range(20))) for k in range(20)]
    from dnnsolve.rrr.constraints import autocorrelation, random_bits

    assert r.feasible and target == autocorrelation(random_bits(20, seed=4)).tolist()
    assert main(["rrr", "bits", "--n", "16", "--sign-first", "-q"]) == 0
    # the gradient baseline's network, re-run in NumPy, gives the reported test error
    xs = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.1]] * 8)
    ys = np.array([0, 1, 0, 1] * 8)
    c = dnnsolve.solve("classify", (xs, ys, xs, ys), method="adam", hidden=[4], batch=8,
                       gd_epochs=30, seed=0)  # fmt: skip
    h = xs
    ws, bs = c.solution["weights"], c.solution["biases"]
    for k, (w, b) in enumerate(zip(ws, bs)):
        h = h @ np.asarray(w).T - np.asarray(b)
        h = np.maximum(h, 0) if k < len(ws) - 1 else h
    assert c.objective == pytest.approx(float((h.argmax(1) != ys).mean()))
    assert get_family("classify").baseline == "adam"


def test_examples_are_registered():
    for name in ("rrr-color", "sudoku", "bit-retrieval", "nmf", "classify", "autoencode"):
        fam = get_family(name)
        assert fam.group == "rrr" and fam.example is not None
        inp, _ = fam.example
        assert inp is None or example_path(inp).exists()
    assert {get_family(n).alias for n in ("rrr-color", "bit-retrieval")} == {"color", "bits"}
