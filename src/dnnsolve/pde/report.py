"""Figures of a PDE solution: the field, the reference, the error and the training history.

Every figure is drawn on a Matplotlib Agg :class:`~matplotlib.figure.Figure` (no pyplot, no
display, no global state), rendered to PNG bytes and written atomically.

- :func:`plot_field`: a field on the evaluation grid.  Two-dimensional grids (``(x, y)`` or
  ``(x, t)``) are heat maps, NaN (white) outside the domain, with time on the horizontal axis;
  in more dimensions the middle slice through the first two axes is shown; one-dimensional
  problems are line plots (optionally with a dashed reference); points that do not form a
  tensor grid are drawn as a scatter plot over the first two coordinates.  Fields with several
  components get one panel per component.
- :func:`plot_history`: the training loss and the validation loss against the step (log scale
  when both are positive, linear otherwise: a Deep Ritz energy can be negative), the Adam →
  L-BFGS switch and the returned (best validation) step marked.
- :func:`comparison_figure` / :func:`plot_comparison`: one figure of the network solution, the
  reference and the pointwise error ``|u − u_ref|`` side by side (one row per component), the
  relative L2 error in its title, a colour bar per panel; the solution and the reference share
  one colour scale, so they can be compared by eye.
- :func:`write_figures`: ``solution.png`` (the comparison figure; the solution alone without a
  reference), ``reference.png`` and ``error.png`` (each alone; only with a reference, and
  unless ``separate=False``) and ``history.png`` into a folder.

>>> import os, tempfile
>>> x, t = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 4), indexing="ij")
>>> pts = np.stack([x.ravel(), t.ravel()], 1)
>>> u = np.sin(np.pi * pts[:, :1]) * np.exp(-pts[:, 1:])
>>> hist = [{"step": s, "loss": 1 / s, "batch_objective": 2 / s} for s in (10, 20, 30)]
>>> files = write_figures(tempfile.mkdtemp(), pts, u, u + 0.01, (5, 4), hist,
...                       labels=("x", "t"), time_dependent=True, switch_step=20)
>>> [os.path.basename(f) for f in files]
['solution.png', 'reference.png', 'error.png', 'history.png']
>>> open(files[0], "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.result import atomic_write_bytes

__all__ = [
    "TensorGrid",
    "axis_labels",
    "comparison_figure",
    "plot_comparison",
    "plot_field",
    "plot_history",
    "relative_l2_error",
    "tensor_grid",
    "write_figures",
]


@dataclass
class TensorGrid:
    """Points laid out on a tensor grid: ``axes[i]`` the coordinates along axis ``i`` and
    ``mask`` (shape ``tuple(len(a) for a in axes)``) the nodes that carry a point.

    The points are the masked nodes in C order, so ``full[mask] = values`` scatters per-point
    values onto the grid.
    """

    axes: list[np.ndarray]
    mask: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def full(self) -> bool:
        """Whether every node of the grid carries a point (a box, not an L-shape or a disk)."""
        return bool(self.mask.all())

    def fill(self, values: np.ndarray) -> np.ndarray:
        """Per-point values ``(M,)`` on the grid, NaN at nodes outside the domain."""
        out = np.full(self.shape, np.nan)
        out[self.mask] = values
        return out


def tensor_grid(points: np.ndarray, grid_shape: Sequence[int] | None = None) -> TensorGrid | None:
    """The tensor grid that ``points`` ``(M, d)`` are the C-ordered nodes of, or None.

    The axes are the distinct coordinates per dimension; when ``grid_shape`` is given it must
    match their lengths.

    >>> g = tensor_grid(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), (2, 2))
    >>> g.mask.tolist(), g.full
    ([[True, True], [False, True]], False)
    >>> tensor_grid(np.array([[1.0, 0.0], [0.0, 0.0]])) is None  # not in C order
    True
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or len(pts) == 0 or not np.isfinite(pts).all():
        return None
    axes = [np.unique(pts[:, i]) for i in range(pts.shape[1])]
    shape = tuple(len(a) for a in axes)
    if grid_shape is not None and tuple(int(s) for s in grid_shape) != shape:
        return None
    if math.prod(shape) > 50_000_000:  # a scattered high-dimensional cloud, not a grid
        return None
    idx = [np.searchsorted(a, pts[:, i]) for i, a in enumerate(axes)]
    flat = np.ravel_multi_index(idx, shape)
    if len(flat) > 1 and not bool(np.all(np.diff(flat) > 0)):
        return None
    mask = np.zeros(math.prod(shape), dtype=bool)
    mask[flat] = True
    return TensorGrid(axes, mask.reshape(shape))


