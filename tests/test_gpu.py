"""CUDA runs of every method of every family (skipped without a GPU; ``python -m pytest -m
gpu``; ``tools/gpu-check`` runs them first).

The same code runs on both devices; these tests check that CUDA results are feasible, verified
in NumPy where the family's definition is short, and of the same quality as the CPU's. With
``DNNSOLVE_TEST_DEVICE=cpu`` they run on the CPU instead: a check of the tests themselves on a
machine without a GPU (not of the CUDA paths).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.data import EXAMPLES, example_path
from dnnsolve.io import read_graph

DEVICE = os.environ.get("DNNSOLVE_TEST_DEVICE", "cuda")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        DEVICE.startswith("cuda") and not torch.cuda.is_available(), reason="no CUDA device"
    ),
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
    r = solve("maxcut", g, method=method, device=DEVICE, seed=0, time_limit=30)
    assert r.device.startswith(DEVICE)
    side = _mask(g, r.solution)
    assert _cut(g, side) == r.objective == info["optimum"]


@pytest.mark.parametrize("method", ["pcqo", "relu", "pignn"])
def test_mis_cuda_reaches_optimum(method: str) -> None:
    info = EXAMPLES["mis_example"]
    g = read_graph(example_path("mis_example"))
    r = solve("mis", g, method=method, device=DEVICE, seed=0, time_limit=30)
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
    tg = g.to_torch(DEVICE)
    z = torch.rand(4, g.n, generator=torch.Generator().manual_seed(0)) < 0.5
    start = np.array([_cut(g, row) for row in z.numpy()])
    for out in (
        greedy_one_flip(tg, z.to(DEVICE)),
        tabu_search(tg, z.to(DEVICE), max_iters=2000),
        parallel_tabu_search(tg, z.to(DEVICE), max_iters=500),
    ):
        assert out.device.type == torch.device(DEVICE).type
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
        device=DEVICE,
    )
    assert out.result.device.startswith(DEVICE) or "NVIDIA" in out.result.device
    got = peak_signal_noise_ratio(to_numpy(clean), to_numpy(out.image), data_range=1.0)
    assert got > 25.0


def test_siren_fit_cuda() -> None:
    from dnnsolve.imaging import Denoising, GaussianNoise, reconstruct

    clean = _astronaut64()
    out = reconstruct(
        clean, Denoising(GaussianNoise(0.0)), method="siren", iterations=500, lr=1e-3,
        reference=clean, device=DEVICE,
    )  # fmt: skip
    assert out.metrics["psnr"] > 35.0


# ------------------------------------------------------------- every method of every family

#: the imaging methods run on every task's default method and, all of them, on denoising
_IMAGING_TASKS = ("ct", "deblur", "inpaint", "mri", "superres", "fit")
#: what a (family, method) needs besides the family's example: its input, its options
_SPECIAL: dict[tuple[str, str], tuple[object, dict]] = {
    ("pde", "deep-ritz"): ("poisson2d", {}),  # an energy functional: the heat example has none
    ("denoise", "sgdip"): (None, {"crop": 64}),  # self-guided DIP needs sides of 64 or more
}
#: methods that may end a short run without a feasible answer (incomplete, or approximate
#: networks whose residual is above the family's tolerance after a second)
_INCOMPLETE = {
    ("lp", "energy"), ("lp", "projection"), ("qp", "energy"), ("qp", "projection"),
    ("nmf", "cd"), ("nmf", "hals"), ("nmf", "mu"), ("nmf", "rrr"), ("sudoku", "rrr"),
    ("classify", "rrr"), ("classify", "adam"), ("classify", "sgd"), ("autoencode", "rrr"),
    ("bit-retrieval", "rrr"), ("rrr-color", "rrr"),
}  # fmt: skip


#: classical methods that run on the host whatever --device says
_ON_THE_HOST = {"highs", "osqp", "cpsat", "list", "topo", "topo-dp", "bicubic", "bm3d", "hals",
                "mu", "cd"}  # fmt: skip


def _cases() -> list[tuple[str, str]]:
    from dnnsolve.family import families

    cases = []
    for name, fam in sorted(families().items()):
        methods = sorted(fam.methods())
        if name in _IMAGING_TASKS:
            methods = [fam.default_method()]
        cases += [(name, m) for m in methods]
    return cases


def _run(name: str, method: str, device: str, **more):
    from dnnsolve.bench.suites.families import _example_input
    from dnnsolve.family import get_family

    fam = get_family(name)
    assert fam.example is not None, f"{name} has no bundled example to run"
    given, extra = _SPECIAL.get((name, method), (_example_input(fam), {}))
    # a second for the searches (the examples have at most 300 vertices); the networks stop
    # at the example's step count
    budget = 1.0 if fam.input_kind == "file" and name not in ("lp", "qp") else 60.0
    options = {"time_limit": budget, "seed": 0, **fam.example[1], **extra, **more}
    try:
        return solve(name, given, method, device=device, **options)
    except ModuleNotFoundError as exc:  # an optional baseline (bm3d, osqp) not installed
        pytest.skip(f"{name}/{method}: {exc}")


def _graph(name: str):
    from dnnsolve.bench.suites.families import _example_input
    from dnnsolve.family import get_family

    return read_graph(_example_input(get_family(name)))


def _clauses(path) -> list[list[int]]:
    """DIMACS CNF clauses, read here without the package's reader."""
    body = [ln for ln in Path(path).read_text().splitlines() if ln and ln[0] not in "cp%"]
    lits = [int(t) for ln in body for t in ln.split()]
    out, cur = [], []
    for lit in lits:
        if lit == 0:
            out.append(cur)
            cur = []
        else:
            cur.append(lit)
    return out


