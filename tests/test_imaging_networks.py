"""Tests for the untrained image generators (dnnsolve.imaging.networks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.imaging.networks import (
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


def _nparams(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


@pytest.fixture(scope="module")
def crop() -> np.ndarray:
    """A textured 32x32 crop of scikit-image's camera(), in [0, 1]."""
    skimage_data = pytest.importorskip("skimage.data")
    img = skimage_data.camera()[200:232, 220:252].astype(np.float32) / 255.0
    assert img.std() > 0.1  # not a flat patch
    return img


def _fit(model: torch.nn.Module, render, target: np.ndarray, steps: int, lr: float) -> float:
    t = torch.from_numpy(target)[None, None]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((render() - t) ** 2).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return _psnr(render().numpy()[0, 0], target)


# ----------------------------------------------------------------------------- inputs


def test_noise_input_matches_dip():
    g = torch.Generator().manual_seed(3)
    z = noise_input(32, 40, 24, generator=g)
    assert z.shape == (1, 32, 40, 24)
    assert z.min() >= 0.0 and z.max() <= 0.1
    assert abs(z.mean().item() - 0.05) < 0.002  # U(0, 1) * 0.1
    same = noise_input(32, 40, 24, generator=torch.Generator().manual_seed(3))
    assert torch.equal(z, same)
    m = noise_input(2, 5, 3, kind="meshgrid")
    xs, ys = np.meshgrid(np.arange(3) / 2, np.arange(5) / 4)
    np.testing.assert_allclose(m[0, 0].numpy(), xs, atol=1e-7)
    np.testing.assert_allclose(m[0, 1].numpy(), ys, atol=1e-7)
    with pytest.raises(InputError):
        noise_input(3, 4, 4, kind="meshgrid")
    with pytest.raises(InputError):
        noise_input(3, 4, 4, kind="gaussian")


def test_jitter_input():
    z0 = noise_input(8, 64, 64, generator=torch.Generator().manual_seed(0))
    z = jitter_input(z0, 1 / 30, torch.Generator().manual_seed(1))
    d = (z - z0).flatten()
    assert abs(d.std().item() - 1 / 30) < 1e-3 and abs(d.mean().item()) < 1e-3
    assert jitter_input(z0, 0.0) is z0


def test_crop_to_multiple_matches_dip_center_crop():
    img = torch.arange(100 * 70, dtype=torch.float32).reshape(1, 100, 70)
    out = crop_to_multiple(img, 32)
    assert out.shape == (1, 96, 64)
    np.testing.assert_array_equal(out.numpy(), img.numpy()[:, 2:98, 3:67])
    assert crop_to_multiple(img, 64).shape == (1, 64, 64)
    with pytest.raises(InputError):
        crop_to_multiple(torch.zeros(20, 40), 32)


# ----------------------------------------------------------------------------- skip net


def _expected_skip_params(cin, cout, down, up, skip, fd=3, fu=3, fs=1, need1x1=True):
    """Parameter count of the DIP skip net from its layer list (conv weights + biases, BN affine)."""
    total = 0
    n = len(down)
    for i in range(n):
        if skip[i]:
            total += cin * skip[i] * fs * fs + skip[i] + 2 * skip[i]  # conv + BN
        total += cin * down[i] * fd * fd + down[i] + 2 * down[i]  # stride-2 conv + BN
        total += down[i] * down[i] * fd * fd + down[i] + 2 * down[i]  # conv + BN
        k = up[i + 1] if i < n - 1 else down[i]
        total += 2 * (skip[i] + k)  # BN after the concatenation
        total += (skip[i] + k) * up[i] * fu * fu + up[i] + 2 * up[i]  # conv + BN
        if need1x1:
            total += up[i] * up[i] + up[i] + 2 * up[i]  # 1x1 conv + BN
        cin = down[i]
    return total + up[0] * cout + cout  # output 1x1 conv


def test_skipnet_denoising_parameter_count():
    net = SkipNet()  # defaults = the denoising notebook's get_net(32, 'skip', ...)
    expected = _expected_skip_params(32, 3, [128] * 5, [128] * 5, [4] * 5)
    assert expected == 2_217_831  # the count given in the research notes (§1.1)
    assert _nparams(net) == expected
    assert _nparams(SkipNet.preset("denoising")) == expected


