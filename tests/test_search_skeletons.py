"""The shared search loops on toy problems: tabu over a gain table, ILS over vertex sets."""

from __future__ import annotations

import itertools

import pytest
import torch

from dnnsolve.search.ils import iterated_local_search
from dnnsolve.search.tabu import tabu_loop


# -- tabu over a gain table ---------------------------------------------------------------
def _qubo(n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    q = torch.randint(-4, 5, (n, n), generator=gen).double()
    return (q + q.T) / 2


def _qubo_value(q: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    x = z.double()
    return ((x @ q) * x).sum(1)


def _qubo_optimum(q: torch.Tensor) -> float:
    n = q.shape[0]
    allz = torch.tensor(list(itertools.product([False, True], repeat=n)))
    return float(_qubo_value(q, allz).max())


class _Qubo:
    """max xᵀQx over x ∈ {0, 1}ⁿ, the whole gain table recomputed after every flip."""

    def __init__(self, q: torch.Tensor, z: torch.Tensor):
        self.q, self.z = q, z.clone()
        self.flips = self.resets = 0
        self.refresh()

    def refresh(self) -> None:
        self.cut = _qubo_value(self.q, self.z)[:, None]
        eye = torch.eye(self.z.shape[1], dtype=torch.bool)
        self.g = torch.stack([_qubo_value(self.q, self.z ^ e) for e in eye], 1) - self.cut

    def gains(self) -> torch.Tensor:
        return self.g

    def flip(self, k: torch.Tensor, gk: torch.Tensor) -> None:
        before = self.cut.clone()
        self.z.scatter_(1, k, ~self.z.gather(1, k))
        self.flips += 1
        self.refresh()
        assert torch.allclose(self.cut, before + gk)

    def sides(self) -> torch.Tensor:
        return self.z.clone()

    def reset(self, rows: torch.Tensor, z: torch.Tensor) -> None:
        self.resets += 1
        self.z = torch.where(rows[:, None], z, self.z)
        self.refresh()


def _run_tabu(q, z, seed=0, **kw):
    st = _Qubo(q, z)
    out = tabu_loop(
        st, lambda x: _qubo_value(q, x), 1e-3, generator=torch.Generator().manual_seed(seed), **kw
    )
    return st, out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tabu_loop_reaches_the_brute_force_optimum(seed):
    q = _qubo(10, seed)
    st, out = _run_tabu(q, torch.zeros(3, 10, dtype=torch.bool), seed, max_iters=400)
    assert out.shape == (3, 10) and out.dtype == torch.bool
    assert torch.allclose(_qubo_value(q, out), torch.full((3,), _qubo_optimum(q), dtype=q.dtype))
    assert st.flips == 400


def test_tabu_loop_never_returns_worse_than_its_input():
    q = _qubo(10, 3)
    gen = torch.Generator().manual_seed(4)
    z = torch.rand(4, 10, generator=gen) < 0.5
    st, out = _run_tabu(q, z, max_iters=100, perturb_after=10)
    assert st.resets > 0
    assert (_qubo_value(q, out) >= _qubo_value(q, z)).all()

    # an exact check that rejects every change hands back the input rows unchanged
    st = _Qubo(q, z)
    out = tabu_loop(st, lambda x: torch.where((x == z).all(1), 0.0, -1e9).double(), 1e-3,
                    max_iters=100)  # fmt: skip
    assert torch.equal(out, z)


def test_tabu_loop_stops_at_target_and_patience():
    q = _qubo(10, 5)
    opt = _qubo_optimum(q)
    z = torch.zeros(2, 10, dtype=torch.bool)
    st, out = _run_tabu(q, z, max_iters=10**6, target=opt)
    assert float(_qubo_value(q, out).max()) == opt
    assert st.flips < 10**4
    st, out = _run_tabu(q, z, max_iters=10**6, patience=200)
    assert st.flips <= 10**4
    assert (_qubo_value(q, out) >= _qubo_value(q, z)).all()


# -- iterated local search over vertex sets -----------------------------------------------
_CYCLE = 9
_W = torch.tensor([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0])


def _nbrs(v: int) -> list[int]:
    return [(v - 1) % _CYCLE, (v + 1) % _CYCLE]


def _mwis_optimum() -> float:
    best = 0.0
    for z in itertools.product([False, True], repeat=_CYCLE):
        if all(not (z[v] and z[(v + 1) % _CYCLE]) for v in range(_CYCLE)):
            best = max(best, float(sum(_W[v] for v in range(_CYCLE) if z[v])))
    return best


class _CycleMoves:
    """Weighted independent sets of a cycle: a random free vertex enters, its neighbours
    leave, the set is refilled greedily in index order."""

    def __init__(self, seed: int):
        self.gen = torch.Generator().manual_seed(seed)
        self.calls = 0

    def move(self, cur: torch.Tensor, free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.calls += 1
        new = cur.clone()
        r = torch.rand(cur.shape, generator=self.gen).masked_fill(cur | ~free, -1.0)
        for b in range(len(cur)):
            v = int(r[b].argmax())
            if r[b, v] < 0:
                continue
            new[b, v] = True
            new[b, _nbrs(v)] = False
            for u in range(_CYCLE):
                if not new[b, u] and not new[b, _nbrs(u)].any():
                    new[b, u] = True
        return new, torch.ones(len(cur), dtype=torch.bool)


def _independent(z: torch.Tensor) -> bool:
    return not bool((z & z.roll(1, dims=1)).any())


@pytest.mark.parametrize("seed", [0, 1])
def test_ils_reaches_the_brute_force_optimum_and_keeps_its_input(seed):
    start = torch.zeros(5, _CYCLE, dtype=torch.bool)
    start[:, [1, 3, 6]] = True  # weight 4, maximal
    start[0] = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1, 0], dtype=torch.bool)  # weight 17
    moves = _CycleMoves(seed)
    best = iterated_local_search(
        moves, start, _W, generator=torch.Generator().manual_seed(seed), max_iters=200,
        stall_iters=10**6, tenure=2, min_tenure=1, share_every=20,
    )  # fmt: skip
    assert moves.calls == 200
    assert all(_independent(best[b : b + 1]) for b in range(len(best)))
    obj = best.double() @ _W.double()
    assert (obj >= start.double() @ _W.double()).all()
    assert float(obj.max()) == _mwis_optimum()


def test_ils_stops_at_target_and_on_stall():
    start = torch.zeros(2, _CYCLE, dtype=torch.bool)
    opt = _mwis_optimum()
    moves = _CycleMoves(0)
    best = iterated_local_search(moves, start, _W, generator=torch.Generator().manual_seed(0),
                                 max_iters=10**6, target=opt, stall_iters=10**6)  # fmt: skip
    assert float((best.double() @ _W.double()).max()) == opt
    assert moves.calls < 10**4
    moves = _CycleMoves(1)
    iterated_local_search(moves, start, _W, max_iters=10**6, stall_iters=30)
    assert moves.calls < 10**4
