"""Forward operators (measurement models) for inverse imaging.

Every operator acts on batches of images ``x`` of shape ``(B, C, H, W)`` (real floating point)
and is an :class:`torch.nn.Module` whose :meth:`~Operator.forward` computes ``A x``. Linear
operators also provide :meth:`~Operator.adjoint` (``Aᵀ y``, the exact adjoint of the
discretisation, so ``⟨A x, y⟩ = ⟨x, Aᵀ y⟩``), :meth:`~Operator.measure` adds the operator's noise
model, and :meth:`~Operator.check` validates a measurement with a one-line
:class:`~dnnsolve.core.errors.InputError`. Kernels and masks are stored as buffers and moved to the
input's device and dtype on the fly, so the same operator works on CPU and CUDA.

Conventions
-----------
- Intensities are on the ``[0, 1]`` scale: a Gaussian noise level of 25 on the 0–255 scale (the
  DIP protocol) is ``sigma=25 / 255``.
- MRI measurements are complex tensors (``torch.complex64`` / ``complex128``) in the
  ``torch.fft`` layout (zero frequency at index ``[0, 0]``); the adjoint is the real part of the
  zero-filled inverse FFT (the adjoint for the real inner product ``Re ⟨A x, y⟩``).
- CT sinograms follow :func:`skimage.transform.radon`: shape ``(B, C, D, n_angles)``, one column
  per angle, angles in degrees.
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dnnsolve.core.errors import InputError

__all__ = [
    "MRI",
    "Blur",
    "CTRadon",
    "Denoising",
    "Downsampling",
    "GaussianNoise",
    "Inpainting",
    "Noise",
    "Operator",
    "PoissonNoise",
    "SaltPepperNoise",
    "bicubic_kernel",
    "cartesian_mask",
    "downsampler_kernel",
    "gaussian_kernel",
    "motion_kernel",
    "radial_mask",
]

Shape = tuple[int, ...]


def _normal(shape: Sequence[int], like: torch.Tensor, generator: torch.Generator | None):
    """Standard normal samples shaped ``shape`` with ``like``'s dtype/device, from ``generator``."""
    dev = generator.device if generator is not None else like.device
    real = like.real if like.is_complex() else like
    out = torch.randn(tuple(shape), generator=generator, device=dev, dtype=real.dtype)
    return out.to(like.device)


def _uniform(shape: Sequence[int], like: torch.Tensor, generator: torch.Generator | None):
    dev = generator.device if generator is not None else like.device
    out = torch.rand(tuple(shape), generator=generator, device=dev, dtype=like.dtype)
    return out.to(like.device)


def _check_image(x: torch.Tensor, what: str = "image") -> None:
    if x.dim() != 4:
        raise InputError(f"expected a (B, C, H, W) {what}, got shape {tuple(x.shape)}")


# --------------------------------------------------------------------------- noise models


