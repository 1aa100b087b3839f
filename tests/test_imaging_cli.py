"""``dnnsolve image``: files written, metrics recomputed from them, exit codes, Ctrl-C.

Every run is in-process (``dnnsolve.cli.main``) on a 32² or 64² crop with a small network, so
each takes about a second on one CPU thread.
"""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from dnnsolve.cli import main
from dnnsolve.imaging import cartesian_mask, example_image

# small networks: a 2-scale DIP skip net and a 3-layer Deep Decoder
SMALL_DIP = [
    "--net-option", "channels_down=16,16",
    "--net-option", "channels_up=16,16",
    "--net-option", "channels_skip=4,4",
    "--net-option", "input_depth=8",
]  # fmt: skip
DD = "--method deep-decoder --net-option channels=16 --net-option depth=3"
SMALL_DD = DD.split()
CPU = ["--device", "cpu", "--threads", "1"]


def _example_crop(name: str, n: int) -> np.ndarray:
    """The centre crop the CLI's ``--crop n`` takes, as the uint8 array of the bundled PNG."""
    a = iio.imread(example_image(name))
    h, w = a.shape[:2]
    t, left = (h - n) // 2, (w - n) // 2
    return a[t : t + n, left : left + n]


def _run(command: str, *more) -> int:
    """``dnnsolve image COMMAND MORE... --device cpu --threads 1``: ``command`` is split on
    spaces, ``more`` holds paths and option lists (kept whole)."""
    args: list[str] = command.split()
    for item in more:
        args += [str(v) for v in item] if isinstance(item, list) else [str(item)]
    return main(["image", *args, *CPU])


def test_denoise_example_files_and_metrics(tmp_path, capsys):
    out, res, rep = tmp_path / "out.png", tmp_path / "res.json", tmp_path / "report.png"
    rc = _run(
        "denoise --example astronaut --crop 32 --steps 200 --average none --early-stop none",
        SMALL_DIP,
        ["--image", out, "-o", res, "--report", rep],
    )
    assert rc == 0
    img = iio.imread(out)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    data = json.loads(res.read_text())
    assert data["stop_reason"] == "steps" and data["steps"] == 200
    assert data["extra"]["returned"] == {"by": "network", "step": 200}
    assert data["extra"]["image"]["simulated"] is True
    # PSNR recomputed with skimage from the written file against the clean crop
    clean = _example_crop("astronaut", 32)
    recomputed = peak_signal_noise_ratio(clean, img, data_range=255)
    assert data["metrics"]["written_psnr"] == pytest.approx(recomputed, abs=1e-6)
    assert data["metrics"]["psnr"] == pytest.approx(recomputed, abs=0.05)  # 8-bit rounding
    # noise of sigma 25 leaves about 20.4 dB; the small DIP denoises it (25.2-26.0 over seeds 0-3)
    assert recomputed > 23.5
    fig = iio.imread(rep)
    assert fig.ndim == 3 and fig.shape[0] > 300 and fig.shape[1] > 600
    table = capsys.readouterr().out
    assert "stop reason" in table and "PSNR" in table


def test_superres_output_is_scale_times_input_and_crop_aligns_reference(tmp_path):
    # a real low-resolution file: the 256² coffee image downsampled x4 (Lanczos2), 64² on disk
    import torch

    from dnnsolve.imaging import Downsampling, read_image, write_image

    hr = read_image(example_image("coffee"))
    lr_path = tmp_path / "lr.png"
    write_image(lr_path, Downsampling(4)(hr).clamp(0, 1))
    ref_crop = tmp_path / "ref64.png"
    write_image(
        ref_crop, torch.from_numpy(_example_crop("coffee", 64)).permute(2, 0, 1)[None] / 255
    )
    common = ["--scale", "4", "--steps", "100", *SMALL_DD, "--seed", "1"]
    out_a, res_a = tmp_path / "a.png", tmp_path / "a.json"
    # --crop 16 of the 64² input; the full 256² reference is cropped at the matching place
    rc = _run(
        "superres",
        lr_path,
        ["--crop", 16, "--reference-image", example_image("coffee")],
        common,
        ["--image", out_a, "-o", res_a],
    )
    assert rc == 0
    assert iio.imread(out_a).shape == (64, 64, 3)
    # the same LR crop saved as a file, with the pre-cropped reference, gives the same numbers
    lr_crop = tmp_path / "lr16.png"
    iio.imwrite(lr_crop, iio.imread(lr_path)[24:40, 24:40])
    out_b, res_b = tmp_path / "b.png", tmp_path / "b.json"
    rc = _run(
        "superres",
        lr_crop,
        ["--reference-image", ref_crop],
        common,
        ["--image", out_b, "-o", res_b],
    )
    assert rc == 0
    a, b = (json.loads(p.read_text())["metrics"] for p in (res_a, res_b))
    assert a["psnr"] == pytest.approx(b["psnr"], abs=1e-4)
    assert "psnr_y" in a and a["psnr"] > 20


