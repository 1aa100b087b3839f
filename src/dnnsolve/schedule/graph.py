"""Task graphs (DAGs) for stage scheduling: validation, readers and writers.

A :class:`TaskGraph` has ``n`` nodes with a resource weight each (``memory``, the
paper's node "parameter") and ``m`` directed edges ``src[e] → dst[e]`` with a
communication weight each (``comm``; the paper's edge flag). It is validated on
construction: endpoints in range, no self-loops, no cycles, finite non-negative
weights. Malformed input raises :class:`~dnnsolve.core.errors.InputError` with a
one-line message.

Formats:

* GML / GraphML (read through NetworkX): node attribute ``memory``, ``parameter``
  or ``weight`` (default 1), edge attribute ``comm``, ``parameter`` or ``weight``
  (default 1). The ICML'24 scheduler's ``graphgml/*.gml`` files read as they are.
* edge list (``.el``, ``.txt``, ``.edgelist``): one item per line, ``#`` comments::

      node ID MEMORY        # optional; nodes not declared have memory 1
      U V [COMM]            # an edge U → V (COMM defaults to 1)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core.errors import InputError

_NODE_KEYS = ("memory", "parameter", "weight", "mem", "resource")
_EDGE_KEYS = ("comm", "parameter", "weight", "communication")


@dataclass
class TaskGraph:
    """A validated DAG with node resources and edge communication weights.

    Nodes are 0..n-1 internally; ``ids`` keeps the names read from a file.
    ``level[v]`` is the length of the longest path ending at ``v`` (sources: 0);
    ``height[v]`` the length of the longest path starting at ``v``; ``depth`` = max
    level + 1 is the number of nodes on a longest path.

    >>> g = TaskGraph.from_edges(3, [(0, 1), (1, 2)], memory=[1, 2, 3])
    >>> g.depth, g.level.tolist(), g.total_memory
    (3, [0, 1, 2], 6.0)
    >>> TaskGraph.from_edges(2, [(0, 1), (1, 0)])
    Traceback (most recent call last):
    ...
    dnnsolve.core.errors.InputError: the graph has a cycle (through node 0)
    """

    n: int
    src: np.ndarray
    dst: np.ndarray
    memory: np.ndarray
    comm: np.ndarray
    ids: list[str] = field(default_factory=list)
    name: str = "dag"

    def __post_init__(self) -> None:
        self.src = np.asarray(self.src, dtype=np.int64).reshape(-1)
        self.dst = np.asarray(self.dst, dtype=np.int64).reshape(-1)
        self.memory = np.asarray(self.memory, dtype=np.float64).reshape(-1)
        self.comm = np.asarray(self.comm, dtype=np.float64).reshape(-1)
        if not self.ids:
            self.ids = [str(i) for i in range(self.n)]
        self._validate()
        self.level = _levels(self.n, self.src, self.dst, self.ids)
        #: longest path (in edges) from each node to a sink
        self.height = _levels(self.n, self.dst, self.src, self.ids)
        self.order = np.argsort(self.level, kind="stable")  # a topological order

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_edges(
        cls,
        n: int,
        edges: Any,
        memory: Any = None,
        comm: Any = None,
        name: str = "dag",
        ids: list[str] | None = None,
    ) -> TaskGraph:
        """Build from ``n`` and a list of ``(u, v)`` pairs (0-based)."""
        e = np.asarray(list(edges), dtype=np.int64).reshape(-1, 2)
        mem = np.ones(n) if memory is None else memory
        com = np.ones(len(e)) if comm is None else comm
        return cls(n, e[:, 0], e[:, 1], mem, com, list(ids or []), name)

    def _validate(self) -> None:
        n = self.n
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"a task graph needs at least one node, got n={n!r}")
        if self.src.shape != self.dst.shape:
            raise InputError("edge source and target arrays differ in length")
        if self.memory.shape != (n,):
            raise InputError(f"expected {n} node weights, got {self.memory.size}")
        if self.comm.shape != self.src.shape:
            raise InputError(f"expected {self.src.size} edge weights, got {self.comm.size}")
        if len(self.ids) != n:
            raise InputError(f"expected {n} node ids, got {len(self.ids)}")
        if self.src.size and (
            min(self.src.min(), self.dst.min()) < 0 or max(self.src.max(), self.dst.max()) >= n
        ):
            raise InputError(f"an edge refers to a node outside 0..{n - 1}")
        loops = np.flatnonzero(self.src == self.dst)
        if loops.size:
            raise InputError(f"self-loop at node {self.ids[int(self.src[loops[0]])]}")
        for what, arr in (("node weight", self.memory), ("edge weight", self.comm)):
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
            if bad.size:
                raise InputError(f"{what} #{int(bad[0])} is {arr[bad[0]]!r}; weights must be >= 0")

    # ------------------------------------------------------------------ properties
    @property
    def m(self) -> int:
        return int(self.src.size)

    @property
    def depth(self) -> int:
        return int(self.level.max()) + 1

    @property
    def total_memory(self) -> float:
        return float(self.memory.sum())

    def to_torch(self, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Edge index and weights as tensors on ``device``."""
        dev = torch.device(device)
        return {
            "src": torch.as_tensor(self.src, device=dev),
            "dst": torch.as_tensor(self.dst, device=dev),
            "memory": torch.as_tensor(self.memory, dtype=torch.float32, device=dev),
            "comm": torch.as_tensor(self.comm, dtype=torch.float32, device=dev),
        }

    def to_networkx(self):
        """A ``networkx.DiGraph`` with ``memory`` / ``comm`` attributes."""
        import networkx as nx

        g = nx.DiGraph(name=self.name)
        for i, nid in enumerate(self.ids):
            g.add_node(nid, memory=float(self.memory[i]))
        for u, v, c in zip(self.src.tolist(), self.dst.tolist(), self.comm.tolist()):
            g.add_edge(self.ids[u], self.ids[v], comm=float(c))
        return g


