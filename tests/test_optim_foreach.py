"""The flat-buffer / foreach optimizers against the per-tensor update they replace.

The reference classes below are the straightforward loop over parameter tensors (the
implementation before the flat buffers): the same arithmetic, one tensor at a time.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnsolve.core.optim import Adam, Momentum, make_optimizer
from dnnsolve.core.parameterization import FreeVariables
from dnnsolve.core.problem import Evaluation, Problem
from dnnsolve.core.solver import Solver, SolverConfig


def _bcast(v: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    return v.view((-1,) + (1,) * (p.dim() - 1)).to(p.dtype)


class _Reference:
    state_names: tuple[str, ...] = ()

    def __init__(self, params):
        self.params = list(params)
        self.state = {n: [torch.zeros_like(p) for p in self.params] for n in self.state_names}
        self.t = torch.zeros(self.params[0].shape[0])

    def reset_(self, mask):
        for buf in self.state.values():
            for s in buf:
                s[mask] = 0
        self.t[mask] = 0

    def copy_restarts_(self, src, dst):
        for buf in self.state.values():
            for s in buf:
                s[dst] = s[src]
        self.t[dst] = self.t[src]


class _RefSGD(_Reference):
    @torch.no_grad()
    def step(self, lr):
        for p in self.params:
            if p.grad is not None:
                p.sub_(_bcast(lr, p) * p.grad)


class _RefMomentum(_Reference):
    state_names = ("velocity",)

    def __init__(self, params, momentum=0.9):
        super().__init__(params)
        self.momentum = momentum

    @torch.no_grad()
    def step(self, lr):
        for p, v in zip(self.params, self.state["velocity"]):
            if p.grad is not None:
                v.mul_(self.momentum).add_(_bcast(lr, p) * p.grad)
                p.sub_(v)


class _RefAdam(_Reference):
    state_names = ("m", "v")

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params)
        self.betas, self.eps = betas, eps

    @torch.no_grad()
    def step(self, lr):
        b1, b2 = self.betas
        self.t += 1
        c1 = 1 - b1**self.t
        c2 = 1 - b2**self.t
        for p, m, v in zip(self.params, self.state["m"], self.state["v"]):
            if p.grad is None:
                continue
            g = p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / _bcast(c2, p)).sqrt_().add_(self.eps)
            p.sub_(_bcast(lr / c1, p) * m / denom)


_REFERENCES = {"adam": _RefAdam, "momentum": _RefMomentum, "sgd": _RefSGD}

B = 6
# several shapes (a GNN's weights and biases), one float64 tensor (a second flat group)
_SHAPES = [((B, 7), torch.float32), ((B, 5, 3), torch.float32), ((B, 2, 2), torch.float64),
           ((B,), torch.float32), ((B, 1, 4), torch.float32)]  # fmt: skip


def _params(seed: int) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.nn.Parameter(torch.randn(shape, generator=gen, dtype=dtype))
        for shape, dtype in _SHAPES
    ]


def _set_grads(params, step: int, skip: int | None) -> None:
    """A gradient that depends on the parameters (so diverging runs would show) and on a
    seeded draw; parameter ``skip`` gets none this step."""
    gen = torch.Generator().manual_seed(1000 + step)
    for i, p in enumerate(params):
        noise = torch.randn(p.shape, generator=gen, dtype=p.dtype)
        p.grad = None if i == skip else (torch.sin(3 * p.detach()) + 0.3 * noise)


def _run(params, opt, steps: int) -> None:
    lr = torch.tensor([1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1])
    gen = torch.Generator().manual_seed(7)
    for step in range(1, steps + 1):
        _set_grads(params, step, skip=step % 5 if step % 13 == 0 else None)
        opt.step(lr * (1.0 + 0.5 * torch.rand(B, generator=gen)))
        if step % 17 == 0:
            opt.reset_(torch.rand(B, generator=gen) < 0.3)
        if step % 23 == 0:
            opt.copy_restarts_(torch.tensor([0, 1]), torch.tensor([4, 5]))


@pytest.mark.parametrize("name", ["adam", "momentum", "sgd"])
def test_flat_optimizers_match_the_per_tensor_update(name):
    new_params, ref_params = _params(0), _params(0)
    new = make_optimizer(name, new_params, momentum=0.8)
    ref = _REFERENCES[name](ref_params, **({"momentum": 0.8} if name == "momentum" else {}))
    _run(new_params, new, steps=100)
    _run(ref_params, ref, steps=100)
    for p, r in zip(new_params, ref_params):
        scale = r.detach().abs().clamp_min(1.0)
        assert ((p.detach() - r.detach()).abs() / scale).max() <= 1e-6
    for state in ref.state:
        for s, r in zip(new.state[state], ref.state[state]):
            assert torch.allclose(s, r, rtol=1e-6, atol=1e-12)
    if name == "adam":
        assert torch.equal(new.t, ref.t)


def test_state_views_share_the_flat_buffers():
    params = _params(1)
    opt = Adam(params)
    _set_grads(params, 1, skip=None)
    opt.step(torch.full((B,), 0.1))
    assert len(opt.groups) == 2  # float32 and float64
    assert all(v.shape == p.shape for v, p in zip(opt.state["m"], params))
    opt.reset_(torch.tensor([True] + [False] * (B - 1)))
    assert all(float(v[0].abs().sum()) == 0.0 for v in opt.state["m"])
    assert all(float(v[1].abs().sum()) > 0.0 for v in opt.state["m"])


def test_momentum_step_is_a_fixed_number_of_operations():
    """A step's operator count does not grow per parameter tensor beyond the foreach calls."""
    from torch.profiler import ProfilerActivity, profile

    def count(n_tensors: int) -> int:
        params = [torch.nn.Parameter(torch.randn(4, 3)) for _ in range(n_tensors)]
        opt = Momentum(params)
        for p in params:
            p.grad = torch.ones_like(p)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            opt.step(torch.full((4,), 0.1))
        return sum(1 for e in prof.events() if e.name.startswith("aten::_foreach"))

    assert count(2) == count(20) == 3


