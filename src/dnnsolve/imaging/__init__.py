"""Inverse imaging with untrained networks: networks, image I/O, metrics, early stopping.

The pieces so far (issue 4 in progress): :mod:`.networks` (DIP skip net, Deep Decoder,
ConvDecoder, SIREN, Fourier-feature MLP), :mod:`.io` (image files ↔ ``(1, C, H, W)`` tensors),
:mod:`.metrics` (the DIP protocol's PSNR / Y-PSNR, SSIM), :mod:`.early_stopping` (output
averaging, ES-WMV, divergence backtracking) and bundled example images (:mod:`.data`).

>>> from dnnsolve.imaging import SkipNet, psnr
>>> sum(p.numel() for p in SkipNet().parameters())  # DIP's denoising network
2217831
"""

from .data import EXAMPLES, example_image
from .early_stopping import DivergenceGuard, ExponentialAverage, WindowedVariance
from .io import from_numpy, read_image, to_numpy, write_image
from .metrics import psnr, psnr_y, rgb_to_y, ssim
from .networks import (
    DIP_SETTINGS,
    ConvDecoder,
    DeepDecoder,
    FourierFeatureMLP,
    ImplicitImage,
    Siren,
    SkipNet,
    coordinate_grid,
    crop_to_multiple,
    jitter_input,
    noise_input,
)

__all__ = [
    "DIP_SETTINGS",
    "EXAMPLES",
    "ConvDecoder",
    "DeepDecoder",
    "DivergenceGuard",
    "ExponentialAverage",
    "FourierFeatureMLP",
    "ImplicitImage",
    "Siren",
    "SkipNet",
    "WindowedVariance",
    "coordinate_grid",
    "crop_to_multiple",
    "example_image",
    "from_numpy",
    "jitter_input",
    "noise_input",
    "psnr",
    "psnr_y",
    "read_image",
    "rgb_to_y",
    "ssim",
    "to_numpy",
    "write_image",
]
