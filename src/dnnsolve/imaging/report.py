"""A one-page figure of an image reconstruction: the images side by side, then the curves.

:func:`write_report` draws, with Matplotlib's Agg renderer (no display needed), one row of image
panels (each titled with its PSNR against the reference, when one is given; for MRI, the k-space
sampling mask last, titled with its sampling ratio) above the loss curve
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

__all__ = ["REPORT_FORMATS", "report_figure", "write_report"]

#: file extensions :func:`write_report` can render (Matplotlib's Agg, PDF and SVG back ends)
REPORT_FORMATS = (".png", ".pdf", ".svg")


def _panel_title(name: str, image: torch.Tensor, reference: torch.Tensor | None) -> str:
    if reference is None or tuple(image.shape) != tuple(reference.shape):
        return name
    value = float(psnr(image.clamp(0, 1), reference)[0])
    # the reference panel itself (infinite PSNR) keeps its plain name
    return f"{name}\nPSNR {value:.2f} dB" if math.isfinite(value) else name


def _centred_mask(mask: torch.Tensor | np.ndarray, centred: bool) -> np.ndarray:
    """The ``(H, W)`` 0/1 k-space mask with the zero frequency in the middle."""
    m = mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
    m = np.squeeze(m)
    if m.ndim != 2:
        raise InputError(f"a k-space mask must be (H, W), got shape {tuple(np.shape(mask))}")
    m = (np.abs(m) > 0.5).astype(np.float64)
    return m if centred else np.fft.fftshift(m)


def _mask_title(mask: np.ndarray) -> str:
    ratio = float(mask.mean())
    accel = f"R = {1 / ratio:.3g}" if ratio > 0 else "nothing sampled"
    return f"k-space mask (centred)\nsampling ratio {ratio:.1%} ({accel})"


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
    kspace_mask: torch.Tensor | np.ndarray | None = None,
    kspace_mask_centred: bool = False,
    dpi: int = 110,
) -> None:
    """Write the reconstruction figure to ``path`` (PNG, PDF or SVG by its extension).

    ``panels`` maps panel names to ``(1, C, H, W)`` images in ``[0, 1]``, drawn left to right
    (gray for ``C = 1``); a panel with the reference's shape is titled with its PSNR against
    ``reference`` (the reference itself is passed in ``panels`` too if it should be shown).
    ``trace_rows`` are :class:`~dnnsolve.core.monitors.Trace` rows (``step``, ``loss`` and,
    with a reference, ``psnr`` / ``psnr_avg``); ``returned_step`` draws a vertical line at the
    step of the returned iterate.

    ``kspace_mask`` (MRI) adds a last image panel: the ``(H, W)`` k-space sampling mask
    (white: sampled), titled with its sampling ratio (the fraction of k-space sampled) and the
    acceleration ``R`` = 1 / ratio.  It is taken in the ``torch.fft`` layout (zero frequency at
    ``[0, 0]``), as :class:`~dnnsolve.imaging.operators.MRI` stores ``mask``, and fftshifted for
    display so the low frequencies are in the middle; pass ``kspace_mask_centred=True`` for a
    mask that is centred already (as :func:`~dnnsolve.imaging.operators.cartesian_mask` returns).
    """
    p = Path(path)
    fmt = p.suffix.lower()
    if fmt not in REPORT_FORMATS:
        raise InputError(
            f"unsupported report format {fmt or '(none)'!r} (use {', '.join(REPORT_FORMATS)})",
            path=str(p),
        )
    fig = report_figure(
        panels,
        trace_rows,
        title,
        reference=reference,
        returned_step=returned_step,
        kspace_mask=kspace_mask,
        kspace_mask_centred=kspace_mask_centred,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt[1:], dpi=dpi)
    atomic_write_bytes(p, buf.getvalue())


def report_figure(
    panels: Mapping[str, torch.Tensor],
    trace_rows: Sequence[Mapping],
    title: str = "",
    *,
    reference: torch.Tensor | None = None,
    returned_step: int | None = None,
    kspace_mask: torch.Tensor | np.ndarray | None = None,
    kspace_mask_centred: bool = False,
):
    """The figure :func:`write_report` writes, a Matplotlib
    :class:`~matplotlib.figure.Figure` on an Agg canvas (the arguments as there).

    >>> from dnnsolve.imaging.operators import cartesian_mask
    >>> img = torch.zeros(1, 1, 8, 8)
    >>> fig = report_figure({"output": img}, [], kspace_mask=cartesian_mask((8, 8), 4),
    ...                     kspace_mask_centred=True)
    >>> fig.axes[-1].get_title()
    'k-space mask (centred)\\nsampling ratio 25.0% (R = 4)'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not panels:
        raise InputError("a report needs at least one image panel")
    shown_mask = None if kspace_mask is None else _centred_mask(kspace_mask, kspace_mask_centred)
    n = len(panels) + (shown_mask is not None)
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
    image_axes = top.subplots(1, n, squeeze=False)[0]
    for ax, (name, image) in zip(image_axes, panels.items()):
        img = image.detach().float().cpu()
        arr = np.clip(np.nan_to_num(to_numpy(img)), 0.0, 1.0)
        if arr.ndim == 2:
            ax.imshow(arr, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        else:
            ax.imshow(arr, interpolation="nearest")
        ax.set_title(_panel_title(name, img, ref), fontsize=10)
        ax.set_axis_off()
    if shown_mask is not None:
        ax = image_axes[-1]
        ax.imshow(shown_mask, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(_mask_title(shown_mask), fontsize=10)
        # a frame, not a bare image: sampled (white) edge lines would merge with the page
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("$k_x$", fontsize=9)
        ax.set_ylabel("$k_y$", fontsize=9)

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

    return fig
