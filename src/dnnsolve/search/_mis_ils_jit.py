"""The compiled ARW walk of :func:`dnnsolve.search.mis.local_search` on a CPU (numba, imported
on first use through :func:`dnnsolve.search.mis_greedy.ils_kernel`).

One walk is the iterated local search of Andrade, Resende & Werneck (J. Heuristics 18, 2012,
"ARW") over a CSR graph, with its incremental bookkeeping; an insertion or removal costs
O(degree), a (1,2)-swap search at x O(deg x + the degrees of its 1-tight neighbours), nothing
is ever O(n):

* ``perm`` holds the allowed vertices in three sections, [solution | free | other], and ``pos``
  their slots, so that insertions, removals, a random free or non-solution vertex are O(1);
* ``tight[v]`` counts v's solution neighbours, ``own[v]`` sums their ids (the unique solution
  neighbour, the *owner*, of a 1-tight vertex is ``own[v]``), ``nbw[v]`` sums their weights;
* ``n1[x]`` counts the 1-tight neighbours of a solution vertex x, so a (1,2)-swap is looked for
  only where one can exist; ``ot`` lists all 1-tight vertices (the random 1-swap);
* a *candidate* set of solution vertices whose 1-tight neighbourhood changed (ARW's incremental
  local search), and, with vertex weights, a set of vertices whose solution neighbours weigh
  less than they do ((ω,1)-swaps, a sure gain).

An iteration forces k non-solution vertices in (k = 1, else with probability 1/(2|S|) k = 1 + a
geometric number, the further ones next to the first; the first, of ``force_cand`` random ones,
the one out of the solution longest, those that left it within ``tenure`` iterations last),
refills the set and runs the local search to a (1,2)-swap local optimum, looking at the forced
vertex last.  A worse result is kept with probability 1/(1 + δ·δ*) (δ the loss, δ* the distance
to the incumbent, in units of the mean weight; none again for ``plateau``·|S| iterations after
one was kept), otherwise undone from the operation log and replaced by a random 1-swap.  The
incumbent is kept as a difference list against the current set (a new best costs the vertices
changed since the last one, never O(n)); with ``walk_len`` > 0 the walk returns to it after
that many iterations below it.

Every array is updated in place, so a walk can be run in chunks and resumed.
"""

import numba
import numpy as np

from ._random_jit import uniform

_jit = numba.njit(cache=True, nogil=True)

# rows of the int64 state S (n columns)
(INSOL, TIGHT, OWN, PERM, POS, N1, AGE, BEST, INBD, BDIFF,
 CQ, CPOS, OT, OTPOS, MARKL, MARKN, WQ, INWQ, FMARK, LBUF) = range(20)  # fmt: skip
N_INT = 20
# rows of the float64 state F (n columns)
NBW = 0
N_FLOAT = 1
# int64 scalars
(SSIZE, NFREE, NALL, NCQ, NOT, NBD, NWQ, IT, PLATEAU, STALL,
 BELOW, STAMP, NLOG, OVERFLOW, LOGGING, WEIGHTED, ACCEPTED_WORSE, RESTORES) = range(18)  # fmt: skip
N_SC = 18
# float64 scalars
CURW, BESTW, WUNIT, EPS = range(4)
N_FS = 4
# parameters (float64)
P_FORCE_CAND, P_TENURE, P_WALK_LEN, P_STALL, P_TARGET, P_SWAP_ON_FAILURE, P_PLATEAU = range(7)
N_P = 7


@_jit
def _randint(rng, k):
    r = int(uniform(rng) * k)
    return r if r < k else k - 1


@_jit
def _swap_slots(perm, pos, i, j):
    a = perm[i]
    b = perm[j]
    perm[i] = b
    pos[b] = i
    perm[j] = a
    pos[a] = j


# -- sections of perm: [0, ssize) solution, [ssize, ssize + nfree) free, the rest other --------
@_jit
def _other_to_free(perm, pos, sc, v):
    b2 = sc[SSIZE] + sc[NFREE]
    _swap_slots(perm, pos, pos[v], b2)
    sc[NFREE] += 1


@_jit
def _free_to_other(perm, pos, sc, v):
    b2 = sc[SSIZE] + sc[NFREE]
    _swap_slots(perm, pos, pos[v], b2 - 1)
    sc[NFREE] -= 1


@_jit
def _free_to_sol(perm, pos, sc, v):
    _swap_slots(perm, pos, pos[v], sc[SSIZE])
    sc[SSIZE] += 1
    sc[NFREE] -= 1


