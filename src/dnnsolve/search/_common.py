"""Helpers shared by the batched local searches: CPU threads, generators, tolerances."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch

F = TypeVar("F", bound=Callable)

#: device types on which reading a tensor on the host costs nothing (no queue to wait for)
READ_FREE_DEVICES = frozenset({"cpu"})
#: iterations of a search loop between host reads (stop tests, clock, bookkeeping)
CHECK_EVERY = 50
#: rounds of a greedy "repeat until nothing changes" loop between reads of its stop test on
#: an accelerator: rounds after convergence change nothing, but each costs a full round
ROUNDS_PER_CHECK = 4


def reads_free(device: torch.device | str) -> bool:
    """Whether reading tensors of ``device`` on the host costs nothing (the CPU).

    Reading a CUDA tensor (``bool(t.any())``, ``.item()``, ``.tolist()``, boolean-mask
    indexing) waits for all queued GPU work; once per pass of a loop, the GPU idles while
    the host launches the next pass.

    >>> reads_free("cpu"), reads_free("cuda")
    (True, False)
    """
    return torch.device(device).type in READ_FREE_DEVICES


def read_every(device: torch.device | str, every: int) -> int:
    """Loop passes between host reads of a stop test on ``device``: ``every``, or 1 where
    :func:`reads_free`.

    Such loops make the passes after their stop change nothing, so they return what they
    did before. On the CPU the extra passes (and their random draws) would cost, not the
    reads, so the CPU keeps reading every pass and seeded CPU runs stay as they were.

    >>> read_every("cpu", CHECK_EVERY), read_every("cuda", CHECK_EVERY)
    (1, 50)
    """
    return 1 if reads_free(device) else every


def read_due(step: int, every: int) -> bool:
    """Whether pass ``step`` (from 0) of a loop reading every ``every`` passes reads: the last
    of each group, so a loop done within ``every`` passes reads once.

    >>> [read_due(i, 4) for i in range(5)], read_due(0, 1)
    ([False, False, False, True, False], True)
    """
    return step % every == every - 1


@contextmanager
def one_thread(device: torch.device | str) -> Iterator[None]:
    """Run with one intra-op CPU thread (a no-op on CUDA).

    Local searches issue thousands of tiny kernels; on a busy CPU, OpenMP
    threads spin-waiting on each other made them 5–100× slower (measured on
    2 cores).
    """
    if torch.device(device).type != "cpu":
        yield
        return
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def single_thread(fn: F) -> F:
    """Decorator: :func:`one_thread` around ``fn(instance, ...)``, on ``instance.device``."""

    @functools.wraps(fn)
    def wrapper(instance, *args, **kwargs):
        with one_thread(instance.device):
            return fn(instance, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def device_generator(gen: torch.Generator | None, dev: torch.device | str) -> torch.Generator:
    """A generator on ``dev``: ``gen`` itself, or one seeded from it (0 without one).

    >>> device_generator(None, "cpu").initial_seed()
    0
    """
    if gen is not None and gen.device.type == torch.device(dev).type:
        return gen
    return torch.Generator(device=dev).manual_seed(draw_seed(gen))


def draw_seed(gen: torch.Generator | None, high: int = 2**31) -> int:
    """A seed in ``[0, high)`` drawn from ``gen`` (0 without one).

    The draw happens on the generator's own device: ``torch.randint`` without
    ``device=`` draws on the CPU and rejects a CUDA generator.

    >>> draw_seed(torch.Generator().manual_seed(0), 100), draw_seed(None)
    (44, 0)
    """
    if gen is None:
        return 0
    return int(torch.randint(high, (1,), generator=gen, device=gen.device))


def gain_tolerance(weight: torch.Tensor, size: int) -> float:
    """Gains below this count as zero (float noise summing ``size`` real-valued weights)."""
    wmax = float(weight.abs().max()) if weight.numel() else 1.0
    return 1e-9 * max(wmax, 1.0) * max(size, 1)


def tie_noise(weight: torch.Tensor) -> float:
    """Scale of random tie-breaking noise: far below any meaningful gain difference.

    >>> tie_noise(torch.tensor([2.0, -0.5, 0.0]))
    0.0005
    """
    wabs = weight.abs()
    return 1e-3 * float(wabs[wabs > 0].min()) if bool((wabs > 0).any()) else 1e-3
