"""Random layered DAGs like the ICML'24 scheduler's synthetic workloads.

Nodes are split into ``layers`` consecutive layers; every node outside the first
layer draws its predecessors from the ``span`` layers before it (at least one
from the layer just before, so the longest path has ``layers`` nodes). Node
resources follow the pattern of the paper's ``graphgml`` files: about half the
nodes weigh 0, the rest an integer in [1000, 5000]. Edges communicate with
probability ``comm_prob`` (weight 1).
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import InputError
from .graph import TaskGraph

#: mean number of predecessors of a non-source node, per density
DENSITY = {"sparse": 1.3, "dense": 4.0}


def random_layered_dag(
    n: int,
    density: str = "sparse",
    layers: int | None = None,
    seed: int = 0,
    span: int = 3,
    zero_fraction: float = 0.5,
    comm_prob: float = 1.0,
) -> TaskGraph:
    """A random layered DAG with ``n`` nodes (``density``: "sparse" or "dense").

    ``layers`` defaults to ``round(2·log2 n)``, clipped to [2, n].

    >>> g = random_layered_dag(200, "dense", seed=1)
    >>> g.n, g.depth == round(2 * math.log2(200)), bool((g.memory >= 0).all())
    (200, True, True)
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}")
    if density not in DENSITY:
        raise InputError(f"density must be one of {', '.join(DENSITY)}, got {density!r}")
    rng = np.random.default_rng(seed)
    L = layers if layers is not None else round(2 * math.log2(max(n, 2)))
    L = int(min(max(L, 1), n))
    # layer sizes: every layer non-empty, the rest spread at random
    sizes = np.ones(L, dtype=np.int64) + np.bincount(rng.integers(0, L, n - L), minlength=L)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    src_parts, dst_parts = [], []
    mean_extra = DENSITY[density] - 1.0
    for k in range(1, L):
        lo, hi = bounds[k], bounds[k + 1]
        cnt = hi - lo
        v = np.arange(lo, hi)
        # one predecessor in the previous layer (keeps the depth equal to L)
        src_parts.append(rng.integers(bounds[k - 1], bounds[k], cnt))
        dst_parts.append(v)
        extra = rng.poisson(mean_extra, cnt)
        tot = int(extra.sum())
        if tot:
            first = bounds[max(k - span, 0)]
            src_parts.append(rng.integers(first, lo, tot))
            dst_parts.append(np.repeat(v, extra))
    if src_parts:
        e = np.unique(np.stack([np.concatenate(src_parts), np.concatenate(dst_parts)], 1), axis=0)
    else:
        e = np.zeros((0, 2), dtype=np.int64)
    memory = rng.integers(1000, 5001, n).astype(np.float64)
    memory[rng.random(n) < zero_fraction] = 0.0
    comm = (rng.random(len(e)) < comm_prob).astype(np.float64)
    return TaskGraph.from_edges(n, e, memory, comm, name=f"layered-{density}-{n}-s{seed}")
