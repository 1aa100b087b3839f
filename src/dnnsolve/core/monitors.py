"""Monitors: per-step observers that may stop a run and choose the iterate it returns.

The solver hands every monitor the relaxed solution ``x`` (B, n) and the per-restart loss (B,)
of each training step, detached.  A monitor can

- ask the solver to stop (``should_stop`` with a ``reason``), and
- offer a *candidate*: a batch of relaxed solutions (k, n) the solver evaluates at the end and,
  for problems whose quality is not their objective (``Problem.select == "last"``: images, where
  the lowest data-fidelity iterate is the over-fitted one), returns instead of the last iterate.

Monitors are how untrained-network priors get early stopping and output averaging without a
loop of their own; any family can use them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from .early_stopping import ExponentialAverage, WindowedVariance

__all__ = ["Monitor", "OutputAverage", "Trace", "VarianceStop"]


class Monitor:
    """Base class: watches steps; by default never stops and offers no candidate."""

    name: str = "monitor"
    should_stop: bool = False
    reason: str = ""

    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        """Observe training step ``step``: relaxed solution ``x`` (B, n), loss (B,)."""

    def candidate(self) -> tuple[torch.Tensor, int] | None:
        """Relaxed solutions (k, n) this monitor would return, and the step they stand for."""
        return None

    def summary(self) -> dict:
        """JSON-ready description stored in ``Result.extra["monitors"]``."""
        return {"name": self.name}


class OutputAverage(Monitor):
    """Exponential average of the outputs (DIP: ``decay = 0.99``), optionally over restarts too.

    With ``ensemble=True`` the candidate is the mean of the restarts' averages, shape (1, n):
    independent restarts of an untrained prior err in different directions, so their mean is
    better than any one of them (the DIP paper's "averaging two runs").  ``start`` skips the first
    steps, whose outputs are far from an image; ``warmup`` forgets them faster instead (see
    :class:`~dnnsolve.core.early_stopping.ExponentialAverage`).

    >>> avg = OutputAverage(decay=0.5)
    >>> for t, v in enumerate((0.0, 1.0, 1.0), 1):
    ...     avg.update(t, torch.full((2, 3), v), torch.zeros(2))
    >>> avg.candidate()[0][0]
    tensor([0.7500, 0.7500, 0.7500])
    """

    name = "average"

    def __init__(
        self, decay: float = 0.99, ensemble: bool = False, start: int = 0, warmup: bool = False
    ):
        self.ema = ExponentialAverage(decay, warmup)
        self.ensemble = ensemble
        self.start = start
        self.step = 0

    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if step > self.start:
            self.ema.update(x)
            self.step = step

    @property
    def value(self) -> torch.Tensor | None:
        v = self.ema.value
        if v is None:
            return None
        return v.mean(dim=0, keepdim=True) if self.ensemble else v

    def candidate(self) -> tuple[torch.Tensor, int] | None:
        v = self.value
        return None if v is None else (v, self.step)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "decay": self.ema.decay,
            "ensemble": self.ensemble,
            "warmup": self.ema.warmup,
            "averaged_steps": self.ema.count,
        }


class VarianceStop(Monitor):
    """ES-WMV early stopping (Wang et al., TMLR 2023): stop when the windowed variance of the
    outputs has had no new minimum for ``patience`` steps; the candidate is the output at the
    minimum (or, with ``average`` given, that monitor's average at the minimum).

    The variance is taken over all restarts together.  Ground truth is never used.

    >>> es = VarianceStop(window=2, patience=2)
    >>> for t, v in enumerate([0.0, 4.0, 5.0, 5.0, 9.0, 20.0, 40.0], 1):
    ...     es.update(t, torch.tensor([[v]]), torch.zeros(1))
    ...     if es.should_stop:
    ...         break
    >>> t, es.candidate()
    (6, (tensor([[5.]]), 4))
    """

    name = "es-wmv"

    def __init__(
        self, window: int = 100, patience: int = 1000, average: OutputAverage | None = None
    ):
        self.wmv = WindowedVariance(window, patience)
        self.average = average
        self._best_avg: torch.Tensor | None = None
        self._first_step: int | None = None
        self.should_stop = False
        self.reason = ""

    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if self._first_step is None:
            self._first_step = step
        before = self.wmv.best_step
        self.wmv.update(x)
        if self.average is not None and self.wmv.best_step != before:
            v = self.average.value
            if v is not None:
                self._best_avg = v.clone()
        if self.wmv.should_stop and not self.should_stop:
            self.should_stop = True
            self.reason = (
                f"windowed variance (W={self.wmv.window}) had no new minimum for "
                f"{self.wmv.patience} steps; returning step {self._step(self.wmv.best_step)}"
            )

    def _step(self, k: int) -> int:
        return (self._first_step or 1) + k

    def candidate(self) -> tuple[torch.Tensor, int] | None:
        if self.wmv.best is None:
            return None
        best = self._best_avg if self._best_avg is not None else self.wmv.best
        return best, self._step(self.wmv.best_step)

    def summary(self) -> dict:
        mv = self.wmv.min_variance
        return {
            "name": self.name,
            "window": self.wmv.window,
            "patience": self.wmv.patience,
            "min_variance": mv if math.isfinite(mv) else None,
            "best_step": self._step(self.wmv.best_step) if self.wmv.best_step >= 0 else None,
            "stopped": self.should_stop,
        }


class Trace(Monitor):
    """Record the mean loss and named metrics of ``x`` every ``every`` steps (for curves).

    ``metrics`` maps names to functions of ``x`` (B, n) returning a float or a (B,) tensor
    (the best restart's value is recorded: max, or min when the name is in ``minimize``).

    >>> tr = Trace(every=2, metrics={"mean": lambda x: x.mean()})
    >>> for t in range(1, 5):
    ...     tr.update(t, torch.full((1, 2), float(t)), torch.tensor([1.0 / t]))
    >>> tr.rows
    [{'step': 2, 'loss': 0.5, 'mean': 2.0}, {'step': 4, 'loss': 0.25, 'mean': 4.0}]
    """

    name = "trace"

    def __init__(
        self,
        every: int = 10,
        metrics: Mapping[str, Callable[[torch.Tensor], torch.Tensor | float]] | None = None,
        minimize: tuple[str, ...] = (),
    ):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.metrics = dict(metrics or {})
        self.minimize = set(minimize)
        self.rows: list[dict] = []

    @torch.no_grad()
    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if step % self.every:
            return
        row: dict = {"step": step, "loss": float(loss.float().mean())}
        for key, fn in self.metrics.items():
            v = fn(x)
            if isinstance(v, torch.Tensor):
                v = v.min() if key in self.minimize else v.max()
            row[key] = float(v)
        self.rows.append(row)

    def summary(self) -> dict:
        return {"name": self.name, "every": self.every, "rows": self.rows}
