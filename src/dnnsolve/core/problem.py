"""The problem interface: a differentiable loss, a decoder, an exact evaluator.

A problem never runs an optimization loop itself; the :class:`~dnnsolve.core.solver.Solver`
does. Relaxed solutions are batches of shape ``(B, n)`` (B restarts).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch


@dataclass
class Evaluation:
    """Exact objective and feasibility of a batch of discrete solutions."""

    objective: torch.Tensor  # (B,) float64
    feasible: torch.Tensor  # (B,) bool


class Problem(ABC):
    """One problem instance, seen by the solver.

    Subclasses set ``name`` and ``sense`` and implement :meth:`loss`,
    :meth:`decode`, :meth:`evaluate` and :meth:`verify`. :meth:`repair` and
    :meth:`local_search` are optional improvements applied to decoded batches.

    ``hparams`` are the loss's tunable constants (penalties, temperatures);
    the solver passes them to :meth:`loss` as (B,) tensors so each restart can
    carry its own value.
    """

    name: ClassVar[str] = "problem"
    sense: ClassVar[str] = "max"  # "max" or "min"
    #: "best": report the best-scoring solution seen; "last": the last iterate or a monitor's
    #: choice (for problems whose objective is not their quality, e.g. a noisy image's fit)
    select: ClassVar[str] = "best"
    #: whether decode() accepts any subset of the restarts' rows (the solver then evaluates a
    #: rotating subset on large instances); False: decode() needs all B rows of a pass
    row_subsets: ClassVar[bool] = True
    hparams: Mapping[str, float] = {}

    #: number of relaxed variables (columns of x)
    n_vars: int
    #: label of the instance (file name or graph name) for results
    instance: str = "instance"

    @abstractmethod
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Per-restart differentiable loss, shape (B,), for relaxed ``x`` of shape (B, n)."""

    @abstractmethod
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """Relaxed (B, n) → discrete (B, n) solutions."""

    @abstractmethod
    def evaluate(self, z: torch.Tensor) -> Evaluation:
        """Exact objective and feasibility of discrete solutions ``z`` (B, n)."""

    @abstractmethod
    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """Independent NumPy re-check of one discrete solution: ``(objective, feasible)``.

        Must not share code with :meth:`evaluate`: it is what results report.
        """

    def repair(self, z: torch.Tensor) -> torch.Tensor:
        """Make decoded solutions feasible / locally better (default: unchanged)."""
        return z

    def local_search(
        self, z: torch.Tensor, time_limit: float, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, list[str | None]]:
        """Improve a batch of discrete solutions within ``time_limit`` seconds (default: none).

        Row i of the answer is searched from start ``i mod len(z)``. A search that also runs
        from starts of its own (random ones, say) returns ``(rows, origins)``: ``origins[i]``
        names the stage that found row i (``"anneal"``), or is None for a row from a start."""
        return z

    #: name of the classical heuristic behind :meth:`baseline` (reported in results)
    baseline_name: ClassVar[str] = "baseline"

    def baseline(
        self, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor | None:
        """Discrete solutions (k, n) of the family's classical heuristic (default: none).

        The solver runs it before training, inside the time limit, keeps its answer as a
        candidate and seeds a share of the local-search starts (and, through :meth:`relax`,
        of the network restarts) from it, so a default run is never worse than it.
        ``time_limit`` is what the heuristic may spend at most (None: no limit).
        """
        return None

    def relax(self, z: torch.Tensor) -> torch.Tensor | None:
        """Relaxed points (k, n) in [0, 1] that decode to the discrete ``z`` (default: none).

        Used to warm-start network restarts from the baseline's answer."""
        return None

    def begin_phase(self, phase: str) -> None:
        """Called by the solver when a training phase starts (``"lbfgs"``,
        ``"quasi_newton"``); default: nothing.

        Problems whose loss changes between steps (resampled points) freeze it here, since
        L-BFGS's line search and curvature pairs need one fixed function."""
        return None

    def refresh(self) -> bool:
        """Called by the solver between passes of its quasi-Newton phase (every
        ``SolverConfig.qn_refresh`` iterations): redraw the training sample, if the loss has
        one, and return True when the loss changed; default: nothing (False).

        A fixed sample is overfitted by a long quasi-Newton run; a fresh one between passes,
        with the curvature estimate kept, is what lets it keep lowering the true error."""
        return False

    def solution_output(self, solution: np.ndarray) -> Any:
        """JSON form of one discrete solution (default: list of ints)."""
        return np.asarray(solution).astype(int).tolist()

    def reference(self) -> float | None:
        """Best-known or optimal objective when known (used for gaps)."""
        return None

    def score(self, ev: Evaluation) -> torch.Tensor:
        """Larger is better; infeasible solutions score −inf."""
        s = ev.objective if self.sense == "max" else -ev.objective
        return torch.where(ev.feasible, s, torch.full_like(s, -torch.inf))

    def better(self, a: float, b: float | None) -> bool:
        """Is objective ``a`` strictly better than ``b``?"""
        if b is None:
            return True
        return a > b if self.sense == "max" else a < b
