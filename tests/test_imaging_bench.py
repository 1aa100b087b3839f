"""Imaging baselines (BM3D, TV, bicubic, TV-regularized reconstruction) and the imaging suites.

Small crops and few iterations: the whole file runs in well under a minute on 2 CPU cores.
The data suites are skipped when ``../shared/datasets/images`` is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from dnnsolve.baselines.imaging import (
    bicubic_upsample,
    bm3d_denoise,
    tv_denoise,
    tv_reconstruct,
    tv_weight,
)
from dnnsolve.bench import SUITES, run_suite
from dnnsolve.bench.harness import current_option_names
from dnnsolve.bench.suites.imaging import IMAGE_SUITES, ImageOptions, centre_crop
from dnnsolve.core.errors import InputError
from dnnsolve.data import default_data_dir
from dnnsolve.imaging import (
    MRI,
    Downsampling,
    Inpainting,
    cartesian_mask,
    example_image,
    psnr,
    psnr_y,
    read_image,
)


def _crop(name: str, size: int = 64) -> torch.Tensor:
    return centre_crop(read_image(example_image(name)), size)


def _noisy(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    return x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))


def _read16(path: Path) -> np.ndarray:
    """A saved 16-bit PNG as floats in [0, 1], read without dnnsolve."""
    import png  # pypng: Pillow would read 16-bit colour PNGs as 8-bit

    width, height, rows, info = png.Reader(filename=str(path)).read()
    assert info["bitdepth"] == 16
    a = np.vstack([np.asarray(row, dtype=np.float64) for row in rows]) / 65535.0
    planes = info["planes"]
    return a.reshape(height, width) if planes == 1 else a.reshape(height, width, planes)


# ---------------------------------------------------------------- baselines


@pytest.mark.parametrize("name", ["camera", "coffee"])  # gray → BM3D, colour → CBM3D
def test_bm3d_and_tv_denoise_beat_the_noisy_input(name):
    pytest.importorskip("bm3d")
    clean = _crop(name)
    noisy = _noisy(clean, 25 / 255)
    before = float(psnr(noisy, clean))  # ≈ 20.2 dB
    b = bm3d_denoise(noisy, 25 / 255)
    t = tv_denoise(noisy, 25 / 255)
    # measured on these crops: BM3D +11.2 / +12.0 dB, TV +10.3 / +9.0 dB
    assert float(psnr(b.image, clean)) >= before + 8
    assert float(psnr(t.image, clean)) >= before + 6
    assert float(psnr(b.image, clean)) > float(psnr(t.image, clean))
    assert b.image.shape == clean.shape and b.image.min() >= 0 and b.image.max() <= 1
    assert b.time_s > 0 and t.params["weight"] == pytest.approx(tv_weight(25 / 255))
    assert b.params["variant"] == ("bm3d" if clean.shape[1] == 1 else "cbm3d")


def test_tv_weight_rule_and_bad_sigma():
    # σ · (0.65 + 0.005 · 255σ): ratios 0.725 / 0.775 / 0.9 at σ = 15 / 25 / 50
    for s, ratio in ((15, 0.725), (25, 0.775), (50, 0.9)):
        assert tv_weight(s / 255) == pytest.approx(ratio * s / 255)
    with pytest.raises(InputError, match="0-255 scale"):
        tv_denoise(torch.zeros(1, 1, 8, 8), 25)
    with pytest.raises(InputError):
        bm3d_denoise(torch.zeros(1, 2, 8, 8), 0.1)


def _keys_matrix(n: int, f: int) -> np.ndarray:
    """Pillow's bicubic upsampling as a matrix: Keys a = -0.5, centres (i + 0.5) / f,
    out-of-image taps dropped and the weights renormalized (written here from the formula)."""
    m = np.zeros((n * f, n))
    for i in range(n * f):
        t = np.abs(np.arange(n) + 0.5 - (i + 0.5) / f)
        w = np.where(
            t <= 1,
            1.5 * t**3 - 2.5 * t**2 + 1,
            np.where(t < 2, -0.5 * (t**3 - 5 * t**2 + 8 * t - 4), 0),
        )
        m[i] = w / w.sum()
    return m


def test_bicubic_matches_keys_formula_and_skimage():
    from skimage.transform import resize

    hr = _crop("astronaut", 64)
    low = Downsampling(4)(hr)
    up = bicubic_upsample(low, 4)
    assert up.image.shape == hr.shape
    a = low[0].double().numpy()
    ref = np.stack([_keys_matrix(16, 4) @ c @ _keys_matrix(16, 4).T for c in a])
    assert np.abs(up.image[0].double().numpy() - np.clip(ref, 0, 1)).max() < 1e-5
    # skimage's order-3 spline resize is a different cubic: close, not equal (measured 42.1 dB)
    sk = resize(a.transpose(1, 2, 0), (64, 64), order=3, mode="edge", anti_aliasing=False)
    assert peak_signal_noise_ratio(sk.transpose(2, 0, 1), ref, data_range=1) > 38
    # the DIP protocol's bicubic baseline is worse than the TV-regularized SR (31.8 vs 28.1 here)
    cam = _crop("camera", 64)
    lr = Downsampling(4)(cam)
    bic = bicubic_upsample(lr, 4)
    tv = tv_reconstruct(lr, Downsampling(4), lam=1e-3, init=bic.image)
    assert float(psnr_y(tv.image, cam, 4)) > float(psnr_y(bic.image, cam, 4)) + 1


def test_tv_reconstruct_inpainting_and_mri():
    clean = _crop("camera", 64)
    op = Inpainting.random((64, 64), missing=0.5, seed=0)
    y = op(clean)
    out = tv_reconstruct(y, op, lam=1e-4)
    # measured: masked 16.5 dB → TV 32.1 dB
    assert float(psnr(out.image, clean)) > max(float(psnr(y, clean)) + 10, 28)
    assert out.params["operator_norm"] == pytest.approx(1.0, rel=1e-3)
    mri = MRI(cartesian_mask((64, 64), 4, seed=0))
    k = mri(clean)  # complex k-space
    zero_filled = mri.adjoint(k).clamp(0, 1)
    rec = tv_reconstruct(k, mri, lam=1e-3)
    assert float(psnr(rec.image, clean)) > float(psnr(zero_filled, clean)) + 4  # 21.1 → 28.5
    with pytest.raises(InputError):
        tv_reconstruct(y, op, init="nope")


# ---------------------------------------------------------------- suites: registry and options


def test_registry_holds_the_five_imaging_suites():
    assert set(IMAGE_SUITES) <= set(SUITES)
    for name in IMAGE_SUITES:
        s = SUITES[name]
        assert s.methods is not None and s.default_methods and s.description
        assert set(s.default_methods) <= set(s.methods)
    assert SUITES["denoise-sets"].default_methods == ("dip", "deep-decoder")
    assert SUITES["siren-fit"].default_methods == ("siren",)


def test_options_are_checked(tmp_path):
    o = ImageOptions({"crop": 64, "steps": 300.0, "deep-decoder.channels": 32.0,
                      "sigma": [15.0, 50.0], "baselines": "bm3d"}, "x")  # fmt: skip
    assert (o.crop, o.steps, o.sigmas, o.baselines) == (64, 300, [15.0, 50.0], ["bm3d"])
    assert o.net == {"deep-decoder": {"channels": 32}}
    for bad in ({"crops": 3}, {"crop": "big"}, {"steps": 1.5}, {"early_stop": "x"},
                {"nope.channels": 3}, {"sigma": 300}, {"mask": "x"}):  # fmt: skip
        with pytest.raises(InputError):
            ImageOptions(bad, "x")
    with pytest.raises(InputError, match="unknown method"):
        run_suite("siren-fit", methods=["nope"], out=tmp_path, progress=False, device="cpu")
    with pytest.raises(InputError, match="unknown option"):
        run_suite("siren-fit", options={"cropp": 3}, out=tmp_path, progress=False, device="cpu")


def test_former_option_names_are_renamed_with_a_note():
    assert current_option_names({"iterations": 300, "crop": 64}) == (
        {"steps": 300, "crop": 64}, ["iterations is deprecated; use steps"])  # fmt: skip
    assert current_option_names({"max_iter": 5})[0] == {"steps": 5}
    assert current_option_names({"steps": 5}) == ({"steps": 5}, [])
    with pytest.raises(InputError, match="give only steps"):
        current_option_names({"steps": 5, "iterations": 6})


# ---------------------------------------------------------------- suites: CI-sized runs


def _check_report(rep, suite: str) -> dict:
    doc = json.loads(rep.json_path.read_text())
    assert doc["suite"] == suite and doc["complete"] is True
    md = rep.markdown_path.read_text()
    assert "crop = 32" in md and "device = cpu" in md and "## Summary" in md
    for r in doc["rows"]:
        assert r["error"] is None, r["error"]
        assert np.isfinite(r["psnr"]) and r["time_s"] > 0
    return doc


def test_siren_fit_ci_run(tmp_path):
    imgs = tmp_path / "imgs"
    rep = run_suite("siren-fit", out=tmp_path, device="cpu", progress=False,
                    options={"crop": 32, "steps": 100, "save": str(imgs)})  # fmt: skip
    doc = _check_report(rep, "siren-fit")
    (row,) = doc["rows"]
    assert (row["method"], row["iterations"], row["stop_reason"], row["size"]) == (
        "siren", 100, "steps", "32x32")  # fmt: skip
    assert row["psnr"] > 30  # measured 56.6 dB: 100 steps fit a 32² crop closely
    ref, fit = _read16(imgs / "camera_ref.png"), _read16(imgs / "camera_siren.png")
    assert peak_signal_noise_ratio(ref, fit, data_range=1) == pytest.approx(row["psnr"], abs=0.02)
    assert doc["summary"]["anchors"]["siren_psnr_at_5000"] == 38.2
    assert doc["settings"]["options"]["crop"] == 32
    # resuming with other options is refused (the rows would mix settings)
    with pytest.raises(InputError, match="options"):
        run_suite("siren-fit", out=tmp_path, device="cpu", progress=False,
                  options={"crop": 16, "steps": 100}, resume=rep.json_path)  # fmt: skip


def _images_dir() -> Path:
    base = default_data_dir()
    if base is None or not (base / "images").is_dir():
        pytest.skip("../shared/datasets/images is not available")
    return base


def test_dip_denoise_ci_run_recomputes(tmp_path):
    pytest.importorskip("bm3d")
    data, imgs = _images_dir(), tmp_path / "imgs"
    rep = run_suite("dip-denoise", data=data, out=tmp_path, device="cpu", progress=False,
                    limit=1, methods=["deep-decoder"],
                    options={"crop": 32, "steps": 10, "save": str(imgs)})  # fmt: skip
    doc = _check_report(rep, "dip-denoise")
    (row,) = doc["rows"]
    assert row["instance"] == "F16" and row["iterations"] == 10
    ref = _read16(imgs / "F16_ref.png")
    for col, what in (("psnr", "deep-decoder"), ("input_psnr", "input"), ("bm3d_psnr", "bm3d"),
                      ("tv_psnr", "tv")):  # fmt: skip
        got = peak_signal_noise_ratio(ref, _read16(imgs / f"F16_{what}.png"), data_range=1)
        assert got == pytest.approx(row[col], abs=0.02), col
    assert row["bm3d_psnr"] > row["input_psnr"] + 5
    summ = doc["summary"]
    assert summ["baselines"]["bm3d"]["mean_psnr"] == pytest.approx(row["bm3d_psnr"])
    assert summ["anchors"]["cbm3d_published_psnr"] == 31.42


def test_dip_inpaint_ci_run(tmp_path):
    data, imgs = _images_dir(), tmp_path / "imgs"
    rep = run_suite("dip-inpaint", data=data, out=tmp_path, device="cpu", progress=False,
                    instances="house", methods=["deep-decoder"],
                    options={"crop": 32, "steps": 10, "save": str(imgs)})  # fmt: skip
    (row,) = _check_report(rep, "dip-inpaint")["rows"]
    assert abs(row["missing"] - 0.5) < 0.1
    ref = _read16(imgs / "house_ref.png")
    masked = _read16(imgs / "house_input.png")
    tv = _read16(imgs / "house_tv.png")
    assert peak_signal_noise_ratio(ref, tv, data_range=1) == pytest.approx(row["tv_psnr"], abs=0.02)
    assert row["tv_psnr"] > row["input_psnr"] + 10
    # TV keeps the observed pixels (up to its small data-fit bias)
    seen = masked > 0
    assert np.abs(tv[seen] - ref[seen]).mean() < 0.01


def test_denoise_sets_noise_is_seeded_by_image_index(tmp_path):
    data = _images_dir()
    if not (data / "images" / "Set12").is_dir():
        pytest.skip("Set12 is not available")
    rep = run_suite("denoise-sets", data=data, out=tmp_path, device="cpu", progress=False,
                    instances="Set12-02", methods=["deep-decoder"], baselines=False, seed=5,
                    options={"crop": 32, "steps": 5, "sigma": [25, 50]})  # fmt: skip
    rows = _check_report(rep, "denoise-sets")["rows"]
    assert [(r["instance"], r["sigma"]) for r in rows] == [("Set12-02", 25.0), ("Set12-02", 50.0)]
    clean = centre_crop(read_image(data / "images" / "Set12" / "02.png"), 32)
    unit = torch.randn(clean.shape, generator=torch.Generator().manual_seed(5 + 1))  # index 1
    for r in rows:
        expect = float(psnr(clean + r["sigma"] / 255 * unit, clean))
        assert r["input_psnr"] == pytest.approx(expect, abs=1e-6)
    assert set(rep.summary["methods"]) == {
        "deep-decoder (Set12, σ=25)",
        "deep-decoder (Set12, σ=50)",
    }


def test_baselines_only_run(tmp_path):
    """``--methods none``: the baselines alone, summarized once per image."""
    rep = run_suite(
        "dip-sr", data=_images_dir(), out=tmp_path, device="cpu", methods=["none"],
        instances="Set5-bird", progress=False, options={"crop": 64, "baselines": "bicubic"},
    )  # fmt: skip
    assert [r["method"] for r in rep.rows] == ["none"]
    base = rep.summary["baselines"]
    (only,) = base.values()
    assert only["images"] == 1
    assert only["mean_psnr_y"] == pytest.approx(rep.rows[0]["bicubic_psnr_y"])
    assert rep.summary["methods"] == {}
