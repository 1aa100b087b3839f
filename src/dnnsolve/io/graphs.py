"""Graph readers and writers: Gset, DIMACS (edge/col/clq), edge lists, CNF → MIS graph.

Every reader returns a :class:`~dnnsolve.graph.Graph` whose ``ids`` are the vertex
labels of the input file and whose ``name`` is the file stem. Malformed input
raises :class:`~dnnsolve.core.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.result import atomic_write_text
from ..graph import MAX_VERTICES, Graph
from ._text import (
    Row,
    check_range,
    check_vertex_count,
    data_rows,
    float_column,
    int_column,
    plain_suffix,
    read_text,
    stem,
    text_lines,
)

FORMATS = ("gset", "dimacs", "edgelist", "cnf")

_EXT_FORMAT = {
    ".gset": "gset",
    ".col": "dimacs",
    ".clq": "dimacs",
    ".dimacs": "dimacs",
    ".edges": "edgelist",
    ".edgelist": "edgelist",
    ".el": "edgelist",
    ".cnf": "cnf",
}


def read_graph(path: str | os.PathLike, format: str | None = None) -> Graph:
    """Read a graph file; ``format`` is one of :data:`FORMATS` or guessed.

    The format is guessed from the extension (``.gz`` variants included) and
    otherwise from the first non-comment line. CNF files give the MIS graph of
    :func:`dnnsolve.io.cnf.cnf_to_mis_graph`.

    >>> from dnnsolve.data import example_path
    >>> g = read_graph(example_path("maxcut_example"))
    >>> g.n, g.m, g.ids[:3].tolist()
    (100, 126, [1, 2, 3])
    """
    p, text = read_text(path)
    if format is not None:
        fmt = format.lower().lstrip(".")
        fmt = _EXT_FORMAT.get("." + fmt, fmt)  # "col", "clq", "el", ... as aliases
    else:
        fmt = detect_format(p, text)
    if fmt == "gset":
        g = _parse_gset(p, text)
    elif fmt == "dimacs":
        g = _parse_dimacs(p, text)
    elif fmt == "edgelist":
        g = _parse_edgelist(p, text)
    elif fmt == "cnf":
        from .cnf import cnf_to_mis_graph, parse_cnf

        g = cnf_to_mis_graph(parse_cnf(p, text))
    else:
        raise InputError(f"unknown graph format {format!r}; expected one of {', '.join(FORMATS)}")
    g.name = stem(p)
    g.meta["format"] = fmt
    g.meta["path"] = str(p)
    return g


def detect_format(path: Path, text: str) -> str:
    """Guess the format from the extension, then from the first data line."""
    ext = plain_suffix(path)
    if ext in _EXT_FORMAT:
        return _EXT_FORMAT[ext]
    first = _first_rows(text, 2)
    if not first:
        raise InputError("empty file", str(path), 1)
    toks = first[0][1]
    if ext == ".txt" and len(toks) == 2 and all(_isint(t) for t in toks):
        return "gset"
    head = toks[0].lower()
    if head == "p":
        return "cnf" if len(toks) > 1 and toks[1].lower() == "cnf" else "dimacs"
    if head in ("e", "n"):
        return "dimacs"
    if len(toks) == 2 and all(_isint(t) for t in toks):
        # "n m" header followed by weighted rows, or a header whose m matches the row count
        if len(first) > 1 and len(first[1][1]) == 3:
            return "gset"
        n_rows = len(data_rows(text, ("#", "%")))
        if n_rows - 1 == int(toks[1]):
            return "gset"
    return "edgelist"


def _isint(tok: str) -> bool:
    try:
        int(tok)
    except ValueError:
        return False
    return True


def _first_rows(text: str, k: int) -> list[Row]:
    rows: list[Row] = []
    for i, line in enumerate(text_lines(text), 1):
        toks = line.split()
        if not toks or toks[0].startswith(("#", "%")) or toks[0].lower() == "c":
            continue
        rows.append((i, toks))
        if len(rows) == k:
            break
    return rows


def _check_widths(rows: list[Row], lo: int, hi: int, path: Path, what: str) -> None:
    for lineno, toks in rows:
        if not lo <= len(toks) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise InputError(
                f"{what} line must have {want} fields, found {len(toks)}", str(path), lineno
            )


def _edges_from_columns(
    rows: list[Row], n: int, path: Path, ucol: int, wcol: int | None, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1-based ``u v [w]`` columns → 0-based (u, v, w) with range and loop checks."""
    u = int_column(rows, ucol, path, "vertex id")
    v = int_column(rows, ucol + 1, path, "vertex id")
    check_range(u, 1, n, rows, path, "vertex id")
    check_range(v, 1, n, rows, path, "vertex id")
    loops = u == v
    if loops.any():
        k = int(np.argmax(loops))
        raise InputError(f"self-loop on vertex {int(u[k])}", str(path), rows[k][0])
    if wcol is None:
        w = np.ones(len(rows))
    else:
        has_w = np.fromiter((len(t) > wcol for _, t in rows), bool, len(rows))
        w = np.ones(len(rows))
        if has_w.any():
            wrows = [r for r, h in zip(rows, has_w) if h]
            w[has_w] = float_column(wrows, wcol, path, f"{what} weight")
    return u - 1, v - 1, w


