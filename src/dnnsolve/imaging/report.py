"""A one-page figure of an image reconstruction: the images side by side, then the curves.

:func:`write_report` draws, with Matplotlib's Agg renderer (no display needed), one row of image
panels (each titled with its PSNR against the reference, when one is given) above the loss curve
(log scale) and the PSNR curves (raw iterate and output average) of the run's trace, with the
returned step marked.  The figure is rendered to bytes first and then written atomically.

>>> import os, tempfile, torch
>>> ref = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
>>> rows = [{"step": s, "loss": 1.0 / s, "psnr": 20 + s / 10} for s in (10, 20, 30)]
>>> path = os.path.join(tempfile.mkdtemp(), "report.png")
>>> write_report(path, {"input": ref * 0.5, "output": ref}, rows, "demo", reference=ref,
...              returned_step=20)
>>> open(path, "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from ..core.errors import InputError
from ..core.result import atomic_write_bytes
from .io import to_numpy
from .metrics import psnr

__all__ = ["REPORT_FORMATS", "write_report"]

#: file extensions :func:`write_report` can render (Matplotlib's Agg, PDF and SVG back ends)
REPORT_FORMATS = (".png", ".pdf", ".svg")


def _panel_title(name: str, image: torch.Tensor, reference: torch.Tensor | None) -> str:
    if reference is None or tuple(image.shape) != tuple(reference.shape):
        return name
    value = float(psnr(image.clamp(0, 1), reference)[0])
    # the reference panel itself (infinite PSNR) keeps its plain name
    return f"{name}\nPSNR {value:.2f} dB" if math.isfinite(value) else name


def _curve(rows: Sequence[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of ``key`` over the trace rows, non-finite values dropped."""
    pts = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
    pts = [(s, v) for s, v in pts if math.isfinite(float(v))]
    if not pts:
        return np.zeros(0), np.zeros(0)
    s, v = zip(*pts)
    return np.asarray(s, dtype=float), np.asarray(v, dtype=float)


def write_report(
    path: str | os.PathLike,
    panels: Mapping[str, torch.Tensor],
    trace_rows: Sequence[Mapping],
    title: str = "",
    *,
    reference: torch.Tensor | None = None,
    returned_step: int | None = None,
    dpi: int = 110,
) -> None:
    """Write the reconstruction figure to ``path`` (PNG, PDF or SVG by its extension).

    ``panels`` maps panel names to ``(1, C, H, W)`` images in ``[0, 1]``, drawn left to right
    (gray for ``C = 1``); a panel with the reference's shape is titled with its PSNR against
    ``reference`` (the reference itself is passed in ``panels`` too if it should be shown).
    ``trace_rows`` are :class:`~dnnsolve.core.monitors.Trace` rows (``step``, ``loss`` and,
    with a reference, ``psnr`` / ``psnr_avg``); ``returned_step`` draws a vertical line at the
    step of the returned iterate.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = Path(path)
    fmt = p.suffix.lower()
    if fmt not in REPORT_FORMATS:
        raise InputError(
            f"unsupported report format {fmt or '(none)'!r} (use {', '.join(REPORT_FORMATS)})",
            path=str(p),
        )
    if not panels:
        raise InputError("a report needs at least one image panel")
    n = len(panels)
    has_psnr = any(r.get("psnr") is not None for r in trace_rows)
    width = max(3.2 * n, 8.0)
    fig = Figure(figsize=(width, 7.0 if trace_rows else 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    if title:
        fig.suptitle(title)
    # two sub-figures: the image row and the curve row get independent column widths
    if trace_rows:
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1.0])
    else:
        top, bottom = fig, None
    ref = None if reference is None else reference.detach().float().cpu()
    for ax, (name, image) in zip(top.subplots(1, n, squeeze=False)[0], panels.items()):
        img = image.detach().float().cpu()
        arr = np.clip(np.nan_to_num(to_numpy(img)), 0.0, 1.0)
        if arr.ndim == 2:
            ax.imshow(arr, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        else:
            ax.imshow(arr, interpolation="nearest")
        ax.set_title(_panel_title(name, img, ref), fontsize=10)
        ax.set_axis_off()

    if bottom is not None:
        axes = list(bottom.subplots(1, 2 if has_psnr else 1, squeeze=False)[0])
        ax_loss = axes[0]
        s, v = _curve(trace_rows, "loss")
        positive = v > 0
        ax_loss.plot(s[positive], v[positive], color="C0", lw=1.2, label="data fidelity (MSE)")
        if positive.any():
            ax_loss.set_yscale("log")
        ax_loss.set_xlabel("iteration")
        ax_loss.set_ylabel("loss")
        ax_loss.set_title("loss", fontsize=10)
        if has_psnr:
            ax_psnr = axes[1]
            for key, label, color in (
                ("psnr", "raw iterate", "C1"),
                ("psnr_avg", "output average", "C2"),
            ):
                s, v = _curve(trace_rows, key)
                if len(s):
                    ax_psnr.plot(s, v, color=color, lw=1.2, label=label)
            ax_psnr.set_xlabel("iteration")
            ax_psnr.set_ylabel("PSNR (dB)")
            ax_psnr.set_title("PSNR against the reference", fontsize=10)
        for ax in axes:
            if returned_step is not None:
                ax.axvline(
                    returned_step,
                    color="k",
                    ls="--",
                    lw=1,
                    label=f"returned (step {returned_step})",
                )
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8, loc="best")

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt[1:], dpi=dpi)
    atomic_write_bytes(p, buf.getvalue())
