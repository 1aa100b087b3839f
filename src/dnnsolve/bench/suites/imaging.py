"""Imaging suites: untrained networks (DIP, Deep Decoder, SIREN …) beside classical baselines.

``dip-denoise``, ``dip-sr`` and ``dip-inpaint`` follow the Deep Image Prior paper's protocols on
its own inputs; ``denoise-sets`` runs the standard denoising sets at seeded noise levels;
``siren-fit`` fits the bundled camera image; ``heldout-images`` checks the library's *default*
(automatic stopping) against TV and BM3D on crops nobody tuned on (``set=report``, the default) or
on the crops the defaults were tuned on (``set=tune``).  Images come from ``<data>/images/`` (see its
``SOURCES.md``), except ``siren-fit``, which needs no dataset.

The run's ``options`` (``run_suite(options=...)``) size a run; every one has a default:

- ``crop``: centre crop to at most ``crop × crop`` pixels (super-resolution: of the HR image,
  rounded down to a multiple of 4); default the full image.
- ``steps``, ``lr``, ``restarts``, ``early_stop`` (``none`` / ``wmv``), ``average`` (output
  EMA decay, ``none`` for the raw iterate): passed to :func:`~dnnsolve.imaging.reconstruct`;
  default the method's published settings (DIP: the notebook's steps for the task).
- ``<method>.<key>``: a network option of that method, e.g. ``deep-decoder.channels=128``.
- ``sigma``: noise levels of ``denoise-sets`` on the 0–255 scale (default 15, 25, 50).
- ``baselines``: which baselines to run: ``bm3d``, ``tv`` (denoising), ``bicubic``, ``tv`` (SR),
  ``tv`` (inpainting); default all; ``--no-baselines``: none.
- ``tv_iterations``: Adam steps of the TV-regularized reconstruction (default 300).
- ``mask`` (``dip-inpaint``): ``gt0`` (default: missing = the pixels that are 0 in
  ``_masked.png`` but not in the ground truth; a pixel whose true value is 0 reads 0 either way,
  so counting it as observed states a correct value, and it keeps the 1-pixel black frame of
  ``peppers256`` known, without which DIP's published 33.06 dB there is impossible) or
  ``masked`` (every 0 of ``_masked.png`` is missing; costs every method several dB on that image).
- ``downsampler`` (``dip-sr``): ``lanczos2`` (default: DIP's Lanczos2 ``Downsampler``, the SR
  loss operator) or ``pil`` (Pillow's antialiased Lanczos resize, how DIP's notebook makes LR).
- ``save``: a folder to write every image (16-bit PNG: reference, input, outputs) into.
- ``peers`` (``dip-denoise``, ``denoise-sets``, ``heldout-images``' denoise task): ``deepinv``
  adds a ``deepinv (peer)`` row per noisy image: deepinv's Deep Image Prior with the
  ``ConvDecoder`` of its example (:func:`~dnnsolve.bench.peers.deepinv_dip`) on the same noisy
  image, for ``steps`` (default: deepinv's own, 2500; it has no stopping rule) within the
  same time limit, one process, the run's threads.  Each method's summary then holds
  ``ms_per_it_vs_deepinv`` (geometric mean over the images of our time per iteration over
  deepinv's) and ``psnr_vs_deepinv`` (mean PSNR gain, dB).  deepinv is installed by hand (see
  :mod:`dnnsolve.bench.peers`); without it the row says so in ``error``.

Rows hold the PSNR / SSIM (SR: ``psnr_y``, the Y channel after a 4-pixel border crop) of each
method and the baselines on the same input, times, iterations, why the run stopped and which
iterate it returned; the summary gives means per method and baseline, the settings and the
published anchors (full-size, GPU or paper figures: only comparable without ``crop``).

>>> from dnnsolve.bench import SUITES
>>> sorted(n for n in SUITES if n in IMAGE_SUITES)
['denoise-sets', 'dip-denoise', 'dip-inpaint', 'dip-sr', 'heldout-images', 'siren-fit']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ...baselines.imaging import (
    TV_LAMBDA,
    TV_WEIGHT_RULE,
    ImageBaseline,
    bicubic_upsample,
    bm3d_available,
    bm3d_denoise,
    tv_denoise,
    tv_reconstruct,
)
from ...core.errors import InputError
from ...imaging import (
    IMAGE_METHODS,
    Denoising,
    Downsampling,
    Inpainting,
    example_image,
    image_metrics,
    psnr,
    read_image,
    reconstruct,
    write_image,
)
from ...imaging.reconstruct import EARLY_STOP
from ..harness import (
    Instance,
    Suite,
    SuiteContext,
    mean_of,
    natural_key,
    option_float,
    option_int,
    register_suite,
)

IMAGE_SUITES = (
    "dip-denoise", "dip-sr", "dip-inpaint", "denoise-sets", "siren-fit", "heldout-images",
)  # fmt: skip
_METHODS = tuple(IMAGE_METHODS)
#: methods with DIP's per-task input jitter (raised to 1/20 at sigma 50, as the notebook)
_DIP_FAMILY = tuple(name for name, m in IMAGE_METHODS.items() if callable(m.input_noise))

_OPTION_KEYS = {
    "crop": "centre crop size (pixels)",
    "steps": "network steps",
    "lr": "learning rate",
    "restarts": "batched restarts",
    "early_stop": "auto, none or wmv",
    "average": "output EMA decay or none",
    "sigma": "noise levels (0-255) of denoise-sets",
    "baselines": "baselines to run",
    "tv_iterations": "iterations of the TV reconstruction",
    "mask": "dip-inpaint mask rule: masked or gt0",
    "downsampler": "dip-sr LR maker: lanczos2 or pil",
    "save": "folder for the images",
}

# ---------------------------------------------------------------- anchors (published figures)

#: DIP's published outputs, recomputed (research notes §1.1); per-image where known
DIP_INPAINT_PUBLISHED = {
    "barbara": (32.18, 28.13), "boat": (33.04, 31.42), "house": (39.00, 34.52),
    "Lena512": (36.08, 34.97), "peppers256": (33.06, 31.11), "Cameraman256": (29.80, 27.89),
    "couple": (32.48, 31.15), "fingerprint": (32.81, 31.32), "hill": (32.73, 32.32),
    "man": (32.17, 31.89), "montage": (34.49, 28.06),
}  # fmt: skip
DIP_SR_SET5_PUBLISHED = {"baby": 31.49, "bird": 31.80, "butterfly": 26.23, "head": 31.04,
                         "woman": 28.93}  # fmt: skip
ANCHORS: dict[str, dict[str, Any]] = {
    "dip-denoise": {
        "dip_published_outputs_psnr": 31.29,
        "cbm3d_published_psnr": 31.42,
        "nlm_published_psnr": 30.23,
        "noisy_psnr": 20.37,
        "dip_h100_rerun_ema_at_1800_psnr": 29.88,
        "dip_h100_rerun_raw_at_1800_psnr": 28.54,
        "dip_h100_time_per_image_s": 57,
    },
    "dip-sr": {
        "Set5": {"dip_psnr_y": 29.90, "bicubic_psnr_y": 28.44, "tv_prior_psnr_y": 28.86},
        "Set14": {"dip_psnr_y": 27.01, "bicubic_psnr_y": 26.05, "tv_prior_psnr_y": 26.42},
    },
    "dip-inpaint": {"dip_published_psnr": 33.44, "csc_papyan_psnr": 31.16, "masked_psnr": 8.71},
    "siren-fit": {"siren_psnr_at_5000": 38.2, "siren_psnr_at_1000": 31.5, "h100_time_5000_s": 60},
}
_ANCHOR_NOTES = {
    "dip-denoise": "anchors: the DIP authors' published output images (31.29) and CBM3D (31.42) "
    "recomputed on these 9 images; our H100 rerun of the notebook (3000 it., EMA) 29.88 @ 1800",
    "dip-sr": "anchors: PSNR-Y recomputed from the authors' published SR outputs (2000 it.)",
    "dip-inpaint": "anchors: PSNR recomputed from the published DIP (6001 it.) and CSC outputs",
    "siren-fit": "anchor: SIREN 3x256 on this 512² camera image, H100, 5000 full-batch steps, "
    "lr 1e-4: 38.2 dB in 60 s",
}


# ---------------------------------------------------------------- options


def _as_list(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, str):
        return [t.strip() for t in v.split(",") if t.strip()]
    return [v]


def _net_value(v: Any) -> Any:
    """CLI numbers come as floats: integral ones become ints (channel counts, depths)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_net_value(x) for x in v]
    return v


