"""Classical image-restoration baselines for the imaging benchmarks.

Every function takes and returns ``(1, C, H, W)`` float tensors with values in ``[0, 1]`` (the
layout of :func:`dnnsolve.imaging.read_image`) and reports its wall time:

- :func:`bm3d_denoise`: BM3D (gray) / CBM3D (colour, opponent colour space) from the ``bm3d``
  package, given the true noise level (the usual oracle-σ protocol).
- :func:`tv_denoise`: Chambolle's TV denoising (:func:`skimage.restoration.denoise_tv_chambolle`)
  with the weight from :func:`tv_weight`.
- :func:`bicubic_upsample`: the DIP protocol's bicubic baseline, Pillow's ``BICUBIC`` resize of
  the low-resolution image (Keys' kernel, ``a = -0.5``), computed in float (no 8-bit rounding).
- :func:`tv_reconstruct`: TV-regularized reconstruction for any linear
  :class:`~dnnsolve.imaging.operators.Operator` (inpainting, super-resolution, deblurring, MRI,
  CT): a smooth start by conjugate gradients, then Adam on ``‖A x − y‖² / (L N) + λ TV(x)``.

>>> import torch
>>> from dnnsolve.imaging import Inpainting, example_image, psnr, read_image
>>> clean = read_image(example_image("camera"))[..., 200:232, 200:232]
>>> op = Inpainting.random((32, 32), missing=0.5, seed=0)
>>> out = tv_reconstruct(op(clean), op, iterations=50)
>>> out.image.shape, bool(psnr(out.image, clean) > psnr(op(clean), clean) + 10)
(torch.Size([1, 1, 32, 32]), True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..core.errors import InputError

__all__ = [
    "TV_LAMBDA",
    "TV_WEIGHT_RULE",
    "ImageBaseline",
    "bicubic_upsample",
    "bm3d_available",
    "bm3d_denoise",
    "tv_denoise",
    "tv_reconstruct",
    "tv_super_resolve",
    "tv_weight",
]

#: how :func:`tv_weight` was chosen (quoted in the benchmark reports)
TV_WEIGHT_RULE = (
    "skimage denoise_tv_chambolle weight = sigma * (0.65 + 0.005 * 255 sigma), a line through the "
    "best weight/sigma ratios (0.7 at sigma 15, 0.8 at 25, 0.9 at 50 /255) of a 0.1-step grid on "
    "the 4 bundled example images (camera 256² crop, astronaut, coffee, chelsea), none of which is "
    "in a benchmark set"
)

#: TV weights of :func:`tv_reconstruct` per task, picked on the bundled example images (held
#: out): SR ×4 mean PSNR-Y 27.08 / 27.20 / 27.31 / 27.29 dB at λ = 1e-4 / 3e-4 / 1e-3 / 3e-3;
#: 50 % random inpainting 29.89 / 29.85 / 29.20 dB at λ = 1e-4 / 1e-3 / 1e-2
TV_LAMBDA = {"sr": 1e-3, "inpainting": 1e-4}


@dataclass
class ImageBaseline:
    """A baseline's output image ``(1, C, H, W)`` in ``[0, 1]`` (CPU), its wall time and settings."""

    name: str
    image: torch.Tensor
    time_s: float
    params: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _image_array(x: torch.Tensor, what: str = "image") -> np.ndarray:
    """``(1, C, H, W)`` → float64 ``(H, W)`` or ``(H, W, C)``."""
    if x.dim() != 4 or x.shape[0] != 1 or x.shape[1] not in (1, 3):
        raise InputError(f"{what} must be a (1, 1 or 3, H, W) tensor, got {tuple(x.shape)}")
    a = x.detach().to("cpu", torch.float64).numpy()[0]
    return a[0] if a.shape[0] == 1 else np.ascontiguousarray(a.transpose(1, 2, 0))


def _image_tensor(a: np.ndarray) -> torch.Tensor:
    """float ``(H, W)`` / ``(H, W, C)`` → ``(1, C, H, W)`` float32, clipped to ``[0, 1]``."""
    a = np.clip(np.asarray(a, dtype=np.float32), 0.0, 1.0)
    a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(a)).unsqueeze(0)


def _check_sigma(sigma: float) -> float:
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise InputError(
            f"noise sigma must be a positive number (on the [0, 1] scale), got {sigma}"
        )
    if sigma > 1:
        raise InputError(f"noise sigma {sigma} is on the 0-255 scale; divide it by 255")
    return float(sigma)


