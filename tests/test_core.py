"""Core engine: schedules, optimizers, parameterizations, solver loop, results."""

from __future__ import annotations

import json
import math
import time
from typing import ClassVar

import numpy as np
import pytest
import torch

from dnnsolve import FreeVariables, Graph, Result, Solver, SolverConfig
from dnnsolve.core.device import resolve_device
from dnnsolve.core.errors import DeviceError, InputError, NumericalError
from dnnsolve.core.lr_schedules import Schedule
from dnnsolve.core.optim import Adam, Momentum
from dnnsolve.core.problem import Evaluation, Problem
from dnnsolve.core.solver import _population
from dnnsolve.params.gnn import GraphNetwork


class TargetBits(Problem):
    """Toy problem: match a hidden bit string; objective = number of matching bits."""

    name = "target"
    sense = "max"
    hparams: ClassVar[dict[str, float]] = {"scale": 1.0}

    def __init__(self, target: np.ndarray, nan_steps: int = 0):
        self.target = torch.as_tensor(target, dtype=torch.float32)
        self.n_vars = len(target)
        self.nan_steps = nan_steps
        self.calls = 0

    def loss(self, x, hp):
        self.calls += 1
        loss = hp["scale"] * ((x - self.target) ** 2).sum(1)
        if self.calls <= self.nan_steps:
            loss = loss.clone()
            loss[0] = float("nan")
        return loss

    def decode(self, x):
        return x > 0.5

    def evaluate(self, z):
        obj = (z.float() == self.target).sum(1).to(torch.float64)
        return Evaluation(obj, torch.ones(len(z), dtype=torch.bool))

    def verify(self, solution):
        return float((np.asarray(solution).astype(float) == self.target.numpy()).sum()), True


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_schedules_values_and_errors():
    assert Schedule.parse("constant")(0.3) == 1.0
    assert Schedule.parse("linear:0,2")(0.25) == pytest.approx(0.5)
    assert Schedule.parse("exp:1,100")(0.5) == pytest.approx(10.0)
    assert Schedule.parse("cosine")(1.0) == pytest.approx(0.0)
    assert Schedule.parse("step:2,0.1")(0.9) == pytest.approx(0.1)
    for bad in ("linear:1", "exp:0,1", "wobble", "linear:a,b"):
        with pytest.raises(InputError):
            Schedule.parse(bad)


def test_population_tiles_the_grid_over_restarts():
    pop, size = _population({"lr": [0.1, 0.2], "gamma": [1.0, 2.0, 3.0], "fixed": 5.0}, 12)
    assert size == 6
    pairs = {(a, b) for a, b in zip(pop["lr"], pop["gamma"])}
    assert len(pairs) == 6  # every grid point is present
    assert np.all(pop["fixed"] == 5.0)


def test_batched_adam_matches_torch_adam_per_restart():
    torch.manual_seed(0)
    init = torch.randn(3, 5)
    lrs = torch.tensor([0.1, 0.01, 0.3])
    p = torch.nn.Parameter(init.clone())
    opt = Adam([p])
    refs = [torch.nn.Parameter(init[i].clone()) for i in range(3)]
    ref_opts = [torch.optim.Adam([refs[i]], lr=float(lrs[i])) for i in range(3)]
    for _ in range(10):
        opt.zero_grad()
        (p**3).sum().backward()
        opt.step(lrs)
        for r, o in zip(refs, ref_opts):
            o.zero_grad()
            (r**3).sum().backward()
            o.step()
    for i in range(3):
        assert torch.allclose(p[i], refs[i], atol=1e-5)


def test_momentum_update_rule():
    p = torch.nn.Parameter(torch.zeros(2, 1))
    opt = Momentum([p], momentum=0.5)
    for _ in range(2):
        opt.zero_grad()
        p.sum().backward()  # gradient 1
        opt.step(torch.tensor([1.0, 2.0]))
    # v1 = lr, v2 = 0.5 lr + lr → p = -(2.5 lr)
    assert p.detach().flatten().tolist() == pytest.approx([-2.5, -5.0])