@pytest.mark.parametrize("task", sorted(DIP_SETTINGS))
def test_skipnet_presets_parameter_counts(task):
    s = DIP_SETTINGS[task]
    net = SkipNet.preset(task, out_channels=1)
    cfg = s["net"]
    expected = _expected_skip_params(
        s["input_depth"],
        1,
        cfg["channels_down"],
        cfg["channels_up"],
        cfg["channels_skip"],
        fd=cfg.get("filter_size_down", 3),
        need1x1=cfg.get("need1x1_up", True),
    )
    assert _nparams(net) == expected


def test_skipnet_shapes_and_range():
    net = SkipNet()
    z = noise_input(32, 96, 160, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = net(z)
    assert out.shape == (1, 3, 96, 160)  # multiples of 32, not powers of two
    assert out.min() >= 0.0 and out.max() <= 1.0
    # any size cropped to a multiple of 2**scales round-trips
    img = torch.rand(1, 3, 75, 53)
    small = SkipNet(4, 3, [8] * 3, [8] * 3, [2] * 3)
    c = crop_to_multiple(img, 8)
    with torch.no_grad():
        assert small(noise_input(4, *c.shape[-2:])).shape == c.shape


@pytest.mark.parametrize(
    "kw",
    [
        dict(upsample_mode="nearest", pad="zero"),
        dict(downsample_mode="avg", act_fun="ELU"),
        dict(downsample_mode="max", need1x1_up=False, channels_skip=[0, 3]),
        dict(filter_size_down=5, need_sigmoid=False),
    ],
)
def test_skipnet_variants(kw):
    base = dict(in_channels=2, out_channels=1, channels_down=[6, 6], channels_up=[6, 6])
    base["channels_skip"] = [2, 2]
    base.update(kw)
    net = SkipNet(**base)
    out = net(noise_input(2, 16, 24))
    assert out.shape == (1, 1, 16, 24)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_skipnet_bad_arguments():
    with pytest.raises(InputError):
        SkipNet(channels_down=[8, 8], channels_up=[8], channels_skip=[4, 4])
    with pytest.raises(InputError):
        SkipNet(channels_down=[8], channels_up=[8], channels_skip=[4], upsample_mode="cubic")
    with pytest.raises(InputError):
        SkipNet.preset("deblurring")


def test_skipnet_overfits_clean_crop(crop):
    torch.manual_seed(0)
    net = SkipNet(8, 1, [16] * 3, [16] * 3, [4] * 3)
    z = noise_input(8, 32, 32, generator=torch.Generator().manual_seed(0))
    assert _fit(net, lambda: net(z), crop, steps=200, lr=0.01) >= 32.0


# ----------------------------------------------------------------------------- decoders


def test_deep_decoder_structure():
    dd = DeepDecoder(out_channels=3, channels=64, depth=5)
    # 6 bias-free 1x1 channel-mixing layers + BN (affine) after each + output layer
    assert _nparams(dd) == 6 * 64 * 64 + 6 * 2 * 64 + 64 * 3
    z = dd.input(64, 96, generator=torch.Generator().manual_seed(0))
    assert z.shape == (1, 64, 2, 3)
    with torch.no_grad():
        out = dd(z)
    assert out.shape == (1, 3, 64, 96)
    assert out.min() >= 0.0 and out.max() <= 1.0
    convs = [m for m in dd.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 7 and all(c.kernel_size == (1, 1) and c.bias is None for c in convs)
    with pytest.raises(InputError):
        dd.input(60, 96)


def test_deep_decoder_fits_crop(crop):
    torch.manual_seed(0)
    dd = DeepDecoder(out_channels=1, channels=32, depth=3)
    z = dd.input(32, 32, generator=torch.Generator().manual_seed(0))
    assert _fit(dd, lambda: dd(z), crop, steps=300, lr=0.01) >= 33.0


def test_conv_decoder_exact_size():
    net = ConvDecoder(out_size=(37, 50), out_channels=2, channels=8, num_layers=5)
    with torch.no_grad():
        out = net(net.input(torch.Generator().manual_seed(0)))
    assert out.shape == (1, 2, 37, 50)
    assert out.min() < 0  # linear output (complex MRI images)
    net = ConvDecoder(
        out_size=(16, 16), out_channels=1, channels=4, num_layers=3, need_sigmoid=True
    )
    with torch.no_grad():
        out = net(net.input())
    assert out.shape == (1, 1, 16, 16) and out.min() >= 0.0 and out.max() <= 1.0


# ----------------------------------------------------------------------------- implicit


def test_coordinate_grid():
    g = coordinate_grid(4, 5)
    assert g.shape == (20, 2)
    ys, xs = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 5), indexing="ij")
    np.testing.assert_allclose(g[:, 0].numpy(), ys.ravel(), atol=1e-7)
    np.testing.assert_allclose(g[:, 1].numpy(), xs.ravel(), atol=1e-7)


