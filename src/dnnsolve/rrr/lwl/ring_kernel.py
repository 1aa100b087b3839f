"""Compiled RRR kernel for the cyclic autoencoder with one code layer (LWL §6.3.1).

The ring has data nodes (``nd``) and code nodes (``nc``); the encoder E has an edge from
every data node to every code node, the decoder D one back. K = K_d + K_c items: data items
clamp the data nodes, code items the code nodes; every other node carries the gapped step
activation (x = 0 with y - b <= -margin, or x = 1 with y - b >= margin), every clamped node
the same bound with its x fixed. The state of one restart, per item k:

- ``xe[k, j, i]``, ``we[k, j, i]``: copies on the E edge i -> j of data node i's output and
  of the weight; ``xd[k, i, j]``, ``wd[k, i, j]`` likewise on the D edge j -> i;
- ``yc[k, j]``, ``bc[k, j]`` at code node j; ``yd[k, i]``, ``bd[k, i]`` at data node i;
- ``tc``, ``td``: the last bilinear multipliers (Newton starts), not part of the iterate.

One iteration is x <- x + beta [P_B(2 P_A x - x) - P_A x] with, as in :class:`~.cyclic.CyclicDC`
(the same projections as the torch path): A = weight copies agree with rows of norm Omega,
node copies agree and meet the activation or the clamp; B = x . w = Omega y per (item,
neuron) with metric weight g = out-degree on y, biases agree. The torch classes are the
reference; this loop is the same arithmetic without a Python step per operation.
"""

from __future__ import annotations

import math

import numpy as np