@_jit
def _sol_to_free(perm, pos, sc, v):
    _swap_slots(perm, pos, pos[v], sc[SSIZE] - 1)
    sc[SSIZE] -= 1
    sc[NFREE] += 1


# -- small sets: a list and each member's slot (-1 when absent) ---------------------------------
@_jit
def _set_add(items, slot, sc, k, v):
    if slot[v] < 0:
        slot[v] = sc[k]
        items[sc[k]] = v
        sc[k] += 1


@_jit
def _set_remove(items, slot, sc, k, v):
    i = slot[v]
    if i >= 0:
        last = items[sc[k] - 1]
        items[i] = last
        slot[last] = i
        slot[v] = -1
        sc[k] -= 1


@_jit
def _record(S, sc, log, v, op):
    """Log an operation (op = +1 insert, -1 remove) and note v in the incumbent's difference."""
    if sc[LOGGING]:
        k = sc[NLOG]
        if k < len(log):
            log[k] = op * (v + 1)
            sc[NLOG] = k + 1
        else:
            sc[OVERFLOW] = 1
    if S[INBD, v] == 0:
        S[INBD, v] = 1
        S[BDIFF, sc[NBD]] = v
        sc[NBD] += 1


@_jit
def _insert(indptr, indices, w, allowed, S, F, sc, fs, log, v):
    """Put v (allowed, no solution neighbour) into the solution."""
    insol, tight, own, perm, pos, n1 = S[INSOL], S[TIGHT], S[OWN], S[PERM], S[POS], S[N1]
    nbw = F[NBW]
    _free_to_sol(perm, pos, sc, v)
    insol[v] = 1
    n1[v] = 0
    wv = w[v]
    for i in range(indptr[v], indptr[v + 1]):
        u = indices[i]
        t = tight[u]
        tight[u] = t + 1
        own[u] += v
        nbw[u] += wv
        if allowed[u]:
            if t == 0:
                _free_to_other(perm, pos, sc, u)
                _set_add(S[OT], S[OTPOS], sc, NOT, u)
                n1[v] += 1
            elif t == 1:
                _set_remove(S[OT], S[OTPOS], sc, NOT, u)
                n1[own[u] - v] -= 1
    fs[CURW] += wv
    _set_add(S[CQ], S[CPOS], sc, NCQ, v)
    _record(S, sc, log, v, 1)


@_jit
def _remove(indptr, indices, w, allowed, S, F, sc, fs, log, x):
    """Take x out of the solution."""
    insol, tight, own, perm, pos, n1 = S[INSOL], S[TIGHT], S[OWN], S[PERM], S[POS], S[N1]
    nbw = F[NBW]
    _sol_to_free(perm, pos, sc, x)
    insol[x] = 0
    wx = w[x]
    weighted = sc[WEIGHTED]
    eps = fs[EPS]
    for i in range(indptr[x], indptr[x + 1]):
        u = indices[i]
        t = tight[u]
        tight[u] = t - 1
        own[u] -= x
        nbw[u] -= wx
        if allowed[u]:
            if t == 1:
                _set_remove(S[OT], S[OTPOS], sc, NOT, u)
                _other_to_free(perm, pos, sc, u)
            elif t == 2:
                o = own[u]
                _set_add(S[OT], S[OTPOS], sc, NOT, u)
                n1[o] += 1
                _set_add(S[CQ], S[CPOS], sc, NCQ, o)
            if weighted and t > 1 and w[u] > nbw[u] + eps:
                _set_add(S[WQ], S[INWQ], sc, NWQ, u)
    n1[x] = 0
    if tight[x] > 0:  # not during the walk (the set stays independent), but keep the sections right
        _free_to_other(perm, pos, sc, x)
        if tight[x] == 1:
            _set_add(S[OT], S[OTPOS], sc, NOT, x)
            n1[own[x]] += 1
    fs[CURW] -= wx
    _set_remove(S[CQ], S[CPOS], sc, NCQ, x)
    _record(S, sc, log, x, -1)


@_jit
def _force(indptr, indices, w, allowed, S, F, sc, fs, log, v):
    """Insert the non-solution vertex v, removing its solution neighbours first."""
    insol = S[INSOL]
    for i in range(indptr[v], indptr[v + 1]):
        u = indices[i]
        if insol[u]:
            _remove(indptr, indices, w, allowed, S, F, sc, fs, log, u)
    _insert(indptr, indices, w, allowed, S, F, sc, fs, log, v)


