"""Bad numbers in LP/QP input (MPS, QPS, CPLEX LP, .npz): one-line errors naming file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highspy")

from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.io._text import read_text
from dnnsolve.lp import read_lp, read_mps
from dnnsolve.lp.textcheck import check_mps_text
from test_lp_io import TINY_MPS, TINY_QPS

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "lp"

# lines of TINY_MPS (1-based): 8 X's first COLUMNS line, 13-15 RHS, 17 the UP bound
X_COL = "    X         COST          -1.0   LIM1           1.0"
RHS_LIM = "    RHS       LIM1           4.0   LIM2          -2.0"
RHS_EQ = "    RHS       EQ             6.0"
RHS_OBJ = "    RHS       COST          -3.0"
UP_X = " UP BND       X              3.0"


def _mps(tmp_path: Path, old: str, new: str, name: str = "bad.mps") -> Path:
    assert old in TINY_MPS
    p = tmp_path / name
    text = TINY_MPS.replace(old, new)
    if name.endswith(".gz"):
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    return p


def _line(old: str) -> int:
    return TINY_MPS.splitlines().index(old) + 1


@pytest.mark.parametrize(
    ("old", "new", "msg"),
    [
        (X_COL, X_COL[:-3] + "nan", "LIM1 'nan' is NaN"),
        (X_COL, X_COL[:-3] + "inf", "LIM1 'inf' is infinite"),
        (X_COL, X_COL[:-3] + "1e400", "'1e400' is infinite"),
        (X_COL, X_COL[:-3] + "1e16", "too large"),
        (X_COL, X_COL.replace("-1.0", "NaN "), "cost of X in row COST 'NaN' is NaN"),
        (X_COL, X_COL.replace("-1.0", "1e25"), "cost of X in row COST '1e25' is infinite"),
        (X_COL, X_COL[:-3] + "1.0x", "'1.0x' is not a number"),
        (RHS_EQ, RHS_EQ[:-3] + "NaN", "row EQ 'NaN' is NaN"),
        (RHS_EQ, RHS_EQ[:-3] + "inf", "row EQ 'inf' is infinite; it must be finite"),
        (RHS_EQ, RHS_EQ[:-3] + "1e30", "row EQ '1e30' is infinite (|value| ≥ 1e+20)"),
        (RHS_EQ, RHS_EQ[:-3] + "0x10", "'0x10' is not a number"),
        (RHS_LIM, RHS_LIM.replace("-2.0", "inf "), "row LIM2 'inf' is infinite; only -inf"),
        (RHS_LIM, RHS_LIM.replace("4.0", "-inf"), "row LIM1 '-inf' is infinite; only +inf"),
        (RHS_OBJ, RHS_OBJ[:-4] + "-inf", "objective constant (row COST) '-inf' is infinite"),
        (UP_X, UP_X[:-3] + "nan", "UP bound of X 'nan' is NaN"),
        (UP_X, UP_X[:-3] + "abc", "'abc' is not a number"),
        (UP_X, UP_X[:-3] + "-inf", "UP bound of X '-inf' is infinite; only +inf"),
        (UP_X, " LO" + UP_X[3:-3] + "inf", "LO bound of X 'inf' is infinite; only -inf"),
        (UP_X, " FX" + UP_X[3:-3] + "1e20", "FX bound of X '1e20' is infinite"),
        (UP_X, "RANGES\n    RNG       LIM1          nan\n" + UP_X, "RANGES value of row LIM1"),
    ],
)
def test_bad_mps_values_name_file_and_line(tmp_path, old, new, msg):
    for name in ("bad.mps", "bad.mps.gz"):
        p = _mps(tmp_path, old, new, name)
        with pytest.raises(InputError) as e:
            read_mps(p)
        line = _line(old) + (1 if new.startswith("RANGES") else 0)
        s = str(e.value)
        assert s.startswith(f"{p}:{line}: ") and msg in s and "\n" not in s, s


def test_infinities_where_they_mean_something_are_read(tmp_path):
    text = (
        TINY_MPS.replace(RHS_LIM, "    RHS       LIM1           inf   LIM2          -1e30")
        .replace(UP_X, " UP BND       X              1e30\n LO BND       Y          -Infinity")
        .replace(" FR BND       Y\n", " MI BND       Y\nRANGES\n    RNG       EQ    -inf\n")
    )
    (tmp_path / "ok.mps").write_text(text)
    lp = read_mps(tmp_path / "ok.mps")
    assert lp.row_upper.tolist() == [np.inf, np.inf, 6.0]
    assert lp.row_lower.tolist() == [-np.inf, -np.inf, -np.inf]  # E row ranged down to -inf
    assert lp.col_upper.tolist() == [np.inf, np.inf] and lp.col_lower.tolist() == [0.0, -np.inf]


def test_fixed_format_names_with_spaces(tmp_path):
    def fx(*fields: str) -> str:  # fields in MPS columns 2, 5, 15, 25, 40, 50
        s = [" "] * 61
        for p, f in zip((1, 4, 14, 24, 39, 49), fields, strict=False):
            s[p : p + len(f)] = f
        return "".join(s).rstrip()

    lines = ["NAME          SPACEY", "ROWS", " N  COST", " L  LIM 1", " E  EQ", "COLUMNS"]
    lines += [fx("", "X A", "COST", "-1.0", "LIM 1", "1.0"), fx("", "X A", "EQ", "1.0")]
    lines += [fx("", "Y B", "COST", "-2.0", "LIM 1", "1.0"), fx("", "Y B", "EQ", "3.0")]
    lines += ["RHS", fx("", "RHS 1", "LIM 1", "4.0", "EQ", "6.0"), "BOUNDS"]
    lines += [fx("UP", "BND 1", "X A", "3.0"), "ENDATA"]
    good = "\n".join(lines) + "\n"
    (tmp_path / "ok.mps").write_text(good)
    lp = read_mps(tmp_path / "ok.mps")
    assert lp.col_names == ["X A", "Y B"] and lp.A.toarray().tolist() == [[1, 1], [1, 3]]
    (tmp_path / "bad.mps").write_text(good.replace(lines[9], fx("", "Y B", "EQ", "nan")))
    with pytest.raises(InputError, match=r"bad\.mps:10: COLUMNS: coefficient of Y B in row EQ"):
        read_mps(tmp_path / "bad.mps")
    (tmp_path / "bad2.mps").write_text(good.replace(lines[13], fx("UP", "BND 1", "X A", "-inf")))
    with pytest.raises(InputError, match=r"bad2\.mps:14: BOUNDS: UP bound of X A '-inf'"):
        read_mps(tmp_path / "bad2.mps")


def test_qps_quadratic_values(tmp_path):
    p = tmp_path / "q.qps"
    p.write_text(TINY_QPS.replace("    x1        x2         0.5", "    x1        x2         nan"))
    with pytest.raises(InputError, match=r"q\.qps:18: QUADOBJ: quadratic coefficient of \(x1, x2"):
        read_lp(p)


def test_model_checks_name_the_file(tmp_path, monkeypatch):
    # what only make_lp's checks catch (here: with the text check switched off) names the file
    monkeypatch.setattr("dnnsolve.lp.io.check_mps_text", lambda text, where: None)
    p = _mps(tmp_path, X_COL, X_COL[:-3] + "nan")
    with pytest.raises(InputError) as e:
        read_mps(p)
    assert str(e.value) == f"{p}: A must be finite"
    q = tmp_path / "m.npz"
    np.savez(q, c=[1.0, np.nan])
    with pytest.raises(InputError, match=r"m\.npz: c must be finite"):
        read_lp(q)


@pytest.mark.parametrize(
    ("arrays", "msg"),
    [
        ({"c": [1.0, 1.0], "offset": [1.0, 2.0]}, "offset must be one number"),
        ({"c": [1.0, 1.0], "offset": "abc"}, "offset must be a number"),
        ({"c": np.array([1 + 1j, 2.0])}, "not complex"),
        ({"c": [1.0, 1.0], "A": [[np.inf, 1.0]]}, "A must be finite"),
        ({"c": [1.0, 1.0], "A": [[1.0, 1.0]], "l": [np.nan]}, "row_lower contains NaN"),
        (
            {
                "c": [1.0, 1.0],
                "A_data": [1.0],
                "A_indices": [5],
                "A_indptr": [0, 1],
                "A_shape": [1, 2],
            },
            "bad CSR arrays for A",
        ),
        ({"c": [1.0, 1.0], "A_data": [1.0]}, "no array 'A_indices'"),
    ],
)
def test_npz_errors_are_one_line_with_the_file(tmp_path, arrays, msg):
    p = tmp_path / "a.npz"
    np.savez(p, **arrays)
    with pytest.raises(InputError) as e:
        read_lp(p)
    s = str(e.value)
    assert s.startswith(f"{p}: ") and s.count(str(p)) == 1 and msg in s and "\n" not in s


LP_TEXT = """\\ tiny
Minimize
 obj: - x - 2 y + 3