def axis_labels(dim: int, time_dependent: bool = False) -> tuple[str, ...]:
    """Coordinate names: ``x``, ``y``, ``z`` (``x1 … xd`` beyond three), then ``t``.

    >>> axis_labels(2, time_dependent=True), axis_labels(2), axis_labels(4)
    (('x', 't'), ('x', 'y'), ('x1', 'x2', 'x3', 'x4'))
    """
    space = dim - 1 if time_dependent else dim
    names = ("x", "y", "z")[:space] if space <= 3 else tuple(f"x{i + 1}" for i in range(space))
    return (*names, "t") if time_dependent else names


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _columns(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return v.reshape(len(v), -1)


def _limits(*arrays: np.ndarray | None) -> tuple[float | None, float | None]:
    """Common colour limits of the finite entries (None when there are none)."""
    finite = [a[np.isfinite(a)] for a in arrays if a is not None]
    finite = [a for a in finite if a.size]
    if not finite:
        return None, None
    lo = min(float(a.min()) for a in finite)
    hi = max(float(a.max()) for a in finite)
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _draw(
    fig,
    ax,
    pts: np.ndarray,
    v: np.ndarray,
    grid: TensorGrid | None,
    labels: Sequence[str],
    time_dependent: bool,
    *,
    name: str,
    heading: str = "",
    overlay: np.ndarray | None = None,
    overlay_label: str = "reference",
    cmap: str = "viridis",
    limits: tuple[float | None, float | None] = (None, None),
    log: bool = False,
) -> None:
    """One field ``v`` ``(M,)`` on ``ax``: a line plot in 1-D, else a heat map (or a scatter
    plot off a tensor grid) with its colour bar; ``heading`` titles the panel (default
    ``name``, the quantity shown)."""
    d = pts.shape[1]
    if d == 1:
        order = np.argsort(pts[:, 0])
        ax.plot(pts[order, 0], v[order], lw=1.4, label=name)
        if overlay is not None:
            ax.plot(pts[order, 0], overlay[order], "k--", lw=1.0, label=overlay_label)
            ax.legend(fontsize=8)
        if log and np.any(v > 0):
            ax.set_yscale("log")
        elif limits != (None, None):
            ax.set_ylim(*limits)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        if heading:
            ax.set_title(heading, fontsize=10)
        return
    # the horizontal axis is time for (x, t) problems, x otherwise
    h = d - 1 if time_dependent else 0
    vert = 0 if h != 0 else 1
    vmin, vmax = limits
    if grid is not None:
        full = grid.fill(v)
        where = ""
        if d > 2:  # the middle slice through the plotted axes
            sl: list[Any] = [len(a) // 2 for a in grid.axes]
            sl[h], sl[vert] = slice(None), slice(None)
            full = full[tuple(sl)]
            fixed = [
                f"{labels[i]}={grid.axes[i][sl[i]]:.3g}" for i in range(d) if i not in (h, vert)
            ]
            where = " (" + ", ".join(fixed) + ")"
        img = full if h > vert else full.T  # rows: vertical axis, columns: horizontal
        ah, av = grid.axes[h], grid.axes[vert]
        im = ax.imshow(
            np.ma.masked_invalid(img),
            origin="lower",
            extent=(ah[0], ah[-1], av[0], av[-1]),
            aspect="auto" if time_dependent else "equal",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
        )
        ax.set_title((heading or name) + where, fontsize=10)
    else:
        im = ax.scatter(pts[:, h], pts[:, vert], c=v, s=4, cmap=cmap, vmin=vmin, vmax=vmax)
        where = f" ({d}-D points projected)" if d > 2 else ""
        ax.set_title((heading or name) + where, fontsize=10)
    ax.set_xlabel(labels[h])
    ax.set_ylabel(labels[vert])
    fig.colorbar(im, ax=ax, shrink=0.9, label=name)


def plot_field(
    points: np.ndarray,
    values: np.ndarray,
    grid_shape: Sequence[int] | None = None,
    *,
    title: str = "",
    labels: Sequence[str] | None = None,
    time_dependent: bool = False,
    overlay: np.ndarray | None = None,
    overlay_label: str = "reference",
    value_label: str = "u",
    cmap: str = "viridis",
    limits: tuple[float | None, float | None] = (None, None),
    log: bool = False,
    dpi: int = 110,
) -> bytes:
    """PNG bytes of the field ``values`` ``(M,)`` or ``(M, m)`` at ``points`` ``(M, d)``.

    ``overlay`` (same shape as ``values``) is drawn dashed in line plots (1-D problems);
    ``limits`` fixes the colour (or y) range; ``log`` uses a logarithmic y axis in line plots
    (for errors).
    """
    pts = np.asarray(points, dtype=np.float64)
    vals = _columns(values)
    over = None if overlay is None else _columns(overlay)
    d, m = pts.shape[1], vals.shape[1]
    labels = tuple(labels) if labels is not None else axis_labels(d, time_dependent)
    grid = tensor_grid(pts, grid_shape) if d >= 2 else None
    fig = _figure(max(4.8 * m, 5.6) if d >= 2 else max(4.8 * m, 6.0), 4.2)
    if title:
        fig.suptitle(title, fontsize=11)
    axs = fig.subplots(1, m, squeeze=False)[0]
    for c, ax in enumerate(axs):
        _draw(
            fig,
            ax,
            pts,
            vals[:, c],
            grid,
            labels,
            time_dependent,
            name=value_label if m == 1 else f"{value_label}[{c}]",
            overlay=None if over is None else over[:, c],
            overlay_label=overlay_label,
            cmap=cmap,
            limits=limits,
            log=log,
        )
    return _png(fig, dpi)


def relative_l2_error(values: np.ndarray, reference: np.ndarray) -> float:
    """``‖values − reference‖₂ / ‖reference‖₂`` over the entries where the reference is finite
    (NaN marks points outside the domain); NaN when the reference is zero there.

    >>> relative_l2_error(np.array([1.0, 2.0, 2.0]), np.array([1.0, 2.0, 3.0]))  # 1 / sqrt(14)
    0.2672612419124244
    """
    ref = np.asarray(reference, dtype=np.float64).ravel()
    val = np.asarray(values, dtype=np.float64).reshape(ref.shape)
    ok = np.isfinite(ref)
    den = float(np.linalg.norm(ref[ok]))
    return float(np.linalg.norm(val[ok] - ref[ok]) / den) if den > 0 else math.nan


def comparison_figure(
    points: np.ndarray,
    values: np.ndarray,
    reference: np.ndarray | None,
    grid_shape: Sequence[int] | None = None,
    *,
    labels: Sequence[str] | None = None,
    time_dependent: bool = False,
    relative_l2: float | None = None,
    title: str = "",
    value_label: str = "u",
):
    """The network solution, the reference and the pointwise error ``|u − u_ref|`` side by
    side in one Matplotlib figure (Agg canvas), one row per field component; the relative L2
    error (``relative_l2``, or computed here when None) in the figure's title and the error
    panel's.  Solution and reference share one colour scale.  Without a reference, only the
    solution is drawn.

    >>> x = np.linspace(0, 1, 11)[:, None]
    >>> fig = comparison_figure(x, 1.1 * x, x, labels=("x",))
    >>> [ax.get_title() for ax in fig.axes]
    ['network solution', 'reference', '|u − u_ref|, relative L2 1.000e-01']
    """
    pts = np.asarray(points, dtype=np.float64)
    vals = _columns(values)
    ref = None if reference is None else _columns(reference).reshape(vals.shape)
    d, m = pts.shape[1], vals.shape[1]
    labels = tuple(labels) if labels is not None else axis_labels(d, time_dependent)
    grid = tensor_grid(pts, grid_shape) if d >= 2 else None
    cols = 1 if ref is None else 3
    fig = _figure(max(4.6 * cols, 5.6), (3.2 if d == 1 else 3.9) * m + 0.5)
    # room between a colour bar's label and the next panel's axis label
    fig.get_layout_engine().set(wspace=0.06)
    axs = fig.subplots(m, cols, squeeze=False)
    lims = _limits(vals, ref)
    rel = None
    if ref is not None:
        rel = relative_l2_error(vals, ref) if relative_l2 is None else float(relative_l2)
    err_text = "" if rel is None else f"relative L2 {rel:.3e}"
    fig.suptitle(" — ".join(p for p in (title, err_text or "no reference") if p), fontsize=11)
    common = {"labels": labels, "time_dependent": time_dependent}
    for c in range(m):
        name = value_label if m == 1 else f"{value_label}[{c}]"
        v = vals[:, c]
        r = None if ref is None else ref[:, c]
        _draw(
            fig,
            axs[c, 0],
            pts,
            v,
            grid,
            heading="network solution",
            name=name,
            overlay=r if d == 1 else None,
            limits=lims,
            **common,
        )
        if r is None:
            continue
        _draw(fig, axs[c, 1], pts, r, grid, heading="reference", name=name, limits=lims, **common)
        # several components: each row's own error, the whole field's is in the figure title
        own = err_text if m == 1 else f"relative L2 {relative_l2_error(v, r):.3e}"
        _draw(
            fig,
            axs[c, 2],
            pts,
            np.abs(v - r),
            grid,
            heading=f"|{name} − {name}_ref|, {own}",
            name="pointwise error",
            cmap="magma",
            log=True,
            **common,
        )
    return fig


def plot_comparison(
    points: np.ndarray,
    values: np.ndarray,
    reference: np.ndarray | None,
    grid_shape: Sequence[int] | None = None,
    *,
    labels: Sequence[str] | None = None,
    time_dependent: bool = False,
    relative_l2: float | None = None,
    title: str = "",
    value_label: str = "u",
    dpi: int = 110,
) -> bytes:
    """PNG bytes of :func:`comparison_figure`."""
    fig = comparison_figure(
        points,
        values,
        reference,
        grid_shape,
        labels=labels,
        time_dependent=time_dependent,
        relative_l2=relative_l2,
        title=title,
        value_label=value_label,
    )
    return _png(fig, dpi)


def _curve(rows: Sequence[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of ``key`` over the history rows, missing and non-finite values dropped."""
    pts = [(r["step"], r.get(key)) for r in rows]
    pts = [(s, float(v)) for s, v in pts if v is not None and math.isfinite(float(v))]
    if not pts:
        return np.zeros(0), np.zeros(0)
    s, v = zip(*pts)
    return np.asarray(s, dtype=float), np.asarray(v, dtype=float)


def plot_history(
    history: Sequence[Mapping],
    *,
    switch_step: int | None = None,
    best_step: int | None = None,
    title: str = "",
    dpi: int = 110,
) -> bytes:
    """PNG bytes of the training loss (``loss``) and validation loss (``batch_objective``) of
    the solver's history rows against ``step``; ``switch_step`` marks where L-BFGS took over
    from Adam and ``best_step`` the returned state."""
    fig = _figure(7.0, 4.2)
    ax = fig.subplots()
    curves = {
        "training loss": _curve(history, "loss"),
        "validation loss": _curve(history, "batch_objective"),
    }
    positive = all(bool(np.all(v > 0)) for _, v in curves.values())
    for (label, (s, v)), style in zip(curves.items(), ("-", "-")):
        if len(s):
            ax.plot(s, v, style, lw=1.3, marker="." if len(s) < 30 else None, label=label)
    if positive and any(len(v) for _, v in curves.values()):
        ax.set_yscale("log")
    if switch_step is not None:
        ax.axvline(
            switch_step, color="k", ls="--", lw=1, label=f"Adam → L-BFGS (step {switch_step})"
        )
    if best_step is not None:
        s, v = curves["validation loss"]
        hit = np.nonzero(s == best_step)[0]
        if len(hit):
            ax.plot(
                [best_step],
                [v[hit[0]]],
                "o",
                mfc="none",
                mec="C3",
                ms=9,
                label=f"returned (step {best_step})",
            )
    ax.set_xlabel("step")
    ax.set_ylabel("loss" + ("" if positive else " (linear: some values ≤ 0)"))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title, fontsize=10)
    return _png(fig, dpi)


def write_figures(
    out_dir: str | os.PathLike,
    points: np.ndarray,
    values: np.ndarray,
    reference: np.ndarray | None,
    grid_shape: Sequence[int] | None,
    history: Sequence[Mapping] = (),
    *,
    labels: Sequence[str] | None = None,
    time_dependent: bool = False,
    switch_step: int | None = None,
    best_step: int | None = None,
    title: str = "",
    relative_l2: float | None = None,
    separate: bool = True,
    dpi: int = 110,
) -> list[Path]:
    """Write the figures into ``out_dir``; returns the paths written.

    ``solution.png`` is :func:`comparison_figure`: with a reference, the solution, the
    reference and the pointwise error side by side, titled with the relative L2 error
    (``relative_l2``, or computed from the arrays when None).  With ``separate`` (and a
    reference) the reference and the error are also written alone, to ``reference.png`` and
    ``error.png``.  With a history, ``history.png``.
    """
    out = Path(out_dir)
    vals = _columns(values)
    ref = None if reference is None else _columns(reference).reshape(vals.shape)
    common = {"labels": labels, "time_dependent": time_dependent, "dpi": dpi}
    lims = _limits(vals, ref)
    prefix = f"{title}: " if title else ""
    figures: list[tuple[str, bytes]] = [
        (
            "solution.png",
            plot_comparison(
                points, vals, ref, grid_shape, title=title, relative_l2=relative_l2, **common
            ),
        ),
    ]
    if ref is not None and separate:
        err = np.abs(vals - ref)
        figures.append(
            (
                "reference.png",
                plot_field(
                    points, ref, grid_shape, title=f"{prefix}reference", limits=lims, **common
                ),
            )
        )
        figures.append(
            (
                "error.png",
                plot_field(
                    points,
                    err,
                    grid_shape,
                    title=f"{prefix}|network − reference|",
                    value_label="|error|",
                    cmap="magma",
                    log=True,
                    **common,
                ),
            )
        )
    if history:
        figures.append(
            (
                "history.png",
                plot_history(
                    history, switch_step=switch_step, best_step=best_step, title=title, dpi=dpi
                ),
            )
        )
    paths = []
    for name, data in figures:
        atomic_write_bytes(out / name, data)
        paths.append(out / name)
    return paths