@_jit
def _try_two(indptr, indices, w, allowed, S, F, sc, fs, log, rng, x):
    """A (1,2)-swap at the solution vertex x (remove x, insert two non-adjacent 1-tight
    neighbours of x, heavier together than x), chosen uniformly among those there are."""
    tight, markl, markn, buf = S[TIGHT], S[MARKL], S[MARKN], S[LBUF]
    if S[N1, x] < 2:
        return False
    sc[STAMP] += 1
    sl = sc[STAMP]
    nl = 0
    for i in range(indptr[x], indptr[x + 1]):
        u = indices[i]
        if allowed[u] and tight[u] == 1:
            buf[nl] = u
            nl += 1
            markl[u] = sl
    if nl < 2:
        return False
    found = 0
    bu, bv = -1, -1
    wx = w[x] + fs[EPS]
    for a in range(nl):
        v = buf[a]
        sc[STAMP] += 1
        sn = sc[STAMP]
        c = 0
        for i in range(indptr[v], indptr[v + 1]):
            t = indices[i]
            if markl[t] == sl:
                c += 1
                markn[t] = sn
        if c >= nl - 1:
            continue  # adjacent to every other 1-tight neighbour of x
        for b in range(a + 1, nl):
            u = buf[b]
            if markn[u] == sn or w[u] + w[v] <= wx:
                continue
            found += 1
            if found == 1 or _randint(rng, found) == 0:
                bu, bv = u, v
    if found == 0:
        return False
    _remove(indptr, indices, w, allowed, S, F, sc, fs, log, x)
    _insert(indptr, indices, w, allowed, S, F, sc, fs, log, bv)
    _insert(indptr, indices, w, allowed, S, F, sc, fs, log, bu)
    return True


@_jit
def _local_search(indptr, indices, w, allowed, S, F, sc, fs, log, rng, forced, budget=-1):
    """Free insertions, (ω,1)-swaps (weights) and (1,2)-swaps until none is left; the forced
    vertex is looked at last (ARW: the local search must not undo the perturbation at once).
    With a ``budget`` >= 0, stops (the set maximal) after that many swap attempts and returns
    False; True once a local optimum is reached."""
    perm, insol, nbw = S[PERM], S[INSOL], F[NBW]
    cq, wq = S[CQ], S[WQ]
    eps = fs[EPS]
    pending = forced >= 0
    while True:
        if sc[NFREE] == 0 and budget >= 0:
            if budget == 0:
                return False
            budget -= 1
        if sc[NFREE] > 0:
            v = perm[sc[SSIZE] + _randint(rng, sc[NFREE])]
            _insert(indptr, indices, w, allowed, S, F, sc, fs, log, v)
            continue
        if sc[NWQ] > 0:
            u = wq[sc[NWQ] - 1]
            _set_remove(wq, S[INWQ], sc, NWQ, u)
            if not insol[u] and w[u] > nbw[u] + eps:
                _force(indptr, indices, w, allowed, S, F, sc, fs, log, u)
            continue
        if sc[NCQ] > 0:
            x = cq[_randint(rng, sc[NCQ])]
            _set_remove(cq, S[CPOS], sc, NCQ, x)
            if pending and x == forced:
                continue
            _try_two(indptr, indices, w, allowed, S, F, sc, fs, log, rng, x)
            continue
        if pending:
            pending = False
            if insol[forced]:
                _try_two(indptr, indices, w, allowed, S, F, sc, fs, log, rng, forced)
            continue
        return True


@_jit
def _commit_best(S, sc, fs):
    """The current set is the new incumbent: copy only the vertices changed since the last."""
    best, insol, inbd, bd = S[BEST], S[INSOL], S[INBD], S[BDIFF]
    for i in range(sc[NBD]):
        v = bd[i]
        best[v] = insol[v]
        inbd[v] = 0
    sc[NBD] = 0
    fs[BESTW] = fs[CURW]


@_jit
def _restore_best(indptr, indices, w, allowed, S, F, sc, fs, log):
    """Walk back to the incumbent (removals first, so the set stays independent)."""
    best, insol, inbd, bd = S[BEST], S[INSOL], S[INBD], S[BDIFF]
    logging = sc[LOGGING]
    sc[LOGGING] = 0
    nbd = sc[NBD]
    for i in range(nbd):
        v = bd[i]
        if insol[v] and not best[v]:
            _remove(indptr, indices, w, allowed, S, F, sc, fs, log, v)
    for i in range(nbd):
        v = bd[i]
        if best[v] and not insol[v]:
            _insert(indptr, indices, w, allowed, S, F, sc, fs, log, v)
    for i in range(sc[NBD]):
        inbd[bd[i]] = 0
    sc[NBD] = 0
    fs[CURW] = fs[BESTW]  # the same set: no float drift
    while sc[NCQ] > 0:  # the incumbent is a local optimum
        _set_remove(S[CQ], S[CPOS], sc, NCQ, S[CQ, sc[NCQ] - 1])
    while sc[NWQ] > 0:
        _set_remove(S[WQ], S[INWQ], sc, NWQ, S[WQ, sc[NWQ] - 1])
    sc[LOGGING] = logging