class ImageOptions:
    """The run's options, checked once (an unknown key is an error, not a silent no-op)."""

    def __init__(self, options: dict | None, suite: str, early_stop: str = "none"):
        opts = dict(options or {})
        self.net: dict[str, dict[str, Any]] = {}
        for key in [k for k in opts if "." in k]:
            meth, _, kw = key.partition(".")
            if meth not in IMAGE_METHODS or not kw:
                raise InputError(f"option {key}: expected <method>.<network option>, "
                                 f"method one of {', '.join(IMAGE_METHODS)}")  # fmt: skip
            self.net.setdefault(meth, {})[kw] = _net_value(opts.pop(key))
        unknown = sorted(set(opts) - set(_OPTION_KEYS))
        if unknown:
            raise InputError(
                f"unknown option(s) {', '.join(unknown)} for suite {suite!r}; known: "
                + ", ".join(f"{k} ({d})" for k, d in _OPTION_KEYS.items())
            )
        self.crop = (
            None
            if opts.get("crop") in (None, "none", "full")
            else option_int(opts["crop"], "crop", 8)
        )
        self.steps = None if opts.get("steps") is None else option_int(opts["steps"], "steps")
        self.lr = None if opts.get("lr") is None else option_float(opts["lr"], "lr")
        self.restarts = option_int(opts.get("restarts", 1), "restarts")
        self.early_stop = str(opts.get("early_stop", early_stop))
        if self.early_stop not in EARLY_STOP:
            raise InputError(
                f"option early_stop must be one of {', '.join(EARLY_STOP)}, got {self.early_stop!r}"
            )
        avg = opts.get("average", "default")
        self.average: float | str | None = (
            None
            if avg == "none"
            else ("default" if avg == "default" else option_float(avg, "average"))
        )
        self.sigmas = [option_float(s, "sigma") for s in _as_list(opts.get("sigma", [15, 25, 50]))]
        if not self.sigmas or any(not (0 < s <= 255) for s in self.sigmas):
            raise InputError(
                f"option sigma must be noise levels in (0, 255], got {opts['sigma']!r}"
            )
        self.baselines = None if "baselines" not in opts else [
            str(b) for b in _as_list(opts["baselines"])
        ]  # fmt: skip
        self.tv_iterations = option_int(opts.get("tv_iterations", 300), "tv_iterations", 0)
        self.mask = str(opts.get("mask", "gt0"))
        if self.mask not in ("masked", "gt0"):
            raise InputError(f"option mask must be masked or gt0, got {self.mask!r}")
        self.downsampler = str(opts.get("downsampler", "lanczos2"))
        if self.downsampler not in ("lanczos2", "pil"):
            raise InputError(
                f"option downsampler must be lanczos2 or pil, got {self.downsampler!r}"
            )
        self.save = None if opts.get("save") in (None, "") else Path(str(opts["save"]))

    def wants(self, ctx: SuiteContext, name: str, known: tuple[str, ...]) -> bool:
        if self.baselines is not None:
            bad = [b for b in self.baselines if b not in known]
            if bad:
                raise InputError(f"unknown baseline(s) {', '.join(bad)}; this suite has "
                                 f"{', '.join(known)}")  # fmt: skip
        return ctx.baselines and (self.baselines is None or name in self.baselines)

    def method_steps(self, method: str, task: str) -> int:
        if self.steps is not None:
            return self.steps
        return IMAGE_METHODS[method].steps(task)  # DIP variants: the notebook's (6001 inpainting)


def _options(ctx: SuiteContext, suite: str) -> ImageOptions:
    _image_peers(ctx, suite)  # a peer the suite does not run is an error before anything runs
    return ImageOptions(ctx.method_options(), suite)


# ---------------------------------------------------------------- peers

#: the suites that run the imaging peers (on their denoising rows)
PEER_SUITES = ("dip-denoise", "denoise-sets", "heldout-images")
#: what a peer's rows add to its name in the method column
_PEER_SUFFIX = " (peer)"


