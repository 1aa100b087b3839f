"""The MaxSAT core bound (issue 21): never above the optimum, tight where the cores are, its
certificate a packing of real cores, and the family wiring that records it."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from dnnsolve.bounds.maxsat import core_bound
from dnnsolve.io.cnf import read_cnf
from dnnsolve.io.wcnf import WCNF

ROOT = Path(__file__).resolve().parents[1]
UUF50 = ROOT.parent / "shared" / "datasets" / "satlib_uf" / "uuf50-218"


def _satisfied(clause, bits) -> bool:
    return any(bits[abs(lit) - 1] == (lit > 0) for lit in clause)


def _optimum(f: WCNF) -> float | None:
    """The optimum cost by enumeration (None when the hard clauses cannot all hold)."""
    best = None
    for bits in itertools.product((False, True), repeat=f.n_vars):
        cost = 0.0
        for c, w, h in zip(f.clauses, f.weights, f.hard, strict=True):
            if not _satisfied(c, bits):
                if h:
                    break
                cost += w
        else:
            best = cost if best is None else min(best, cost)
    return best


def _is_core(f: WCNF, core: list[int]) -> bool:
    """hard ∪ core unsatisfiable, by enumeration (no SAT solver)."""
    clauses = [c for c, h in zip(f.clauses, f.hard, strict=True) if h]
    clauses += [f.clauses[i] for i in core]
    return not any(
        all(_satisfied(c, bits) for c in clauses)
        for bits in itertools.product((False, True), repeat=f.n_vars)
    )


def _random_wcnf(rng, n: int, m: int, weighted: bool, hard_share: float) -> WCNF:
    clauses = []
    for _ in range(m):
        k = int(rng.integers(1, 4))
        vs = rng.choice(n, size=k, replace=False) + 1
        clauses.append([int(v if rng.random() < 0.5 else -v) for v in vs])
    hard = rng.random(m) < hard_share
    w = rng.integers(1, 9, m).astype(float) if weighted else np.ones(m)
    w[hard] = 0.0
    return WCNF(n, clauses, w, hard)


@pytest.mark.parametrize("seed", range(12))
def test_the_core_bound_never_exceeds_the_optimum_and_its_cores_are_cores(seed):
    rng = np.random.default_rng(seed)
    f = _random_wcnf(rng, n=7, m=28, weighted=seed % 2 == 1, hard_share=0.15 * (seed % 3))
    opt = _optimum(f)
    b = core_bound(f, time.monotonic() + 10)
    if opt is None:  # the hard clauses alone are unsatisfiable: no cost to bound
        assert b is None
        return
    assert b is not None and b.method == "cores" and b.notes["exhausted"]
    assert b.value <= opt + 1e-9
    cores, mus = b.certificate["cores"], b.certificate["weights"]
    load: dict[int, float] = {}
    for core, mu in zip(cores, mus, strict=True):
        assert mu > 0 and core == sorted(set(core))
        assert all(not f.hard[i] for i in core)  # soft clauses, by their index in the file
        assert _is_core(f, core)
        for i in core:
            load[i] = load.get(i, 0.0) + mu
    assert all(v <= f.weights[i] + 1e-12 for i, v in load.items())  # the μ pack
    assert b.value == pytest.approx(sum(mus))


def test_the_bound_is_tight_where_disjoint_cores_reach_the_optimum():
    # x1 and ¬x1 (weights 3, 5), x2 and ¬x2 (2, 2), (x3 ∨ x4) and ¬x3, ¬x4: three disjoint
    # cores, optimum 3 + 2 + 1
    f = WCNF(
        4,
        [[1], [-1], [2], [-2], [3, 4], [-3], [-4], [1, 2, 3, 4]],
        [3, 5, 2, 2, 1, 4, 4, 0],
        [False, False, False, False, False, False, False, True],
    )
    assert _optimum(f) == 6
    b = core_bound(f)
    assert b.value == 6 and len(b.certificate["cores"]) == 3
    # the cores of the unit pairs are exactly those pairs (minimized)
    assert [0, 1] in b.certificate["cores"] and [2, 3] in b.certificate["cores"]


def test_weight_splitting_beats_disjoint_cores_on_overlapping_ones():
    # the doctest's formula: cores {¬x1, ¬x2} and {¬x1, x1} overlap on ¬x1 (weight 3)
    f = WCNF(2, [[1, 2], [-1], [-2], [1]], [0, 3, 1, 2], [True, False, False, False])
    b = core_bound(f)
    assert b.value == _optimum(f) == 3
    assert sorted(map(tuple, b.certificate["cores"])) == [(1, 2), (1, 3)]


def test_no_soft_weight_left_gives_zero_and_a_satisfiable_formula_no_cores():
    f = WCNF(2, [[1, 2], [-1, 2]], [1.0, 1.0], [False, False])
    b = core_bound(f)
    assert b.value == 0.0 and b.certificate == {"cores": [], "weights": []}
    hard_only = WCNF(1, [[1]], [0.0], [True])
    assert core_bound(hard_only).value == 0.0


def test_unsatisfiable_hard_clauses_and_a_spent_deadline_give_no_bound():
    f = WCNF(1, [[1], [-1], [1]], [0.0, 0.0, 1.0], [True, True, False])
    assert core_bound(f) is None
    g = WCNF(1, [[1], [-1]], [1.0, 1.0], [False, False])
    assert core_bound(g, time.monotonic() - 1.0) is None


def test_decimal_weights_are_packed_exactly_enough():
    f = WCNF(2, [[1], [-1], [2], [-2], [-1, -2]], [0.1, 0.2, 0.3, 0.7, 0.05], [False] * 5)
    b = core_bound(f)
    assert b.value <= _optimum(f) + 1e-12
    assert b.value == pytest.approx(0.1 + 0.3)


@pytest.mark.skipif(not UUF50.is_dir(), reason="SATLIB uuf50 not in ../shared/datasets")
def test_uuf50_bounds_meet_the_rc2_optimum():
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF as PysatWCNF

    for path in sorted(UUF50.glob("*.cnf"))[:3]:
        f = WCNF.from_cnf(read_cnf(path))
        b = core_bound(f, time.monotonic() + 10)
        w = PysatWCNF()
        for c in f.clauses:
            w.append(c, weight=1)
        with RC2(w) as rc2:
            rc2.compute()
            assert b.value == rc2.cost == 1


def test_the_maxsat_family_records_the_bound_and_proves_optimality(tmp_path):
    from dnnsolve import solve
    from dnnsolve.io.wcnf import write_wcnf

    f = WCNF(
        4,
        [[1], [-1], [2], [-2], [3, 4], [-3], [-4], [1, 2, 3, 4]],
        [3, 5, 2, 2, 1, 4, 4, 0],
        [False] * 7 + [True],
    )
    path = tmp_path / "f.wcnf"
    write_wcnf(f, path)
    r = solve("maxsat", path, device="cpu", seed=0, steps=20, restarts=4)
    assert r.objective == 6 and r.bound == 6 and r.bound_method == "cores"
    assert r.gap == 0.0 and r.status == "optimal"
    assert r.certificate["cores"] and r.timings["bound_s"] >= 0
    r = solve("maxsat", path, device="cpu", seed=0, steps=20, restarts=4, bound=False)
    assert r.bound is None and r.status == "feasible"


def test_sat_has_no_bound():
    from dnnsolve import solve
    from dnnsolve.data import example_path

    r = solve("sat", example_path("sat_example.cnf"), device="cpu", seed=0, steps=20, restarts=4)
    assert r.status == "sat" and r.bound is None and r.certificate is None