@_jit
def _undo(indptr, indices, w, allowed, S, F, sc, fs, log):
    """Undo the logged operations of this iteration, last first."""
    sc[LOGGING] = 0
    for k in range(sc[NLOG] - 1, -1, -1):
        op = log[k]
        if op > 0:
            _remove(indptr, indices, w, allowed, S, F, sc, fs, log, op - 1)
        else:
            _insert(indptr, indices, w, allowed, S, F, sc, fs, log, -op - 1)
    sc[NLOG] = 0
    sc[LOGGING] = 1
    while sc[NCQ] > 0:
        _set_remove(S[CQ], S[CPOS], sc, NCQ, S[CQ, sc[NCQ] - 1])
    while sc[NWQ] > 0:
        _set_remove(S[WQ], S[INWQ], sc, NWQ, S[WQ, sc[NWQ] - 1])


@_jit
def _pick(S, sc, rng, prm, base, count, items):
    """ARW's choice of a vertex to force: of ``force_cand`` random ones (``items[base + i]``,
    i < count), the one out of the solution longest; one that left it within ``tenure``
    iterations only when all of them did (tabu)."""
    age = S[AGE]
    it = sc[IT]
    tenure = int(prm[P_TENURE])
    best_v, best_key = -1, 0.0
    for _ in range(max(1, int(prm[P_FORCE_CAND]))):
        v = items[base + _randint(rng, count)]
        key = float(age[v])
        if tenure > 0 and it - age[v] <= tenure:
            key += 1e15
        if best_v < 0 or key < best_key:
            best_v, best_key = v, key
    return best_v


@_jit
def _perturb(indptr, indices, w, allowed, S, F, sc, fs, log, rng, prm):
    """Force k vertices in (ARW); returns the forced vertex when k = 1, else -1."""
    perm, insol, fmark = S[PERM], S[INSOL], S[FMARK]
    ssize = sc[SSIZE]
    k = 1
    if _randint(rng, 2 * max(ssize, 1)) == 0:
        k = 2
        while uniform(rng) < 0.5:
            k += 1
    nnon = sc[NALL] - ssize
    v = _pick(S, sc, rng, prm, ssize, nnon, perm)
    _force(indptr, indices, w, allowed, S, F, sc, fs, log, v)
    if k == 1:
        return v
    # the further vertices: non-solution vertices next to the forced ones' closed neighbourhoods
    sc[STAMP] += 1
    st = sc[STAMP]
    forced = np.empty(k, dtype=np.int64)
    forced[0] = v
    nf = 1
    fmark[v] = st
    for i in range(indptr[v], indptr[v + 1]):
        fmark[indices[i]] = st
    while nf < k:
        cand, seen = -1, 0
        for f in range(nf):
            a = forced[f]
            for i in range(indptr[a], indptr[a + 1]):
                b = indices[i]
                for j in range(indptr[b], indptr[b + 1]):
                    u = indices[j]
                    if insol[u] or fmark[u] == st or not allowed[u]:
                        continue
                    seen += 1
                    if _randint(rng, seen) == 0:
                        cand = u
        if cand < 0:
            break
        _force(indptr, indices, w, allowed, S, F, sc, fs, log, cand)
        forced[nf] = cand
        nf += 1
        fmark[cand] = st
        for i in range(indptr[cand], indptr[cand + 1]):
            fmark[indices[i]] = st
    return -1


