"""The imaging default stops by itself (no ground truth) and beats TV.

Every PSNR here is recomputed with NumPy from the arrays, independently of the library's
metrics; the noise level the default estimates is checked against the noise actually added.
Fast cases use a small skip network (the same stopping rules as the default network); the case
with the default network itself is marked slow.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from dnnsolve.baselines.imaging import bicubic_upsample, tv_denoise, tv_reconstruct
from dnnsolve.bench import SUITES, run_suite
from dnnsolve.bench.suites.imaging import HELDOUT_CROPS
from dnnsolve.cli import app
from dnnsolve.core.errors import InputError
from dnnsolve.data import default_data_dir
from dnnsolve.imaging import (
    Denoising,
    Downsampling,
    GaussianNoise,
    Inpainting,
    example_image,
    read_image,
    reconstruct,
    to_numpy,
)
from dnnsolve.imaging.reconstruct import AUTO_SETTINGS, auto_rule
from dnnsolve.imaging.stopping import estimate_noise_sigma, holdout_mask

SMALL_DIP = {"channels_down": [16, 32, 32], "channels_up": [16, 32, 32], "channels_skip": [4, 4, 4]}
SIGMA = 25 / 255


def _psnr(img: torch.Tensor, ref: torch.Tensor) -> float:
    """PSNR in dB with NumPy only (peak 1)."""
    a = np.clip(to_numpy(img).astype(np.float64), 0, 1)
    b = to_numpy(ref).astype(np.float64)
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


def _crop(name: str, top: int, left: int, size: int = 64) -> torch.Tensor:
    return read_image(example_image(name))[..., top : top + size, left : left + size].contiguous()


def _noisy(clean: torch.Tensor, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return Denoising(GaussianNoise(SIGMA)).measure(clean, g).clamp(0, 1)


@pytest.fixture(scope="module")
def astronaut64():
    return _crop("astronaut", 64, 96)


def test_noise_level_estimate_matches_the_added_noise(astronaut64):
    noisy = _noisy(astronaut64)
    rms = float(np.sqrt(np.mean((to_numpy(noisy) - to_numpy(astronaut64)) ** 2)))
    # the clipped noise's RMS (below 25/255 because of the clipping), within 10 %
    assert estimate_noise_sigma(noisy) == pytest.approx(rms, rel=0.1)
    # a clean image has (almost) no noise
    assert estimate_noise_sigma(astronaut64) < 0.3 * rms


def test_auto_rule_per_task():
    assert auto_rule(Denoising()) == "discrepancy"
    assert auto_rule(Inpainting(torch.ones(8, 8))) == "holdout"
    assert auto_rule(Downsampling(4)) == "plateau"


def test_default_denoise_stops_by_itself_and_beats_tv(astronaut64):
    noisy = _noisy(astronaut64)
    out = reconstruct(noisy, Denoising(), iterations=800, options=SMALL_DIP, trace_every=50)
    res = out.result
    # no flag: the default stopped on its own, before the cap, and says which iterate it returned
    assert res.stop_reason == "early_stop" and res.steps < 800
    ret = res.extra["returned"]
    assert ret["by"] == "discrepancy" and ret["step"] == res.steps
    assert "discrepancy principle" in ret["why"]
    auto = res.extra["auto_stop"]
    assert auto["rule"] == "discrepancy" and auto["sigma_estimated"]
    # the returned image's misfit is within tau * sigma^2, recomputed here
    misfit = float(np.mean((to_numpy(out.image) - to_numpy(noisy)) ** 2))
    assert misfit <= AUTO_SETTINGS["tau"] * auto["sigma"] ** 2 * 1.001
    tv = tv_denoise(noisy, SIGMA).image
    # measured 28.5 dB vs TV 26.3 dB (seed 0)
    assert _psnr(out.image, astronaut64) > _psnr(tv, astronaut64) + 1.0


def test_given_noise_level_is_lowered_to_the_clipped_level(astronaut64):
    # a level above the estimate (clipping lowers what the misfit sees) yields to the estimate
    noisy = _noisy(astronaut64)
    out = reconstruct(noisy, Denoising(), iterations=1, options=SMALL_DIP, noise_sigma=0.5)
    auto = out.result.extra["auto_stop"]
    assert auto["sigma_estimated"] and auto["sigma"] < 0.5
    out = reconstruct(noisy, Denoising(), iterations=1, options=SMALL_DIP, noise_sigma=0.01)
    assert out.result.extra["auto_stop"]["sigma"] == 0.01


def test_holdout_rule_on_denoising_withholds_whole_pixels(astronaut64):
    noisy = _noisy(astronaut64)
    # the withheld error bottoms out near step 430 (seed 0); the cap leaves room for patience
    out = reconstruct(noisy, Denoising(), iterations=1500, options=SMALL_DIP,
                      early_stop="holdout", trace_every=50)  # fmt: skip
    res = out.result
    assert res.stop_reason == "early_stop" and res.steps < 1500
    ret = res.extra["returned"]
    assert ret["by"] == "holdout" and ret["step"] <= res.steps - AUTO_SETTINGS["holdout_patience"]
    assert "withheld pixels" in ret["why"]
    assert res.extra["auto_stop"]["holdout_pixels"] == int(
        AUTO_SETTINGS["holdout_denoise"] * 64 * 64
    )
    # the withheld pixels were never fitted: the output there is a prediction, so its error
    # against the noisy input is about the noise variance plus the prediction error
    held = holdout_mask(torch.ones(1, 1, 64, 64), AUTO_SETTINGS["holdout_denoise"], 0)[0, 0] > 0
    err = (out.image - noisy)[0].double().numpy()  # (C, H, W)
    assert float(np.mean(err[:, held.numpy()] ** 2)) > 0.8 * SIGMA**2
    # measured 27.4 dB vs TV 26.3 dB (seed 0)
    assert _psnr(out.image, astronaut64) > _psnr(tv_denoise(noisy, SIGMA).image, astronaut64)
    with pytest.raises(InputError, match="applies to denoising"):
        reconstruct(noisy, Downsampling(4), early_stop="holdout", iterations=1)


def test_early_stop_none_keeps_the_fixed_budget(astronaut64):
    noisy = _noisy(astronaut64)
    out = reconstruct(noisy, Denoising(), iterations=30, options=SMALL_DIP, early_stop="none")
    assert out.result.stop_reason == "steps" and out.result.steps == 30
    assert out.result.extra["returned"]["by"] == "average"
    assert "auto_stop" not in out.result.extra


def test_default_inpaint_withholds_pixels_and_returns_the_best_validated(astronaut64):
    op = Inpainting.random((64, 64), 0.5, seed=3)
    y = op(astronaut64)
    out = reconstruct(y, op, iterations=40, options=SMALL_DIP)
    auto = out.result.extra["auto_stop"]
    observed = int(op.mask.sum())
    assert auto["rule"] == "holdout"
    assert auto["holdout_pixels"] == int(AUTO_SETTINGS["holdout"] * observed)
    # the withheld pixels are a subset of the observed ones, the same for the same seed
    held = holdout_mask(op.mask, AUTO_SETTINGS["holdout"], seed=0)
    assert bool((held <= op.mask).all()) and torch.equal(held, holdout_mask(op.mask, 0.05, 0))
    # a cap reached before the rule stops returns the output average
    assert out.result.stop_reason == "steps"
    assert out.result.extra["returned"]["by"] == "average"


def test_bad_early_stop_is_one_line_error(astronaut64):
    with pytest.raises(InputError, match="early_stop"):
        reconstruct(astronaut64, Denoising(), early_stop="never")
    with pytest.raises(InputError, match="noise_sigma"):
        reconstruct(astronaut64, Denoising(), noise_sigma=-1.0, iterations=1)


def test_cli_default_stops_and_records_it(tmp_path):
    res = tmp_path / "r.json"
    args = ["image", "denoise", "--example", "astronaut", "--crop", "32", "--steps", "600",
            "-q", "--image", str(tmp_path / "o.png"), "-o", str(res)]  # fmt: skip
    for k, v in (("channels_down", "16,32,32"), ("channels_up", "16,32,32"),
                 ("channels_skip", "4,4,4")):  # fmt: skip
        args += ["--net-option", f"{k}={v}"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    data = json.loads(res.read_text())
    assert data["stop_reason"] == "early_stop" and data["steps"] < 600
    assert data["extra"]["returned"]["by"] == "discrepancy"
    assert "discrepancy" in data["extra"]["returned_text"]


def test_default_super_resolution_blends_the_tv_reconstruction(astronaut64):
    op = Downsampling(4)
    y = op(astronaut64)
    out = reconstruct(y, op, iterations=20, options=SMALL_DIP)
    share = AUTO_SETTINGS["sr_blend"]
    mix = out.result.extra["blend"]
    assert mix["network_share"] == share and mix["baseline"] == "tv"
    # the same run without the blend, and the TV reconstruction computed here
    alone = reconstruct(y, op, iterations=20, options=SMALL_DIP, blend=None)
    assert "blend" not in alone.result.extra
    start = bicubic_upsample(y, 4).image
    tv = tv_reconstruct(y, op, lam=1e-3, iterations=300, init=start).image
    expected = (share * to_numpy(alone.image) + (1 - share) * to_numpy(tv)).clip(0, 1)
    np.testing.assert_allclose(to_numpy(out.image), expected, atol=1e-5)
    # blend 0 is TV itself; an explicit rule (not the tuned default) returns the network alone
    only_tv = reconstruct(y, op, iterations=2, options=SMALL_DIP, blend=0.0)
    assert _psnr(only_tv.image, astronaut64) == pytest.approx(_psnr(tv, astronaut64), abs=1e-3)
    none = reconstruct(y, op, iterations=2, options=SMALL_DIP, early_stop="none")
    assert "blend" not in none.result.extra
    for bad in (1.5, -0.1, float("nan"), "half"):
        with pytest.raises(InputError, match="blend"):
            reconstruct(y, op, iterations=1, blend=bad)
    with pytest.raises(InputError, match="super-resolution"):
        reconstruct(astronaut64, Denoising(), iterations=1, blend=0.5)


@pytest.mark.slow
def test_default_network_super_resolution_beats_tv_on_a_shipped_crop():
    """The default network, rule and blend (cap 2000) on a 96x96 crop of a bundled image."""
    clean = read_image(example_image("coffee"))[..., 100:196, 150:246].contiguous()
    op = Downsampling(4)
    y = op(clean)
    out = reconstruct(y, op)
    tv = tv_reconstruct(y, op, lam=1e-3, iterations=300, init=bicubic_upsample(y, 4).image)
    assert _psnr(out.image, clean) > _psnr(tv.image, clean)


@pytest.mark.slow
def test_default_network_denoise_beats_tv_on_a_shipped_crop():
    """The default DIP network and rule, cap 1500, on a 64x64 crop of a bundled image."""
    clean = _crop("chelsea", 100, 200)
    noisy = _noisy(clean, seed=5)
    out = reconstruct(noisy, Denoising(), iterations=1500)
    assert out.result.stop_reason == "early_stop"
    tv = tv_denoise(noisy, SIGMA).image
    assert _psnr(out.image, clean) > _psnr(tv, clean) + 0.5


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="a known defect of the inpainting default: on this crop the held-out early stop "
    "ends at step 410 with 28.9 dB against TV's 31.2 dB (2026-12-04; the test had been "
    "cropping outside the 256 x 256 image and never reached its assertion)",
)
def test_default_network_inpaint_beats_tv_on_a_shipped_crop():
    clean = _crop("coffee", 150, 192)  # the bundled coffee is 256 x 256
    op = Inpainting.random((64, 64), 0.5, seed=5)
    y = op(clean)
    out = reconstruct(y, op, iterations=2000)
    tv = tv_reconstruct(y, op, lam=1e-4).image
    assert _psnr(out.image, clean) > _psnr(tv, clean)


# ---------------------------------------------------------------- the held-out suite


def test_heldout_suite_is_registered_and_checks_options(tmp_path):
    assert "heldout-images" in SUITES
    # the tuning crops and the report crops share no image
    tune = {c[0] for c in HELDOUT_CROPS["tune"]}
    report = {c[0] for c in HELDOUT_CROPS["report"]}
    assert not tune & report and all(c[3] >= 1000 for c in HELDOUT_CROPS["report"])
    # every crop lies inside its image (where the datasets are present)
    data = default_data_dir()
    for rel, top, left, _ in HELDOUT_CROPS["tune"] + HELDOUT_CROPS["report"]:
        path = None if data is None else data / "images" / rel
        if path is not None and path.is_file():
            h, w = read_image(path).shape[-2:]
            assert top + 96 <= h and left + 96 <= w, rel
    for bad in ({"set": "train"}, {"tasks": "deblur"}, {"compare": "sometimes"}):
        with pytest.raises(InputError):
            run_suite("heldout-images", data=tmp_path, out=tmp_path, device="cpu",
                      progress=False, options=bad)  # fmt: skip


def test_heldout_suite_rows_recompute(tmp_path):
    base = default_data_dir()
    if base is None or not (base / "images" / "Kodak24").is_dir():
        pytest.skip("../shared/datasets/images is not available")
    rep = run_suite("heldout-images", data=base, out=tmp_path, device="cpu", progress=False,
                    limit=1, options={"crop": 32, "steps": 20, "tasks": "denoise,sr",
                                      "compare": "none", "dip.channels_down": [8, 8],
                                      "dip.channels_up": [8, 8], "dip.channels_skip": [2, 2],
                                      "save": str(tmp_path / "imgs")})  # fmt: skip
    doc = json.loads(rep.json_path.read_text())
    rows = doc["rows"]
    assert {(r["task"], r["method"]) for r in rows} == {
        ("denoise", "dip"),
        ("denoise", "dip (none)"),
        ("sr", "dip"),
        ("sr", "dip (none)"),
    }
    for r in rows:
        assert r["error"] is None, r["error"]
        assert r["beats_tv"] == (r["psnr"] > r["tv_psnr"])
    # the saved reference and output reproduce the row's PSNR (16-bit PNGs)
    (row,) = [r for r in rows if (r["task"], r["method"]) == ("denoise", "dip")]
    stem = tmp_path / "imgs" / f"{row['instance'].replace('@', '_').replace(',', '_')}_denoise"
    ref = read_image(f"{stem}_ref.png")
    got = read_image(f"{stem}_dip.png")
    assert _psnr(got, ref) == pytest.approx(row["psnr"], abs=0.02)
