"""Inverse imaging with untrained networks: networks, image I/O, metrics, early stopping.

The pieces: :mod:`.operators` (measurement models with exact
adjoints: noise, inpainting, DIP's super-resolution downsampler, FFT blur, masked-FFT MRI,
parallel-beam CT), :mod:`.networks` (DIP skip net, Deep Decoder,
ConvDecoder, SIREN, Fourier-feature MLP), :mod:`.io` (image files ↔ ``(1, C, H, W)`` tensors),
:mod:`.metrics` (the DIP protocol's PSNR / Y-PSNR, SSIM), :mod:`.early_stopping` (output
averaging, ES-WMV) and bundled example images (:mod:`.data`).

>>> from dnnsolve.imaging import SkipNet, psnr
>>> sum(p.numel() for p in SkipNet().parameters())  # DIP's denoising network
2217831
"""

from ..core.early_stopping import ExponentialAverage, WindowedVariance
from .data import EXAMPLES, example_image
from .io import from_numpy, read_image, to_numpy, write_image
from .methods import IMAGE_METHODS, ImageMethod
from .metrics import psnr, psnr_y, rgb_to_y, ssim
from .networks import (
    DIP_SETTINGS,
    ConvDecoder,
    DeepDecoder,
    FourierFeatureMLP,
    ImplicitImage,
    ResNet,
    Siren,
    SkipNet,
    UNet,
    coordinate_grid,
    crop_to_multiple,
    jitter_input,
    noise_input,
)
from .operators import (
    MRI,
    Blur,
    CTRadon,
    Denoising,
    Downsampling,
    GaussianNoise,
    Inpainting,
    Noise,
    Operator,
    PoissonNoise,
    SaltPepperNoise,
    bicubic_kernel,
    cartesian_mask,
    downsampler_kernel,
    gaussian_kernel,
    motion_kernel,
    radial_mask,
)
from .parameterization import NetworkImage
from .problem import ImageReconstruction, total_variation
from .reconstruct import ImageResult, image_metrics, reconstruct

__all__ = [
    "DIP_SETTINGS",
    "EXAMPLES",
    "IMAGE_METHODS",
    "MRI",
    "Blur",
    "CTRadon",
    "ConvDecoder",
    "DeepDecoder",
    "Denoising",
    "Downsampling",
    "ExponentialAverage",
    "FourierFeatureMLP",
    "GaussianNoise",
    "ImageMethod",
    "ImageReconstruction",
    "ImageResult",
    "ImplicitImage",
    "Inpainting",
    "NetworkImage",
    "Noise",
    "Operator",
    "PoissonNoise",
    "ResNet",
    "SaltPepperNoise",
    "Siren",
    "SkipNet",
    "UNet",
    "WindowedVariance",
    "bicubic_kernel",
    "cartesian_mask",
    "coordinate_grid",
    "crop_to_multiple",
    "downsampler_kernel",
    "example_image",
    "from_numpy",
    "gaussian_kernel",
    "image_metrics",
    "jitter_input",
    "motion_kernel",
    "noise_input",
    "psnr",
    "psnr_y",
    "radial_mask",
    "read_image",
    "reconstruct",
    "rgb_to_y",
    "ssim",
    "to_numpy",
    "total_variation",
    "write_image",
]
