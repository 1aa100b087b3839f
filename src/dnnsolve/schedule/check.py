"""The legality check and objective parts of one schedule, in plain Python / NumPy: shared by
the problem's verification, the baselines and the reports, and independent of the tensors the
solver trains on."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .graph import TaskGraph

__all__ = ["check_schedule"]


def check_schedule(
    graph: TaskGraph,
    stages_of: Any,
    num_stages: int,
    strict: bool = False,
    capacity: float | None = None,
    memory_weight: float = 1.0,
) -> dict[str, Any]:
    """Independent legality check and objective parts of one schedule (plain Python/NumPy).

    >>> g = TaskGraph.from_edges(2, [(0, 1)], memory=[3, 1])
    >>> r = check_schedule(g, [0, 1], 2)
    >>> r["legal"], r["comm"], r["peak"], r["objective"]
    (True, 1.0, 3.0, 4.0)
    """
    s = np.asarray(stages_of).reshape(-1)
    bad_shape = s.shape != (graph.n,) or not (
        np.issubdtype(s.dtype, np.integer) or np.all(np.mod(s, 1) == 0)
    )
    if bad_shape:
        return {
            "legal": False,
            "comm": math.inf,
            "peak": math.inf,
            "objective": math.inf,
            "latency": math.inf,
            "entropy": 0.0,
            "stage_memory": [],
            "violations": -1,
        }
    s = s.astype(np.int64)
    in_range = bool(((s >= 0) & (s < num_stages)).all())
    violations = 0
    comm = 0.0
    for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist()):
        diff = int(s[v]) - int(s[u])
        if diff < (1 if strict else 0):
            violations += 1
        comm += c * max(diff, 0)
    stage_mem = [0.0] * num_stages
    for i, w in enumerate(graph.memory.tolist()):
        stage_mem[min(max(int(s[i]), 0), num_stages - 1)] += w
    peak = max(stage_mem)
    total = sum(stage_mem)
    entropy = -sum((w / total) * math.log(w / total) for w in stage_mem if w > 0) if total else 0.0
    over = capacity is not None and any(w > capacity + 1e-9 for w in stage_mem)
    return {
        "legal": in_range and violations == 0 and not over,
        "comm": float(comm),
        "peak": float(peak),
        "objective": float(comm + memory_weight * peak),
        "latency": float(int(s.max()) + 1),
        "entropy": float(entropy),
        "stage_memory": stage_mem,
        "violations": violations,
    }
