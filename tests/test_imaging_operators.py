"""Tests for the imaging forward operators (adjointness, references, noise statistics, checks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.data import shepp_logan_phantom
from skimage.transform import radon, rescale, resize

from dnnsolve.core.errors import InputError
from dnnsolve.imaging.operators import (
    MRI,
    Blur,
    CTRadon,
    Denoising,
    Downsampling,
    GaussianNoise,
    Inpainting,
    PoissonNoise,
    SaltPepperNoise,
    bicubic_kernel,
    cartesian_mask,
    downsampler_kernel,
    gaussian_kernel,
    motion_kernel,
    radial_mask,
)


def _inner(a: torch.Tensor, b: torch.Tensor) -> float:
    """Real inner product (``Re ⟨a, b⟩`` for complex tensors)."""
    if a.is_complex() or b.is_complex():
        return float((a.conj() * b).real.sum())
    return float((a * b).sum())


def _adjoint_gap(op, shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    ax = op(x)
    if ax.is_complex():
        y = torch.complex(
            torch.randn(ax.shape, generator=g, dtype=torch.float64),
            torch.randn(ax.shape, generator=g, dtype=torch.float64),
        )
    else:
        y = torch.randn(ax.shape, generator=g, dtype=torch.float64)
    aty = op.adjoint(y)
    assert aty.shape == x.shape and not aty.is_complex()
    lhs, rhs = _inner(ax, y), _inner(x, aty)
    return abs(lhs - rhs), abs(lhs)


LINEAR = {
    "denoise": (lambda: Denoising(), (2, 3, 16, 16)),
    "inpaint": (lambda: Inpainting.random((16, 12), 0.5, seed=1), (2, 3, 16, 12)),
    "inpaint-rgb-mask": (lambda: Inpainting.random((8, 8), 0.3, channels=3), (1, 3, 8, 8)),
    "sr2-lanczos2": (lambda: Downsampling(2), (2, 3, 16, 24)),
    "sr4-lanczos3": (lambda: Downsampling(4, "lanczos3"), (1, 2, 32, 32)),
    "sr8-bicubic": (lambda: Downsampling(8, "bicubic"), (1, 1, 64, 64)),
    "sr4-reflect": (lambda: Downsampling(4, padding="reflect"), (1, 3, 32, 16)),
    "sr2-circular": (lambda: Downsampling(2, padding="circular"), (1, 1, 16, 16)),
    "sr4-box": (lambda: Downsampling(4, "box"), (1, 1, 16, 16)),
    "blur-gauss": (lambda: Blur(gaussian_kernel(1.5)), (2, 3, 20, 17)),
    "blur-motion": (lambda: Blur(motion_kernel(7, 30)), (1, 1, 16, 16)),
    "blur-even": (lambda: Blur(np.random.default_rng(0).random((4, 6))), (1, 1, 12, 12)),
    "mri-cartesian": (lambda: MRI(cartesian_mask((16, 20), 4)), (2, 1, 16, 20)),
    "mri-radial": (lambda: MRI(radial_mask((16, 16), 6)), (1, 2, 16, 16)),
    "ct-circle": (lambda: CTRadon(10), (2, 1, 16, 16)),
    "ct-full": (lambda: CTRadon(np.linspace(0, 170, 7), circle=False, chunk=3), (1, 2, 12, 12)),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_adjoint(name):
    make, shape = LINEAR[name]
    gap, scale = _adjoint_gap(make(), shape)
    assert gap <= 1e-5 * scale


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_output_shape_and_check(name):
    make, shape = LINEAR[name]
    op = make()
    y = op(torch.rand(shape, dtype=torch.float64))
    assert tuple(y.shape) == op.output_shape(shape)
    assert op.input_shape(tuple(y.shape)) == shape
    op.check(y, shape)
    with pytest.raises(InputError):
        op.check(y[0])  # not (B, C, H, W)


# --------------------------------------------------------------------------- noise


def test_gaussian_noise_statistics():
    x = torch.full((2, 3, 64, 64), 0.5, dtype=torch.float64)
    y = Denoising(GaussianNoise(25 / 255)).measure(x, torch.Generator().manual_seed(0))
    n = y - x
    assert abs(float(n.mean())) < 3e-3
    assert abs(float(n.std()) - 25 / 255) < 2e-3
    y2 = Denoising().measure(x, torch.Generator().manual_seed(0))
    assert torch.equal(y, y2)  # default is the DIP protocol σ = 25/255, seeded


def test_poisson_noise_statistics():
    x = torch.full((1, 1, 64, 64), 0.4)
    y = PoissonNoise(peak=20.0)(x, torch.Generator().manual_seed(1))
    assert abs(float(y.mean()) - 0.4) < 0.01
    assert abs(float(y.var()) - 0.4 / 20.0) < 0.002
    assert y.dtype == x.dtype


def test_salt_pepper_fraction():
    x = torch.full((1, 3, 64, 64), 0.5)
    y = SaltPepperNoise(0.1)(x, torch.Generator().manual_seed(2))
    assert abs(float((y == 0).float().mean()) - 0.05) < 0.01
    assert abs(float((y == 1).float().mean()) - 0.05) < 0.01
    assert torch.equal(y[(y != 0) & (y != 1)], x[(y != 0) & (y != 1)])


def test_noise_argument_errors():
    with pytest.raises(InputError):
        GaussianNoise(-1)
    with pytest.raises(InputError):
        PoissonNoise(0)
    with pytest.raises(InputError):
        SaltPepperNoise(1.5)


def test_mri_complex_noise_stays_on_mask():
    op = MRI(cartesian_mask((16, 16), 4), noise=GaussianNoise(0.1))
    y = op.measure(torch.rand(1, 1, 16, 16), torch.Generator().manual_seed(0))
    assert y.is_complex()
    assert torch.all(y[..., op.mask == 0] == 0)


# --------------------------------------------------------------------------- inpainting


def test_inpainting_mask_from_image_and_check():
    mask_img = np.zeros((8, 10), dtype=np.uint8)
    mask_img[:, :5] = 255
    op = Inpainting(mask_img / 255.0)
    y = op(torch.ones(1, 3, 8, 10))
    assert float(y[..., :5].min()) == 1.0 and float(y[..., 5:].max()) == 0.0
    with pytest.raises(InputError, match="mask is 8x10"):
        op.check(torch.zeros(1, 3, 8, 8))
    rgb = Inpainting(np.ones((3, 8, 10)))
    with pytest.raises(InputError, match="channels"):
        rgb.check(torch.zeros(1, 1, 8, 10))


def test_inpainting_random_is_seeded():
    a = Inpainting.random((16, 16), 0.5, seed=3).mask
    b = Inpainting.random((16, 16), 0.5, seed=3).mask
    c = Inpainting.random((16, 16), 0.5, seed=4).mask
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert float(a.mean()) == 0.5


# --------------------------------------------------------------------------- super-resolution


def test_downsampler_kernel_matches_hand_computation():
    # phase 0.5, factor 2, bicubic: taps at |t| = (0.25, 0.75, 1.25, 1.75) on both sides
    k = downsampler_kernel(2, "bicubic")
    t = np.array([1.75, 1.25, 0.75, 0.25, 0.25, 0.75, 1.25, 1.75])
    taps = bicubic_kernel(t)
    np.testing.assert_allclose(k, np.outer(taps, taps) / np.outer(taps, taps).sum(), atol=1e-15)
    # Lanczos-2 at offset 0.25: 2 sin(π/4) sin(π/8) / (π² / 16)
    lz = downsampler_kernel(2, "lanczos2")
    tap = 2 * np.sin(np.pi * 0.25) * np.sin(np.pi * 0.125) / (np.pi**2 * 0.0625)
    row = lz.sum(axis=0)
    assert row[3] == pytest.approx(tap / sum_lanczos2_taps(), rel=1e-12)
    assert downsampler_kernel(3, "lanczos3").shape == (18, 18)
    assert downsampler_kernel(4, "box").shape == (4, 4)
    with pytest.raises(InputError):
        downsampler_kernel(2, "nearest")


def sum_lanczos2_taps() -> float:
    t = np.abs((np.arange(1, 9) + 0.5 - 5.0) / 2)
    return float(np.sum(2 * np.sin(np.pi * t) * np.sin(np.pi * t / 2) / (np.pi**2 * t**2)))


@pytest.mark.parametrize("factor", [2, 4, 8])
@pytest.mark.parametrize("kind", ["lanczos2", "lanczos3", "bicubic"])
def test_downsampling_constant_and_resize(factor, kind):
    op = Downsampling(factor, kind)
    c = op(torch.full((1, 1, 64, 64), 0.7, dtype=torch.float64))
    assert c.shape == (1, 1, 64 // factor, 64 // factor)
    assert torch.allclose(c, torch.tensor(0.7, dtype=torch.float64), atol=1e-12)
    # a smooth image: loose agreement with skimage's anti-aliased resize
    yy, xx = np.mgrid[0:64, 0:64] / 64.0
    img = 0.5 + 0.25 * np.sin(2 * np.pi * xx) * np.cos(2 * np.pi * yy)
    ours = op(torch.tensor(img)[None, None])[0, 0].numpy()
    ref = resize(img, (64 // factor, 64 // factor), order=3, anti_aliasing=True)
    b = 1  # border
    assert np.abs(ours - ref)[b:-b, b:-b].max() < 0.05


def test_downsampling_check_size():
    op = Downsampling(4)
    with pytest.raises(InputError, match="not divisible by the scale 4"):
        op(torch.zeros(1, 3, 30, 32))
    with pytest.raises(InputError, match="expected"):
        op.check(torch.zeros(1, 3, 8, 8), input_shape=(1, 3, 64, 64))
    op.check(torch.zeros(1, 3, 16, 16), input_shape=(1, 3, 64, 64))
    with pytest.raises(InputError):
        Downsampling(2, padding="zeros")


def test_downsampling_autograd_matches_adjoint():
    op = Downsampling(2)
    x = torch.rand(1, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 4, 4, dtype=torch.float64)
    (g,) = torch.autograd.grad((op(x) * y).sum(), x)
    assert torch.allclose(g, op.adjoint(y), atol=1e-12)


# --------------------------------------------------------------------------- deblurring


@pytest.mark.parametrize(
    "kernel",
    [gaussian_kernel(1.2), motion_kernel(9, 45), np.random.default_rng(1).random((5, 3))],
    ids=["gauss", "motion", "random"],
)
def test_blur_matches_scipy_wrap(kernel):
    img = np.random.default_rng(0).random((24, 20))
    ours = Blur(kernel)(torch.tensor(img)[None, None])[0, 0].numpy()
    ref = ndimage.convolve(img, kernel, mode="wrap")
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    adj = Blur(kernel).adjoint(torch.tensor(img)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(adj, ndimage.correlate(img, kernel, mode="wrap"), atol=1e-12)


def test_blur_kernels():
    k = motion_kernel(5, 90)
    np.testing.assert_allclose(k[:, 2], 0.2, atol=1e-12)
    assert motion_kernel(6, 20).sum() == pytest.approx(1.0)
    assert gaussian_kernel(2.0, size=9).shape == (9, 9)
    with pytest.raises(InputError, match="larger than the image"):
        Blur(gaussian_kernel(3.0))(torch.zeros(1, 1, 8, 8))


# --------------------------------------------------------------------------- MRI


@pytest.mark.parametrize("accel", [2, 4, 8])
def test_cartesian_mask_acceleration_and_centre(accel):
    m = cartesian_mask((64, 64), accel, center_fraction=0.08, seed=5)
    assert float(m.sum(dim=1).unique().numel()) == 1.0  # whole columns
    assert m[0].sum() == round(64 / accel)
    n_low = round(0.08 * 64)
    assert bool(m[:, 32 - n_low // 2 : 32 - n_low // 2 + n_low].all())
    op = MRI(m)
    assert op.acceleration == pytest.approx(64 / round(64 / accel))
    assert op.mask[0, 0] == 1  # DC sampled, in torch.fft layout
    assert not torch.equal(m, cartesian_mask((64, 64), accel, seed=6))


def test_radial_mask_spokes():
    few, many = radial_mask((64, 64), 8), radial_mask((64, 64), 32)
    assert few[32, 32] == 1 and float(few.mean()) < float(many.mean()) < 1
    assert bool(few[32, :].all())  # the horizontal spoke (0°)
    assert bool(few[:, 32].all())  # the vertical spoke (90°)


def test_mri_zero_filled_full_sampling_is_identity():
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    op = MRI(torch.ones(16, 16))
    assert torch.allclose(op.adjoint(op(x)), x, atol=1e-12)


def test_mri_check():
    op = MRI(cartesian_mask((16, 16), 4))
    y = op(torch.rand(1, 1, 16, 16))
    op.check(y)
    with pytest.raises(InputError, match="complex"):
        op.check(y.real)
    with pytest.raises(InputError, match="mask is 16x16"):
        op.check(torch.zeros(1, 1, 16, 8, dtype=torch.complex64))


# --------------------------------------------------------------------------- CT


@pytest.fixture(scope="module")
def phantom():
    return rescale(shepp_logan_phantom(), 64 / 400, anti_aliasing=True)


@pytest.mark.parametrize("circle", [True, False])
def test_radon_matches_skimage(phantom, circle):
    theta = np.linspace(0.0, 180.0, 30, endpoint=False)
    ref = radon(phantom, theta, circle=circle)
    ours = CTRadon(theta, circle=circle)(torch.tensor(phantom)[None, None])[0, 0].numpy()
    assert ours.shape == ref.shape
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.999
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-6


def test_radon_float32_and_backprojection(phantom):
    op = CTRadon(16)
    x = torch.tensor(phantom, dtype=torch.float32)[None, None].repeat(2, 1, 1, 1)
    sino = op(x)
    assert sino.dtype == torch.float32 and sino.shape == (2, 1, 64, 16)
    bp = op.adjoint(sino)
    assert bp.shape == x.shape
    # back-projection of the phantom's sinogram correlates with the phantom
    assert np.corrcoef(bp[0, 0].flatten().numpy(), phantom.ravel())[0, 1] > 0.5


def test_radon_check():
    op = CTRadon(10)
    with pytest.raises(InputError, match="square"):
        op(torch.zeros(1, 1, 8, 10))
    with pytest.raises(InputError, match="projections"):
        op.check(torch.zeros(1, 1, 8, 9))
    op.check(torch.zeros(1, 1, 8, 10), input_shape=(1, 1, 8, 8))


def test_device_follows_input_dtype():
    x = torch.rand(1, 1, 16, 16, dtype=torch.float32)
    for op in (Downsampling(2), Blur(gaussian_kernel(1.0)), Inpainting.random((16, 16), 0.5)):
        assert op(x).dtype == torch.float32 and op.adjoint(op(x)).dtype == torch.float32


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(LINEAR))
def test_cuda_matches_cpu(name):
    make, shape = LINEAR[name]
    op = make()
    x = torch.rand(shape, dtype=torch.float64)
    y = op(x)
    x_gpu = x.cuda()
    y_gpu = op(x_gpu)
    assert y_gpu.is_cuda and torch.allclose(y_gpu.cpu(), y, atol=1e-10)
    assert torch.allclose(op.adjoint(y_gpu).cpu(), op.adjoint(y), atol=1e-10)
    noisy = Denoising().measure(x_gpu, torch.Generator(device="cuda").manual_seed(0))
    assert noisy.is_cuda
