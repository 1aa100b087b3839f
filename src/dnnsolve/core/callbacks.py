"""Callbacks: hooks the solver calls at the start, at each evaluation and at the end."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .result import Result


class Callback:
    """Override any of the three hooks; the defaults do nothing."""

    def on_start(self, config: Any, problem: Any) -> None:
        """Called once before the first step."""

    def on_eval(self, state: Any) -> None:
        """Called after each decode-and-evaluate with a :class:`SolveState`."""

    def on_end(self, result: Result) -> None:
        """Called once with the final result."""

    def on_error(self, exc: BaseException) -> None:
        """Called when the solve stops with an exception (release displays, files)."""


class RichProgress(Callback):
    """A Rich progress bar showing steps, best verified objective and elapsed time.

    A run with a quasi-Newton phase after its first-order steps (``lbfgs_steps``, the PDE
    solves) is shown over both phases, the phase named; when a time limit ends it (the
    iterations being only a cap) the bar counts seconds of the budget.
    """

    def __init__(self, description: str = "solving", console=None):
        self.description = description
        self.console = console
        self._progress = None
        self._task = None
        self._phases: tuple[int, str, str] | None = None  # first-order steps, both names
        self._budget: float | None = None

    def on_start(self, config, problem) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        total, description = config.steps, self.description
        second = getattr(config, "lbfgs_steps", 0)
        if second:
            from .quasi_newton import QN_LABELS

            qn = config.quasi_newton
            first = {"adam": "Adam"}.get(config.optimizer, config.optimizer)
            self._phases = (config.steps, first, QN_LABELS.get(qn, qn))
            self._budget = config.time_limit
            total = config.steps + second
            if self._budget is not None:
                total = max(1, round(self._budget))
            description = self._label(first)
        self._task = self._progress.add_task(description, total=total, best="–")

    def _label(self, phase: str) -> str:
        return f"{self.description} · {phase}" + (" (s)" if self._budget is not None else "")

    def on_eval(self, state) -> None:
        if self._progress is not None:
            best = "–" if state.best_objective is None else f"{state.best_objective:g}"
            done = state.step if self._budget is None else min(state.elapsed, self._budget)
            self._progress.update(self._task, completed=done, best=best)
            if self._phases is not None and state.step > self._phases[0]:
                self._progress.update(self._task, description=self._label(self._phases[2]))

    def on_end(self, result) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_error(self, exc) -> None:
        self.on_end(None)


@dataclass
class RunConfig:
    """What callbacks receive in ``on_start`` from a loop that is not the Solver's: the
    iteration budget (``steps``, None when open-ended: a progress bar's total) and the
    family's options."""

    steps: int | None
    options: Any = None


class CallbackRun:
    """Drive ``callbacks`` through one run of a loop that is not the Solver's (RRR, PDHG,
    the learning-without-loss trainers): ``on_start``, ``on_eval`` from :meth:`report`
    (every ``every`` iterations from :meth:`iteration`, an engine's per-iteration hook), then
    ``on_end`` with the result or ``on_error`` with the exception."""

    def __init__(
        self,
        callbacks: Sequence[Callback],
        steps: int | None,
        options: Any = None,
        problem: Any = None,
        every: int = 25,
    ):
        self.callbacks = list(callbacks)
        self.config = RunConfig(steps, options)
        self.problem = problem
        self.every = every
        self._t0 = time.perf_counter()

    def report(self, step: int, best_objective: float | None = None) -> None:
        """One ``on_eval`` with a :class:`~dnnsolve.core.training.SolveState` at ``step``."""
        from .training import SolveState

        state = SolveState(
            step=step,
            steps=self.config.steps or 0,
            elapsed=time.perf_counter() - self._t0,
            loss=math.nan,  # these loops have no training loss
            best_objective=best_objective,
            batch_objective=None,
            feasible_fraction=0.0,
        )
        for cb in self.callbacks:
            cb.on_eval(state)

    def iteration(self, step: int, x: Any = None) -> bool:
        """Report iteration ``step`` every ``every`` steps; never stops the run."""
        if step % self.every == 0 and self.callbacks:
            self.report(step)
        return False

    def run(self, fn: Callable[[Callable[[int, Any], bool] | None], Result]) -> Result:
        """``fn(iteration hook or None)`` between ``on_start`` and ``on_end``."""
        self._t0 = time.perf_counter()
        for cb in self.callbacks:
            cb.on_start(self.config, self.problem)
        try:
            result = fn(self.iteration if self.callbacks else None)
        except BaseException as exc:
            for cb in self.callbacks:
                cb.on_error(exc)
            raise
        for cb in self.callbacks:
            cb.on_end(result)
        return result
