"""Seeds without global state: a fresh seed drawn from the OS, and torch's global generators
seeded for the span of one solve and restored afterwards.

Library code draws from local ``torch.Generator`` objects; the one exception is module
initialization (``nn.Linear`` and friends draw from torch's global generator), so a solve
seeds that generator inside :func:`isolated_global_rng`, which gives the caller's generator
state back on exit.

>>> import torch
>>> _ = torch.manual_seed(7); before = torch.rand(1)
>>> _ = torch.manual_seed(7)
>>> with isolated_global_rng(123, torch.device("cpu")):
...     inside = torch.rand(1)
>>> bool(torch.rand(1) == before)  # the caller's sequence goes on as if nothing happened
True
>>> 0 <= fresh_seed() < 2**31
True
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["fresh_seed", "isolated_global_rng"]


def fresh_seed(bits: int = 31) -> int:
    """A random seed from the operating system (no generator of torch or NumPy is touched)."""
    return secrets.randbits(bits)


@contextmanager
def isolated_global_rng(seed: int, device: torch.device | str = "cpu") -> Iterator[None]:
    """Seed torch's global generators with ``seed`` (CPU, and ``device`` when it is CUDA) and
    restore their former states on exit."""
    dev = torch.device(device)
    cuda = []
    if dev.type == "cuda":
        cuda = [dev.index if dev.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield
