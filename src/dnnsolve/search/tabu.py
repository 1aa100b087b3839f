"""Batched 1-flip tabu search over any incremental gain table.

The loop of :func:`tabu_loop` is shared by the binary problems whose moves
flip one variable (MaxCut, hypergraph MaxCut). A problem supplies its state
as a :class:`FlipState`: the gains of all flips, a flip that updates them, an
exact recomputation, and reading / overwriting the assignments.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

import torch

from ._common import CHECK_EVERY, device_generator

# iterations between exact recomputations of gains and values (a multiple of CHECK_EVERY,
# the iterations between clock checks and bookkeeping reads)
REFRESH_EVERY = 1000


class FlipState(Protocol):
    """Assignments (B, n) of a batch with the gain of every single flip, kept up to date."""

    cut: torch.Tensor
    """(B, 1) float objective (to maximise) of the current assignments."""

    def gains(self) -> torch.Tensor:
        """(B, n) objective change of flipping each variable (may be a reused buffer)."""
        ...

    def flip(self, k: torch.Tensor, gk: torch.Tensor) -> None:
        """Flip variable ``k[b, 0]`` of every row b, ``gk`` (B, 1) being its gain."""
        ...

    def refresh(self) -> None:
        """Recompute gains and ``cut`` exactly (drift control for real weights)."""
        ...

    def sides(self) -> torch.Tensor:
        """(B, n) bool current assignments."""
        ...

    def reset(self, rows: torch.Tensor, z: torch.Tensor) -> None:
        """Set the rows where ``rows`` (B,) is True to ``z`` (B, n) bool, then refresh."""
        ...


def tabu_loop(
    st: FlipState,
    exact_values: Callable[[torch.Tensor], torch.Tensor],
    noise_scale: float,
    time_limit: float | None = None,
    max_iters: int | None = None,
    tenure: tuple[int, int] | None = None,
    generator: torch.Generator | None = None,
    perturb_after: int | None = None,
    perturb_fraction: tuple[float, float] = (0.02, 0.08),
    patience: int | None = None,
    target: float | None = None,
    tol: float = 0.0,
    started: float | None = None,
) -> torch.Tensor:
    """1-flip tabu search with breakout perturbation from ``st``; each row's best (B, n) bool.

    Every iteration each row flips its best non-tabu variable, ties broken by
    uniform noise in [0, ``noise_scale``) redrawn every :data:`CHECK_EVERY`
    iterations; a tabu flip is allowed when it beats the row's best value
    (aspiration). A flipped variable stays tabu for ``randint(*tenure)``
    iterations (default ``[n/25, n/9] + 1``, capped at (n − 1)/2). A row without a
    new best for ``perturb_after`` iterations (default ``max(500, 3n)``) returns
    to its best and flips a random ``perturb_fraction`` share of variables.
    Stops after ``time_limit`` seconds since ``started`` (default: now),
    ``max_iters`` iterations (with neither: 20 n), ``patience`` iterations
    without a new overall best (more than ``tol`` above the last), or once a row
    reaches ``target``; all checked every :data:`CHECK_EVERY` iterations. A row
    whose best is worse than its start by more than ``tol`` under
    ``exact_values`` (B, n) bool → (B,) returns its start.

    The best assignments are only materialised every :data:`CHECK_EVERY`
    iterations, by undoing the flips made after each row's best.
    """
    t0 = time.perf_counter() if started is None else started
    g = st.gains()
    B, n = g.shape
    dev, dtype = g.device, g.dtype
    if max_iters is None and time_limit is None:
        max_iters = 20 * n
    gen = device_generator(generator, dev)
    lo, hi = tenure if tenure is not None else (n // 25 + 1, n // 9 + 1)
    cap = max(1, (n - 1) // 2)  # leave some variable free on tiny instances
    lo, hi = max(1, min(lo, cap)), max(1, min(hi, cap))
    hi = max(hi, lo)
    stall_limit = perturb_after if perturb_after is not None else max(500, 3 * n)
    fmin, fmax = perturb_fraction

    start_z = st.sides().clone()
    start = st.cut.clone()
    best = st.cut.clone()
    best_z = start_z.clone()
    best_it = torch.zeros(B, 1, dtype=torch.int64, device=dev)
    last_kick = torch.zeros(B, dtype=torch.int64, device=dev)
    tabu_until = torch.zeros(B, n, dtype=torch.int64, device=dev)
    noise = torch.empty(B, n, dtype=dtype, device=dev)
    score = torch.empty(B, n, dtype=dtype, device=dev)
    blocked = torch.empty(B, n, dtype=torch.bool, device=dev)
    thr = torch.empty(B, 1, dtype=dtype, device=dev)
    flips = torch.zeros(CHECK_EVERY, B, 1, dtype=torch.int64, device=dev)
    tenures = torch.empty(CHECK_EVERY, B, 1, dtype=torch.int64, device=dev)
    step_idx = torch.arange(CHECK_EVERY, device=dev)[:, None]

    overall, overall_it = float(best.max()), 0
    it = 0
    while True:
        if it % CHECK_EVERY == 0:
            if it:
                _catch_up_best(st.sides(), best_z, best_it, flips, step_idx, it - CHECK_EVERY)
            stuck = (it - best_it.view(-1) >= stall_limit) & (it - last_kick >= stall_limit)
            # the block's one host read: a read waits for the device's queued work
            top, any_stuck = torch.stack([best.max().double(), stuck.any().double()]).tolist()
            if max_iters is not None and it >= max_iters:
                break
            if time_limit is not None and time.perf_counter() - t0 >= time_limit:
                break
            if target is not None and top >= target - 1e-9:
                break
            if top > overall + tol:
                overall, overall_it = top, it
            elif patience is not None and it - overall_it >= patience:
                break
            if it:
                if it % REFRESH_EVERY == 0:
                    st.refresh()
                if any_stuck:
                    frac = torch.empty(B, 1, dtype=torch.float64, device=dev)
                    frac.uniform_(fmin, fmax, generator=gen)
                    u = torch.rand(B, n, generator=gen, device=dev, dtype=torch.float64)
                    st.reset(stuck, best_z ^ (u < frac))
                    tabu_until.masked_fill_(stuck[:, None], 0)
                    last_kick.masked_fill_(stuck, it)
            noise.uniform_(0, noise_scale, generator=gen)
            torch.randint(lo, hi + 1, tenures.shape, generator=gen, device=dev, out=tenures)
            tenures += step_idx.view(-1, 1, 1) + it  # entry j: tabu until it + j + tenure
        j = it % CHECK_EVERY
        g = st.gains()
        # aspiration: a tabu move is allowed when it beats this row's best
        torch.sub(best, st.cut, out=thr)
        torch.gt(tabu_until, it, out=blocked)
        blocked &= g <= thr
        torch.add(g, noise, out=score)
        score.masked_fill_(blocked, -math.inf)
        k = score.argmax(1, keepdim=True)
        st.flip(k, g.gather(1, k))
        tabu_until.scatter_(1, k, tenures[j])
        flips[j] = k
        it += 1
        best_it.masked_fill_(st.cut > best, it)
        torch.maximum(best, st.cut, out=best)

    worse = exact_values(best_z) < start.view(-1) - tol
    return torch.where(worse[:, None], start_z, best_z)


def _catch_up_best(
    z: torch.Tensor,
    best_z: torch.Tensor,
    best_it: torch.Tensor,
    flips: torch.Tensor,
    step_idx: torch.Tensor,
    block_start: int,
) -> None:
    """Copy into ``best_z`` the best assignments reached during the last block of flips.

    ``z`` holds the current assignments; ``flips[j]`` is the variable flipped at
    iteration ``block_start + j``, the state after that flip counting as
    iteration ``block_start + j + 1``. Rows without a new best keep theirs (no host read
    of whether there are any).
    """
    fresh = best_it.view(-1) > block_start
    B, n = z.shape
    # flips made after the best state, per row: undo them (parity of repeats)
    after = (step_idx + block_start + 1 > best_it.view(1, -1)).to(torch.int64)  # (L, B)
    par = torch.zeros(B, n, dtype=torch.int64, device=z.device)
    par.scatter_add_(1, flips.view(flips.shape[0], B).T, after.T)
    state = z ^ (par & 1).bool()
    best_z.copy_(torch.where(fresh[:, None], state, best_z))