def _levels(n: int, src: np.ndarray, dst: np.ndarray, ids: list[str]) -> np.ndarray:
    """Longest-path level of every node (Kahn's algorithm); InputError on a cycle."""
    indeg = np.bincount(dst, minlength=n)
    order = np.argsort(src, kind="stable")
    starts = np.searchsorted(src[order], np.arange(n + 1))
    succ = dst[order]
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    seen = 0
    indeg = indeg.copy()
    while frontier.size:
        seen += frontier.size
        nxt = []
        for u in frontier.tolist():
            for v in succ[starts[u] : starts[u + 1]].tolist():
                if level[v] < level[u] + 1:
                    level[v] = level[u] + 1
                indeg[v] -= 1
                if indeg[v] == 0:
                    nxt.append(v)
        frontier = np.asarray(nxt, dtype=np.int64)
    if seen < n:
        stuck = int(np.flatnonzero(indeg > 0)[0])
        raise InputError(f"the graph has a cycle (through node {ids[stuck]})")
    return level


# ---------------------------------------------------------------------- readers


def _weight(attrs: dict, keys: tuple[str, ...], what: str, path: str) -> float:
    for k in keys:
        if k in attrs:
            try:
                val = float(attrs[k])
            except (TypeError, ValueError):
                raise InputError(f"{what} {k}={attrs[k]!r} is not a number", path) from None
            if not math.isfinite(val) or val < 0:
                raise InputError(f"{what} {k}={attrs[k]!r} must be finite and >= 0", path)
            return val
    return 1.0


def from_networkx(g: Any, name: str | None = None, path: str = "<graph>") -> TaskGraph:
    """Convert a directed NetworkX graph (attributes as in the module docstring)."""
    if not g.is_directed():
        raise InputError("a task graph must be directed", path)
    if g.is_multigraph():
        import networkx as nx

        g = nx.DiGraph(g)
    nodes = list(g.nodes())
    if not nodes:
        raise InputError("the graph has no nodes", path)
    index = {v: i for i, v in enumerate(nodes)}
    memory = [_weight(g.nodes[v], _NODE_KEYS, f"node {v}:", path) for v in nodes]
    edges, comm = [], []
    for u, v, data in g.edges(data=True):
        edges.append((index[u], index[v]))
        comm.append(_weight(data, _EDGE_KEYS, f"edge {u}->{v}:", path))
    gname = name or str(g.graph.get("name") or "dag")
    try:
        return TaskGraph.from_edges(len(nodes), edges, memory, comm, gname, [str(v) for v in nodes])
    except InputError as exc:
        raise InputError(str(exc), path) from None


