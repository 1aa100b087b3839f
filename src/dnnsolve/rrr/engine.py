"""Batched relaxed-reflect-reflect (RRR) iteration on torch.

RRR (Elser) looks for a point in the intersection of two sets A and B given only
their exact projections.  One iteration is

    x <- x + beta * [P_B(2 P_A(x) - x) - P_A(x)]

(beta = 1 is Douglas-Rachford).  At a fixed point P_A(x) lies in both sets, so the
solution is read off as ``P_A(x)``, never ``x`` itself.  The *gap*
``||P_B(2 P_A x - x) - P_A x||`` is the progress measure; it is not monotone.

The generalized ("difference map") form with parameter ``gamma``

    x <- x + beta * [P_B((1+gamma) P_A(x) - gamma x) - P_A((1-gamma) P_B(x) + gamma x)]

reduces to the form above for ``gamma = 1`` and costs four projections instead of two.

Everything is batched over a leading *restart* dimension ``B``: each restart is an
independent run, frozen as soon as it is solved, so many random restarts cost one
tensor program (CPU or CUDA alike).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..core.errors import InputError, NumericalError
from ..core.watch import RunWatch

__all__ = ["RRR", "FunctionProjection", "Projection", "RRRRun", "batch_norm"]


def batch_norm(x: Tensor) -> Tensor:
    """Euclidean norm of each restart: reduce every dimension but the first.

    >>> batch_norm(torch.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [5.0, 1.0]
    """
    return torch.linalg.vector_norm(x.reshape(x.shape[0], -1), dim=1)


class Projection(ABC):
    """Nearest-point map onto a set, batched over a leading restart dimension.

    Subclasses implement :meth:`__call__` (``x`` of shape ``(B, ...)`` to a tensor of the
    same shape).  Projections are plain callables, so any function works where a
    ``Projection`` is expected; the class only adds composition helpers and a name.
    """

    name: str = "projection"

    @abstractmethod
    def __call__(self, x: Tensor) -> Tensor:
        """The nearest point of the set, restart by restart."""

    def distance(self, x: Tensor) -> Tensor:
        """Distance from each restart of ``x`` to the set, shape ``(B,)``."""
        return batch_norm(self(x) - x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FunctionProjection(Projection):
    """Wrap a plain function as a :class:`Projection`.

    >>> p = FunctionProjection(lambda x: x.clamp(min=0), name="nonneg")
    >>> p(torch.tensor([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, fn: Callable[[Tensor], Tensor], name: str = "function"):
        self.fn = fn
        self.name = name

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def __repr__(self) -> str:
        return f"FunctionProjection({self.name!r})"


@dataclass
class RRRRun:
    """Outcome of :meth:`RRR.run`.

    ``x`` is the final iterate (B, ...), ``solution = P_A(x)`` the point read off each
    restart, ``gap`` the last gap of each restart (B,), ``solved`` whether the restart
    stopped on the gap tolerance or on ``is_solved`` (B,), ``iterations`` how many
    iterations each restart ran (B,).  ``stop_reason`` is ``"solved"`` (every restart
    solved), ``"first_solved"`` (``stop_on_first``), ``"max_iter"``, ``"time_limit"``,
    ``"callback"`` or ``"interrupted"`` (Ctrl-C; the state so far is returned).
    ``history`` rows: ``{"step", "gap_min", "gap_median", "active", "solved", "time_s"}``.
    """

    x: Tensor
    solution: Tensor
    gap: Tensor
    solved: Tensor
    iterations: Tensor
    stop_reason: str
    history: list[dict] = field(default_factory=list)
    time_s: float = 0.0

    @property
    def n_solved(self) -> int:
        """Number of solved restarts."""
        return int(self.solved.sum().item())

    @property
    def best(self) -> int:
        """Index of the restart to report: the first solved one, else the smallest gap."""
        if bool(self.solved.any()):
            return int(torch.nonzero(self.solved)[0, 0].item())
        return int(torch.argmin(self.gap).item())


class RRR:
    """The RRR iteration for the sets behind ``project_a`` and ``project_b``.

    ``beta`` is the step (0 < beta <= 2; Elser uses 0.3-0.5 on hard non-convex
    problems, 1 is Douglas-Rachford); ``gamma`` selects the generalized form
    (``None`` or 1: the standard two-projection update).

    Find a point of the probability simplex: A = nonnegative orthant, B = {sum(x) = 1}:

    >>> import torch
    >>> nonneg = lambda x: x.clamp(min=0)
    >>> plane = lambda x: x - (x.sum(dim=1, keepdim=True) - 1) / x.shape[1]
    >>> run = RRR(nonneg, plane, beta=1.0).run(torch.tensor([[0.9, -0.2, 2.0], [3.0, 1.0, 0.5]]))
    >>> run.solved.tolist(), run.solution.sum(dim=1).round(decimals=4).tolist()
    ([True, True], [1.0, 1.0])
    >>> bool((run.solution >= 0).all())
    True
    """

    def __init__(
        self,
        project_a: Callable[[Tensor], Tensor],
        project_b: Callable[[Tensor], Tensor],
        beta: float = 0.5,
        gamma: float | None = None,
    ):
        if not (isinstance(beta, (int, float)) and 0.0 < float(beta) <= 2.0):
            raise InputError(f"beta must be in (0, 2], got {beta!r}")
        if gamma is not None and not (isinstance(gamma, (int, float)) and math.isfinite(gamma)):
            raise InputError(f"gamma must be a finite number, got {gamma!r}")
        self.project_a = project_a
        self.project_b = project_b
        self.beta = float(beta)
        self.gamma = None if gamma is None or float(gamma) == 1.0 else float(gamma)

    def difference(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(D, P_A x)`` where the update is ``x + beta * D`` and the gap is ``||D||``."""
        pa = self.project_a(x)
        if self.gamma is None:
            d = self.project_b(2.0 * pa - x) - pa
            return d, pa
        g = self.gamma
        pb = self.project_b(x)
        fa = self.project_b((1.0 + g) * pa - g * x)
        fb = self.project_a((1.0 - g) * pb + g * x)
        return fa - fb, pa

    def step(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """One iteration on every restart: ``(new x, gap (B,))``."""
        d, _ = self.difference(x)
        return x + self.beta * d, batch_norm(d)

    def run(
        self,
        x0: Tensor,
        *,
        max_iter: int = 10000,
        tol: float = 1e-6,
        time_limit: float | None = None,
        record_every: int = 10,
        callback: Callable[[int, Tensor], bool | None] | None = None,
        is_solved: Callable[[Tensor], Tensor] | None = None,
        check_every: int = 1,
        stop_on_first: bool = False,
    ) -> RRRRun:
        """Iterate from ``x0`` (B, ...) until every restart is solved or a limit is hit.

        A restart freezes when its gap drops below ``tol`` or ``is_solved(P_A x)`` (a
        (B,) bool tensor, checked every ``check_every`` iterations) says so.
        ``callback(step, x)`` runs after every iteration; returning ``True`` stops the run.
        ``stop_on_first`` ends the run as soon as any restart is solved.
        """
        if x0.dim() < 1 or x0.shape[0] < 1:
            raise InputError("x0 needs a leading restart dimension of size >= 1")
        if max_iter < 0:
            raise InputError(f"max_iter must be >= 0, got {max_iter}")
        if time_limit is not None and time_limit <= 0:
            raise InputError(f"time_limit must be > 0, got {time_limit}")
        record_every = max(1, int(record_every))
        check_every = max(1, int(check_every))
        watch = RunWatch(time_limit, reason="max_iter")
        x = x0.clone()
        nb = x.shape[0]
        dev = x.device
        gap = torch.full((nb,), float("inf"), device=dev, dtype=x.dtype)
        solved = torch.zeros(nb, dtype=torch.bool, device=dev)
        iters = torch.zeros(nb, dtype=torch.long, device=dev)
        active = torch.arange(nb, device=dev)

        def record(step: int) -> None:
            g = gap[torch.isfinite(gap)]
            watch.record(
                {
                    "step": step,
                    "gap_min": float(g.min()) if g.numel() else None,
                    "gap_median": float(g.median()) if g.numel() else None,
                    "active": int(active.numel()),
                    "solved": int(solved.sum()),
                    "time_s": watch.elapsed,
                }
            )

        if is_solved is not None and max_iter > 0:
            done0 = is_solved(self.project_a(x)).to(torch.bool)
            solved |= done0
            active = torch.nonzero(~solved).flatten()
        step = 0
        with watch.running():
            while step < max_iter and active.numel() > 0:
                full = active.numel() == nb
                xa = x if full else x[active]
                d, pa = self.difference(xa)
                g = batch_norm(d)
                if not bool(torch.isfinite(g).all()):
                    raise NumericalError("RRR iterate became non-finite (NaN/inf gap)")
                step += 1
                if full:
                    gap.copy_(g)
                    iters += 1
                else:
                    gap[active] = g
                    iters[active] += 1
                # a restart is done when the point it reads off (P_A of the current x) is a
                # solution; it then keeps this x, so the final P_A(x) is exactly that point
                done = g < tol
                if is_solved is not None and step % check_every == 0:
                    done = done | is_solved(pa).to(torch.bool)
                keep = ~done
                if full and not bool(done.any()):
                    x.add_(d, alpha=self.beta)
                else:
                    x[active[keep]] = xa[keep] + self.beta * d[keep]
                if bool(done.any()):
                    solved[active[done]] = True
                    active = active[keep]
                if step % record_every == 0:
                    record(step)
                if stop_on_first and bool(solved.any()):
                    watch.stop("first_solved")
                    break
                if callback is not None and callback(step, x):
                    watch.stop("callback")
                    break
                if watch.out_of_time():
                    watch.stop("time_limit")
                    break
            else:
                watch.stop("solved" if active.numel() == 0 else "max_iter")
        if not watch.history or watch.history[-1]["step"] != step:
            record(step)
        solution = self.project_a(x)
        return RRRRun(
            x=x,
            solution=solution,
            gap=gap,
            solved=solved,
            iterations=iters,
            stop_reason=watch.stop_reason,
            history=watch.history,
            time_s=watch.elapsed,
        )