# --------------------------------------------------------------------------- denoising


def bm3d_available() -> bool:
    """Whether the ``bm3d`` package can be imported."""
    try:
        import bm3d  # noqa: F401
    except Exception:
        return False
    return True


def bm3d_denoise(noisy: torch.Tensor, sigma: float, profile: str = "np") -> ImageBaseline:
    """BM3D (gray) or CBM3D (RGB, ``bm3d.bm3d_rgb``) with the known noise level ``sigma``.

    ``sigma`` is the noise standard deviation on the ``[0, 1]`` scale (25/255 for σ = 25);
    ``profile`` is a ``bm3d`` profile name (``"np"``: the normal profile).

    >>> import torch
    >>> from dnnsolve.imaging import example_image, psnr, read_image
    >>> clean = read_image(example_image("camera"))[..., 224:256, 224:256]
    >>> noisy = clean + 25 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> out = bm3d_denoise(noisy, 25 / 255)
    >>> out.name, bool(psnr(out.image, clean) > psnr(noisy, clean) + 5)
    ('bm3d', True)
    """
    sigma = _check_sigma(sigma)
    try:
        import bm3d
    except Exception as exc:
        raise InputError(
            f"the BM3D baseline needs the bm3d package (pip install bm3d): {exc}"
        ) from None
    z = _image_array(noisy, "noisy image")
    t0 = time.perf_counter()
    out = (
        bm3d.bm3d(z, sigma_psd=sigma, profile=profile)
        if z.ndim == 2
        else bm3d.bm3d_rgb(z, sigma, profile=profile)
    )
    dt = time.perf_counter() - t0
    name = "bm3d" if z.ndim == 2 else "cbm3d"
    return ImageBaseline("bm3d", _image_tensor(out), dt, {"variant": name, "sigma": sigma,
                                                           "profile": profile})  # fmt: skip


def tv_weight(sigma: float) -> float:
    """The Chambolle TV weight used for noise level ``sigma`` (on the ``[0, 1]`` scale).

    ``sigma · (0.65 + 0.005 · 255 σ)``, fitted on held-out images (see :data:`TV_WEIGHT_RULE`).

    >>> round(tv_weight(25 / 255) * 255, 2)
    19.38
    """
    sigma = _check_sigma(sigma)
    return sigma * (0.65 + 0.005 * 255.0 * sigma)


def tv_denoise(noisy: torch.Tensor, sigma: float, weight: float | None = None) -> ImageBaseline:
    """Chambolle TV denoising; ``weight`` defaults to :func:`tv_weight` of ``sigma``.

    Colour images are denoised per channel (``channel_axis``).

    >>> import torch
    >>> from dnnsolve.imaging import example_image, psnr, read_image
    >>> clean = read_image(example_image("coffee"))[..., 96:128, 96:128]
    >>> noisy = clean + 25 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> out = tv_denoise(noisy, 25 / 255)
    >>> out.image.shape, bool(psnr(out.image, clean) > psnr(noisy, clean) + 3)
    (torch.Size([1, 3, 32, 32]), True)
    """
    from skimage.restoration import denoise_tv_chambolle

    w = tv_weight(sigma) if weight is None else float(weight)
    if not (math.isfinite(w) and w > 0):
        raise InputError(f"TV weight must be positive, got {weight}")
    z = _image_array(noisy, "noisy image")
    t0 = time.perf_counter()
    out = denoise_tv_chambolle(z, weight=w, channel_axis=-1 if z.ndim == 3 else None)
    dt = time.perf_counter() - t0
    return ImageBaseline("tv", _image_tensor(out), dt, {"weight": w})


# --------------------------------------------------------------------------- super-resolution


