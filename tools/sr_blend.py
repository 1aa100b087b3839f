"""Choose the super-resolution blend share on the tune crops; report it on the report crops.

One run of the ×4 super-resolution default per crop of ``heldout-images`` (``HELDOUT_CROPS``:
the suite's crops, rounded to a multiple of 4, Lanczos-2 downsampling), with the blend off
(``blend=None``: the network's image as the plateau rule returns it), and the suite's TV
reconstruction (λ = 1e-3, 300 iterations from the bicubic image).  The blend is applied after
the run, so every share is read off the same two images: ``share · network + (1 − share) · TV``
is exactly what ``reconstruct`` returns with ``blend=share`` (``tests/test_imaging_defaults.py``
checks that).  Prints a Markdown table of each share's PSNR minus TV's, per crop and the mean
and minimum per split.  The default share (``AUTO_SETTINGS["sr_blend"]``) is the tune split's
best mean among the shares that beat TV on every tune crop.

    python tools/sr_blend.py --split both --jobs 2 --out /tmp/sr-blend

Runs are cached in ``--out`` (one ``.pt`` per crop); a finished crop is not rerun.  Not shipped.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from dnnsolve.baselines.imaging import tv_super_resolve
from dnnsolve.bench.suites.imaging import HELDOUT_CROPS, centre_crop
from dnnsolve.data import default_data_dir
from dnnsolve.imaging import Downsampling, psnr, read_image, reconstruct
from dnnsolve.imaging.reconstruct import AUTO_SETTINGS

SIZE = 96
SHARES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)


def crop(rel: str, top: int, left: int) -> torch.Tensor:
    """The clean crop exactly as the ``heldout-images`` suite's SR task makes it."""
    img = read_image(default_data_dir() / "images" / rel)
    gt = img[..., top : top + SIZE, left : left + SIZE].contiguous()
    return centre_crop(gt, None, multiple=4)


def record(args: tuple[str, int, int, Path]) -> Path:
    rel, top, left, out = args
    path = out / f"{rel.replace('/', '_')[:-4]}_{top}_{left}.pt"
    if path.is_file():
        return path
    torch.set_num_threads(1)
    gt = crop(rel, top, left)
    op = Downsampling(4)
    y = op(gt)
    tv = tv_super_resolve(y, op, tuple(gt.shape[1:]), iterations=300)
    net = reconstruct(y, op, method="dip", blend=None)
    data = {"crop": rel, "top": top, "left": left, "gt": gt, "tv": tv.image,
            "network": net.image, "steps": net.result.steps}  # fmt: skip
    tmp = path.with_suffix(".tmp")
    torch.save(data, tmp)
    os.replace(tmp, path)
    return path


def gains(path: Path) -> tuple[dict, list[float]]:
    """The record and each share's PSNR minus TV's."""
    d = torch.load(path)
    tv = float(psnr(d["tv"], d["gt"]))
    mixed = [(s * d["network"] + (1 - s) * d["tv"]).clamp(0, 1) for s in SHARES]
    return {**d, "tv_psnr": tv}, [float(psnr(m, d["gt"])) - tv for m in mixed]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("tune", "report", "both"), default="both")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("sr-blend"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    splits = ("tune", "report") if a.split == "both" else (a.split,)
    work = [(s, (rel, top, left, a.out)) for s in splits for rel, top, left, _ in HELDOUT_CROPS[s]]
    with ProcessPoolExecutor(max(1, a.jobs)) as pool:
        paths = list(pool.map(record, [w for _, w in work]))
    head = " | ".join(f"share {s:g}" for s in SHARES)
    print(f"| split | crop | stopped | TV | {head} |")
    print("|---|---|---|---|" + "---|" * len(SHARES))
    per_split: dict[str, list[list[float]]] = {}
    for (split, _), path in zip(work, paths):
        d, g = gains(path)
        per_split.setdefault(split, []).append(g)
        cells = " | ".join(f"{v:+.2f}" for v in g)
        print(f"| {split} | {d['crop'][:-4]}@{d['top']},{d['left']} | {d['steps']} "
              f"| {d['tv_psnr']:.2f} | {cells} |")  # fmt: skip
    for split, rows in per_split.items():
        cols = list(zip(*rows))
        mean = " | ".join(f"{sum(c) / len(c):+.3f}" for c in cols)
        low = " | ".join(f"{min(c):+.2f}" for c in cols)
        print(f"| {split} | mean | | | {mean} |\n| {split} | min | | | {low} |")
    print(f"\ndefault share: {AUTO_SETTINGS['sr_blend']}")


if __name__ == "__main__":
    main()
