"""Rechecking a Sudoku (any N×N Latin square with givens, boxes when N is a square): every
row, column and box holds 1..N once, and every given is kept."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from . import Failed


def read_puzzle(path: Path) -> np.ndarray:
    """The givens of a puzzle file (0 or ``.`` blank): N² characters, or N rows of N numbers."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the puzzle: {exc}", path=str(path)) from None
    rows = [ln.split("#", 1)[0].split() for ln in text.splitlines()]
    rows = [r for r in rows if r]
    if len(rows) > 1 and all(len(r) == len(rows) for r in rows):
        cells = [c for r in rows for c in r]
    else:
        cells = list("".join("".join(r) for r in rows))
    n = math.isqrt(len(cells))
    if n == 0 or n * n != len(cells) or not all(c == "." or c.isdigit() for c in cells):
        raise InputError("not a square puzzle of digits and '.'", path=str(path))
    return np.array([0 if c in (".", "0") else int(c) for c in cells]).reshape(n, n)


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    givens = read_puzzle(input)
    n = givens.shape[0]
    grid = np.asarray(result["solution"], dtype=object)
    if grid.shape != (n, n):
        raise Failed(f"the grid is {grid.shape}, the puzzle {n}x{n}")
    grid = grid.astype(np.int64)
    units = [grid[i, :] for i in range(n)] + [grid[:, j] for j in range(n)]
    r = math.isqrt(n)
    if r * r == n and n > 1:
        units += [
            grid[i : i + r, j : j + r].ravel() for i in range(0, n, r) for j in range(0, n, r)
        ]
    wrong = sum(1 for u in units if sorted(u.tolist()) != list(range(1, n + 1)))
    changed = int(np.sum((givens > 0) & (grid != givens)))
    valid = wrong == 0 and changed == 0
    if bool(result.get("feasible")) != valid:
        why = f"{wrong} rows / columns / boxes wrong, {changed} givens changed"
        raise Failed(f"feasible {result.get('feasible')} recorded, but {why}")
    if valid and result.get("objective") not in (0, 0.0):
        raise Failed(f"objective {result.get('objective')} recorded for a solved grid (0)")
    return [f"{n}x{n} grid: {'solved, givens kept' if valid else 'not solved, as recorded'}"]
