"""Shared helpers for the text readers: opening (gzip aware) and fast numeric parsing."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"


def plain_suffix(path: Path) -> str:
    """Lower-case extension ignoring a trailing ``.gz`` (``G1.txt.gz`` → ``.txt``)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


def stem(path: Path) -> str:
    """File name without ``.gz`` and without the format extension."""
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


def read_text(path: str | os.PathLike) -> tuple[Path, str]:
    """Return ``(path, text)``; gzip files are detected by their magic bytes."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(p)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", str(p)) from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"corrupt gzip data ({exc})", str(p)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not a UTF-8 text file (byte {exc.start})", str(p)) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return p, text


Row = tuple[int, list[str]]


def text_lines(text: str) -> list[str]:
    """The lines of ``text``, numbered as an editor numbers them.

    Lines end at ``\n``; a lone ``\r`` inside a line is whitespace (some DIMACS files,
    e.g. ``r250.1c.col``, separate the two vertices of an edge by one). Files with no
    ``\n`` at all (classic Mac line ends) are split at ``\r``.
    """
    return text.split("\n") if "\n" in text else text.splitlines()


def data_rows(text: str, comment_prefixes: tuple[str, ...]) -> list[Row]:
    """Non-blank, non-comment lines as ``(1-based line number, tokens)``."""
    toks = list(map(str.split, text_lines(text)))
    # the per-line prefix test is only paid when a comment marker starts some line
    pattern = "|".join(re.escape(c) for c in comment_prefixes)
    if pattern and re.search(rf"(?m)^[ \t]*(?:{pattern})", text):
        return [
            (i, t) for i, t in enumerate(toks, 1) if t and not t[0].startswith(comment_prefixes)
        ]
    return [(i, t) for i, t in enumerate(toks, 1) if t]


def _is_int(tok: str) -> bool:
    try:
        int(tok)
    except ValueError:
        return False
    return True


def _is_float(tok: str) -> bool:
    try:
        v = float(tok)
    except ValueError:
        return False
    return bool(np.isfinite(v))


def int_column(rows: Sequence[Row], col: int, path: Path, what: str) -> np.ndarray:
    """Column ``col`` of every row as int64 (bulk numpy path; per-row scan on failure)."""
    toks = [r[1][col] for r in rows]
    try:
        return np.array(toks, dtype=np.int64) if toks else np.zeros(0, np.int64)
    except (ValueError, OverflowError):
        for lineno, t in rows:
            if not _is_int(t[col]):
                raise InputError(
                    f"{what} {t[col]!r} is not an integer", str(path), lineno
                ) from None
        raise  # pragma: no cover - numpy and int() disagree


def float_column(rows: Sequence[Row], col: int, path: Path, what: str) -> np.ndarray:
    """Column ``col`` of every row as finite float64."""
    toks = [r[1][col] for r in rows]
    try:
        out = np.array(toks, dtype=np.float64) if toks else np.zeros(0)
        if np.isfinite(out).all():
            return out
    except (ValueError, OverflowError):
        pass
    for lineno, t in rows:
        if not _is_float(t[col]):
            raise InputError(f"{what} {t[col]!r} is not a finite number", str(path), lineno)
    raise AssertionError("unreachable")  # pragma: no cover


def check_range(
    values: np.ndarray, lo: int, hi: int, rows: Sequence[Row], path: Path, what: str
) -> None:
    """Raise at the first row whose value is outside ``[lo, hi]``."""
    bad = (values < lo) | (values > hi)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(
            f"{what} {int(values[k])} out of range [{lo}, {hi}]", str(path), rows[k][0]
        )


def machine_memory() -> int | None:
    """Total physical memory in bytes, or None where the OS does not report it."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def check_vertex_count(
    n: int, limit: int, bytes_per_vertex: int, path: Path, line: int, what: str = "vertices"
) -> None:
    """Reject a header's vertex count that cannot be real, before anything of size n exists.

    Vertices without edges are legal, so n is not compared with the edges; it is
    compared with what the data types can index (``limit``) and with the machine's
    memory: the reader's own per-vertex arrays take ``bytes_per_vertex`` each.
    """
    if n > limit:
        raise InputError(
            f"header claims {n} {what}: at most {limit} are supported (64-bit indices)",
            str(path),
            line,
        )
    need, have = n * bytes_per_vertex, machine_memory()
    if have is not None and need > have:
        raise InputError(
            f"header claims {n} {what}: their arrays alone need {_gib(need)}, more than "
            f"this machine's {_gib(have)} of memory",
            str(path),
            line,
        )
