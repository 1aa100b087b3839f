"""Collocation-point samplers: Sobol, Latin hypercube, uniform, and residual-based refinement.

Every sampler is reproducible from a :class:`torch.Generator`: the quasi-random engines of
:mod:`scipy.stats.qmc` (scrambled Sobol', Latin hypercube) are seeded with one integer drawn from
the generator, uniform points come from :func:`torch.rand` with the generator itself. Without a
generator, torch's global RNG is used, so :func:`torch.manual_seed` makes runs repeatable.

Points are produced in float64 and cast at the end, so a float32 and a float64 run with the same
seed see the same points (up to rounding).

Residual-based adaptive sampling (:func:`rar_select`, :func:`rad_resample`) follows Lu et al.
(RAR, SIAM Review 2021) and Wu et al. (RAD, CMAME 2023).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from dnnsolve.core.errors import InputError

if TYPE_CHECKING:
    from scipy.stats import qmc

__all__ = [
    "METHODS",
    "UnitStream",
    "check_method",
    "rad_resample",
    "rar_select",
    "sample",
]

#: Sampling methods understood by every sampler.
METHODS: tuple[str, ...] = ("sobol", "lhs", "uniform")

ArrayLike = float | Sequence[float] | np.ndarray | torch.Tensor


def check_method(method: str) -> str:
    """Normalise a sampling-method name; unknown names raise :class:`InputError`.

    >>> check_method("Sobol")
    'sobol'
    """
    name = str(method).strip().lower()
    if name not in METHODS:
        raise InputError(f"unknown sampling method {method!r} (use sobol, lhs or uniform)")
    return name


def check_count(n: int, what: str = "number of points") -> int:
    """``n`` as a non-negative int, else :class:`InputError`."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"{what} must be a non-negative integer, got {n!r}")
    return int(n)


def _seed_from(generator: torch.Generator | None) -> int:
    """One 62-bit integer from ``generator`` (or torch's global RNG) to seed a NumPy engine."""
    dev = generator.device if generator is not None else torch.device("cpu")
    return int(torch.randint(0, 2**62, (1,), generator=generator, device=dev).item())


def _qmc_engine(kind: str, d: int, seed: int) -> qmc.QMCEngine:
    from scipy.stats import qmc  # scipy.stats takes ~0.2 s to import: only when sampling

    rng = np.random.default_rng(seed)
    cls = qmc.Sobol if kind == "sobol" else qmc.LatinHypercube
    try:  # SciPy >= 1.15 names the argument ``rng``
        return cls(d, rng=rng)
    except TypeError:
        return cls(d, seed=rng)


class UnitStream:
    """Points of ``[0, 1)^d`` drawn batch after batch from one reproducible sequence.

    Sobol' batches continue one scrambled sequence (draw powers of two for its balance
    properties); each Latin-hypercube batch is a fresh hypercube; uniform batches continue the
    torch generator. Batches are float64, on the generator's device for ``"uniform"`` and on the
    CPU otherwise. ``d = 0`` gives empty ``(n, 0)`` batches.

    >>> s = UnitStream(2, "sobol", torch.Generator().manual_seed(0))
    >>> s.draw(4).shape, s.draw(4).shape
    (torch.Size([4, 2]), torch.Size([4, 2]))
    """

    def __init__(self, d: int, method: str = "sobol", generator: torch.Generator | None = None):
        self.d = check_count(d, "dimension")
        self.method = check_method(method)
        self.generator = generator
        self._engine: qmc.QMCEngine | None = None
        if self.method != "uniform" and self.d > 0:
            self._engine = _qmc_engine(self.method, self.d, _seed_from(generator))

    def draw(self, n: int) -> torch.Tensor:
        """The next ``n`` points, shape ``(n, d)``, float64."""
        n = check_count(n)
        if self.d == 0 or n == 0:
            return torch.zeros(n, self.d, dtype=torch.float64)
        if self._engine is None:
            g = self.generator
            dev = g.device if g is not None else torch.device("cpu")
            return torch.rand(n, self.d, generator=g, device=dev, dtype=torch.float64)
        with warnings.catch_warnings():
            # Sobol' warns when n is not a power of two; callers that care draw powers of two
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            u = self._engine.random(n)
        return torch.from_numpy(np.ascontiguousarray(u, dtype=np.float64))


def as_vector(v: ArrayLike, name: str) -> torch.Tensor:
    """A finite 1-D float64 CPU tensor from a scalar, sequence or tensor."""
    try:
        t = torch.as_tensor(
            v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=torch.float64
        ).reshape(-1)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InputError(f"{name} must be a number or a sequence of numbers, got {v!r}") from exc
    if t.numel() == 0:
        raise InputError(f"{name} is empty")
    if not bool(torch.isfinite(t).all()):
        raise InputError(f"{name} must be finite, got {t.tolist()}")
    return t


