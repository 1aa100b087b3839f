"""Host reads of the batched local searches' loops (issue 20).

On CUDA every read of a tensor on the host (``bool(t.any())``, ``.item()``, ``.tolist()``,
boolean-mask indexing) waits for all queued GPU work. Off the CPU the loops read their stop
tests every few passes (:func:`dnnsolve.search._common.read_every`); these tests run that
schedule on the CPU (:data:`~dnnsolve.search._common.READ_FREE_DEVICES` emptied) and count
the reads: the profiler's ``aten::_local_scalar_dense`` and ``aten::nonzero`` events, plus
``Tensor.tolist`` calls (which the CPU profiler does not see).
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from dnnsolve.data import example_path
from dnnsolve.graph import Graph
from dnnsolve.io import read_graph
from dnnsolve.problems.domination import build_covering
from dnnsolve.search import _common, clique, coloring, domination, maxcut, mis, mis_greedy
from dnnsolve.search._common import CHECK_EVERY, ROUNDS_PER_CHECK

SLACK = 3  # reads outside the loop (set-up, tolerances, the last test)


@pytest.fixture(autouse=True)
def _one_thread():
    # many tiny kernels: OpenMP threads waiting on each other on a loaded CPU cost 5–100×
    with _common.one_thread("cpu"):
        yield


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _reads(monkeypatch, fn):
    """``fn()`` and the host reads it made."""
    tolist_calls = [0]
    tolist = torch.Tensor.tolist

    def counting_tolist(self):
        tolist_calls[0] += 1
        return tolist(self)

    with monkeypatch.context() as m:
        m.setattr(torch.Tensor, "tolist", counting_tolist)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            out = fn()
    counts = {e.key: e.count for e in prof.key_averages()}
    reads = counts.get("aten::_local_scalar_dense", 0) + counts.get("aten::nonzero", 0)
    return out, reads + tolist_calls[0]


def _accelerator_schedule(monkeypatch) -> None:
    """Read as on a GPU: every few passes, not every pass."""
    monkeypatch.setattr(_common, "READ_FREE_DEVICES", frozenset())


@pytest.fixture
def tensor_paths(monkeypatch):
    """The tensor loops that CUDA runs, instead of the CPU's compiled kernels."""
    monkeypatch.setattr(mis_greedy, "available", lambda: False)
    monkeypatch.setitem(clique._JIT, "module", None)


def _complete(n: int) -> Graph:
    return Graph.from_edges(n, list(itertools.combinations(range(n), 2)))


def _caterpillar(spine: int, legs: int) -> Graph:
    """A path whose j-th vertex has ``legs * j`` leaves: greedy covering goes down it
    one spine vertex per round."""
    edges = [(j, j + 1) for j in range(spine - 1)]
    leaves = itertools.count(spine)
    edges += [(j, next(leaves)) for j in range(spine) for _ in range(legs * j)]
    return Graph.from_edges(next(leaves), edges)


def _greedy_call(name: str):
    """A greedy loop on an input needing many rounds (one vertex, or pair, per round)."""
    k40 = _complete(40).to_torch()
    empty, full = torch.zeros(2, 40, dtype=bool), torch.ones(2, 40, dtype=bool)
    if name == "mis.drop_conflicts":
        return lambda: mis.drop_conflicts(k40, full, generator=_gen(0))
    if name == "mis.augment":  # the heaviest free end joins, round after round
        path = Graph.from_edges(40, [(i, i + 1) for i in range(39)], node_weight=range(1, 41))
        return lambda: mis.augment(path.to_torch(), empty, generator=_gen(0))
    if name == "clique.drop_conflicts":  # K60 minus a perfect matching
        pairs = [(u, v) for u, v in itertools.combinations(range(60), 2) if v != u + 30]
        tg = Graph.from_edges(60, pairs).to_torch()
        return lambda: clique.drop_conflicts(tg, torch.ones(2, 60, dtype=bool), generator=_gen(0))
    if name == "clique.extend":
        return lambda: clique.extend(k40, empty, generator=_gen(0))
    if name == "domination.cover":
        cat = _caterpillar(12, 2)
        cov = build_covering("domset", cat)
        return lambda: domination.cover(cov, torch.zeros(2, cat.n, dtype=bool), _gen(0))
    if name == "domination.prune":
        cov = build_covering("domset", _complete(30))
        return lambda: domination.prune(cov, torch.ones(2, 30, dtype=bool), _gen(0))
    if name == "hypermaxcut.greedy_descent":  # the same path as 2-vertex hyperedges
        from dnnsolve.hypergraph import Hypergraph
        from dnnsolve.search import hypermaxcut

        hpath = Hypergraph.from_edges(40, [(i, i + 1) for i in range(39)],
                                      [2.0**i for i in range(39)])  # fmt: skip
        return lambda: hypermaxcut.greedy_descent(hpath.to_torch(), empty)
    assert name == "maxcut.greedy_one_flip"  # one flip a round down a path of doubling weights
    wpath = Graph.from_edges(40, [(i, i + 1) for i in range(39)], [2.0**i for i in range(39)])
    return lambda: maxcut.greedy_one_flip(wpath.to_torch(), empty)


