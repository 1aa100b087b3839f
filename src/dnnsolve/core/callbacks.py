"""Callbacks: hooks the solver calls at the start, at each phase, at each evaluation and at
the end."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .result import Result


#: the Solver's phases, in the order it runs them (each announced only when it runs)
PHASES = ("baseline", "train", "quasi_newton", "polish")


class Callback:
    """Override any of the hooks; the defaults do nothing."""

    def on_start(self, config: Any, problem: Any) -> None:
        """Called once before the first step."""

    def on_phase(self, name: str) -> None:
        """Called when the run enters a phase.  The Solver's are :data:`PHASES`: ``baseline``
        (the problem's classical heuristic), ``train`` (the first-order steps),
        ``quasi_newton`` (the ``lbfgs_steps`` after them) and ``polish`` (the local search);
        a phase the run skips is not announced.  Loops that are not the Solver's announce
        theirs through :meth:`CallbackRun.phase`."""

    def on_eval(self, state: Any) -> None:
        """Called after each decode-and-evaluate with a :class:`SolveState`."""

    def on_end(self, result: Result) -> None:
        """Called once with the final result."""

    def on_error(self, exc: BaseException) -> None:
        """Called when the solve stops with an exception (release displays, files)."""


def emit_phase(callbacks: Iterable[Any], name: str) -> None:
    """``on_phase(name)`` on each of ``callbacks`` that has the hook (a callback need not
    subclass :class:`Callback`, so it may define only the hooks it uses)."""
    for cb in callbacks:
        hook = getattr(cb, "on_phase", None)
        if hook is not None:
            hook(name)


class RichProgress(Callback):
    """A Rich progress bar showing steps, best verified objective and elapsed time.

    The description names the phase the run is in (``maxcut/relaxed · polish``); the elapsed
    time keeps counting through the phases without steps (baseline, polish).  A run with a
    quasi-Newton phase after its first-order steps (``lbfgs_steps``, the PDE solves) is shown
    over both phases, each named by its method (``Adam``, ``L-BFGS``); when a time limit ends
    it (the iterations being only a cap) the bar counts seconds of the budget.
    """

    def __init__(self, description: str = "solving", console=None):
        self.description = description
        self.console = console
        self._progress = None
        self._task = None
        self._names: dict[str, str] = {}  # phase -> what the bar calls it
        self._budget: float | None = None

    def on_start(self, config, problem) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            _elapsed_column(),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        total, description = config.steps, self.description
        self._names, self._budget = {}, None
        second = getattr(config, "lbfgs_steps", 0)
        if second:
            from .quasi_newton import QN_LABELS

            qn = config.quasi_newton
            first = {"adam": "Adam"}.get(config.optimizer, config.optimizer)
            self._names = {"train": first, "quasi_newton": QN_LABELS.get(qn, qn)}
            self._budget = config.time_limit
            total = config.steps + second
            if self._budget is not None:
                total = max(1, round(self._budget))
            description = self._label(first)
        self._task = self._progress.add_task(description, total=total, best="–")

    def _label(self, phase: str) -> str:
        return f"{self.description} · {phase}" + (" (s)" if self._budget is not None else "")

    def on_phase(self, name: str) -> None:
        if self._progress is not None:
            label = self._label(self._names.get(name, name))
            self._progress.update(self._task, description=label)

    def on_eval(self, state) -> None:
        if self._progress is not None:
            best = "–" if state.best_objective is None else f"{state.best_objective:g}"
            done = state.step if self._budget is None else min(state.elapsed, self._budget)
            self._progress.update(self._task, completed=done, best=best)

    def on_end(self, result) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_error(self, exc) -> None:
        self.on_end(None)


def _elapsed_column():
    """Rich's elapsed-time column, except that it keeps counting once the bar is full: Rich's
    stops at the last step, while the polish after it still runs."""
    from datetime import timedelta

    from rich.progress import ProgressColumn
    from rich.text import Text

    class Elapsed(ProgressColumn):
        def render(self, task) -> Text:
            if task.elapsed is None:
                return Text("-:--:--", style="progress.elapsed")
            return Text(str(timedelta(seconds=int(task.elapsed))), style="progress.elapsed")

    return Elapsed()


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
    (every ``every`` iterations from :meth:`iteration`, an engine's per-iteration hook),
    ``on_phase`` from :meth:`phase`, then ``on_end`` with the result or ``on_error`` with the
    exception."""

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

    def phase(self, name: str) -> None:
        """Announce that the loop enters phase ``name`` (``on_phase``): a loop with a step
        after its iterations that takes long (a reference solve) names it, so a progress bar
        does not look stalled."""
        emit_phase(self.callbacks, name)

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