def bicubic_upsample(low: torch.Tensor, factor: int | None = None, size=None) -> ImageBaseline:
    """Upsample ``low`` by ``factor`` (or to ``size = (H, W)``) with Pillow's bicubic filter.

    DIP's ``get_baselines`` (``img_LR_pil.resize(HR size, Image.BICUBIC)``), but on 32-bit float
    images (Pillow mode ``F``) so the result is not rounded to 8 bits: Keys' cubic convolution
    (``a = -0.5``) at pixel centres, taps outside the image dropped and the rest renormalized.

    >>> import torch
    >>> out = bicubic_upsample(torch.full((1, 3, 4, 5), 0.25), 4)
    >>> out.image.shape, bool(torch.allclose(out.image, torch.tensor(0.25)))
    (torch.Size([1, 3, 16, 20]), True)
    """
    from PIL import Image

    a = _image_array(low, "low-resolution image")
    h, w = a.shape[:2]
    if size is None:
        if factor is None or int(factor) < 1:
            raise InputError(f"upsampling factor must be a positive integer, got {factor}")
        size = (h * int(factor), w * int(factor))
    oh, ow = int(size[0]), int(size[1])
    t0 = time.perf_counter()
    planes = [a] if a.ndim == 2 else [a[..., c] for c in range(a.shape[2])]
    up = [
        np.array(Image.fromarray(p.astype(np.float32), mode="F").resize((ow, oh), Image.BICUBIC))
        for p in planes
    ]
    out = up[0] if len(up) == 1 else np.stack(up, axis=-1)
    dt = time.perf_counter() - t0
    return ImageBaseline("bicubic", _image_tensor(out), dt, {"size": [oh, ow]})


# --------------------------------------------------------------------------- generic TV


def _grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward differences with a zero last row / column (Neumann boundary)."""
    dh = torch.zeros_like(x)
    dw = torch.zeros_like(x)
    dh[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    dw[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    return dh, dw


def _grad_adjoint(dh: torch.Tensor, dw: torch.Tensor) -> torch.Tensor:
    """Adjoint of :func:`_grad` (minus the divergence)."""
    out = -dh - dw
    out[..., 1:, :] += dh[..., :-1, :]
    out[..., :, 1:] += dw[..., :, :-1]
    return out


def smooth_tv(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Isotropic TV per pixel, ``mean(sqrt(|∇x|² + ε²) − ε)`` (channels summed separately).

    >>> float(smooth_tv(torch.zeros(1, 1, 4, 4)))
    0.0
    >>> round(float(smooth_tv(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]), eps=0.0)), 6)
    0.5
    """
    dh, dw = _grad(x)
    return (torch.sqrt(dh.square() + dw.square() + eps**2) - eps).mean()


def _normal_op(operator, x: torch.Tensor) -> torch.Tensor:
    ax = operator(x)
    return operator.adjoint(ax).real if ax.is_complex() else operator.adjoint(ax)