def read_edgelist(path: str | os.PathLike) -> TaskGraph:
    """Read the edge-list format of the module docstring."""
    p = str(path)
    ids: dict[str, int] = {}
    memory: dict[int, float] = {}
    edges: list[tuple[int, int]] = []
    comm: list[float] = []

    def node(tok: str) -> int:
        return ids.setdefault(tok, len(ids))

    def num(tok: str, lineno: int, what: str) -> float:
        try:
            val = float(tok)
        except ValueError:
            raise InputError(f"{what} {tok!r} is not a number", p, lineno) from None
        if not math.isfinite(val) or val < 0:
            raise InputError(f"{what} {tok!r} must be finite and >= 0", p, lineno)
        return val

    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text file", p) from None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tok = line.replace(",", " ").split()
        if tok[0].lower() in ("node", "n"):
            if len(tok) != 3:
                raise InputError("expected 'node ID MEMORY'", p, lineno)
            memory[node(tok[1])] = num(tok[2], lineno, "memory")
        elif len(tok) in (2, 3):
            u, v = node(tok[0]), node(tok[1])
            edges.append((u, v))
            comm.append(num(tok[2], lineno, "communication weight") if len(tok) == 3 else 1.0)
        else:
            raise InputError(f"expected 'U V [COMM]' or 'node ID MEMORY', got {raw!r}", p, lineno)
    if not ids:
        raise InputError("no nodes or edges", p)
    n = len(ids)
    mem = np.ones(n)
    for i, w in memory.items():
        mem[i] = w
    names = sorted(ids, key=ids.__getitem__)
    try:
        return TaskGraph.from_edges(n, edges, mem, comm, Path(path).stem, names)
    except InputError as exc:
        raise InputError(str(exc), p) from None


def read_task_graph(path: str | os.PathLike, format: str | None = None) -> TaskGraph:
    """Read a DAG from GML, GraphML or an edge list (format from the suffix unless given).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "g.el")
    >>> _ = open(f, "w").write("node a 2\\na b\\nb c 0\\n")
    >>> g = read_task_graph(f); (g.n, g.m, g.memory.tolist(), g.comm.tolist())
    (3, 2, [2.0, 1.0, 1.0], [1.0, 0.0])
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {p}")
    fmt = (format or p.suffix.lstrip(".")).lower()
    if fmt in ("gml", "graphml", "xml"):
        import networkx as nx

        try:
            g = nx.read_gml(p, label="id") if fmt == "gml" else nx.read_graphml(p)
        except Exception as exc:  # NetworkX raises many types on malformed files
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot parse {fmt.upper()}: {msg}", str(p)) from None
        return from_networkx(g, name=p.stem, path=str(p))
    if fmt in ("el", "txt", "edgelist", "edges", ""):
        return read_edgelist(p)
    raise InputError(f"unknown task-graph format {fmt!r}; use gml, graphml or el", str(p))


def write_task_graph(graph: TaskGraph, path: str | os.PathLike, format: str | None = None) -> None:
    """Write GML, GraphML or the edge-list format (chosen by suffix unless given)."""
    from ..core.result import atomic_write_text

    p = Path(path)
    fmt = (format or p.suffix.lstrip(".")).lower()
    if fmt in ("gml", "graphml", "xml"):
        import networkx as nx

        g = graph.to_networkx()
        text = "\n".join(nx.generate_gml(g)) + "\n" if fmt == "gml" else _graphml(g)
        atomic_write_text(p, text)
        return
    lines = [f"# {graph.name}: {graph.n} nodes, {graph.m} edges"]
    lines += [f"node {graph.ids[i]} {_num(w)}" for i, w in enumerate(graph.memory.tolist())]
    lines += [
        f"{graph.ids[u]} {graph.ids[v]} {_num(c)}"
        for u, v, c in zip(graph.src.tolist(), graph.dst.tolist(), graph.comm.tolist())
    ]
    atomic_write_text(p, "\n".join(lines) + "\n")


def _graphml(g) -> str:
    import networkx as nx

    return "\n".join(nx.generate_graphml(g)) + "\n"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def as_task_graph(instance: Any, format: str | None = None) -> TaskGraph:
    """A TaskGraph from a TaskGraph, a NetworkX DiGraph or a file path."""
    if isinstance(instance, TaskGraph):
        return instance
    if isinstance(instance, (str, os.PathLike)):
        return read_task_graph(instance, format)
    if hasattr(instance, "nodes") and hasattr(instance, "is_directed"):
        return from_networkx(instance)
    raise InputError(f"cannot schedule an instance of type {type(instance).__name__}")
