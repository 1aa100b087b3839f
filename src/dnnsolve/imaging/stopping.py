"""Ground-truth-free stopping rules of the imaging default (``early_stop="auto"``).

An untrained network first fits the image and later the noise (or, without noise, drifts away
from a natural image), so the number of iterations is a hyper-parameter nobody can set without
the answer.  These monitors stop the run from the measurement alone and choose the returned
image; the iteration budget is only a cap.

- :class:`DiscrepancyStop` (denoising): Morozov's discrepancy principle.  The clean image lies
  at distance ``σ`` (per entry) from the noisy one, so once the returned image (the output
  average) is that close, further fitting can only fit noise.  ``σ`` comes from
  :func:`estimate_noise_sigma` (patch statistics) when it is not given.
- :class:`HoldoutStop` (inpainting): a share of the observed pixels is withheld from the loss;
  the run returns the image that predicted them best and stops when that has not improved for a
  while.
- :class:`PlateauStop` (any task): stop once the returned image no longer changes, by more than a
  small relative amount over a window (super-resolution, where the fit has no noise to
  over-fit and the result settles).

All of them evaluate every ``every`` steps and only *offer* a candidate once they have stopped,
so several can be combined: the first one that stops decides, and a run that reaches the cap
returns the output average as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..core.errors import InputError
from ..core.monitors import Monitor, OutputAverage

__all__ = [
    "DiscrepancyStop",
    "HoldoutStop",
    "PlateauStop",
    "estimate_noise_sigma",
    "holdout_mask",
]

#: median absolute deviation of a standard normal variable (Φ⁻¹(3/4))
_MAD_NORMAL = 0.6744897501960817


def estimate_noise_sigma(image: torch.Tensor, patch: int = 7, max_patches: int = 40_000) -> float:
    """White Gaussian noise level of ``image`` ``(1, C, H, W)``, from the statistics of its patches.

    The method of Chen, Zhu & Heng (ICCV 2015): natural images' patches span a low-dimensional
    subspace, so the smallest eigenvalues of the patch covariance are the noise variance alone.
    Sorting them in decreasing order, the first tail whose mean is no larger than its median
    (a tail free of image content is flat) gives ``σ̂² =`` that mean.  Texture barely inflates it,
    unlike wavelet detail estimators, and on clipped noise it measures the clipped (effective)
    level, which is what a data misfit sees.  ``patch``-pixel patches on a grid of at most
    ``max_patches``; images too small for that use the finest diagonal Haar details
    (``median|HH| / 0.6745``).  It never needs the clean image.

    >>> g = torch.Generator().manual_seed(0)
    >>> flat = torch.full((1, 3, 64, 64), 0.5) + 0.1 * torch.randn(1, 3, 64, 64, generator=g)
    >>> round(estimate_noise_sigma(flat), 2)
    0.1
    """
    if image.dim() != 4 or image.shape[-1] < 2 or image.shape[-2] < 2:
        raise InputError(f"noise estimation needs a (1, C, H, W) image, got {tuple(image.shape)}")
    x = image.detach().to(torch.float64)[0]
    c, h, w = x.shape
    dims = c * patch * patch
    count = max(h - patch + 1, 0) * max(w - patch + 1, 0)
    if count < 4 * dims:
        return _haar_sigma(x)
    stride = max(1, math.ceil(math.sqrt(count / max_patches)))
    cols = x.unfold(1, patch, stride).unfold(2, patch, stride)  # (C, H', W', p, p)
    rows = cols.permute(1, 2, 0, 3, 4).reshape(-1, dims)
    rows = rows - rows.mean(0)
    eig = torch.linalg.eigvalsh(rows.T @ rows / rows.shape[0]).flip(0).clamp_min(0.0)
    for i in range(dims):
        tail = eig[i:]
        if float(tail.mean()) <= float(tail.median()):
            return math.sqrt(float(tail.mean()))
    return math.sqrt(float(eig[-1]))


def _haar_sigma(x: torch.Tensor) -> float:
    """Donoho's estimator on ``(C, H, W)``: the diagonal detail ``(a − b − c + d) / 2`` of each
    2×2 block has the noise's variance; channels averaged."""
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :h, :w]
    hh = (x[..., 0::2, 0::2] - x[..., 0::2, 1::2] - x[..., 1::2, 0::2] + x[..., 1::2, 1::2]) / 2
    per_channel = hh.abs().flatten(1).median(dim=1).values / _MAD_NORMAL
    return float(per_channel.mean())


