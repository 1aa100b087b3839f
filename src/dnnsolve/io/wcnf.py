"""Weighted / partial MaxSAT formulas: the WCNF reader and writer.

Two dialects are read, detected from the file itself:

* **classic** (MaxSAT Evaluations up to 2021): a header ``p wcnf n_vars n_clauses [top]``,
  then one clause per line, ``weight lit lit ... 0``; a clause whose weight is at least
  ``top`` is hard. Without ``top`` every clause is soft (weighted MaxSAT).
* **2022+** (MaxSAT Evaluation 2022 onwards): no ``p`` line; a hard clause is
  ``h lit ... 0``, a soft clause ``weight lit ... 0``.

Unlike DIMACS CNF (where a clause may span lines), each WCNF clause must sit on one line
and end with ``0``: a missing ``0`` would otherwise silently merge the next clause's
weight into this clause's literals. Every malformed line raises
:class:`~dnnsolve.core.errors.InputError` with its line number.

Weights are positive numbers: integers (the format's own), or decimals (``2.5``, ``1e308``;
a dnnsolve extension that :func:`write_wcnf` also writes). A soft weight must be a finite
float64 (at most ~1.8e308); ``top`` may be any positive integer. Integer tokens are
compared with ``top`` exactly, before the weights are stored as float64. Sums of
weights (:attr:`WCNF.soft_total`, :meth:`WCNF.cost`) are computed without intermediate
overflow (:func:`weight_sum`), so weights near 1e308 are fine; a cost that itself
exceeds the float64 range is ``inf``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.result import atomic_write_text
from ._text import read_text, stem, text_lines


@dataclass
class WCNF:
    """A weighted partial MaxSAT formula.

    ``clauses`` hold DIMACS signed literals; ``weights`` (float64, one per clause) are
    the soft weights (the weight of a hard clause is ignored); ``hard`` marks the hard
    clauses. ``top`` is the classic format's hard weight when the file had one.

    >>> f = WCNF(2, [[1, 2], [-1], [-2]], np.array([0.0, 3.0, 1.0]), np.array([True, False, False]))
    >>> f.cost([1, 0]), f.cost([0, 0])
    (3.0, None)
    """

    n_vars: int
    clauses: list[list[int]]
    weights: np.ndarray
    hard: np.ndarray
    top: int | float | None = None
    name: str = "wcnf"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        self.hard = np.asarray(self.hard, dtype=bool).reshape(-1)
        if len(self.weights) != len(self.clauses) or len(self.hard) != len(self.clauses):
            raise ValueError("weights and hard need one entry per clause")
        soft = self.weights[~self.hard]
        if not np.all(np.isfinite(soft)) or np.any(soft < 0):
            raise ValueError("soft weights must be finite and non-negative")
        for c in self.clauses:
            for lit in c:
                if lit == 0 or abs(lit) > self.n_vars:
                    raise ValueError(f"literal {lit} out of range (n_vars={self.n_vars})")

    @classmethod
    def from_cnf(cls, cnf, weight: float = 1.0) -> WCNF:
        """Unweighted MaxSAT of a CNF formula: every clause soft with ``weight``."""
        m = len(cnf.clauses)
        return cls(
            cnf.n_vars,
            [list(c) for c in cnf.clauses],
            np.full(m, float(weight)),
            np.zeros(m, dtype=bool),
            None,
            cnf.name,
        )

    @property
    def n_clauses(self) -> int:
        return len(self.clauses)

    @property
    def n_hard(self) -> int:
        return int(self.hard.sum())

    @property
    def soft_total(self) -> float:
        """Sum of the soft weights (the cost of falsifying every soft clause)."""
        return weight_sum(self.weights[~self.hard])

    def cost(self, assignment) -> float | None:
        """Falsified soft weight of a 0/1 assignment of x1..xn; None if a hard clause fails.

        A plain clause-by-clause Python loop (shares no code with the solver's kernels);
        the falsified weights are summed by :func:`weight_sum` (correctly rounded, no
        intermediate overflow).
        """
        a = np.asarray(assignment).astype(bool).reshape(-1)
        if len(a) != self.n_vars:
            raise InputError(f"assignment has {len(a)} values for {self.n_vars} variables")
        falsified = []
        for c, w, h in zip(self.clauses, self.weights.tolist(), self.hard.tolist(), strict=True):
            if any(a[abs(lit) - 1] == (lit > 0) for lit in c):
                continue
            if h:
                return None
            falsified.append(w)
        return weight_sum(falsified)


def weight_sum(values) -> float:
    """Correctly rounded sum of finite float64 values, without intermediate overflow.

    The values are scaled by a power of two (exact) so that no partial sum can overflow,
    summed by :func:`math.fsum` and scaled back; a sum beyond the float64 range is ±inf.

    >>> weight_sum([1e308, 1e308, -1e308]), weight_sum([1e308, 1e308]), weight_sum([])
    (1e+308, inf, 0.0)
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        return 0.0
    # |v| < 2^e, so |sum| < 2^(e + bit_length(n)) ≤ 2^1020 after scaling by 2^-k
    e = math.frexp(float(np.abs(v).max()))[1]
    k = max(0, e + v.size.bit_length() - 1020)
    s = math.fsum(np.ldexp(v, -k).tolist()) if k else math.fsum(v.tolist())
    try:
        return math.ldexp(s, k)
    except OverflowError:
        return math.copysign(math.inf, s)


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(tok: str, where: str, lineno: int, what: str = "weight") -> int | float:
    """A positive weight (or ``top``) token, exactly: an int for an integer token, else a
    finite float. Python's own spellings (``nan``, ``inf``, ``1_000``) are not numbers here.
    """
    if _INTEGER.fullmatch(tok):
        try:
            v: int | float = int(tok)
        except ValueError:  # beyond Python's digit limit for int()
            raise InputError(f"{what} {tok[:20]}... has too many digits", where, lineno) from None
    elif _DECIMAL.fullmatch(tok):
        v = float(tok)
        if not math.isfinite(v):
            raise InputError(
                f"{what} {tok!r} is beyond the float64 range (at most ~1.8e308)", where, lineno
            )
    elif tok.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        raise InputError(f"{what} {tok!r} must be a finite positive number", where, lineno)
    else:
        raise InputError(f"{what} {tok!r} is not a number", where, lineno)
    if v <= 0:
        raise InputError(f"{what} {tok!r} must be a positive number", where, lineno)
    return v


def _soft_weight(v: int | float, tok: str, where: str, lineno: int) -> float:
    """A soft weight as float64 (the solver's tensors and the reported costs are float64)."""
    try:
        return float(v)
    except OverflowError:
        raise InputError(
            f"soft weight {tok[:20]!r}... is beyond the float64 range (at most ~1.8e308)",
            where,
            lineno,
        ) from None


def read_wcnf(path: str | os.PathLike) -> WCNF:
    """Read a WCNF file (classic ``p wcnf`` or MaxSAT Evaluation 2022+ format).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.wcnf"
    >>> _ = p.write_text("c new format\\nh 1 2 0\\n3 -1 0\\n1 -2 0\\n")
    >>> f = read_wcnf(p)
    >>> f.n_vars, f.n_clauses, f.hard.tolist(), f.weights.tolist()
    (2, 3, [True, False, False], [0.0, 3.0, 1.0])
    """
    p, text = read_text(path)
    return parse_wcnf(text, str(p), stem(p))


def parse_wcnf(text: str, where: str = "<string>", name: str = "wcnf") -> WCNF:
    """Parse WCNF text (see :func:`read_wcnf`); ``where`` names the source in errors."""
    header: tuple[int, int, int | float | None] | None = None
    header_line = 0
    clauses: list[list[int]] = []
    weights: list[float] = []
    hard: list[bool] = []
    lines_of: list[int] = []
    max_var = 0
    dialect: str | None = None
    for lineno, line in enumerate(text_lines(text), 1):
        toks = line.split()
        if not toks or toks[0].startswith(("c", "#")):
            continue
        if toks[0] == "%":
            break
        if toks[0].lower() == "p":
            if header_line:
                raise InputError("second 'p' line", where, lineno)
            if clauses:
                raise InputError("'p' line after clauses", where, lineno)
            if len(toks) not in (4, 5) or toks[1].lower() != "wcnf":
                raise InputError("header must be 'p wcnf n_vars n_clauses [top]'", where, lineno)
            try:
                nv, nc = int(toks[2]), int(toks[3])
            except ValueError:
                raise InputError("header counts must be integers", where, lineno) from None
            if nv < 0 or nc < 0:
                raise InputError("header counts must be non-negative", where, lineno)
            top = _number(toks[4], where, lineno, "top") if len(toks) == 5 else None
            header, header_line, dialect = (nv, nc, top), lineno, "classic"
            continue
        if toks[-1] != "0":
            raise InputError(
                "clause must end with 0 on its line (one clause per line in WCNF)", where, lineno
            )
        if toks[0].lower() == "h":
            if dialect == "classic":
                raise InputError(
                    "'h' (hard clause) is the 2022 format; it cannot follow a 'p wcnf' header",
                    where,
                    lineno,
                )
            dialect = "new"
            is_hard, w = True, 0.0
        else:
            exact = _number(toks[0], where, lineno)
            # the exact token value against top (no float64 rounding: 2^63 - 2 < 2^63 - 1)
            is_hard = header is not None and header[2] is not None and exact >= header[2]
            w = 0.0 if is_hard else _soft_weight(exact, toks[0], where, lineno)
            dialect = dialect or "new"
        lits: list[int] = []
        for tok in toks[1:-1]:
            try:
                lit = int(tok)
            except ValueError:
                raise InputError(f"literal {tok!r} is not an integer", where, lineno) from None
            if lit == 0:
                raise InputError("0 inside a clause (one clause per line in WCNF)", where, lineno)
            if header is not None and abs(lit) > header[0]:
                raise InputError(f"literal {lit} out of range (n_vars={header[0]})", where, lineno)
            max_var = max(max_var, abs(lit))
            lits.append(lit)
        if not lits:
            raise InputError("empty clause", where, lineno)
        clauses.append(lits)
        weights.append(0.0 if is_hard else w)
        hard.append(is_hard)
        lines_of.append(lineno)
    if not clauses and header is None:
        raise InputError("empty file" if not text.strip() else "no clauses", where, 1)
    n_vars = max_var
    top = None
    if header is not None:
        n_vars, n_clauses, top = header
        if len(clauses) != n_clauses:
            line = lines_of[n_clauses] if len(clauses) > n_clauses else header_line
            raise InputError(
                f"header says {n_clauses} clauses but the file has {len(clauses)}", where, line
            )
    return WCNF(
        n_vars,
        clauses,
        np.asarray(weights, dtype=np.float64),
        np.asarray(hard, dtype=bool),
        top,
        name,
        {"format": dialect or "classic"},
    )


def write_wcnf(
    wcnf: WCNF, path: str | os.PathLike, dialect: str = "new", comment: str | None = None
) -> None:
    """Write ``wcnf`` atomically, in the 2022+ (``"new"``) or ``"classic"`` dialect.

    Integral weights are written as integers. The classic dialect uses the smallest
    integer above the exact soft-weight sum as ``top`` (the hard weight; a Python int, so
    it stays exact when the sum is beyond float64).
    """
    if dialect not in ("new", "classic"):
        raise ValueError("dialect must be 'new' or 'classic'")

    def num(w: float) -> str:
        return str(int(w)) if float(w).is_integer() else repr(float(w))

    lines = [f"c {line}" for line in (comment or wcnf.name).splitlines()]
    top = ""
    if dialect == "classic":
        soft = wcnf.weights[~wcnf.hard].tolist()
        top = str(math.floor(sum(map(Fraction, soft), Fraction(0))) + 1)
        lines.append(f"p wcnf {wcnf.n_vars} {wcnf.n_clauses} {top}")
    for c, w, h in zip(wcnf.clauses, wcnf.weights.tolist(), wcnf.hard.tolist(), strict=True):
        head = ("h" if dialect == "new" else top) if h else num(w)
        lines.append(f"{head} " + " ".join(map(str, c)) + " 0")
    atomic_write_text(path, "\n".join(lines) + "\n")


def detect_sat_format(path: Path) -> str:
    """``"wcnf"`` or ``"cnf"`` from the extension, else from the first data line."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".wcnf"):
        return "wcnf"
    if name.endswith(".cnf"):
        return "cnf"
    _, text = read_text(path)
    for line in text.splitlines():
        toks = line.split()
        if not toks or toks[0].startswith(("c", "#")):
            continue
        if toks[0].lower() == "p" and len(toks) > 1:
            return "wcnf" if toks[1].lower() == "wcnf" else "cnf"
        return "wcnf" if toks[0].lower() == "h" else "cnf"
    return "cnf"