#: bytes per vertex of the arrays a reader allocates (int64 ids; float64 vertex weights)
_ID_BYTES = 8


def _parse_gset(path: Path, text: str) -> Graph:
    rows = data_rows(text, ("#", "%"))
    if not rows:
        raise InputError("empty file", str(path), 1)
    head_line, head = rows[0]
    if len(head) != 2 or not all(_isint(t) for t in head):
        raise InputError("Gset header must be two integers 'n m'", str(path), head_line)
    n, m = int(head[0]), int(head[1])
    if n < 0 or m < 0:
        raise InputError("n and m must be non-negative", str(path), head_line)
    body = rows[1:]
    if len(body) != m:
        where = body[m][0] if len(body) > m else (body[-1][0] if body else head_line)
        raise InputError(
            f"header says m={m} edges but the file has {len(body)} edge lines",
            str(path),
            where,
        )
    check_vertex_count(n, MAX_VERTICES, _ID_BYTES, path, head_line)
    _check_widths(body, 2, 3, path, "Gset edge")
    u, v, w = _edges_from_columns(body, n, path, 0, 2, "edge")
    g = Graph.from_edges(n, np.stack([u, v], 1), w, ids=np.arange(1, n + 1), merge="sum")
    g.meta["duplicate_edges"] = m - g.m
    return g


def _parse_dimacs(path: Path, text: str) -> Graph:
    rows = data_rows(text, ("c", "C", "#", "%"))
    # "c" prefix also hides a line starting with e.g. "col": fine, DIMACS has no such tag
    if not rows:
        raise InputError("empty file (no 'p' line)", str(path), 1)
    head_line, head = rows[0]
    if head[0].lower() != "p":
        raise InputError(f"missing 'p edge n m' line before {head[0]!r}", str(path), head_line)
    if len(head) != 4 or not (_isint(head[2]) and _isint(head[3])):
        raise InputError("DIMACS header must be 'p edge n m'", str(path), head_line)
    if head[1].lower() == "cnf":
        raise InputError("this is a CNF file; use format='cnf'", str(path), head_line)
    n, m = int(head[2]), int(head[3])
    if n < 0 or m < 0:
        raise InputError("n and m must be non-negative", str(path), head_line)
    erows: list[Row] = []
    nrows: list[Row] = []
    for r in rows[1:]:
        tag = r[1][0].lower()
        if tag == "e":
            erows.append(r)
        elif tag == "n":
            nrows.append(r)
        elif tag == "p":
            raise InputError("second 'p' line", str(path), r[0])
        else:
            raise InputError(f"unknown DIMACS line type {r[1][0]!r}", str(path), r[0])
    # both conventions for m (edge lines or unique edges) are at most the 'e' lines present
    if m > len(erows):
        raise InputError(
            f"header says m={m} edges but the file has {len(erows)} 'e' lines",
            str(path),
            head_line,
        )
    check_vertex_count(n, MAX_VERTICES, _ID_BYTES * (2 if nrows else 1), path, head_line)
    _check_widths(erows, 3, 4, path, "DIMACS 'e'")
    u, v, w = _edges_from_columns(erows, n, path, 1, 3, "edge")
    node_weight = None
    if nrows:
        _check_widths(nrows, 3, 3, path, "DIMACS 'n'")
        vid = int_column(nrows, 1, path, "vertex id")
        check_range(vid, 1, n, nrows, path, "vertex id")
        node_weight = np.ones(n)
        node_weight[vid - 1] = float_column(nrows, 2, path, "vertex weight")
    g = Graph.from_edges(
        n,
        np.stack([u, v], 1),
        w,
        node_weight=node_weight,
        ids=np.arange(1, n + 1),
        merge="first",  # SGB-derived files list every edge twice
    )
    # m may count edge lines or unique edges (both conventions exist)
    if m not in (len(erows), g.m):
        where = erows[m][0]  # m < len(erows): checked above
        raise InputError(
            f"header says m={m} edges but the file has {len(erows)} 'e' lines",
            str(path),
            where,
        )
    g.meta["duplicate_edges"] = len(erows) - g.m
    return g