def test_siren_initialization():
    torch.manual_seed(0)
    net = Siren(out_features=1, hidden=256, hidden_layers=3)
    first = net.sines[0].linear.weight
    assert first.abs().max() <= 1 / 2 and first.abs().max() > 0.45  # U(-1/n, 1/n), n = 2
    bound = math.sqrt(6 / 256) / 30
    for layer in list(net.sines)[1:]:
        w = layer.linear.weight
        assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
        assert abs(w.std().item() - bound / math.sqrt(3)) < 0.02 * bound
    # hidden activations are arcsine distributed on [-1, 1]: std 1/sqrt(2), P(|y| > 0.9) = 0.287
    x = coordinate_grid(64, 64)
    with torch.no_grad():
        for layer in net.sines:
            x = layer(x)
            assert abs(x.std().item() - 1 / math.sqrt(2)) < 0.05
            frac = (x.abs() > 0.9).float().mean().item()
            assert abs(frac - (1 - 2 / math.pi * math.asin(0.9))) < 0.05
        # the output stays small at init, so ImplicitImage's affine map starts near 0.5
        assert net.out(x).abs().max() < 1.0


def test_implicit_image_shapes_and_range():
    torch.manual_seed(0)
    img = ImplicitImage(Siren(out_features=3, hidden=32, hidden_layers=2), 12, 7, 3)
    out = img()
    assert out.shape == (1, 3, 12, 7)
    assert out.min() >= 0.0 and out.max() <= 1.0  # at init the affine map stays inside
    # pixel (i, j) of channel c is the network's value at coordinate (y_i, x_j)
    with torch.no_grad():
        v = img.net(torch.tensor([[-1.0, 1.0]]))[0, 2]
    assert torch.allclose(out[0, 2, 0, 6], 0.5 * (v + 1), atol=1e-6)
    ff = FourierFeatureMLP(out_features=2, features=8, hidden=16, layers=2)
    out = ImplicitImage(ff, 9, 10, 2, output="sigmoid")()
    assert out.shape == (1, 2, 9, 10) and out.min() > 0.0 and out.max() < 1.0
    with pytest.raises(InputError):
        ImplicitImage(ff, 9, 10, 3)()
    with pytest.raises(InputError):
        ImplicitImage(ff, 9, 10, 2, output="tanh")


def test_siren_fits_crop_and_beats_relu(crop):
    # SIREN 2 -> 128 x 4 sine layers -> 1, Adam lr 1e-4 (the paper's image-fitting setting)
    torch.manual_seed(0)
    siren = ImplicitImage(Siren(hidden=128, hidden_layers=3), 32, 32, 1)
    p_siren = _fit(siren, siren, crop, steps=150, lr=1e-4)
    assert p_siren >= 40.0
    # a ReLU MLP of the same size (no Fourier features) stays far below
    torch.manual_seed(0)
    relu = ImplicitImage(FourierFeatureMLP(sigma=0, hidden=128, layers=4), 32, 32, 1)
    assert _fit(relu, relu, crop, steps=150, lr=1e-4) < 25.0


def test_fourier_features_fit_crop(crop):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    net = FourierFeatureMLP(features=64, sigma=3.0, hidden=128, layers=3, generator=g)
    assert net.B.shape == (64, 2) and abs(net.B.std().item() - 3.0) < 0.6
    img = ImplicitImage(net, 32, 32, 1)
    assert _fit(img, img, crop, steps=150, lr=1e-3) >= 40.0
