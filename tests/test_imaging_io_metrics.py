"""Image I/O, metrics (against scikit-image), early stopping and bundled example images."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from dnnsolve.core.early_stopping import ExponentialAverage, WindowedVariance
from dnnsolve.core.errors import InputError
from dnnsolve.imaging.data import EXAMPLES, example_image
from dnnsolve.imaging.io import from_numpy, read_image, to_numpy, write_image
from dnnsolve.imaging.metrics import psnr, psnr_y, rgb_to_y, ssim

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "images"


# ----------------------------------------------------------------------------- I/O
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_load(name):
    x = read_image(example_image(name))
    assert x.dtype == torch.float32 and x.dim() == 4 and x.shape[0] == 1
    assert x.shape[1] == (1 if name == "camera" else 3)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0 and float(x.std()) > 0.05
    assert example_image(name).stat().st_size < 200_000
    assert "CC0" in EXAMPLES[name] or "public domain" in EXAMPLES[name]


def test_camera_matches_skimage():
    from skimage.data import camera

    x = read_image(example_image("camera"))
    np.testing.assert_array_equal(np.rint(to_numpy(x) * 255).astype(np.uint8), camera())


@pytest.mark.parametrize(
    ("ext", "bits", "channels"),
    [
        (".png", 8, 1),
        (".png", 8, 3),
        (".png", 16, 1),
        (".png", 16, 3),
        (".tif", 8, 3),
        (".tiff", 16, 1),
        (".tif", 16, 3),
    ],
)
def test_roundtrip_lossless(tmp_path, ext, bits, channels):
    levels = 2**bits - 1
    x = torch.randint(0, levels + 1, (1, channels, 9, 7)).float() / levels
    path = tmp_path / f"img{ext}"
    write_image(path, x, bits=bits)
    y = read_image(path)
    assert y.shape == x.shape
    assert float((y - x).abs().max()) < 1e-6
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_jpeg_roundtrip_is_close(tmp_path):
    x = read_image(example_image("astronaut"))
    write_image(tmp_path / "a.jpg", x)
    assert float(psnr(read_image(tmp_path / "a.jpg"), x)) > 30.0


def _png16_with_filters(a: np.ndarray) -> bytes:
    """16-bit RGB PNG whose rows cycle through all five PNG filter types."""
    h, w, c = a.shape
    bpp = 2 * c
    rows = a.astype(">u2").reshape(h, -1).view(np.uint8).astype(np.int32)
    out = []
    for i in range(h):
        cur = rows[i]
        prev = rows[i - 1] if i else np.zeros_like(cur)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        ftype = i % 5
        if ftype == 0:
            pred = np.zeros_like(cur)
        elif ftype == 1:
            pred = left
        elif ftype == 2:
            pred = prev
        elif ftype == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        out.append(bytes([ftype]) + ((cur - pred) % 256).astype(np.uint8).tobytes())

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(out)))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def test_png16_decoder_all_filters(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 65536, size=(10, 6, 3), dtype=np.uint16)
    (tmp_path / "f.png").write_bytes(_png16_with_filters(a))
    y = read_image(tmp_path / "f.png")
    np.testing.assert_array_equal(np.rint(to_numpy(y).astype(np.float64) * 65535), a)


def test_rgba_drops_alpha(tmp_path):
    import imageio.v3 as iio

    a = np.zeros((4, 5, 4), np.uint8)
    a[..., 0] = 255
    a[..., 3] = 17
    iio.imwrite(tmp_path / "a.png", a)
    with pytest.warns(UserWarning, match="alpha"):
        x = read_image(tmp_path / "a.png")
    assert x.shape == (1, 3, 4, 5) and float(x[0, 0].min()) == 1.0


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.png", None, "no such image file"),
        ("junk.png", b"not an image", "cannot read image"),
        ("x.bmp", b"BM", "unsupported image format"),
    ],
)
def test_read_errors_are_one_line(tmp_path, name, content, match):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=match) as err:
        read_image(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_write_errors(tmp_path):
    with pytest.raises(InputError, match="16-bit"):
        write_image(tmp_path / "a.jpg", torch.zeros(1, 3, 4, 4), bits=16)
    with pytest.raises(InputError, match="channels"):
        write_image(tmp_path / "a.png", torch.zeros(1, 2, 4, 4))
    with pytest.raises(InputError, match="format"):
        write_image(tmp_path / "a.gifx", torch.zeros(1, 3, 4, 4))


def test_numpy_helpers_roundtrip():
    a = np.random.default_rng(1).random((5, 6, 3))
    np.testing.assert_allclose(to_numpy(from_numpy(a)), a, rtol=1e-6)
    g = np.random.default_rng(1).random((5, 6))
    np.testing.assert_allclose(to_numpy(from_numpy(g)), g, rtol=1e-6)


# ----------------------------------------------------------------------------- metrics
def test_psnr_matches_skimage_and_batches():
    g = torch.Generator().manual_seed(0)
    ref = torch.rand(3, 3, 16, 20, generator=g)
    x = (ref + 0.05 * torch.randn(3, 3, 16, 20, generator=g)).clamp(0, 1)
    got = psnr(x, ref)
    assert got.shape == (3,)
    for i in range(3):
        want = peak_signal_noise_ratio(ref[i].numpy(), x[i].numpy(), data_range=1.0)
        assert got[i].item() == pytest.approx(want, abs=1e-4)
    # hand-computed: constant error 0.1 on a range-2 image: 10 log10(4 / 0.01) = 26.0206
    assert psnr(torch.full((1, 1, 4, 4), 0.1), torch.zeros(1, 1, 4, 4), 2.0).item() == (
        pytest.approx(10 * np.log10(400.0))
    )


def test_psnr_y_convention_and_crop():
    # MATLAB rgb2ycbcr: Y = 16 + 65.481 R + 128.553 G + 24.966 B (R, G, B in [0, 1]), / 255.
    rgb = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1)
    want = (16 + 65.481 * 0.2 + 128.553 * 0.5 + 24.966 * 0.9) / 255
    assert rgb_to_y(rgb).item() == pytest.approx(want, rel=1e-6)
    g = torch.Generator().manual_seed(1)
    ref = torch.rand(2, 3, 20, 24, generator=g)
    x = (ref + 0.03 * torch.randn(2, 3, 20, 24, generator=g)).clamp(0, 1)
    x[..., :4, :] = 0.0  # a spoiled top border is cropped away for scale 4
    got = psnr_y(x, ref, scale=4)
    for i in range(2):
        yx = rgb_to_y(x[i : i + 1])[0, 0, 4:-4, 4:-4].numpy()
        yr = rgb_to_y(ref[i : i + 1])[0, 0, 4:-4, 4:-4].numpy()
        assert got[i].item() == pytest.approx(peak_signal_noise_ratio(yr, yx, data_range=1.0))
    assert (psnr_y(x, ref, scale=0) < got - 3).all()
    with pytest.raises(InputError):
        psnr_y(x, ref, scale=10)


def test_ssim_matches_skimage_gray_and_colour():
    g = torch.Generator().manual_seed(2)
    for c in (1, 3):
        ref = torch.rand(2, c, 24, 24, generator=g)
        x = (ref + 0.1 * torch.randn(2, c, 24, 24, generator=g)).clamp(0, 1)
        got = ssim(x, ref)
        for i in range(2):
            a, b = to_numpy(x[i : i + 1]).astype(np.float64), to_numpy(ref[i : i + 1])
            kw = {"channel_axis": -1} if c == 3 else {}
            want = structural_similarity(a, b.astype(np.float64), data_range=1.0, **kw)
            assert got[i].item() == pytest.approx(want, abs=1e-6)


@pytest.mark.skipif(not (DATA / "Set5").is_dir(), reason="shared Set5 data not present")
def test_bicubic_set5_psnr_y_sanity():
    from skimage.transform import resize

    files = sorted(p for p in (DATA / "Set5").rglob("*.png"))[:1]
    if not files:
        pytest.skip("no PNG in Set5")
    hr = read_image(files[0])
    if hr.shape[1] != 3:
        pytest.skip("gray image")
    h, w = (hr.shape[2] // 4) * 4, (hr.shape[3] // 4) * 4
    hr = hr[..., :h, :w]
    a = to_numpy(hr)
    lr = resize(a, (h // 4, w // 4), order=3, anti_aliasing=True)
    up = from_numpy(resize(lr, (h, w), order=3).clip(0, 1))
    assert 20.0 < psnr_y(up, hr, scale=4).item() < 40.0


# ----------------------------------------------------------------------------- early stopping
def test_ema_hand_computed():
    ema = ExponentialAverage(0.99)
    for v in (1.0, 2.0, 4.0):
        ema.update(torch.full((1, 1, 2, 2), v))
    want = (1.0 * 0.99 + 2.0 * 0.01) * 0.99 + 4.0 * 0.01
    torch.testing.assert_close(ema.value, torch.full((1, 1, 2, 2), want), rtol=1e-6, atol=0)


def test_windowed_variance_matches_direct_and_stops_after_patience():
    torch.manual_seed(0)
    window, patience, n = 10, 30, 200
    # noise amplitude falls until iterate 60 and rises afterwards
    amp = [1.0 - 0.9 * t / 60 if t <= 60 else 0.1 + 0.02 * (t - 60) for t in range(n)]
    base = torch.rand(1, 3, 8, 8)
    outs = [base + a * torch.randn(1, 3, 8, 8) for a in amp]
    es = WindowedVariance(window=window, patience=patience)
    variances = []
    for t, o in enumerate(outs):
        stop = es.update(o, loss=0.0)
        if t >= window - 1:
            stack = torch.stack(outs[t - window + 1 : t + 1]).double()
            direct = stack.var(dim=0, unbiased=False).mean().item()
            assert es.variance == pytest.approx(direct, rel=1e-9)
            variances.append((direct, t))
        if stop:
            break
    _, best_t = min(variances)
    assert es.best_step == best_t and 55 <= best_t <= 75
    assert t == best_t + patience  # stops exactly P iterations past the minimum
    assert torch.equal(es.best, outs[best_t])
    assert str(best_t) in es.reason


def test_backtracking_restores_the_restart_whose_loss_jumps():
    """The Solver's per-restart backtracking: a spike (×20) or a NaN in one restart sends it
    back to its last accepted parameters; noise within the factor does not."""
    from dnnsolve.core.parameterization import FreeVariables
    from dnnsolve.core.training import Backtracking

    param = FreeVariables(n=2, restarts=3, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(param.parameters(), lr=0.1)
    opt.reset_ = lambda mask: None  # SGD has no moments to reset
    guard = Backtracking(10**0.5, param)
    for loss in ([1.0, 1.0, 1.0], [0.9, 1.5, 0.8]):  # within the factor: accepted
        out = guard.judge(torch.tensor(loss), param)
        assert guard.jump is None and torch.equal(out, torch.tensor(loss))
    kept = [p.detach().clone() for p in param.parameters()]
    out = guard.judge(torch.tensor([20.0, float("nan"), 0.7]), param)
    assert guard.jump.tolist() == [True, True, False] and guard.count == 2
    assert out.tolist() == [0.0, 0.0, pytest.approx(0.7)]  # jumped restarts add no gradient
    with torch.no_grad():
        for p in param.parameters():
            p.add_(1.0)  # the optimizer's step moves every restart
    guard.after_step(param)
    for p, k in zip(param.parameters(), kept):
        assert torch.equal(p[:2], k[:2]) and torch.equal(p[2], k[2] + 1.0)
