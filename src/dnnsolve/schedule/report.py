"""A Gantt-style PNG of a stage schedule (matplotlib, Agg backend).

Top: resource per stage (bars) with the capacity and the even share ``Σm/D``.
Bottom: one row per node (sorted by stage, then topological level), a bar over
the stage it runs in; communicating edges that cross stages are drawn as thin
lines for graphs of at most ``max_edges`` edges. Large graphs show an evenly
spaced sample of at most ``max_nodes`` nodes.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from ..core.result import atomic_write_bytes
from .check import check_schedule
from .graph import TaskGraph


def schedule_figure_png(
    graph: TaskGraph,
    stages_of: Any,
    num_stages: int,
    capacity: float | None = None,
    title: str | None = None,
    max_nodes: int = 400,
    max_edges: int = 600,
) -> bytes:
    """PNG bytes of the schedule figure.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (1, 2)], memory=[1, 2, 3])
    >>> schedule_figure_png(g, [0, 1, 1], 2)[:4] == b"\\x89PNG"
    True
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = np.asarray(stages_of, dtype=np.int64).reshape(-1)
    rep = check_schedule(graph, s, num_stages, capacity=capacity)
    order = np.lexsort((graph.level, s))
    if len(order) > max_nodes:
        order = order[np.linspace(0, len(order) - 1, max_nodes).round().astype(np.int64)]
    row = {int(v): r for r, v in enumerate(order.tolist())}
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(9, 7), gridspec_kw={"height_ratios": [1, 2.5]}, sharex=True
    )
    d = np.arange(num_stages)
    ax1.bar(d, rep["stage_memory"], color="#4c72b0", width=0.8)
    ax1.axhline(graph.total_memory / num_stages, color="gray", ls="--", lw=1, label="even share")
    if capacity is not None:
        ax1.axhline(capacity, color="#c44e52", lw=1.2, label="capacity")
    ax1.set_ylabel("resource per stage")
    ax1.legend(loc="upper right", fontsize=8)
    ax2.barh(
        np.arange(len(order)),
        np.full(len(order), 0.8),
        left=s[order] - 0.4,
        height=0.8,
        color=np.where(graph.memory[order] > 0, "#55a868", "#8c8c8c"),
    )
    if graph.m <= max_edges:
        for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
            if c > 0 and s[u] != s[v] and u in row and v in row:
                ax2.plot([s[u], s[v]], [row[u], row[v]], color="#dd8452", lw=0.4, alpha=0.6)
    ax2.set_xlabel("stage")
    ax2.set_ylabel("node (sorted by stage)" + (" – sample" if graph.n > max_nodes else ""))
    ax2.set_xticks(d if num_stages <= 40 else d[:: max(num_stages // 20, 1)])
    ax2.invert_yaxis()
    head = title or graph.name
    fig.suptitle(
        f"{head}: {graph.n} nodes, {num_stages} stages — comm {rep['comm']:g}, "
        f"peak {rep['peak']:g}, {'legal' if rep['legal'] else 'ILLEGAL'}",
        fontsize=10,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def write_schedule_figure(path: str | os.PathLike, graph: TaskGraph, stages_of: Any, **kw) -> None:
    """Write :func:`schedule_figure_png` to ``path`` atomically."""
    atomic_write_bytes(path, schedule_figure_png(graph, stages_of, **kw))
