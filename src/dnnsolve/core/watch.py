"""What every iterative loop of the package shares, written once: its clock and time limit,
the history rows it records, and why it stopped (Ctrl-C included).

The :class:`~dnnsolve.core.solver.Solver`, the RRR engine and PDHG each keep a
:class:`RunWatch`; what a loop does per iteration stays its own.

>>> watch = RunWatch(time_limit=None, reason="max_iter")
>>> with watch.running():
...     for step in range(1, 4):
...         _ = watch.record({"step": step, "gap": 1.0 / step})
...         if step == 2:
...             watch.stop("converged")
...             break
>>> watch.stop_reason, [row["step"] for row in watch.history]
('converged', [1, 2])
>>> with watch.running():
...     raise KeyboardInterrupt
>>> watch.stop_reason
'interrupted'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class RunWatch:
    """The clock, the budget, the history and the stop reason of one run.

    ``record(row)`` keeps a row in ``history`` and hands it to every observer;
    ``stop(reason)`` says why the loop ends (the loop breaks right after); ``running()``
    turns Ctrl-C into ``"interrupted"`` so the loop can return what it has.
    """

    def __init__(
        self,
        time_limit: float | None = None,
        observers: Sequence[Callable[[dict], Any]] = (),
        reason: str = "",
    ):
        self.t0 = time.perf_counter()
        self.time_limit = time_limit
        self.observers = list(observers)
        self.history: list[dict] = []
        self.stop_reason = reason

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def out_of_time(self, ahead: float = 0.0) -> bool:
        """Whether the time limit is reached, or would be ``ahead`` seconds from now."""
        return self.time_limit is not None and self.elapsed + ahead >= self.time_limit

    def record(self, row: dict) -> dict:
        self.history.append(row)
        for observe in self.observers:
            observe(row)
        return row

    def stop(self, reason: str) -> None:
        self.stop_reason = reason

    @contextmanager
    def running(self) -> Iterator[RunWatch]:
        try:
            yield self
        except KeyboardInterrupt:
            self.stop("interrupted")
