"""The compiled Tabucol loop of :mod:`dnnsolve.search.coloring` (imported on first use: numba).

Tabucol (Hertz & de Werra 1987) with Galinier & Hao's dynamic tenure, over a CSR graph, one
row of the batch per restart. Each row keeps

* ``z[v]``: its colouring; ``gamma[v, c]``: the neighbours of v coloured c (the n × q table);
* ``tabu[v, c]``: the iteration from which v may take colour c again;
* ``conf[:count]`` / ``pos[v]``: the conflicting vertices (γ[v, z_v] > 0) as an indexed set,
  so that an iteration looks at them only: O(conflicting vertices · q) to choose the move,
  O(deg v) to apply it;
* ``best_z``: the best colouring seen, written lazily (see :func:`_run_row`);
* ``state`` = [iteration, conflicting edges, best conflicting edges, |conf|, at_best];
* ``rng``: its own xorshift stream (:mod:`._random_jit`).
"""

import numba

from ._random_jit import uniform

_jit = numba.njit(cache=True, nogil=True)

#: the fields of a row's ``state``
IT, F, BEST, COUNT, AT_BEST = 0, 1, 2, 3, 4
_NO_MOVE = 1 << 30


@_jit
def _enter(conf, pos, count, v):
    """Add v to the conflicting set (of size ``count``); the new size."""
    pos[v] = count
    conf[count] = v
    return count + 1


@_jit
def _leave(conf, pos, count, v):
    """Remove v from the conflicting set (of size ``count``): the last member takes its slot."""
    i = pos[v]
    last = conf[count - 1]
    conf[i] = last
    pos[last] = i
    pos[v] = -1
    return count - 1


@_jit
def init_row(indptr, indices, z, gamma, conf, pos, best_z, state):
    """Fill a row's conflict table, conflicting set and state from its colouring ``z``."""
    n = len(z)
    gamma[:] = 0
    for v in range(n):
        for j in range(indptr[v], indptr[v + 1]):
            gamma[v, z[indices[j]]] += 1
    count, twice = 0, 0
    for v in range(n):
        pos[v] = -1
        own = gamma[v, z[v]]
        if own > 0:
            count = _enter(conf, pos, count, v)
            twice += own
    best_z[:] = z
    state[IT], state[F], state[BEST] = 0, twice // 2, twice // 2
    state[COUNT], state[AT_BEST] = count, 0


@_jit
def _best_move(z, gamma, tabu, conf, count, it, f, best, rng, allow_tabu):
    """The best move (v, c, δ) over the conflicting vertices, ties broken uniformly at random.

    A move is v taking colour c ≠ z_v; it changes the conflicting edges by
    δ = γ[v, c] − γ[v, z_v]. Without ``allow_tabu`` a tabu move counts only when it would beat
    the row's best (aspiration); (-1, -1, _NO_MOVE) when there is no move.
    """
    q = gamma.shape[1]
    bd, ties, bv, bc = _NO_MOVE, 0, -1, -1
    for i in range(count):
        v = conf[i]
        zv = z[v]
        row = gamma[v]
        own = row[zv]
        # the vertex's cheapest colour first (a branch-free, vectorized min): most conflicting
        # vertices have no move as good as the best one so far and are passed over here
        lowest = _NO_MOVE
        for c in range(q):
            lowest = min(lowest, row[c] if c != zv else _NO_MOVE)
        if lowest - own > bd:
            continue
        for c in range(q):
            d = row[c] - own
            if d > bd or c == zv:
                continue
            if not allow_tabu and tabu[v, c] > it and f + d >= best:
                continue
            if d < bd:
                bd, ties, bv, bc = d, 1, v, c
            else:  # reservoir sampling: each of the tied moves is kept with probability 1/ties
                ties += 1
                if uniform(rng) * ties < 1.0:
                    bv, bc = v, c
    return bv, bc, bd


@_jit
def _recolor(indptr, indices, z, gamma, conf, pos, count, v, c):
    """Give v colour c, updating γ over v's neighbours and the conflicting set; the new size."""
    a = z[v]
    z[v] = c
    for j in range(indptr[v], indptr[v + 1]):
        u = indices[j]
        # the counts first: z[u] is read only when u's conflict status may change
        gamma[u, a] -= 1
        if gamma[u, a] == 0 and z[u] == a:
            count = _leave(conf, pos, count, u)
        gamma[u, c] += 1
        if gamma[u, c] == 1 and z[u] == c:
            count = _enter(conf, pos, count, u)
    own = gamma[v, c]
    if own == 0 and pos[v] >= 0:
        count = _leave(conf, pos, count, v)
    elif own > 0 and pos[v] < 0:
        count = _enter(conf, pos, count, v)
    return count


@_jit
def _run_row(indptr, indices, z, gamma, tabu, conf, pos, best_z, state, rng, iters, alpha, tenure):
    """At most ``iters`` Tabucol iterations of one row, or until it has no conflict.

    The best colouring is copied into ``best_z`` only when the walk leaves it (a move that
    does not lower the conflicts while ``z`` is the best seen) or when the call ends: during
    the descent every move is a new best, and copying n colours each time would cost more
    than the move.
    """
    it, f, best = state[IT], state[F], state[BEST]
    count, at_best = state[COUNT], state[AT_BEST]
    end = it + iters
    while f > 0 and it < end:
        v, c, d = _best_move(z, gamma, tabu, conf, count, it, f, best, rng, False)
        if v < 0:  # every move is tabu: the best tabu move keeps the walk going
            v, c, d = _best_move(z, gamma, tabu, conf, count, it, f, best, rng, True)
        it += 1
        if v < 0:  # no move at all (q = 1)
            continue
        if at_best and d >= 0:
            best_z[:] = z
            at_best = 0
        old = z[v]
        conflicting = count
        count = _recolor(indptr, indices, z, gamma, conf, pos, count, v, c)
        f += d
        # Galinier & Hao: v may not take its old colour back for L + λ·|conflicting vertices|
        # iterations, L uniform in [0, tenure)
        tabu[v, old] = it + int(uniform(rng) * tenure) + int(alpha * conflicting)
        if f < best:
            best = f
            at_best = 1
    if at_best:
        best_z[:] = z
        at_best = 0
    state[IT], state[F], state[BEST] = it, f, best
    state[COUNT], state[AT_BEST] = count, at_best


@_jit
def run_rows(indptr, indices, z, gamma, tabu, conf, pos, best_z, state, rng, iters, alpha, tenure):
    """One round of the batch: each row in turn runs ``iters`` iterations (rows with no
    conflict left are skipped); the round ends early once a row reaches 0 conflicts."""
    for b in range(z.shape[0]):
        if state[b, BEST] == 0:
            return
        _run_row(
            indptr,
            indices,
            z[b],
            gamma[b],
            tabu[b],
            conf[b],
            pos[b],
            best_z[b],
            state[b],
            rng[b : b + 1],
            iters,
            alpha,
            tenure,
        )
        if state[b, BEST] == 0:
            return