def _image_peers(ctx: SuiteContext, suite: str) -> list[str]:
    """The peers ``--option peers=...`` asks for, checked against what ``suite`` runs."""
    from ..peers import IMAGE_PEERS

    wanted = ctx.peers()
    unknown = sorted(set(wanted) - set(IMAGE_PEERS))
    if unknown:
        raise InputError(f"unknown imaging peer(s) {unknown}; known: {list(IMAGE_PEERS)}")
    if wanted and suite not in PEER_SUITES:
        raise InputError(f"peers run in the suites {', '.join(PEER_SUITES)}, not {suite!r}")
    return wanted


def _peer_rows(
    noisy: torch.Tensor, gt: torch.Tensor, opts: ImageOptions, ctx: SuiteContext, suite: str,
    common: dict, stem: str,
) -> list[dict]:  # fmt: skip
    """One row per imaging peer on the same noisy image: its PSNR / SSIM recomputed here from
    the image it returned, its time per iteration."""
    from ..peers import DEEPINV_DIP_EXAMPLE, deepinv_dip

    rows = []
    for peer in _image_peers(ctx, suite):
        # deepinv has no stopping rule: its own budget unless the run sets one for all
        iters = opts.steps or DEEPINV_DIP_EXAMPLE["iterations"]
        limit = ctx.time_limit if math.isfinite(ctx.time_limit) else None
        r = deepinv_dip(noisy.to(ctx.device), iters, time_limit=limit, seed=ctx.seed)
        row = {**common, "method": peer + _PEER_SUFFIX, "iterations_budget": iters,
               "device": str(ctx.device), "time_s": r.time_s, "error": r.error}  # fmt: skip
        if r.solution is not None:
            row.update(image_metrics(r.solution, gt))
            row.update(iterations=r.iterations, stop_reason="steps" if r.iterations == iters
                       else "time_limit", returned="last")  # fmt: skip
            row["ms_per_it"] = 1000.0 * r.time_s / r.iterations if r.iterations else None
            _save(opts, stem, peer, r.solution)
        rows.append(row)
    return rows


def _image_key(row: dict) -> tuple:
    """The input a row ran on: the image, the noise level and the task."""
    return (row.get("instance"), row.get("sigma"), row.get("task"))


def _peer_comparison(rows: list[dict], label: Callable[[dict, str], str]) -> dict[str, dict]:
    """Per method label (``label(row, method)``), per peer: ``ms_per_it_vs_<peer>``, the
    geometric mean over the images both ran of our time per iteration over the peer's, and
    ``psnr_vs_<peer>``, the mean PSNR gain (dB)."""
    peers: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        if r["method"].endswith(_PEER_SUFFIX) and not r.get("error"):
            peers.setdefault(_image_key(r), {})[r["method"].removesuffix(_PEER_SUFFIX)] = r
    pairs: dict[tuple[str, str], list[tuple[dict, dict]]] = {}
    for r in rows:
        if r["method"] == "none" or r["method"].endswith(_PEER_SUFFIX) or r.get("error"):
            continue
        for peer, pr in peers.get(_image_key(r), {}).items():
            pairs.setdefault((label(r, r["method"]), peer), []).append((r, pr))
    out: dict[str, dict] = {}
    for (name, peer), both in pairs.items():
        ratios = [ours["ms_per_it"] / theirs["ms_per_it"] for ours, theirs in both
                  if ours.get("ms_per_it") and theirs.get("ms_per_it")]  # fmt: skip
        gains = [ours["psnr"] - theirs["psnr"] for ours, theirs in both
                 if ours.get("psnr") is not None and theirs.get("psnr") is not None]  # fmt: skip
        geomean = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else None
        out.setdefault(name, {}).update(
            {f"ms_per_it_vs_{peer}": geomean, f"psnr_vs_{peer}": mean_of(gains)}
        )
    return out


# ---------------------------------------------------------------- image helpers


def centre_crop(img: torch.Tensor, size: int | None, multiple: int = 1) -> torch.Tensor:
    """The centre ``min(size, H) × min(size, W)`` of ``img`` (sides rounded down to ``multiple``).

    >>> centre_crop(torch.zeros(1, 3, 10, 7), 6).shape
    torch.Size([1, 3, 6, 6])
    >>> centre_crop(torch.zeros(1, 1, 10, 7), None, multiple=4).shape
    torch.Size([1, 1, 8, 4])
    """
    h, w = img.shape[-2:]
    nh, nw = (h, w) if size is None else (min(size, h), min(size, w))
    nh, nw = nh - nh % multiple, nw - nw % multiple
    if nh < 1 or nw < 1:
        raise InputError(f"crop {size} leaves nothing of a {h}x{w} image")
    top, left = (h - nh) // 2, (w - nw) // 2
    return img[..., top : top + nh, left : left + nw]


def _size(img: torch.Tensor) -> str:
    return f"{img.shape[-2]}x{img.shape[-1]}"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _save(opts: ImageOptions, stem: str, what: str, img: torch.Tensor) -> None:
    if opts.save is not None:
        write_image(opts.save / f"{_safe_name(stem)}_{what}.png", img.clamp(0, 1), bits=16)


def _baseline_fields(prefix: str, b: ImageBaseline | None, ref, sr=False, err=None) -> dict:
    if err is not None:
        return {f"{prefix}_error": err}
    if b is None:
        return {}
    m = image_metrics(b.image, ref, 4 if sr else None)
    out = {f"{prefix}_{k}": v for k, v in m.items()}
    out[f"{prefix}_time_s"] = b.time_s
    return out


def _run_baseline(fn: Callable[[], ImageBaseline]) -> tuple[ImageBaseline | None, str | None]:
    try:
        return fn(), None
    except Exception as exc:  # a failing baseline is reported in its row, the run goes on
        return None, f"{type(exc).__name__}: {exc}"


