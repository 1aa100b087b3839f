"""The batched SAT/MaxSAT walker (:func:`dnnsolve.search.sat.local_search`): how a falsified
clause is picked (its distribution, checked against frequencies computed from the mask and
the weights alone), that the incrementally kept block totals stay right during a walk, a
model of the bundled formula checked clause by clause, and how often it reads the device."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from scipy.stats import chisquare
from torch.profiler import ProfilerActivity, profile

from dnnsolve.data import example_path
from dnnsolve.io.cnf import read_cnf
from dnnsolve.search import sat as kernels

# ---------------------------------------------------------------- helpers


def _layout(mask: np.ndarray, weight: np.ndarray | None, bs: int):
    """Pad (B, m) ``mask`` / (m,) ``weight`` to whole blocks of ``bs``; block totals by NumPy."""
    B, m = mask.shape
    nb = -(-m // bs)
    unsat = np.zeros((B, nb * bs), bool)
    unsat[:, :m] = mask
    w = np.zeros(nb * bs, np.int64)
    w[:m] = 1 if weight is None else weight
    bsum = (unsat * w).reshape(B, nb, bs).sum(-1)
    return (
        torch.from_numpy(unsat),
        None if weight is None else torch.from_numpy(w),
        torch.from_numpy(bsum.astype(np.int32 if weight is None else np.int64)),
    )


def _pick(mask, weight, bs, u):
    unsat, w, bsum = _layout(mask, weight, bs)
    c, active = kernels._pick_falsified(unsat, w, bsum, torch.as_tensor(u, dtype=torch.float64))
    return c.numpy(), active.numpy()


def _all_clauses_true(clauses, assignment) -> bool:
    a = np.asarray(assignment, bool)
    return all(any(a[abs(lit) - 1] == (lit > 0) for lit in c) for c in clauses)


# ---------------------------------------------------------------- picking distribution


@pytest.mark.parametrize("bs", [1, 4, 7, 29])
def test_uniform_pick_over_falsified_clauses(bs):
    """Chi-square against "uniform over the falsified clauses", zero picks elsewhere."""
    m = 29
    patterns = [
        [0, 3, 4, 5, 6, 13, 20, 27, 28],  # first, last, runs across block edges
        [11],  # a single falsified clause
        list(range(m)),  # all falsified
    ]
    reps = 20000
    mask = np.zeros((len(patterns) * reps, m), bool)
    for i, p in enumerate(patterns):
        mask[i * reps : (i + 1) * reps, p] = True
    u = torch.rand(len(mask), generator=torch.Generator().manual_seed(bs), dtype=torch.float64)
    c, active = _pick(mask, None, bs, u)
    assert active.all()
    for i, p in enumerate(patterns):
        counts = np.bincount(c[i * reps : (i + 1) * reps], minlength=m)
        assert counts[np.setdiff1d(np.arange(m), p)].sum() == 0
        if len(p) > 1:
            assert chisquare(counts[p]).pvalue > 1e-4


def test_weighted_pick_follows_the_selection_weights():
    m = 23
    rng = np.random.default_rng(0)
    weight = rng.integers(1, 6, m)
    weight[[2, 17]] = 40  # "hard" clauses
    mask = np.zeros((60000, m), bool)
    fals = np.array([0, 2, 5, 6, 9, 17, 21, 22])
    mask[:, fals] = True
    u = torch.rand(len(mask), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    c, _ = _pick(mask, weight, 5, u)
    counts = np.bincount(c, minlength=m)
    assert counts.sum() == counts[fals].sum()
    expected = len(mask) * weight[fals] / weight[fals].sum()
    assert chisquare(counts[fals], expected).pvalue > 1e-4


@pytest.mark.parametrize("bs", [1, 3, 6, 40])
def test_pick_is_the_exact_inverse_cdf(bs):
    """Evenly spaced u over the total: each falsified clause is hit exactly weight times."""
    m = 37
    rng = np.random.default_rng(bs)
    weight = rng.integers(1, 9, m)
    fals = rng.random(m) < 0.4
    tot = int(weight[fals].sum())
    u = (np.arange(tot) + 0.5) / tot
    c, _ = _pick(np.tile(fals, (tot, 1)), weight, bs, u)
    assert np.array_equal(np.bincount(c, minlength=m), np.where(fals, weight, 0))
    # uniform: each falsified clause exactly once
    k = int(fals.sum())
    c, _ = _pick(np.tile(fals, (k, 1)), None, bs, (np.arange(k) + 0.5) / k)
    assert np.array_equal(np.sort(c), np.flatnonzero(fals))


def test_pick_is_exact_for_huge_totals_and_inactive_walkers():
    """Hard weights push the total far past 2^24: a soft clause keeps its own rank."""
    big = 1 << 40
    weight = np.array([big, 1, 1, big, 1])
    mask = np.array([[True, True, False, True, True]] * 4 + [[False] * 5])
    tot = 2 * big + 2
    u = np.array([(big - 0.5) / tot, (big + 0.5) / tot, (2 * big + 0.5) / tot, 1 - 0.5 / tot, 0.3])
    c, active = _pick(mask, weight, 2, u)
    assert c[:4].tolist() == [0, 1, 3, 4] and active.tolist() == [True] * 4 + [False]


# ---------------------------------------------------------------- the walk


def test_monotone_walk_only_ever_flips_falsified_clauses():
    """All-positive clauses: a walker that only picks falsified clauses only sets variables
    true, so it satisfies everything within n steps; one wrong pick (stale block totals)
    sets a variable back to false and the walkers would not all finish."""
    rng = random.Random(0)
    n, m = 40, 150
    clauses = [rng.sample(range(1, n + 1), rng.choice([1, 2, 3])) for _ in range(m)]
    cl, _ = kernels.normalize_clauses(clauses)
    ct = kernels.clause_tensors(n, cl)
    g = torch.Generator().manual_seed(0)
    z = torch.rand(64, n, generator=g) < 0.3
    for mode in ("sat", "maxsat"):
        best, cost = kernels.local_search(
            ct, z, max_steps=n, check_every=n, generator=g, mode=mode, noise=0.5
        )
        assert cost.tolist() == [0.0] * 64
        assert all(_all_clauses_true(clauses, b) for b in best.numpy())


def test_solves_the_bundled_satisfiable_example():
    f = read_cnf(example_path("sat_example"))
    cl, _ = kernels.normalize_clauses(f.clauses)
    ct = kernels.clause_tensors(f.n_vars, cl)
    g = torch.Generator().manual_seed(0)
    z = torch.rand(256, f.n_vars, generator=g) < 0.5
    best, cost = kernels.local_search(ct, z, max_steps=20000, generator=g)
    i = int(cost.argmin())
    assert cost[i] == 0
    # independent check on the file's clauses: every clause has a true literal
    a = best[i].numpy()
    lit = [np.array(c) for c in f.clauses]
    assert all(((a[np.abs(c) - 1]) == (c > 0)).any() for c in lit)


# ---------------------------------------------------------------- device reads


def _unsat_tensors(weighted: bool) -> kernels.ClauseTensors:
    """All eight 3-clauses over x1..x3 (unsatisfiable) plus a few more clauses."""
    clauses = [[s1 * 1, s2 * 2, s3 * 3] for s1 in (1, -1) for s2 in (1, -1) for s3 in (1, -1)]
    clauses += [[4, -5, 6], [-4, 7], [5, 6, -7]]
    if not weighted:
        return kernels.clause_tensors(7, clauses)
    w = np.arange(1.0, len(clauses) + 1)
    return kernels.clause_tensors(7, clauses, w, np.arange(len(clauses)) % 3 == 0)


def _host_reads(ct, steps, mode, check_every) -> int:
    z = torch.zeros(32, ct.n, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        kernels.local_search(
            ct, z, max_steps=steps, generator=g, mode=mode, check_every=check_every
        )
    return sum(e.key == "aten::_local_scalar_dense" for e in prof.events())


@pytest.mark.parametrize("mode", ["sat", "maxsat"])
def test_device_is_read_only_at_the_checks(mode):
    """``aten::_local_scalar_dense`` (``.item()``/``float()``/``bool()`` on a tensor) is a GPU
    wait: at most one per ``check_every`` steps plus a constant."""
    ct = _unsat_tensors(mode == "maxsat")
    k = 10
    short, long = _host_reads(ct, 30, mode, k), _host_reads(ct, 90, mode, k)
    assert short <= 30 // k + 4 and long <= 90 // k + 4
    assert long - short <= (90 - 30) // k
