"""Untrained-network reconstruction on the core solver: every method recovers a known image.

Small crops of the bundled images, small networks and a few hundred steps keep each case to a
few seconds on one CPU core; the thresholds are measured figures minus a margin, and every PSNR
is recomputed here with scikit-image, independently of the library's metrics.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio

from dnnsolve.core.errors import InputError
from dnnsolve.imaging import (
    IMAGE_METHODS,
    MRI,
    Blur,
    CTRadon,
    Denoising,
    Downsampling,
    GaussianNoise,
    Inpainting,
    NetworkImage,
    ResNet,
    UNet,
    example_image,
    read_image,
    reconstruct,
    to_numpy,
)
from dnnsolve.imaging.operators import cartesian_mask, gaussian_kernel

SMALL_DIP = {"channels_down": [16, 32, 32], "channels_up": [16, 32, 32], "channels_skip": [4, 4, 4]}


@pytest.fixture(scope="module")
def camera64():
    return read_image(example_image("camera"))[..., 200:264, 200:264].contiguous()


@pytest.fixture(scope="module")
def astronaut64():
    return read_image(example_image("astronaut"))[..., 64:128, 96:160].contiguous()


def _psnr(img, ref) -> float:
    """scikit-image's PSNR on the arrays, not the library's."""
    return peak_signal_noise_ratio(to_numpy(ref), to_numpy(img.clamp(0, 1)), data_range=1.0)


def _noisy(clean, sigma=25 / 255, seed=0):
    return Denoising(GaussianNoise(sigma)).measure(clean, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    ("method", "options", "threshold"),
    [
        ("dip", SMALL_DIP, 24.5),  # measured 25.3
        ("deep-decoder", {"channels": 32, "depth": 4}, 24.5),  # measured 25.6
        ("dip-tv", SMALL_DIP, 24.5),
        ("sgdip", SMALL_DIP, 24.5),
        # slower to fit: more steps
        ("dip-unet", {"channels": [16, 32, 32], "iterations": 500}, 23.0),
        ("dip-resnet", {"channels": 16, "blocks": 2, "iterations": 500}, 23.0),
    ],
)
def test_denoising_beats_the_noisy_input(astronaut64, method, options, threshold):
    noisy = _noisy(astronaut64)
    options = dict(options)
    steps = options.pop("iterations", 300)
    out = reconstruct(
        noisy, Denoising(), method=method, iterations=steps, options=options, seed=0,
        early_stop="none",
    )  # fmt: skip
    before = _psnr(noisy, astronaut64)  # ≈ 21.1 dB
    after = _psnr(out.image, astronaut64)
    assert before < 21.5
    assert after > threshold, (method, after)
    assert out.image.shape == astronaut64.shape
    assert out.result.feasible and out.result.stop_reason == "steps"
    assert float(out.image.min()) >= 0.0 and float(out.image.max()) <= 1.0


def test_siren_fits_an_image(camera64):
    out = reconstruct(
        camera64,
        Denoising(GaussianNoise(0.0)),
        method="siren",
        iterations=300,
        lr=1e-3,
        options={"hidden": 64, "hidden_layers": 2},
        reference=camera64,
        early_stop="none",
    )
    assert _psnr(out.image, camera64) > 40.0  # measured 46.6
    assert out.metrics["psnr"] == pytest.approx(_psnr(out.image, camera64), abs=1e-3)


def test_inpainting_half_the_pixels(camera64):
    op = Inpainting.random((64, 64), missing=0.5, seed=0)
    y = op.measure(camera64)
    out = reconstruct(y, op, method="dip", iterations=300, options=SMALL_DIP, early_stop="none")
    assert _psnr(y, camera64) < 16.0
    assert _psnr(out.image, camera64) > 28.0  # measured 30.0


def test_superresolution_beats_nearest_upsampling(astronaut64):
    op = Downsampling(2)
    y = op.measure(astronaut64)
    out = reconstruct(y, op, method="dip", iterations=400, options=SMALL_DIP, early_stop="none")
    assert out.image.shape == astronaut64.shape
    nearest = F.interpolate(y, scale_factor=2, mode="nearest")
    assert _psnr(out.image, astronaut64) > _psnr(nearest, astronaut64) + 1.0  # 26.9 vs 25.1


def test_deblurring_beats_the_blurred_input(astronaut64):
    op = Blur(gaussian_kernel(1.5), GaussianNoise(0.01))
    y = op.measure(astronaut64, torch.Generator().manual_seed(0))
    out = reconstruct(y, op, method="dip", iterations=400, options=SMALL_DIP)
    assert _psnr(out.image, astronaut64) > _psnr(y, astronaut64) + 1.5  # 23.9 vs 21.8


def test_mri_beats_zero_filling(camera64):
    op = MRI(cartesian_mask((64, 64), 4))
    y = op.measure(camera64)
    out = reconstruct(y, op, method="dip", iterations=300, options=SMALL_DIP)
    zero_filled = op.adjoint(y)
    assert _psnr(out.image, camera64) > _psnr(zero_filled, camera64) + 1.5  # 24.6 vs 22.4


def test_ct_from_thirty_angles(camera64):
    op = CTRadon(30)
    y = op.measure(camera64)
    out = reconstruct(y, op, method="dip", iterations=300, options=SMALL_DIP)
    assert _psnr(out.image, camera64) > 23.0  # measured 25.3


def test_early_stopping_by_windowed_variance_returns_the_minimum(astronaut64):
    noisy = _noisy(astronaut64)
    out = reconstruct(
        noisy,
        Denoising(),
        method="deep-decoder",
        iterations=3000,
        early_stop="wmv",
        window=20,
        patience=60,
        options={"channels": 16, "depth": 3},
        reference=astronaut64,
        trace_every=5,
    )
    res = out.result
    assert res.stop_reason == "early_stop"
    assert res.steps < 3000
    ret = res.extra["returned"]
    assert ret["by"] == "es-wmv" and ret["step"] <= res.steps - 60
    assert "no new minimum" in ret["why"]
    # the trace recorded PSNR against the reference; the returned image is a real estimate
    assert out.trace and all("psnr" in r for r in out.trace)
    assert _psnr(out.image, astronaut64) > _psnr(noisy, astronaut64) + 2.0


def test_restarts_are_batched_and_averaged(astronaut64):
    noisy = _noisy(astronaut64)
    kw = dict(method="deep-decoder", iterations=150, options={"channels": 16, "depth": 3},
              early_stop="none")  # fmt: skip
    one = reconstruct(noisy, Denoising(), restarts=1, average=0.95, **kw)
    three = reconstruct(noisy, Denoising(), restarts=3, average=0.95, **kw)
    assert three.result.restarts == 3
    assert three.result.extra["returned"]["by"] == "average"
    # the ensemble of three independently initialized networks is better than one of them
    assert _psnr(three.image, astronaut64) > _psnr(one.image, astronaut64)


def test_loop_and_vmap_batching_agree():
    from dnnsolve.imaging import DeepDecoder

    def make():
        return DeepDecoder(1, 8, depth=2)

    def inp(g):
        return make().input(16, 16, g)

    a = NetworkImage(make, inp, (1, 16, 16), restarts=3, batching="loop")
    b = NetworkImage(make, inp, (1, 16, 16), restarts=3, batching="vmap")
    with torch.no_grad():
        assert torch.allclose(a(), b(), atol=1e-5)
    # different restarts are differently initialized
    assert not torch.allclose(a.image()[0], a.image()[1])


def test_reset_reinitializes_only_masked_restarts():
    from dnnsolve.imaging import DeepDecoder

    p = NetworkImage(
        lambda: DeepDecoder(1, 8, depth=2),
        lambda g: DeepDecoder(1, 8, depth=2).input(16, 16, g),
        (1, 16, 16),
        restarts=2,
    )
    with torch.no_grad():
        before = p().clone()
        p.reset_(torch.tensor([False, True]), torch.Generator().manual_seed(5))
        after = p()
    assert torch.equal(before[0], after[0]) and not torch.equal(before[1], after[1])


def test_unet_and_resnet_keep_the_image_size():
    z = torch.rand(1, 4, 32, 48)
    assert UNet(4, 3, channels=(8, 8, 8))(z).shape == (1, 3, 32, 48)
    assert ResNet(4, 1, channels=8, blocks=1)(z).shape == (1, 1, 32, 48)


def test_odd_sizes_are_padded_and_cropped_back():
    clean = read_image(example_image("astronaut"))[..., :37, :45]
    out = reconstruct(clean, Denoising(), method="dip", iterations=5, options=SMALL_DIP)
    assert out.image.shape == (1, 3, 37, 45)


def test_bad_input_is_a_one_line_error(camera64):
    with pytest.raises(InputError, match="unknown image method"):
        reconstruct(camera64, Denoising(), method="nope")
    with pytest.raises(InputError, match="early_stop"):
        reconstruct(camera64, Denoising(), early_stop="sometimes")
    with pytest.raises(InputError, match="not divisible"):
        reconstruct(camera64[..., :63, :64], Downsampling(4), iterations=1, shape=(1, 250, 256))
    with pytest.raises(InputError, match="bad network option"):
        reconstruct(camera64, Denoising(), method="deep-decoder", options={"bogus": 1})
    with pytest.raises(InputError, match="reference"):
        reconstruct(camera64, Denoising(), iterations=1, reference=camera64[..., :32, :32])


def test_every_method_is_documented():
    assert next(iter(IMAGE_METHODS)) == "dip"
    for m in IMAGE_METHODS.values():
        assert m.summary and m.lr > 0 and m.iterations > 0
    assert np.isfinite([m.lr for m in IMAGE_METHODS.values()]).all()


def test_mixed_precision_and_channels_last_run_on_cpu(astronaut64):
    noisy = _noisy(astronaut64)
    out = reconstruct(
        noisy,
        Denoising(),
        method="deep-decoder",
        iterations=150,
        options={"channels": 16, "depth": 3},
        amp=True,
        channels_last=True,
        early_stop="none",
    )
    assert out.image.dtype == torch.float32
    assert _psnr(out.image, astronaut64) > _psnr(noisy, astronaut64) + 1.0
