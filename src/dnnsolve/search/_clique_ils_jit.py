"""The compiled clique kernels of :mod:`dnnsolve.search.clique` (imported on first use: numba).

Every kernel takes the graph as a tuple ``g = (indptr, indices, w, pos_deg)``: sorted CSR
rows (adjacency tests are binary searches), float64 vertex weights and each vertex's number
of positive-weight neighbours.  One walk at a time holds its clique S in a state tuple
``st = (vx, ws, sc, wsum)`` made by :func:`new_state`: the members ``ws[_MEM, 0:k]``, the
scalars ``sc`` (k, Σ ids of S, stamps, the move clock), the weight ``wsum[0]`` and, per
vertex v, a row ``vx[v]`` of

* ``_CNT`` = c_v = |N(v) ∩ S|,
* ``_SID`` = the sum of the ids of v's neighbours in S,
* ``_POS`` = v's slot in ``_MEM`` (-1 outside S),
* ``_TABU`` (v may not enter while the clock is at most this) and ``_MARK`` (scan stamps),

side by side, so that looking at a vertex costs one cache line on large graphs.  Adding or
removing u changes c and the sums on N(u) only, O(deg u).  A vertex v ∉ S can join iff
c_v = k; it is 1-tight iff c_v = k − 1, and its owner (the one member it misses) is
Σ_{u∈S} u − ``_SID``.  For k ≥ 2 every 1-tight vertex is a neighbour of one of the two
members of smallest degree, and for k ≥ 3 every 2-tight vertex one of the three, so a move
scans those neighbourhoods (O(min degree)), never all n.  Stamps and clock ticks mean that
nothing of size n is cleared between moves or walks.

Random numbers come from :func:`~dnnsolve.search._random_jit.uniform`, one stream per row.
"""

import numba
import numpy as np

from ._random_jit import uniform

_jit = numba.njit(cache=True, nogil=True)

# columns of the per-vertex state ``vx``
_CNT = 0  # c_v = |N(v) ∩ S|
_SID = 1  # Σ ids of v's neighbours in S
_POS = 2  # v's slot in _MEM, -1 outside S
_TABU = 3  # v may not enter while the clock is at most this
_MARK = 4  # scan stamps
_VERTEX_FIELDS = 5

# rows of the list workspace ``ws`` (n + 1 entries each)
_MEM = 0  # the members in slots 0..k-1
_TIGHT = 1  # a move's free 1-tight vertices, grouped by owner
_LOOSE = 2  # a move's free 2-tight vertices
_LIST = 3  # scratch: raw scan results, extension candidates, members to drop
_ADDED = 4  # the vertices a move added (undone if the move is rejected)
_REMOVED = 5  # the vertices a move removed
_BUCKET = 6  # owner slot p's 1-tight vertices are _TIGHT[_BUCKET[p]:_BUCKET[p + 1]]
_FILL = 7  # fill pointers of the buckets
_LIST_ROWS = 8

# slots of the scalars ``sc``
_K = 0  # |S|
_SUM = 1  # Σ ids of S
_STAMP = 2  # the last stamp handed out
_CLOCK = 3  # move counter (tabu tenures are clock ticks)
_N_ADDED = 4
_N_REMOVED = 5
_SCALARS = 6

# kinds of move
_NONE = 0
_SWAP = 1  # a 1-tight vertex replaces its owner (gain or plateau)
_KICK = 2  # a perturbation: may be accepted although worse

# the conflict count from which members leave in bulk (as in the tensor rule)
_BULK_FROM = 8


def new_state(n):
    """The state of a walk on an n-vertex graph: S empty, clock at 1."""
    vx = np.zeros((max(n, 1), _VERTEX_FIELDS), dtype=np.int64)
    vx[:, _POS] = -1
    ws = np.zeros((_LIST_ROWS, max(n, 1) + 1), dtype=np.int64)
    sc = np.zeros(_SCALARS, dtype=np.int64)
    sc[_CLOCK] = 1
    return vx, ws, sc, np.zeros(1)


# -- the clique and its counts --------------------------------------------------------
@_jit
def _add(g, st, v):
    indptr, indices, w, _ = g
    vx, ws, sc, wsum = st
    k = sc[_K]
    vx[v, _POS] = k
    ws[_MEM, k] = v
    sc[_K] = k + 1
    sc[_SUM] += v
    wsum[0] += w[v]
    for i in range(indptr[v], indptr[v + 1]):
        u = indices[i]
        vx[u, _CNT] += 1
        vx[u, _SID] += v


