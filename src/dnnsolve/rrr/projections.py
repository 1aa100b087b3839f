"""Exact nearest-point projections, batched over a leading restart dimension.

Each class is a :class:`~dnnsolve.rrr.engine.Projection`: ``proj(x)`` returns, for every
restart ``x[b]``, the point of the set closest in the Euclidean norm (ties broken
deterministically).  They are the only primitives RRR needs, so each is kept exact:
tests compare them with brute force on small cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..core.errors import InputError
from .engine import Projection

__all__ = [
    "Affine",
    "Binary",
    "Box",
    "Consensus",
    "FourierMagnitude",
    "Hyperplane",
    "NonNegative",
    "OneHot",
    "Product",
    "Sign",
    "Simplex",
]


class Box(Projection):
    """Clamp into ``[lo, hi]`` (scalars or tensors broadcasting against one restart).

    >>> Box(0.0, 1.0)(torch.tensor([[-0.5, 0.3, 2.0]])).tolist()
    [[0.0, 0.30000001192092896, 1.0]]
    """

    name = "box"

    def __init__(self, lo: float | Tensor = 0.0, hi: float | Tensor = 1.0):
        lo_t, hi_t = torch.as_tensor(lo), torch.as_tensor(hi)
        if bool((lo_t > hi_t).any()):
            raise InputError("Box needs lo <= hi")
        self.lo, self.hi = lo_t, hi_t

    def __call__(self, x: Tensor) -> Tensor:
        lo = self.lo.to(device=x.device, dtype=x.dtype)
        hi = self.hi.to(device=x.device, dtype=x.dtype)
        return torch.minimum(torch.maximum(x, lo), hi)


class NonNegative(Projection):
    """The nonnegative orthant: ``max(x, 0)``.

    >>> NonNegative()(torch.tensor([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    name = "nonneg"

    def __call__(self, x: Tensor) -> Tensor:
        return x.clamp(min=0)


class Sign(Projection):
    """The hypercube vertices ``{-1, +1}^n`` (ties at 0 go to +1).

    >>> Sign()(torch.tensor([[-0.2, 0.0, 3.0]])).tolist()
    [[-1.0, 1.0, 1.0]]
    """

    name = "sign"

    def __call__(self, x: Tensor) -> Tensor:
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class Binary(Projection):
    """The 0/1 vertices ``{0, 1}^n`` (ties at 1/2 go to 1).

    >>> Binary()(torch.tensor([[0.2, 0.5, 0.9]])).tolist()
    [[0.0, 1.0, 1.0]]
    """

    name = "binary"

    def __call__(self, x: Tensor) -> Tensor:
        return (x >= 0.5).to(x.dtype)


class OneHot(Projection):
    """Vertices of the simplex (one-hot vectors) along ``dim``: the argmax entry becomes 1.

    ``||x - e_i||^2 = ||x||^2 - 2 x_i + 1``, so the nearest one-hot vector is at the
    largest entry (the first one on ties).

    >>> OneHot()(torch.tensor([[0.2, 0.7, 0.1]])).tolist()
    [[0.0, 1.0, 0.0]]
    """

    name = "onehot"

    def __init__(self, dim: int = -1):
        self.dim = dim

    def __call__(self, x: Tensor) -> Tensor:
        idx = x.argmax(dim=self.dim, keepdim=True)
        return torch.zeros_like(x).scatter_(self.dim, idx, 1.0)


class Simplex(Projection):
    """The probability simplex ``{y >= 0, sum y = 1}`` along ``dim`` (sort-based, exact).

    >>> Simplex()(torch.tensor([[0.5, 1.5, 0.0]])).tolist()
    [[0.0, 1.0, 0.0]]
    >>> Simplex()(torch.tensor([[0.5, 0.9, 0.0]])).tolist()
    [[0.30000001192092896, 0.699999988079071, 0.0]]
    """

    name = "simplex"

    def __init__(self, dim: int = -1, total: float = 1.0):
        self.dim, self.total = dim, float(total)

    def __call__(self, x: Tensor) -> Tensor:
        xt = x.movedim(self.dim, -1)
        n = xt.shape[-1]
        u, _ = torch.sort(xt, dim=-1, descending=True)
        css = u.cumsum(-1) - self.total
        k = torch.arange(1, n + 1, device=x.device, dtype=x.dtype)
        cond = u - css / k > 0
        rho = cond.to(torch.long).cumsum(-1).argmax(-1, keepdim=True)  # last True
        theta = css.gather(-1, rho) / (rho + 1).to(x.dtype)
        return (xt - theta).clamp(min=0).movedim(-1, self.dim)


class Affine(Projection):
    """The affine subspace ``{y : M y = b}`` of the flattened restart (cached factorization).

    ``P(x) = x - M^T (M M^T)^+ (M x - b)``; the pseudo-inverse of ``M M^T`` is computed
    once, so redundant (rank-deficient) but consistent rows are fine.

    >>> p = Affine(torch.tensor([[1.0, 1.0]]), torch.tensor([1.0]))
    >>> p(torch.tensor([[1.0, 1.0]])).tolist()
    [[0.5, 0.5]]
    """

    name = "affine"

    def __init__(self, matrix: Tensor, rhs: Tensor, rcond: float = 1e-10):
        m = torch.as_tensor(matrix, dtype=torch.float64)
        b = torch.as_tensor(rhs, dtype=torch.float64).reshape(-1)
        if m.dim() != 2 or m.shape[0] != b.shape[0]:
            raise InputError(
                "Affine needs a 2-D matrix and a right-hand side with one entry per row"
            )
        gram_pinv = torch.linalg.pinv(m @ m.T, hermitian=True, rtol=rcond)
        resid = m @ (m.T @ (gram_pinv @ b)) - b
        worst = float(resid.abs().amax()) if resid.numel() else 0.0
        scale = 1.0 + (float(b.abs().amax()) if b.numel() else 0.0)
        if worst > 1e-6 * scale:
            raise InputError("Affine constraints are inconsistent (M y = b has no solution)")
        self.m, self.b, self.gram_pinv = m, b, gram_pinv
        self._cache: dict = {}

    def _tensors(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        key = (x.device, x.dtype)
        if key not in self._cache:
            self._cache[key] = tuple(
                t.to(device=x.device, dtype=x.dtype) for t in (self.m, self.b, self.gram_pinv)
            )
        return self._cache[key]

    def __call__(self, x: Tensor) -> Tensor:
        m, b, gp = self._tensors(x)
        flat = x.reshape(x.shape[0], -1)
        r = flat @ m.T - b
        return (flat - (r @ gp) @ m).reshape(x.shape)


class Hyperplane(Affine):
    """The hyperplane ``{y : a . y = c}`` (one-row :class:`Affine`).

    >>> Hyperplane(torch.tensor([0.0, 2.0]), 2.0)(torch.tensor([[3.0, 0.0]])).tolist()
    [[3.0, 1.0]]
    """

    name = "hyperplane"

    def __init__(self, normal: Tensor, offset: float):
        a = torch.as_tensor(normal, dtype=torch.float64).reshape(1, -1)
        if float(a.norm()) == 0.0:
            raise InputError("Hyperplane needs a nonzero normal")
        super().__init__(a, torch.tensor([float(offset)]))


class Product(Projection):
    """Product set: independent projections on blocks of the flattened restart.

    ``blocks`` is a list of ``(index, projection, shape)``: ``index`` a slice or 1-D index
    tensor into the flattened restart, ``shape`` the per-restart shape the projection
    sees (``None``: flat).  Entries in no block are left unchanged.

    >>> p = Product([(slice(0, 2), Sign(), None), (slice(2, 4), NonNegative(), None)])
    >>> p(torch.tensor([[-0.3, 0.4, -1.0, 5.0]])).tolist()
    [[-1.0, 1.0, 0.0, 5.0]]
    """

    name = "product"

    def __init__(self, blocks: Sequence[tuple[slice | Tensor, object, tuple[int, ...] | None]]):
        self.blocks = list(blocks)

    def __call__(self, x: Tensor) -> Tensor:
        flat = x.reshape(x.shape[0], -1)
        out = flat.clone()
        for index, proj, shape in self.blocks:
            if isinstance(index, Tensor):
                index = index.to(x.device)
            part = flat[:, index]
            if shape is not None:
                part = part.reshape(x.shape[0], *shape)
            out[:, index] = proj(part).reshape(x.shape[0], -1)
        return out.reshape(x.shape)


class Consensus(Projection):
    """Replicas of the same variable must agree: weighted average within each group.

    ``groups[i]`` is the variable id of entry ``i`` along ``dim`` (the replicas); every
    replica is replaced by the weighted mean of its group (the projection onto
    "all replicas equal" in the metric weighted by ``weights``).  Entries of the other
    dimensions are treated independently.

    >>> Consensus(torch.tensor([0, 0, 1]))(torch.tensor([[1.0, 3.0, 5.0]])).tolist()
    [[2.0, 2.0, 5.0]]
    """

    name = "consensus"

    def __init__(self, groups: Tensor, weights: Tensor | None = None, dim: int = 1):
        g = torch.as_tensor(groups, dtype=torch.long).reshape(-1)
        if g.numel() and int(g.min()) < 0:
            raise InputError("Consensus group ids must be >= 0")
        self.groups = g
        self.n_groups = int(g.max()) + 1 if g.numel() else 0
        w = (
            torch.ones(g.shape[0], dtype=torch.float64)
            if weights is None
            else torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
        )
        if w.shape != g.shape or bool((w <= 0).any()):
            raise InputError("Consensus weights need one positive entry per replica")
        self.weights = w
        self.dim = dim
        self._cache: dict = {}

    def _tensors(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        key = (x.device, x.dtype)
        if key not in self._cache:
            g = self.groups.to(x.device)
            w = self.weights.to(device=x.device, dtype=x.dtype)
            tot = torch.zeros(self.n_groups, device=x.device, dtype=x.dtype).index_add_(0, g, w)
            self._cache[key] = (g, w, tot)
        return self._cache[key]

    def mean(self, x: Tensor) -> Tensor:
        """The group means, shape ``x`` with ``dim`` replaced by the number of groups."""
        g, w, tot = self._tensors(x)
        xt = x.movedim(self.dim, 0)
        wshape = (-1,) + (1,) * (xt.dim() - 1)
        s = torch.zeros((self.n_groups, *xt.shape[1:]), device=x.device, dtype=x.dtype)
        s.index_add_(0, g, xt * w.reshape(wshape))
        return (s / tot.reshape(wshape)).movedim(0, self.dim)

    def __call__(self, x: Tensor) -> Tensor:
        g, _, _ = self._tensors(x)
        m = self.mean(x).movedim(self.dim, 0)
        return m[g].movedim(0, self.dim)


class FourierMagnitude(Projection):
    """Real signals (last dim, length ``n``) whose DFT magnitudes are ``magnitude``.

    Each Fourier coefficient keeps its phase and takes the prescribed modulus (phase 0
    where the coefficient vanishes); the DFT is unitary up to scale, so this is the
    exact nearest point.  ``magnitude`` has the ``n // 2 + 1`` entries of ``rfft``.

    >>> x = torch.tensor([[1.0, -1.0, 1.0, 1.0]])
    >>> p = FourierMagnitude(torch.fft.rfft(x[0]).abs(), 4)
    >>> torch.allclose(p(x), x)
    True
    """

    name = "fourier_magnitude"

    def __init__(self, magnitude: Tensor, n: int):
        mag = torch.as_tensor(magnitude, dtype=torch.float64).reshape(-1)
        if mag.shape[0] != n // 2 + 1:
            raise InputError(f"FourierMagnitude needs n // 2 + 1 = {n // 2 + 1} magnitudes")
        if bool((mag < 0).any()):
            raise InputError("Fourier magnitudes must be >= 0")
        self.magnitude, self.n = mag, int(n)

    def __call__(self, x: Tensor) -> Tensor:
        f = torch.fft.rfft(x, n=self.n, dim=-1)
        mag = self.magnitude.to(device=x.device, dtype=x.dtype)
        a = f.abs()
        phase = torch.where(a > 0, f / a.clamp(min=torch.finfo(x.dtype).tiny), torch.ones_like(f))
        return torch.fft.irfft(phase * mag, n=self.n, dim=-1)