from .nmf_kernel import FAST_MATH, bilinear_root, njit


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _rows_to_sphere(w, omega, out):  # pragma: no cover - compiled
    """out[j] = mean_k w[k, j] rescaled to norm omega (row j = neuron j's incoming weights)."""
    kk, n_out, n_in = w.shape
    for j in range(n_out):
        nrm = 0.0
        for i in range(n_in):
            s = 0.0
            for k in range(kk):
                s += w[k, j, i]
            out[j, i] = s / kk
            nrm += out[j, i] * out[j, i]
        if nrm > 0.0:
            f = omega / math.sqrt(nrm)
            for i in range(n_in):
                out[j, i] *= f
        else:
            out[j, 0] = omega


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _node(xbar, y, b, clamp, margin, out, k, i):  # pragma: no cover - compiled
    """P_A at one node: (x, y, b) nearest with x in {0, 1} (x = ``clamp`` when >= 0) and the
    gap |y - b| >= margin on the side of x; writes out[0..2, k, i]."""
    s0 = 0.5 * (y - b + margin)  # move needed for x = 0 (y - b <= -margin)
    s1 = 0.5 * (y - b - margin)  # for x = 1 (y - b >= margin)
    d0 = xbar * xbar + (2.0 * s0 * s0 if s0 > 0.0 else 0.0)
    d1 = (1.0 - xbar) * (1.0 - xbar) + (2.0 * s1 * s1 if s1 < 0.0 else 0.0)
    one = d1 < d0 if clamp < 0.0 else clamp > 0.5
    if one:
        s = s1 if s1 < 0.0 else 0.0
        out[0, k, i] = 1.0
    else:
        s = s0 if s0 > 0.0 else 0.0
        out[0, k, i] = 0.0
    out[1, k, i] = y - s
    out[2, k, i] = b + s


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _nodes_a(xs, y, b, clamps, kd, clamp_data, margin, out):  # pragma: no cover - compiled
    """P_A of the nodes of one side: ``xs[k, r, i]`` the out-edge copies of node i, ``clamps``
    the values of the items that clamp this side (items < kd when ``clamp_data``)."""
    kk, n_recv, n = xs.shape
    for k in range(kk):
        clamped = (k < kd) if clamp_data else (k >= kd)
        for i in range(n):
            if clamped:
                c = clamps[k if clamp_data else k - kd, i]
                _node(c, y[k, i], b[k, i], c, margin, out, k, i)
            else:
                s = 0.0
                for r in range(n_recv):
                    s += xs[k, r, i]
                _node(s / n_recv, y[k, i], b[k, i], -1.0, margin, out, k, i)


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _layer_update(x, w, y, b, t, xa_in, wa, ya, ba, b_bar, omega, g, beta):  # pragma: no cover
    """B on the reflected point and the RRR update for the edges into one side.

    ``x, w`` (K, n_out, n_in) edge copies, ``y, b, t`` (K, n_out) the receivers; ``xa_in``
    (K, n_in) the senders' A values, ``wa`` (n_out, n_in), ``ya, ba`` (K, n_out) the A values
    of the receivers, ``b_bar`` (n_out) the B-side bias (mean of the reflected biases).
    Returns the squared gap of these coordinates.
    """
    kk, n_out, n_in = x.shape
    xr = np.empty(n_in)
    wr = np.empty(n_in)
    a = omega * omega / g
    g2 = 0.0
    for k in range(kk):
        for j in range(n_out):
            p = 0.0
            q = 0.0
            for i in range(n_in):
                xr[i] = 2.0 * xa_in[k, i] - x[k, j, i]
                wr[i] = 2.0 * wa[j, i] - w[k, j, i]
                p += xr[i] * wr[i]
                q += xr[i] * xr[i] + wr[i] * wr[i]
            yr = 2.0 * ya[k, j] - y[k, j]
            u = bilinear_root(p, q, a, omega * yr, t[k, j])
            t[k, j] = u
            inv = 1.0 / (1.0 - u * u)
            for i in range(n_in):
                dx = (xr[i] + u * wr[i]) * inv - xa_in[k, i]
                dw = (wr[i] + u * xr[i]) * inv - wa[j, i]
                x[k, j, i] += beta * dx
                w[k, j, i] += beta * dw
                g2 += dx * dx + dw * dw
            dy = yr - omega * u / g - ya[k, j]
            db = b_bar[j] - ba[k, j]
            y[k, j] += beta * dy
            b[k, j] += beta * db
            g2 += g * (dy * dy + db * db)
    return g2


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _reflected_bias(b, ba, out):  # pragma: no cover - compiled
    kk, n = b.shape
    for i in range(n):
        s = 0.0
        for k in range(kk):
            s += 2.0 * ba[k, i] - b[k, i]
        out[i] = s / kk


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def ring_consensus(
    xe, we, xd, wd, yc, bc, yd, bd, data, codes, omega, margin, pa
):  # pragma: no cover
    """P_A of the state into the work arrays ``pa`` = (WE, WD, node_d (3, K, nd), node_c)."""
    we_a, wd_a, node_d, node_c = pa
    kd = data.shape[0]
    _rows_to_sphere(we, omega, we_a)
    _rows_to_sphere(wd, omega, wd_a)
    _nodes_a(xe, yd, bd, data, kd, True, margin, node_d)  # data nodes feed the E edges
    _nodes_a(xd, yc, bc, codes, kd, False, margin, node_c)  # code nodes feed the D edges


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def reproduces(we_a, wd_a, bias_c, bias_d, data, codes, omega):  # pragma: no cover - compiled
    """(every data item comes back through D(E(x)), every code through E(D(z))), steps at 0."""
    nc, nd = we_a.shape
    h = np.empty(nc)
    o = np.empty(nd)
    ok_d = True
    for k in range(data.shape[0]):
        for j in range(nc):
            s = 0.0
            for i in range(nd):
                s += we_a[j, i] * data[k, i]
            h[j] = 1.0 if s / omega - bias_c[j] > 0.0 else 0.0
        for i in range(nd):
            s = 0.0
            for j in range(nc):
                s += wd_a[i, j] * h[j]
            if (1.0 if s / omega - bias_d[i] > 0.0 else 0.0) != data[k, i]:
                ok_d = False
    ok_c = True
    for k in range(codes.shape[0]):
        for i in range(nd):
            s = 0.0
            for j in range(nc):
                s += wd_a[i, j] * codes[k, j]
            o[i] = 1.0 if s / omega - bias_d[i] > 0.0 else 0.0
        for j in range(nc):
            s = 0.0
            for i in range(nd):
                s += we_a[j, i] * o[i]
            if (1.0 if s / omega - bias_c[j] > 0.0 else 0.0) != codes[k, j]:
                ok_c = False
    return ok_d, ok_c


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def ring_iterate(  # pragma: no cover - compiled
    xe, we, xd, wd, yc, bc, yd, bd, tc, td, data, codes, omega, margin, beta, n_iter, check_every
):
    """Up to ``n_iter`` RRR iterations in place; stops early when the read-off network
    (consensus weights, item-mean biases of P_A) reproduces every data item (checked every
    ``check_every`` iterations). Returns (iterations run, solved, last gap)."""
    kk, nc, nd = xe.shape
    pa = (np.empty((nc, nd)), np.empty((nd, nc)), np.empty((3, kk, nd)), np.empty((3, kk, nc)))
    we_a, wd_a, node_d, node_c = pa
    bbar_c, bbar_d = np.empty(nc), np.empty(nd)
    gap = np.inf
    for it in range(1, n_iter + 1):
        ring_consensus(xe, we, xd, wd, yc, bc, yd, bd, data, codes, omega, margin, pa)
        if (it - 1) % check_every == 0:
            for j in range(nc):
                bbar_c[j] = node_c[2, :, j].mean()
            for i in range(nd):
                bbar_d[i] = node_d[2, :, i].mean()
            if reproduces(we_a, wd_a, bbar_c, bbar_d, data, codes, omega)[0]:
                return it - 1, True, gap
        _reflected_bias(bc, node_c[2], bbar_c)
        _reflected_bias(bd, node_d[2], bbar_d)
        # edges into code nodes (E, g = out-degree of a code node = nd), into data nodes (D)
        g2 = _layer_update(
            xe, we, yc, bc, tc, node_d[0], we_a, node_c[1], node_c[2], bbar_c, omega, nd, beta
        )
        g2 += _layer_update(
            xd, wd, yd, bd, td, node_c[0], wd_a, node_d[1], node_d[2], bbar_d, omega, nc, beta
        )
        gap = math.sqrt(g2)
        if not math.isfinite(gap):
            return it, False, gap
    return n_iter, False, gap
