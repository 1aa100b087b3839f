"""Exact projections of "Learning Without Loss" (Elser, arXiv 1911.00493), vectorized.

Every function returns the nearest point of its constraint set in the (weighted) Euclidean
metric stated in its docstring, batched over any leading dimensions (restarts, items, neurons).
These are the only primitives of RRR training: the divide-and-concur layouts in
:mod:`.network` and :mod:`.nmf` call them on views of their state.
"""

from __future__ import annotations

import torch

#: safeguarded-Newton limits for the bilinear multiplier (the paper's code uses 50 / 1e-12)
NEWTON_ITER = 60
NEWTON_TOL = 1e-13


def _h(p, q, c, k, u):
    """h0(u) = [p(1+u^2) + q u]/(1-u^2)^2 - c + k u and its derivative (k = (Omega/g)^2)."""
    u2 = u * u
    den = 1.0 - u2
    num = p * (1.0 + u2) + q * u
    f = num / (den * den) - c + k * u
    df = (2.0 * p * u + q) / (den * den) + 4.0 * u * num / (den * den * den) + k
    return f, df


def bilinear_multiplier(
    p: torch.Tensor,
    q: torch.Tensor,
    c: torch.Tensor,
    k: torch.Tensor | float,
    u0: torch.Tensor | None = None,
) -> torch.Tensor:
    """The root u in (-1, 1) of h0(u) = 0 by Newton from u = 0, safeguarded by bisection.

    ``u0`` (optional, same shape) is a starting guess, e.g. the previous RRR iteration's root:
    the root is unique, so the start changes only the number of Newton steps.

    h0 is increasing on (-1, 1) when q >= 2|p| (always true for q = |x|^2 + |w|^2, p = x.w),
    so a bracket [lo, hi] is kept and a Newton step leaving it is replaced by its midpoint.

    >>> t = torch.tensor
    >>> u = bilinear_multiplier(t([0.0]), t([2.0]), t([1.0]), 0.0)  # 2u/(1-u^2)^2 = 1
    >>> round(float(u), 6)
    0.371507
    """
    k = torch.as_tensor(k, dtype=p.dtype, device=p.device)
    u = torch.zeros_like(p) if u0 is None or u0.shape != p.shape else u0.clamp(-0.999, 0.999)
    lo = torch.full_like(p, -1.0)
    hi = torch.full_like(p, 1.0)
    for _ in range(NEWTON_ITER):
        f, df = _h(p, q, c, k, u)
        pos = f > 0
        hi = torch.where(pos, u, hi)
        lo = torch.where(pos, lo, u)
        step = f / torch.where(df > 0, df, torch.ones_like(df))
        un = u - step
        bad = (un < lo) | (un > hi) | (df <= 0) | ~torch.isfinite(un)
        un = torch.where(bad, 0.5 * (lo + hi), un)
        # done: the Newton correction or the bracket is below the tolerance (or f is exactly 0)
        done = (step.abs() < NEWTON_TOL) | (hi - lo < NEWTON_TOL) | (f == 0)
        u = torch.where(done, u, un)
        if bool(done.all()):
            break
    return u


