"""Callbacks: hooks the solver calls at the start, at each evaluation and at the end."""

from __future__ import annotations

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