def holdout_mask(mask: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """A random ``fraction`` of the observed pixels of ``mask`` (``(1, C, H, W)``, 1 = observed)
    as a mask of the same shape: the validation pixels of :class:`HoldoutStop`.

    >>> m = torch.ones(1, 1, 10, 10)
    >>> int(holdout_mask(m, 0.1).sum()), bool((holdout_mask(m, 0.1) <= m).all())
    (10, True)
    """
    if not 0.0 < fraction < 1.0:
        raise InputError(f"hold-out fraction must lie in (0, 1), got {fraction}")
    flat = (mask > 0.5).reshape(-1)
    observed = flat.nonzero().flatten()
    g = torch.Generator().manual_seed(int(seed))
    pick = observed[torch.randperm(len(observed), generator=g)[: int(fraction * len(observed))]]
    out = torch.zeros(flat.shape, dtype=mask.dtype)
    out[pick] = 1
    return out.reshape(mask.shape)


class _Rule(Monitor):
    """Shared plumbing: evaluate the returned image (average, else the iterate) every ``every``
    steps; remember the chosen image; offer it only once stopped."""

    def __init__(self, average: OutputAverage | None, every: int, start: int):
        if every < 1 or start < 0:
            raise InputError("a stopping rule needs every >= 1 and start >= 0")
        self.average = average
        self.every = every
        self.start = start
        self.should_stop = False
        self.reason = ""
        self.chosen: torch.Tensor | None = None
        self.chosen_step: int | None = None
        self.evaluations = 0

    def _current(self, x: torch.Tensor) -> torch.Tensor:
        v = self.average.value if self.average is not None else None
        return x if v is None else v

    def _due(self, step: int) -> bool:
        return not self.should_stop and step >= self.start and step % self.every == 0

    def _stop(self, reason: str) -> None:
        self.should_stop = True
        self.reason = reason

    def candidate(self) -> tuple[torch.Tensor, int] | None:
        if not self.should_stop or self.chosen is None or self.chosen_step is None:
            return None
        return self.chosen, self.chosen_step


class DiscrepancyStop(_Rule):
    """Stop when the returned image's data misfit reaches ``tau · σ²`` (discrepancy principle).

    ``misfit(x)`` maps relaxed solutions ``(B, n)`` to the per-restart mean squared residual
    ``|A x − y|²`` (the problem's data fidelity); the best restart counts.  The candidate is the
    image at the stopping step.

    >>> rule = DiscrepancyStop(lambda x: x.mean(1), sigma=0.5, tau=1.0, every=1)
    >>> for t, v in enumerate((1.0, 0.5, 0.2), 1):
    ...     rule.update(t, torch.full((1, 4), v), torch.zeros(1))
    >>> rule.should_stop, rule.candidate()[1]
    (True, 3)
    """

    name = "discrepancy"

    def __init__(
        self,
        misfit: Callable[[torch.Tensor], torch.Tensor],
        sigma: float,
        tau: float = 1.0,
        average: OutputAverage | None = None,
        every: int = 10,
        start: int = 0,
    ):
        super().__init__(average, every, start)
        if not (math.isfinite(sigma) and sigma >= 0) or not tau > 0:
            raise InputError(f"discrepancy rule needs sigma >= 0 and tau > 0, got {sigma}, {tau}")
        self.misfit = misfit
        self.sigma = float(sigma)
        self.tau = float(tau)
        self.last_misfit = math.nan

    @torch.no_grad()
    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if not self._due(step):
            return
        v = self._current(x)
        r = self.misfit(v)
        i = int(torch.argmin(r))
        self.last_misfit = float(r[i])
        self.evaluations += 1
        if self.last_misfit <= self.tau * self.sigma**2:
            self.chosen, self.chosen_step = v[i : i + 1].clone(), step
            self._stop(
                f"the output's misfit {self.last_misfit:.3g} reached tau * sigma^2 = "
                f"{self.tau:g} * {self.sigma:.3g}^2 (discrepancy principle); returning step {step}"
            )

    def summary(self) -> dict:
        return {"name": self.name, "sigma": self.sigma, "tau": self.tau, "every": self.every,
                "last_misfit": self.last_misfit, "stopped": self.should_stop,
                "step": self.chosen_step}  # fmt: skip


class HoldoutStop(_Rule):
    """Keep the image that best predicts withheld measurements; stop after ``patience`` steps
    without a better one (relative improvement above ``min_delta``).

    ``error(x)`` maps relaxed solutions ``(B, n)`` to the per-restart error on the withheld
    pixels.  At the cap (no stop) it offers nothing, and the run returns its usual image.

    >>> rule = HoldoutStop(lambda x: (x - 0.3).abs().mean(1), patience=2, every=1)
    >>> for t, v in enumerate((1.0, 0.5, 0.3, 0.4, 0.6, 0.7), 1):
    ...     rule.update(t, torch.full((1, 2), v), torch.zeros(1))
    >>> rule.should_stop, rule.candidate()[1], round(float(rule.candidate()[0][0, 0]), 2)
    (True, 3, 0.3)
    """

    name = "holdout"

    def __init__(
        self,
        error: Callable[[torch.Tensor], torch.Tensor],
        patience: int = 500,
        average: OutputAverage | None = None,
        every: int = 10,
        start: int = 0,
        min_delta: float = 0.0,
    ):
        super().__init__(average, every, start)
        if patience < 1 or min_delta < 0:
            raise InputError("hold-out rule needs patience >= 1 and min_delta >= 0")
        self.error = error
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.best = math.inf
        self._best: torch.Tensor | None = None
        self._best_step: int | None = None

    @torch.no_grad()
    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if not self._due(step):
            return
        v = self._current(x)
        e = self.error(v)
        i = int(torch.argmin(e))
        self.evaluations += 1
        if float(e[i]) < self.best * (1.0 - self.min_delta):
            self.best = float(e[i])
            self._best, self._best_step = v[i : i + 1].clone(), step
        elif self._best_step is not None and step - self._best_step >= self.patience:
            self.chosen, self.chosen_step = self._best, self._best_step
            self._stop(
                f"the error on the withheld pixels had no new minimum for {self.patience} steps; "
                f"returning step {self._best_step}"
            )

    def summary(self) -> dict:
        return {"name": self.name, "patience": self.patience, "every": self.every,
                "best_error": self.best if math.isfinite(self.best) else None,
                "best_step": self._best_step, "stopped": self.should_stop}  # fmt: skip


class PlateauStop(_Rule):
    """Stop when the returned image moved by less than ``tol`` (relative RMS change) over the
    last ``window`` steps; the candidate is the image at that step.

    >>> rule = PlateauStop(window=2, tol=0.01, every=1)
    >>> for t, v in enumerate((1.0, 2.0, 2.0, 2.0), 1):
    ...     rule.update(t, torch.full((1, 3), v), torch.zeros(1))
    >>> rule.should_stop, rule.candidate()[1]
    (True, 4)
    """

    name = "plateau"

    def __init__(
        self,
        window: int = 200,
        tol: float = 0.01,
        average: OutputAverage | None = None,
        every: int = 10,
        start: int = 0,
    ):
        super().__init__(average, every, start)
        if window < every or tol <= 0:
            raise InputError("plateau rule needs window >= every and tol > 0")
        self.window = int(window)
        self.tol = float(tol)
        self.change = math.nan
        self._past: list[tuple[int, torch.Tensor]] = []

    @torch.no_grad()
    def update(self, step: int, x: torch.Tensor, loss: torch.Tensor) -> None:
        if not self._due(step):
            return
        v = self._current(x)[:1].clone()
        self.evaluations += 1
        self._past.append((step, v))
        while len(self._past) > 1 and self._past[1][0] <= step - self.window:
            self._past.pop(0)
        old_step, old = self._past[0]
        if step - old_step < self.window:
            return
        self.change = float((v - old).norm() / old.norm().clamp_min(1e-12))
        if self.change < self.tol:
            self.chosen, self.chosen_step = v, step
            self._stop(
                f"the output changed by {self.change:.2%} over the last {self.window} steps "
                f"(< {self.tol:.2%}); returning step {step}"
            )

    def summary(self) -> dict:
        return {"name": self.name, "window": self.window, "tol": self.tol,
                "last_change": None if math.isnan(self.change) else self.change,
                "stopped": self.should_stop, "step": self.chosen_step}  # fmt: skip