def bilinear_project(
    x: torch.Tensor,
    w: torch.Tensor,
    y: torch.Tensor | None,
    omega: float = 1.0,
    g2: torch.Tensor | float | None = None,
    c: torch.Tensor | None = None,
    cache: dict | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Nearest point of {(x', w', y') : x'.w' = omega * y'} (paper App. B).

    Metric: |x'-x|^2 + |w'-w|^2 + g2 (y'-y)^2, vectors along the last dimension, y and g2
    broadcast over the leading ones. With ``y=None`` the right side is the fixed value ``c``
    (g -> infinity; the NMF case x'.w' = c). ``cache`` (a dict) keeps the last multipliers as
    the next call's Newton start (same result, fewer steps inside RRR). Solution: x' = (x + u w)/(1-u^2),
    w' = (w + u x)/(1-u^2), y' = y - u omega / g2 with u the root of :func:`bilinear_multiplier`.

    >>> x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    >>> w = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    >>> xp, wp, _ = bilinear_project(x, w, None, c=torch.tensor([0.5], dtype=torch.float64))
    >>> round(float((xp * wp).sum()), 9)
    0.5
    """
    p = (x * w).sum(-1)
    q = (x * x).sum(-1) + (w * w).sum(-1)
    if y is None:
        if c is None:
            raise ValueError("bilinear_project needs y or c")
        u = bilinear_multiplier(p, q, c, 0.0, None if cache is None else cache.get("u"))
        yp = None
    else:
        g2t = torch.as_tensor(1.0 if g2 is None else g2, dtype=x.dtype, device=x.device)
        k = omega * omega / g2t
        u = bilinear_multiplier(p, q, omega * y, k, None if cache is None else cache.get("u"))
        yp = y - u * omega / g2t
    if cache is not None:
        cache["u"] = u
    den = (1.0 - u * u).unsqueeze(-1)
    uu = u.unsqueeze(-1)
    return (x + uu * w) / den, (w + uu * x) / den, yp


def _split_z(y: torch.Tensor, b: torch.Tensor, z_new: torch.Tensor):
    """Move y and b equally and oppositely so that y - b becomes z_new (nearest such pair)."""
    d = 0.5 * (z_new - (y - b))
    return y + d, b - d


def relu_project(
    x: torch.Tensor,
    y: torch.Tensor,
    b: torch.Tensor,
    a: torch.Tensor | float,
    cw: torch.Tensor | float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Nearest point of {x' = max(0, y' - b')}; metric a(x'-x)^2 + cw[(y'-y)^2 + (b'-b)^2].

    Only z = y - b matters (weight cw/2 on z); the closer of the "off" branch (x'=0, z'<=0)
    and the "on" branch (x' = z' >= 0, weighted mean of x and z) wins.

    >>> t = torch.tensor
    >>> [round(float(v), 6) for v in relu_project(t([1.0]), t([0.0]), t([0.0]), 1.0, 1.0)]
    [0.666667, 0.333333, -0.333333]
    """
    z = y - b
    h = 0.5 * cw
    # off branch
    z_off = torch.clamp(z, max=0.0)
    d_off = a * x * x + h * (z - z_off) ** 2
    # on branch (clipped to t >= 0)
    t = torch.clamp((a * x + h * z) / (a + h), min=0.0)
    d_on = a * (t - x) ** 2 + h * (t - z) ** 2
    on = d_on < d_off
    x_new = torch.where(on, t, torch.zeros_like(x))
    z_new = torch.where(on, t, z_off)
    y_new, b_new = _split_z(y, b, z_new)
    return x_new, y_new, b_new


def step_project(
    x: torch.Tensor,
    y: torch.Tensor,
    b: torch.Tensor,
    a: torch.Tensor | float,
    cw: torch.Tensor | float,
    margin: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Nearest point of the gapped step {x'=0, y'-b' <= -m} U {x'=1, y'-b' >= m}.

    Metric as in :func:`relu_project`. m = ``margin`` (half the gap).

    >>> t = torch.tensor
    >>> [float(v) for v in step_project(t([0.9]), t([0.0]), t([0.0]), 1.0, 1.0, 0.5)]
    [1.0, 0.25, -0.25]
    """
    z = y - b
    h = 0.5 * cw
    z0 = torch.clamp(z, max=-margin)
    z1 = torch.clamp(z, min=margin)
    d0 = a * x * x + h * (z - z0) ** 2
    d1 = a * (x - 1.0) ** 2 + h * (z - z1) ** 2
    one = d1 < d0
    x_new = one.to(x.dtype)
    y_new, b_new = _split_z(y, b, torch.where(one, z1, z0))
    return x_new, y_new, b_new


def interval_project(
    y: torch.Tensor, b: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest point of {lo <= y' - b' <= hi} with equal weights on y and b.

    The class constraint is the case lo = Delta, hi = inf at the true class and
    lo = -inf, hi = 0 elsewhere (:func:`class_bounds`).

    >>> t = torch.tensor
    >>> [float(v) for v in interval_project(t([0.0]), t([0.0]), t([0.5]), t([1.0]))]
    [0.25, -0.25]
    """
    z = y - b
    return _split_z(y, b, torch.minimum(torch.maximum(z, lo), hi))


def class_bounds(
    labels: torch.Tensor, n_classes: int, delta: float, dtype=torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    """(lo, hi) of the class constraint: y-b >= delta at the label, y-b <= 0 at the others.

    >>> lo, hi = class_bounds(torch.tensor([1]), 3, 0.1)
    >>> lo.tolist(), hi.tolist()
    ([[-inf, 0.1, -inf]], [[0.0, inf, 0.0]])
    """
    onehot = torch.nn.functional.one_hot(labels.long(), n_classes).to(dtype).bool()
    inf = torch.tensor(float("inf"), dtype=dtype, device=labels.device)
    lo = torch.where(onehot, torch.tensor(delta, dtype=dtype, device=labels.device), -inf)
    hi = torch.where(onehot, inf, torch.zeros((), dtype=dtype, device=labels.device))
    return lo, hi


def sphere_project(w: torch.Tensor, omega: float, nonneg: bool = False) -> torch.Tensor:
    """Nearest point of {|w'| = omega} (and w' >= 0 when ``nonneg``) along the last dimension.

    Non-negative case: zero the negatives and rescale; when nothing is positive the nearest
    point puts omega at the largest entry. A zero vector goes to omega * e_1 (any point is
    nearest).

    >>> sphere_project(torch.tensor([[3.0, -4.0]]), 1.0, nonneg=True).tolist()
    [[1.0, 0.0]]
    """
    if nonneg:
        v = torch.clamp(w, min=0.0)
        norm = v.norm(dim=-1, keepdim=True)
        fallback = torch.nn.functional.one_hot(w.argmax(-1), w.shape[-1]).to(w.dtype) * omega
        return torch.where(norm > 0, omega * v / torch.where(norm > 0, norm, 1.0), fallback)
    norm = w.norm(dim=-1, keepdim=True)
    e1 = torch.zeros_like(w)
    e1[..., 0] = omega
    return torch.where(norm > 0, omega * w / torch.where(norm > 0, norm, 1.0), e1)


def consensus(copies: torch.Tensor, dim: int, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted mean of the copies along ``dim`` (Lemma 4.1: the nearest common value).

    The projection of copies z_i (metric sum_i m_i |z_i' - z_i|^2) onto {all equal} sets every
    copy to the m-weighted mean; a side constraint is then projected with the total weight.

    >>> consensus(torch.tensor([[1.0, 3.0]]), 1).tolist()
    [2.0]
    """
    if weights is None:
        return copies.mean(dim)
    return (copies * weights).sum(dim) / weights.sum(dim)
