"""A solve leaves the caller's random generators alone and repeats itself given a seed."""

from __future__ import annotations

import numpy as np
import torch

import dnnsolve
from dnnsolve.core.seeding import fresh_seed, isolated_global_rng
from dnnsolve.data import example_path
from dnnsolve.pde import builtin, solve_pde


def _solve(seed):
    return dnnsolve.solve("maxcut", example_path("maxcut_example"), device="cpu", steps=30,
                          restarts=4, seed=seed, polish=False)  # fmt: skip


def test_solve_does_not_reset_the_callers_generator():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a = _solve(11)
    assert torch.equal(torch.rand(3), expected)  # formerly: torch.manual_seed(11) leaked out
    torch.manual_seed(99)
    b = _solve(11)
    assert a.objective == b.objective and np.array_equal(a.solution, b.solution)


def test_an_unseeded_solve_draws_no_global_numbers():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    _solve(None)
    solve_pde(builtin("heat"), adam_steps=3, lbfgs_steps=0, interior=32, boundary=8,
              validation=16, options={"hidden": 4, "layers": 1}, seed=None)  # fmt: skip
    assert torch.equal(torch.rand(2), expected)


def test_isolated_global_rng_restores_state_and_seeds_inside():
    torch.manual_seed(1)
    with isolated_global_rng(42):
        x = torch.rand(2)
    with isolated_global_rng(42):
        y = torch.rand(2)
    assert torch.equal(x, y) and 0 <= fresh_seed(8) < 256