@_jit
def init_walk(indptr, indices, w, allowed, S, F, sc, fs, log, rng, z):
    """Build the state of a walk from the independent set z (bool, allowed vertices only; a
    vertex with a neighbour already in is left out) with every solution vertex a candidate of
    the local search, which :func:`descend` then runs."""
    n = len(indptr) - 1
    for r in (INSOL, TIGHT, OWN, N1, AGE, INBD, MARKL, MARKN, FMARK):
        S[r, :] = 0
    for r in (POS, CPOS, OTPOS, INWQ):
        S[r, :] = -1
    F[:, :] = 0.0
    sc[:] = 0
    na = 0
    for v in range(n):
        if allowed[v]:
            S[PERM, na] = v
            S[POS, v] = na
            na += 1
    sc[NALL] = na
    sc[NFREE] = na  # every allowed vertex starts free (no solution yet)
    wsum, wcnt, weighted = 0.0, 0, 0
    for v in range(n):
        if allowed[v]:
            wsum += w[v]
            wcnt += 1
            if w[v] != 1.0:
                weighted = 1
    sc[WEIGHTED] = weighted
    fs[WUNIT] = wsum / wcnt if wcnt > 0 else 1.0
    fs[EPS] = 1e-9 * max(fs[WUNIT], 1.0)
    for v in range(n):
        if z[v] and allowed[v] and S[INSOL, v] == 0 and S[TIGHT, v] == 0:
            _insert(indptr, indices, w, allowed, S, F, sc, fs, log, v)
    if weighted:
        for v in range(n):
            if allowed[v] and not S[INSOL, v] and S[TIGHT, v] > 0 and w[v] > F[NBW, v] + fs[EPS]:
                _set_add(S[WQ], S[INWQ], sc, NWQ, v)
    for i in range(sc[SSIZE]):
        _set_add(S[CQ], S[CPOS], sc, NCQ, S[PERM, i])


@_jit
def descend(indptr, indices, w, allowed, S, F, sc, fs, log, rng, budget):
    """Continue the first local search of a walk for at most ``budget`` swap attempts (the set
    stays maximal); once at a local optimum (returns True) the set becomes the incumbent."""
    if not _local_search(indptr, indices, w, allowed, S, F, sc, fs, log, rng, -1, budget):
        return False
    for i in range(sc[NBD]):
        S[INBD, S[BDIFF, i]] = 0
    sc[NBD] = 0
    S[BEST, :] = S[INSOL, :]
    fs[BESTW] = fs[CURW]
    sc[LOGGING] = 1
    return True


@_jit
def walk(indptr, indices, w, allowed, S, F, sc, fs, log, rng, prm, n_iters):
    """Run at most ``n_iters`` ILS iterations; stop early at the target or after ``stall``
    iterations without a new incumbent.  Returns the iterations run."""
    age, insol = S[AGE], S[INSOL]
    eps = fs[EPS]
    target = prm[P_TARGET]
    stall_limit = prm[P_STALL]
    walk_len = prm[P_WALK_LEN]
    done = 0
    while done < n_iters:
        if fs[BESTW] >= target - eps or sc[STALL] >= stall_limit:
            break
        if sc[NALL] - sc[SSIZE] <= 0:
            break
        done += 1
        sc[IT] += 1
        it = sc[IT]
        sc[STALL] += 1
        if sc[PLATEAU] > 0:
            sc[PLATEAU] -= 1
        sc[NLOG] = 0
        sc[OVERFLOW] = 0
        before = fs[CURW]
        forced = _perturb(indptr, indices, w, allowed, S, F, sc, fs, log, rng, prm)
        _local_search(indptr, indices, w, allowed, S, F, sc, fs, log, rng, forced)
        after = fs[CURW]
        if after > fs[BESTW] + eps:
            _commit_best(S, sc, fs)
            sc[STALL] = 0
        delta = (before - after) / fs[WUNIT]
        if delta > 1e-9:
            dbest = (fs[BESTW] - after) / fs[WUNIT]
            keep = sc[PLATEAU] == 0 and uniform(rng) * (1.0 + dbest * delta) < 1.0
            if keep or sc[OVERFLOW]:
                sc[PLATEAU] = int(prm[P_PLATEAU] * sc[SSIZE])
                sc[ACCEPTED_WORSE] += 1
            else:
                _undo(indptr, indices, w, allowed, S, F, sc, fs, log)
                if prm[P_SWAP_ON_FAILURE] > 0 and sc[NOT] > 0:
                    x = _pick(S, sc, rng, prm, 0, sc[NOT], S[OT])
                    _force(indptr, indices, w, allowed, S, F, sc, fs, log, x)
                    _local_search(indptr, indices, w, allowed, S, F, sc, fs, log, rng, x)
                    if fs[CURW] > fs[BESTW] + eps:
                        _commit_best(S, sc, fs)
                        sc[STALL] = 0
        for k in range(min(sc[NLOG], len(log))):
            op = log[k]
            v = op - 1 if op > 0 else -op - 1
            if not insol[v]:
                age[v] = it
        if fs[CURW] < fs[BESTW] - eps:
            sc[BELOW] += 1
            if walk_len > 0 and sc[BELOW] > walk_len:
                _restore_best(indptr, indices, w, allowed, S, F, sc, fs, log)
                sc[BELOW] = 0
                sc[RESTORES] += 1
        else:
            sc[BELOW] = 0
    return done