GREEDY = ["mis.drop_conflicts", "mis.augment", "clique.drop_conflicts", "clique.extend",
          "domination.cover", "domination.prune", "maxcut.greedy_one_flip",
          "hypermaxcut.greedy_descent"]  # fmt: skip


@pytest.mark.parametrize("name", GREEDY)
def test_greedy_loops_read_every_few_rounds(monkeypatch, tensor_paths, name: str) -> None:
    call = _greedy_call(name)
    every_round, cpu_reads = _reads(monkeypatch, call)
    assert cpu_reads >= 10  # the CPU reads every round: these inputs need many rounds
    _accelerator_schedule(monkeypatch)
    late, reads = _reads(monkeypatch, call)
    # the hypergraph descent reads four numbers before its loop (counted on the CPU)
    setup = 4 if name == "hypermaxcut.greedy_descent" else SLACK
    assert reads <= cpu_reads / ROUNDS_PER_CHECK + setup
    assert torch.equal(late, every_round)  # rounds after convergence change nothing


def _per_iteration(monkeypatch, run, short: int, long: int) -> float:
    """Host reads per iteration of ``run(iterations)``, set-up excluded."""
    _, few = _reads(monkeypatch, lambda: run(short))
    _, many = _reads(monkeypatch, lambda: run(long))
    return (many - few) / (long - short)


def _maxcut_start():
    tg = read_graph(example_path("maxcut_example")).to_torch()
    return tg, torch.rand(4, tg.n, generator=_gen(1)) < 0.5


def test_tabu_search_reads_once_per_block(monkeypatch) -> None:
    tg, z = _maxcut_start()

    def run(iters: int) -> torch.Tensor:
        return maxcut.tabu_search(tg, z, max_iters=iters, generator=_gen(2), perturb_after=100)

    assert _per_iteration(monkeypatch, run, 50, 350) <= 1 / CHECK_EVERY + 1 / 300


def test_parallel_tabu_search_reads_once_per_block(monkeypatch) -> None:
    tg, z = _maxcut_start()

    def run(iters: int) -> torch.Tensor:
        return maxcut.parallel_tabu_search(tg, z, max_iters=iters, generator=_gen(3))

    assert _per_iteration(monkeypatch, run, 30, 160) <= 1 / CHECK_EVERY + 1 / 130


def test_maxcut_state_dtype_rule() -> None:
    """float32 off the CPU only when every cut and field is an integer exact in float32."""

    def graph(weights, device="cuda"):  # a stand-in: only the device's name and the weights
        return SimpleNamespace(device=torch.device(device), weight=torch.tensor(weights))

    assert maxcut.state_dtype(graph([1.0, -3.0, 2.0])) == torch.float32
    assert maxcut.state_dtype(graph([1.0, 0.5])) == torch.float64  # real weights
    assert maxcut.state_dtype(graph([2.0**22, 2.0**22])) == torch.float64  # Σ|w| = 2²³
    assert maxcut.state_dtype(graph([1.0, 2.0], "cpu")) == torch.float64


