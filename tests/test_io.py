"""Readers, writers and bundled examples of dnnsolve.io / dnnsolve.data."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dnnsolve.bench.harness import default_data_dir
from dnnsolve.core.errors import InputError
from dnnsolve.data import EXAMPLES, example_path
from dnnsolve.graph import Graph
from dnnsolve.io import (
    CNF,
    assignment_from_independent_set,
    cnf_to_mis_graph,
    from_networkx,
    read_cnf,
    read_graph,
    write_cnf,
    write_dimacs,
    write_gset,
)

DATASETS = default_data_dir() or Path("/nonexistent")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _edges(g: Graph) -> set[tuple[int, int, float]]:
    return set(zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist()))


# ---------------------------------------------------------------- good input


def test_gset_reads_counts_weights_ids(tmp_path):
    p = _write(tmp_path, "tiny.txt", "4 3 \n1 2 1\n2 3 -1\n4 1 2.5\n")
    g = read_graph(p)
    assert (g.n, g.m, g.name) == (4, 3, "tiny")
    assert g.meta["format"] == "gset"
    assert _edges(g) == {(0, 1, 1.0), (1, 2, -1.0), (0, 3, 2.5)}
    assert g.ids.tolist() == [1, 2, 3, 4]


def test_gset_gzip_and_explicit_format(tmp_path):
    p = tmp_path / "g.gset.gz"
    p.write_bytes(gzip.compress(b"3 2\n1 2 1\n2 3 1\n"))
    g = read_graph(p)
    assert (g.n, g.m, g.name) == (3, 2, "g")
    q = _write(tmp_path, "noext", "3 2\n1 2\n2 3\n")
    assert read_graph(q, format="gset").m == 2
    assert read_graph(q).meta["format"] == "gset"  # sniffed: m matches the row count


def test_dimacs_dedup_weights_and_vertex_weights(tmp_path):
    text = (
        "c SGB style: every edge twice\n"
        "p edge 4 6\n"
        "n 2 5\n"
        "e 1 2\ne 2 1\ne 2 3\ne 3 2\ne 3 4\ne 4 3\n"
    )
    g = read_graph(_write(tmp_path, "sgb.col", text))
    assert (g.n, g.m) == (4, 3)
    assert g.meta["duplicate_edges"] == 3
    assert g.node_weight.tolist() == [1.0, 5.0, 1.0, 1.0]
    assert g.weight.tolist() == [1.0, 1.0, 1.0]
    # header counting unique edges is accepted too; 4th field is an edge weight
    g2 = read_graph(_write(tmp_path, "w.dimacs", "p edge 3 2\ne 1 2 3\ne 2 1 3\ne 2 3 -2\n"))
    assert _edges(g2) == {(0, 1, 3.0), (1, 2, -2.0)}
    g3 = read_graph(_write(tmp_path, "k3.clq", "p col 3 3\ne 1 2\ne 1 3\ne 2 3\n"))
    assert g3.m == 3 and g3.ids.tolist() == [1, 2, 3]


def test_line_ends_crlf_cr_and_a_carriage_return_between_fields(tmp_path):
    # r250.1c.col of the DIMACS colouring set writes "e 1\r 2\n"; Windows and old Mac
    # line ends must read alike, and line numbers in errors must stay editor line numbers
    body = "p edge 3 2\ne 1 2\ne 2 3\n"
    for name, text in [
        ("lf.col", body),
        ("crlf.col", body.replace("\n", "\r\n")),
        ("cr.col", body.replace("\n", "\r")),
        ("inner.col", "p edge 3 2\ne 1\r 2\ne 2\r 3\n"),
    ]:
        g = read_graph(_write(tmp_path, name, text))
        assert _edges(g) == {(0, 1, 1.0), (1, 2, 1.0)}, name
    with pytest.raises(InputError) as info:
        read_graph(_write(tmp_path, "bad.col", "p edge 3 2\r\ne 1\r 2\r\ne 2\r x\r\n"))
    assert info.value.line == 3


def test_edgelist_labels(tmp_path):
    g = read_graph(_write(tmp_path, "a.edges", "# comment\n10 20\n20 30 2\n% other\n30 10\n"))
    assert g.n == 3 and g.ids.tolist() == [10, 20, 30]
    assert _edges(g) == {(0, 1, 1.0), (1, 2, 2.0), (0, 2, 1.0)}
    s = read_graph(_write(tmp_path, "s.el", "bob alice\nalice carol 0.5\nalice bob\n"))
    assert list(s.ids) == ["bob", "alice", "carol"]
    assert s.m == 2 and s.meta["duplicate_edges"] == 1
    assert s.vertex_ids([2]) == ["carol"]


def test_from_networkx():
    h = nx.Graph()
    h.add_node("x", weight=3.0)
    h.add_edge("x", "y", weight=-2.0)
    h.add_edge("y", "z")
    g = from_networkx(h, name="h")
    assert list(g.ids) == ["x", "y", "z"] and g.name == "h"
    assert g.node_weight.tolist() == [3.0, 1.0, 1.0]
    assert _edges(g) == {(0, 1, -2.0), (1, 2, 1.0)}
    gi = from_networkx(nx.cycle_graph(5))
    assert gi.ids.dtype == np.int64 and gi.node_weight is None and gi.m == 5
    h.add_edge("z", "z")
    with pytest.raises(InputError, match="self-loop"):
        from_networkx(h)


def test_cnf_reader_satlib_trailer(tmp_path):
    text = "c hello\np cnf 3 2\n 1 -2 3 0\n-1\n 2 0\n%\n0\n\n"
    f = read_cnf(_write(tmp_path, "f.cnf", text))
    assert (f.n_vars, f.n_clauses, f.name) == (3, 2, "f")
    assert f.clauses == [[1, -2, 3], [-1, 2]]
    assert f.satisfied([1, 1, 0]) and not f.satisfied([1, 0, 0])


def test_cnf_to_mis_graph_hand_checked():
    # (x1 ∨ x2 ∨ ¬x3) ∧ (¬x1 ∨ x3 ∨ x2): 2 triangles + x1/¬x1 + ¬x3/x3 = 8 edges
    g = cnf_to_mis_graph(CNF(3, [[1, 2, -3], [-1, 3, 2]]))
    assert (g.n, g.m) == (6, 8)
    assert _edges(g) == {
        (0, 1, 1.0), (0, 2, 1.0), (1, 2, 1.0),
        (3, 4, 1.0), (3, 5, 1.0), (4, 5, 1.0),
        (0, 3, 1.0), (2, 4, 1.0),
    }  # fmt: skip
    assert g.ids.tolist() == [1, 2, 3, 4, 5, 6]
    assert g.meta["literal"].tolist() == [1, 2, -3, -1, 3, 2]
    assert g.meta["clause"].tolist() == [0, 0, 0, 1, 1, 1]
    assert (g.meta["n_vars"], g.meta["n_clauses"]) == (3, 2)
    # brute-force MIS = n_clauses (formula satisfiable)
    adj = {(u, v) for u, v, _ in _edges(g)}
    best = max(
        len(s)
        for k in range(g.n + 1)
        for s in itertools.combinations(range(g.n), k)
        if not any((a, b) in adj for a, b in itertools.combinations(s, 2))
    )
    assert best == 2


def test_cnf_mis_graph_unsat_and_tautology():
    # x1 ∧ ¬x1 (unit clauses): MIS = 1 < 2 clauses
    g = cnf_to_mis_graph(CNF(1, [[1], [-1]]))
    assert (g.n, g.m) == (2, 1)
    # tautology x1 ∨ ¬x1: clique edge and complement edge coincide
    assert cnf_to_mis_graph(CNF(1, [[1, -1]])).m == 1


def test_round_trip_gset_dimacs(tmp_path):
    rng = np.random.default_rng(0)
    e = rng.integers(0, 30, (80, 2))
    e = e[e[:, 0] != e[:, 1]]
    g = Graph.from_edges(30, e, rng.choice([-1.0, 1.0, 2.5], len(e)), merge="first")
    g.node_weight = rng.integers(1, 5, 30).astype(float)
    write_gset(g, tmp_path / "r.gset")
    h = read_graph(tmp_path / "r.gset")
    assert h.n == g.n and _edges(h) == _edges(g)
    write_dimacs(g, tmp_path / "r.dimacs")
    d = read_graph(tmp_path / "r.dimacs")
    assert _edges(d) == _edges(g)
    assert np.array_equal(d.node_weight, g.node_weight)
    f = CNF(4, [[1, -2, 3], [-4, 2], [4]], "x")
    write_cnf(f, tmp_path / "x.cnf")
    assert read_cnf(tmp_path / "x.cnf").clauses == f.clauses


# ---------------------------------------------------------------- malformed input

BAD = [
    # (file name, content, line number named in the error, message fragment)
    ("few.gset", "3 3\n1 2 1\n2 3 1\n", 3, "m=3"),
    ("many.gset", "3 1\n1 2 1\n2 3 1\n", 3, "m=1"),
    ("nonnum.gset", "3 2\n1 2 1\n2 x 1\n", 3, "'x'"),
    ("badw.gset", "3 2\n1 2 1\n2 3 abc\n", 3, "'abc'"),
    ("range.gset", "3 2\n1 2 1\n2 4 1\n", 3, "out of range"),
    ("zero.gset", "3 2\n1 2 1\n0 3 1\n", 3, "out of range"),
    ("loop.gset", "3 2\n1 2 1\n3 3 1\n", 3, "self-loop"),
    ("header.gset", "3\n1 2 1\n", 1, "header"),
    ("width.gset", "3 2\n1 2 1 7\n2 3 1\n", 2, "fields"),
    ("empty.gset", "\n\n", 1, "empty"),
    ("nop.col", "c x\ne 1 2\n", 2, "missing 'p"),
    ("few.col", "p edge 3 3\ne 1 2\ne 2 3\n", 1, "m=3"),
    ("range.col", "p edge 3 1\ne 1 5\n", 2, "out of range"),
    ("loop.col", "p edge 3 1\ne 2 2\n", 2, "self-loop"),
    ("tag.col", "p edge 3 1\ne 1 2\nq 1\n", 3, "unknown"),
    ("nonnum.col", "p edge 3 1\ne 1 b\n", 2, "'b'"),
    ("empty.col", "", 1, "empty"),
    ("loop.edges", "a b\nc c\n", 2, "self-loop"),
    ("width.edges", "1 2\n1 2 3 4\n", 2, "fields"),
    ("w.edges", "1 2\n2 3 heavy\n", 2, "'heavy'"),
    ("empty.edges", "# nothing\n", 1, "empty"),
    ("lit.cnf", "p cnf 3 2\n1 2 0\n-4 1 0\n", 3, "out of range"),
    ("count.cnf", "p cnf 3 3\n1 2 0\n-3 1 0\n", 1, "3 clauses"),
    ("more.cnf", "p cnf 3 1\n1 2 0\n-3 1 0\n", 3, "1 clauses"),
    ("nop.cnf", "c x\n1 2 0\n", 2, "missing 'p cnf"),
    ("emptyclause.cnf", "p cnf 3 2\n1 2 0\n0\n", 3, "empty clause"),
    ("tok.cnf", "p cnf 3 1\n1 y 0\n", 2, "'y'"),
    ("hdr.cnf", "p cnf 3\n1 0\n", 1, "header"),
    ("empty.cnf", "", 1, "empty"),
]


@pytest.mark.parametrize(("name", "text", "line", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_malformed_input_names_file_and_line(tmp_path, name, text, line, fragment):
    p = _write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        read_graph(p)
    msg = str(info.value)
    assert name in msg and f":{line}:" in msg and fragment in msg, msg
    assert info.value.line == line and info.value.path == str(p)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_graph(tmp_path / "missing.gset")
    (tmp_path / "bin.gset").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InputError, match=r"bin\.gset"):
        read_graph(tmp_path / "bin.gset")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(InputError, match="gzip"):
        read_graph(tmp_path / "bad.gz")
    with pytest.raises(InputError, match="unknown graph format"):
        read_graph(_write(tmp_path, "ok.gset", "2 1\n1 2\n"), format="metis")


def test_random_garbage_never_raises_raw_errors(tmp_path):
    rng = np.random.default_rng(1)
    alphabet = list("0123456789 -.\nepcnf%#x")
    for i in range(200):
        text = "".join(rng.choice(alphabet, int(rng.integers(0, 60))))
        for ext in (".gset", ".col", ".edges", ".cnf", ".txt"):
            p = _write(tmp_path, f"r{i}{ext}", text)
            with contextlib.suppress(InputError):
                read_graph(p)


# ---------------------------------------------------------------- real datasets (optional)


def test_satlib_cbs_mis_graph():
    p = DATASETS / "satlib_mis_cbs/cnf/CBS_k3_n100_m403_b10_134.cnf"
    if not p.exists():
        pytest.skip("SATLIB CBS dataset not present")
    g = read_graph(p)
    assert (g.n, g.m) == (1209, 4841)
    assert g.meta["n_clauses"] == 403 and g.meta["n_vars"] == 100


def test_satlib_uf_trailer():
    folder = DATASETS / "satlib_uf/uf20-91"
    if not folder.exists():
        pytest.skip("SATLIB uf dataset not present")
    f = read_cnf(sorted(folder.iterdir())[0])
    assert (f.n_vars, f.n_clauses) == (20, 91)


def test_gset_g14_and_speed():
    p = DATASETS / "gset/G14.txt"
    if not p.exists():
        pytest.skip("Gset dataset not present")
    g = read_graph(p)
    assert (g.n, g.m, g.name) == (800, 4694, "G14") and not g.weighted
    big = DATASETS / "gset/G81.txt"
    t = time.perf_counter()
    g81 = read_graph(big)
    assert (g81.n, g81.m) == (20000, 40000) and set(np.unique(g81.weight)) == {-1.0, 1.0}
    assert time.perf_counter() - t < 1.0


def test_dimacs_color_file():
    p = DATASETS / "dimacs_color/anna.col"
    if not p.exists():
        pytest.skip("DIMACS colouring dataset not present")
    g = read_graph(p)
    assert (g.n, g.m) == (138, 493)


# ---------------------------------------------------------------- bundled examples


def _cut_value(g: Graph, x: np.ndarray) -> float:
    return float(g.weight[x[g.src] != x[g.dst]].sum())


def _mis_exact(g: Graph) -> int:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.NewBoolVar("") for _ in range(g.n)]
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        model.AddBoolOr([x[u].Not(), x[v].Not()])
    model.Maximize(sum(x))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.Solve(model) == cp_model.OPTIMAL
    return round(solver.ObjectiveValue())


def test_examples_registry_and_certificates():
    assert set(EXAMPLES) == {
        "maxcut_example",
        "mis_example",
        "mis_sat_example",
        "color_example",
        "sat_example",
    }
    for name, info in EXAMPLES.items():
        p = example_path(name)
        assert p.exists() and example_path(info["file"]) == p
        x = np.array([int(c) for c in info["certificate"]], dtype=np.int64)
        if info["problem"] == "sat":
            f = read_cnf(p)
            assert (f.n_vars, f.n_clauses) == (info["n"], info["m"]) and len(x) == f.n_vars
            assert f.satisfied(x) and info["optimum"] == 0  # a model: nothing falsified
            continue
        g = read_graph(p)
        assert (g.n, g.m) == (info["n"], info["m"]) and not g.weighted
        assert len(x) == g.n
        if info["problem"] == "maxcut":
            assert _cut_value(g, x) == info["optimum"]
        elif info["problem"] == "color":  # proper with χ colours, and a χ-clique: χ is exact
            assert not np.any(x[g.src] == x[g.dst]) and len(set(x.tolist())) == info["optimum"]
            clique, _ = nx.max_weight_clique(g.to_networkx(), weight=None)
            assert len(clique) == info["optimum"]
        else:  # independent set checked edge by edge
            assert not np.any(x[g.src] & x[g.dst]) and x.sum() == info["optimum"]
    with pytest.raises(InputError, match="unknown example"):
        example_path("nope")


def test_example_mis_optima_reproved():
    g = read_graph(example_path("mis_example"))
    assert _mis_exact(g) == EXAMPLES["mis_example"]["optimum"]
    # CNF example: satisfiable (certificate gives a model) and MIS ≤ #clauses (clause cliques)
    gc = read_graph(example_path("mis_sat_example"))
    f = read_cnf(example_path("mis_sat_example"))
    cert = np.array([int(c) for c in EXAMPLES["mis_sat_example"]["certificate"]])
    assert f.satisfied(assignment_from_independent_set(gc, cert))
    assert EXAMPLES["mis_sat_example"]["optimum"] == f.n_clauses == gc.meta["n_clauses"]


def test_example_maxcut_optimum_reproved():
    from ortools.sat.python import cp_model

    g = read_graph(example_path("maxcut_example"))
    model = cp_model.CpModel()
    x = [model.NewBoolVar("") for _ in range(g.n)]
    model.Add(x[0] == 0)
    cut = []
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        e = model.NewBoolVar("")
        model.Add(e <= x[u] + x[v])
        model.Add(e <= 2 - x[u] - x[v])
        cut.append(e)
    model.Maximize(sum(cut))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 30
    assert solver.Solve(model) == cp_model.OPTIMAL
    assert round(solver.ObjectiveValue()) == EXAMPLES["maxcut_example"]["optimum"]


# ---------------------------------------------------------------- header counts


@pytest.mark.parametrize(
    ("name", "text"),
    [("z.gset", "0 0\n"), ("z.col", "c none\np edge 0 0\n"), ("i.gset", "4 0\n")],
)
def test_graphs_without_edges_read_as_such(tmp_path, name, text):
    g = read_graph(_write(tmp_path, name, text))
    n = int(text.split()[-2])
    assert (g.n, g.m) == (n, 0) and g.ids.tolist() == list(range(1, n + 1))


HUGE = [
    # (file name, content, reader): headers claiming 10^12 vertices in a tiny file
    ("huge.gset", "1000000000000 1\n1 2 1\n", read_graph),
    ("huge.col", "c tiny\np edge 1000000000000 1\ne 1 2\n", read_graph),
    ("huge.txt", "1000000000000 1\n1 2\n", "hypop"),
    ("huge.hgr", "1 1000000000000\n1 2\n", "hmetis"),
]


@pytest.mark.parametrize(("name", "text", "reader"), HUGE, ids=[h[0] for h in HUGE])
def test_absurd_vertex_count_is_rejected_before_allocating(tmp_path, name, text, reader):
    import tracemalloc

    from dnnsolve.io import read_hypergraph

    p = _write(tmp_path, name, text)
    read = reader if callable(reader) else lambda q: read_hypergraph(q, format=reader)
    head = 2 if text.startswith("c ") else 1
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as info:
            read(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.path == str(p) and info.value.line == head
    assert str(info.value) == (
        f"{p}:{head}: header claims 1000000000000 vertices: at most 3037000499 are supported "
        "(64-bit indices)"
    )
    assert peak < 50 * 2**20  # nothing of size n was allocated


@pytest.mark.parametrize(
    ("name", "text", "fmt"),
    [
        ("big.gset", "30000000 1\n1 2 1\n", None),
        ("big.col", "p edge 30000000 1\ne 1 2\n", None),
        ("big.txt", "30000000 1\n1 2\n", "hypop"),
        ("big.hgr", "1 30000000\n1 2\n", "hmetis"),
    ],
)
def test_vertex_count_beyond_the_machine_memory_is_rejected(tmp_path, monkeypatch, name, text, fmt):
    """3·10⁷ vertices are honest, but their ids (240 MB) do not fit a 128 MiB machine."""
    import tracemalloc

    import dnnsolve.io._text as text_mod
    from dnnsolve.io import read_hypergraph

    monkeypatch.setattr(text_mod, "machine_memory", lambda: 128 * 2**20)
    p = _write(tmp_path, name, text)
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as info:
            read_graph(p) if fmt is None else read_hypergraph(p, format=fmt)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert msg.startswith(f"{p}:1: header claims 30000000 vertices: their arrays alone need ")
    assert msg.endswith("more than this machine's 0.125 GiB of memory"), msg
    assert peak < 50 * 2**20


def test_honest_isolated_vertices_are_kept(tmp_path):
    """Vertices without edges are legal: n far above the edges is read, not rejected."""
    g = read_graph(_write(tmp_path, "iso.gset", "100000 1\n1 2 1\n"))
    assert (g.n, g.m) == (100000, 1) and g.degrees()[2:].max() == 0
    d = read_graph(_write(tmp_path, "iso.col", "p edge 100000 1\ne 7 9\n"))
    assert (d.n, d.m) == (100000, 1)


def test_dimacs_edge_count_is_checked_before_allocating(tmp_path):
    import tracemalloc

    p = _write(tmp_path, "m.col", "p edge 20000000 999999999999\ne 1 2\n")
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as info:
            read_graph(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (
        str(info.value) == f"{p}:1: header says m=999999999999 edges but the file has 1 'e' lines"
    )
    assert peak < 50 * 2**20  # the 20 000 000 vertex ids were never built


def test_graph_refuses_more_vertices_than_its_keys_index():
    from dnnsolve.graph import MAX_VERTICES

    assert MAX_VERTICES**2 <= 2**63 - 1 < (MAX_VERTICES + 1) ** 2
    with pytest.raises(InputError, match="at most 3037000499"):
        Graph.from_edges(MAX_VERTICES + 1, [(0, 1)])
