"""Adaptive loss weights and causal weighting for PINN losses.

A PINN loss ``Σ_i λ_i L_i`` (residual, boundary, initial terms) trains badly when the terms'
gradients differ by orders of magnitude (Wang, Teng & Perdikaris, "Understanding and mitigating
gradient flow pathologies in physics-informed neural networks", SISC 2021).  Two rebalancing
rules, both per restart and computed from the gradients of each term with respect to the
network parameters every ``every`` steps:

- ``"annealing"`` (learning-rate annealing, Wang et al. 2021, Alg. 1): the residual keeps
  weight 1 and each condition ``i`` gets ``λ̂_i = max|∇L_r| / mean|∇L_i|``, smoothed as
  ``λ_i ← (1 − α) λ_i + α λ̂_i`` (α = 0.1);
- ``"grad-norm"`` (gradient-norm balancing, Wang et al., "An expert's guide to training
  physics-informed neural networks", 2023, Alg. 1): every term gets
  ``λ̂_i = Σ_j ‖∇L_j‖ / ‖∇L_i‖`` so all weighted gradients have equal norm, smoothed as
  ``λ_i ← α λ_i + (1 − α) λ̂_i`` (α = 0.9).

Causal weighting (Wang, Sankaran & Perdikaris, "Respecting causality is all you need for
training physics-informed neural networks", CMAME 2024) splits ``[t0, t1]`` into ``M`` chunks,
computes the residual loss ``L_k`` of each chunk and weights it by
``w_k = exp(−ε Σ_{j<k} L_j)`` (not differentiated), so later times only count once earlier
ones are resolved: :func:`causal_residual`.

>>> params = [torch.ones(2, 3, requires_grad=True)]
>>> terms = {"residual": (params[0] * 10).square().sum(1), "bc": params[0].sum(1)}
>>> bal = LossBalancer("grad-norm", alpha=0.0)
>>> bal.update(terms, params)
>>> [round(float(w), 3) for w in bal.weights["bc"]]  # (‖∇L_r‖ + ‖∇L_bc‖) / ‖∇L_bc‖
[201.0, 201.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..core.errors import InputError

__all__ = ["BALANCING", "LossBalancer", "causal_residual"]

#: the adaptive weighting rules (``"fixed"``: the given weights, never changed)
BALANCING = ("fixed", "annealing", "grad-norm")
_DEFAULT_ALPHA = {"annealing": 0.1, "grad-norm": 0.9}


class LossBalancer:
    """Per-restart adaptive multipliers of the loss terms (see the module doc).

    :meth:`update` takes the per-restart terms ``{name: (B,)}`` (still attached to the graph)
    and the stacked parameters ``(B, ...)`` and updates :attr:`weights` (``{name: (B,)}``,
    detached, starting at 1).  The multipliers scale the user's fixed weights.  ``frozen``
    stops updates (the L-BFGS phase needs one fixed loss).
    """

    def __init__(self, mode: str = "grad-norm", every: int = 100, alpha: float | None = None):
        if mode not in BALANCING:
            raise InputError(f"loss balancing must be one of {', '.join(BALANCING)}, got {mode!r}")
        if every < 1:
            raise InputError(f"balancing interval must be >= 1 step, got {every}")
        alpha = _DEFAULT_ALPHA.get(mode, 0.0) if alpha is None else float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise InputError(f"balancing smoothing alpha must lie in [0, 1], got {alpha}")
        self.mode, self.every, self.alpha = mode, int(every), alpha
        self.weights: dict[str, torch.Tensor] = {}
        self.frozen = False
        self.updates = 0
        self._calls = 0

    @property
    def active(self) -> bool:
        return self.mode != "fixed" and not self.frozen

    def due(self) -> bool:
        """Count one training step; is an update due at this step (the first, then every k)?"""
        self._calls += 1
        return self.active and (self._calls - 1) % self.every == 0

    def multiplier(self, name: str, like: torch.Tensor) -> torch.Tensor | float:
        w = self.weights.get(name)
        return 1.0 if w is None else w.to(like.dtype)

    def update(self, terms: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> None:
        """Recompute the multipliers from each term's parameter gradient, per restart."""
        if self.mode == "fixed" or not terms:
            return
        params = [p for p in params if p.requires_grad]
        b = next(iter(terms.values())).shape[0]
        stats = {}  # name -> (norm, mean |g|, max |g|) per restart
        for name, t in terms.items():
            grads = torch.autograd.grad(t.sum(), params, retain_graph=True, allow_unused=True)
            flat = torch.cat([
                (g if g is not None else torch.zeros_like(p)).detach().reshape(b, -1)
                for g, p in zip(grads, params)
            ], 1)  # fmt: skip
            a = flat.abs()
            stats[name] = (a.square().sum(1).sqrt(), a.mean(1), a.amax(1))
        tiny = torch.finfo(next(iter(stats.values()))[0].dtype).tiny
        if self.mode == "grad-norm":
            total = sum(s[0] for s in stats.values())
            new = {k: total / s[0].clamp_min(tiny) for k, s in stats.items()}
            keep = self.alpha
        else:  # annealing: conditions against the residual (or energy) term
            main = "residual" if "residual" in stats else next(iter(stats))
            new = {k: stats[main][2] / s[1].clamp_min(tiny) for k, s in stats.items() if k != main}
            keep = 1.0 - self.alpha
        for k, v in new.items():
            v = torch.where(torch.isfinite(v), v, torch.ones_like(v))
            old = self.weights.get(k)
            self.weights[k] = v if old is None else keep * old + (1.0 - keep) * v
        self.updates += 1

    def summary(self) -> dict:
        """The current multipliers (mean over restarts) and how often they were updated."""
        return {
            "mode": self.mode,
            "every": self.every,
            "alpha": self.alpha,
            "updates": self.updates,
            "multipliers": {k: float(v.mean()) for k, v in self.weights.items()},
        }


