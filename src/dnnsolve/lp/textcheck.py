"""Line-level checks of the numbers in MPS / QPS and CPLEX LP text, before HiGHS reads it.

HiGHS parses these formats for us but reports bad values without a line (or not at all:
it reads ``1.0x`` as 1, ``abc`` as 0 and ``0x10`` as 16), so every value field is checked
here first, with the file and line in the :class:`~dnnsolve.core.errors.InputError`:

* a value must be a decimal number (``inf`` / ``infinity`` are allowed where an infinite
  value means something); NaN never is;
* like HiGHS, a magnitude of at least 1e20 is infinite. It is allowed only on the free
  side of a row or column: the RHS of an ``L`` row may be +inf and of a ``G`` row −inf,
  an ``UP`` bound +inf and an ``LO`` bound −inf, and a RANGES entry any infinity. Costs,
  the objective constant, ``FX`` bounds, the RHS of ``E`` rows and quadratic terms must
  be finite, and a matrix coefficient below 1e15 in magnitude (HiGHS's limit).

Both free MPS (whitespace-separated fields) and fixed MPS (fields in columns 5-12, 15-22,
25-36, 40-47, 50-61, where names may hold spaces) are read: a line is taken in the free
layout when that fits, else in the fixed one. Lines whose layout fits neither are left
to HiGHS, which has the last word on the structure of the file.
"""

from __future__ import annotations

import math
import re

from ..core.errors import InputError

__all__ = ["check_lp_text", "check_mps_text"]

#: magnitudes from here on are infinite (HiGHS's ``infinite_bound`` / ``infinite_cost``)
INFINITE = 1e20
#: HiGHS refuses matrix coefficients of at least this magnitude (``large_matrix_value``)
LARGE_MATRIX = 1e15

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INF = re.compile(r"[+-]?inf(?:inity)?", re.IGNORECASE)
_NAN = re.compile(r"[+-]?nan", re.IGNORECASE)

_SECTIONS = {
    "NAME",
    "OBJSENSE",
    "OBJSENS",
    "OBJNAME",
    "ROWS",
    "COLUMNS",
    "RHS",
    "RANGES",
    "BOUNDS",
    "SOS",
    "ENDATA",
    "QUADOBJ",
    "QMATRIX",
    "QSECTION",
    "QCMATRIX",
    "CSECTION",
    "INDICATORS",
    "LAZYCONS",
    "USERCUTS",
}
_QUADRATIC = {"QUADOBJ", "QMATRIX", "QSECTION", "QCMATRIX"}
#: bound types with a value, and which infinity (if any) the value may be
_BOUND_INF = {"UP": "+", "UI": "+", "SC": "+", "LO": "-", "LI": "-", "FX": ""}
#: fixed MPS fields (0-based slices): name 1, name 2, number 1, name 3, number 2
_F_NAME1, _F_NAME2, _F_NUM1 = slice(4, 12), slice(14, 22), slice(24, 36)
_F_NAME3, _F_NUM2 = slice(39, 47), slice(49, 61)


class _Bad(Exception):
    """A value token that is not a number (carries the message)."""


def _value(tok: str) -> float:
    """The number a value token stands for (±inf, NaN included); :class:`_Bad` otherwise.

    >>> _value("-1.5e3"), _value("Infinity"), _value("1e400")
    (-1500.0, inf, inf)
    """
    if _DECIMAL.fullmatch(tok) or _INF.fullmatch(tok) or _NAN.fullmatch(tok):
        return float(tok)
    raise _Bad(f"{tok!r} is not a number")


def _check(tok: str, v: float, what: str, allow: str, limit: float = INFINITE) -> str | None:
    """Why ``v`` (read from ``tok``) is not allowed as ``what``; None if it is.

    ``allow`` holds the infinities allowed here (``"+"``, ``"-"``, both or neither); a
    magnitude of at least ``limit`` is infinite (:data:`INFINITE`) or too large.

    >>> _check("1e30", 1e30, "UP bound of x", "+"), _check("-1e30", -1e30, "UP bound of x", "+")
    (None, "UP bound of x '-1e30' is infinite (|value| ≥ 1e+20); only +inf is allowed here")
    """
    if math.isnan(v):
        return f"{what} {tok!r} is NaN"
    if abs(v) < limit:
        return None
    sign = "+" if v > 0 else "-"
    if limit == INFINITE and sign in allow:
        return None
    if limit == LARGE_MATRIX and not math.isinf(v):
        return f"{what} {tok!r} is too large (HiGHS refuses |value| ≥ {LARGE_MATRIX:g})"
    size = "infinite" if math.isinf(v) else f"infinite (|value| ≥ {INFINITE:g})"
    hint = (
        f"only {' or '.join(a + 'inf' for a in allow)} is allowed here"
        if allow
        else "it must be finite"
    )
    return f"{what} {tok!r} is {size}; {hint}"


