"""Image quality metrics following the Deep Image Prior evaluation protocol.

- :func:`psnr`: PSNR over all channels (RGB PSNR, used for denoising and inpainting).
- :func:`psnr_y`: PSNR on the luma channel Y of YCbCr (ITU-R BT.601 studio range, the MATLAB
  ``rgb2ycbcr`` convention; identical in Y to DIP's ``super-resolution_eval_script.py``, which
  scales OpenCV's Y to ``[16, 235] / 255``) after cropping a border of ``scale`` pixels (SR).
- :func:`ssim`: structural similarity via :func:`skimage.metrics.structural_similarity`.

Inputs are ``(B, C, H, W)`` (or ``(C, H, W)``) tensors with values in ``[0, data_range]``; the
batched functions return one value per image as a ``(B,)`` float64 tensor on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from dnnsolve.core.errors import InputError

__all__ = ["psnr", "psnr_y", "rgb_to_y", "ssim"]

# ITU-R BT.601 luma, studio range: Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255.
_Y_WEIGHTS = (65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0)
_Y_OFFSET = 16.0 / 255.0


def _batched(x: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if x.shape != ref.shape:
        raise InputError(f"image shapes differ: {tuple(x.shape)} vs {tuple(ref.shape)}")
    if x.dim() == 3:
        x, ref = x.unsqueeze(0), ref.unsqueeze(0)
    if x.dim() != 4:
        raise InputError(f"expected (B, C, H, W) or (C, H, W) images, got shape {tuple(x.shape)}")
    return x.detach().to(torch.float64), ref.detach().to(torch.float64)


def _psnr_from_mse(mse: torch.Tensor, data_range: float) -> torch.Tensor:
    out = 10.0 * torch.log10(data_range**2 / mse)
    return out.cpu()


def psnr(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB over all channels and pixels, one value per image.

    ``10 log10(data_range² / mean((x - ref)²))``; ``inf`` for identical images.  Agrees with
    :func:`skimage.metrics.peak_signal_noise_ratio` on each image.

    >>> ref = torch.zeros(2, 3, 4, 4)
    >>> x = ref + torch.tensor([0.1, 0.01]).view(2, 1, 1, 1)
    >>> psnr(x, ref)
    tensor([20.0000, 40.0000], dtype=torch.float64)
    """
    x, ref = _batched(x, ref)
    mse = (x - ref).pow(2).mean(dim=(1, 2, 3))
    return _psnr_from_mse(mse, data_range)


def rgb_to_y(x: torch.Tensor) -> torch.Tensor:
    """Luma Y (BT.601, studio range ``[16, 235] / 255``) of ``(B, 3, H, W)`` RGB in ``[0, 1]``.

    Gray input ``(B, 1, H, W)`` is treated as R = G = B.  Returns ``(B, 1, H, W)``.

    >>> round(rgb_to_y(torch.ones(1, 3, 1, 1)).item() * 255, 4)
    235.0
    """
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise InputError(f"expected (B, 1 or 3, H, W) images, got shape {tuple(x.shape)}")
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    w = torch.tensor(_Y_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True) + _Y_OFFSET


def psnr_y(x: torch.Tensor, ref: torch.Tensor, scale: int = 0) -> torch.Tensor:
    """PSNR (dB, peak 1) on the Y channel of YCbCr after cropping ``scale`` pixels on each side.

    The super-resolution protocol of DIP (PSNR-Y, a 4-pixel border removed for ×4).  Note: DIP's
    script crops ``[4 : -5]`` by an off-by-one in its slicing; here the crop is symmetric.

    >>> ref = torch.full((1, 3, 12, 12), 0.5)
    >>> x = ref.clone(); x[..., :2, :] = 1.0        # errors only inside the 2-pixel border
    >>> psnr_y(x, ref, scale=2)
    tensor([inf], dtype=torch.float64)
    """
    x, ref = _batched(x, ref)
    if scale < 0 or 2 * scale >= min(x.shape[-2:]):
        raise InputError(f"border crop {scale} is too large for images of size {x.shape[-2:]}")
    if scale:
        x, ref = x[..., scale:-scale, scale:-scale], ref[..., scale:-scale, scale:-scale]
    mse = (rgb_to_y(x) - rgb_to_y(ref)).pow(2).mean(dim=(1, 2, 3))
    return _psnr_from_mse(mse, 1.0)


def ssim(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Structural similarity (scikit-image defaults: 7×7 uniform window), one value per image.

    Colour images use ``channel_axis`` (mean SSIM over channels).

    >>> ref = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> ssim(ref, ref)
    tensor([1.], dtype=torch.float64)
    """
    from skimage.metrics import structural_similarity

    x, ref = _batched(x, ref)
    vals = []
    for a, b in zip(x.cpu().numpy(), ref.cpu().numpy(), strict=True):
        if a.shape[0] == 1:
            v = structural_similarity(a[0], b[0], data_range=data_range)
        else:
            v = structural_similarity(
                np.moveaxis(a, 0, -1), np.moveaxis(b, 0, -1), data_range=data_range, channel_axis=-1
            )
        vals.append(float(v))
    return torch.tensor(vals, dtype=torch.float64)
