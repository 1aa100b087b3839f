"""The batched multi-start solver: the one optimization loop every family uses.

B restarts live in the leading tensor dimension of the parameterization and
run in the same kernels. Each restart may carry its own learning rate and
loss hyper-parameters (a population); exploit-and-explore copies the best
restarts over the worst and perturbs their hyper-parameters, so one run
searches a grid for the price of one.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from .callbacks import Callback, emit_phase
from .device import device_name
from .errors import DeviceError
from .lr_schedules import Schedule
from .monitors import Monitor
from .optim import make_optimizer
from .parameterization import Parameterization
from .problem import Problem
from .quasi_newton import QN_METHODS, DenseQuasiNewton
from .result import Result
from .seeding import fresh_seed, isolated_global_rng
from .training import (
    COMPILE_MODES,
    Backtracking,
    Evaluator,
    ExploitExplore,
    Incumbent,
    NaNReset,
    Perturbation,
    SolveState,
    training_forward,
)
from .watch import RunWatch

#: most memory the dense quasi-Newton matrices of all restarts may take
DENSE_QN_BYTES = 4 * 2**30


class _NonFinite(Exception):
    """Raised inside the L-BFGS closure when the loss is not finite."""


@dataclass
class SolverConfig:
    """Everything that controls a solve; stored verbatim in the result.

    List-valued ``lr`` or ``hparams`` entries form a population: the grid of
    their combinations is tiled over the restarts.
    """

    restarts: int = 32
    steps: int = 2000
    optimizer: str = "adam"
    lr: float | Sequence[float] = 1e-2
    momentum: float = 0.9
    lr_schedule: str = "constant"
    hparams: dict[str, float | Sequence[float]] = field(default_factory=dict)
    hparam_schedules: dict[str, str] = field(default_factory=dict)
    eval_every: int = 50
    patience: int | None = None  # evaluations without improvement > tol before stopping
    tol: float = 0.0
    time_limit: float | None = None  # seconds for the whole solve, polish included
    polish: bool = True
    polish_time: float | None = None  # seconds of local search; None: problem default
    polish_fraction: float = 0.3  # share of time_limit kept for the polish
    polish_top: int | None = None  # polish only the best k restarts
    perturb_every: int | None = None  # perturb restarts stalled for this many evaluations
    perturb_scale: float = 0.5
    exploit_every: int | None = None  # evaluations between exploit-and-explore rounds
    exploit_fraction: float = 0.25
    backtrack: float | None = None  # restore a restart whose loss jumps by this factor
    # quasi-Newton iterations after the first-order steps: L-BFGS (torch, strong Wolfe) or a
    # dense method of .quasi_newton (bfgs / ssbfgs / ssbroyden, float64, per restart)
    lbfgs_steps: int = 0
    lbfgs_lr: float = 1.0
    lbfgs_history: int = 50
    quasi_newton: str = "lbfgs"
    qn_refresh: int = 0  # dense methods: problem.refresh() every this many iterations (0: never)
    # the problem's classical heuristic runs first, inside time_limit; its answer is a
    # candidate and seeds a share of the local-search starts and network restarts
    baseline: bool = True
    baseline_fraction: float = 0.1  # most of time_limit the heuristic may spend
    # with a time limit, one evaluation (decode + repair + check) may cost at most this share
    # of the training budget: on large instances only a rotating subset of restarts is
    # evaluated each time (sized from the first evaluation's cost per restart)
    eval_fraction: float = 0.1
    warm_start: float = 0.125  # share of polish starts / network restarts from the baseline
    network: bool = True  # False: no training, no network candidates (ablation rows)
    seed: int | None = 0
    # torch.compile the training step's forward pass and loss (and with them their backward):
    # a mode of torch.compile ("default", "reduce-overhead": CUDA graphs on a GPU,
    # "max-autotune"), or None: eager. For fixed-shape steps made of many small kernels on
    # a GPU; on a CPU it was measured to cost seconds of compilation for no gain (BENCHMARKS)
    compile: str | None = None

    def __post_init__(self) -> None:
        if self.restarts < 1:
            raise ValueError("restarts must be >= 1")
        if self.steps < 0:
            raise ValueError("steps must be >= 0")
        if self.eval_every < 1:
            raise ValueError("eval_every must be >= 1")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError("time_limit must be positive")
        if self.lbfgs_steps < 0 or not self.lbfgs_lr > 0 or self.lbfgs_history < 1:
            raise ValueError("lbfgs_steps must be >= 0, lbfgs_lr > 0 and lbfgs_history >= 1")
        if self.quasi_newton not in ("lbfgs", *QN_METHODS):
            raise ValueError(
                f"quasi_newton must be lbfgs or one of {QN_METHODS}, got {self.quasi_newton!r}"
            )
        if self.qn_refresh < 0:
            raise ValueError(f"qn_refresh must be >= 0, got {self.qn_refresh!r}")
        if not 0.0 <= self.warm_start <= 1.0:
            raise ValueError(f"warm_start must be in [0, 1], got {self.warm_start!r}")
        if not 0.0 < self.baseline_fraction <= 1.0:
            raise ValueError(f"baseline_fraction must be in (0, 1], got {self.baseline_fraction!r}")
        if not 0.0 < self.eval_fraction <= 1.0:
            raise ValueError(f"eval_fraction must be in (0, 1], got {self.eval_fraction!r}")
        if self.compile not in (None, *COMPILE_MODES):
            raise ValueError(
                f"compile must be one of {', '.join(COMPILE_MODES)} or None, got {self.compile!r}"
            )
        if self.backtrack is not None and not self.backtrack > 1.0:
            raise ValueError(f"backtrack must be a factor > 1, got {self.backtrack!r}")
        lrs = np.atleast_1d(np.asarray(self.lr, dtype=float))
        if lrs.size == 0 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
            raise ValueError(f"lr must be positive and finite, got {self.lr!r}")
        for key, val in self.hparams.items():
            if not np.all(np.isfinite(np.atleast_1d(np.asarray(val, dtype=float)))):
                raise ValueError(f"hyper-parameter {key} must be finite, got {val!r}")


def _population(values: Mapping[str, Any], restarts: int) -> tuple[dict[str, np.ndarray], int]:
    """Tile the grid of list-valued entries over the restarts."""
    keys = list(values)
    lists = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v] for v in values.values()]
    grid = list(itertools.product(*lists)) or [()]
    out = {
        k: np.array([float(grid[b % len(grid)][i]) for b in range(restarts)])
        for i, k in enumerate(keys)
    }
    return out, len(grid)


class Solver:
    """Run a parameterization against a problem and return the best verified solution.

    >>> import torch
    >>> from dnnsolve.graph import Graph
    >>> from dnnsolve.problems.maxcut import MaxCut
    >>> from dnnsolve.core.parameterization import FreeVariables
    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    >>> prob = MaxCut(g)
    >>> cfg = SolverConfig(restarts=4, steps=100, seed=0)
    >>> param = FreeVariables(4, 4, squash="tanh", generator=torch.Generator().manual_seed(0))
    >>> Solver(cfg).solve(prob, param).objective
    4.0
    """

    def __init__(self, config: SolverConfig | None = None, callbacks: Sequence[Callback] = ()):
        self.config = config or SolverConfig()
        self.callbacks = list(callbacks)

    # -- helpers -----------------------------------------------------------------
    def _emit(self, name: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, name)(*args)

    def _phase(self, name: str) -> None:
        emit_phase(self.callbacks, name)

    def solve(
        self,
        problem: Problem,
        param: Parameterization,
        *,
        method: str = "custom",
        extra: dict | None = None,
        monitors: Sequence[Monitor] = (),
    ) -> Result:
        """Optimize ``param`` on ``problem``; ``monitors`` watch every step (early stopping,
        output averaging) and may choose the returned iterate."""
        seed = self.config.seed if self.config.seed is not None else fresh_seed()
        try:
            with isolated_global_rng(seed, next(param.parameters()).device):
                return self._solve(problem, param, method, extra or {}, list(monitors), seed)
        except BaseException as exc:
            self._emit("on_error", exc)
            if isinstance(exc, torch.cuda.OutOfMemoryError):  # pragma: no cover - needs a GPU
                raise self._oom(problem) from exc
            raise

    def _oom(self, problem: Problem) -> DeviceError:  # pragma: no cover - needs a GPU
        return DeviceError(
            f"out of GPU memory with {self.config.restarts} restarts on {problem.instance}; "
            "use fewer --restarts or --device cpu"
        )

    def _solve(
        self,
        problem: Problem,
        param: Parameterization,
        method: str,
        extra: dict,
        monitors: list[Monitor],
        seed: int,
    ) -> Result:
        """The phases in order: set-up and classical baseline, first-order training, the
        quasi-Newton phase, the closing evaluation and the monitors' offers, the polish.  The
        callbacks' ``on_phase`` hears of each that runs (:data:`~.callbacks.PHASES`)."""
        run = _Run(self, problem, param, monitors, seed)
        run.baseline()
        run.train()
        run.quasi_newton()
        run.close()
        run.polish()
        return run.result(method, extra)

    def _run_baseline(self, problem: Problem, gen) -> dict | None:
        """Run the problem's classical heuristic (if any) and score its solutions."""
        cfg = self.config
        if not cfg.baseline:
            return None
        limit = None if cfg.time_limit is None else cfg.time_limit * cfg.baseline_fraction
        t0 = time.perf_counter()
        z = problem.baseline(limit, gen)
        if z is None or len(z) == 0:
            return None
        with torch.no_grad():
            ev = problem.evaluate(z)
            s = problem.score(ev).to(torch.float64)
        i = int(torch.argmax(s))
        if not math.isfinite(float(s[i])):
            return None  # an infeasible heuristic answer is no candidate
        info = {
            "name": problem.baseline_name,
            "objective": float(ev.objective[i]),
            "time_s": time.perf_counter() - t0,
        }
        return {"z": z, "best": i, "score": float(s[i]), "info": info}

    def _warm_start_network(self, problem, param, opt, zb: torch.Tensor, gen) -> None:
        """Move the last ``warm_start`` share of the restarts to the baseline's answers."""
        B = param.restarts
        k = math.ceil(self.config.warm_start * B) if B > 1 else 0
        if k == 0:
            return
        x = problem.relax(zb)
        if x is None:
            return
        idx = torch.arange(B - k, B, device=x.device)
        if param.warm_start_(idx, x[torch.arange(k, device=x.device) % len(x)], gen):
            opt.reset_(torch.isin(torch.arange(B, device=x.device), idx))

    def _polish_starts(self, best_r, best_zr, base) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Local-search starts: the best network restarts, a ``warm_start`` share of baseline
        copies (half when the network found nothing as good as the baseline: the starts go
        where the better solutions are; all of them without a network), and which start came
        from the baseline."""
        cfg = self.config
        k = cfg.polish_top or len(best_r)
        parts, origin = [], []
        n_base = 0
        if base is not None and best_zr is None:
            n_base = k
        elif base is not None:
            behind = float(best_r.max()) < base["score"]
            n_base = math.ceil((max(cfg.warm_start, 0.5) if behind else cfg.warm_start) * k)
        if best_zr is not None and k - n_base > 0:
            order = torch.argsort(best_r, descending=True)
            cand = best_zr[order[: k - n_base]]
            cand = torch.unique(cand, dim=0) if cand.shape[0] > 1 else cand
            parts.append(cand)
            origin.append(torch.zeros(len(cand), dtype=torch.bool))
        if n_base:
            zb = base["z"]
            # the baseline's best answer first, then its other answers, cycled
            order = torch.cat([torch.tensor([base["best"]]), torch.arange(len(zb))])
            pick = order[torch.arange(n_base) % len(order)]
            zb = zb[pick.to(zb.device)]
            parts.append(zb.to(parts[0].dtype) if parts else zb)
            origin.append(torch.ones(n_base, dtype=torch.bool))
        if not parts:
            return None
        return torch.cat(parts), torch.cat(origin)

    def _lbfgs(self, problem, param, hp, hp_sched, step, evaluate, t_start, budget):
        """Second phase: full-batch L-BFGS with a strong Wolfe line search (PINN practice).

        Runs ``eval_every`` iterations between evaluations; the restarts' losses are summed, so
        they share one line search. A non-finite loss restores the last evaluated parameters
        and ends the phase. Returns (last step, stop reason, summary).
        """
        cfg = self.config
        problem.begin_phase("lbfgs")
        params = [p for p in param.parameters() if p.requires_grad]
        opt = torch.optim.LBFGS(
            params,
            lr=cfg.lbfgs_lr,
            max_iter=cfg.eval_every,
            history_size=cfg.lbfgs_history,
            line_search_fn="strong_wolfe",
            tolerance_grad=1e-12,
            tolerance_change=1e-14,
        )
        hp_end = {k: v * hp_sched[k](1.0) for k, v in hp.items()}
        calls = 0

        def closure():
            nonlocal calls
            calls += 1
            opt.zero_grad()
            total = problem.loss(param(), hp_end).sum()
            total.backward()
            # torch's strong Wolfe search fails on NaN: leave the step instead. Read after the
            # backward pass is queued: torch's L-BFGS reads the loss too, and on a GPU the
            # two reads then cost one wait
            if not math.isfinite(float(total.detach())):
                raise _NonFinite
            return total

        good = [p.detach().clone() for p in params]
        done, reason, first = 0, "steps", step
        evals_since_improve = 0
        try:
            while done < cfg.lbfgs_steps:
                opt.param_groups[0]["max_iter"] = min(cfg.eval_every, cfg.lbfgs_steps - done)
                before = opt.state[params[0]].get("n_iter", 0)
                try:
                    opt.step(closure)
                    loss = opt.state[params[0]].get("prev_loss", math.nan)
                except _NonFinite:
                    loss = math.nan
                ran = opt.state[params[0]].get("n_iter", 0) - before
                finite = torch.stack([torch.isfinite(p).all() for p in params]).all()
                if not math.isfinite(float(loss)) or not bool(finite):
                    with torch.no_grad():
                        for p, g in zip(params, good):
                            p.copy_(g)
                    reason = "lbfgs_diverged"
                    break
                done += max(ran, 1)
                step = first + done
                improved = evaluate(step, float(loss) / max(param.restarts, 1))
                with torch.no_grad():
                    for p, g in zip(params, good):
                        g.copy_(p)
                evals_since_improve = 0 if improved else evals_since_improve + 1
                if ran == 0:  # the gradient / change tolerances were met
                    reason = "converged"
                    break
                if cfg.patience and evals_since_improve >= cfg.patience:
                    reason = "converged"
                    break
                if budget is not None and time.perf_counter() - t_start > budget:
                    reason = "time_limit"
                    break
        except KeyboardInterrupt:
            reason = "interrupted"
        info = {"method": "lbfgs", "iterations": done, "loss_evaluations": calls,
                "stop_reason": reason}  # fmt: skip
        return step, reason, info

    def _dense_quasi_newton(self, problem, param, hp, hp_sched, step, evaluate, t_start, budget):
        """Second phase with a dense method (:class:`DenseQuasiNewton`): one float64 matrix
        and one strong-Wolfe step per restart.  Every ``qn_refresh`` iterations the problem may
        redraw its training sample (the matrix is kept); otherwise as :meth:`_lbfgs`."""
        cfg = self.config
        problem.begin_phase("quasi_newton")
        B = param.restarts
        params = [p for p in param.parameters() if p.requires_grad]
        if any(p.dim() == 0 or p.shape[0] != B for p in params):
            raise ValueError("dense quasi-Newton needs parameters stacked by restart (B, ...)")
        sizes = [p[0].numel() for p in params]
        n = sum(sizes)
        if B * n * n * 8 > DENSE_QN_BYTES:
            raise ValueError(
                f"{cfg.quasi_newton} keeps a dense {n}×{n} matrix per restart "
                f"({B * n * n * 8 / 2**30:.1f} GiB for {B}): use a smaller network, fewer "
                "restarts or quasi_newton='lbfgs'"
            )
        qn = DenseQuasiNewton(cfg.quasi_newton, n, B, params[0].device)
        hp_end = {k: v * hp_sched[k](1.0) for k, v in hp.items()}
        calls = 0

        def load(theta: torch.Tensor) -> None:
            with torch.no_grad():
                for p, part in zip(params, torch.split(theta, sizes, dim=1)):
                    p.copy_(part.reshape(p.shape))

        def loss_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            nonlocal calls
            calls += 1
            load(theta)
            for p in params:
                p.grad = None
            loss = problem.loss(param(), hp_end)
            loss.sum().backward()
            grads = [
                torch.zeros_like(p) if p.grad is None else p.grad for p in params
            ]  # fmt: skip
            g = torch.cat([gr.reshape(B, -1) for gr in grads], 1)
            return loss.detach().double(), g.double()

        theta = torch.cat([p.detach().reshape(B, -1) for p in params], 1).double()
        good = theta.clone()
        f, g = loss_and_grad(theta)
        done, reason, first = 0, "steps", step
        evals_since_improve = 0
        try:
            while done < cfg.lbfgs_steps:
                theta, f, g = qn.step(loss_and_grad, theta, f, g)
                done += 1
                step = first + done
                load(theta)
                # a restart whose loss is NaN stays where it is (the search never moves it);
                # only non-finite parameters mean the phase itself broke
                if not bool(torch.isfinite(theta).all()):
                    load(good)
                    reason = "lbfgs_diverged"
                    break
                stalled = bool((qn.failures >= 2).all())
                last = done == cfg.lbfgs_steps or stalled
                out_of_time = budget is not None and time.perf_counter() - t_start > budget
                if done % cfg.eval_every == 0 or last or out_of_time:
                    improved = evaluate(step, float(f.mean()))
                    good = theta.clone()
                    evals_since_improve = 0 if improved else evals_since_improve + 1
                if stalled:
                    reason = "converged"
                    break
                if cfg.patience and evals_since_improve >= cfg.patience:
                    reason = "converged"
                    break
                if out_of_time:
                    reason = "time_limit"
                    break
                if cfg.qn_refresh and done % cfg.qn_refresh == 0 and problem.refresh():
                    f, g = loss_and_grad(theta)
                    load(theta)
        except KeyboardInterrupt:
            load(good)
            reason = "interrupted"
        info = {"method": cfg.quasi_newton, "iterations": done, "loss_evaluations": calls,
                "refresh_every": cfg.qn_refresh, "stop_reason": reason}  # fmt: skip
        return step, reason, info


class _Run:
    """One solve's state, advanced phase by phase by :meth:`Solver._solve`."""

    def __init__(
        self,
        solver: Solver,
        problem: Problem,
        param: Parameterization,
        monitors: list[Monitor],
        seed: int,
    ):
        cfg = self.cfg = solver.config
        self.solver, self.problem, self.param, self.monitors = solver, problem, param, monitors
        # the callbacks observe the rows the evaluations record, as SolveState objects
        observe = [lambda row: solver._emit("on_eval", SolveState(**row))]
        self.watch = RunWatch(cfg.time_limit, observe, reason="steps")
        self.t_start = self.watch.t0
        self.seed = seed
        self.dev = next(param.parameters()).device
        self.B = B = param.restarts
        if cfg.restarts != B:
            raise ValueError(f"parameterization has {B} restarts, config asks for {cfg.restarts}")
        self.gen = torch.Generator(device=self.dev)
        self.gen.manual_seed(seed)
        self._population()
        self.opt = make_optimizer(cfg.optimizer, param.parameters(), cfg.momentum)
        self.forward = training_forward(problem, param, cfg.compile)
        self.incumbent = Incumbent()
        self.early_stop = ""
        self.step = 0
        self.last_loss: torch.Tensor | None = None  # per-restart loss of the last step taken
        self.check_every = divergence_check_interval(self.dev, cfg.eval_every)
        self.lbfgs_info: dict | None = None
        ref = problem.reference()
        # a run that reaches the known optimum / best-known value stops there (time to target)
        self.target = None if ref is None else (ref if problem.sense == "max" else -ref) - cfg.tol
        # problems whose quality is not their objective (images) return the last iterate or a
        # monitor's choice, and have no local search to polish with
        self.select_last = problem.select == "last"
        self.use_polish = cfg.polish and not self.select_last
        self.train_budget = None
        if cfg.time_limit is not None:
            keep = cfg.polish_fraction if self.use_polish else 0.0
            self.train_budget = cfg.time_limit * (1.0 - keep)
        self.evaluate = Evaluator(
            problem, param, self.incumbent, cfg.steps, cfg.tol, cfg.eval_fraction,
            self.train_budget, self.select_last, self.watch,
        )  # fmt: skip
        self.backtracking = Backtracking(cfg.backtrack, param) if cfg.backtrack else None
        self.nan_reset = NaNReset(B)
        self.after_eval = [
            *([Perturbation(cfg.perturb_every, cfg.perturb_scale)] if cfg.perturb_every else []),
        ]
        self.exploit = (
            ExploitExplore(cfg.exploit_every, cfg.exploit_fraction) if cfg.exploit_every else None
        )
        solver._emit("on_start", cfg, problem)

    def _population(self) -> None:
        """Learning rates and loss hyper-parameters per restart, and their schedules."""
        cfg, problem, dev = self.cfg, self.problem, self.dev
        unknown = set(cfg.hparams) - set(problem.hparams)
        if unknown:
            raise ValueError(
                f"unknown hyper-parameter(s) {sorted(unknown)} for {problem.name}; "
                f"known: {sorted(problem.hparams) or 'none'}"
            )
        pop, self.grid_size = _population({"lr": cfg.lr, **problem.hparams, **cfg.hparams}, self.B)
        self.lr = torch.as_tensor(pop.pop("lr"), dtype=torch.float32, device=dev)
        self.hp = {k: torch.as_tensor(v, dtype=torch.float32, device=dev) for k, v in pop.items()}
        self.lr_sched = Schedule.parse(cfg.lr_schedule)
        self.hp_sched = {k: Schedule.parse(cfg.hparam_schedules.get(k)) for k in self.hp}
        for k in cfg.hparam_schedules:
            if k not in self.hp:
                raise ValueError(f"schedule for unknown hyper-parameter {k!r}")

    @property
    def stop_reason(self) -> str:
        return self.watch.stop_reason

    @stop_reason.setter
    def stop_reason(self, reason: str) -> None:
        self.watch.stop(reason)

    # -- phases ------------------------------------------------------------------
    def baseline(self) -> None:
        """The classical heuristic first: the incumbent, and warm starts for the network."""
        self.t_base0 = time.perf_counter()
        if self.cfg.baseline and not self.select_last and _overrides(self.problem, "baseline"):
            self.solver._phase("baseline")
        self.base = None if self.select_last else self.solver._run_baseline(self.problem, self.gen)
        if self.base is not None:
            base = self.base
            self.incumbent.offer(base["score"], base["z"][base["best"]], "baseline")
            if self.cfg.network:
                self.solver._warm_start_network(
                    self.problem, self.param, self.opt, base["z"], self.gen
                )
        self.t_base = time.perf_counter()

    def train(self) -> None:
        """First-order steps until the step budget, the target, patience, an early stop or
        the training budget; Ctrl-C ends training and keeps the best answer."""
        cfg = self.cfg
        self.t_opt = time.perf_counter()
        self.reached = self.target is not None and self.incumbent.score >= self.target
        if self.reached:
            self.stop_reason = "reference"
        steps = cfg.steps if cfg.network and not self.reached else 0
        if steps:
            self.solver._phase("train")
        with self.watch.running():
            for step in range(1, steps + 1):
                self.step = step
                if not self._step(step / max(cfg.steps, 1)):
                    continue
                reason = self._after_step()
                if reason:
                    self.stop_reason = reason
                    break

    @property
    def loss_val(self) -> float:
        """Mean loss of the last step taken (NaN before the first), read when it is needed:
        at the evaluations, not every step."""
        return math.nan if self.last_loss is None else float(self.last_loss.mean())

    def _step(self, progress: float) -> bool:
        """One optimizer step of every restart; False when diverged restarts were reset."""
        param, opt = self.param, self.opt
        hp_t = {k: _scaled(v, self.hp_sched[k](progress)) for k, v in self.hp.items()}
        x, loss = self.forward(hp_t)
        guard = self.backtracking
        if guard is not None:
            loss = guard.judge(loss, param)
        total = loss.sum()  # what the backward pass starts from; its finiteness is the batch's
        # the guard zeroes every non-finite loss, so with it no restart can diverge here
        look = guard is None and self._check_due()
        if look and self.nan_reset(loss, param, opt, self.gen, total):
            return False
        jumped = guard is not None and guard.jump is not None
        # monitors see the iterate the loss was computed at (x may alias a parameter)
        xd = x.detach().clone() if self.monitors and not jumped else None
        opt.zero_grad()
        total.backward()
        if guard is not None:
            guard.before_step(param, opt)
        opt.step(_scaled(self.lr, self.lr_sched(progress)))
        if guard is not None:
            guard.after_step(param)
        param.project_()
        self.last_loss = loss.detach()
        if xd is not None:
            for m in self.monitors:
                m.update(self.step, xd, self.last_loss)
                if m.should_stop and not self.early_stop:
                    self.early_stop = f"{m.name}: {m.reason}"
        return True

    def _check_due(self) -> bool:
        """Whether this step looks for diverged restarts: every step on the CPU; on an
        accelerator the steps that evaluate on schedule and the last one (a diverged
        restart runs on as NaN until then, alone: restarts do not share gradients)."""
        step, every = self.step, self.check_every
        return every == 1 or step % every == 0 or step == self.cfg.steps

    def _after_step(self) -> str:
        """Evaluate when due, run the after-evaluation hooks; the stop reason, or ""."""
        cfg, ev = self.cfg, self.evaluate
        elapsed = time.perf_counter() - self.t_start
        # stop early enough that the closing evaluation fits in the training budget
        timed_out = self.train_budget is not None and elapsed + ev.cost > self.train_budget
        # on a time-out, a closing evaluation that would overrun the whole limit is skipped
        # (large instances): the last evaluated solutions stand
        closing_fits = (
            not ev.history or cfg.time_limit is None or elapsed + ev.cost <= cfg.time_limit
        )
        # with a time limit the first step is evaluated too: it measures what an evaluation
        # costs, so the budget can leave room for the closing one
        first_timed = cfg.time_limit is not None and not ev.history
        due = self.step % cfg.eval_every == 0 or self.step == cfg.steps
        if due or (timed_out and closing_fits) or first_timed or self.early_stop:
            ev(self.step, self.loss_val)
            for hook in self.after_eval:
                hook(ev, self.opt, self.gen)
            if self.exploit is not None:
                self.exploit(ev, self.opt, self.lr, self.hp, self.gen)
            if self.target is not None and self.incumbent.score >= self.target:
                return "reference"
            if cfg.patience and ev.evals_since_improve >= cfg.patience:
                return "converged"
            if self.early_stop:
                return "early_stop"
        return "time_limit" if timed_out else ""

    def quasi_newton(self) -> None:
        """The second phase (L-BFGS or a dense method) after a run that used its steps."""
        cfg = self.cfg
        if not cfg.lbfgs_steps or self.stop_reason not in ("steps", "converged"):
            return
        solver = self.solver
        solver._phase("quasi_newton")
        phase = solver._lbfgs if cfg.quasi_newton == "lbfgs" else solver._dense_quasi_newton
        self.step, self.stop_reason, self.lbfgs_info = phase(
            self.problem, self.param, self.hp, self.hp_sched, self.step, self.evaluate,
            self.t_start, self.train_budget,
        )  # fmt: skip

    def close(self) -> None:
        """The closing evaluation where none was made, then the monitors' offers."""
        history = self.evaluate.history
        if (self.cfg.network and not self.reached and not history) or (
            self.select_last
            and self.stop_reason == "interrupted"
            and history[-1]["step"] != self.step
        ):
            # problems that return their last iterate return the one training stopped at
            self.evaluate(self.step, self.loss_val)
        self.returned = {
            "by": "network",
            "step": history[-1]["step"] if self.select_last and history else None,
        }
        for m in self.monitors:
            offer = m.candidate()
            if offer is None:
                continue
            cand, cand_step = offer
            with torch.no_grad():
                zc = self.problem.repair(self.problem.decode(cand))
                sc = self.problem.score(self.problem.evaluate(zc)).to(torch.float64)
            i = int(torch.argmax(sc))
            if self.incumbent.offer(float(sc[i]), zc[i], m.name, replace=self.select_last):
                self.returned = {"by": m.name, "step": cand_step}
            break
        if self.early_stop:
            self.returned["why"] = self.early_stop

    def polish(self) -> None:
        """The problem's local search from the best restarts and the baseline's answers."""
        cfg = self.cfg
        self.t_polish = time.perf_counter()
        ev = self.evaluate
        starts = self.solver._polish_starts(ev.best_r, ev.best_zr, self.base)
        run = self.use_polish and starts is not None
        run = run and self.stop_reason not in ("reference", "interrupted")
        budget = cfg.polish_time
        if run and cfg.time_limit is not None:
            remaining = max(cfg.time_limit - (time.perf_counter() - self.t_start), 0.0)
            budget = remaining if budget is None else min(budget, remaining)
            run = remaining > 0.0  # the time limit is spent: no local search
        if not run:
            return
        cand, from_base = starts
        if _overrides(self.problem, "local_search"):
            self.solver._phase("polish")
        try:
            polished = self.problem.local_search(cand, budget, self.gen)
        except KeyboardInterrupt:
            self.stop_reason, polished = "interrupted", None
        if polished is None:
            return
        origins: list[str | None] | None = None
        if isinstance(polished, tuple):  # rows from starts of the search's own
            polished, origins = polished
        with torch.no_grad():
            s = self.problem.score(self.problem.evaluate(polished)).to(torch.float64)
        i = int(torch.argmax(s))
        # a search may tile its starts (row i starts from start i mod k)
        found = "baseline+local_search" if from_base[i % len(from_base)] else "local_search"
        if origins is not None and origins[i] is not None:
            found = origins[i]
        self.incumbent.offer(float(s[i]), polished[i], found)

    # -- the result --------------------------------------------------------------
    def result(self, method: str, extra: dict) -> Result:
        """Verify the incumbent independently and assemble the :class:`Result`."""
        problem, cfg, inc = self.problem, self.cfg, self.incumbent
        t_end = time.perf_counter()
        sol = inc.z.detach().cpu().numpy() if inc.z is not None else None
        if sol is None:
            sol = np.zeros(problem.n_vars, dtype=np.int64)
        objective, feasible = problem.verify(sol)
        result = Result(
            problem=problem.name,
            instance=problem.instance,
            method=method,
            objective=objective,
            feasible=feasible,
            solution=problem.solution_output(sol),
            time_s=t_end - self.t_start,
            device=device_name(self.dev),
            seed=self.seed,
            sense=problem.sense,
            reference=problem.reference(),
            found_by=inc.found_by if math.isfinite(inc.score) else "none",
            stop_reason=self.stop_reason,
            steps=self.step,
            restarts=self.B,
            hparams=self._hparams(),
            timings=self._timings(t_end),
            history=self.evaluate.history,
            extra={"config": asdict(cfg), **self._extra(), **extra},
        )
        result.solution_array = sol
        self.solver._emit("on_end", result)
        return result

    def _hparams(self) -> dict:
        lr, hp = self.lr, self.hp
        out = {
            "grid_size": self.grid_size,
            "lr": _summary(lr),
            **{k: _summary(v) for k, v in hp.items()},
            "lr_schedule": str(self.lr_sched),
            "hparam_schedules": {k: str(s) for k, s in self.hp_sched.items()},
        }
        best_zr, z = self.evaluate.best_zr, self.incumbent.z
        if z is not None and best_zr is not None:
            # hyper-parameters of the restart that found the best network solution
            match = (best_zr == z).all(dim=1).nonzero().flatten()
            if len(match):
                j = int(match[0])
                out["best_restart"] = {
                    "lr": float(lr[j]),
                    **{k: float(v[j]) for k, v in hp.items()},
                }
        return out

    def _timings(self, t_end: float) -> dict:
        base_s = self.t_base - self.t_base0
        return {
            "setup_s": self.t_opt - self.t_start - base_s,
            "baseline_s": base_s,
            "optimize_s": self.t_polish - self.t_opt,
            "polish_s": t_end - self.t_polish,
            "total_s": t_end - self.t_start,
        }

    def _extra(self) -> dict:
        ev, out = self.evaluate, {"nan_resets": self.nan_reset.count}
        if self.base is not None:
            out["baseline"] = self.base["info"]
        if self.backtracking is not None:
            out["backtracks"] = self.backtracking.count
        if ev.per_eval < self.B:
            # restarts decoded per evaluation when evaluating all would overrun the budget
            out["restarts_per_eval"] = ev.per_eval
        if self.lbfgs_info is not None:
            out["quasi_newton"] = self.lbfgs_info
        if self.monitors or self.select_last:
            out["returned"] = self.returned
            out["monitors"] = [m.summary() for m in self.monitors]
        return out