Layout = tuple[str, list[tuple[str, str]]]  # (leading name, [(name, value token), ...])


def _pairs(toks: list[str], line: str, lead: str) -> list[Layout]:
    """Candidate layouts of a COLUMNS / RHS / RANGES line: free, then fixed.

    ``lead``: ``"always"`` when the free layout starts with a name of its own (COLUMNS:
    the column), ``"maybe"`` when it may (RHS / RANGES: the optional set name).
    """
    out: list[Layout] = []
    has_lead = lead == "always" or len(toks) % 2 == 1
    body = toks[1:] if has_lead else toks
    if len(body) in (2, 4):
        head = toks[0] if has_lead else ""
        out.append((head, [(body[i], body[i + 1]) for i in range(0, len(body), 2)]))
    fixed = [(line[_F_NAME2].strip(), line[_F_NUM1].strip())]
    if line[_F_NAME3].strip() or line[_F_NUM2].strip():
        fixed.append((line[_F_NAME3].strip(), line[_F_NUM2].strip()))
    if all(v for _, v in fixed):
        out.append((line[_F_NAME1].strip(), fixed))
    return out


def _first_fit(candidates: list[Layout]) -> tuple[str, list[tuple[str, str, float]]]:
    """The first candidate layout whose values are all numbers, with the values; raise the
    first layout's complaint when none is; ``("", [])`` when there is no candidate."""
    first: _Bad | None = None
    for head, cand in candidates:
        try:
            return head, [(name, tok, _value(tok)) for name, tok in cand]
        except _Bad as exc:
            first = first or exc
    if first is not None:
        raise first
    return "", []


def check_mps_text(text: str, where: str) -> None:
    """Raise :class:`InputError` (``where``:line) at the first bad value of MPS/QPS text.

    >>> check_mps_text("ROWS\\n N obj\\nCOLUMNS\\n x obj nan\\nENDATA\\n", "f.mps")
    Traceback (most recent call last):
    ...
    dnnsolve.core.errors.InputError: f.mps:4: COLUMNS: cost of x in row obj 'nan' is NaN
    """
    section: str | None = None
    row_type: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        toks = line.split()
        if not toks or toks[0].startswith("*"):
            continue
        if not line[0].isspace() and toks[0].upper() in _SECTIONS:
            section = toks[0].upper()
            continue
        try:
            problem = _check_line(section, toks, line, row_type)
        except _Bad as exc:
            raise InputError(f"{section}: {exc}", where, lineno) from None
        if problem:
            raise InputError(f"{section}: {problem}", where, lineno)


def _check_line(section: str | None, toks: list[str], line: str, rows: dict[str, str]) -> str:
    """The complaint about one data line ('' if none); :class:`_Bad` for a non-number."""
    if section == "ROWS":
        kind = toks[0].upper()
        if len(toks) >= 2:
            rows[toks[1]] = kind
        rows.setdefault(line[_F_NAME1].strip(), kind)
        return ""
    if section == "COLUMNS":
        if any("MARKER" in t.upper() for t in toks[1:3]):
            return ""
        col, values = _first_fit(_pairs(toks, line, "always"))
        for row, tok, v in values:
            kind = rows.get(row, "")
            if kind == "N":
                why = _check(tok, v, f"cost of {col} in row {row}", "")
            else:
                why = _check(tok, v, f"coefficient of {col} in row {row}", "", LARGE_MATRIX)
            if why:
                return why
        return ""
    if section in ("RHS", "RANGES"):
        for row, tok, v in _first_fit(_pairs(toks, line, "maybe"))[1]:
            kind = rows.get(row, "")
            if section == "RANGES":
                allow = "+-"
            else:
                allow = {"N": "", "E": "", "L": "+", "G": "-"}.get(kind, "+-")
            if kind == "N" and section == "RHS":  # minus the objective constant
                why = _check(tok, v, f"objective constant (row {row})", "", math.inf)
            else:
                why = _check(tok, v, f"{section} value of row {row}", allow)
            if why:
                return why
        return ""
    if section == "BOUNDS":
        kind = toks[0].upper()
        if kind not in _BOUND_INF:
            return ""  # FR, MI, PL, BV: no value (one is ignored when present)
        cands: list[Layout] = []
        if len(toks) in (3, 4) and (kind != "SC" or len(toks) == 4 or _looks_numeric(toks[-1])):
            cands.append(("", [(toks[-2], toks[-1])]))
        if line[_F_NUM1].strip():
            cands.append(("", [(line[_F_NAME2].strip(), line[_F_NUM1].strip())]))
        for col, tok, v in _first_fit(cands)[1]:
            why = _check(tok, v, f"{kind} bound of {col}", _BOUND_INF[kind])
            if why:
                return why
        return ""
    if section in _QUADRATIC:
        quad: list[Layout] = [("", [(f"{toks[0]}, {toks[1]}", toks[2])])] if len(toks) == 3 else []
        if line[_F_NUM1].strip():
            pair = f"{line[_F_NAME1].strip()}, {line[_F_NAME2].strip()}"
            quad.append(("", [(pair, line[_F_NUM1].strip())]))
        for pair, tok, v in _first_fit(quad)[1]:
            why = _check(tok, v, f"quadratic coefficient of ({pair})", "")
            if why:
                return why
    return ""