@_jit
def _remove(g, st, v):
    indptr, indices, w, _ = g
    vx, ws, sc, wsum = st
    k = sc[_K] - 1
    p = vx[v, _POS]
    last = ws[_MEM, k]
    ws[_MEM, p] = last
    vx[last, _POS] = p
    vx[v, _POS] = -1
    sc[_K] = k
    sc[_SUM] -= v
    wsum[0] -= w[v]
    for i in range(indptr[v], indptr[v + 1]):
        u = indices[i]
        vx[u, _CNT] -= 1
        vx[u, _SID] -= v


@_jit
def _load(g, st, members, k):
    st[3][0] = 0.0
    for j in range(k):
        _add(g, st, members[j])


@_jit
def _unload(g, st):
    ws, sc = st[1], st[2]
    while sc[_K] > 0:
        _remove(g, st, ws[_MEM, sc[_K] - 1])
    st[3][0] = 0.0


@_jit
def _store(g, st, members):
    """Copy S into ``members``; its exact weight (no drift from incremental sums)."""
    w, ws, sc = g[2], st[1], st[2]
    total = 0.0
    for j in range(sc[_K]):
        v = ws[_MEM, j]
        members[j] = v
        total += w[v]
    return total


@_jit
def _row_has(g, v, u):
    """Whether u is in v's sorted row (binary search)."""
    indptr, indices = g[0], g[1]
    lo, hi = indptr[v], indptr[v + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        x = indices[mid]
        if x < u:
            lo = mid + 1
        elif x > u:
            hi = mid
        else:
            return True
    return False


@_jit
def _degree(g, v):
    return g[0][v + 1] - g[0][v]


@_jit
def _adjacent(g, u, v):
    """Whether u and v are adjacent: a binary search in the shorter row."""
    if _degree(g, u) > _degree(g, v):
        return _row_has(g, v, u)
    return _row_has(g, u, v)


@_jit
def _next_stamp(sc):
    sc[_STAMP] += 1
    return sc[_STAMP]


@_jit
def _smallest_members(g, st):
    """The three members of smallest degree (-1 where S has fewer)."""
    ws, sc = st[1], st[2]
    a, b, c = -1, -1, -1
    da, db, dc = 1 << 62, 1 << 62, 1 << 62
    for j in range(sc[_K]):
        v = ws[_MEM, j]
        d = _degree(g, v)
        if d < da:
            c, dc, b, db, a, da = b, db, a, da, v, d
        elif d < db:
            c, dc, b, db = b, db, v, d
        elif d < dc:
            c, dc = v, d
    return a, b, c


# -- greedy repair ------------------------------------------------------------------------
@_jit
def _first_vertex(g, key, use_key, rng):
    """The start of a clique grown from nothing: the largest ``key`` (when ``use_key``),
    then the largest weight × (1 + positive-weight neighbours); -1 if no weight is positive."""
    w, pos_deg = g[2], g[3]
    pick, best_key, best_score = -1, -np.inf, -np.inf
    for v in range(len(w)):
        if w[v] <= 0:
            continue
        first = key[v] if use_key else 0.0
        if first < best_key:
            continue
        score = w[v] * (1.0 + pos_deg[v]) * (1.0 + 1e-4 * uniform(rng))
        if first > best_key or score > best_score:
            best_key, best_score, pick = first, score, v
    return pick


@_jit
def _next_vertex(g, st, key, use_key, rng):
    """The candidate (adjacent to all of S ≠ ∅, positive weight) of largest ``key`` (when
    ``use_key``), then of largest weight × (1 + candidates adjacent to it); -1 if none."""
    indptr, indices, w, _ = g
    vx, ws, sc, _ = st
    k = sc[_K]
    cand = ws[_LIST]
    nc = 0
    s = _smallest_members(g, st)[0]
    for i in range(indptr[s], indptr[s + 1]):
        v = indices[i]
        if vx[v, _POS] < 0 and w[v] > 0 and vx[v, _CNT] == k:
            cand[nc] = v
            nc += 1
    if nc <= 1:
        return cand[0] if nc == 1 else -1
    stamp = _next_stamp(sc)
    for j in range(nc):
        vx[cand[j], _MARK] = stamp
    pick, best_key, best_score = -1, -np.inf, -np.inf
    for j in range(nc):
        v = cand[j]
        first = key[v] if use_key else 0.0
        if first < best_key:
            continue
        d = 0
        for i in range(indptr[v], indptr[v + 1]):
            if vx[indices[i], _MARK] == stamp:
                d += 1
        score = w[v] * (1.0 + d) * (1.0 + 1e-4 * uniform(rng))
        if first > best_key or score > best_score:
            best_key, best_score, pick = first, score, v
    return pick


@_jit
def _extend(g, st, key, use_key, rng, log):
    """Grow S to a maximal clique of positive-weight vertices, one vertex at a time (the
    classic "keep the most candidates" greedy, after ``key`` when ``use_key``; random
    tie-break).  With ``log``, additions go to ``_ADDED``."""
    ws, sc = st[1], st[2]
    while True:
        if sc[_K] == 0:
            v = _first_vertex(g, key, use_key, rng)
        else:
            v = _next_vertex(g, st, key, use_key, rng)
        if v < 0:
            return
        _add(g, st, v)
        if log:
            ws[_ADDED, sc[_N_ADDED]] = v
            sc[_N_ADDED] += 1


@_jit
def _drop_conflicts(g, st, rng):
    """Remove members until S is a clique: the member missing the most others per unit
    weight leaves (random tie-break); while some member misses ``_BULK_FROM`` or more,
    every member missing at least half that many leaves at once."""
    w = g[2]
    vx, ws, sc, _ = st
    out = ws[_LIST]
    while True:
        k = sc[_K]
        worst = 0
        for j in range(k):
            worst = max(worst, k - 1 - vx[ws[_MEM, j], _CNT])
        if worst == 0:
            return
        n_out = 0
        if worst >= _BULK_FROM:
            cut = (worst + 1) // 2
            for j in range(k):
                v = ws[_MEM, j]
                if k - 1 - vx[v, _CNT] >= cut:
                    out[n_out] = v
                    n_out += 1
        else:
            best = -np.inf
            for j in range(k):
                v = ws[_MEM, j]
                miss = k - 1 - vx[v, _CNT]
                if miss > 0:
                    score = miss / max(w[v], 1e-12) * (1.0 + 1e-3 * uniform(rng))
                    if score > best:
                        best = score
                        out[0] = v
            n_out = 1
        for j in range(n_out):
            _remove(g, st, out[j])


@_jit
def repair_rows(g, st, z, key, use_key, drop, grow, seeds):
    """Each row of the (B, n) bool ``z``, in place: conflicts dropped (``drop``), then grown
    to a maximal clique (``grow``, by ``key`` first when ``use_key``: one row of keys, or
    one per row of ``z``).  ``seeds`` (B,) uint64 are the rows' random streams."""
    ws, sc = st[1], st[2]
    B, n = z.shape
    rng = np.empty(1, dtype=np.uint64)
    for b in range(B):
        rng[0] = seeds[b]
        for v in range(n):
            if z[b, v]:
                _add(g, st, v)
        if drop:
            _drop_conflicts(g, st, rng)
        if grow:
            _extend(g, st, key[min(b, key.shape[0] - 1)], use_key, rng, False)
        z[b, :] = False
        for j in range(sc[_K]):
            z[b, ws[_MEM, j]] = True
        _unload(g, st)


# -- the moves ----------------------------------------------------------------------------
@_jit
def _collect(g, st, s, stamp, n_tight, n_loose, tight_too):
    """Sort the unseen free positive-weight non-members of N(s) by how many members they
    miss: 1 → ``_LIST`` (raw 1-tight, when ``tight_too``), 2 → ``_LOOSE``."""
    indptr, indices, w, _ = g
    vx, ws, sc, _ = st
    k, clock = sc[_K], sc[_CLOCK]
    for i in range(indptr[s], indptr[s + 1]):
        v = indices[i]
        if vx[v, _MARK] == stamp:
            continue
        vx[v, _MARK] = stamp
        if vx[v, _POS] >= 0 or w[v] <= 0 or vx[v, _TABU] >= clock:
            continue
        miss = k - vx[v, _CNT]
        if miss == 1 and tight_too:
            ws[_LIST, n_tight] = v
            n_tight += 1
        elif miss == 2:
            ws[_LOOSE, n_loose] = v
            n_loose += 1
    return n_tight, n_loose


@_jit
def _owner_slot(st, v):
    """The slot of the member that 1-tight v misses."""
    vx, sc = st[0], st[2]
    return vx[sc[_SUM] - vx[v, _SID], _POS]


@_jit
def _group_by_owner(st, n_tight):
    """Sort the raw 1-tight vertices of ``_LIST`` into ``_TIGHT`` by their owner's slot.

    Each group comes out ascending: the raw list is N(s1)'s finds, then N(s2)'s, both in
    (sorted) row order, and N(s2) adds only vertices owned by s1, which N(s1) cannot hold."""
    ws, sc = st[1], st[2]
    bucket, fill = ws[_BUCKET], ws[_FILL]
    for p in range(sc[_K] + 1):
        bucket[p] = 0
    for j in range(n_tight):
        bucket[_owner_slot(st, ws[_LIST, j]) + 1] += 1
    for p in range(sc[_K]):
        bucket[p + 1] += bucket[p]
        fill[p] = bucket[p]
    for j in range(n_tight):
        v = ws[_LIST, j]
        p = _owner_slot(st, v)
        ws[_TIGHT, fill[p]] = v
        fill[p] += 1


@_jit
def _meets(g, v, group, lo, hi):
    """Whether v is adjacent to one of ``group[lo:hi]`` (ascending, v itself may be in it):
    binary searches in v's row for a few, a merge with the row for many."""
    indptr, indices = g[0], g[1]
    j = lo
    if (hi - lo) * 8 < _degree(g, v):
        while j < hi and (group[j] == v or not _row_has(g, v, group[j])):
            j += 1
        return j < hi
    i, end = indptr[v], indptr[v + 1]
    while i < end and j < hi:
        x, y = indices[i], group[j]
        if x < y:
            i += 1
        elif x > y:
            j += 1
        else:
            return True
    return False


@_jit
def _gains(g, st, v, eps):
    """Whether swapping 1-tight ``v`` for its owner gains: v is heavier, or another free
    1-tight vertex of the same owner is adjacent to v (a (1,2)-swap: both can stay)."""
    w = g[2]
    vx, ws, sc, _ = st
    owner = sc[_SUM] - vx[v, _SID]
    if w[v] > w[owner] + eps:
        return True
    p = vx[owner, _POS]
    lo, hi = ws[_BUCKET, p], ws[_BUCKET, p + 1]
    return hi - lo > 1 and _meets(g, v, ws[_TIGHT], lo, hi)


@_jit
def _jump_vertex(st, order, n_jump, rng):
    """A free non-member among the ``n_jump`` first vertices of ``order`` (degree-descending),
    the better of two uniform draws (a linear preference for high degree); -1 if 8 tries
    find none."""
    vx, sc = st[0], st[2]
    for _ in range(8 if n_jump > 0 else 0):
        v = order[min(int(uniform(rng) * n_jump), int(uniform(rng) * n_jump))]
        if vx[v, _POS] < 0 and vx[v, _TABU] < sc[_CLOCK]:
            return v
    return -1


@_jit
def _choose(g, st, rules, rng):
    """The entering vertex of a move and its kind: a gaining swap, else (probability
    p_plateau) a plateau swap, else a kick (probability p_local a 2-tight vertex, else a
    jump)."""
    order, n_jump, probs, _, eps = rules
    ws, sc = st[1], st[2]
    k = sc[_K]
    a, b, c = _smallest_members(g, st)
    n_tight, n_loose = 0, 0
    stamp = _next_stamp(sc)
    if k >= 2:
        n_tight, n_loose = _collect(g, st, a, stamp, 0, 0, True)
        n_tight, n_loose = _collect(g, st, b, stamp, n_tight, n_loose, True)
    if n_tight > 0:
        _group_by_owner(st, n_tight)
        start = int(uniform(rng) * n_tight)
        for j in range(n_tight):
            v = ws[_TIGHT, (start + j) % n_tight]
            if _gains(g, st, v, eps):
                return v, _SWAP
        if uniform(rng) < probs[0]:
            return ws[_TIGHT, int(uniform(rng) * n_tight)], _SWAP
    if k >= 3 and uniform(rng) < probs[1]:
        n_loose = _collect(g, st, c, stamp, 0, n_loose, False)[1]
        if n_loose > 0:
            return ws[_LOOSE, int(uniform(rng) * n_loose)], _KICK
    v = _jump_vertex(st, order, n_jump, rng)
    return v, (_NONE if v < 0 else _KICK)


@_jit
def _force_in(g, st, v):
    """Add v after removing the members it is not adjacent to (both logged)."""
    vx, ws, sc, _ = st
    k = sc[_K]
    missing = k - vx[v, _CNT]
    n_rem = 0
    if missing == 1:
        owner = sc[_SUM] - vx[v, _SID]
        _remove(g, st, owner)
        ws[_REMOVED, 0] = owner
        n_rem = 1
    else:
        # descending slots: a removal moves the last member, already looked at, into the gap
        for j in range(k - 1, -1, -1):
            if n_rem == missing:
                break
            u = ws[_MEM, j]
            if missing == k or not _adjacent(g, u, v):
                _remove(g, st, u)
                ws[_REMOVED, n_rem] = u
                n_rem += 1
    sc[_N_REMOVED] = n_rem
    _add(g, st, v)
    ws[_ADDED, 0] = v
    sc[_N_ADDED] = 1


@_jit
def _undo(g, st):
    ws, sc = st[1], st[2]
    for j in range(sc[_N_ADDED] - 1, -1, -1):
        _remove(g, st, ws[_ADDED, j])
    for j in range(sc[_N_REMOVED]):
        _add(g, st, ws[_REMOVED, j])


@_jit
def _move(g, st, rules, rng):
    """One iteration of a walk: force a chosen vertex in, drop the members it misses,
    extend to a maximal clique; keep the result if not lighter (a kick also with
    probability p_worse), the leavers then tabu for min_tenure + 0..tenure moves."""
    probs, tenures, eps = rules[2], rules[3], rules[4]
    vx, ws, sc, wsum = st
    sc[_CLOCK] += 1
    if sc[_K] == 0:
        return
    v, kind = _choose(g, st, rules, rng)
    if kind == _NONE:
        return
    before = wsum[0]
    _force_in(g, st, v)
    _extend(g, st, g[2], False, rng, True)
    if wsum[0] >= before - eps or (kind == _KICK and uniform(rng) < probs[2]):
        until = sc[_CLOCK] + tenures[1] + int(uniform(rng) * (tenures[0] + 1))
        for j in range(sc[_N_REMOVED]):
            vx[ws[_REMOVED, j], _TABU] = until
    else:
        _undo(g, st)


@_jit
def walk_rows(g, st, rules, walks, iters, drift, target):
    """``iters`` moves of each row's walk, one row after the other.

    ``rules`` = (order, n_jump, probs, tenures, eps): jumps draw from the ``n_jump`` first
    vertices of ``order``; ``probs`` = (p_plateau, p_local, p_worse), ``tenures`` = (tenure,
    min_tenure), ``eps`` the weight tolerance.  ``walks`` = (cur, cur_k, best, best_k,
    best_w, seeds, last_up): row b's clique ``cur[b, :cur_k[b]]`` (maximal), its incumbent
    ``best[b, :best_k[b]]`` of weight ``best_w[b]`` and its random stream ``seeds[b]`` are
    updated in place; ``last_up[b]`` gets the move index of the row's last improvement
    (-1: none).  A walk falling ``drift`` below its incumbent restarts from it.  Returns True
    as soon as an incumbent reaches ``target`` (the rows after it then do not move).
    """
    cur, cur_k, best, best_k, best_w, seeds, last_up = walks
    tenures, eps = rules[3], rules[4]
    wsum, sc = st[3], st[2]
    for b in range(cur.shape[0]):
        rng = seeds[b : b + 1]
        _load(g, st, cur[b], cur_k[b])
        last_up[b] = -1
        reached = False
        for t in range(iters):
            _move(g, st, rules, rng)
            if wsum[0] > best_w[b] + eps:
                best_w[b] = _store(g, st, best[b])
                best_k[b] = sc[_K]
                last_up[b] = t
                if best_w[b] >= target:
                    reached = True
                    break
            elif wsum[0] < best_w[b] - drift - eps:
                _unload(g, st)
                _load(g, st, best[b], best_k[b])
        _store(g, st, cur[b])
        cur_k[b] = sc[_K]
        _unload(g, st)
        # the next row starts after this row's tenures have run out
        sc[_CLOCK] += tenures[0] + tenures[1] + 1
        if reached:
            return True
    return False