def _check_definition(name: str, r) -> None:
    """The answer checked from the family's definition, in NumPy, where that is short."""
    x = r.solution_array
    if name in ("maxcut", "mis", "clique", "vertex-cover"):
        g = _graph(name)
        x = np.asarray(x, dtype=bool)
        both, either = x[g.src] & x[g.dst], x[g.src] | x[g.dst]
        value = {
            "maxcut": float(g.weight[x[g.src] != x[g.dst]].sum()),
            "mis": float(x.sum()),
            "clique": float(x.sum()),
            "vertex-cover": float(x.sum()),
        }[name]
        if name == "mis":
            assert not both.any()
        if name == "vertex-cover":
            assert either.all()
        if name == "clique":
            idx = np.flatnonzero(x)
            pairs = {(min(a, b), max(a, b)) for a, b in zip(g.src, g.dst)}
            assert all((a, b) in pairs for i, a in enumerate(idx) for b in idx[i + 1 :])
        assert value == pytest.approx(r.objective)
    elif name in ("color", "k-coloring"):
        g = _graph(name)
        given = r.solution["coloring"] if name == "color" else r.solution["colors"]
        ids = list(range(1, g.n + 1)) if g.ids is None else g.ids.tolist()
        col = np.array([given.get(v, given.get(str(v))) for v in ids])
        clashes = int(np.sum(col[g.src] == col[g.dst]))
        if name == "color":
            assert clashes == 0 and len(set(col.tolist())) == r.objective
        else:
            assert clashes == r.objective
    elif name in ("sat", "maxsat"):
        from dnnsolve.bench.suites.families import _example_input
        from dnnsolve.family import get_family

        val = np.asarray(x, dtype=bool)
        clauses = _clauses(_example_input(get_family(name)))
        unsat = sum(not any(val[abs(lit) - 1] == (lit > 0) for lit in c) for c in clauses)
        assert unsat == r.objective
    elif name in ("lp", "qp"):
        assert r.metrics.get("primal_residual", 0.0) < 1e-3


def _same_class(name: str, cuda, cpu) -> None:
    """The device's answer is of the CPU's quality on the same budget."""
    if "psnr" in cpu.metrics:
        assert cuda.metrics["psnr"] >= cpu.metrics["psnr"] - 3.0
    elif "relative_l2" in cpu.metrics:
        assert cuda.metrics["relative_l2"] <= 3 * cpu.metrics["relative_l2"] + 1e-3
    elif isinstance(cpu.objective, (int, float)) and isinstance(cuda.objective, (int, float)):
        a, b = float(cuda.objective), float(cpu.objective)
        assert math.isfinite(a)
        assert abs(a - b) <= 0.1 * max(abs(b), 1.0) + 1.0, (a, b)


@pytest.mark.parametrize(("name", "method"), _cases())
def test_every_method_runs_on_the_device(name: str, method: str) -> None:
    # defaults side by side with the CPU; of the imaging tasks only denoising and fitting (the
    # operators' CPU runs are slow), on a step count, not a time, and long enough to compare
    compared = method == _default(name) and name not in _IMAGING_TASKS[:-1]
    imaging = "crop" in _example_options(name)
    more = {"steps": 100, "time_limit": 600.0} if compared and imaging else {}
    r = _run(name, method, DEVICE, **more)
    if method not in _ON_THE_HOST:
        assert r.device.startswith(DEVICE) or "NVIDIA" in r.device, r.device
    if (name, method) in _INCOMPLETE:
        assert r.objective is None or math.isfinite(float(r.objective))
        return
    assert r.feasible, (r.status, r.stop_reason)
    _check_definition(name, r)
    if compared:  # side by side with the CPU on the same budget
        _same_class(name, r, _run(name, method, "cpu", **more))


def _default(name: str) -> str:
    from dnnsolve.family import get_family

    return get_family(name).default_method()


def _example_options(name: str) -> dict:
    from dnnsolve.family import get_family

    return get_family(name).example[1]


# ------------------------------------------------------------------- CUDA-specific paths


def test_sparse_symmetric_product_backward_matches_dense() -> None:
    g = read_graph(example_path("mis_example"))
    tg = g.to_torch(DEVICE)
    dense = tg.adj.to_dense()
    x = torch.randn(3, g.n, device=DEVICE, requires_grad=True)
    w = torch.randn(3, g.n, device=DEVICE)
    (tg.matvec(x) * w).sum().backward()
    want = (dense @ w.T).T  # A symmetric: d/dx Σ w ⊙ (A x) = A w
    assert torch.allclose(x.grad, want, atol=1e-5)


def test_stacked_networks_loop_and_vmap_agree() -> None:
    from torch import nn

    from dnnsolve.core.stacked import StackedModules

    def net() -> nn.Module:
        return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

    outs, grads = [], []
    for batching in ("loop", "vmap"):
        s = StackedModules(net, restarts=4, batching=batching, device=DEVICE,
                           generator=torch.Generator().manual_seed(0))  # fmt: skip
        x = torch.linspace(-1, 1, 20, device=DEVICE).view(1, 10, 2).expand(4, -1, -1)
        y = s.apply(x)
        y.square().sum().backward()
        outs.append(y.detach())
        grads.append(torch.cat([p.grad.flatten() for p in s.parameters()]))
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    assert torch.allclose(grads[0], grads[1], atol=1e-4)


def test_autocast_dip_step_is_finite() -> None:
    from dnnsolve.imaging import Denoising, GaussianNoise, reconstruct

    clean = _astronaut64()
    noisy = Denoising(GaussianNoise(25 / 255)).measure(clean, torch.Generator().manual_seed(1))
    out = reconstruct(noisy, Denoising(), method="dip", iterations=50, amp=True, device=DEVICE)
    assert torch.isfinite(out.image).all()
