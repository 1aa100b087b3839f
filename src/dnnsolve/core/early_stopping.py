"""Early stopping for untrained-network priors without ground truth.

Small objects updated once per iteration with the current output and/or loss:

- :class:`ExponentialAverage`: running average of the outputs (DIP's ``exp_weight = 0.99``).
- :class:`WindowedVariance`: ES-WMV (Wang et al., TMLR 2023): variance of the last ``window``
  outputs; stop when it has not reached a new minimum for ``patience`` iterations and return the
  output at the minimum.

DIP's third safeguard, backtracking when the loss jumps, is the Solver's per-restart
:class:`~dnnsolve.core.training.Backtracking` (``SolverConfig.backtrack``).
"""

from __future__ import annotations

import math

import torch

__all__ = ["ExponentialAverage", "WindowedVariance"]


class ExponentialAverage:
    """Exponential moving average of outputs: ``avg ← decay·avg + (1 − decay)·out``.

    The first update initialises the average with that output (as DIP does).  With
    ``warmup=True`` the decay of update ``t`` is ``min(decay, (1 + t) / (10 + t))``: early
    outputs, far from the final image, are forgotten faster, so short runs are not dragged
    back by them; after ~1 / (1 − decay) updates it is the plain average.

    >>> ema = ExponentialAverage(decay=0.5)
    >>> for v in (0.0, 1.0, 1.0):
    ...     _ = ema.update(torch.tensor([v]))
    >>> ema.value
    tensor([0.7500])
    """

    def __init__(self, decay: float = 0.99, warmup: bool = False):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must lie in [0, 1), got {decay}")
        self.decay = decay
        self.warmup = warmup
        self.value: torch.Tensor | None = None
        self.count = 0

    @torch.no_grad()
    def update(self, output: torch.Tensor) -> torch.Tensor:
        """Fold ``output`` into the average and return the average."""
        out = output.detach()
        if self.value is None:
            self.value = out.clone()
        else:
            d = self.decay
            if self.warmup:
                d = min(d, (1.0 + self.count) / (10.0 + self.count))
            self.value.mul_(d).add_(out, alpha=1.0 - d)
        self.count += 1
        return self.value


class WindowedVariance:
    """ES-WMV: windowed moving variance of the outputs (window ``W``, patience ``P``).

    After each update with iterate ``t`` (counted from 0) the variance of the window
    ``t − W + 1 … t`` is ``mean over pixels of (1/W) Σ ‖x_i − x̄‖²``, i.e. the per-pixel variance
    across the window averaged over all entries of the tensor.  It is maintained from running
    sums (a ring buffer of ``W`` outputs plus two float64 sums, O(1) extra work per entry), and
    the exact sums are recomputed every ``W`` steps to stop round-off drift.  The output at the
    minimum-variance iterate is kept in ``best`` (iterate ``best_step``); ``should_stop`` becomes
    true once ``patience`` iterations have passed without a new minimum.

    >>> es = WindowedVariance(window=2, patience=2)
    >>> for t, v in enumerate([0.0, 4.0, 5.0, 5.0, 9.0, 20.0, 40.0]):
    ...     _ = es.update(torch.tensor([v]))
    ...     if es.should_stop:
    ...         break
    >>> t, es.best_step, es.best, round(es.min_variance, 3)
    (5, 3, tensor([5.]), 0.0)
    >>> es.reason
    'windowed variance (W=2) had no new minimum for 2 iterations; returning iterate 3'
    """

    def __init__(self, window: int = 100, patience: int = 1000):
        if window < 2 or patience < 1:
            raise ValueError("window must be >= 2 and patience >= 1")
        self.window = window
        self.patience = patience
        self.step = -1
        self.variance = math.nan
        self.min_variance = math.inf
        self.best: torch.Tensor | None = None
        self.best_step = -1
        self.should_stop = False
        self.reason = ""
        self._buf: torch.Tensor | None = None
        self._s1: torch.Tensor | None = None
        self._s2: torch.Tensor | None = None

    @torch.no_grad()
    def update(self, output: torch.Tensor, loss: float | None = None) -> bool:
        """Record iterate ``output``; return ``should_stop``.  ``loss`` is accepted and unused."""
        out = output.detach()
        self.step += 1
        slot = self.step % self.window
        if self._buf is None:
            self._buf = torch.empty((self.window, *out.shape), dtype=out.dtype, device=out.device)
            self._s1 = torch.zeros(out.shape, dtype=torch.float64, device=out.device)
            self._s2 = torch.zeros_like(self._s1)
        assert self._s1 is not None and self._s2 is not None
        new = out.to(torch.float64)
        if self.step >= self.window:  # drop the oldest iterate from the sums
            old = self._buf[slot].to(torch.float64)
            self._s1.sub_(old)
            self._s2.sub_(old * old)
        self._buf[slot].copy_(out)
        self._s1.add_(new)
        self._s2.add_(new * new)
        if slot == self.window - 1:  # exact refresh once per window
            full = self._buf.to(torch.float64)
            self._s1.copy_(full.sum(0))
            self._s2.copy_((full * full).sum(0))
        if self.step < self.window - 1:
            return False
        mean = self._s1 / self.window
        self.variance = float((self._s2 / self.window - mean * mean).clamp_min(0.0).mean())
        if self.variance < self.min_variance:
            self.min_variance = self.variance
            self.best_step = self.step
            if self.best is None:
                self.best = out.clone()
            else:
                self.best.copy_(out)
        elif self.step - self.best_step >= self.patience and not self.should_stop:
            self.should_stop = True
            self.reason = (
                f"windowed variance (W={self.window}) had no new minimum for {self.patience} "
                f"iterations; returning iterate {self.best_step}"
            )
        return self.should_stop