@pytest.mark.parametrize("search", ["tabu_search", "parallel_tabu_search"])
def test_maxcut_float32_state_searches(monkeypatch, search: str) -> None:
    monkeypatch.setattr(maxcut, "state_dtype", lambda tg: torch.float32)  # as on a GPU
    tg, z = _maxcut_start()
    out = getattr(maxcut, search)(tg, z, max_iters=600, generator=_gen(20))
    start, cut = maxcut.cut_values(tg, z), maxcut.cut_values(tg, out)
    assert bool((cut >= start).all()) and float(cut.max()) >= 110  # optimum 117


def test_tabucol_reads_every_check(monkeypatch) -> None:
    _accelerator_schedule(monkeypatch)
    tg = read_graph(example_path("color_example")).to_torch()
    z = torch.randint(0, 7, (4, tg.n), generator=_gen(4))

    def run(iters: int) -> torch.Tensor:  # 7 colours: no proper colouring, no early stop
        return coloring.tabucol(tg, z, 7, generator=_gen(5), max_iters=iters, use_numba=False)

    assert _per_iteration(monkeypatch, run, 20, 100) <= 1 / CHECK_EVERY + 1 / 80


@pytest.mark.parametrize("q", [3, 4])
def test_tabucol_stop_is_exact(monkeypatch, q: int) -> None:
    """Iterations after a proper colouring is found change neither the result nor the count."""
    _accelerator_schedule(monkeypatch)
    petersen = Graph.from_edges(10, [(i, (i + 1) % 5) for i in range(5)] + [(i, i + 5) for i in range(5)]
                                + [(5 + i, 5 + (i + 2) % 5) for i in range(5)]).to_torch()  # fmt: skip
    z = torch.zeros(6, 10, dtype=torch.int64)
    stats: dict = {}
    best = coloring.tabucol(petersen, z, q, generator=_gen(6), use_numba=False, stats=stats)
    stop = stats["iterations"]
    assert stats["best_conflicts"] == 0 == int(coloring.count_conflicts(petersen, best).min())
    assert stop % CHECK_EVERY != CHECK_EVERY - 1  # the stop fell inside a block
    capped: dict = {}
    again = coloring.tabucol(petersen, z, q, generator=_gen(6), max_iters=stop, use_numba=False,
                             stats=capped)  # fmt: skip
    assert torch.equal(again, best) and capped == stats


def test_min_conflicts_reads_every_check(monkeypatch) -> None:
    tg = read_graph(example_path("color_example")).to_torch()
    z = torch.randint(0, 7, (4, tg.n), generator=_gen(7))

    def run(iters: int) -> torch.Tensor:
        return domination.min_conflicts(tg.adj01, tg.src, tg.dst, z, 7, generator=_gen(8),
                                        max_iters=iters)  # fmt: skip

    every_iteration = run(120)
    _accelerator_schedule(monkeypatch)
    assert _per_iteration(monkeypatch, run, 20, 100) <= 1 / CHECK_EVERY + 1 / 80
    assert torch.equal(run(120), every_iteration)


def test_min_conflicts_stop_is_exact(monkeypatch) -> None:
    """A proper colouring is found at iteration 214 (inside a block): the iterations up to
    the next read leave the best colourings as they are."""
    tg = read_graph(example_path("color_example")).to_torch()
    z = torch.randint(0, 12, (4, tg.n), generator=_gen(9))

    def run() -> torch.Tensor:
        return domination.min_conflicts(tg.adj01, tg.src, tg.dst, z, 12, generator=_gen(10))

    every_iteration = run()
    assert int(domination.conflicts(tg.src, tg.dst, every_iteration).min()) == 0
    _accelerator_schedule(monkeypatch)
    assert torch.equal(run(), every_iteration)


def _seeded_repair(cov, y, generator=None):
    # the same result whatever the read schedule (the real one's late rounds draw more)
    return domination.prune(cov, domination.cover(cov, y, _gen(11)), _gen(12))


@pytest.fixture
def domset_graph():
    return read_graph(example_path("mis_example"))