Subject To
 lim1: x + y <= 4
 lim2: x - y >= -2
 eq: x + 3 y = 6
Bounds
 0 <= x <= 3
 y free
End
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "msg"),
    [
        ("x + y <= 4", "x + y <= 1e400", 5, "'1e400' is beyond the float64 range"),
        ("x + y <= 4", "x + nan y <= 4", 5, "NaN"),
        ("- x - 2 y", "- nan x - 2 y", 3, "NaN"),
        ("0 <= x <= 3", "0 <= x <= nan", 9, "NaN"),
        ("x + y <= 4", "x + inf y <= 4", 5, "infinite value in a constraint"),
        ("x + 3 y = 6", "x + 3 y = inf", 7, "infinite value in a constraint"),
    ],
)
def test_lp_format_values(tmp_path, old, new, line, msg):
    p = tmp_path / "m.lp"
    p.write_text(LP_TEXT.replace(old, new))
    with pytest.raises(InputError) as e:
        read_lp(p)
    assert str(e.value).startswith(f"{p}:{line}: ") and msg in str(e.value)


def test_lp_format_free_rows_stay_legal(tmp_path):
    p = tmp_path / "ok.lp"
    p.write_text(LP_TEXT.replace("x + y <= 4", "x + y <= inf").replace("x - y >= -2", "x >= -inf"))
    lp = read_lp(p)
    assert lp.row_upper[0] == np.inf and lp.row_lower[1] == -np.inf


def test_cli_reports_the_line(tmp_path, capsys):
    p = _mps(tmp_path, RHS_EQ, RHS_EQ[:-3] + "nan")
    assert main(["solve", "lp", str(p), "--device", "cpu", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{p}:{_line(RHS_EQ)}:" in err and "Traceback" not in err


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Netlib data not present")
def test_netlib_files_pass_the_value_check():
    files = sorted(DATA.glob("*.mps.gz"))
    assert files
    for f in files:  # no false alarm on 96 real (fixed and free format) files
        check_mps_text(read_text(f)[1], str(f))
