"""Peer tools of the benchmark suites: answers re-checked here, missing peers reported."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dnnsolve.bench import run_suite
from dnnsolve.bench.peers import (
    deepinv_dip,
    deepxde_pinn,
    dwave_maxcut,
    load_deepinv,
    pde_eval_points,
    pdlp_lp,
)
from dnnsolve.core.errors import InputError
from dnnsolve.data import EXAMPLES, default_data_dir, example_path
from dnnsolve.imaging import ConvDecoder, example_image, psnr, read_image
from dnnsolve.io import read_graph
from dnnsolve.lp import read_lp


def test_pdlp_on_the_bundled_lp_is_checked_independently():
    lp = read_lp(example_path("lp_example.mps"))
    r = pdlp_lp(lp, time_limit=10, tol=1e-8)
    assert r.error is None and r.status == "optimal"
    assert r.objective == pytest.approx(8.5, abs=1e-6)  # HiGHS's optimum of the bundled LP
    assert r.primal_residual < 1e-6


def test_a_missing_peer_is_a_row_note_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "dwave.samplers", None)  # import fails as if not installed
    r = dwave_maxcut(read_graph(example_path("maxcut_example")), "dwave-sa", 1.0)
    assert r.objective is None and "not installed" in r.error


@pytest.mark.parametrize("peer", ["dwave-sa", "dwave-tabu"])
def test_dwave_peers_reach_the_bundled_optimum(peer):
    pytest.importorskip("dwave.samplers")
    g = read_graph(example_path("maxcut_example"))
    r = dwave_maxcut(g, peer, time_limit=2.0, seed=0)
    assert r.error is None and r.objective == EXAMPLES["maxcut_example"]["optimum"]


# ---------------------------------------------------------------- deepinv (imaging)


@pytest.fixture
def deepinv():
    """deepinv, imported as the peer imports it (also without torchvision), or a skip."""
    try:
        return load_deepinv()
    except ImportError:
        pytest.skip("deepinv is not installed (pip install --no-deps deepinv==0.5.0 ...)")


def _noisy_crop(size: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    clean = read_image(example_image("astronaut"))[..., 100 : 100 + size, 200 : 200 + size]
    noise = 25 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(5))
    return clean, (clean + noise).clamp(0, 1)


TINY_DIP = {"channels": 8, "in_size": (2, 2), "layers": 3}


def test_deepinv_missing_is_a_row_note_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepinv", None)  # import fails as if not installed
    r = deepinv_dip(_noisy_crop()[1], 3)
    assert r.objective is None and r.solution is None and "not installed" in r.error


def test_deepinv_dip_psnr_is_recomputed_from_its_image(deepinv):
    clean, noisy = _noisy_crop()
    r = deepinv_dip(noisy, 30, reference=clean, seed=0, **TINY_DIP)
    assert r.error is None and r.iterations == 30 and r.time_s > 0
    assert r.solution.shape == clean.shape
    assert float(r.solution.min()) >= 0.0 and float(r.solution.max()) <= 1.0
    assert r.objective == pytest.approx(float(psnr(r.solution, clean)), abs=1e-9)
    assert r.objective > float(psnr(noisy, clean)) - 15  # it fitted something image-like
    if importlib.util.find_spec("torchvision") is None:
        assert "torchvision" not in sys.modules  # the stand-in left with the import


def test_deepinv_dip_is_deepinvs_own_loop(deepinv):
    # with no time limit the peer's image is DeepImagePrior.forward's under the same seed
    _, noisy = _noisy_crop(16)
    r = deepinv_dip(noisy, 5, seed=3, lr=1e-2, **TINY_DIP)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = deepinv.models.ConvDecoder((3, 16, 16), in_size=(2, 2), layers=3, channels=8)
        dip = deepinv.models.DeepImagePrior(net, [8, 2, 2], iterations=5, learning_rate=1e-2)
        own = dip(noisy, deepinv.physics.Denoising()).detach().clamp(0, 1)
    assert torch.equal(r.solution, own)


def test_deepinv_dip_stops_at_its_time_limit(deepinv):
    r = deepinv_dip(_noisy_crop()[1], 10**6, time_limit=0.5, **TINY_DIP)
    assert r.error is None and 0 < r.iterations < 10**6 and r.time_s < 5.0


def _images_dir() -> Path:
    base = default_data_dir()
    if base is None or not (base / "images" / "DIP_denoising_color9_sigma25").is_dir():
        pytest.skip("../shared/datasets/images is not available")
    return base


def test_deepinv_peer_row_in_the_denoise_suite(tmp_path, deepinv):
    rep = run_suite("dip-denoise", data=_images_dir(), out=tmp_path, device="cpu",
                    progress=False, limit=1, methods=["convdecoder"], baselines=False,
                    options={"crop": 24, "steps": 8, "convdecoder.channels": 8,
                             "peers": "deepinv", "save": str(tmp_path / "imgs")})  # fmt: skip
    ours, peer = rep.rows
    assert peer["method"] == "deepinv (peer)" and peer["error"] is None, peer["error"]
    assert peer["iterations"] == 8 and peer["ms_per_it"] > 0
    # the row's PSNR is the saved image's against the saved reference
    ref = read_image(tmp_path / "imgs" / f"{peer['instance']}_ref.png")
    got = read_image(tmp_path / "imgs" / f"{peer['instance']}_deepinv.png")
    assert float(psnr(got, ref)) == pytest.approx(peer["psnr"], abs=0.02)
    versus = rep.summary["methods"]["convdecoder"]
    assert versus["ms_per_it_vs_deepinv"] == pytest.approx(ours["ms_per_it"] / peer["ms_per_it"])
    assert versus["psnr_vs_deepinv"] == pytest.approx(ours["psnr"] - peer["psnr"])


def test_imaging_peers_are_checked_and_a_missing_one_is_noted(tmp_path, monkeypatch):
    data = _images_dir()
    for suite, peers, match in (("dip-denoise", "bm3d", "unknown imaging peer"),
                                ("dip-sr", "deepinv", "peers run in the suites")):  # fmt: skip
        with pytest.raises(InputError, match=match):
            run_suite(suite, data=data, out=tmp_path, device="cpu", progress=False,
                      options={"peers": peers})  # fmt: skip
    monkeypatch.setitem(sys.modules, "deepinv", None)
    rep = run_suite("dip-denoise", data=data, out=tmp_path, device="cpu", progress=False,
                    limit=1, methods=["convdecoder"], baselines=False,
                    options={"crop": 16, "steps": 3, "convdecoder.channels": 4,
                             "peers": "deepinv"})  # fmt: skip
    peer = rep.rows[-1]
    assert peer["method"] == "deepinv (peer)" and "not installed" in peer["error"]
    assert rep.summary["methods"]["convdecoder"].get("ms_per_it_vs_deepinv") is None


def test_convdecoder_matches_deepinvs_architecture(deepinv):
    # the same layers, so the per-iteration times compare the loops, not the networks
    ours = ConvDecoder(out_size=(40, 40), out_channels=3, channels=16, num_layers=7,
                       in_size=(2, 2))  # fmt: skip
    theirs = deepinv.models.ConvDecoder((3, 40, 40), in_size=(2, 2), channels=16)
    shapes = [tuple(p.shape) for p in ours.parameters()]
    assert shapes == [tuple(p.shape) for p in theirs.parameters()]
    kinds = [type(m).__name__ for m in ours.net]
    assert kinds == [type(m).__name__ for m in theirs.net]


# ---------------------------------------------------------------- DeepXDE (PDEs)


def test_deepxde_missing_is_a_row_note_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepxde", None)
    r = deepxde_pinn("heat", 1.0)
    assert r.objective is None and "not installed" in r.error
    assert deepxde_pinn("allen-cahn", 1.0).error.endswith("poisson2d")  # not a DeepXDE problem


def test_deepxde_pinn_error_is_recomputed_from_its_values():
    pytest.importorskip("deepxde")
    from dnnsolve.pde import builtin
    from dnnsolve.pde.references import relative_l2

    dtype = torch.get_default_dtype()
    r = deepxde_pinn("heat", 2.0, seed=1, threads=1, hidden=8, layers=2, domain_points=200,
                     boundary_points=20, initial_points=20)  # fmt: skip
    assert r.error is None, r.error
    assert torch.get_default_dtype() == dtype  # DeepXDE's float64 default does not leak
    assert r.details["points"] == [200, 20, 20] and r.details["net"] == "mlp 8x2 tanh"
    pde = builtin("heat")
    pts = pde_eval_points(pde)
    assert r.solution.shape[0] == len(pts)
    exact = np.asarray(pde.reference(pts), dtype=np.float64)
    assert r.objective == pytest.approx(relative_l2(r.solution.numpy(), exact), rel=1e-12)
    assert 0 < r.objective < 2 and r.details["adam_steps"] >= 1
