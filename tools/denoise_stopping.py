"""Replay the denoising stopping rule on recorded DIP runs of the held-out crops.

One 1500-step DIP run per crop of ``heldout-images`` (``HELDOUT_CROPS``: same crops, noise
seeds and σ = 25 clipped noise as the suite), with no stopping, recording every 10 steps the
output average's misfit to the noisy input and its PSNR.  A stopping rule is a function of
that trajectory only (stopping never changes the steps before it), so the step where it
stops and the image it returns are read off the record: the figures equal end-to-end runs of
the default with the same seed and one thread.  Prints a Markdown table: the clipped noise's
true level, the patch estimate (the default), the Haar estimate (the former default), TV,
BM3D, the default rule (τ = 0.95, patch estimate), the former rule (τ = 1, Haar) and the best
iterate in hindsight.

    python tools/denoise_stopping.py --split report --jobs 2 --out /tmp/traces

Runs are cached in ``--out`` as JSON; a finished crop is not rerun.  Not shipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from dnnsolve.baselines.imaging import bm3d_available, bm3d_denoise, tv_denoise
from dnnsolve.bench.suites.imaging import HELDOUT_CROPS
from dnnsolve.data import default_data_dir
from dnnsolve.imaging import Denoising, psnr, read_image, reconstruct
from dnnsolve.imaging.reconstruct import AUTO_SETTINGS
from dnnsolve.imaging.stopping import _haar_sigma, estimate_noise_sigma

SIGMA = 25 / 255
SIZE = 96


def crop(rel: str, top: int, left: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(clean crop, noisy crop) exactly as the ``heldout-images`` suite makes them."""
    img = read_image(default_data_dir() / "images" / rel)
    if top + SIZE > img.shape[-2] or left + SIZE > img.shape[-1]:
        raise SystemExit(f"{rel}: a {SIZE}-pixel crop at ({top}, {left}) leaves the image")
    gt = img[..., top : top + SIZE, left : left + SIZE].contiguous()
    g = torch.Generator().manual_seed(seed)
    return gt, (gt + SIGMA * torch.randn(gt.shape, generator=g)).clamp(0, 1)


def record(args: tuple[str, int, int, int, Path, int]) -> Path:
    rel, top, left, seed, out, iterations = args
    path = out / f"{rel.replace('/', '_')[:-4]}_{top}_{left}_{seed}.json"
    if path.is_file():
        return path
    torch.set_num_threads(1)
    gt, y = crop(rel, top, left, seed)
    res = reconstruct(y, Denoising(), method="dip", early_stop="none", iterations=iterations,
                      reference=gt, trace_every=10)  # fmt: skip
    bm3d = float(psnr(bm3d_denoise(y, SIGMA).image, gt)) if bm3d_available() else None
    data = {"crop": rel, "top": top, "left": left, "seed": seed,
            "tv": float(psnr(tv_denoise(y, SIGMA).image, gt)), "bm3d": bm3d,
            "trace": [{k: r.get(k) for k in ("step", "misfit_avg", "psnr_avg")}
                      for r in res.trace]}  # fmt: skip
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    return path


def stop(trace: list[dict], level: float, tau: float) -> dict:
    """The first recorded step whose misfit is within ``tau · level²`` (else the last)."""
    return next((r for r in trace if r["misfit_avg"] <= tau * level**2), trace[-1])


def row(split: str, path: Path) -> str:
    d = json.loads(path.read_text())
    gt, y = crop(d["crop"], d["top"], d["left"], d["seed"])
    trace = [r for r in d["trace"] if r["misfit_avg"] is not None
             and not math.isnan(r["misfit_avg"])]  # fmt: skip
    true = float((y - gt).square().mean().sqrt())
    patch, haar = estimate_noise_sigma(y), _haar_sigma(y.double()[0])
    new, old = stop(trace, patch, AUTO_SETTINGS["tau"]), stop(trace, haar, 1.0)
    best = max(trace, key=lambda r: r["psnr_avg"])
    tv = d["tv"]

    def cell(r: dict) -> str:
        v = f"{r['psnr_avg']:.2f}"
        return f"**{v}** ({r['step']})" if r["psnr_avg"] > tv else f"{v} ({r['step']})"

    bm3d = "–" if d["bm3d"] is None else f"{d['bm3d']:.2f}"
    return (f"| {split} | {d['crop'][:-4]}@{d['top']},{d['left']} | {d['seed']} | "
            f"{true * 255:.1f} / {patch * 255:.1f} / {haar * 255:.1f} | {tv:.2f} | {bm3d} | "
            f"{cell(new)} | {cell(old)} | {best['psnr_avg']:.2f} ({best['step']}) |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("tune", "report", "both"), default="both")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=1500)
    ap.add_argument("--out", type=Path, default=Path("denoise-traces"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    splits = ("tune", "report") if a.split == "both" else (a.split,)
    work = [(s, (*c, a.out, a.iterations)) for s in splits for c in HELDOUT_CROPS[s]]
    with ProcessPoolExecutor(max(1, a.jobs)) as pool:
        paths = list(pool.map(record, [w for _, w in work]))
    print(
        "| split | crop | seed | σ: clipped / patch / Haar | TV | BM3D "
        "| default (τ 0.95, patch) | former (τ 1, Haar) | best in hindsight |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (split, _), path in zip(work, paths):
        print(row(split, path))


if __name__ == "__main__":
    main()