class Noise(nn.Module):
    """Noise model: ``forward(y, generator)`` returns a noisy copy of the clean measurement."""

    def forward(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The identity (no noise)."""
        return y


class GaussianNoise(Noise):
    """Additive white Gaussian noise of standard deviation ``sigma`` (on the ``[0, 1]`` scale).

    Complex measurements get circular complex noise with ``sigma`` per real component.

    >>> y = GaussianNoise(25 / 255)(torch.zeros(1, 1, 64, 64), torch.Generator().manual_seed(0))
    >>> abs(float(y.std()) - 25 / 255) < 0.01
    True
    """

    def __init__(self, sigma: float):
        super().__init__()
        if sigma < 0:
            raise InputError(f"noise sigma must be non-negative, got {sigma}")
        self.sigma = float(sigma)

    def forward(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``y + sigma · n`` with ``n`` standard normal."""
        if self.sigma == 0:
            return y
        if y.is_complex():
            re, im = _normal(y.shape, y, generator), _normal(y.shape, y, generator)
            return y + self.sigma * torch.complex(re, im)
        return y + self.sigma * _normal(y.shape, y, generator)


class PoissonNoise(Noise):
    """Poisson (shot) noise: ``y ← Poisson(peak · max(y, 0)) / peak``; mean ``y``, variance ``y/peak``.

    >>> y = PoissonNoise(peak=10.0)(torch.full((1, 1, 8, 8), 0.5), torch.Generator().manual_seed(0))
    >>> bool(((y * 10) == (y * 10).round()).all())
    True
    """

    def __init__(self, peak: float):
        super().__init__()
        if peak <= 0:
            raise InputError(f"Poisson peak must be positive, got {peak}")
        self.peak = float(peak)

    def forward(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A Poisson sample with mean ``y`` (clamped at 0) scaled by ``1 / peak``."""
        rate = (y.clamp_min(0) * self.peak).to(torch.float64)
        dev = generator.device if generator is not None else y.device
        counts = torch.poisson(rate.to(dev), generator=generator).to(y.device)
        return (counts / self.peak).to(y.dtype)


class SaltPepperNoise(Noise):
    """Impulse noise: a fraction ``amount`` of the entries set to ``low`` or ``high`` (half each).

    Entries are corrupted independently per channel.

    >>> y = SaltPepperNoise(0.2)(torch.full((1, 1, 64, 64), 0.5), torch.Generator().manual_seed(0))
    >>> 0.15 < float((y != 0.5).double().mean()) < 0.25
    True
    """

    def __init__(self, amount: float, low: float = 0.0, high: float = 1.0):
        super().__init__()
        if not 0.0 <= amount <= 1.0:
            raise InputError(f"salt-and-pepper fraction must be in [0, 1], got {amount}")
        self.amount, self.low, self.high = float(amount), float(low), float(high)

    def forward(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``y`` with a random ``amount`` of its entries replaced by ``low`` / ``high``."""
        u = _uniform(y.shape, y, generator)
        out = torch.where(u < self.amount / 2, torch.full_like(y, self.low), y)
        return torch.where(
            (u >= self.amount / 2) & (u < self.amount), torch.full_like(y, self.high), out
        )


# --------------------------------------------------------------------------- base class


class Operator(nn.Module, metaclass=ABCMeta):
    """A linear measurement model ``y = noise(A x)`` acting on ``(B, C, H, W)`` image batches."""

    def __init__(self, noise: Noise | None = None):
        super().__init__()
        self.noise = noise if noise is not None else Noise()

    @abstractmethod
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``A x``."""

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """``Aᵀ y``; the default differentiates ``⟨A x, y⟩`` (exact for linear operators).

        Needs :meth:`input_shape` to recover the shape of ``x`` from ``y``.
        """
        shape = self.input_shape(tuple(y.shape))
        dtype = y.real.dtype if y.is_complex() else y.dtype
        with torch.enable_grad():
            x0 = torch.zeros(shape, dtype=dtype, device=y.device, requires_grad=True)
            ax = self.forward(x0)
            (g,) = torch.autograd.grad(ax, x0, grad_outputs=y, create_graph=y.requires_grad)
        return g

    def measure(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``A x`` plus a sample of the operator's noise model."""
        return self.noise(self.forward(x), generator)

    def output_shape(self, input_shape: Sequence[int]) -> Shape:
        """Shape of ``A x`` for ``x`` of shape ``input_shape`` (default: unchanged)."""
        return tuple(input_shape)

    def input_shape(self, output_shape: Sequence[int]) -> Shape:
        """Shape of ``x`` for a measurement of shape ``output_shape`` (default: unchanged)."""
        return tuple(output_shape)

    def check(self, y: torch.Tensor, input_shape: Sequence[int] | None = None) -> None:
        """Raise :class:`InputError` if ``y`` cannot be a measurement of this operator.

        With ``input_shape``, ``y`` must have exactly ``output_shape(input_shape)``.
        """
        _check_image(y, "measurement")
        if y.is_complex():
            raise InputError("expected a real measurement, got a complex tensor")
        self._check_shape(y, input_shape)

    def _check_shape(self, y: torch.Tensor, input_shape: Sequence[int] | None) -> None:
        if input_shape is not None:
            want = self.output_shape(input_shape)
            if tuple(y.shape) != want:
                raise InputError(
                    f"measurement has shape {tuple(y.shape)}, expected {want} "
                    f"for images of shape {tuple(input_shape)}"
                )


# --------------------------------------------------------------------------- denoising


class Denoising(Operator):
    """The identity with a noise model (default Gaussian ``sigma = 25/255``, the DIP protocol).

    >>> op = Denoising(GaussianNoise(25 / 255))
    >>> x = torch.rand(2, 3, 16, 16)
    >>> torch.equal(op(x), x), op.measure(x).shape
    (True, torch.Size([2, 3, 16, 16]))
    """

    def __init__(self, noise: Noise | None = None):
        super().__init__(noise if noise is not None else GaussianNoise(25 / 255))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` unchanged."""
        return x

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """``y`` unchanged."""
        return y


# --------------------------------------------------------------------------- inpainting


class Inpainting(Operator):
    """Pixel mask ``A x = m ⊙ x`` (``m`` = 1 where a pixel is observed); self-adjoint.

    ``mask`` is an array or tensor of shape ``(H, W)``, ``(C, H, W)`` or ``(1, C, H, W)``; values
    above 0.5 count as observed (so an 8-bit mask image scaled to ``[0, 1]`` works). Use
    :meth:`random` for a seeded random mask.

    >>> op = Inpainting.random((8, 8), missing=0.5, seed=0)
    >>> float(op.mask.mean())
    0.5
    >>> op(torch.ones(1, 3, 8, 8)).sum().item()
    96.0
    """

    def __init__(self, mask: torch.Tensor | np.ndarray, noise: Noise | None = None):
        super().__init__(noise)
        m = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
        m = m.detach().cpu()
        if m.dtype == torch.bool:
            m = m.to(torch.float32)
        m = (m.to(torch.float64) > 0.5).to(torch.float32)
        while m.dim() < 4:
            m = m.unsqueeze(0)
        if m.dim() != 4 or m.shape[0] != 1:
            raise InputError(
                f"mask must be (H, W), (C, H, W) or (1, C, H, W), got {tuple(m.shape)}"
            )
        self.register_buffer("mask", m)

    @classmethod
    def random(
        cls,
        size: Sequence[int],
        missing: float,
        seed: int = 0,
        channels: int = 1,
        noise: Noise | None = None,
    ) -> Inpainting:
        """A mask of shape ``size = (H, W)`` with exactly ``round(missing·H·W)`` pixels missing.

        The same pixels are missing in every channel unless ``channels > 1``.
        """
        if not 0.0 <= missing <= 1.0:
            raise InputError(f"missing fraction must be in [0, 1], got {missing}")
        h, w = int(size[0]), int(size[1])
        g = torch.Generator().manual_seed(seed)
        masks = []
        for _ in range(channels):
            m = torch.ones(h * w)
            m[torch.randperm(h * w, generator=g)[: round(missing * h * w)]] = 0
            masks.append(m.view(h, w))
        return cls(torch.stack(masks), noise)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``m ⊙ x``."""
        return x * self.mask.to(x.device, x.dtype)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """``m ⊙ y``."""
        return y * self.mask.to(y.device, y.dtype)

    def check(self, y: torch.Tensor, input_shape: Sequence[int] | None = None) -> None:
        """Also checks that the mask's size and channels fit ``y``."""
        super().check(y, input_shape)
        mc, mh, mw = self.mask.shape[1:]
        if (mh, mw) != tuple(y.shape[2:]):
            raise InputError(f"mask is {mh}x{mw} but the image is {y.shape[2]}x{y.shape[3]}")
        if mc not in (1, y.shape[1]):
            raise InputError(f"mask has {mc} channels but the image has {y.shape[1]}")


# --------------------------------------------------------------------------- super-resolution


def _lanczos(t: np.ndarray, support: int) -> np.ndarray:
    t = np.abs(t)
    out = np.ones_like(t)
    nz = t != 0
    tn = t[nz]
    out[nz] = support * np.sin(np.pi * tn) * np.sin(np.pi * tn / support) / (np.pi**2 * tn**2)
    out[t >= support] = 0.0
    return out


def _cubic(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    t = np.abs(t)
    out = np.zeros_like(t)
    near, far = t <= 1, (t > 1) & (t < 2)
    out[near] = (a + 2) * t[near] ** 3 - (a + 3) * t[near] ** 2 + 1
    out[far] = a * t[far] ** 3 - 5 * a * t[far] ** 2 + 8 * a * t[far] - 4 * a
    return out


def bicubic_kernel(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel (``a = -0.5``, as MATLAB's ``imresize``) at offsets ``t``.

    >>> bicubic_kernel(np.array([0.0, 1.0, 2.0, 0.5])).tolist()
    [1.0, 0.0, 0.0, 0.5625]
    """
    return _cubic(np.asarray(t, dtype=np.float64), a)


def downsampler_kernel(factor: int, kind: str = "lanczos2", phase: float = 0.5) -> np.ndarray:
    """The separable anti-aliasing kernel of DIP's ``Downsampler`` (normalised to sum 1).

    ``kind`` is ``"lanczos2"`` (support 2, the DIP SR default), ``"lanczos3"`` (support 3),
    ``"bicubic"`` (Keys, support 2) or ``"box"``. As in DIP, the kernel is sampled at offsets
    ``(i - centre) / factor``; with ``phase = 0.5`` (DIP's SR setting) the taps sit half a pixel
    off centre and the kernel has ``2·support·factor`` taps per axis (``factor`` for box),
    otherwise ``2·support·factor + 1``.

    >>> k = downsampler_kernel(2, "lanczos2")
    >>> k.shape, round(float(k.sum()), 12)
    ((8, 8), 1.0)
    """
    if factor < 1:
        raise InputError(f"downsampling factor must be a positive integer, got {factor}")
    if phase not in (0, 0.5):
        raise InputError(f"phase must be 0 or 0.5, got {phase}")
    if kind == "box":
        taps = np.ones(factor)
    else:
        if kind in ("lanczos2", "bicubic"):
            support = 2
        elif kind == "lanczos3":
            support = 3
        else:
            raise InputError(
                f"unknown downsampling kernel {kind!r} (lanczos2, lanczos3, bicubic, box)"
            )
        width = 2 * support * factor + 1
        n = width - 1 if phase == 0.5 else width
        centre = (width + 1) / 2.0
        t = (np.arange(1, n + 1) + phase - centre) / factor
        taps = _cubic(t) if kind == "bicubic" else _lanczos(t, support)
    k = np.outer(taps, taps)
    return k / k.sum()


def _pad_index(n: int, before: int, after: int, mode: str) -> torch.Tensor:
    """For each position of a 1-D signal of length ``n`` padded by ``(before, after)``: its source."""
    i = np.arange(-before, n + after)
    if mode == "replicate":
        src = np.clip(i, 0, n - 1)
    elif mode == "reflect":
        if max(before, after) > n - 1:
            raise InputError(
                f"reflection padding of {max(before, after)} needs images > {n} pixels"
            )
        src = np.abs(i)
        src = np.where(src > n - 1, 2 * (n - 1) - src, src)
    elif mode == "circular":
        src = np.mod(i, n)
    else:
        raise InputError(f"unknown padding {mode!r} (replicate, reflect, circular)")
    return torch.as_tensor(src, dtype=torch.long)


class Downsampling(Operator):
    """DIP's super-resolution downsampler: pad, then strided depthwise convolution.

    ``A x = (P x) ⋆ k`` sampled every ``factor`` pixels, where ``k`` is
    :func:`downsampler_kernel` and ``P`` pads by ``(K - factor) / 2`` pixels (``replicate`` as in
    DIP's ``Downsampler(preserve_size=True)``, or ``reflect`` / ``circular``), so an ``H × W``
    image gives ``H/factor × W/factor``. The adjoint is the transposed convolution followed by the
    exact adjoint of the padding (the padded border is folded back onto its source pixels).

    >>> op = Downsampling(4)
    >>> y = op(torch.full((1, 3, 32, 32), 0.3))
    >>> y.shape, bool(torch.allclose(y, torch.tensor(0.3)))
    (torch.Size([1, 3, 8, 8]), True)
    """

    def __init__(
        self,
        factor: int,
        kernel: str = "lanczos2",
        padding: str = "replicate",
        noise: Noise | None = None,
    ):
        super().__init__(noise)
        self.factor = int(factor)
        self.kind = kernel
        k = downsampler_kernel(self.factor, kernel, phase=0.5)
        self.register_buffer("kernel", torch.as_tensor(k, dtype=torch.float64))
        size = k.shape[0]
        total = size - self.factor
        self.pad = (total // 2, total - total // 2)
        self.padding = padding
        _pad_index(max(size, 2), 0, 0, padding)  # validates the mode

    def _weight(self, t: torch.Tensor, channels: int) -> torch.Tensor:
        real = t.real.dtype if t.is_complex() else t.dtype
        k = self.kernel.to(t.device, real)
        return k.expand(channels, 1, *k.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Downsample ``x`` of shape ``(B, C, H, W)`` to ``(B, C, H/factor, W/factor)``."""
        _check_image(x)
        self._check_divisible(x.shape[2:])
        c, h, w = x.shape[1:]
        ih = _pad_index(h, *self.pad, self.padding).to(x.device)
        iw = _pad_index(w, *self.pad, self.padding).to(x.device)
        xp = x.index_select(2, ih).index_select(3, iw)
        return F.conv2d(xp, self._weight(x, c), stride=self.factor, groups=c)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Transposed convolution, then the adjoint of the padding (scatter-add to sources)."""
        _check_image(y)
        b, c, h, w = y.shape
        hh, ww = h * self.factor, w * self.factor
        z = F.conv_transpose2d(y, self._weight(y, c), stride=self.factor, groups=c)
        # conv_transpose output is (h-1)·f + K = hh + pad_total: exactly the padded size
        ih = _pad_index(hh, *self.pad, self.padding).to(y.device)
        iw = _pad_index(ww, *self.pad, self.padding).to(y.device)
        z = torch.zeros(b, c, hh, z.shape[3], dtype=z.dtype, device=z.device).index_add(2, ih, z)
        return torch.zeros(b, c, hh, ww, dtype=z.dtype, device=z.device).index_add(3, iw, z)

    def _check_divisible(self, hw: Sequence[int]) -> None:
        h, w = int(hw[0]), int(hw[1])
        if h % self.factor or w % self.factor:
            raise InputError(f"image size {h}x{w} is not divisible by the scale {self.factor}")

    def output_shape(self, input_shape: Sequence[int]) -> Shape:
        """``(B, C, H/factor, W/factor)``."""
        self._check_divisible(input_shape[-2:])
        return (*input_shape[:-2], input_shape[-2] // self.factor, input_shape[-1] // self.factor)

    def input_shape(self, output_shape: Sequence[int]) -> Shape:
        """``(B, C, h·factor, w·factor)``."""
        f = self.factor
        return (*output_shape[:-2], output_shape[-2] * f, output_shape[-1] * f)


# --------------------------------------------------------------------------- deblurring


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """Normalised isotropic Gaussian kernel, ``size`` defaults to ``2·ceil(3σ) + 1``.

    >>> k = gaussian_kernel(1.0)
    >>> k.shape, round(float(k.sum()), 12), bool(k[3, 3] == k.max())
    ((7, 7), 1.0, True)
    """
    if sigma <= 0:
        raise InputError(f"blur sigma must be positive, got {sigma}")
    size = size if size is not None else 2 * math.ceil(3 * sigma) + 1
    t = np.arange(size) - (size - 1) / 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def motion_kernel(length: float, angle: float = 0.0, size: int | None = None) -> np.ndarray:
    """Linear motion blur: a segment of ``length`` pixels at ``angle`` degrees (counter-clockwise
    from the x axis), rasterised on an odd ``size`` grid as ``ceil(length)`` equally spaced
    points (one per pixel along the segment), each splatted with bilinear weights; normalised.
    Axis-aligned integer lengths give an exact box.

    >>> k = motion_kernel(5, 0)
    >>> k.shape, k[2].round(3).tolist()
    ((5, 5), [0.2, 0.2, 0.2, 0.2, 0.2])
    """
    if length <= 0:
        raise InputError(f"motion length must be positive, got {length}")
    size = size if size is not None else 2 * math.ceil((length - 1) / 2) + 1
    c = (size - 1) / 2
    k = np.zeros((size, size))
    n = max(math.ceil(length), 1)
    th = math.radians(angle)
    s = np.linspace(-(length - 1) / 2, (length - 1) / 2, n) if n > 1 else np.zeros(1)
    xs, ys = c + s * math.cos(th), c - s * math.sin(th)
    for x, y in zip(xs, ys, strict=True):
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        for dy, dx, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                            (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # fmt: skip
            if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                k[y0 + dy, x0 + dx] += wgt
    return k / k.sum()


class Blur(Operator):
    """Circular convolution ``A x = k * x`` by FFT; the adjoint is circular correlation.

    ``kernel`` is a 2-D array (centre at index ``(kh // 2, kw // 2)``, as
    :func:`scipy.ndimage.convolve` for odd sizes), e.g. :func:`gaussian_kernel` or
    :func:`motion_kernel`. It must not be larger than the image.

    >>> op = Blur(gaussian_kernel(1.0))
    >>> y = op(torch.full((1, 1, 16, 16), 0.5))
    >>> bool(torch.allclose(y, torch.tensor(0.5)))
    True
    """

    def __init__(self, kernel: np.ndarray | torch.Tensor, noise: Noise | None = None):
        super().__init__(noise)
        k = torch.as_tensor(np.asarray(kernel, dtype=np.float64))
        if k.dim() != 2:
            raise InputError(f"blur kernel must be 2-D, got shape {tuple(k.shape)}")
        self.register_buffer("kernel", k)

    def _otf(self, h: int, w: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        kh, kw = self.kernel.shape
        if kh > h or kw > w:
            raise InputError(f"blur kernel {kh}x{kw} is larger than the image {h}x{w}")
        psf = torch.zeros(h, w, dtype=dtype, device=device)
        psf[:kh, :kw] = self.kernel.to(device, dtype)
        psf = torch.roll(psf, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))
        return torch.fft.rfft2(psf)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``k * x`` (circular boundary)."""
        _check_image(x)
        h, w = x.shape[-2:]
        return torch.fft.irfft2(torch.fft.rfft2(x) * self._otf(h, w, x.device, x.dtype), s=(h, w))

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """``k ⋆ y`` (circular correlation, conjugate transfer function)."""
        _check_image(y)
        h, w = y.shape[-2:]
        otf = self._otf(h, w, y.device, y.dtype).conj()
        return torch.fft.irfft2(torch.fft.rfft2(y) * otf, s=(h, w))


# --------------------------------------------------------------------------- MRI


def cartesian_mask(
    size: Sequence[int], acceleration: float, center_fraction: float = 0.08, seed: int = 0
) -> torch.Tensor:
    """Random Cartesian undersampling: whole k-space columns (phase-encoding lines).

    The ``round(center_fraction · W)`` lowest-frequency columns are always sampled, the others
    are drawn without replacement so that ``round(W / acceleration)`` columns are sampled in total.
    The mask is returned *centred* (zero frequency at ``(H // 2, W // 2)``, as after
    :func:`torch.fft.fftshift`), shape ``(H, W)``, values 0/1.

    >>> m = cartesian_mask((32, 32), acceleration=4, center_fraction=0.125)
    >>> int(m[0].sum()), bool(m[:, 14:18].all())
    (8, True)
    """
    h, w = int(size[0]), int(size[1])
    if acceleration < 1:
        raise InputError(f"acceleration must be at least 1, got {acceleration}")
    n_total = max(1, round(w / acceleration))
    n_low = min(round(center_fraction * w), n_total)
    lo = w // 2 - n_low // 2
    cols = torch.zeros(w, dtype=torch.bool)
    cols[lo : lo + n_low] = True
    rest = torch.nonzero(~cols).flatten()
    g = torch.Generator().manual_seed(seed)
    cols[rest[torch.randperm(len(rest), generator=g)[: n_total - n_low]]] = True
    return cols.to(torch.float32).expand(h, w).clone()


def radial_mask(size: Sequence[int], spokes: int, golden: bool = False) -> torch.Tensor:
    """Radial k-space sampling: ``spokes`` lines through the centre, equally spaced over 180°
    (or by the golden angle 111.25°), rasterised to the nearest grid point every half pixel.
    Centred layout as :func:`cartesian_mask`.

    >>> m = radial_mask((32, 32), spokes=8)
    >>> bool(m[16, 16] == 1), 0.1 < float(m.mean()) < 0.5
    (True, True)
    """
    h, w = int(size[0]), int(size[1])
    if spokes < 1:
        raise InputError(f"number of spokes must be positive, got {spokes}")
    m = torch.zeros(h, w)
    cy, cx = h // 2, w // 2
    r = torch.arange(-math.hypot(h, w), math.hypot(h, w), 0.5, dtype=torch.float64)
    step = math.radians(111.246117975) if golden else math.pi / spokes
    for i in range(spokes):
        th = i * step
        ys = torch.round(cy + r * math.sin(th)).long()
        xs = torch.round(cx + r * math.cos(th)).long()
        ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        m[ys[ok], xs[ok]] = 1.0
    return m


class MRI(Operator):
    """Single-coil compressed-sensing MRI: ``A x = M ⊙ FFT₂(x)`` (orthonormal FFT).

    ``mask`` is a *centred* ``(H, W)`` k-space mask (see :func:`cartesian_mask`,
    :func:`radial_mask`); it is stored unshifted in :attr:`mask` (``torch.fft`` layout).
    Measurements are complex tensors of shape ``(B, C, H, W)`` in the ``torch.fft`` layout, zero
    off the mask. The adjoint is the real part of the zero-filled inverse FFT, which is the adjoint
    for the real inner product ``Re ⟨A x, y⟩`` (images are real).

    >>> op = MRI(cartesian_mask((16, 16), 4))
    >>> x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    >>> y = op(x)
    >>> y.dtype, op.adjoint(y).shape
    (torch.complex128, torch.Size([1, 1, 16, 16]))
    """

    def __init__(self, mask: torch.Tensor | np.ndarray, noise: Noise | None = None):
        super().__init__(noise)
        m = torch.as_tensor(np.asarray(mask, dtype=np.float32))
        if m.dim() != 2:
            raise InputError(f"k-space mask must be (H, W), got shape {tuple(m.shape)}")
        self.register_buffer("mask", torch.fft.ifftshift((m > 0.5).to(torch.float32)))

    @property
    def acceleration(self) -> float:
        """Number of k-space samples divided by the number sampled."""
        return self.mask.numel() / float(self.mask.sum())

    def _fit(self, hw: Sequence[int]) -> None:
        if tuple(hw) != tuple(self.mask.shape):
            mh, mw = self.mask.shape
            raise InputError(f"k-space mask is {mh}x{mw} but the image is {hw[0]}x{hw[1]}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Masked orthonormal 2-D FFT of ``x`` (complex)."""
        _check_image(x)
        self._fit(x.shape[-2:])
        return torch.fft.fft2(x, norm="ortho") * self.mask.to(x.device, x.dtype)

    def measure(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``A x`` plus noise, kept zero off the mask."""
        y = self.noise(self.forward(x), generator)
        return y * self.mask.to(y.device, y.real.dtype)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """``Re IFFT₂(M ⊙ y)`` (zero-filled reconstruction)."""
        _check_image(y)
        self._fit(y.shape[-2:])
        if not y.is_complex():
            y = y.to(torch.complex128 if y.dtype == torch.float64 else torch.complex64)
        m = self.mask.to(y.device, y.real.dtype)
        return torch.fft.ifft2(y * m, norm="ortho").real

    def check(self, y: torch.Tensor, input_shape: Sequence[int] | None = None) -> None:
        """``y`` must be a complex ``(B, C, H, W)`` tensor matching the mask."""
        _check_image(y, "measurement")
        if not y.is_complex():
            raise InputError("MRI measurements must be complex k-space data")
        self._fit(y.shape[-2:])
        self._check_shape(y, input_shape)


# --------------------------------------------------------------------------- CT


class CTRadon(Operator):
    """Parallel-beam CT: a differentiable Radon transform built on ``grid_sample``.

    For each angle θ (degrees) the image is rotated about pixel ``(N // 2, N // 2)`` with bilinear
    interpolation (zero outside) and summed over rows, exactly the discretisation of
    :func:`skimage.transform.radon` (which uses ``warp`` with order 1). With ``circle=True``
    (default) the image must be square and is assumed zero outside its inscribed circle, and the
    detector has ``N`` bins; with ``circle=False`` the image is zero-padded to its diagonal as
    skimage does. The sinogram has shape ``(B, C, D, n_angles)`` like skimage's ``(D, n_angles)``.
    The adjoint (back-projection) is the exact transpose, obtained by differentiating the forward.
    Angles are processed in chunks of ``chunk`` to bound memory.

    >>> op = CTRadon(np.linspace(0, 180, 12, endpoint=False))
    >>> op(torch.ones(1, 1, 16, 16)).shape
    torch.Size([1, 1, 16, 12])
    """

    def __init__(
        self,
        angles: Sequence[float] | np.ndarray | torch.Tensor | int = 180,
        circle: bool = True,
        chunk: int = 32,
        noise: Noise | None = None,
    ):
        super().__init__(noise)
        if isinstance(angles, int):
            angles = np.linspace(0.0, 180.0, angles, endpoint=False)
        a = torch.as_tensor(np.asarray(angles, dtype=np.float64)).flatten()
        if a.numel() == 0:
            raise InputError("CT needs at least one projection angle")
        self.register_buffer("angles", a)
        self.circle = bool(circle)
        self.chunk = int(chunk)

    def _padding(self, h: int, w: int) -> tuple[int, int, int, int]:
        """``(top, bottom, left, right)`` zero padding, as skimage's ``radon``."""
        if self.circle:
            return (0, 0, 0, 0)
        diag = math.sqrt(2) * max(h, w)
        pads = [math.ceil(diag - s) for s in (h, w)]
        before = [(s + p) // 2 - s // 2 for s, p in zip((h, w), pads, strict=True)]
        return (before[0], pads[0] - before[0], before[1], pads[1] - before[1])

    def _size(self, h: int, w: int) -> int:
        t, b, lft, r = self._padding(h, w)
        if h + t + b != w + lft + r:
            raise InputError(f"CT with circle=True needs a square image, got {h}x{w}")
        return h + t + b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sinogram ``(B, C, D, n_angles)`` of ``x`` ``(B, C, H, W)``."""
        _check_image(x)
        b, c, h, w = x.shape
        n = self._size(h, w)
        t, bo, lft, r = self._padding(h, w)
        if t or bo or lft or r:
            x = F.pad(x, (lft, r, t, bo))
        img = x.reshape(1, b * c, n, n)
        centre = n // 2
        coords = torch.arange(n, device=x.device, dtype=x.dtype) - centre
        yy, xx = torch.meshgrid(coords, coords, indexing="ij")
        theta = torch.deg2rad(self.angles.to(x.device, x.dtype))
        scale = 2.0 / (n - 1) if n > 1 else 1.0
        cols = []
        for start in range(0, theta.numel(), self.chunk):
            th = theta[start : start + self.chunk]
            cos, sin = th.cos().view(-1, 1, 1), th.sin().view(-1, 1, 1)
            src_x = cos * xx + sin * yy + centre
            src_y = -sin * xx + cos * yy + centre
            grid = torch.stack((src_x, src_y), dim=-1) * scale - 1.0
            rot = F.grid_sample(
                img.expand(th.numel(), -1, -1, -1),
                grid,
                mode="bilinear",
                padding_mode="zeros",
                align_corners=True,
            )  # (A, B*C, N, N)
            cols.append(rot.sum(dim=2))  # sum over rows -> (A, B*C, N)
        sino = torch.cat(cols, dim=0)  # (n_angles, B*C, D)
        return sino.permute(1, 2, 0).reshape(b, c, n, theta.numel())

    def output_shape(self, input_shape: Sequence[int]) -> Shape:
        """``(B, C, D, n_angles)``."""
        h, w = int(input_shape[-2]), int(input_shape[-1])
        return (*input_shape[:-2], self._size(h, w), self.angles.numel())

    def input_shape(self, output_shape: Sequence[int]) -> Shape:
        """``(B, C, D, D)`` (``circle=True``); ambiguous with ``circle=False`` unless square."""
        d = int(output_shape[-2])
        if not self.circle:
            # smallest square N whose padded size is d
            for n in range(1, d + 1):
                if self._size(n, n) == d:
                    return (*output_shape[:-2], n, n)
            raise InputError(f"no square image gives a {d}-bin sinogram")
        return (*output_shape[:-2], d, d)

    def check(self, y: torch.Tensor, input_shape: Sequence[int] | None = None) -> None:
        """``y`` must be a real ``(B, C, D, n_angles)`` sinogram."""
        super().check(y, input_shape)
        if y.shape[-1] != self.angles.numel():
            raise InputError(
                f"sinogram has {y.shape[-1]} projections, expected {self.angles.numel()} angles"
            )