def test_free_variables_clamp_projection_and_reset():
    p = FreeVariables(6, 4, squash="clamp", init_std=3.0, generator=_gen())
    assert p().min() >= 0 and p().max() <= 1
    with torch.no_grad():
        p.theta.add_(5.0)
    p.project_()
    assert torch.all(p() == 1.0)
    mask = torch.tensor([True, False, False, False])
    p.reset_(mask, _gen(1))
    assert not torch.all(p()[0] == 1.0) and torch.all(p()[1:] == 1.0)


@pytest.mark.parametrize("conv", ["gcn", "sage"])
def test_graph_network_restarts_are_independent(conv):
    g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]).to_torch()
    net = GraphNetwork(g, restarts=3, conv=conv, generator=_gen())
    x = net()
    assert x.shape == (3, 5) and torch.all((x > 0) & (x < 1))
    x[0].sum().backward()  # gradient of restart 0 only
    for p in net.parameters():
        assert p.grad[1:].abs().sum() == 0
        assert p.grad[0].abs().sum() > 0


def test_solver_finds_target_and_reports_verified_result():
    target = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    prob = TargetBits(target)
    cfg = SolverConfig(restarts=4, steps=200, lr=0.1, eval_every=10, seed=1)
    r = Solver(cfg).solve(prob, FreeVariables(8, 4, generator=_gen()))
    assert r.objective == 8.0 and r.feasible
    assert r.solution == target.tolist()
    assert r.history and r.history[-1]["best_objective"] == 8.0
    assert set(r.timings) == {"setup_s", "baseline_s", "optimize_s", "polish_s", "total_s"}


def test_solver_early_stopping_and_time_limit():
    prob = TargetBits(np.ones(4))
    cfg = SolverConfig(restarts=2, steps=10_000, lr=0.2, eval_every=5, patience=3, seed=0)
    r = Solver(cfg).solve(prob, FreeVariables(4, 2, generator=_gen()))
    assert r.stop_reason == "converged" and r.steps < 10_000
    cfg = SolverConfig(restarts=2, steps=10**9, lr=1e-9, eval_every=10**6, time_limit=0.3, seed=0)
    r = Solver(cfg).solve(TargetBits(np.ones(4)), FreeVariables(4, 2, generator=_gen()))
    assert r.stop_reason == "time_limit"
    assert r.time_s < 3.0


class SlowCheck(TargetBits):
    """TargetBits whose decoding (the evaluation) and local search each take ``delay`` s."""

    def __init__(self, target: np.ndarray, delay: float):
        super().__init__(target)
        self.delay, self.polish_budgets = delay, []

    def repair(self, z):
        time.sleep(self.delay)
        return z

    def local_search(self, z, time_limit, generator=None):
        self.polish_budgets.append(time_limit)
        time.sleep(min(self.delay, time_limit or 0.0))
        return z


def test_time_limit_leaves_room_for_the_closing_evaluation_and_skips_a_spent_polish():
    # every evaluation costs 0.4 s: training must stop early enough for the last one to fit,
    # and a polish with no time left must not run at all
    prob = SlowCheck(np.ones(4), delay=0.4)
    cfg = SolverConfig(
        restarts=2, steps=10**9, lr=1e-3, eval_every=1, time_limit=1.0, polish_fraction=0.0, seed=0
    )
    r = Solver(cfg).solve(prob, FreeVariables(4, 2, generator=_gen()))
    assert r.stop_reason == "time_limit" and r.feasible
    assert r.time_s < 1.0 + 0.45  # at most one evaluation's worth over, never two plus a polish
    assert all(b is None or b > 0 for b in prob.polish_budgets)


class SlowRows(TargetBits):
    """TargetBits whose repair costs ``delay`` seconds per restart it is given."""

    def __init__(self, target: np.ndarray, delay: float):
        super().__init__(target)
        self.delay, self.rows = delay, []

    def repair(self, z):
        self.rows.append(len(z))
        time.sleep(self.delay * len(z))
        return z


