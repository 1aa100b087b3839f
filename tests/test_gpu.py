"""CUDA runs of every method (skipped without a GPU; run with ``python -m pytest -m gpu``).

The same code runs on both devices; these tests check that CUDA results are
feasible and reach the bundled examples' proven optima, verified in NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.data import EXAMPLES, example_path
from dnnsolve.io import read_graph

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
]


def _cut(g, side: np.ndarray) -> float:
    return float(g.weight[side[g.src] != side[g.dst]].sum())


def _mask(g, ids: list) -> np.ndarray:
    """Boolean mask of the vertices whose input ids are ``ids``."""
    all_ids = list(range(1, g.n + 1)) if g.ids is None else g.ids.tolist()
    pos = {v: i for i, v in enumerate(all_ids)}
    out = np.zeros(g.n, dtype=bool)
    out[[pos[v] for v in ids]] = True
    return out


@pytest.mark.parametrize("method", ["relaxed", "pignn"])
def test_maxcut_cuda_reaches_optimum(method: str) -> None:
    info = EXAMPLES["maxcut_example"]
    g = read_graph(example_path("maxcut_example"))
    r = solve("maxcut", g, method=method, device="cuda", seed=0, time_limit=30)
    assert r.device.startswith("cuda")
    side = _mask(g, r.solution)
    assert _cut(g, side) == r.objective == info["optimum"]


@pytest.mark.parametrize("method", ["pcqo", "relu", "pignn"])
def test_mis_cuda_reaches_optimum(method: str) -> None:
    info = EXAMPLES["mis_example"]
    g = read_graph(example_path("mis_example"))
    r = solve("mis", g, method=method, device="cuda", seed=0, time_limit=30)
    sel = _mask(g, r.solution)
    assert not np.any(sel[g.src] & sel[g.dst])
    assert sel.sum() == r.objective == info["optimum"]


def test_maxcut_kernels_on_cuda_match_exact_cuts() -> None:
    from dnnsolve.search.maxcut import (
        cut_values,
        greedy_one_flip,
        parallel_tabu_search,
        tabu_search,
    )

    g = read_graph(example_path("maxcut_example"))
    tg = g.to_torch("cuda")
    z = torch.rand(4, g.n, generator=torch.Generator().manual_seed(0)) < 0.5
    start = np.array([_cut(g, row) for row in z.numpy()])
    for out in (
        greedy_one_flip(tg, z.cuda()),
        tabu_search(tg, z.cuda(), max_iters=2000),
        parallel_tabu_search(tg, z.cuda(), max_iters=500),
    ):
        assert out.is_cuda
        cuts = np.array([_cut(g, row) for row in out.cpu().numpy()])
        assert np.all(cuts >= start)
        assert np.allclose(cut_values(tg, out).cpu().numpy(), cuts)


# ---------------------------------------------------------------------------- imaging


def _astronaut64():
    from dnnsolve.imaging import example_image, read_image

    return read_image(example_image("astronaut"))[..., 64:128, 96:160].contiguous()


@pytest.mark.parametrize(
    ("batching", "amp", "channels_last"),
    [("loop", False, False), ("vmap", False, False), ("vmap", True, True)],
)
def test_dip_denoising_cuda(batching: str, amp: bool, channels_last: bool) -> None:
    from skimage.metrics import peak_signal_noise_ratio

    from dnnsolve.imaging import Denoising, GaussianNoise, reconstruct, to_numpy

    clean = _astronaut64()
    noisy = Denoising(GaussianNoise(25 / 255)).measure(clean, torch.Generator().manual_seed(0))
    out = reconstruct(
        noisy,
        Denoising(),
        method="dip",
        iterations=400,
        restarts=2,
        batching=batching,
        amp=amp,
        channels_last=channels_last,
        device="cuda",
    )
    assert out.result.device.startswith("cuda") or "NVIDIA" in out.result.device
    got = peak_signal_noise_ratio(to_numpy(clean), to_numpy(out.image), data_range=1.0)
    assert got > 25.0


def test_siren_fit_cuda() -> None:
    from dnnsolve.imaging import Denoising, GaussianNoise, reconstruct

    clean = _astronaut64()
    out = reconstruct(
        clean, Denoising(GaussianNoise(0.0)), method="siren", iterations=500, lr=1e-3,
        reference=clean, device="cuda",
    )  # fmt: skip
    assert out.metrics["psnr"] > 35.0