def test_iterated_greedy_reads_every_check(monkeypatch, domset_graph) -> None:
    cov = build_covering("domset", domset_graph)
    y = torch.ones(8, domset_graph.n, dtype=torch.bool)
    # a read-free repair: only the loop's own reads count
    monkeypatch.setattr(domination, "repair", lambda cov, y, generator=None: y.bool())
    _accelerator_schedule(monkeypatch)

    def run(iters: int) -> torch.Tensor:
        return domination.iterated_greedy(cov, y, generator=_gen(13), max_iters=iters,
                                          stall_iters=10**6)  # fmt: skip

    assert _per_iteration(monkeypatch, run, 30, 180) <= 1 / CHECK_EVERY + 1 / 150


@pytest.mark.parametrize("stop", [{"stall_iters": 6}, {"target": 12}])
def test_iterated_greedy_stop_is_exact(monkeypatch, domset_graph, stop: dict) -> None:
    """The runs stop within their first block (after about 15 and 2 iterations); the
    iterations up to the next read change nothing."""
    cov = build_covering("domset", domset_graph)
    y = torch.ones(8, domset_graph.n, dtype=torch.bool)
    monkeypatch.setattr(domination, "repair", _seeded_repair)

    def run(**stop) -> torch.Tensor:
        return domination.iterated_greedy(cov, y, generator=_gen(15), max_iters=150, **stop)

    every_iteration = run(**stop)
    assert not torch.equal(every_iteration, run())  # the stop matters
    _accelerator_schedule(monkeypatch)
    assert torch.equal(run(**stop), every_iteration)


def test_mis_search_on_accelerator_schedule(monkeypatch, tensor_paths) -> None:
    """Off the CPU the perturbation step runs whether or not a row kicks (a no-op for the
    rows that do not): the search still returns maximal independent sets."""
    _accelerator_schedule(monkeypatch)
    tg = read_graph(example_path("mis_example")).to_torch()
    z = torch.rand(4, tg.n, generator=_gen(16)) < 0.5
    best = mis.local_search(tg, z, generator=_gen(17), max_iters=30, p_perturb=0.5)
    assert bool(mis.is_independent(tg, best).all())
    assert torch.equal(mis.augment(tg, best, generator=_gen(18)), best)  # maximal


class _Stay:
    """Moves that propose the current sets: the walk's own bookkeeping alone."""

    def move(self, cur: torch.Tensor, free: torch.Tensor):
        return cur, torch.zeros(cur.shape[0], dtype=torch.bool)


@pytest.mark.parametrize(("schedule", "most"), [("cpu", None), ("accelerator", 500)])
def test_iterated_local_search_reads_its_stop_tests_every_check(monkeypatch, schedule, most):
    from dnnsolve.search.ils import iterated_local_search

    if schedule == "accelerator":
        _accelerator_schedule(monkeypatch)
    cur = torch.zeros(8, 30, dtype=torch.bool)
    cur[:, :3] = True

    def walk():
        return iterated_local_search(_Stay(), cur, torch.ones(30), max_iters=500,
                                     stall_iters=10**6, generator=_gen(0))  # fmt: skip

    out, reads = _reads(monkeypatch, walk)
    assert torch.equal(out, cur)
    if most is None:  # the CPU reads every pass (free there), as it always did
        assert reads >= 500
    else:
        assert reads <= most // CHECK_EVERY + SLACK


def test_clique_swaps_in_float32_move_as_in_float64():
    """The index sums of the clique swap moves, in float32 as an accelerator runs them on
    small graphs, take the float64 moves exactly (the sums are integers below 2^24)."""
    from dnnsolve.graph import EdgeIndex

    tg = read_graph(example_path("mis_example")).to_torch()
    ei, w = EdgeIndex(tg), tg.node_weight.float()
    walks = []
    for dt in (torch.float64, torch.float32):
        swaps = clique._Swaps(tg, ei, w, 8, 0.2, 0.1, _gen(0))
        swaps.adj_idx, swaps.idx1 = swaps.adj_idx.to(dt), swaps.idx1.to(dt)
        cur = torch.zeros(8, tg.n, dtype=torch.bool)
        cur[:, 0] = True
        seq = []
        for _ in range(50):
            cur, _kicked = swaps.move(cur, torch.ones_like(cur))
            seq.append(cur.clone())
        walks.append(torch.stack(seq))
    assert torch.equal(walks[0], walks[1]) and walks[0][-1].sum() > 8