def test_inpaint_infers_mask_from_zero_pixels(tmp_path, capsys):
    clean = _example_crop("astronaut", 32)
    rng = np.random.default_rng(0)
    hole = rng.random(clean.shape[:2]) < 0.3
    masked = np.where(hole[..., None], 0, np.maximum(clean, 1)).astype(np.uint8)  # observed: > 0
    inp = tmp_path / "masked.png"
    iio.imwrite(inp, masked)
    ref = tmp_path / "ref.png"
    iio.imwrite(ref, clean)
    out, res = tmp_path / "out.png", tmp_path / "res.json"
    rc = _run(
        "inpaint",
        inp,
        ["--reference-image", ref, "--steps", 150],
        SMALL_DD,
        ["--image", out, "-o", res],
    )
    assert rc == 0
    assert "exactly 0 in every channel" in capsys.readouterr().err
    data = json.loads(res.read_text())
    assert data["extra"]["image"]["operator"]["observed_fraction"] == pytest.approx(1 - hole.mean())
    img = iio.imread(out)
    # the holes are filled: much closer to the clean image than the black holes were
    err_holes = np.abs(img[hole].astype(float) - clean[hole]).mean()
    assert err_holes < 0.3 * clean[hole].astype(float).mean()
    psnr_out = peak_signal_noise_ratio(clean, img, data_range=255)
    assert psnr_out > peak_signal_noise_ratio(clean, masked, data_range=255) + 5


def _same_run(a: dict, b: dict) -> None:
    """Two runs from the same seed saw the same measurement: equal data fidelity and PSNR.

    Compared after a few iterations: longer untrained-network fits are chaotic (a 1e-7 change
    in the data moves a 200-iteration Deep Decoder MRI result by dB), the plumbing is not.
    """
    assert a["steps"] == b["steps"] == 10
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-4)
    assert a["metrics"]["psnr"] == pytest.approx(b["metrics"]["psnr"], abs=1e-3)


def test_mri_kspace_file_matches_simulation(tmp_path):
    """A centred complex k-space .npy gives the measurement the simulation makes."""
    sim_json, got_json = tmp_path / "sim.json", tmp_path / "got.json"
    sim = "mri --example camera --crop 32 --mask cartesian:4 --steps 10 " + DD
    assert _run(sim, ["--image", tmp_path / "sim.png", "-o", sim_json]) == 0
    x = _example_crop("camera", 32).astype(np.float64) / 255
    mask = cartesian_mask((32, 32), 4, seed=0).numpy()
    np.save(tmp_path / "k.npy", np.fft.fftshift(np.fft.fft2(x, norm="ortho")) * mask)
    ref = tmp_path / "ref.png"
    iio.imwrite(ref, _example_crop("camera", 32))
    got = [
        tmp_path / "k.npy",
        "--reference-image",
        ref,
        "--image",
        tmp_path / "got.png",
        "-o",
        got_json,
    ]
    assert _run("mri --steps 10 " + DD, got) == 0
    a, b = (json.loads(p.read_text()) for p in (sim_json, got_json))
    assert b["extra"]["image"]["operator"]["acceleration"] == pytest.approx(4.0)
    assert "non-zero k-space entries" in b["extra"]["image"]["notes"][0]
    _same_run(a, b)


def test_ct_sinogram_file_matches_simulation(tmp_path):
    """A sinogram from skimage's radon gives the measurement the simulation makes."""
    from skimage.transform import radon

    sim_json, got_json = tmp_path / "sim.json", tmp_path / "got.json"
    sim = "ct --example camera --crop 32 --angles 20 --steps 10 " + DD
    assert _run(sim, ["--image", tmp_path / "sim.png", "-o", sim_json]) == 0
    x = _example_crop("camera", 32).astype(np.float64) / 255
    np.save(tmp_path / "s.npy", radon(x, np.linspace(0, 180, 20, endpoint=False), circle=False))
    ref = tmp_path / "ref.png"
    iio.imwrite(ref, _example_crop("camera", 32))
    got = [
        tmp_path / "s.npy",
        "--reference-image",
        ref,
        "--image",
        tmp_path / "got.png",
        "-o",
        got_json,
    ]
    assert _run("ct --steps 10 " + DD, got) == 0
    _same_run(*(json.loads(p.read_text()) for p in (sim_json, got_json)))


