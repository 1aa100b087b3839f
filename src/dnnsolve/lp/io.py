"""Readers (MPS / QPS through HiGHS, ``.npz`` arrays) and the solution writer.

HiGHS (``highspy``) parses free and fixed MPS, gzipped or not, and the QUADOBJ / QMATRIX
sections of QPS files; we only take its model arrays, so every solver here sees the same data
HiGHS would solve. Integrality markers are ignored (the LP relaxation is read).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.errors import InputError
from ..core.result import atomic_write_text, jsonable
from ..io._text import read_text
from .model import LPData, make_lp
from .textcheck import check_lp_text, check_mps_text

__all__ = ["new_highs", "read_lp", "read_mps", "read_npz", "write_solution"]


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner from its constructor)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def new_highs(threads: int | None = 1) -> Any:
    """A silent ``highspy.Highs`` instance; :class:`InputError` when highspy is missing."""
    try:
        import highspy
    except ImportError:
        raise InputError("reading MPS files needs highspy: pip install highspy") from None
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        # HiGHS keeps one global thread pool per process and refuses to run (status "Not Set")
        # when a later model asks for another thread count; start a fresh pool instead
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(threads))
    return h


def _lp_from_highs(h: Any, name: str) -> LPData:
    import highspy

    lp = h.getLp()
    n, m = int(lp.num_col_), int(lp.num_row_)
    am = lp.a_matrix_
    start = np.asarray(am.start_, dtype=np.int64)
    index = np.asarray(am.index_, dtype=np.int64)
    value = np.asarray(am.value_, dtype=np.float64)
    if am.format_ == highspy.MatrixFormat.kRowwise:
        A = sp.csr_matrix((value, index, start), shape=(m, n))
    else:
        A = sp.csc_matrix((value, index, start), shape=(m, n)).tocsr()
    A.sum_duplicates()
    A.eliminate_zeros()
    c = np.asarray(lp.col_cost_, dtype=np.float64).copy()
    offset = float(lp.offset_)
    Q = None
    hess = h.getModel().hessian_
    if int(hess.dim_) > 0 and len(hess.value_) > 0:
        d = int(hess.dim_)
        H = sp.csc_matrix(
            (
                np.asarray(hess.value_, dtype=np.float64),
                np.asarray(hess.index_, dtype=np.int64),
                np.asarray(hess.start_, dtype=np.int64),
            ),
            shape=(d, d),
        )
        if hess.format_ == highspy.HessianFormat.kTriangular:
            # HiGHS stores the lower triangle; the objective is ½ xᵀHx with H symmetric
            H = H + sp.tril(H, -1).T
        Q = sp.csr_matrix(H)
        if d < n:
            Q.resize((n, n))
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    if sense == "max":
        c, offset = -c, -offset
        if Q is not None:
            Q = -Q
    out = make_lp(
        c,
        A,
        np.asarray(lp.row_lower_, dtype=np.float64),
        np.asarray(lp.row_upper_, dtype=np.float64),
        np.asarray(lp.col_lower_, dtype=np.float64),
        np.asarray(lp.col_upper_, dtype=np.float64),
        Q=Q,
        offset=offset,
        name=name,
    )
    out.sense = sense
    names = list(lp.col_names_) if len(lp.col_names_) == n else None
    out.col_names = names
    return out


def instance_name(path: str | os.PathLike) -> str:
    """``dir/afiro.mps.gz`` → ``afiro``.

    >>> instance_name("data/pilot.ja.mps.gz")
    'pilot.ja'
    """
    name = Path(path).name
    for suf in (".gz", ".bz2", ".mps", ".qps", ".MPS", ".QPS", ".npz", ".lp"):
        if name.endswith(suf):
            name = name[: -len(suf)]
    return name


def read_mps(path: str | os.PathLike) -> LPData:
    """Read an MPS / QPS file (free or fixed, optionally ``.gz``; or a CPLEX ``.lp`` file)
    with HiGHS.

    Raises :class:`InputError` (one line, naming the file) for a missing, unreadable or
    malformed file; a bad number (NaN, an infinity where none is allowed, text that is
    not a number) is caught by :mod:`.textcheck` first and also names its line.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", path=str(p))
    low = p.name.lower()
    is_lp = low.endswith((".lp", ".lp.gz"))
    _, text = read_text(p)
    if is_lp:
        check_lp_text(text, str(p))
    else:
        check_mps_text(text, str(p))
    h = new_highs()
    import highspy

    tmpdir = None
    target = p
    if not (low.endswith((".mps", ".mps.gz", ".lp", ".lp.gz"))):
        # HiGHS picks the parser by extension: give QPS (and unsuffixed) files an .mps name
        tmpdir = tempfile.TemporaryDirectory()
        gz = low.endswith(".gz")
        target = Path(tmpdir.name) / ("model.mps.gz" if gz else "model.mps")
        shutil.copyfile(p, target)
    try:
        status = h.readModel(str(target))
    except Exception as exc:  # highspy raises on some parse failures
        raise InputError(f"HiGHS could not read the model ({exc})", path=str(p)) from None
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    if status == highspy.HighsStatus.kError:
        if is_lp:
            check_lp_text(text, str(p), failed=True)
            raise InputError("malformed LP file (HiGHS could not parse it)", path=str(p))
        raise InputError("malformed MPS/QPS file (HiGHS could not parse it)", path=str(p))
    try:
        lp = _lp_from_highs(h, instance_name(p))
    except InputError as exc:  # make_lp's checks know no file
        raise InputError(str(exc), path=str(p)) from None
    if lp.n == 0:
        raise InputError("the model has no columns (empty or malformed MPS file)", path=str(p))
    return lp


