"""DIMACS CNF reader/writer and the CNF → maximum-independent-set graph reduction."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.result import atomic_write_text
from ..graph import Graph
from ._text import read_text, stem, text_lines


@dataclass
class CNF:
    """A CNF formula: ``clauses`` hold DIMACS signed literals (``-3`` = ¬x3)."""

    n_vars: int
    clauses: list[list[int]]
    name: str = "cnf"
    meta: dict = field(default_factory=dict)

    @property
    def n_clauses(self) -> int:
        return len(self.clauses)

    def satisfied(self, assignment) -> bool:
        """True if the 0/1 (or bool) ``assignment`` of x1..xn satisfies every clause."""
        a = np.asarray(assignment).astype(bool).reshape(-1)
        if len(a) != self.n_vars:
            raise InputError(f"assignment has {len(a)} values for {self.n_vars} variables")
        return all(any(a[abs(lit) - 1] == (lit > 0) for lit in c) for c in self.clauses)


def read_cnf(path: str | os.PathLike) -> CNF:
    """Read a DIMACS CNF file (SATLIB ``%`` trailers are accepted).

    >>> from dnnsolve.data import example_path
    >>> f = read_cnf(example_path("mis_sat_example"))
    >>> f.n_vars, f.n_clauses, len(f.clauses[0])
    (30, 100, 3)
    """
    p, text = read_text(path)
    return parse_cnf(p, text)


def parse_cnf(path: Path, text: str) -> CNF:
    where = str(path)
    n_vars = n_clauses = -1
    header_line = 0
    clauses: list[list[int]] = []
    clause_lines: list[int] = []
    cur: list[int] = []
    cur_line = 0
    for lineno, line in enumerate(text_lines(text), 1):
        toks = line.split()
        if not toks or toks[0].lower() == "c" or toks[0].startswith(("c", "#")):
            continue
        if toks[0] == "%":
            break  # SATLIB trailer: "%" then "0"
        if toks[0].lower() == "p":
            if header_line:
                raise InputError("second 'p' line", where, lineno)
            if len(toks) != 4 or toks[1].lower() != "cnf":
                raise InputError("header must be 'p cnf n_vars n_clauses'", where, lineno)
            try:
                n_vars, n_clauses = int(toks[2]), int(toks[3])
            except ValueError:
                raise InputError("header counts must be integers", where, lineno) from None
            if n_vars < 0 or n_clauses < 0:
                raise InputError("header counts must be non-negative", where, lineno)
            header_line = lineno
            continue
        if not header_line:
            raise InputError("missing 'p cnf n_vars n_clauses' line before clauses", where, lineno)
        for tok in toks:
            try:
                lit = int(tok)
            except ValueError:
                raise InputError(f"literal {tok!r} is not an integer", where, lineno) from None
            if lit == 0:
                if not cur:
                    raise InputError("empty clause", where, lineno)
                clauses.append(cur)
                clause_lines.append(cur_line)
                cur = []
                continue
            if abs(lit) > n_vars:
                raise InputError(f"literal {lit} out of range (n_vars={n_vars})", where, lineno)
            if not cur:
                cur_line = lineno
            cur.append(lit)
    if cur:  # last clause without its terminating 0: accepted
        clauses.append(cur)
        clause_lines.append(cur_line)
    if not header_line:
        if not text.strip():
            raise InputError("empty file", where, 1)
        raise InputError("missing 'p cnf n_vars n_clauses' line", where, 1)
    if len(clauses) != n_clauses:
        line = clause_lines[n_clauses] if len(clauses) > n_clauses else header_line
        raise InputError(
            f"header says {n_clauses} clauses but the file has {len(clauses)}", where, line
        )
    return CNF(n_vars, clauses, stem(path))


def write_cnf(cnf: CNF, path: str | os.PathLike, comment: str | None = None) -> None:
    """Write ``cnf`` in DIMACS CNF format (atomically)."""
    lines = [f"c {line}" for line in (comment or cnf.name).splitlines()]
    lines.append(f"p cnf {cnf.n_vars} {cnf.n_clauses}")
    lines += [" ".join(map(str, c)) + " 0" for c in cnf.clauses]
    atomic_write_text(path, "\n".join(lines) + "\n")


def cnf_to_mis_graph(cnf: CNF) -> Graph:
    """The MIS graph of a CNF formula (Li, Chen & Koltun 2018).

    One vertex per literal occurrence (ids ``1..L`` in clause order), a clique
    per clause and an edge between every pair of occurrences of complementary
    literals. An independent set picks at most one true literal per clause, so
    the MIS size equals ``n_clauses`` exactly when the formula is satisfiable.
    ``meta`` holds ``n_vars``, ``n_clauses``, ``literal`` and ``clause`` (per vertex).

    >>> g = cnf_to_mis_graph(CNF(2, [[1, 2], [-1, -2]]))
    >>> g.n, g.m
    (4, 4)
    """
    lengths = np.fromiter((len(c) for c in cnf.clauses), np.int64, len(cnf.clauses))
    lit = (
        np.fromiter((x for c in cnf.clauses for x in c), np.int64, int(lengths.sum()))
        if len(lengths)
        else np.zeros(0, np.int64)
    )
    n = len(lit)
    clause = np.repeat(np.arange(len(lengths)), lengths)
    start = np.zeros(len(lengths), np.int64)
    if len(lengths):
        start[1:] = np.cumsum(lengths)[:-1]
    parts = []
    # clause cliques, one vectorised block per clause length
    for k in np.unique(lengths):
        if k < 2:
            continue
        s = start[lengths == k]
        iu, ju = np.triu_indices(int(k), 1)
        parts.append(np.stack([(s[:, None] + iu).ravel(), (s[:, None] + ju).ravel()], 1))
    # complementary pairs: each negative occurrence × every positive one of its variable
    var = np.abs(lit)
    pos = np.flatnonzero(lit > 0)
    neg = np.flatnonzero(lit < 0)
    pos = pos[np.argsort(var[pos], kind="stable")]
    cnt = np.bincount(var[pos], minlength=cnf.n_vars + 1)
    first = np.zeros_like(cnt)
    first[1:] = np.cumsum(cnt)[:-1]
    reps = cnt[var[neg]]
    total = int(reps.sum())
    if total:
        a = np.repeat(neg, reps)
        offs = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
        b = pos[np.repeat(first[var[neg]], reps) + offs]
        parts.append(np.stack([a, b], 1))
    edges = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    # a tautological clause (x ∨ ¬x) yields the same edge twice; keep one
    g = Graph.from_edges(n, edges, ids=np.arange(1, n + 1), name=cnf.name, merge="first")
    g.meta.update(
        n_vars=cnf.n_vars,
        n_clauses=cnf.n_clauses,
        literal=lit,
        clause=clause,
        source="cnf",
    )
    return g


def assignment_from_independent_set(graph: Graph, mask) -> np.ndarray:
    """Truth assignment (0/1 per variable) read off an independent set of a CNF graph.

    Variables not fixed by the set are 0. If the set has ``n_clauses`` vertices the
    assignment satisfies the formula.
    """
    lit = graph.meta["literal"]
    sel = lit[np.asarray(mask).astype(bool)]
    a = np.zeros(graph.meta["n_vars"], dtype=np.int8)
    a[sel[sel > 0] - 1] = 1
    return a