def test_fit_siren_reaches_psnr_16_bit(tmp_path):
    out, res = tmp_path / "fit.png", tmp_path / "fit.json"
    rc = _run(
        "fit --example camera --crop 32 --steps 300 --net-option hidden=64 --bits 16 -q",
        ["--image", out, "-o", res],
    )
    assert rc == 0
    img = iio.imread(out)
    assert img.dtype == np.uint16 and img.shape == (32, 32)
    data = json.loads(res.read_text())
    assert data["method"] == "siren"
    # measured 43.8-48.7 dB over seeds 0-3 (SIREN 3x64, lr 1e-4, 300 steps)
    assert data["metrics"]["psnr"] >= 38.0
    clean = _example_crop("camera", 32).astype(np.float64) / 255
    recomputed = peak_signal_noise_ratio(clean, img / 65535.0, data_range=1.0)
    assert data["metrics"]["written_psnr"] == pytest.approx(recomputed, abs=1e-6)


def test_early_stop_wmv_reports_returned_iterate(tmp_path):
    res = tmp_path / "res.json"
    rc = _run(
        "denoise --example astronaut --crop 32 --steps 1000 -q",
        SMALL_DD,
        ["--early-stop", "wmv", "--window", 10, "--patience", 50],
        ["--image", tmp_path / "o.png", "-o", res],
    )
    assert rc == 0
    data = json.loads(res.read_text())
    assert data["stop_reason"] == "early_stop" and data["steps"] < 1000
    ret = data["extra"]["returned"]
    assert (
        ret["by"] == "es-wmv" and ret["step"] < data["steps"] and "windowed variance" in ret["why"]
    )


@pytest.mark.parametrize("kernel", ["motion:5,45", "KERNEL_FILE"])
def test_deblur_kernels(tmp_path, kernel):
    if kernel == "KERNEL_FILE":
        kernel = str(tmp_path / "k.npy")
        np.save(kernel, np.ones((3, 5)))
    out = tmp_path / "o.png"
    rc = _run(
        "deblur --example camera --crop 32 --steps 20 -q",
        ["--kernel", kernel, "--image", out],
        SMALL_DD,
    )
    assert rc == 0 and iio.imread(out).shape == (32, 32)


@pytest.fixture
def bad_files(tmp_path):
    iio.imwrite(tmp_path / "mask10.png", np.full((10, 10), 255, np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    iio.imwrite(tmp_path / "img32.png", np.maximum(_example_crop("astronaut", 32), 1))
    iio.imwrite(tmp_path / "ref20.png", np.zeros((20, 20, 3), np.uint8))
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inpaint", "--example", "camera", "--mask", "{d}/mask10.png"], "mask is 10x10"),
        (["superres", "--example", "camera", "--crop", "33", "--scale", "2"], "not divisible"),
        (["denoise", "{d}/broken.png"], "cannot read image"),
        (["denoise", "{d}/missing.png"], "no such image file"),
        (["deblur", "--example", "camera", "--kernel", "box:3"], "unknown blur kernel"),
        (["deblur", "--example", "camera", "--kernel", "gaussian:x"], "bad numbers"),
        (
            ["denoise", "{d}/img32.png", "--reference-image", "{d}/ref20.png"],
            "reference image is 20x20",
        ),
        (["superres", "{d}/img32.png", "--reference-image", "{d}/img32.png"], "expected 128x128"),
        (["mri", "--example", "camera", "--mask", "spiral:8"], "unknown k-space mask"),
        (["denoise"], "give an INPUT image or --example"),
        (["denoise", "--example", "lena"], "unknown example image"),
        (["denoise", "--example", "camera", "--image", "{d}/x.bmp"], "--image must end in"),
        (["denoise", "--example", "camera", "--method", "unet"], "unknown image method"),
        (["denoise", "--example", "camera", "--crop", "32", "--net-option", "x"], "key=value"),
        (["inpaint", "{d}/img32.png"], "no missing pixels found"),
    ],
)
def test_bad_input_is_one_line_exit_2(bad_files, capsys, args, message):
    args = [a.format(d=bad_files) for a in args]
    if "--image" not in args:
        args += ["--image", str(bad_files / "out.png")]
    rc = _run(args[0], args[1:], ["--steps", 1, "-q"])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert not (bad_files / "out.png").exists()


def test_ctrl_c_keeps_the_image_and_exits_130(tmp_path, monkeypatch):
    from dnnsolve.core.callbacks import RichProgress

    def interrupt(self, state):
        raise KeyboardInterrupt

    monkeypatch.setattr(RichProgress, "on_eval", interrupt)
    out, res = tmp_path / "o.png", tmp_path / "r.json"
    rc = _run(
        "denoise --example astronaut --crop 32 --steps 500",
        SMALL_DD,
        ["--image", out, "-o", res],
    )
    assert rc == 130
    assert iio.imread(out).shape == (32, 32, 3)
    data = json.loads(res.read_text())
    assert data["stop_reason"] == "interrupted" and data["steps"] < 500