def _run_method(
    method: str,
    measurement: torch.Tensor,
    operator,
    ref: torch.Tensor,
    task: str,
    opts: ImageOptions,
    ctx: SuiteContext,
    *,
    shape=None,
    input_noise: float | None = None,
    sr: bool = False,
    instance: str = "image",
) -> tuple[dict, torch.Tensor | None]:
    """One :func:`reconstruct` → row fields and the image; exceptions become ``error``."""
    iters = opts.method_steps(method, task)
    base = {"method": method, "iterations_budget": iters, "device": str(ctx.device)}
    try:
        out = reconstruct(
            measurement,
            operator,
            method=method,
            shape=shape,
            task=task,
            iterations=iters,
            lr=opts.lr,
            restarts=opts.restarts,
            early_stop=opts.early_stop,
            average=opts.average,
            input_noise=input_noise,
            options=opts.net.get(method),
            reference=ref,
            y_scale=4 if sr else None,
            time_limit=ctx.time_limit,
            device=ctx.device,
            seed=ctx.seed,
            instance=instance,
        )
    except Exception as exc:
        return {**base, "time_s": None, "error": f"{type(exc).__name__}: {exc}"}, None
    r = out.result
    ret = r.extra.get("returned") or {}
    m = image_metrics(out.image, ref, 4 if sr else None)
    row = {
        **base,
        **m,
        "time_s": r.time_s,
        "iterations": r.steps,
        "ms_per_it": 1000.0 * r.time_s / r.steps if r.steps else None,
        "stop_reason": r.stop_reason,
        "returned": ret.get("by"),
        "returned_step": ret.get("step"),
        "blend": (r.extra.get("blend") or {}).get("network_share"),
        "device": r.device,
        "error": None,
    }
    return row, out.image


# ---------------------------------------------------------------- summaries