def _looks_numeric(tok: str) -> bool:
    return bool(_DECIMAL.fullmatch(tok) or _INF.fullmatch(tok) or _NAN.fullmatch(tok))


_LP_CHARS = r"[\w.$#@!&%~'\"{}|^`]"  # characters of names (and of numbers)
_LP_NUMBER = re.compile(rf"(?<!{_LP_CHARS})(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LP_NAN = re.compile(rf"(?<!{_LP_CHARS})nan(?!{_LP_CHARS})", re.IGNORECASE)
_LP_INF = re.compile(rf"([+-]?)\s*(?<!{_LP_CHARS})inf(?:inity)?(?!{_LP_CHARS})", re.IGNORECASE)
_LP_SECTION = re.compile(
    r"\s*(?:(?P<objective>min(?:imi[sz]e|imum)?|max(?:imi[sz]e|imum)?)"
    r"|(?P<rows>subject\s+to|such\s+that|st|s\.t\.?)"
    r"|(?P<bounds>bounds?)"
    r"|(?P<other>gen(?:erals?)?|integers?|bin(?:ar(?:y|ies))?|semi(?:s|-continuous)?|sos|end))"
    r"(?=\s|$)",
    re.IGNORECASE,
)


def check_lp_text(text: str, where: str, failed: bool = False) -> None:
    """Raise :class:`InputError` (``where``:line) at a number of CPLEX LP text that
    overflows float64 (HiGHS would silently read ``1e400`` as inf).

    With ``failed`` (HiGHS refused the file) also point at the first ``nan`` token and at
    the first ``inf`` in the objective or a constraint: a variable may be called ``nan``
    (or a right-hand side be infinite), so these are only blamed once HiGHS has failed.

    >>> check_lp_text("min\\n obj: x\\nst\\n c: x <= 1e400\\nend\\n", "f.lp")
    Traceback (most recent call last):
    ...
    dnnsolve.core.errors.InputError: f.lp:4: number '1e400' is beyond the float64 range
    """
    section = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("\\", 1)[0]  # a backslash starts a comment
        head = _LP_SECTION.match(line)
        if head is not None:
            section = head.lastgroup or section
        for m in _LP_NUMBER.finditer(line):
            if math.isinf(float(m.group())):
                raise InputError(f"number {m.group()!r} is beyond the float64 range", where, lineno)
        if not failed:
            continue
        if _LP_NAN.search(line):
            raise InputError("NaN is not a number HiGHS can read", where, lineno)
        if section in ("objective", "rows") and any(
            not _free_side(line[: m.start()], m.group(1)) for m in _LP_INF.finditer(line)
        ):
            part = "the objective" if section == "objective" else "a constraint"
            raise InputError(f"infinite value in {part} (HiGHS refused the file)", where, lineno)


def _free_side(before: str, sign: str) -> bool:
    """Is an infinity with ``sign`` after ``before`` the free side of a row (``<= inf``,
    ``>= -inf``)?

    >>> _free_side(" c: x + y <=", ""), _free_side(" c: x >= ", "-"), _free_side(" c: x =", "")
    (True, True, False)
    """
    b = before.rstrip()
    if b.endswith(("<=", "=<", "<")):
        return sign != "-"
    if b.endswith((">=", "=>", ">")):
        return sign == "-"
    return False
