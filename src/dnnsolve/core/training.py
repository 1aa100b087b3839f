"""The pieces the :class:`~dnnsolve.core.solver.Solver` composes its loop from.

* :class:`Incumbent` — the best verified answer so far, with who found it;
* :class:`Evaluator` — decode, repair and score the restarts (a rotating subset of them when
  evaluating all would overrun the budget), keep each restart's best, and record a
  :class:`SolveState` row in the run's :class:`~dnnsolve.core.watch.RunWatch` (whose
  observer tells the callbacks);
* step hooks, each owning its state: :class:`Backtracking` (a restart whose loss jumps goes
  back to its last accepted state), :class:`NaNReset` (a diverged restart is re-drawn),
  :class:`Perturbation` (stalled restarts are perturbed) and :class:`ExploitExplore`
  (truncation selection over the population of learning rates and hyper-parameters);
* :func:`training_forward` — the step's forward pass and loss, eager or compiled.

Scores are "higher is better" (the problem's :meth:`~dnnsolve.core.problem.Problem.score`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .errors import NumericalError
from .parameterization import Parameterization
from .problem import Problem
from .watch import RunWatch

#: the modes of ``torch.compile`` a training step may be compiled with
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
#: the modes that replay CUDA graphs on a GPU
_CUDA_GRAPH_MODES = ("reduce-overhead", "max-autotune")


def training_forward(
    problem: Problem, param: Parameterization, mode: str | None = None
) -> Callable[[dict], tuple[torch.Tensor, torch.Tensor]]:
    """The training step's forward pass: hyper-parameters in, (iterate, per-restart loss) out.

    ``mode`` compiles it with ``torch.compile`` (its backward pass with it). With CUDA graphs
    (``"reduce-overhead"`` and ``"max-autotune"``) a replay overwrites the previous outputs,
    so the outputs are copies: the loop keeps the last loss for its evaluations.

    >>> from types import SimpleNamespace
    >>> squares = SimpleNamespace(loss=lambda x, hp: hp["a"] * (x * x).sum(1))
    >>> fwd = training_forward(squares, lambda: torch.ones(2, 3))
    >>> x, loss = fwd({"a": torch.tensor([1.0, 2.0])})
    >>> tuple(x.shape), loss.tolist()
    ((2, 3), [3.0, 6.0])
    """

    def forward(hp: dict) -> tuple[torch.Tensor, torch.Tensor]:
        x = param()
        return x, problem.loss(x, hp)

    if mode is None:
        return forward
    compiled = torch.compile(forward, mode=mode, dynamic=False)
    if mode not in _CUDA_GRAPH_MODES:
        return compiled

    def replayed(hp: dict) -> tuple[torch.Tensor, torch.Tensor]:
        torch.compiler.cudagraph_mark_step_begin()
        x, loss = compiled(hp)
        return x.clone(), loss.clone()

    return replayed


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


@dataclass
class Incumbent:
    """The best verified answer so far: its score (higher is better), encoding and origin."""

    score: float = -math.inf
    z: torch.Tensor | None = None
    found_by: str = "network"

    def offer(self, score: float, z: torch.Tensor, found_by: str, replace: bool = False) -> bool:
        """Keep ``z`` if it scores higher (or ``replace``: the last iterate is the answer)."""
        if score > self.score or replace:
            self.score, self.z, self.found_by = score, z.clone(), found_by
            return True
        return False


@dataclass
class Evaluator:
    """Decode + repair + score the restarts; per-restart bests, stall counts and the history.

    With a training budget, the first evaluation times one restart and sizes the subset of
    restarts evaluated each time so that an evaluation costs at most ``eval_fraction`` of the
    budget; the subsets rotate over the restarts.
    """

    problem: Problem
    param: Parameterization
    incumbent: Incumbent
    steps: int
    tol: float
    eval_fraction: float
    train_budget: float | None
    select_last: bool
    watch: RunWatch
    best_r: torch.Tensor = field(init=False)
    best_zr: torch.Tensor | None = field(init=False, default=None)
    stall: torch.Tensor = field(init=False)
    evals_since_improve: int = field(init=False, default=0)
    cost: float = field(init=False, default=0.0)  # seconds of the last evaluation
    per_eval: int = field(init=False)
    next_row: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        B, dev = self.param.restarts, self.device
        self.best_r = torch.full((B,), -math.inf, dtype=torch.float64, device=dev)
        self.stall = torch.zeros(B, dtype=torch.int64, device=dev)
        self.per_eval = B

    @property
    def history(self) -> list[dict]:
        """One :class:`SolveState` row per evaluation (the watch's history)."""
        return self.watch.history

    @property
    def device(self) -> torch.device:
        return next(self.param.parameters()).device

    def _score_rows(self, idx: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            x = self.param()
            z = self.problem.repair(self.problem.decode(x if idx is None else x[idx]))
            return z, self.problem.score(self.problem.evaluate(z)).to(torch.float64)

    def _evaluated(self, t0: float) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """(rows evaluated or None for all, their answers, their scores)."""
        B, dev = self.param.restarts, self.device
        subsets = B > 1 and not self.select_last and self.problem.row_subsets
        if self.best_zr is None and self.train_budget is not None and subsets:
            # the first evaluation sizes the subset: one restart, then the rest if cheap
            z, s = self._score_rows(torch.zeros(1, dtype=torch.long, device=dev))
            per_row = time.perf_counter() - t0
            k = int(self.eval_fraction * self.train_budget / max(per_row, 1e-9))
            self.per_eval = min(B, max(1, k))
            if self.per_eval >= B:
                z2, s2 = self._score_rows(torch.arange(1, B, device=dev))
                return None, torch.cat([z, z2]), torch.cat([s, s2])
            self.next_row = 1
            return torch.zeros(1, dtype=torch.long, device=dev), z, s
        if self.per_eval >= B:
            return (None, *self._score_rows(None))
        idx = (self.next_row + torch.arange(self.per_eval, device=dev)) % B
        self.next_row = (self.next_row + self.per_eval) % B
        return (idx, *self._score_rows(idx))

    def __call__(self, step: int, loss: float) -> bool:
        """Evaluate at ``step``; True when the incumbent improved by more than ``tol``."""
        t0 = time.perf_counter()
        B = self.param.restarts
        idx, z, s = self._evaluated(t0)
        if self.best_zr is None:
            # restarts not evaluated yet hold the first evaluated set, with score -inf
            self.best_zr = z.clone() if idx is None else z[:1].expand(B, *z.shape[1:]).clone()
        ids = torch.arange(B, device=self.device) if idx is None else idx
        up = s > self.best_r[ids]
        self.best_r[ids[up]] = s[up]
        self.best_zr[ids[up]] = z[up]
        self.stall[ids[up]] = 0
        self.stall[ids[~up]] += 1
        i = int(torch.argmax(s))
        si = float(s[i])
        improved = si > self.incumbent.score + self.tol
        self.incumbent.offer(si, z[i], "network", replace=self.select_last)
        self.evals_since_improve = 0 if improved else self.evals_since_improve + 1
        self._record(step, loss, si, s)
        self.cost = time.perf_counter() - t0
        return improved

    def _record(self, step: int, loss: float, si: float, s: torch.Tensor) -> None:
        sign = 1.0 if self.problem.sense == "max" else -1.0
        best = self.incumbent.score
        state = SolveState(
            step=step,
            steps=self.steps,
            elapsed=self.watch.elapsed,
            loss=loss,
            best_objective=sign * best if math.isfinite(best) else None,
            batch_objective=sign * si if math.isfinite(si) else None,
            feasible_fraction=float(torch.isfinite(s).float().mean()),
        )
        self.watch.record(asdict(state))


class Backtracking:
    """A restart whose loss jumps by ``factor`` (or is not finite) goes back to its last
    accepted parameters with fresh optimizer moments (DIP's safeguard, per restart).

    Call :meth:`judge` on the step's losses (the jumped restarts' losses are zeroed so they
    add no gradient), then :meth:`before_step` and :meth:`after_step` around the optimizer
    step.
    """

    def __init__(self, factor: float, param: Parameterization):
        self.factor = factor
        self.snapshot = [p.detach().clone() for p in param.parameters()]
        self.accepted = torch.full((param.restarts,), math.inf, device=self.snapshot[0].device)
        self.jump: torch.Tensor | None = None
        self.count = 0

    def judge(self, loss: torch.Tensor, param: Parameterization) -> torch.Tensor:
        with torch.no_grad():
            # "jumps by the factor", also for negative losses (energies)
            limit = self.accepted + (self.factor - 1.0) * self.accepted.abs()
            jump = ~torch.isfinite(loss) | (loss.detach() > limit)
            ok = ~jump
            any_jump = bool(jump.any())
            params = [p.detach() for p in param.parameters()]
            if any_jump:
                for p, snap in zip(params, self.snapshot):
                    snap[ok] = p[ok]
            else:  # the usual step: one foreach copy instead of a masked copy per tensor
                torch._foreach_copy_(self.snapshot, params)
            self.accepted = torch.where(ok, loss.detach(), self.accepted)
        self.jump = jump if any_jump else None
        if self.jump is None:
            return loss
        self.count += int(jump.sum())
        return torch.where(jump, torch.zeros_like(loss), loss)

    def before_step(self, param: Parameterization, opt: Any) -> None:
        if self.jump is None:
            return
        with torch.no_grad():
            for p in param.parameters():
                if p.grad is not None:
                    p.grad[self.jump] = 0.0
        opt.reset_(self.jump)

    def after_step(self, param: Parameterization) -> None:
        if self.jump is None:
            return
        with torch.no_grad():
            for p, snap in zip(param.parameters(), self.snapshot):
                p[self.jump] = snap[self.jump]


class NaNReset:
    """Re-draw the restarts whose loss is not finite instead of poisoning the batch; give up
    (NumericalError) after ``10 × B`` resets."""

    def __init__(self, restarts: int):
        self.restarts = restarts
        self.count = 0

    def __call__(
        self,
        loss: torch.Tensor,
        param: Parameterization,
        opt: Any,
        gen,
        total: torch.Tensor | None = None,
    ) -> bool:
        """True when some restarts were reset (the step is then skipped).

        ``total``, the sum of ``loss`` (which the backward pass needs anyway), makes the
        usual case one read of one number: a finite sum means every loss is finite. Only a
        sum that is not (a diverged restart, or finite losses whose sum overflows) has the
        restarts looked at one by one.
        """
        if total is not None and math.isfinite(float(total.detach())):
            return False
        bad = ~torch.isfinite(loss)
        if not bool(bad.any()):
            return False
        self.count += int(bad.sum())
        if self.count > 10 * self.restarts:
            raise NumericalError(
                f"training diverged (NaN/inf loss) in {self.count} restarts; "
                "lower the learning rate or the penalties"
            )
        param.reset_(bad, gen)
        opt.reset_(bad)
        return True


@dataclass
class Perturbation:
    """After an evaluation, perturb the restarts stalled for ``every`` evaluations."""

    every: int
    scale: float

    def __call__(self, ev: Evaluator, opt: Any, gen) -> None:
        stuck = ev.stall >= self.every
        if bool(stuck.any()):
            ev.param.perturb_(stuck, self.scale, gen)
            opt.reset_(stuck)
            ev.stall[stuck] = 0


@dataclass
class ExploitExplore:
    """Every ``every`` evaluations, truncation selection: the worst ``fraction`` of the
    restarts copy the best and perturb their learning rates and hyper-parameters by ×0.8 or
    ×1.25."""

    every: int
    fraction: float

    def __call__(self, ev: Evaluator, opt: Any, lr: torch.Tensor, hp: dict, gen) -> None:
        B = ev.param.restarts
        if len(ev.history) % self.every or B < 4:
            return
        k = max(1, int(B * self.fraction))
        order = torch.argsort(ev.best_r, descending=True)
        top, bottom = order[:k], order[-k:]
        src = top[torch.randint(0, k, (k,), generator=gen, device=ev.best_r.device)]
        ev.param.copy_restarts_(src, bottom)
        opt.copy_restarts_(src, bottom)
        factors = torch.tensor([0.8, 1.25], device=lr.device)
        for v in (lr, *hp.values()):
            pick = factors[torch.randint(0, 2, (k,), generator=gen, device=lr.device)]
            v[bottom] = v[src] * pick
        ev.stall[bottom] = 0
