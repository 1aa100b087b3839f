"""Batched iterated local search over vertex sets: the walk shared by the swap searches.

:func:`iterated_local_search` runs a population of walks, one per row of a
(B, n) bool batch of sets, each proposing one neighbouring set per iteration
through a :class:`SetMoves` (the independent-set and clique swap moves of
:mod:`~dnnsolve.search.mis` and :mod:`~dnnsolve.search.clique`). The walk
owns acceptance, tabu tenures, incumbents, restarts and stopping.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

import torch

from ._common import CHECK_EVERY, read_due, read_every

_FOREVER = 1 << 30


class SetMoves(Protocol):
    """The neighbourhood of a walk over vertex sets."""

    def move(self, cur: torch.Tensor, free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One proposed feasible set per row of ``cur`` (B, n) bool, and (B,) bool: which
        rows made a perturbation (may be accepted although worse). Vertices outside
        ``free`` (B, n) bool are tabu: a move must not bring them in."""
        ...


def iterated_local_search(
    moves: SetMoves,
    cur: torch.Tensor,
    weight: torch.Tensor,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    max_iters: int | None = None,
    stall_iters: int | None = None,
    p_worse: float = 0.1,
    target: float | None = None,
    tenure: int = 7,
    min_tenure: int = 0,
    share_every: int = 50,
    max_drift: float = 2.0,
    walk_len: int | None = None,
    started: float | None = None,
) -> torch.Tensor:
    """Walk every row of ``cur`` (B, n) bool (feasible sets) by ``moves``; each row's best set.

    A proposed set is accepted if its weight (``weight`` (n,)) is not below the
    current one, a perturbation also with probability ``p_worse``. Vertices that
    left an accepted set are tabu for ``min_tenure`` + a random 0..``tenure``
    iterations. A walk restarts from its incumbent when it falls ``max_drift``
    heaviest vertices behind it, or has stayed below it for more than
    ``walk_len`` iterations; every ``share_every`` iterations the worst quarter
    of the walks restart from the best incumbent (0 disables; needs B ≥ 4).

    Stops at ``time_limit`` seconds since ``started`` (default: now; 5 s
    without ``max_iters``; an iteration that the last one's cost says would end
    past it is not begun), after ``max_iters`` iterations, after
    ``stall_iters`` iterations without improving any row (default
    max(300, 2n)), or once a row reaches ``target``.
    """
    t0 = time.perf_counter() if started is None else started
    limit = math.inf if time_limit is None and max_iters is not None else (time_limit or 5.0)
    iters = max_iters if max_iters is not None else _FOREVER
    B, n = cur.shape
    dev = cur.device
    w64 = weight.to(torch.float64)
    cur_obj = cur.to(torch.float64) @ w64
    best, best_obj = cur.clone(), cur_obj.clone()
    stall_limit = stall_iters if stall_iters is not None else max(300, 2 * n)
    wmax = float(weight.max())
    # the last iteration that improved a row, kept on the device: the stall and target tests
    # are read every pass on the CPU and every CHECK_EVERY passes elsewhere
    last_up = torch.full((), -1, dtype=torch.int64, device=dev)
    every = read_every(dev, CHECK_EVERY)
    # iteration until which a vertex may not enter again
    tabu = torch.zeros((B, n), dtype=torch.int64, device=dev)
    below = torch.zeros(B, dtype=torch.int64, device=dev)
    t_iter = 0.0  # cost of the last iteration
    for it in range(iters):
        t_it = time.perf_counter()
        if t_it - t0 + t_iter >= limit:
            break
        if read_due(it, every):
            stall, top = torch.stack([(it - 1 - last_up).double(), best_obj.max()]).tolist()
            if stall >= stall_limit or (target is not None and top >= target - 1e-9):
                break
        new, kicked = moves.move(cur, tabu < it)
        new_obj = new.to(torch.float64) @ w64
        worse_ok = kicked & (torch.rand((B, 1), generator=generator, device=dev)[:, 0] < p_worse)
        acc = (new_obj >= cur_obj - 1e-9) | worse_ok
        left = acc[:, None] & cur & ~new
        ten = torch.randint(0, tenure + 1, (B, 1), generator=generator, device=dev)
        tabu = torch.where(left, it + min_tenure + ten, tabu)
        cur = torch.where(acc[:, None], new, cur)
        cur_obj = torch.where(acc, new_obj, cur_obj)
        up = cur_obj > best_obj + 1e-9
        last_up = torch.where(up.any(), it, last_up)
        best = torch.where(up[:, None], cur, best)
        best_obj = torch.where(up, cur_obj, best_obj)
        # walks that drifted well below their incumbent restart from it
        back = cur_obj < best_obj - max_drift * wmax - 1e-9
        if walk_len is not None:
            below = torch.where(cur_obj < best_obj - 1e-9, below + 1, torch.zeros_like(below))
            back |= below > walk_len
        if share_every and B >= 4 and it % share_every == share_every - 1:
            # index_select by a (1,) tensor: indexing by a number (or a 0-dim tensor) reads it
            lead = torch.argmax(best_obj).view(1)
            worst = torch.argsort(best_obj)[: B // 4]
            best[worst] = best.index_select(0, lead)
            best_obj[worst] = best_obj.index_select(0, lead)
            back[worst] = True
        cur = torch.where(back[:, None], best, cur)
        cur_obj = torch.where(back, best_obj, cur_obj)
        if walk_len is not None:
            below = torch.where(back, torch.zeros_like(below), below)
        t_iter = time.perf_counter() - t_it
    return best