def sample(
    lo: ArrayLike,
    hi: ArrayLike,
    n: int,
    method: str = "sobol",
    generator: torch.Generator | None = None,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """``n`` points in the box ``[lo, hi]`` (shape ``(n, d)``) by ``"sobol"``, ``"lhs"`` or ``"uniform"``.

    ``device`` defaults to ``lo``'s device when it is a tensor, else the generator's device, else
    the CPU; ``dtype`` defaults to torch's default dtype.

    >>> g = torch.Generator().manual_seed(0)
    >>> x = sample([0.0, -1.0], [1.0, 1.0], 8, "lhs", g, dtype=torch.float64)
    >>> x.shape, bool((x[:, 1] >= -1).all() and (x[:, 1] <= 1).all())
    (torch.Size([8, 2]), True)
    """
    if device is None:
        if isinstance(lo, torch.Tensor):
            device = lo.device
        elif generator is not None:
            device = generator.device
    lo_t, hi_t = as_vector(lo, "lo"), as_vector(hi, "hi")
    if lo_t.shape != hi_t.shape:
        raise InputError(f"lo and hi differ in length ({lo_t.numel()} vs {hi_t.numel()})")
    if bool((hi_t < lo_t).any()):
        raise InputError(
            f"need lo <= hi in every dimension, got lo={lo_t.tolist()}, hi={hi_t.tolist()}"
        )
    u = UnitStream(lo_t.numel(), method, generator).draw(n).cpu()
    x = lo_t + (hi_t - lo_t) * u
    return x.to(device=device, dtype=dtype or torch.get_default_dtype())


def _pointwise_abs(residual: torch.Tensor, n: int) -> torch.Tensor:
    """|r| per point: absolute value for ``(N,)``, Euclidean norm over components for ``(N, m)``."""
    if not isinstance(residual, torch.Tensor):
        residual = torch.as_tensor(residual)
    r = residual.detach()
    if r.dim() == 2 and r.shape[1] == 1:
        r = r[:, 0]
    if r.dim() == 2:
        r = torch.linalg.vector_norm(r, dim=1)
    elif r.dim() == 1:
        r = r.abs()
    else:
        raise InputError(f"residual values must have shape (N,) or (N, m), got {tuple(r.shape)}")
    if r.shape[0] != n:
        raise InputError(f"{r.shape[0]} residual values for {n} candidate points")
    if not bool(torch.isfinite(r).all()):
        raise InputError("residual values contain NaN or inf")
    return r


def _check_candidates(candidates: torch.Tensor) -> None:
    if not isinstance(candidates, torch.Tensor) or candidates.dim() != 2:
        shape = (
            tuple(candidates.shape) if isinstance(candidates, torch.Tensor) else type(candidates)
        )
        raise InputError(f"candidate points must be an (N, d) tensor, got {shape}")


def rar_select(
    candidates: torch.Tensor,
    residual_values: torch.Tensor,
    k: int,
    *,
    return_indices: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` candidate points with the largest ``|residual|`` (RAR, greedy refinement).

    Residual-based adaptive refinement (Lu, Meng, Mao, Karniadakis, "DeepXDE: a deep learning
    library for solving differential equations", SIAM Review 63(1), 2021): evaluate the PDE
    residual on many candidate points and add the worst ones to the training set. For
    ``(N, m)`` residuals the Euclidean norm over components ranks the points. The selected
    points are returned detached, in decreasing order of residual (with their indices when
    ``return_indices``).

    >>> x = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    >>> rar_select(x, torch.tensor([0.1, -5.0, 2.0, 0.0]), 2)
    tensor([[1.],
            [2.]])
    """
    _check_candidates(candidates)
    r = _pointwise_abs(residual_values, candidates.shape[0])
    k = check_count(k, "k")
    if k > candidates.shape[0]:
        raise InputError(f"cannot select {k} points from {candidates.shape[0]} candidates")
    idx = torch.topk(r, k).indices.to(candidates.device)
    pts = candidates.detach()[idx]
    return (pts, idx) if return_indices else pts


def rad_resample(
    candidates: torch.Tensor,
    residual_values: torch.Tensor,
    n: int,
    k: float = 1.0,
    c: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    replacement: bool = False,
    return_indices: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """``n`` candidate points drawn with probability ``∝ |r|^k / mean(|r|^k) + c`` (RAD).

    Residual-based adaptive distribution of Wu, Zhu, Tan, Kartha, Lu, "A comprehensive study of
    non-adaptive and residual-based adaptive sampling for physics-informed neural networks",
    Computer Methods in Applied Mechanics and Engineering 403 (2023) 115671,
    arXiv:2207.10289. ``k`` sharpens the density around large residuals, ``c`` mixes in a
    uniform share (``k = 1, c = 1`` is the paper's robust default; ``k = 0`` or large ``c``
    is uniform resampling). Points are drawn without replacement (as in the reference
    implementation) unless ``replacement``; all-zero residuals give uniform draws. For
    ``(N, m)`` residuals ``|r|`` is the Euclidean norm over components.

    >>> x = torch.linspace(0, 1, 100)[:, None]
    >>> r = (x[:, 0] > 0.9).double() * 100
    >>> y = rad_resample(x, r, 10, k=1, c=0, generator=torch.Generator().manual_seed(0))
    >>> bool((y > 0.9).all())
    True
    """
    _check_candidates(candidates)
    r = _pointwise_abs(residual_values, candidates.shape[0]).to(torch.float64)
    n = check_count(n)
    if not (math.isfinite(k) and k >= 0) or not (math.isfinite(c) and c >= 0):
        raise InputError(f"RAD needs finite k >= 0 and c >= 0, got k={k}, c={c}")
    if candidates.shape[0] > 2**24:  # torch.multinomial's limit on categories
        raise InputError(f"RAD draws from at most 2^24 candidates, got {candidates.shape[0]}")
    if not replacement and n > candidates.shape[0]:
        raise InputError(f"cannot draw {n} distinct points from {candidates.shape[0]} candidates")
    w = r**k
    mean = w.mean()
    p = w / mean + c if float(mean) > 0 else torch.ones_like(w)
    if float(p.sum()) <= 0:  # k > 0, c = 0 and all residuals zero
        p = torch.ones_like(w)
    if n == 0:
        idx = torch.zeros(0, dtype=torch.long, device=candidates.device)
    else:
        if generator is not None:
            p = p.to(generator.device)
        idx = torch.multinomial(p, n, replacement=replacement, generator=generator)
        idx = idx.to(candidates.device)
    pts = candidates.detach()[idx]
    return (pts, idx) if return_indices else pts
