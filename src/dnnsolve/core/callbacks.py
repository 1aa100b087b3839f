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
    """A Rich progress bar showing steps, best verified objective and elapsed time."""

    def __init__(self, description: str = "solving", console=None):
        self.description = description
        self.console = console
        self._progress = None
        self._task = None

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
        self._task = self._progress.add_task(self.description, total=config.steps, best="–")

    def on_eval(self, state) -> None:
        if self._progress is not None:
            best = "–" if state.best_objective is None else f"{state.best_objective:g}"
            self._progress.update(self._task, completed=state.step, best=best)

    def on_end(self, result) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_error(self, exc) -> None:
        self.on_end(None)
