"""The compiled loops of :mod:`dnnsolve.search.mis_greedy` (imported on first use: numba).

Each row keeps an indexed binary min-heap of its candidate vertices (``heap`` holds
vertices, ``pos`` their slots or -1, ``key`` their current keys); ties go to the
smaller vertex index, so the order is total and the result deterministic.
"""

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _before(key, a, b):
    return key[a] < key[b] or (key[a] == key[b] and a < b)


@_jit
def _sift_up(heap, pos, key, i):
    v = heap[i]
    while i > 0:
        p = (i - 1) >> 1
        u = heap[p]
        if not _before(key, v, u):
            break
        heap[i] = u
        pos[u] = i
        i = p
    heap[i] = v
    pos[v] = i


@_jit
def _sift_down(heap, pos, key, i, size):
    v = heap[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and _before(key, heap[c + 1], heap[c]):
            c += 1
        u = heap[c]
        if not _before(key, u, v):
            break
        heap[i] = u
        pos[u] = i
        i = c
    heap[i] = v
    pos[v] = i


@_jit
def _pop(heap, pos, key, size):
    """Remove and return the smallest vertex; the caller passes the size before."""
    v = heap[0]
    pos[v] = -1
    last = heap[size - 1]
    if size > 1:
        heap[0] = last
        pos[last] = 0
        _sift_down(heap, pos, key, 0, size - 1)
    return v


@_jit
def _remove(heap, pos, key, v, size):
    """Remove ``v`` (in the heap); the caller passes the size before."""
    i = pos[v]
    pos[v] = -1
    last = heap[size - 1]
    if i == size - 1:
        return
    heap[i] = last
    pos[last] = i
    _sift_up(heap, pos, key, i)
    _sift_down(heap, pos, key, pos[last], size - 1)


@_jit
def _heapify(heap, pos, key, size):
    for i in range(size):
        pos[heap[i]] = i
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, pos, key, i, size)


@_jit
def fill_rows(indptr, indices, w, z, allowed, noise):
    B, n = z.shape
    free = np.zeros(n, dtype=np.bool_)
    deg = np.zeros(n, dtype=np.int64)
    key = np.zeros(n)
    heap = np.zeros(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    for b in range(B):
        for v in range(n):
            ok = allowed[b, v] and not z[b, v]
            if ok:
                for i in range(indptr[v], indptr[v + 1]):
                    if z[b, indices[i]]:
                        ok = False
                        break
            free[v] = ok
        size = 0
        for v in range(n):
            if free[v]:
                d = 0
                for i in range(indptr[v], indptr[v + 1]):
                    if free[indices[i]]:
                        d += 1
                deg[v] = d
                key[v] = (d + 1.0) / w[v] * (1.0 + 1e-3 * noise[b, v])
                heap[size] = v
                size += 1
        _heapify(heap, pos, key, size)
        while size > 0:
            v = _pop(heap, pos, key, size)
            size -= 1
            z[b, v] = True
            free[v] = False
            for i in range(indptr[v], indptr[v + 1]):
                u = indices[i]
                if not free[u]:
                    continue
                free[u] = False  # next to the set now: its free neighbours lose a degree
                _remove(heap, pos, key, u, size)
                size -= 1
                for j in range(indptr[u], indptr[u + 1]):
                    t = indices[j]
                    if free[t]:
                        deg[t] -= 1
                        key[t] = (deg[t] + 1.0) / w[t] * (1.0 + 1e-3 * noise[b, t])
                        _sift_up(heap, pos, key, pos[t])


@_jit
def drop_rows(indptr, indices, w, z, noise):
    B, n = z.shape
    cnt = np.zeros(n, dtype=np.int64)
    key = np.zeros(n)
    heap = np.zeros(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    for b in range(B):
        size = 0
        for v in range(n):
            c = 0
            if z[b, v]:
                for i in range(indptr[v], indptr[v + 1]):
                    if z[b, indices[i]]:
                        c += 1
            cnt[v] = c
            if c > 0:  # the most conflicted per unit weight leaves first: a min-heap of -priority
                key[v] = -(c / w[v]) * (1.0 + 1e-3 * noise[b, v])
                heap[size] = v
                size += 1
        _heapify(heap, pos, key, size)
        while size > 0:
            v = _pop(heap, pos, key, size)
            size -= 1
            z[b, v] = False
            for i in range(indptr[v], indptr[v + 1]):
                u = indices[i]
                if not z[b, u]:
                    continue
                cnt[u] -= 1
                if cnt[u] == 0:
                    _remove(heap, pos, key, u, size)
                    size -= 1
                else:
                    key[u] = -(cnt[u] / w[u]) * (1.0 + 1e-3 * noise[b, u])
                    _sift_down(heap, pos, key, pos[u], size)
