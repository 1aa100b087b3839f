"""MaxSAT with huge (near 1e308) and malformed WCNF weights: reader, costs, solver, CLI."""

from __future__ import annotations

import itertools
import json
import math
import random
import warnings

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.sat import maxsat_cost, rc2
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.io.wcnf import WCNF, read_wcnf, weight_sum, write_wcnf
from dnnsolve.problems.sat import MaxSat
from dnnsolve.search import sat as kernels

HUGE = 2.0**1017  # ≈ 1.4e306: a few dozen of these overflow a float64 sum


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _chain(n: int, weight: str, extra: tuple[str, ...] = ()) -> str:
    """x1 hard, x_i → x_(i+1) hard, every x_i soft-true with ``weight``: all-true costs 0."""
    lines = ["c chain", "h 1 0", *(f"h -{i} {i + 1} 0" for i in range(1, n))]
    lines += [f"{weight} {i} 0" for i in range(1, n + 1)]
    return "\n".join([*lines, *extra]) + "\n"


def _cost_by_hand(f: WCNF, bits) -> tuple[int, bool]:
    """Exact falsified weight as a Python int (integral weights), independent of dnnsolve."""
    total, ok = 0, True
    for c, w, h in zip(f.clauses, f.weights.tolist(), f.hard.tolist(), strict=True):
        if not any(bool(bits[abs(lit) - 1]) == (lit > 0) for lit in c):
            if h:
                ok = False
            else:
                total += int(w)
    return total, ok


def _random_feasible(seed: int) -> WCNF:
    rng = random.Random(seed)
    clauses, weights, hard = [], [], []
    for _ in range(45):
        vs = rng.sample(range(1, 11), rng.randint(1, 3))
        clauses.append([v if rng.random() < 0.5 else -v for v in vs])
        h = rng.random() < 0.15
        hard.append(h)
        weights.append(0 if h else rng.randint(1, 9))
    return WCNF(10, clauses, np.array(weights, float), np.array(hard), name=f"r{seed}")


# ---------------------------------------------------------------- reader


def test_reader_keeps_huge_weights_and_sums_them_without_overflow(tmp_path):
    f = read_wcnf(_write(tmp_path, "big.wcnf", _chain(20, "1e308")))
    assert f.n_hard == 20 and f.weights[~f.hard].tolist() == [1e308] * 20
    assert f.soft_total == math.inf  # 2e309 is past float64: honest inf, not a crash
    assert f.cost(np.ones(20)) == 0.0
    g = read_wcnf(_write(tmp_path, "soft.wcnf", "1e308 1 0\n1e308 2 0\n8e307 3 0\n"))
    assert g.cost([0, 1, 1]) == 1e308 and g.cost([0, 1, 0]) == 1e308 + 8e307
    assert g.cost([0, 0, 1]) == math.inf  # 2e308 is past float64
    assert weight_sum([1e308, 1e308, -1e308, 1.0]) == 1e308 + 1.0
    assert weight_sum([HUGE] * 3) == 3 * HUGE


def test_classic_top_is_compared_exactly(tmp_path):
    # float64 rounds 2^63 - 2 and 2^63 - 1 to the same value; the soft clause must stay soft
    top = 2**63 - 1
    text = f"p wcnf 2 3 {top}\n{top} 1 2 0\n{top - 1} -1 0\n{top + 5} -2 0\n"
    f = read_wcnf(_write(tmp_path, "top.wcnf", text))
    assert f.hard.tolist() == [True, False, True]
    assert f.top == top and f.weights[1] == float(top - 1)
    # a top beyond float64 is fine (only compared); a soft weight beyond it is not
    big = 10**400
    g = read_wcnf(_write(tmp_path, "bigtop.wcnf", f"p wcnf 1 2 {big}\n{big} 1 0\n7 -1 0\n"))
    assert g.hard.tolist() == [True, False] and g.soft_total == 7.0


@pytest.mark.parametrize(
    ("text", "line", "msg"),
    [
        ("h 1 0\nnan -1 0\n", 2, "finite positive"),
        ("h 1 0\ninf -1 0\n", 2, "finite positive"),
        ("h 1 0\n-Infinity -1 0\n", 2, "finite positive"),
        ("h 1 0\n1e309 -1 0\n", 2, "float64 range"),
        ("h 1 0\n" + "9" * 400 + " -1 0\n", 2, "float64 range"),
        ("h 1 0\n" + "9" * 5000 + " -1 0\n", 2, "too many digits"),
        ("h 1 0\n0 -1 0\n", 2, "positive"),
        ("h 1 0\n-0.5 -1 0\n", 2, "positive"),
        ("h 1 0\n1_000 -1 0\n", 2, "not a number"),
        ("h 1 0\n0x10 -1 0\n", 2, "not a number"),
        ("p wcnf 1 1 nan\n1 1 0\n", 1, "top 'nan'"),
        ("p wcnf 1 1 1e999\n1 1 0\n", 1, "top '1e999'"),
        ("p wcnf 1 1 0\n1 1 0\n", 1, "top '0'"),
    ],
    ids=[
        "nan",
        "inf",
        "-Infinity",
        "1e309",
        "400-digit",
        "5000-digit",
        "zero",
        "negative",
        "underscore",
        "hex",
        "top-nan",
        "top-1e999",
        "top-0",
    ],
)
def test_bad_weights_are_one_line_input_errors(tmp_path, text, line, msg):
    p = _write(tmp_path, "w.wcnf", text)
    with pytest.raises(InputError) as e:
        read_wcnf(p)
    s = str(e.value)
    assert s.startswith(f"{p}:{line}: ") and msg in s and "\n" not in s