def test_stacked_parameters_are_required():
    with pytest.raises(ValueError, match="stacked by restart"):
        Adam([torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(4))])


# -- the training loop's reads of the device ---------------------------------------------


class _Target(Problem):
    """Match a hidden bit string; restart 0's loss is NaN at the steps in ``nan_at``."""

    name = "target"
    sense = "max"

    def __init__(self, n: int, nan_at: tuple[int, ...] = ()):
        self.target = torch.ones(n)
        self.n_vars = n
        self.nan_at = set(nan_at)
        self.calls = 0

    def loss(self, x, hp):
        self.calls += 1
        loss = ((x - self.target) ** 2).sum(1)
        if self.calls in self.nan_at:  # through the graph: restart 0's gradient is NaN too
            poison = torch.ones(len(loss))
            poison[0] = float("nan")
            loss = loss * poison
        return loss

    def decode(self, x):
        return x > 0.5

    def evaluate(self, z):
        obj = (z.float() == self.target).sum(1).to(torch.float64)
        return Evaluation(obj, torch.ones(len(z), dtype=torch.bool))

    def verify(self, solution):
        return float(np.asarray(solution).sum()), True


def _solve(problem: Problem, steps: int = 40) -> tuple:
    cfg = SolverConfig(restarts=3, steps=steps, lr=0.1, eval_every=10, polish=False, seed=0)
    param = FreeVariables(problem.n_vars, 3, generator=torch.Generator().manual_seed(0))
    return Solver(cfg).solve(problem, param), param


def _reads_per_step(monkeypatch, interval) -> list[int]:
    """Host reads (``_local_scalar_dense``) of each of 20 training steps, evaluations left out."""
    from torch.profiler import ProfilerActivity, profile

    from dnnsolve.core import solver as solver_module

    if interval is not None:
        monkeypatch.setattr(solver_module, "divergence_check_interval", interval)
    reads: list[int] = []
    original = solver_module._Run._step

    def counted(run, progress):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            out = original(run, progress)
        reads.append(sum(e.name == "aten::_local_scalar_dense" for e in prof.events()))
        return out

    monkeypatch.setattr(solver_module._Run, "_step", counted)
    _solve(_Target(6), steps=20)
    return reads


def test_a_cpu_step_reads_the_device_once(monkeypatch):
    assert _reads_per_step(monkeypatch, None) == [1] * 20


def test_an_accelerator_step_reads_only_at_the_evaluation_steps(monkeypatch):
    reads = _reads_per_step(monkeypatch, lambda device, eval_every: eval_every)
    assert [s for s, k in enumerate(reads, 1) if k] == [10, 20] and max(reads) == 1


def test_diverged_restart_is_redrawn_at_once_on_cpu():
    r, _ = _solve(_Target(6, nan_at=(5,)))
    assert r.extra["nan_resets"] == 1 and r.objective == 6.0 and r.steps == 40


def test_deferred_check_redraws_the_diverged_restart_at_the_next_evaluation(monkeypatch):
    """With the accelerator's interval a restart that diverges at step 5 runs on as NaN, alone,
    and is re-drawn at step 10 (that step is skipped, as a CPU run skips step 5)."""
    from dnnsolve.core import solver as solver_module

    monkeypatch.setattr(solver_module, "divergence_check_interval", lambda d, e: e)
    problem = _Target(6, nan_at=(5,))
    r, param = _solve(problem)
    assert r.extra["nan_resets"] == 1 and r.objective == 6.0 and r.steps == 40
    assert torch.isfinite(param.theta).all()
    assert [row["step"] for row in r.history] == [20, 30, 40]  # step 10 was skipped