def test_costly_evaluations_decode_a_rotating_subset_of_restarts():
    # decoding all 16 restarts would cost 0.8 s, 40 % of the 2 s budget: each evaluation
    # takes only as many restarts as fit in eval_fraction (10 %) of it, in rotation
    prob = SlowRows(np.ones(4), delay=0.05)
    cfg = SolverConfig(restarts=16, steps=10**9, lr=1e-3, eval_every=1, time_limit=2.0,
                       polish_fraction=0.0, seed=0)  # fmt: skip
    r = Solver(cfg).solve(prob, FreeVariables(4, 16, generator=_gen()))
    k = r.extra["restarts_per_eval"]
    assert 1 <= k < 16 and prob.rows[0] == 1  # the first evaluation measures one restart
    assert max(prob.rows[1:]) == k and len(prob.rows) > 16 // k  # every restart had its turn
    assert r.time_s < 2.0 + 0.2 * 2 and r.objective == 4.0
    cheap = SlowRows(np.ones(4), delay=0.0)
    r = Solver(cfg).solve(cheap, FreeVariables(4, 16, generator=_gen()))
    assert "restarts_per_eval" not in r.extra and cheap.rows[:2] == [1, 15]


def test_solver_recovers_from_nan_restarts_and_gives_up_when_hopeless():
    prob = TargetBits(np.ones(5), nan_steps=3)
    cfg = SolverConfig(restarts=3, steps=100, lr=0.1, eval_every=10, seed=0)
    r = Solver(cfg).solve(prob, FreeVariables(5, 3, generator=_gen()))
    assert r.extra["nan_resets"] == 3 and r.objective == 5.0
    hopeless = TargetBits(np.ones(5), nan_steps=10**6)
    with pytest.raises(NumericalError):
        Solver(cfg).solve(hopeless, FreeVariables(5, 3, generator=_gen()))


def test_per_restart_hparams_and_exploit_keep_population_consistent():
    prob = TargetBits(np.array([1, 0, 1, 0, 1, 0]))
    cfg = SolverConfig(
        restarts=8,
        steps=200,
        lr=[1e-4, 1e-1],
        hparams={"scale": [0.5, 2.0]},
        eval_every=10,
        exploit_every=2,
        seed=3,
    )
    r = Solver(cfg).solve(prob, FreeVariables(6, 8, generator=_gen()))
    assert r.objective == 6.0
    assert r.hparams["grid_size"] == 4
    assert "best_restart" in r.hparams
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        Solver(SolverConfig(restarts=2, hparams={"nope": 1.0})).solve(
            prob, FreeVariables(6, 2, generator=_gen())
        )


def test_same_seed_same_result_on_cpu():
    def run():
        prob = TargetBits(np.array([1, 0, 1, 1, 0]))
        cfg = SolverConfig(restarts=3, steps=30, lr=0.05, eval_every=5, seed=7)
        return Solver(cfg).solve(prob, FreeVariables(5, 3, generator=_gen(7)))

    a, b = run(), run()
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert a.solution == b.solution and a.objective == b.objective


