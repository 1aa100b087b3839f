"""A Gantt-style figure of a stage schedule (Matplotlib, Agg renderer, no pyplot state).

The horizontal axis is time, counted in the model's unit: the stage ``s`` in ``0 … D−1`` a node
runs in (stages run one after the other, so a stage is one time step of the pipeline).

Top: resource per stage (bars, red where over the capacity) with the capacity and the even
share ``Σm/D``.  Bottom: one row per node (sorted by stage, then topological level), labelled
with the node's id from the input file, a bar over the stage it runs in: green when the node
carries resource, gray when its resource is 0.  Communicating edges that cross stages are thin
orange lines (red when they run backwards in time: a precedence violation) for graphs of at
most ``max_edges`` edges.  A legend below the plots says what every colour means.

Large graphs stay legible: at most ``max_nodes`` rows are drawn (an evenly spaced sample),
at most ``max_labels`` of them carry their id (every k-th row beyond that), and long ids are
shortened with ``…``.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from ..core.result import atomic_write_bytes
from .check import check_schedule
from .graph import TaskGraph

__all__ = ["schedule_figure", "schedule_figure_png", "write_schedule_figure"]

#: what the rows' and lines' colours mean (also the legend's order)
COLORS = {
    "resource": "#55a868",
    "no_resource": "#8c8c8c",
    "comm": "#dd8452",
    "violation": "#c44e52",
    "stage": "#4c72b0",
    "over": "#c44e52",
    "capacity": "#c44e52",
    "even": "#555555",
}
#: vertical space per labelled row (inches): room for a 7-point tick label
_ROW_IN = 0.14
_ID_CHARS = 24


def _short(name: str) -> str:
    """``name`` cut to ``_ID_CHARS`` in the middle: ids often differ at both ends
    (``layer12.conv.weight``).

    >>> _short("layer1017.attention.output.dense.weight")
    'layer1017.a…dense.weight'
    """
    if len(name) <= _ID_CHARS:
        return name
    head = (_ID_CHARS - 1) // 2
    return name[:head] + "…" + name[len(name) - (_ID_CHARS - 1 - head) :]


def schedule_figure(
    graph: TaskGraph,
    stages_of: Any,
    num_stages: int,
    capacity: float | None = None,
    title: str | None = None,
    max_nodes: int = 400,
    max_edges: int = 600,
    max_labels: int = 60,
):
    """The schedule figure, a Matplotlib :class:`~matplotlib.figure.Figure` on an Agg canvas.

    ``stages_of[i]`` is the stage of internal node ``i``; rows are labelled with
    ``graph.ids[i]``, the id the node has in the input file.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (1, 2)], memory=[1, 0, 3], ids=["a", "b", "c"])
    >>> fig = schedule_figure(g, [0, 1, 1], 2)
    >>> gantt = fig.axes[1]
    >>> gantt.get_xlabel().split(" (")[0], [t.get_text() for t in gantt.get_yticklabels()]
    ('stage', ['a', 'b', 'c'])
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    s = np.asarray(stages_of, dtype=np.int64).reshape(-1)
    rep = check_schedule(graph, s, num_stages, capacity=capacity)
    order = np.lexsort((graph.level, s))
    sampled = len(order) > max_nodes
    if sampled:
        order = order[np.linspace(0, len(order) - 1, max_nodes).round().astype(np.int64)]
    rows = len(order)
    row = {int(v): r for r, v in enumerate(order.tolist())}
    every = max(1, math.ceil(rows / max(max_labels, 1)))
    shown_rows = math.ceil(rows / every)

    gantt_h = min(max(_ROW_IN * shown_rows, 3.0), _ROW_IN * max_labels + 1.0)
    width = min(max(7.5, 0.45 * num_stages + 3.0), 16.0)
    fig = Figure(figsize=(width, 2.4 + gantt_h + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [2.4, gantt_h]}, squeeze=True
    )
    d = np.arange(num_stages)
    mem = np.asarray(rep["stage_memory"], dtype=np.float64)
    over = mem > capacity + 1e-9 if capacity is not None else np.zeros(num_stages, dtype=bool)
    ax1.bar(d, mem, color=np.where(over, COLORS["over"], COLORS["stage"]), width=0.8)
    ax1.axhline(graph.total_memory / num_stages, color=COLORS["even"], ls="--", lw=1)
    if capacity is not None:
        ax1.axhline(capacity, color=COLORS["capacity"], lw=1.2)
    ax1.set_ylabel("resource Σm\nper stage")
    ax1.grid(True, axis="y", alpha=0.3)
    ax1.tick_params(labelbottom=True)

    # light bands tell the stages (time steps) apart
    for k in range(0, num_stages, 2):
        ax2.axvspan(k - 0.5, k + 0.5, color="#000000", alpha=0.04, lw=0)
    has_mem = graph.memory[order] > 0
    ax2.barh(
        np.arange(rows),
        np.full(rows, 0.8),
        left=s[order] - 0.4,
        height=0.8,
        color=np.where(has_mem, COLORS["resource"], COLORS["no_resource"]),
    )
    drawn_comm = drawn_bad = False
    if graph.m <= max_edges:
        for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
            if u not in row or v not in row or s[u] == s[v]:
                continue
            backwards = s[v] < s[u]
            if c <= 0 and not backwards:
                continue
            # from the end of u's bar to the start of v's: the data crosses the stage boundary
            xs = [s[u] + 0.4, s[v] - 0.4] if not backwards else [s[u] - 0.4, s[v] + 0.4]
            ax2.plot(
                xs,
                [row[u], row[v]],
                color=COLORS["violation" if backwards else "comm"],
                lw=1.2 if backwards else 0.5,
                alpha=0.9 if backwards else 0.6,
            )
            drawn_bad |= bool(backwards)
            drawn_comm |= not backwards
    ticks = np.arange(0, rows, every)
    ax2.set_yticks(ticks)
    ax2.set_yticklabels(
        [_short(graph.ids[int(order[r])]) for r in ticks], fontsize=7 if shown_rows > 25 else 8
    )
    ax2.set_ylim(rows - 0.5, -0.5)
    ax2.set_xlim(-0.6, num_stages - 0.4)
    ax2.set_xlabel("stage (time step of the pipeline, 0 … D−1) →")
    what = "node id (input file)"
    if sampled:
        what += f", {rows} of {graph.n} nodes"
    if every > 1:
        what += f", 1 in {every} labelled"
    ax2.set_ylabel(what)
    step = 1 if num_stages <= 40 else max(num_stages // 20, 1)
    ax2.set_xticks(d[::step])

    handles: list[Any] = [
        Patch(color=COLORS["resource"], label="node with resource (m > 0)"),
        Patch(color=COLORS["no_resource"], label="node without resource (m = 0)"),
        Patch(color=COLORS["stage"], label="resource of a stage"),
        Line2D([], [], color=COLORS["even"], ls="--", label="even share Σm/D"),
    ]
    if capacity is not None:
        handles.append(Line2D([], [], color=COLORS["capacity"], label=f"capacity {capacity:g}"))
    if over.any():
        handles.append(Patch(color=COLORS["over"], label="stage over capacity"))
    if drawn_comm:
        handles.append(
            Line2D([], [], color=COLORS["comm"], label="communicating edge crossing stages")
        )
    if drawn_bad:
        handles.append(
            Line2D([], [], color=COLORS["violation"], lw=1.2, label="edge backwards in time")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)

    verdict = "legal"
    if not rep["legal"]:
        why = []
        if s.size and (s.min() < 0 or s.max() >= num_stages):
            why.append("stages outside 0 … D−1")
        if rep["violations"]:
            why.append(f"{rep['violations']} precedence violation(s)")
        if over.any():
            why.append(f"{int(over.sum())} stage(s) over capacity")
        verdict = "ILLEGAL" + (f" ({', '.join(why)})" if why else "")
    head = title or graph.name
    # wrapped to the figure's width (about 11 characters an inch at 10 points)
    chars = int(width * 11)
    lines = [
        f"{head}: {graph.n} nodes, {graph.m} edges, {num_stages} stages",
        f"comm {rep['comm']:g}, peak {rep['peak']:g}, {verdict}",
    ]
    fig.suptitle("\n".join(textwrap.fill(line, chars) for line in lines), fontsize=10)
    return fig


def _render(fig, fmt: str = "png", dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()


def schedule_figure_png(
    graph: TaskGraph,
    stages_of: Any,
    num_stages: int,
    capacity: float | None = None,
    title: str | None = None,
    max_nodes: int = 400,
    max_edges: int = 600,
    max_labels: int = 60,
) -> bytes:
    """PNG bytes of :func:`schedule_figure`.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (1, 2)], memory=[1, 2, 3])
    >>> schedule_figure_png(g, [0, 1, 1], 2)[:4] == b"\\x89PNG"
    True
    """
    fig = schedule_figure(
        graph, stages_of, num_stages, capacity, title, max_nodes, max_edges, max_labels
    )
    return _render(fig)


def write_schedule_figure(path: str | os.PathLike, graph: TaskGraph, stages_of: Any, **kw) -> None:
    """Write :func:`schedule_figure` to ``path`` atomically, as PDF or SVG when the suffix
    says so and PNG otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = suffix if suffix in ("pdf", "svg") else "png"
    atomic_write_bytes(path, _render(schedule_figure(graph, stages_of, **kw), fmt))
