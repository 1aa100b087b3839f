"""The imaging families through the family contract: the API, the generated commands
(``dnnsolve image TASK`` and ``dnnsolve solve TASK``) and option checks.

Every run is on a 32² crop with a small Deep Decoder on one CPU thread (about a second).
"""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

import dnnsolve
from dnnsolve.cli import main
from dnnsolve.family import get_family
from dnnsolve.imaging import Denoising, GaussianNoise, example_image, read_image
from dnnsolve.imaging.family import output_image

SMALL_DD = {"channels": 16, "depth": 3}
CLI_DD = ["--method", "deep-decoder", "--net-option", "channels=16", "--net-option", "depth=3"]
TASKS = ("denoise", "inpaint", "superres", "deblur", "mri", "ct", "fit")


def _crop(x: torch.Tensor, n: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    t, left = (h - n) // 2, (w - n) // 2
    return x[..., t : t + n, left : left + n]


def test_api_denoise_beats_the_noisy_input():
    torch.set_num_threads(1)
    r = dnnsolve.solve(
        "denoise",
        None,
        "deep-decoder",
        example="astronaut",
        crop=32,
        steps=200,
        early_stop="none",
        net_options=SMALL_DD,
        device="cpu",
        seed=3,
    )
    assert isinstance(r, dnnsolve.Result) and r.status == "feasible"
    assert r.method == "deep-decoder" and r.steps == 200
    assert r.extra["image"]["task"] == "denoise" and r.extra["image"]["simulated"] is True
    # the clean crop and its noisy version (sigma 25, the seed's noise), recomputed here
    clean = _crop(read_image(example_image("astronaut")), 32)
    noisy = Denoising(GaussianNoise(25 / 255)).measure(clean, torch.Generator().manual_seed(3))
    noisy = noisy.clamp(0, 1)
    assert torch.equal(noisy.float(), r.instance_data.measurement)

    def psnr(x: torch.Tensor) -> float:
        a, b = clean[0].double().numpy(), x[0].double().numpy()
        return peak_signal_noise_ratio(a, b, data_range=1.0)

    image = output_image(r)
    assert image.shape == (1, 3, 32, 32)
    assert psnr(image) == pytest.approx(r.metrics["psnr"], abs=1e-4)
    assert psnr(image) > psnr(noisy) + 2.0
    # the family's classical baseline runs on the same simulated measurement
    b = dnnsolve.solve("denoise", None, "bm3d", example="astronaut", crop=32, seed=3)
    assert b.method == "bm3d" and b.found_by == "baseline" and b.feasible
    assert torch.equal(b.instance_data.measurement, r.instance_data.measurement)
    assert psnr(output_image(b)) == pytest.approx(b.metrics["psnr"], abs=1e-4)
    assert psnr(output_image(b)) > psnr(noisy) + 2.0


def test_every_task_is_a_family_under_image():
    for task in TASKS:
        fam = get_family(task)
        assert (fam.group, fam.alias, fam.input_kind) == ("image", task, "optional")
        assert fam.check_method(None) == ("siren" if task == "fit" else "dip")
        assert fam.example is not None and fam.write is not None and fam.rows is not None
        assert fam.baseline is None or fam.baseline in fam.methods()
    assert get_family("denoise").baseline == "bm3d"
    assert get_family("superres").baseline == "bicubic"


def test_alias_and_solve_command_give_the_same_result(tmp_path):
    runs = {}
    for name, prefix in (("alias", ["image", "denoise"]), ("solve", ["solve", "denoise"])):
        out, res = tmp_path / f"{name}.png", tmp_path / f"{name}.json"
        args = [*prefix, "--example", "camera", "--crop", "32", "--steps", "30", *CLI_DD]
        args += ["--seed", "5", "--device", "cpu", "--threads", "1", "-q"]
        assert main([*args, "--image", str(out), "-o", str(res)]) == 0
        runs[name] = (json.loads(res.read_text()), iio.imread(out))
    (a, img_a), (b, img_b) = runs["alias"], runs["solve"]
    assert a["seed"] == b["seed"] == 5 and a["steps"] == b["steps"] == 30
    assert a["objective"] == b["objective"]
    assert a["metrics"] == b["metrics"]
    np.testing.assert_array_equal(img_a, img_b)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crop", "0"], "--crop must be at least 1, got 0"),
        (["--bits", "12"], "--bits must be one of 8, 16, got 12"),
        (["--lr", "-0.1"], "--lr must be positive"),
        (["--average", "1.5"], "--average must be a decay in (0, 1) or none"),
        (["--early-stop", "soon"], "--early-stop must be one of"),
        (["--sigma", "-1"], "--sigma must be non-negative"),
        (["--restarts", "0"], "--restarts must be at least 1"),
    ],
)
def test_bad_option_value_is_one_line_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "o.png"
    rc = main(["image", "denoise", "--example", "camera", *args, "--image", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert not out.exists()


def test_api_checks_options_once_and_names_them():
    with pytest.raises(dnnsolve.InputError, match="--scale must be at least 2"):
        dnnsolve.solve("superres", None, example="camera", scale=1)
    with pytest.raises(dnnsolve.InputError, match="unknown option 'sigma' for superres"):
        dnnsolve.solve("superres", None, example="camera", sigma=3)
    with pytest.raises(dnnsolve.InputError, match="give --mask or --missing, not both"):
        dnnsolve.solve("inpaint", None, mask="m.png", missing=0.5)