def test_result_roundtrip_and_atomic_save(tmp_path):
    r = Result(
        problem="p",
        instance="i",
        method="m",
        objective=3.0,
        feasible=True,
        solution=[1, 2],
        time_s=0.1,
        device="cpu",
        seed=0,
        reference=4.0,
        history=[{"loss": math.nan}],
    )
    path = tmp_path / "sub" / "r.json"
    r.save(path)
    data = json.loads(path.read_text())
    for key in (
        "problem",
        "instance",
        "method",
        "objective",
        "feasible",
        "solution",
        "time_s",
        "device",
        "seed",
    ):
        assert key in data
    assert data["reference_gap"] == pytest.approx(0.25) and data["gap"] is None
    assert data["history"][0]["loss"] is None
    assert Result.load(path).objective == 3.0
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temp files left


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(DeviceError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA device"):
            resolve_device("cuda")


@pytest.mark.parametrize("name", ["mps", "mps:0", "tpu", "xpu", "cuda:x", "  "])
def test_unavailable_or_unknown_device_is_bad_input(name):
    """An unknown device, or one this machine lacks, is an InputError (also a DeviceError)."""
    if name.startswith("mps") and torch.backends.mps.is_available():
        pytest.skip("MPS present")
    with pytest.raises(InputError) as info:
        resolve_device(name)
    assert isinstance(info.value, DeviceError)
    msg = str(info.value)
    assert "\n" not in msg and ("use --device cpu" in msg or "use cpu, cuda" in msg), msg
    if name.startswith("mps"):
        assert msg == (
            "MPS (Apple GPU) was requested but is not available on this machine; use --device cpu"
        )


def test_graph_validation_and_merge():
    g = Graph.from_edges(3, [(0, 1), (1, 0), (1, 2)], [1.0, 2.0, -1.0])
    assert g.m == 2 and g.weight.tolist() == [3.0, -1.0]
    with pytest.raises(InputError, match="self-loop"):
        Graph.from_edges(2, [(1, 1)])
    with pytest.raises(InputError, match="out of range"):
        Graph.from_edges(2, [(0, 2)])
    with pytest.raises(InputError, match="duplicate"):
        Graph.from_edges(2, [(0, 1), (1, 0)], merge="error")
    tg = g.to_torch()
    dense = tg.adj.to_dense()
    assert torch.equal(dense, dense.T) and dense[0, 1] == 3.0
    x = torch.rand(4, 3)
    assert torch.allclose(tg.matvec(x), x @ dense)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"restarts": 0}, "restarts"),
        ({"steps": -1}, "steps"),
        ({"eval_every": 0}, "eval_every"),
        ({"time_limit": 0}, "time_limit"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": [0.1, -0.1]}, "lr"),
        ({"lr": []}, "lr"),
        ({"hparams": {"gamma": [1.0, float("inf")]}}, "gamma"),
    ],
)
def test_solver_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SolverConfig(**kwargs)


def test_ctrl_c_returns_the_best_verified_solution_so_far():
    from dnnsolve import solve
    from dnnsolve.core.callbacks import Callback
    from dnnsolve.io import from_networkx

    class CtrlC(Callback):
        def __init__(self):
            self.evals = 0

        def on_eval(self, state):
            self.evals += 1
            if self.evals == 2:
                raise KeyboardInterrupt

    import networkx as nx

    g = from_networkx(nx.random_regular_graph(3, 60, seed=4))
    cb = CtrlC()
    r = solve("maxcut", g, device="cpu", seed=0, steps=500, eval_every=5, callbacks=[cb])
    assert r.stop_reason == "interrupted" and r.found_by == "network"
    assert r.steps == 10 and cb.evals == 2  # stopped at once, no polish
    side = np.zeros(g.n, dtype=bool)
    side[np.asarray(r.solution, dtype=int)] = True  # networkx labels 0..n-1 are the ids
    assert r.objective == float(np.sum(side[g.src] != side[g.dst])) > 0


def test_compile_mode_is_checked_once():
    with pytest.raises(ValueError, match="compile must be one of default"):
        SolverConfig(compile="fast")


@pytest.mark.slow
def test_compiled_training_step_follows_the_eager_one():
    """``compile="default"`` (torch.compile of forward and loss) takes the eager run's steps:
    the same losses at every evaluation, to float32 rounding, and the same answer."""
    from dnnsolve import solve
    from dnnsolve.data import example_path

    runs = [
        solve("maxcut", example_path("maxcut_example"), "relaxed", device="cpu", seed=0,
              steps=200, restarts=4, polish=False, baseline=False, compile=mode)
        for mode in (None, "default")
    ]  # fmt: skip
    eager, compiled = ([row["loss"] for row in r.history] for r in runs)
    assert len(eager) == len(compiled) >= 5
    assert np.allclose(eager, compiled, rtol=1e-4)
    assert runs[0].objective == runs[1].objective
    assert runs[1].extra["config"]["compile"] == "default"
