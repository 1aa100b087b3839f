"""Core solver phases: monitors (early stopping, output averaging, traces), backtracking,
select='last', and the L-BFGS phase."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnsolve.core.monitors import Monitor, OutputAverage, Trace, VarianceStop
from dnnsolve.core.parameterization import FreeVariables
from dnnsolve.core.problem import Evaluation, Problem
from dnnsolve.core.solver import Solver, SolverConfig


class Target(Problem):
    """Fit x to a target vector; objective = squared distance (minimize)."""

    name = "target"
    sense = "min"

    def __init__(self, target, select="best", spike_at=None):
        self.t = torch.as_tensor(target, dtype=torch.float32)
        self.n_vars = len(self.t)
        self.select = select
        self.calls = 0
        self.spike_at = spike_at

    def loss(self, x, hp):
        self.calls += 1
        loss = (x - self.t).square().sum(1)
        if self.spike_at is not None and self.calls == self.spike_at:
            loss = loss * torch.tensor([1e6] + [1.0] * (len(loss) - 1))
        return loss

    def decode(self, x):
        return x

    def evaluate(self, z):
        d = (z - self.t).square().sum(1).to(torch.float64)
        return Evaluation(d, torch.ones_like(d, dtype=torch.bool))

    def verify(self, solution):
        return float(np.square(np.asarray(solution) - self.t.numpy()).sum()), True

    def solution_output(self, solution):
        return np.asarray(solution).tolist()


def _param(b=2, n=3, seed=0):
    return FreeVariables(
        n, b, squash="clamp", init_std=0.1, generator=torch.Generator().manual_seed(seed)
    )


def test_backtrack_restores_jumped_restart_and_keeps_others_going():
    prob = Target([0.2, 0.8, 0.5], spike_at=5)
    param = _param()
    seen = {}

    class Snap(Monitor):
        def update(self, step, x, loss):
            seen[step] = x.clone()

    cfg = SolverConfig(restarts=2, steps=6, lr=0.05, backtrack=10.0, eval_every=100, polish=False)
    res = Solver(cfg).solve(prob, param, monitors=[Snap()])
    assert res.extra["backtracks"] == 1
    # the spiked step is hidden from monitors; restart 0 is back at the parameters of its
    # last accepted step (4), so step 6 evaluates exactly the step-4 point again
    assert 5 not in seen and 6 in seen
    assert torch.equal(seen[6][0], seen[4][0])
    assert not torch.equal(seen[6][1], seen[4][1])  # restart 1 kept moving
    assert res.objective is not None and np.isfinite(res.objective)


def test_backtrack_replaces_nan_reset():
    class NaNOnce(Target):
        def loss(self, x, hp):
            loss = super().loss(x, hp)
            if self.calls == 3:
                loss = loss + torch.tensor([float("nan"), 0.0])
            return loss

    prob = NaNOnce([0.2, 0.8, 0.5])
    cfg = SolverConfig(restarts=2, steps=30, lr=0.05, backtrack=10.0, polish=False)
    res = Solver(cfg).solve(prob, _param())
    assert res.extra["backtracks"] == 1 and res.extra["nan_resets"] == 0
    assert res.objective < 0.05


def test_backtrack_must_be_a_factor_above_one():
    with pytest.raises(ValueError, match="backtrack"):
        SolverConfig(backtrack=1.0)


def test_select_last_returns_the_last_iterate_not_the_best_scoring():
    # lr so large that clamped x oscillates between the box faces: the best-scoring
    # evaluation is not the last one
    prob_best = Target([0.5, 0.5, 0.5])
    prob_last = Target([0.5, 0.5, 0.5], select="last")
    cfg = SolverConfig(restarts=1, steps=7, lr=0.7, optimizer="sgd", eval_every=1, polish=False)
    r_best = Solver(cfg).solve(prob_best, _param(b=1))
    r_last = Solver(cfg).solve(prob_last, _param(b=1))
    last_x = r_last.solution
    hist = [h["batch_objective"] for h in r_last.history]
    assert r_last.objective == pytest.approx(hist[-1], rel=1e-6)
    assert r_best.objective == pytest.approx(min(hist), rel=1e-6)
    assert r_last.extra["returned"] == {"by": "network", "step": 7}
    assert len(last_x) == 3


def test_variance_stop_ends_the_run_and_returns_the_minimum_variance_iterate():
    prob = Target([0.3, 0.6, 0.9], select="last")
    es = VarianceStop(window=5, patience=10)
    cfg = SolverConfig(restarts=2, steps=5000, lr=0.05, polish=False, eval_every=100)
    res = Solver(cfg).solve(prob, _param(), monitors=[es])
    assert res.stop_reason == "early_stop"
    assert res.steps < 5000
    ret = res.extra["returned"]
    assert ret["by"] == "es-wmv" and ret["step"] == es.summary()["best_step"]
    assert "no new minimum" in ret["why"]
    assert res.objective < 1e-3  # converged: the outputs stopped moving


def test_output_average_ensemble_returns_the_mean_over_restarts():
    prob = Target([0.3, 0.6, 0.9], select="last")
    avg = OutputAverage(decay=0.9, ensemble=True)
    seen = []

    class Last(Monitor):
        def update(self, step, x, loss):
            seen.append(x.clone())

    cfg = SolverConfig(restarts=3, steps=20, lr=0.01, polish=False)
    res = Solver(cfg).solve(prob, _param(b=3), monitors=[avg, Last()])
    # recompute the EMA independently from the recorded iterates
    ema = seen[0].clone()
    for x in seen[1:]:
        ema = 0.9 * ema + 0.1 * x
    expect = ema.mean(0)
    assert np.allclose(res.solution, expect.numpy(), atol=1e-6)
    assert res.extra["returned"] == {"by": "average", "step": 20}


def test_trace_records_loss_and_metrics():
    prob = Target([0.3, 0.6, 0.9])
    tr = Trace(
        every=5, metrics={"dist": lambda x: (x - prob.t).square().sum(1)}, minimize=("dist",)
    )
    cfg = SolverConfig(restarts=2, steps=20, lr=0.05, polish=False)
    Solver(cfg).solve(prob, _param(), monitors=[tr])
    assert [r["step"] for r in tr.rows] == [5, 10, 15, 20]
    assert tr.rows[-1]["dist"] < tr.rows[0]["dist"]
    assert all(r["loss"] >= r["dist"] - 1e-6 for r in tr.rows)  # mean ≥ best restart


def _sigmoid_param(b=1, n=3):
    return FreeVariables(n, b, squash="sigmoid", init_std=1.0,
                         generator=torch.Generator().manual_seed(1))  # fmt: skip


def test_lbfgs_phase_converges_far_beyond_adam():
    prob = Target([0.2, 0.8, 0.5])
    adam = SolverConfig(restarts=1, steps=120, lr=0.01, polish=False, eval_every=20)
    both = SolverConfig(restarts=1, steps=20, lr=0.01, polish=False, eval_every=20, lbfgs_steps=100)
    r_adam = Solver(adam).solve(prob, _sigmoid_param())
    r_both = Solver(both).solve(prob, _sigmoid_param())
    assert r_adam.objective > 1e-3
    assert r_both.objective < 1e-10
    info = r_both.extra["quasi_newton"]
    assert 0 < info["iterations"] <= 100 and info["loss_evaluations"] >= info["iterations"]
    assert r_both.steps == 20 + info["iterations"]
    assert r_both.history[-1]["step"] == r_both.steps


def test_lbfgs_restores_the_last_good_state_on_nan():
    class NaNLater(Target):
        def loss(self, x, hp):
            loss = super().loss(x, hp)
            return loss * float("nan") if self.calls > 7 else loss

    prob = NaNLater([0.2, 0.8, 0.5])
    cfg = SolverConfig(restarts=1, steps=5, lr=0.01, polish=False, eval_every=5, lbfgs_steps=200)
    param = _sigmoid_param()
    res = Solver(cfg).solve(prob, param)
    assert res.stop_reason == "lbfgs_diverged"
    assert torch.isfinite(param.theta).all()
    assert np.isfinite(res.objective) and res.feasible


def test_lbfgs_settings_are_checked():
    with pytest.raises(ValueError, match="lbfgs"):
        SolverConfig(lbfgs_steps=-1)