def _overrides(problem: Problem, method: str) -> bool:
    """Whether ``problem`` has its own ``method``: the base class's baseline and local search
    do nothing, and a phase that does nothing is not announced."""
    return getattr(type(problem), method) is not getattr(Problem, method)


def divergence_check_interval(device: torch.device, eval_every: int) -> int:
    """Training steps between looks for diverged restarts (one read of the loss sum).

    A CPU tensor is read without waiting, so the CPU looks every step and a diverged
    restart is re-drawn at once. An accelerator would stall on every read, so it looks at
    the steps that evaluate on schedule (they wait for it anyway) and at the last step.

    >>> [divergence_check_interval(torch.device(kind), 50) for kind in ("cpu", "cuda")]
    [1, 50]
    """
    return 1 if device.type == "cpu" else eval_every


def _scaled(v: torch.Tensor, factor: float) -> torch.Tensor:
    """``v * factor``, without an operation for the constant schedules' factor 1 (the same
    values: x · 1 = x in floating point)."""
    return v if factor == 1.0 else v * factor


def _summary(v: torch.Tensor) -> float | dict:
    vals = torch.unique(v)
    if len(vals) == 1:
        return float(vals[0])
    return {"min": float(v.min()), "max": float(v.max()), "distinct": len(vals)}