def read_npz(path: str | os.PathLike) -> LPData:
    """Read arrays ``c`` (required), ``A`` (dense, or ``A_data/A_indices/A_indptr/A_shape``
    CSR), ``row_lower``/``row_upper`` (or ``l``/``u``), ``col_lower``/``col_upper`` (or
    ``lb``/``ub``), ``Q`` (dense or ``Q_*`` CSR), ``offset``."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", path=str(p))
    try:
        z = dict(np.load(p, allow_pickle=False))
    except Exception as exc:
        raise InputError(
            f"not a readable .npz file ({exc.__class__.__name__})", path=str(p)
        ) from None
    if "c" not in z:
        raise InputError("the .npz file needs an array 'c'", path=str(p))

    def mat(key: str):
        if key in z:
            return z[key]
        if f"{key}_data" in z:
            try:
                M = sp.csr_matrix(
                    (z[f"{key}_data"], z[f"{key}_indices"], z[f"{key}_indptr"]),
                    shape=tuple(int(k) for k in z[f"{key}_shape"]),
                )
                M.check_format(full_check=True)  # column indices in range, indptr sorted
                return M
            except KeyError as exc:
                raise InputError(f"bad CSR arrays for {key}: no array {exc}") from None
            except (ValueError, TypeError, IndexError) as exc:
                msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                raise InputError(f"bad CSR arrays for {key}: {msg}") from None
        return None

    def vec(*keys):
        for k in keys:
            if k in z:
                return z[k]
        return None

    try:
        return make_lp(
            z["c"],
            mat("A"),
            vec("row_lower", "l"),
            vec("row_upper", "u"),
            vec("col_lower", "lb"),
            vec("col_upper", "ub"),
            Q=mat("Q"),
            offset=z.get("offset", 0.0),
            name=instance_name(p),
        )
    except InputError as exc:  # make_lp and mat know no file
        raise InputError(str(exc), path=str(p)) from None


def read_lp(path: str | os.PathLike) -> LPData:
    """Dispatch on the suffix: ``.npz`` arrays, anything else MPS/QPS through HiGHS."""
    return read_npz(path) if str(path).endswith(".npz") else read_mps(path)


def write_solution(path: str | os.PathLike, payload: dict) -> None:
    """Write a JSON result atomically (NaN/inf become null)."""
    atomic_write_text(path, json.dumps(jsonable(payload), indent=2) + "\n")
