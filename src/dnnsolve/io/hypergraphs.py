"""Hypergraph readers and writers: the HypOp text format and hMETIS (``.hgr``).

* **HypOp** (``Hyp_<n>_<m>.txt`` in the HypOp repository): line 1 ``n m``, then
  one hyperedge per line, as 1-based vertex ids separated by spaces. As in
  HypOp's reader every line counts even when their number differs from ``m``
  (HypOp's APS file does); the header's ``m`` is then kept in ``meta["header_m"]``.
* **hMETIS**: line 1 ``m n [fmt]``; ``fmt`` 1 puts a weight before the
  vertices of every hyperedge line, 10 adds ``n`` vertex-weight lines after the
  hyperedges, 11 both; 1-based ids; lines starting with ``%`` are comments.

Malformed input raises :class:`~dnnsolve.core.errors.InputError` naming the file
and line; both readers also skip ``#`` / ``%`` comment lines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..core.result import atomic_write_text
from ..graph import MAX_VERTICES
from ..hypergraph import Hypergraph, hypergraph_from_edge_lists
from ._text import Row, check_vertex_count, data_rows, plain_suffix, read_text, stem

HYPERGRAPH_FORMATS = ("hypop", "hmetis")

_EXT_FORMAT = {".hgr": "hmetis", ".hmetis": "hmetis", ".hypop": "hypop"}


def read_hypergraph(path: str | os.PathLike, format: str | None = None) -> Hypergraph:
    """Read a hypergraph file; ``format`` is ``"hypop"``, ``"hmetis"`` or guessed.

    The guess uses the extension (``.hgr`` → hMETIS), then the header: three
    numbers mean hMETIS; with two, the one that matches the number of
    hyperedge lines is m (HypOp writes ``n m``, hMETIS ``m n``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "h.txt"
    >>> _ = p.write_text("4 2\\n1 2 3\\n3 4\\n")
    >>> h = read_hypergraph(p)
    >>> h.n, h.m, h.edges(), h.meta["format"]
    (4, 2, [[0, 1, 2], [2, 3]], 'hypop')
    """
    p, text = read_text(path)
    rows = data_rows(text, ("#", "%"))
    if not rows:
        raise InputError("empty file (no header line)", str(p), 1)
    if format is not None:
        fmt = format.lower().lstrip(".")
        fmt = _EXT_FORMAT.get("." + fmt, fmt)
        if fmt not in HYPERGRAPH_FORMATS:
            raise InputError(
                f"unknown hypergraph format {format!r}; expected one of "
                + ", ".join(HYPERGRAPH_FORMATS)
            )
    else:
        fmt = detect_hypergraph_format(p, rows)
    hg = _parse_hmetis(p, rows) if fmt == "hmetis" else _parse_hypop(p, rows)
    hg.name = stem(p)
    hg.meta.update(format=fmt, path=str(p))
    return hg


def detect_hypergraph_format(path: Path, rows: list[Row]) -> str:
    """``"hmetis"`` or ``"hypop"`` from the extension and the header line."""
    ext = plain_suffix(path)
    if ext in _EXT_FORMAT:
        return _EXT_FORMAT[ext]
    head = rows[0][1]
    if len(head) == 3 and all(_isint(t) for t in head):
        return "hmetis"
    if len(head) == 2 and all(_isint(t) for t in head):
        body = len(rows) - 1
        if body == int(head[0]) and body != int(head[1]):
            return "hmetis"
    return "hypop"


def _isint(tok: str) -> bool:
    try:
        int(tok)
    except ValueError:
        return False
    return True


def _header(path: Path, row: Row, k_min: int, k_max: int, what: str) -> list[int]:
    lineno, toks = row
    if not k_min <= len(toks) <= k_max or not all(_isint(t) for t in toks):
        raise InputError(f"{what} header must be {_header_text(what)}", str(path), lineno)
    vals = [int(t) for t in toks]
    if any(v < 0 for v in vals[:2]):
        raise InputError("header counts must be non-negative", str(path), lineno)
    return vals


def _header_text(what: str) -> str:
    return "'n m'" if what == "HypOp" else "'m n [fmt]' (fmt 0, 1, 10 or 11)"


def _check_count(path: Path, rows: list[Row], want: int, head_line: int, what: str) -> None:
    if len(rows) != want:
        where = rows[want][0] if len(rows) > want else (rows[-1][0] if rows else head_line)
        raise InputError(
            f"header says {want} {what} but the file has {len(rows)}", str(path), where
        )


def _vertex_lists(
    path: Path, rows: list[Row], n: int, skip: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1-based vertex tokens of each row (after ``skip`` leading tokens) → CSR, 0-based."""
    sizes = np.fromiter((len(t) - skip for _, t in rows), np.int64, len(rows))
    if len(rows) and sizes.min() < 1:
        k = int(np.argmin(sizes))
        raise InputError("hyperedge has no vertices", str(path), rows[k][0])
    flat = [tok for _, t in rows for tok in t[skip:]]
    try:
        verts = np.array(flat, dtype=np.int64) if flat else np.zeros(0, np.int64)
    except (ValueError, OverflowError):
        for lineno, t in rows:
            for tok in t[skip:]:
                if not _isint(tok):
                    raise InputError(
                        f"vertex id {tok!r} is not an integer", str(path), lineno
                    ) from None
        raise  # pragma: no cover
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    bad = (verts < 1) | (verts > n)
    if bad.any():
        k = int(np.argmax(bad))
        row = int(np.searchsorted(ptr, k, side="right")) - 1
        raise InputError(
            f"vertex id {int(verts[k])} out of range [1, {n}]", str(path), rows[row][0]
        )
    verts -= 1
    # repeated vertex inside one hyperedge
    edge = np.repeat(np.arange(len(rows)), sizes)
    key = edge * max(n, 1) + verts
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(np.diff(key[order]) == 0)
    if len(dup):
        e = int(edge[order[dup[0]]])
        v = int(verts[order[dup[0]]]) + 1
        raise InputError(f"vertex {v} repeated in a hyperedge", str(path), rows[e][0])
    return ptr, verts, sizes


def _check_n(path: Path, head_line: int, n: int, m: int, weighted: bool) -> None:
    """The header's n against the index types (incidences are keyed edge·n + vertex in
    int64) and the memory of the reader's per-vertex arrays, before any exist."""
    limit = min(MAX_VERTICES, (2**63 - 1) // max(m, 1))
    check_vertex_count(n, limit, 16 if weighted else 8, path, head_line)


def _parse_hypop(path: Path, rows: list[Row]) -> Hypergraph:
    n, m = _header(path, rows[0], 2, 2, "HypOp")
    body = rows[1:]
    _check_n(path, rows[0][0], n, len(body), False)
    # HypOp's own reader ignores m (its APS file says 1647 and has 1584 lines): keep all lines
    ptr, verts, _ = _vertex_lists(path, body, n, 0)
    hg = Hypergraph(n, ptr, verts, np.ones(len(body)), ids=np.arange(1, n + 1))
    if len(body) != m:
        hg.meta["header_m"] = m
    return hg


def _parse_hmetis(path: Path, rows: list[Row]) -> Hypergraph:
    head_line = rows[0][0]
    vals = _header(path, rows[0], 2, 3, "hMETIS")
    m, n = vals[0], vals[1]
    fmt = vals[2] if len(vals) == 3 else 0
    if fmt not in (0, 1, 10, 11):
        raise InputError(f"unknown hMETIS fmt {fmt}; expected 0, 1, 10 or 11", str(path), head_line)
    edge_w, vertex_w = fmt in (1, 11), fmt in (10, 11)
    want = m + (n if vertex_w else 0)
    _check_count(path, rows[1:], want, head_line, "data lines (hyperedges + vertex weights)")
    _check_n(path, head_line, n, m, vertex_w)
    erows = rows[1 : 1 + m]
    weights = np.ones(m)
    if edge_w:
        for i, (lineno, toks) in enumerate(erows):
            weights[i] = _number(path, lineno, toks[0], "hyperedge weight")
    ptr, verts, _ = _vertex_lists(path, erows, n, 1 if edge_w else 0)
    node_w = None
    if vertex_w:
        node_w = np.ones(n)
        for i, (lineno, toks) in enumerate(rows[1 + m :]):
            if len(toks) != 1:
                raise InputError(
                    f"vertex weight line must have 1 field, found {len(toks)}", str(path), lineno
                )
            node_w[i] = _number(path, lineno, toks[0], "vertex weight")
    hg = Hypergraph(n, ptr, verts, weights, ids=np.arange(1, n + 1), node_weight=node_w)
    hg.meta["hmetis_fmt"] = fmt
    return hg


def _number(path: Path, lineno: int, tok: str, what: str) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise InputError(f"{what} {tok!r} is not a number", str(path), lineno) from None
    if not np.isfinite(v):
        raise InputError(f"{what} {tok!r} is not finite", str(path), lineno)
    return v


def write_hypop(path: str | os.PathLike, hg: Hypergraph) -> None:
    """Write ``hg`` in the HypOp format (weights are dropped: the format has none)."""
    lines = [f"{hg.n} {hg.m}"]
    lines += [" ".join(str(v + 1) for v in hg.edge(e).tolist()) for e in range(hg.m)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_hmetis(path: str | os.PathLike, hg: Hypergraph) -> None:
    """Write ``hg`` in hMETIS format (fmt 1, with edge weights, when weights are not all 1).

    >>> import tempfile, pathlib
    >>> h = Hypergraph.from_edges(3, [(0, 1), (1, 2)], weights=[2, 1])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "h.hgr"
    >>> write_hmetis(p, h)
    >>> read_hypergraph(p).weight.tolist()
    [2.0, 1.0]
    """
    weighted = not np.all(hg.weight == 1)
    lines = [f"{hg.m} {hg.n}" + (" 1" if weighted else "")]
    for e in range(hg.m):
        vs = " ".join(str(v + 1) for v in hg.edge(e).tolist())
        w = hg.weight[e]
        lines.append((f"{int(w) if float(w).is_integer() else w!r} " if weighted else "") + vs)
    atomic_write_text(path, "\n".join(lines) + "\n")


def load_hypergraph(instance: Any, format: str | None = None) -> Hypergraph:
    """The hypermaxcut loader: a :class:`Hypergraph`, a path, or a list of hyperedges.

    A list of hyperedges uses its own vertex labels (kept as ``ids``).

    >>> load_hypergraph([[1, 2, 3], [3, 4]]).m
    2
    """
    if isinstance(instance, Hypergraph):
        return instance
    if isinstance(instance, (str, os.PathLike)):
        return read_hypergraph(Path(instance), format=format)
    if isinstance(instance, (list, tuple)):
        try:
            return hypergraph_from_edge_lists(instance)
        except (TypeError, ValueError) as exc:
            raise InputError(f"cannot read the hyperedge list: {exc}") from None
    raise InputError(f"cannot use an instance of type {type(instance).__name__} as a hypergraph")