def test_classic_writer_roundtrips_huge_weights(tmp_path):
    f = read_wcnf(_write(tmp_path, "big.wcnf", _chain(5, "1e308", ("2.5 -3 0",))))
    write_wcnf(f, tmp_path / "o.wcnf", dialect="classic")  # top = ⌊Σ⌋ + 1 > 1.8e308
    header = (tmp_path / "o.wcnf").read_text().splitlines()[1].split()
    assert int(header[4]) == 5 * int(1e308) + 3  # exact, beyond float64
    g = read_wcnf(tmp_path / "o.wcnf")
    assert g.hard.tolist() == f.hard.tolist() and g.weights.tolist() == f.weights.tolist()


# ---------------------------------------------------------------- costs and search


def test_verify_and_cost_checks_agree_with_exact_integers():
    rng = np.random.default_rng(1)
    f = _random_feasible(4)
    g = WCNF(f.n_vars, f.clauses, f.weights * HUGE, f.hard)
    p = MaxSat(g)
    for bits in rng.integers(0, 2, size=(40, g.n_vars)):
        exact, ok = _cost_by_hand(g, bits)
        want = float(exact) if exact < 2**1024 else math.inf
        assert maxsat_cost(g, bits) == (want, ok)
        assert p.verify(bits) == (want, ok)
        assert g.cost(bits) == (want if ok else None)


def test_walk_costs_are_finite_and_exact_with_huge_weights():
    f = _random_feasible(10)
    cl, keep = kernels.normalize_clauses(f.clauses)
    ct = kernels.clause_tensors(f.n_vars, cl, f.weights[keep] * HUGE, f.hard[keep])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best, cost = kernels.local_search(
            ct,
            torch.zeros(8, f.n_vars, dtype=torch.bool),
            max_steps=2000,
            generator=torch.Generator().manual_seed(0),
            mode="maxsat",
        )
    assert not torch.isnan(cost).any()
    for b in range(8):
        c, ok = _cost_by_hand(f, best[b].numpy())
        if ok:  # no hard penalty: the walk's cost is the exact soft weight, scaled up
            assert cost[b].item() == c * HUGE


# ---------------------------------------------------------------- solving


def test_trivial_huge_weight_instance_is_solved_optimally(tmp_path):
    # before the fix: the loss weights and the walk costs were inf/NaN → status unknown
    f = read_wcnf(_write(tmp_path, "chain.wcnf", _chain(20, "1e308")))
    r = solve("maxsat", f, device="cpu", steps=30, restarts=8, seed=0)
    assert r.feasible and r.status == "optimal"
    assert r.solution == list(range(1, 21)) and r.objective == 0.0


def test_huge_weights_reach_the_brute_force_optimum():
    f = _random_feasible(4)
    best = min(
        c
        for bits in itertools.product([0, 1], repeat=10)
        for c, ok in [_cost_by_hand(f, bits)]
        if ok
    )
    g = WCNF(f.n_vars, f.clauses, f.weights * HUGE, f.hard, name="huge")
    assert g.soft_total == math.inf
    r = solve("maxsat", g, device="cpu", steps=60, restarts=8, seed=4)
    assert r.feasible and r.status in ("feasible", "optimal")
    a = np.array([v > 0 for v in r.solution])
    assert _cost_by_hand(g, a) == (best * int(HUGE), True)
    assert r.objective == best * HUGE
    assert rc2(g).objective == best * HUGE


def test_unrepresentable_optimum_is_reported_feasible_not_unknown(tmp_path):
    # every model falsifies two 1e308 clauses: the cost 2e308 is past float64
    text = _chain(6, "1e308", ("1e308 -2 0", "1e308 -3 0"))
    f = read_wcnf(_write(tmp_path, "over.wcnf", text))
    r = solve("maxsat", f, device="cpu", steps=30, restarts=8, seed=0)
    assert r.feasible and r.objective == math.inf and r.status == "feasible"
    assert r.solution == list(range(1, 7))


def test_cli_huge_weights(tmp_path, capsys):
    p = _write(tmp_path, "chain.wcnf", _chain(20, "1e308"))
    out = tmp_path / "r.json"
    rc = main(["solve", "maxsat", str(p), "--device", "cpu", "-q", "--steps", "30", "-o", str(out)])
    res = json.loads(out.read_text())
    assert rc == 0 and res["objective"] == 0.0 and res["status"] == "optimal"
    bad = _write(tmp_path, "nan.wcnf", "h 1 0\nnan -1 0\n")
    assert main(["solve", "maxsat", str(bad), "--device", "cpu", "-q"]) == 2
    err = capsys.readouterr().err
    assert "nan.wcnf:2" in err and "Traceback" not in err