def _parse_edgelist(path: Path, text: str) -> Graph:
    rows = data_rows(text, ("#", "%"))
    if not rows:
        raise InputError("empty file (no edges)", str(path), 1)
    _check_widths(rows, 2, 3, path, "edge list")
    a = [t[0] for _, t in rows]
    b = [t[1] for _, t in rows]
    labels: np.ndarray
    try:
        ia = np.array(a, dtype=np.int64)
        ib = np.array(b, dtype=np.int64)
        labels, inv = np.unique(np.concatenate([ia, ib]), return_inverse=True)
    except (ValueError, OverflowError):
        # string labels: keep first-appearance order
        index: dict[str, int] = {}
        inv_list = [index.setdefault(t, len(index)) for pair in zip(a, b) for t in pair]
        inv2 = np.array(inv_list, dtype=np.int64).reshape(-1, 2)
        labels = np.empty(len(index), dtype=object)
        labels[:] = list(index)
        inv = np.concatenate([inv2[:, 0], inv2[:, 1]])
    k = len(rows)
    u, v = inv[:k], inv[k:]
    loops = u == v
    if loops.any():
        i = int(np.argmax(loops))
        raise InputError(f"self-loop on vertex {rows[i][1][0]!r}", str(path), rows[i][0])
    w = np.ones(k)
    has_w = np.fromiter((len(t) == 3 for _, t in rows), bool, k)
    if has_w.any():
        w[has_w] = float_column([r for r, h in zip(rows, has_w) if h], 2, path, "edge weight")
    g = Graph.from_edges(len(labels), np.stack([u, v], 1), w, ids=labels, merge="first")
    g.meta["duplicate_edges"] = k - g.m
    return g


def from_networkx(g, name: str = "networkx") -> Graph:
    """Convert a NetworkX graph; node labels become ``ids``.

    Edge attribute ``weight`` gives edge weights (default 1); node attribute
    ``weight``, if any node has it, gives vertex weights (default 1).
    Multigraph parallel edges are summed; directed graphs are made undirected.

    >>> import networkx as nx
    >>> g = from_networkx(nx.path_graph(["a", "b", "c"]), name="path")
    >>> g.n, g.m, list(g.ids)
    (3, 2, ['a', 'b', 'c'])
    """
    nodes = list(g.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    edges, weights = [], []
    for u, v, d in g.edges(data=True):
        if u == v:
            raise InputError(f"self-loop on vertex {u!r} in NetworkX graph {name!r}")
        edges.append((index[u], index[v]))
        weights.append(d.get("weight", 1.0))
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"non-numeric edge weight in NetworkX graph {name!r}") from None
    node_weight = None
    if any("weight" in d for _, d in g.nodes(data=True)):
        try:
            node_weight = np.array(
                [d.get("weight", 1.0) for _, d in g.nodes(data=True)], dtype=np.float64
            )
        except (TypeError, ValueError):
            raise InputError(f"non-numeric node weight in NetworkX graph {name!r}") from None
    if nodes and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in nodes):
        ids = np.array(nodes, dtype=np.int64)
    else:
        ids = np.empty(len(nodes), dtype=object)
        ids[:] = nodes
    merge = "sum" if g.is_multigraph() else "first"
    return Graph.from_edges(
        len(nodes),
        np.asarray(edges, dtype=np.int64).reshape(-1, 2),
        w,
        node_weight=node_weight,
        ids=ids,
        name=name,
        merge=merge,
    )


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))


def _fmt_weights(w: np.ndarray) -> list[str]:
    if np.all(w == np.round(w)) and np.all(np.abs(w) < 2**53):
        return [str(int(x)) for x in w]
    return [repr(float(x)) for x in w]


def write_gset(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` in Gset format (vertices renumbered 1..n, weights kept).

    >>> import tempfile, pathlib
    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)], [1.0, -1.0])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.gset"
    >>> write_gset(g, p); p.read_text().splitlines()
    ['3 2', '1 2 1', '2 3 -1']
    """
    ws = _fmt_weights(graph.weight)
    lines = [f"{graph.n} {graph.m}"]
    lines += [
        f"{u} {v} {w}" for u, v, w in zip((graph.src + 1).tolist(), (graph.dst + 1).tolist(), ws)
    ]
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_dimacs(graph: Graph, path: str | os.PathLike, comment: str | None = None) -> None:
    """Write ``graph`` as DIMACS ``p edge`` (weights as a 4th field when weighted,
    vertex weights as ``n v w`` lines when not all 1)."""
    lines = [f"c {comment or graph.name}"]
    lines.append(f"p edge {graph.n} {graph.m}")
    if graph.vertex_weighted:
        lines += [f"n {i + 1} {_fmt_num(w)}" for i, w in enumerate(graph.node_weight.tolist())]
    us, vs = (graph.src + 1).tolist(), (graph.dst + 1).tolist()
    if graph.weighted:
        lines += [f"e {u} {v} {w}" for u, v, w in zip(us, vs, _fmt_weights(graph.weight))]
    else:
        lines += [f"e {u} {v}" for u, v in zip(us, vs)]
    atomic_write_text(path, "\n".join(lines) + "\n")