def causal_residual(
    r2: torch.Tensor, t: torch.Tensor, t0: float, t1: float, chunks: int, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Causally weighted residual loss per restart and the last chunk's weight.

    ``r2`` ``(B, N)`` are squared residuals at points with times ``t`` ``(N,)`` in ``[t0, t1]``.
    Returns ``(Σ_k w_k L_k / M, w_M)`` with ``L_k`` the mean of ``r2`` over chunk ``k`` (empty
    chunks count 0) and ``w_k = exp(−ε Σ_{j<k} L_j)``, not differentiated.  ``w_M`` near 1
    means the whole time interval is being trained.

    >>> r2 = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> loss, w_last = causal_residual(r2, torch.tensor([0.1, 0.3, 0.6, 0.9]), 0, 1, 2, 1.0)
    >>> round(float(loss), 4), round(float(w_last), 4)  # (1·1 + e⁻¹·0) / 2, e⁻¹
    (0.5, 0.3679)
    """
    if chunks < 1 or eps < 0:
        raise InputError(f"causal weighting needs chunks >= 1 and eps >= 0, got {chunks}, {eps}")
    b, n = r2.shape
    k = ((t.detach() - t0) / (t1 - t0) * chunks).floor().clamp(0, chunks - 1).long()
    counts = torch.zeros(chunks, dtype=r2.dtype, device=r2.device).index_add_(
        0, k, torch.ones(n, dtype=r2.dtype, device=r2.device)
    )
    sums = torch.zeros(b, chunks, dtype=r2.dtype, device=r2.device).index_add_(1, k, r2)
    per_chunk = sums / counts.clamp_min(1)
    with torch.no_grad():
        before = torch.cumsum(per_chunk, 1) - per_chunk  # Σ_{j<k} L_j
        w = torch.exp(-eps * before)
    return (w * per_chunk).mean(1), w[:, -1]
