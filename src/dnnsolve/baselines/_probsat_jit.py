"""The compiled loop of :func:`dnnsolve.baselines.sat.probsat` (imported on first use: numba).

One probSAT walker over CSR arrays: clause literals (``cptr``, ``clits`` as literal indices
``2 v + negated``), occurrence lists per literal index (``optr``, ``oidx``), the assignment
``a`` (int8 per variable, index 0 unused), the true-literal count per clause, and the list of
falsified clauses with each clause's slot in it (O(1) removal). The state lives in the arrays,
so a run is a series of calls of a bounded number of flips each, the caller checking the clock
in between. Random numbers: :mod:`dnnsolve.search._random_jit`, the stream kept in ``rng``.
"""

import numba
import numpy as np

from ..search._random_jit import uniform

_jit = numba.njit(cache=True, nogil=True)


@_jit
def start(cptr, clits, a, numtrue, unsat, where):
    """Count the true literals of each clause and list the falsified ones; their number."""
    m = len(cptr) - 1
    count = 0
    for j in range(m):
        t = 0
        for k in range(cptr[j], cptr[j + 1]):
            lit = clits[k]
            if a[lit >> 1] == 1 - (lit & 1):
                t += 1
        numtrue[j] = t
        where[j] = -1
        if t == 0:
            where[j] = count
            unsat[count] = j
            count += 1
    return count


@_jit
def walk(cptr, clits, optr, oidx, a, numtrue, unsat, where, nunsat, rng, table, flips, best_a):
    """Up to ``flips`` probSAT flips (fewer once every clause is satisfied). ``nunsat`` (a
    one-element array) is the number of falsified clauses, kept up to date; ``best_a`` gets
    the assignment with the fewest falsified clauses seen, whose count is returned with the
    flips made."""
    best = nunsat[0]
    best_a[:] = a
    done = 0
    longest = 1
    for j in range(len(cptr) - 1):
        longest = max(longest, cptr[j + 1] - cptr[j])
    probs = np.empty(longest, dtype=np.float64)
    ntab = len(table)
    while done < flips and nunsat[0] > 0:
        j = unsat[int(uniform(rng) * nunsat[0])]
        lo, hi = cptr[j], cptr[j + 1]
        total = 0.0
        for k in range(lo, hi):
            v = clits[k] >> 1
            true_lit = 2 * v + (1 - a[v])  # the literal of v that is true now
            brk = 0
            for q in range(optr[true_lit], optr[true_lit + 1]):
                if numtrue[oidx[q]] == 1:
                    brk += 1
            p = table[brk] if brk < ntab else 0.0
            probs[k - lo] = p
            total += p
        r = uniform(rng) * total
        k = lo
        while k < hi - 1 and r >= probs[k - lo]:
            r -= probs[k - lo]
            k += 1
        v = clits[k] >> 1
        tlit = 2 * v + (1 - a[v])
        flit = tlit ^ 1
        a[v] = 1 - a[v]
        done += 1
        for q in range(optr[tlit], optr[tlit + 1]):
            c = oidx[q]
            numtrue[c] -= 1
            if numtrue[c] == 0:
                where[c] = nunsat[0]
                unsat[nunsat[0]] = c
                nunsat[0] += 1
        for q in range(optr[flit], optr[flit + 1]):
            c = oidx[q]
            numtrue[c] += 1
            if numtrue[c] == 1:
                i = where[c]
                nunsat[0] -= 1
                last = unsat[nunsat[0]]
                if last != c:
                    unsat[i] = last
                    where[last] = i
                where[c] = -1
        if nunsat[0] < best:
            best = nunsat[0]
            best_a[:] = a
    return done, best