def _operator_norm(operator, shape, device, iterations: int = 30) -> float:
    """``‖AᵀA‖`` by power iteration from a fixed random start."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(shape, generator=g, dtype=torch.float32).to(device)
    lam = 1.0
    for _ in range(iterations):
        y = _normal_op(operator, x)
        lam = float(y.norm())
        if lam == 0 or not math.isfinite(lam):
            raise InputError("the operator maps everything to zero; nothing to reconstruct")
        x = y / lam
    return lam


def _smooth_start(operator, y, shape, norm: float, mu: float, steps: int) -> torch.Tensor:
    """Conjugate gradients on ``(AᵀA / L + μ ∇ᵀ∇) x = Aᵀy / L`` from zero: a quadratic, smooth
    fill (harmonic interpolation for inpainting), the start of the TV iterations."""
    aty = operator.adjoint(y)
    b = (aty.real if aty.is_complex() else aty).float() / norm

    def apply(v):
        return _normal_op(operator, v) / norm + mu * _grad_adjoint(*_grad(v))

    x = torch.zeros(shape, device=b.device)
    r = b.clone()
    p = r.clone()
    rr = float((r * r).sum())
    for _ in range(steps):
        if rr <= 1e-12 * max(float((b * b).sum()), 1e-30):
            break
        ap = apply(p)
        alpha = rr / max(float((p * ap).sum()), 1e-30)
        x = x + alpha * p
        r = r - alpha * ap
        rr_new = float((r * r).sum())
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def tv_reconstruct(
    measurement: torch.Tensor,
    operator,
    *,
    shape=None,
    lam: float = 1e-3,
    iterations: int = 300,
    lr: float = 0.01,
    eps: float = 1e-3,
    init: torch.Tensor | str = "smooth",
    cg_steps: int = 50,
    mu: float = 0.05,
    device: str | torch.device = "cpu",
) -> ImageBaseline:
    """TV-regularized reconstruction for a linear operator: ``min ‖A x − y‖² / (L N) + λ TV(x)``
    over images ``x ∈ [0, 1]``.

    ``L = ‖AᵀA‖`` (power iteration) and ``N`` the number of pixels, so ``λ`` means the same for
    every operator (for inpainting and denoising ``L = 1``); TV is :func:`smooth_tv`.  The start
    is ``init`` (a tensor, e.g. the bicubic image for super-resolution; ``"smooth"``:
    ``cg_steps`` conjugate-gradient steps on the quadratic problem with ``μ ‖∇x‖²``;
    ``"adjoint"``: ``Aᵀy / L``), then ``iterations`` Adam steps (learning rate ``lr`` on a cosine
    schedule), each followed by clipping to ``[0, 1]``.  Works with complex measurements (MRI).

    >>> import torch
    >>> from dnnsolve.imaging import Downsampling, example_image, psnr, read_image
    >>> hr = read_image(example_image("camera"))[..., 192:224, 192:224]
    >>> op = Downsampling(4)
    >>> out = tv_reconstruct(op(hr), op, iterations=20)
    >>> out.image.shape, out.params["iterations"]
    (torch.Size([1, 1, 32, 32]), 20)
    """
    dev = torch.device(device)
    if measurement.dim() != 4 or measurement.shape[0] != 1:
        raise InputError(
            f"measurement must be a (1, C, H, W) tensor, got {tuple(measurement.shape)}"
        )
    if iterations < 0 or lam < 0 or lr <= 0:
        raise InputError("tv_reconstruct needs iterations >= 0, lam >= 0 and lr > 0")
    op = operator.to(dev)
    y = measurement.to(dev)
    if not y.is_complex():
        y = y.float()
    shape = tuple(op.input_shape(tuple(y.shape))) if shape is None else (1, *tuple(shape)[-3:])
    t0 = time.perf_counter()
    norm = _operator_norm(op, shape, dev)
    if isinstance(init, torch.Tensor):
        if tuple(init.shape) != shape:
            raise InputError(f"init has shape {tuple(init.shape)}, expected {shape}")
        x0 = init.to(dev).float()
    elif init == "smooth":
        x0 = _smooth_start(op, y, shape, norm, mu, cg_steps)
    elif init == "adjoint":
        aty = op.adjoint(y)
        x0 = (aty.real if aty.is_complex() else aty).float() / norm
    else:
        raise InputError(f"init must be a tensor, 'smooth' or 'adjoint', got {init!r}")
    x = x0.clamp(0, 1).clone().requires_grad_(True)
    scale = 1.0 / (norm * x[0].numel())
    if iterations:
        opt = torch.optim.Adam([x], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iterations, eta_min=lr * 0.01)
        for _ in range(iterations):
            opt.zero_grad(set_to_none=True)
            r = op(x) - y
            fid = (r.real.square() + r.imag.square()).sum() if r.is_complex() else r.square().sum()
            loss = fid * scale + lam * smooth_tv(x, eps)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
    dt = time.perf_counter() - t0
    params = {"lam": lam, "iterations": iterations, "lr": lr, "eps": eps, "operator_norm": norm,
              "init": init if isinstance(init, str) else "given"}  # fmt: skip
    return ImageBaseline("tv", x.detach().float().cpu(), dt, params)


def tv_super_resolve(
    low: torch.Tensor,
    operator,
    shape: tuple[int, ...],
    *,
    iterations: int = 300,
    device: str | torch.device = "cpu",
) -> ImageBaseline:
    """TV super-resolution of ``low`` to ``shape = (C, H, W)``: :func:`tv_reconstruct` at
    ``TV_LAMBDA["sr"]`` from the bicubic image, the classical half of the default's blend.

    >>> from dnnsolve.imaging import Downsampling, example_image, read_image
    >>> hr = read_image(example_image("camera"))[..., 192:224, 192:224]
    >>> op = Downsampling(4)
    >>> tv_super_resolve(op(hr), op, (1, 32, 32), iterations=20).image.shape
    torch.Size([1, 1, 32, 32])
    """
    start = bicubic_upsample(low.detach().float().cpu(), size=tuple(shape[1:])).image
    return tv_reconstruct(low, operator, shape=tuple(shape), lam=TV_LAMBDA["sr"],
                          iterations=iterations, init=start, device=device)  # fmt: skip