def _group_means(rows: list[dict], keys: list[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"images": len(rows)}
    for k in keys:
        out[f"mean_{k}"] = mean_of([r.get(f"{prefix}{k}") for r in rows])
    return out


def _baseline_only(common: dict, chosen: dict) -> list[dict]:
    """``--methods none``: one row per image holding only the input and the baselines."""
    return [] if chosen["image"] else [{**common, "method": "none", "time_s": None}]


def _summarize(
    suite: str,
    rows: list[dict],
    metric_keys: list[str],
    baselines: tuple[str, ...],
    group: Callable[[dict], str] | None = None,
) -> dict:
    """Per method (and group): mean metrics / time / iterations; per baseline the same (each
    image counted once); the input's mean PSNR; settings; anchors."""

    def label(r: dict, name: str) -> str:
        return f"{name} ({group(r)})" if group else name

    by_method: dict[str, list[dict]] = {}
    for r in rows:
        if r["method"] != "none":
            by_method.setdefault(label(r, r["method"]), []).append(r)
    out: dict[str, Any] = {"methods": {}}
    for name, rs in by_method.items():
        ok = [r for r in rs if not r.get("error")]
        out["methods"][name] = {
            **_group_means(ok, [*metric_keys, "time_s", "iterations", "ms_per_it"]),
            "errors": len(rs) - len(ok),
        }
    for name, against in _peer_comparison(rows, label).items():
        out["methods"][name].update(against)
    seen: dict[tuple, dict] = {}
    for r in rows:  # baselines and the input once per image (and noise level)
        seen.setdefault((r.get("instance"), r.get("sigma")), r)
    firsts = list(seen.values())
    base: dict[str, dict] = {}
    for b in baselines:
        groups: dict[str, list[dict]] = {}
        for r in firsts:
            if f"{b}_{metric_keys[0]}" in r:
                groups.setdefault(label(r, b), []).append(r)
        for name, rs in groups.items():
            base[name] = _group_means(rs, [*metric_keys, "time_s"], prefix=f"{b}_")
    if base:
        out["baselines"] = base
    inputs = [r.get("input_psnr") for r in firsts]
    if any(v is not None for v in inputs):
        if group:
            grp: dict[str, list] = {}
            for r in firsts:
                grp.setdefault(group(r), []).append(r.get("input_psnr"))
            out["input_psnr"] = {g: mean_of(v) for g, v in grp.items()}
        else:
            out["input_psnr"] = mean_of(inputs)
    out["settings"] = {
        "crop": _one(rows, "crop"),
        "iterations": _one(rows, "iterations_budget"),
        "device": _one(rows, "device"),
        "restarts": _one(rows, "restarts"),
        "early_stop": _one(rows, "early_stop"),
    }
    if ANCHORS.get(suite):
        out["anchors"] = ANCHORS[suite]  # grouped anchors (per set) print one bullet per group
    notes = [_ANCHOR_NOTES[suite]] if suite in _ANCHOR_NOTES else []
    if ANCHORS.get(suite) and any(r.get("crop") not in (None, "full") for r in rows):
        notes.append("images are centre crops: the anchors (full images) are not comparable")
    if "tv" in baselines and suite in ("dip-denoise", "denoise-sets"):
        notes.append("TV: " + TV_WEIGHT_RULE)
    out["notes"] = notes
    return out


def _cols(text: str) -> tuple[str, ...]:
    """Markdown columns from a space-separated list."""
    return tuple(text.split())


def _one(rows: list[dict], key: str) -> Any:
    vals = sorted({str(r.get(key)) for r in rows if r.get(key) is not None})
    if not vals:
        return None
    return vals[0] if len(vals) == 1 else ", ".join(vals)


# ---------------------------------------------------------------- dip-denoise


def _paired(folder: Path, suffix: str, crop_of, suite: Suite) -> list[Instance]:
    files = sorted(folder.glob("*_GT.png"), key=lambda p: natural_key(p.name))
    if not files:
        raise InputError(f"no *_GT.png files in {folder} (needed by suite {suite.name!r})")
    out = []
    for gt in files:
        name = gt.name[: -len("_GT.png")]
        other = gt.with_name(f"{name}_{suffix}.png")
        out.append(Instance(name, lambda gt=gt, other=other: crop_of(gt, other), {"path": str(gt)}))
    return out


def _denoise_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _options(ctx, "dip-denoise")
    folder = ctx.data_folder(DIP_DENOISE, "images/DIP_denoising_color9_sigma25")

    def load(gt: Path, noisy: Path) -> dict:
        return {
            "gt": centre_crop(read_image(gt), opts.crop),
            "noisy": centre_crop(read_image(noisy), opts.crop),
        }

    return _paired(folder, "noisy", load, DIP_DENOISE)


def _denoise_rows(
    inst: Instance, data: dict, chosen: dict, ctx: SuiteContext, sigma: float = 25.0,
    extra: dict | None = None, suite: str = "dip-denoise",
) -> list[dict]:  # fmt: skip
    opts = _options(ctx, suite)
    gt, noisy = data["gt"], data["noisy"]
    stem = inst.name + ("" if extra is None else f"_s{sigma:g}")
    s = sigma / 255.0
    common = {
        "instance": inst.name,
        **(extra or {}),
        "size": _size(gt),
        "crop": opts.crop or "full",
        "restarts": opts.restarts,
        "early_stop": opts.early_stop,
        "input_psnr": float(psnr(noisy, gt)),
    }
    _save(opts, stem, "ref", gt)
    _save(opts, stem, "input", noisy)
    known = ("bm3d", "tv")
    if opts.wants(ctx, "bm3d", known) and not bm3d_available():
        common["bm3d_error"] = "the bm3d package is not installed (pip install bm3d)"
    elif opts.wants(ctx, "bm3d", known):
        b, err = _run_baseline(lambda: bm3d_denoise(noisy, s))
        common.update(_baseline_fields("bm3d", b, gt, err=err))
        if b is not None:
            _save(opts, stem, "bm3d", b.image)
    if opts.wants(ctx, "tv", known):
        b, err = _run_baseline(lambda: tv_denoise(noisy, s))
        common.update(_baseline_fields("tv", b, gt, err=err))
        if b is not None:
            common["tv_weight"] = b.params["weight"]
            _save(opts, stem, "tv", b.image)
    # DIP's notebook: input jitter 1/30 at sigma 25, 1/20 at sigma 50
    rows = _baseline_only(common, chosen)
    for meth in chosen["image"]:
        jitter = 1 / 20 if (meth in _DIP_FAMILY and sigma >= 50) else None
        op = Denoising()
        fields, img = _run_method(meth, noisy, op, gt, "denoising", opts, ctx,
                                  input_noise=jitter, instance=inst.name)  # fmt: skip
        if img is not None:
            _save(opts, stem, meth, img)
        rows.append({**common, **fields})
    return rows + _peer_rows(noisy, gt, opts, ctx, suite, common, stem)


DIP_DENOISE = register_suite(
    Suite(
        "dip-denoise",
        ("image",),
        "Colour denoising, σ = 25: the 9 images of the DIP paper with the authors' noisy "
        "realisation (<data>/images/DIP_denoising_color9_sigma25/); RGB PSNR and SSIM of the "
        "untrained networks beside CBM3D and TV denoising on the same noisy input",
        "images",
        3600.0,
        _cols(
            "instance size method psnr ssim time_s iterations stop_reason returned_step "
            "input_psnr bm3d_psnr bm3d_ssim bm3d_time_s tv_psnr tv_ssim tv_time_s error"
        ),
        instances=_denoise_instances,
        rows=_denoise_rows,
        summarize=lambda rows: _summarize("dip-denoise", rows, ["psnr", "ssim"], ("bm3d", "tv")),
        methods=_METHODS,
        default_methods=("dip",),
    )
)


# ---------------------------------------------------------------- denoise-sets

#: folders under images/ of the standard denoising sets (Set12 gray, the others colour)
DENOISE_SETS = ("Set12", "Kodak24", "CBSD68")


def _sets_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _options(ctx, "denoise-sets")
    base = ctx.data_folder(DENOISE_SETS_SUITE, "images")
    out: list[Instance] = []
    for folder in DENOISE_SETS:
        d = base / folder
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.png"), key=lambda p: natural_key(p.name)):
            index = len(out)  # fixed by the full list: the noise does not depend on a selection

            def load(p=p, index=index) -> dict:
                return {"gt": centre_crop(read_image(p), opts.crop), "index": index}

            out.append(Instance(f"{folder}-{p.stem}", load, {"path": str(p), "set": folder}))
    if not out:
        raise InputError(f"suite 'denoise-sets' found none of {', '.join(DENOISE_SETS)} in {base}")
    return out


def _sets_rows(inst: Instance, data: dict, chosen: dict, ctx: SuiteContext) -> list[dict]:
    opts = _options(ctx, "denoise-sets")
    gt = data["gt"]
    g = torch.Generator().manual_seed(ctx.seed + data["index"])
    unit = torch.randn(gt.shape, generator=g)  # one draw, scaled per noise level
    rows = []
    for sigma in opts.sigmas:
        noisy = gt + (sigma / 255.0) * unit  # not clipped (the DnCNN / KAIR protocol)
        extra = {"set": inst.meta.get("set"), "sigma": sigma}
        rows += _denoise_rows(inst, {"gt": gt, "noisy": noisy}, chosen, ctx, sigma, extra,
                              suite="denoise-sets")  # fmt: skip
    return rows


DENOISE_SETS_SUITE = register_suite(
    Suite(
        "denoise-sets",
        ("image",),
        "Gaussian denoising on Set12 (gray), Kodak24 and CBSD68 (colour) at σ = 15 / 25 / 50 "
        "(seeded, unclipped noise; seed + image index), untrained networks beside BM3D / CBM3D "
        "and TV",
        "images",
        3600.0,
        _cols(
            "instance sigma size method psnr ssim time_s iterations returned_step input_psnr "
            "bm3d_psnr bm3d_ssim bm3d_time_s tv_psnr tv_ssim tv_time_s error"
        ),
        instances=_sets_instances,
        rows=_sets_rows,
        summarize=lambda rows: _summarize(
            "denoise-sets",
            rows,
            ["psnr", "ssim"],
            ("bm3d", "tv"),
            group=lambda r: f"{r.get('set')}, σ={_fmt_sigma(r.get('sigma'))}",
        ),
        methods=_METHODS,
        default_methods=("dip", "deep-decoder"),
    )
)


def _fmt_sigma(s: Any) -> str:
    return "?" if s is None else f"{float(s):g}"


# ---------------------------------------------------------------- dip-sr

SR_SETS = ("Set5", "Set14")


def _sr_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _options(ctx, "dip-sr")
    base = ctx.data_folder(DIP_SR, "images")
    out = []
    for s in SR_SETS:
        d = base / s
        if not d.is_dir():
            raise InputError(f"suite 'dip-sr' expects the folder {d}")
        for p in sorted(d.glob("*.png"), key=lambda p: natural_key(p.name)):

            def load(p=p) -> dict:
                return {"gt": centre_crop(read_image(p), opts.crop, multiple=4)}

            out.append(Instance(f"{s}-{p.stem}", load, {"path": str(p), "set": s}))
    return out


def _pil_downsample(hr: torch.Tensor, factor: int) -> torch.Tensor:
    """Pillow's antialiased Lanczos resize (``Image.LANCZOS``), in float: DIP's notebook LR."""
    import numpy as np
    from PIL import Image

    a = hr[0].double().numpy()
    h, w = a.shape[-2:]
    planes = [
        np.array(Image.fromarray(c.astype(np.float32), mode="F").resize(
            (w // factor, h // factor), Image.LANCZOS))
        for c in a
    ]  # fmt: skip
    return torch.from_numpy(np.stack(planes)).unsqueeze(0).float().clamp(0, 1)


def _sr_rows(inst: Instance, data: dict, chosen: dict, ctx: SuiteContext) -> list[dict]:
    opts = _options(ctx, "dip-sr")
    hr = data["gt"]
    op = Downsampling(4)
    lr = op(hr) if opts.downsampler == "lanczos2" else _pil_downsample(hr, 4)
    set_name = inst.meta.get("set")
    common: dict[str, Any] = {
        "instance": inst.name,
        "set": set_name,
        "size": _size(hr),
        "crop": opts.crop or "full",
        "restarts": opts.restarts,
        "early_stop": opts.early_stop,
        "downsampler": opts.downsampler,
    }
    if opts.crop is None and set_name == "Set5":
        common["dip_published_psnr_y"] = DIP_SR_SET5_PUBLISHED.get(inst.name.split("-", 1)[1])
    _save(opts, inst.name, "ref", hr)
    _save(opts, inst.name, "input", lr)
    known = ("bicubic", "tv")
    bic, err = _run_baseline(lambda: bicubic_upsample(lr, 4))
    if opts.wants(ctx, "bicubic", known):
        common.update(_baseline_fields("bicubic", bic, hr, sr=True, err=err))
        if bic is not None:
            _save(opts, inst.name, "bicubic", bic.image)
    if opts.wants(ctx, "tv", known):
        start = bic.image if bic is not None else "smooth"
        b, err = _run_baseline(lambda: tv_reconstruct(
            lr, op, lam=TV_LAMBDA["sr"], iterations=opts.tv_iterations, init=start,
            device=ctx.device))  # fmt: skip
        common.update(_baseline_fields("tv", b, hr, sr=True, err=err))
        if b is not None:
            _save(opts, inst.name, "tv", b.image)
    rows = _baseline_only(common, chosen)
    for meth in chosen["image"]:
        fields, img = _run_method(meth, lr, op, hr, "sr4", opts, ctx, sr=True,
                                  shape=tuple(hr.shape[1:]), instance=inst.name)  # fmt: skip
        if img is not None:
            _save(opts, inst.name, meth, img)
        rows.append({**common, **fields})
    return rows


DIP_SR = register_suite(
    Suite(
        "dip-sr",
        ("image",),
        "Super-resolution ×4 on Set5 and Set14 (<data>/images/Set5, Set14): HR cropped to a "
        "multiple of 4, LR by DIP's Lanczos2 downsampler; PSNR on Y after a 4-pixel border crop "
        "(DIP's protocol) of the untrained networks beside bicubic and TV-regularized SR",
        "images",
        3600.0,
        _cols(
            "instance size method psnr_y ssim time_s iterations stop_reason returned_step "
            "dip_published_psnr_y bicubic_psnr_y bicubic_time_s tv_psnr_y tv_time_s error"
        ),
        instances=_sr_instances,
        rows=_sr_rows,
        summarize=lambda rows: _summarize(
            "dip-sr",
            rows,
            ["psnr_y", "psnr", "ssim"],
            ("bicubic", "tv"),
            group=lambda r: str(r.get("set")),
        ),
        methods=_METHODS,
        default_methods=("dip",),
    )
)


# ---------------------------------------------------------------- dip-inpaint


def _inpaint_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _options(ctx, "dip-inpaint")
    folder = ctx.data_folder(DIP_INPAINT, "images/DIP_inpainting_gray11_50p")

    def load(gt: Path, masked: Path) -> dict:
        g = centre_crop(read_image(gt), opts.crop)
        m = centre_crop(read_image(masked), opts.crop)
        if g.shape != m.shape:
            raise InputError(f"{masked.name} is {_size(m)}, {gt.name} is {_size(g)}")
        observed = m > 0
        if opts.mask == "gt0":
            observed |= g == 0
        return {"gt": g, "mask": observed.float()}

    return _paired(folder, "masked", load, DIP_INPAINT)


def _inpaint_rows(inst: Instance, data: dict, chosen: dict, ctx: SuiteContext) -> list[dict]:
    opts = _options(ctx, "dip-inpaint")
    gt, mask = data["gt"], data["mask"]
    op = Inpainting(mask[0])
    y = op(gt)
    common: dict[str, Any] = {
        "instance": inst.name,
        "size": _size(gt),
        "crop": opts.crop or "full",
        "restarts": opts.restarts,
        "early_stop": opts.early_stop,
        "missing": float(1 - mask.mean()),
        "mask_rule": opts.mask,
        "input_psnr": float(psnr(y, gt)),
    }
    if opts.crop is None and inst.name in DIP_INPAINT_PUBLISHED:
        common["dip_published_psnr"], common["csc_published_psnr"] = DIP_INPAINT_PUBLISHED[
            inst.name
        ]
    _save(opts, inst.name, "ref", gt)
    _save(opts, inst.name, "input", y)
    if opts.wants(ctx, "tv", ("tv",)):
        b, err = _run_baseline(lambda: tv_reconstruct(
            y, op, lam=TV_LAMBDA["inpainting"], iterations=opts.tv_iterations, device=ctx.device
        ))  # fmt: skip
        common.update(_baseline_fields("tv", b, gt, err=err))
        if b is not None:
            _save(opts, inst.name, "tv", b.image)
    rows = _baseline_only(common, chosen)
    for meth in chosen["image"]:
        fields, img = _run_method(meth, y, op, gt, "inpainting", opts, ctx, instance=inst.name)
        if img is not None:
            _save(opts, inst.name, meth, img)
        rows.append({**common, **fields})
    return rows


DIP_INPAINT = register_suite(
    Suite(
        "dip-inpaint",
        ("image",),
        "Inpainting of 50 % missing pixels on the 11 gray images of DIP's Table 2 "
        "(<data>/images/DIP_inpainting_gray11_50p/; missing = 0 in _masked.png but not in the "
        "ground truth); PSNR of the "
        "untrained networks beside TV-regularized inpainting",
        "images",
        3600.0,
        _cols(
            "instance size method psnr ssim time_s iterations stop_reason returned_step "
            "dip_published_psnr csc_published_psnr input_psnr tv_psnr tv_ssim tv_time_s error"
        ),
        instances=_inpaint_instances,
        rows=_inpaint_rows,
        summarize=lambda rows: _summarize("dip-inpaint", rows, ["psnr", "ssim"], ("tv",)),
        methods=_METHODS,
        default_methods=("dip",),
    )
)


# ---------------------------------------------------------------- siren-fit


def _siren_instances(ctx: SuiteContext) -> list[Instance]:
    opts = _options(ctx, "siren-fit")
    p = example_image("camera")
    return [Instance("camera", lambda: {"gt": centre_crop(read_image(p), opts.crop)},
                     {"path": str(p)})]  # fmt: skip


def _siren_rows(inst: Instance, data: dict, chosen: dict, ctx: SuiteContext) -> list[dict]:
    opts = _options(ctx, "siren-fit")
    gt = data["gt"]
    common = {
        "instance": inst.name,
        "size": _size(gt),
        "crop": opts.crop or "full",
        "restarts": opts.restarts,
        "early_stop": opts.early_stop,
    }
    _save(opts, inst.name, "ref", gt)
    rows = _baseline_only(common, chosen)
    for meth in chosen["image"]:
        fields, img = _run_method(meth, gt, Denoising(), gt, "denoising", opts, ctx,
                                  instance=inst.name)  # fmt: skip
        if img is not None:
            _save(opts, inst.name, meth, img)
        rows.append({**common, **fields})
    return rows


SIREN_FIT = register_suite(
    Suite(
        "siren-fit",
        ("image",),
        "Fit the bundled 512² camera image (scikit-image's CC0 camera()) with an implicit "
        "network (SIREN 3×256, ω0 = 30, full batch, Adam 1e-4); PSNR of the fit",
        None,
        3600.0,
        _cols("instance size method psnr ssim time_s iterations ms_per_it stop_reason error"),
        instances=_siren_instances,
        rows=_siren_rows,
        summarize=lambda rows: _summarize("siren-fit", rows, ["psnr", "ssim"], ()),
        methods=_METHODS,
        default_methods=("siren",),
    )
)


# ---------------------------------------------------------------- heldout-images

#: crops ``(file under images/, top, left, noise / mask seed)``: ``tune`` chose the automatic
#: stopping settings (:data:`~dnnsolve.imaging.reconstruct.AUTO_SETTINGS`); ``report`` was
#: never looked at while tuning (other sets, other positions, seeds >= 1000)
HELDOUT_CROPS: dict[str, tuple[tuple[str, int, int, int], ...]] = {
    "tune": (
        ("Set14/barbara.png", 200, 300, 1),
        ("Set12/05.png", 80, 80, 2),
        ("Set14/baboon.png", 100, 100, 3),
        ("Set14/zebra.png", 100, 200, 4),
        ("Set14/coastguard.png", 50, 50, 5),
    ),
    "report": (
        ("Kodak24/kodim05.png", 200, 150, 1000),
        ("Kodak24/kodim13.png", 60, 300, 1001),
        ("Kodak24/kodim23.png", 250, 40, 1002),
        ("CBSD68/101087.png", 150, 100, 1003),
        ("CBSD68/108005.png", 200, 300, 1004),  # (300, 200) left the 321×481 image
        ("Kodak24/kodim19.png", 300, 200, 1005),  # the crop, with the suite's noise
    ),
}
HELDOUT_TASKS = ("denoise", "inpaint", "sr")
_HELDOUT_KEYS = {
    "set": "tune or report crops",
    "tasks": "denoise, inpaint, sr",
    "compare": "extra early_stop variants of each method, e.g. none",
}


def _heldout_options(ctx: SuiteContext) -> tuple[ImageOptions, dict[str, Any]]:
    """The shared image options (default ``early_stop=auto``, ``crop=96``) and this suite's own."""
    _image_peers(ctx, "heldout-images")
    opts = ctx.method_options()
    own = {k: opts.pop(k) for k in list(opts) if k in _HELDOUT_KEYS}
    opts.setdefault("crop", 96)
    try:
        io = ImageOptions(opts, "heldout-images", early_stop="auto")
    except InputError as exc:
        known = ", ".join(f"{k} ({d})" for k, d in _HELDOUT_KEYS.items())
        raise InputError(f"{exc}; and for this suite {known}") from None
    split = str(own.get("set", "report"))
    if split not in HELDOUT_CROPS:
        raise InputError(f"option set must be tune or report, got {split!r}")
    tasks = [str(t) for t in _as_list(own.get("tasks", list(HELDOUT_TASKS)))]
    bad = [t for t in tasks if t not in HELDOUT_TASKS]
    if bad or not tasks:
        raise InputError(f"option tasks must be among {', '.join(HELDOUT_TASKS)}, got {tasks}")
    compare = [str(c) for c in _as_list(own.get("compare", []))]
    bad = [c for c in compare if c not in EARLY_STOP]
    if bad:
        raise InputError(f"option compare must be among {', '.join(EARLY_STOP)}, got {bad}")
    return io, {"set": split, "tasks": tasks, "compare": compare}


def _heldout_instances(ctx: SuiteContext) -> list[Instance]:
    io, own = _heldout_options(ctx)
    base = ctx.data_folder(HELDOUT_IMAGES, "images")
    size = io.crop or 96
    out = []
    for rel, top, left, seed in HELDOUT_CROPS[own["set"]]:
        path = base / rel
        name = f"{rel.split('/')[0]}-{Path(rel).stem}@{top},{left}"

        def load(path=path, top=top, left=left) -> dict:
            if not path.is_file():
                raise InputError(f"suite 'heldout-images' expects the image {path}")
            img = read_image(path)
            h, w = img.shape[-2:]
            if top + size > h or left + size > w:
                raise InputError(f"a {size}-pixel crop at ({top}, {left}) leaves {path.name}")
            return {"gt": img[..., top : top + size, left : left + size].contiguous()}

        meta = {"path": str(path), "split": own["set"], "seed": seed, "set": rel.split("/")[0]}
        out.append(Instance(name, load, meta))
    return out


def _heldout_task(
    task: str, gt: torch.Tensor, seed: int, io: ImageOptions, ctx: SuiteContext, common: dict
) -> tuple[torch.Tensor, torch.Tensor, Any, str, tuple | None]:
    """Measurement of one task on a crop, its baselines' fields added to ``common``:
    (reference, measurement, operator, DIP task, image shape)."""
    if task == "denoise":
        g = torch.Generator().manual_seed(seed)
        y = (gt + 25 / 255 * torch.randn(gt.shape, generator=g)).clamp(0, 1)
        op, dtask, shape = Denoising(), "denoising", None
        common["input_psnr"] = float(psnr(y, gt))
        if io.wants(ctx, "bm3d", ("bm3d", "tv")) and bm3d_available():
            b, err = _run_baseline(lambda: bm3d_denoise(y, 25 / 255))
            common.update(_baseline_fields("bm3d", b, gt, err=err))
        if io.wants(ctx, "tv", ("bm3d", "tv")):
            b, err = _run_baseline(lambda: tv_denoise(y, 25 / 255))
            common.update(_baseline_fields("tv", b, gt, err=err))
    elif task == "inpaint":
        op = Inpainting.random(tuple(gt.shape[-2:]), 0.5, seed=seed)
        y, dtask, shape = op(gt), "inpainting", None
        common["input_psnr"] = float(psnr(y, gt))
        if io.wants(ctx, "tv", ("bm3d", "tv")):
            b, err = _run_baseline(lambda: tv_reconstruct(
                y, op, lam=TV_LAMBDA["inpainting"], iterations=io.tv_iterations,
                device=ctx.device))  # fmt: skip
            common.update(_baseline_fields("tv", b, gt, err=err))
    else:
        gt = centre_crop(gt, None, multiple=4)
        op = Downsampling(4)
        y, dtask, shape = op(gt), "sr4", tuple(gt.shape[1:])
        bic, _ = _run_baseline(lambda: bicubic_upsample(y, 4))
        if bic is not None:
            common["input_psnr"] = float(psnr(bic.image, gt))  # bicubic
        if io.wants(ctx, "tv", ("bm3d", "tv")):
            start = bic.image if bic is not None else "smooth"
            b, err = _run_baseline(lambda: tv_reconstruct(
                y, op, lam=TV_LAMBDA["sr"], iterations=io.tv_iterations, init=start,
                device=ctx.device))  # fmt: skip
            common.update(_baseline_fields("tv", b, gt, sr=True, err=err))
    return gt, y, op, dtask, shape


def _heldout_rows(inst: Instance, data: dict, chosen: dict, ctx: SuiteContext) -> list[dict]:
    io, own = _heldout_options(ctx)
    gt = data["gt"]
    seed = int(inst.meta["seed"])
    rows: list[dict] = []
    variants = [io.early_stop, *[c for c in own["compare"] if c != io.early_stop]]
    for task in own["tasks"]:
        stem = f"{inst.name}_{task}"
        common: dict[str, Any] = {"instance": inst.name, "task": task, "size": _size(gt),
                                  "split": own["set"], "seed": seed}  # fmt: skip
        sr = task == "sr"
        gt, y, op, dtask, shape = _heldout_task(task, data["gt"], seed, io, ctx, common)
        _save(io, stem, "ref", gt)
        rows += _baseline_only(common, chosen)
        for meth in chosen["image"]:
            for es in variants:
                io.early_stop = es
                fields, img = _run_method(meth, y, op, gt, dtask, io, ctx, shape=shape,
                                          sr=sr, instance=inst.name)  # fmt: skip
                label = meth if es == "auto" else f"{meth} ({es})"
                fields["method"] = label
                if img is not None:
                    _save(io, stem, _safe_name(label), img)
                tv = common.get("tv_psnr")
                if fields.get("psnr") is not None and tv is not None:
                    fields["beats_tv"] = bool(fields["psnr"] > tv)
                    fields["margin_tv"] = fields["psnr"] - tv
                rows.append({**common, **fields, "early_stop": es})
        if task == "denoise":
            rows += _peer_rows(y, gt, io, ctx, "heldout-images", common, stem)
    return rows


def _heldout_summary(rows: list[dict]) -> dict:
    out = _summarize("heldout-images", rows, ["psnr", "ssim"], ("bm3d", "tv"),
                     group=lambda r: str(r.get("task")))  # fmt: skip
    wins: dict[str, list[bool]] = {}
    for r in rows:
        if "beats_tv" in r:
            wins.setdefault(f"{r['method']} ({r['task']})", []).append(r["beats_tv"])
    out["beats_tv"] = {k: f"{sum(v)}/{len(v)}" for k, v in wins.items()}
    out["notes"] = [
        "crops of the 'report' set were not used to tune the automatic stopping "
        "(tuned on the 'tune' set: Set14 / Set12 crops, seeds < 100)",
        "PSNR on RGB (gray for Set12) over the whole crop, by dnnsolve.imaging.image_metrics; "
        "denoise sigma = 25 (clipped), inpaint 50 % random pixels, SR x4 (Lanczos2)",
        "TV: " + TV_WEIGHT_RULE,
    ]
    return out


HELDOUT_IMAGES = register_suite(
    Suite(
        "heldout-images",
        ("image",),
        "The default (DIP with automatic stopping, no ground truth) beside TV and BM3D on "
        "96x96 crops nobody tuned on (Kodak24, CBSD68; --option set=tune for the tuning crops): "
        "denoise sigma = 25, inpaint 50 %, SR x4",
        "images",
        3600.0,
        _cols(
            "instance task method psnr ssim time_s iterations stop_reason returned returned_step "
            "input_psnr tv_psnr bm3d_psnr beats_tv margin_tv error"
        ),
        instances=_heldout_instances,
        rows=_heldout_rows,
        summarize=_heldout_summary,
        methods=_METHODS,
        default_methods=("dip",),
    )
)
