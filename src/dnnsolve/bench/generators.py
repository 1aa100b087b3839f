"""Deterministic sparse random-graph generators for the benchmark suites.

Both generators cost O(n + m) time and memory (no dense matrix, no NetworkX), so
they scale to 10^6 vertices.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import InputError
from ..graph import Graph


def erdos_renyi(n: int, p: float, seed: int | np.random.Generator, name: str = "er") -> Graph:
    """G(n, p): every pair {u, v} is an edge independently with probability p.

    Pairs are enumerated in row-major upper-triangular order and skipped with
    geometric gaps, which samples exactly Bernoulli(p) per pair in O(m).

    >>> g = erdos_renyi(100, 0.1, seed=0)
    >>> g.n, 300 < g.m < 700
    (100, True)
    """
    if n < 0 or not 0.0 <= p <= 1.0:
        raise InputError(f"need n >= 0 and 0 <= p <= 1 (got n={n}, p={p})")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pairs = n * (n - 1) // 2
    if p == 0.0 or pairs == 0:
        idx = np.zeros(0, dtype=np.int64)
    elif p == 1.0:
        idx = np.arange(pairs, dtype=np.int64)
    else:
        chunks, last = [], -1
        expect = int(pairs * p + 6 * np.sqrt(pairs * p) + 16)
        while last < pairs:
            pos = last + np.cumsum(rng.geometric(p, size=expect).astype(np.int64))
            chunks.append(pos)
            last = int(pos[-1])
        idx = np.concatenate(chunks)
        idx = idx[idx < pairs]
    # row u holds pairs (u, u+1..n-1); offsets[u] = index of pair (u, u+1)
    u_all = np.arange(n, dtype=np.int64)
    offsets = u_all * (2 * n - u_all - 1) // 2
    u = np.searchsorted(offsets, idx, side="right") - 1
    v = idx - offsets[u] + u + 1
    return Graph(n, u, v, np.ones(len(u)), name=name, meta={"generator": "erdos_renyi", "p": p})


def er_suite_graph(i: int, seed: int = 0, p: float = 0.15) -> Graph:
    """Graph ``i`` of the ER-[700-800] suite: n uniform in [700, 800], G(n, p), rng seed + i.

    >>> g = er_suite_graph(0)
    >>> 700 <= g.n <= 800, g.name
    (True, 'er-000')
    """
    rng = np.random.default_rng(seed + i)
    n = int(rng.integers(700, 801))
    return erdos_renyi(n, p, rng, name=f"er-{i:03d}")


def random_regular(
    n: int, d: int, seed: int | np.random.Generator, name: str | None = None
) -> Graph:
    """Random simple d-regular graph by the configuration model.

    Stubs (d per vertex) are shuffled and paired; pairs that form a loop or a
    repeated edge are released together with as many random good pairs and
    re-paired, until the pairing is simple. For fixed d this needs a few
    vectorized rounds; the result is (nearly) uniform.

    >>> g = random_regular(1000, 3, seed=1)
    >>> g.m, set(g.degrees().tolist())
    (1500, {3})
    """
    if d < 0 or n < 0 or (n * d) % 2 or (n > 0 and d >= n):
        raise InputError(f"no simple {d}-regular graph on {n} vertices (need n*d even and d < n)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    stubs = np.repeat(np.arange(n, dtype=np.int64), d)
    rng.shuffle(stubs)
    pairs = stubs.reshape(-1, 2)
    for _ in range(10_000):
        a = np.minimum(pairs[:, 0], pairs[:, 1])
        b = np.maximum(pairs[:, 0], pairs[:, 1])
        key = a * n + b
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), dtype=bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        bad = dup | (a == b)
        nbad = int(bad.sum())
        if nbad == 0:
            break
        good = np.flatnonzero(~bad)
        extra = rng.choice(good, size=min(len(good), max(nbad, 2)), replace=False)
        redo = np.concatenate([np.flatnonzero(bad), extra])
        loose = pairs[redo].reshape(-1)
        rng.shuffle(loose)
        pairs[redo] = loose.reshape(-1, 2)
    else:  # pragma: no cover - practically unreachable for d << n
        raise InputError(f"could not build a simple {d}-regular graph on {n} vertices")
    a = np.minimum(pairs[:, 0], pairs[:, 1])
    b = np.maximum(pairs[:, 0], pairs[:, 1])
    order = np.lexsort((b, a))
    return Graph(
        n,
        a[order],
        b[order],
        np.ones(len(a)),
        name=name or f"reg{d}-n{n}",
        meta={"generator": "random_regular", "d": d},
    )
