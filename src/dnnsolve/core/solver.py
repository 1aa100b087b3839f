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

from .callbacks import Callback
from .device import device_name
from .errors import DeviceError, NumericalError
from .monitors import Monitor
from .optim import make_optimizer
from .parameterization import Parameterization
from .problem import Problem
from .quasi_newton import QN_METHODS, DenseQuasiNewton
from .result import Result
from .schedules import Schedule
from .seeding import fresh_seed, isolated_global_rng

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
        if self.backtrack is not None and not self.backtrack > 1.0:
            raise ValueError(f"backtrack must be a factor > 1, got {self.backtrack!r}")
        lrs = np.atleast_1d(np.asarray(self.lr, dtype=float))
        if lrs.size == 0 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
            raise ValueError(f"lr must be positive and finite, got {self.lr!r}")
        for key, val in self.hparams.items():
            if not np.all(np.isfinite(np.atleast_1d(np.asarray(val, dtype=float)))):
                raise ValueError(f"hyper-parameter {key} must be finite, got {val!r}")


@dataclass
class SolveState:
    """What callbacks see at each evaluation."""

    step: int
    steps: int
    elapsed: float
    loss: float
    best_objective: float | None
    batch_objective: float | None
    feasible_fraction: float


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
        cfg = self.config
        t_start = time.perf_counter()
        dev = next(param.parameters()).device
        B = param.restarts
        if cfg.restarts != B:
            raise ValueError(f"parameterization has {B} restarts, config asks for {cfg.restarts}")
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)

        # population of learning rates and loss hyper-parameters
        hp_values = {**problem.hparams, **cfg.hparams}
        unknown = set(cfg.hparams) - set(problem.hparams)
        if unknown:
            raise ValueError(
                f"unknown hyper-parameter(s) {sorted(unknown)} for {problem.name}; "
                f"known: {sorted(problem.hparams) or 'none'}"
            )
        pop, grid_size = _population({"lr": cfg.lr, **hp_values}, B)
        lr = torch.as_tensor(pop.pop("lr"), dtype=torch.float32, device=dev)
        hp = {k: torch.as_tensor(v, dtype=torch.float32, device=dev) for k, v in pop.items()}
        lr_sched = Schedule.parse(cfg.lr_schedule)
        hp_sched = {k: Schedule.parse(cfg.hparam_schedules.get(k)) for k in hp}
        for k in cfg.hparam_schedules:
            if k not in hp:
                raise ValueError(f"schedule for unknown hyper-parameter {k!r}")

        opt = make_optimizer(cfg.optimizer, param.parameters(), cfg.momentum)
        n = problem.n_vars
        best_r = torch.full((B,), -math.inf, dtype=torch.float64, device=dev)
        best_zr: torch.Tensor | None = None
        stall = torch.zeros(B, dtype=torch.int64, device=dev)
        g_score, g_z, g_found = -math.inf, None, "network"
        history: list[dict] = []
        nan_resets = 0
        evals_since_improve = 0
        stop_reason = "steps"
        ref = problem.reference()
        # a run that reaches the known optimum / best-known value stops there (time to target)
        target = None if ref is None else (ref if problem.sense == "max" else -ref) - cfg.tol
        # problems whose quality is not their objective (images) return the last iterate or a
        # monitor's choice, and have no local search to polish with
        select_last = problem.select == "last"
        use_polish = cfg.polish and not select_last
        train_budget = None
        if cfg.time_limit is not None:
            keep = cfg.polish_fraction if use_polish else 0.0
            train_budget = cfg.time_limit * (1.0 - keep)
        self._emit("on_start", cfg, problem)

        t_base0 = time.perf_counter()
        base = self._run_baseline(problem, gen) if not select_last else None
        if base is not None:
            g_score, g_z, g_found = base["score"], base["z"][base["best"]].clone(), "baseline"
            if cfg.network:
                self._warm_start_network(problem, param, opt, base["z"], gen)
        t_base = time.perf_counter()

        eval_cost = 0.0  # seconds of the last evaluation (decode + repair + exact check)
        # restarts evaluated per evaluation (all unless one evaluation of all would cost more
        # than eval_fraction of the training budget) and the next one of the rotation
        rows = {"per_eval": B, "next": 0}

        def evaluate_rows(idx: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
            with torch.no_grad():
                x = param()
                z = problem.repair(problem.decode(x if idx is None else x[idx]))
                return z, problem.score(problem.evaluate(z)).to(torch.float64)

        def evaluate(step: int, loss_val: float) -> bool:
            nonlocal best_zr, g_score, g_z, g_found, evals_since_improve, eval_cost
            t_eval = time.perf_counter()
            subsets = B > 1 and not select_last and problem.row_subsets
            if best_zr is None and train_budget is not None and subsets:
                # the first evaluation sizes the subset: one restart, then the rest if cheap
                z, s = evaluate_rows(torch.zeros(1, dtype=torch.long, device=dev))
                per_row = time.perf_counter() - t_eval
                k = int(cfg.eval_fraction * train_budget / max(per_row, 1e-9))
                rows["per_eval"] = min(B, max(1, k))
                if rows["per_eval"] >= B:
                    z2, s2 = evaluate_rows(torch.arange(1, B, device=dev))
                    idx, z, s = None, torch.cat([z, z2]), torch.cat([s, s2])
                else:
                    idx = torch.zeros(1, dtype=torch.long, device=dev)
                    rows["next"] = 1
            elif rows["per_eval"] >= B:
                idx = None
                z, s = evaluate_rows(None)
            else:
                idx = (rows["next"] + torch.arange(rows["per_eval"], device=dev)) % B
                rows["next"] = (rows["next"] + rows["per_eval"]) % B
                z, s = evaluate_rows(idx)
            if best_zr is None:
                # restarts not evaluated yet hold the first evaluated set, with score -inf
                best_zr = z.clone() if idx is None else z[:1].expand(B, *z.shape[1:]).clone()
            ids = torch.arange(B, device=dev) if idx is None else idx
            up = s > best_r[ids]
            best_r[ids[up]] = s[up]
            best_zr[ids[up]] = z[up]
            stall[ids[up]] = 0
            stall[ids[~up]] += 1
            i = int(torch.argmax(s))
            si = float(s[i])
            improved = si > g_score + cfg.tol
            if si > g_score or select_last:
                g_score, g_z, g_found = si, z[i].clone(), "network"
            evals_since_improve = 0 if improved else evals_since_improve + 1
            sign = 1.0 if problem.sense == "max" else -1.0
            finite = torch.isfinite(s)
            state = SolveState(
                step=step,
                steps=cfg.steps,
                elapsed=time.perf_counter() - t_start,
                loss=loss_val,
                best_objective=sign * g_score if math.isfinite(g_score) else None,
                batch_objective=sign * si if math.isfinite(si) else None,
                feasible_fraction=float(finite.float().mean()),
            )
            history.append(asdict(state))
            self._emit("on_eval", state)
            eval_cost = time.perf_counter() - t_eval
            return improved

        # backtracking: the last accepted parameters and loss of every restart
        snapshot = [p.detach().clone() for p in param.parameters()] if cfg.backtrack else []
        accepted = torch.full((B,), math.inf, device=dev)
        backtracks = 0
        early_stop = ""

        step = 0
        loss_val = math.nan
        t_opt = time.perf_counter()
        reached = target is not None and g_score >= target
        if reached:
            stop_reason = "reference"
        steps = cfg.steps if cfg.network and not reached else 0
        try:
            for step in range(1, steps + 1):
                prog = step / max(cfg.steps, 1)
                hp_t = {k: v * hp_sched[k](prog) for k, v in hp.items()}
                x = param()
                loss = problem.loss(x, hp_t)
                jumped = False
                if cfg.backtrack:
                    with torch.no_grad():
                        # "jumps by the factor", also for negative losses (energies)
                        limit = accepted + (cfg.backtrack - 1.0) * accepted.abs()
                        jump = ~torch.isfinite(loss) | (loss.detach() > limit)
                        ok = ~jump
                        for p, snap in zip(param.parameters(), snapshot):
                            snap[ok] = p.detach()[ok]
                        accepted = torch.where(ok, loss.detach(), accepted)
                    jumped = bool(jump.any())
                    if jumped:
                        backtracks += int(jump.sum())
                        loss = torch.where(jump, torch.zeros_like(loss), loss)
                bad = ~torch.isfinite(loss)
                if bool(bad.any()):
                    # restart diverged restarts instead of poisoning the batch
                    nan_resets += int(bad.sum())
                    if nan_resets > 10 * B:
                        raise NumericalError(
                            f"training diverged (NaN/inf loss) in {nan_resets} restarts; "
                            "lower the learning rate or the penalties"
                        )
                    param.reset_(bad, gen)
                    opt.reset_(bad)
                    continue
                # monitors see the iterate the loss was computed at (x may alias a parameter)
                xd = x.detach().clone() if monitors and not jumped else None
                opt.zero_grad()
                loss.sum().backward()
                if jumped:
                    # a jumped restart goes back to its last good state, with fresh moments
                    with torch.no_grad():
                        for p in param.parameters():
                            if p.grad is not None:
                                p.grad[jump] = 0.0
                    opt.reset_(jump)
                opt.step(lr * lr_sched(prog))
                if jumped:
                    with torch.no_grad():
                        for p, snap in zip(param.parameters(), snapshot):
                            p[jump] = snap[jump]
                param.project_()
                loss_val = float(loss.detach().mean())
                if xd is not None:
                    ld = loss.detach()
                    for m in monitors:
                        m.update(step, xd, ld)
                        if m.should_stop and not early_stop:
                            early_stop = f"{m.name}: {m.reason}"
                elapsed = time.perf_counter() - t_start
                # stop early enough that the closing evaluation fits in the training budget
                timed_out = train_budget is not None and elapsed + eval_cost > train_budget
                # on a time-out, a closing evaluation that would overrun the whole limit is
                # skipped (large instances): the last evaluated solutions stand
                closing_fits = (
                    not history or cfg.time_limit is None or elapsed + eval_cost <= cfg.time_limit
                )
                # with a time limit the first step is evaluated too: it measures what an
                # evaluation costs, so the budget can leave room for the closing one
                first_timed = cfg.time_limit is not None and not history
                if (
                    step % cfg.eval_every == 0
                    or step == cfg.steps
                    or (timed_out and closing_fits)
                    or first_timed
                    or early_stop
                ):
                    evaluate(step, loss_val)
                    n_eval = len(history)
                    if cfg.perturb_every:
                        stuck = stall >= cfg.perturb_every
                        if bool(stuck.any()):
                            param.perturb_(stuck, cfg.perturb_scale, gen)
                            opt.reset_(stuck)
                            stall[stuck] = 0
                    if cfg.exploit_every and n_eval % cfg.exploit_every == 0 and B >= 4:
                        self._exploit(param, opt, best_r, lr, hp, stall, gen)
                    if target is not None and g_score >= target:
                        stop_reason = "reference"
                        break
                    if cfg.patience and evals_since_improve >= cfg.patience:
                        stop_reason = "converged"
                        break
                    if early_stop:
                        stop_reason = "early_stop"
                        break
                if timed_out:
                    stop_reason = "time_limit"
                    break
        except KeyboardInterrupt:
            # Ctrl-C ends training; the best verified solution so far is kept and returned
            stop_reason = "interrupted"
        lbfgs_info = None
        if cfg.lbfgs_steps and stop_reason in ("steps", "converged"):
            phase = self._lbfgs if cfg.quasi_newton == "lbfgs" else self._dense_quasi_newton
            step, stop_reason, lbfgs_info = phase(
                problem, param, hp, hp_sched, step, evaluate, t_start, train_budget
            )
        if (cfg.network and not reached and not history) or (
            select_last and stop_reason == "interrupted" and history[-1]["step"] != step
        ):
            # problems that return their last iterate return the one training stopped at
            evaluate(step, loss_val)
        returned = {
            "by": "network",
            "step": history[-1]["step"] if select_last and history else None,
        }
        for m in monitors:
            offer = m.candidate()
            if offer is None:
                continue
            cand, cand_step = offer
            with torch.no_grad():
                zc = problem.repair(problem.decode(cand))
                sc = problem.score(problem.evaluate(zc)).to(torch.float64)
            i = int(torch.argmax(sc))
            if select_last or float(sc[i]) > g_score:
                g_score, g_z, g_found = float(sc[i]), zc[i].clone(), m.name
                returned = {"by": m.name, "step": cand_step}
            break
        if early_stop:
            returned["why"] = early_stop
        t_polish = time.perf_counter()

        starts = self._polish_starts(best_r, best_zr, base)
        polish = (
            use_polish and starts is not None and stop_reason not in ("reference", "interrupted")
        )
        budget = cfg.polish_time
        if polish and cfg.time_limit is not None:
            remaining = max(cfg.time_limit - (time.perf_counter() - t_start), 0.0)
            budget = remaining if budget is None else min(budget, remaining)
            polish = remaining > 0.0  # the time limit is spent: no local search
        if polish:
            cand, from_base = starts
            try:
                polished = problem.local_search(cand, budget, gen)
            except KeyboardInterrupt:
                stop_reason, polished = "interrupted", None
            if polished is not None:
                with torch.no_grad():
                    s = problem.score(problem.evaluate(polished)).to(torch.float64)
                i = int(torch.argmax(s))
                if float(s[i]) > g_score:
                    g_score, g_z = float(s[i]), polished[i].clone()
                    # a search may tile its starts (row i starts from start i mod k)
                    g_found = (
                        "baseline+local_search" if from_base[i % len(from_base)] else "local_search"
                    )
        t_end = time.perf_counter()

        sol = g_z.detach().cpu().numpy() if g_z is not None else np.zeros(n, dtype=np.int64)
        objective, feasible = problem.verify(sol)
        if not math.isfinite(g_score):
            g_found = "none"
        hparams = {
            "grid_size": grid_size,
            "lr": _summary(lr),
            **{k: _summary(v) for k, v in hp.items()},
            "lr_schedule": str(lr_sched),
            "hparam_schedules": {k: str(s) for k, s in hp_sched.items()},
        }
        if g_z is not None and best_zr is not None:
            # hyper-parameters of the restart that found the best network solution
            match = (best_zr == g_z).all(dim=1).nonzero().flatten()
            if len(match):
                j = int(match[0])
                hparams["best_restart"] = {
                    "lr": float(lr[j]),
                    **{k: float(v[j]) for k, v in hp.items()},
                }
        config = asdict(cfg)
        result = Result(
            problem=problem.name,
            instance=problem.instance,
            method=method,
            objective=objective,
            feasible=feasible,
            solution=problem.solution_output(sol),
            time_s=t_end - t_start,
            device=device_name(dev),
            seed=seed,
            sense=problem.sense,
            reference=problem.reference(),
            found_by=g_found,
            stop_reason=stop_reason,
            steps=step,
            restarts=B,
            hparams=hparams,
            timings={
                "setup_s": t_opt - t_start - (t_base - t_base0),
                "baseline_s": t_base - t_base0,
                "optimize_s": t_polish - t_opt,
                "polish_s": t_end - t_polish,
                "total_s": t_end - t_start,
            },
            history=history,
            extra={
                "config": config,
                "nan_resets": nan_resets,
                **({"baseline": base["info"]} if base is not None else {}),
                **({"backtracks": backtracks} if cfg.backtrack else {}),
                # restarts decoded per evaluation when evaluating all would overrun the budget
                **({"restarts_per_eval": rows["per_eval"]} if rows["per_eval"] < B else {}),
                **({"quasi_newton": lbfgs_info} if lbfgs_info is not None else {}),
                **(
                    {"returned": returned, "monitors": [m.summary() for m in monitors]}
                    if monitors or select_last
                    else {}
                ),
                **extra,
            },
        )
        result.solution_array = sol
        self._emit("on_end", result)
        return result

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
            if not torch.isfinite(total):
                # torch's strong Wolfe search fails on NaN: leave the step instead
                raise _NonFinite
            total.backward()
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
                if not math.isfinite(float(loss)) or any(
                    not bool(torch.isfinite(p).all()) for p in params
                ):
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

    def _exploit(self, param, opt, best_r, lr, hp, stall, gen) -> None:
        """Truncation selection: the worst restarts copy the best and perturb their hyper-parameters."""
        B = len(best_r)
        k = max(1, int(B * self.config.exploit_fraction))
        order = torch.argsort(best_r, descending=True)
        top, bottom = order[:k], order[-k:]
        src = top[torch.randint(0, k, (k,), generator=gen, device=best_r.device)]
        param.copy_restarts_(src, bottom)
        opt.copy_restarts_(src, bottom)
        factors = torch.tensor([0.8, 1.25], device=lr.device)
        for v in (lr, *hp.values()):
            pick = factors[torch.randint(0, 2, (k,), generator=gen, device=lr.device)]
            v[bottom] = v[src] * pick
        stall[bottom] = 0


def _summary(v: torch.Tensor) -> float | dict:
    vals = torch.unique(v)
    if len(vals) == 1:
        return float(vals[0])
    return {"min": float(v.min()), "max": float(v.max()), "distinct": len(vals)}
