"""Stage scheduling of a DAG as a :class:`~dnnsolve.core.problem.Problem`.

A schedule gives every node ``i`` a stage ``s_i`` in ``0..D-1``. It is *legal* when
``s_u <= s_v`` for every edge ``u → v`` (``s_u < s_v`` with ``strict``) and, when a
per-stage ``capacity`` C is given, every stage's resource ``M_d = Σ_{s_i=d} m_i``
is at most C.

Objectives (exact, what results report; sense "min"):

* ``"balance"`` — the ILP of Liu et al. (ICML 2024, ``gen_lp_graph_w_attr.py``):
  ``Σ_e c_e·(s_v − s_u) + w·max_d M_d``: every communicating edge pays once per
  stage boundary it crosses, plus ``w`` (``memory_weight``, the paper's "ratio"
  coefficient) times the peak per-stage memory.
* ``"latency"`` — resource-constrained latency: the number of stages used,
  ``max_i s_i + 1``, under the capacity C.

The relaxed solution is x (B, n, D), a distribution over stages per node (the
constrained Gumbel-softmax of :mod:`dnnsolve.schedule.gumbel` makes it a legal
one-hot in the forward pass). With the stage CDF ``F_i[k] = P(s_i <= k)``:

* expected communication ``Σ_e c_e Σ_{k<D-1} F_u[k]·(1 − F_v[k])`` (the boundary
  after stage k is cut when ``s_u <= k < s_v``);
* memory balance: the negative entropy ``Σ_d p_d log p_d`` of ``p_d = M_d / Σ M``
  (weight hparam ``ratio``, as in the paper), plus ``peak``·w·max_d M_d;
* capacity penalty ``penalty · Σ_d relu(M_d − C) / C``;
* latency mode: expected stages used ``1 + Σ_{k<D-1} (1 − min_i F_i[k])``.

Terms are divided by ``Σ_e c_e + w·Σ m / D`` (balance) so the hparams are
scale-free. Decoding takes each node's most likely stage and lifts it, level by
level, to at least its predecessors' stages: decoded schedules always satisfy
precedence (in strict mode unless D is too small).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ..core.errors import InputError
from ..core.problem import Evaluation, Problem
from .check import check_schedule
from .graph import TaskGraph

OBJECTIVES = ("balance", "latency")


class LevelStructure:
    """Nodes grouped by topological level and the edges entering each level, as tensors.

    Edges always go from a lower to a higher level, so the nodes of one level
    can be processed together once the earlier levels are done.
    """

    def __init__(self, graph: TaskGraph, device: torch.device | str = "cpu"):
        dev = torch.device(device)
        lvl = graph.level
        self.nodes: list[torch.Tensor] = []
        self.in_src: list[torch.Tensor] = []
        self.in_dst_local: list[torch.Tensor] = []
        order = np.argsort(lvl, kind="stable")
        bounds = np.searchsorted(lvl[order], np.arange(graph.depth + 1))
        local = np.empty(graph.n, dtype=np.int64)
        edge_level = lvl[graph.dst]
        e_order = np.argsort(edge_level, kind="stable")
        e_bounds = np.searchsorted(edge_level[e_order], np.arange(graph.depth + 1))
        for k in range(graph.depth):
            nodes = order[bounds[k] : bounds[k + 1]]
            local[nodes] = np.arange(len(nodes))
            es = e_order[e_bounds[k] : e_bounds[k + 1]]
            self.nodes.append(torch.as_tensor(nodes, device=dev))
            self.in_src.append(torch.as_tensor(graph.src[es], device=dev))
            self.in_dst_local.append(torch.as_tensor(local[graph.dst[es]], device=dev))
        self.order = torch.as_tensor(order, device=dev)
        self.bounds = bounds.tolist()


def legalize(
    z: torch.Tensor, levels: LevelStructure, strict: bool = False, stages: int | None = None
) -> torch.Tensor:
    """Lift every node's stage to at least (strict: above) its predecessors', level by level.

    ``z`` (B, n) integer stages; returns a new tensor (clamped to ``stages − 1``).
    """
    z = z.clone()
    B = z.shape[0]
    for k in range(1, len(levels.nodes)):
        nodes, src, dl = levels.nodes[k], levels.in_src[k], levels.in_dst_local[k]
        if src.numel() == 0:
            continue
        lb = torch.zeros(B, len(nodes), dtype=z.dtype, device=z.device)
        vals = z.index_select(1, src) + (1 if strict else 0)
        lb = lb.scatter_reduce(1, dl.expand(B, -1), vals, reduce="amax", include_self=True)
        z[:, nodes] = torch.maximum(z.index_select(1, nodes), lb)
    if stages is not None:
        z = z.clamp_(0, stages - 1)
    return z


class SchedulingProblem(Problem):
    """Schedule a DAG into ``stages`` stages; discrete solutions are stages (B, n) in 0..D-1.

    ``stages`` defaults to the graph's depth (its longest path, as in the paper).

    >>> g = TaskGraph.from_edges(3, [(0, 1), (0, 2)], memory=[2, 1, 1])
    >>> prob = SchedulingProblem(g, stages=2)
    >>> prob.verify(np.array([0, 1, 1]))   # comm 2 + peak memory 2
    (4.0, True)
    >>> prob.verify(np.array([1, 0, 1]))   # 0 → 1 goes backwards
    (inf, False)
    >>> prob.evaluate(torch.tensor([[0, 0, 1]])).objective.tolist()  # comm 1 + peak 3
    [4.0]
    """

    name = "schedule"
    sense = "min"
    hparams: Mapping[str, float] = {"comm": 1.0, "ratio": 1.0, "peak": 1.0, "penalty": 10.0}

    def __init__(
        self,
        graph: TaskGraph,
        stages: int | None = None,
        objective: str = "balance",
        memory_weight: float = 1.0,
        capacity: float | None = None,
        strict: bool = False,
        device: torch.device | str = "cpu",
    ):
        if objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
        D = graph.depth if stages is None else int(stages)
        if D < 1:
            raise InputError(f"--stages must be at least 1, got {stages}")
        if strict and graph.depth > D:
            raise InputError(
                f"strict precedence needs at least {graph.depth} stages (the longest path), got {D}"
            )
        if not (math.isfinite(memory_weight) and memory_weight >= 0):
            raise InputError(f"memory weight must be finite and >= 0, got {memory_weight}")
        if capacity is not None:
            if not (math.isfinite(capacity) and capacity > 0):
                raise InputError(f"capacity must be positive, got {capacity}")
            if graph.memory.max() > capacity:
                raise InputError(
                    f"node {graph.ids[int(graph.memory.argmax())]} needs "
                    f"{graph.memory.max():g} > capacity {capacity:g}: no legal schedule"
                )
        if objective == "latency" and capacity is None and not strict:
            raise InputError("the latency objective needs a --capacity (or strict precedence)")
        self.graph = graph
        self.stages = D
        self.objective = objective
        self.memory_weight = float(memory_weight)
        self.capacity = None if capacity is None else float(capacity)
        self.strict = bool(strict)
        self.device = torch.device(device)
        self.n_vars = graph.n
        self.instance = graph.name
        t = graph.to_torch(self.device)
        self.src, self.dst, self.mem, self.comm = t["src"], t["dst"], t["memory"], t["comm"]
        self.levels = LevelStructure(graph, self.device)
        #: latest legal stage of each node under strict precedence
        self.alap = torch.as_tensor(D - 1 - graph.height, device=self.device)
        total = graph.total_memory
        self.max_sweeps = 200
        self.ls_eta = 1.0
        # comm slope of moving a node one stage later: Σ c_in − Σ c_out
        slope = np.zeros(graph.n)
        np.add.at(slope, graph.dst, graph.comm)
        np.add.at(slope, graph.src, -graph.comm)
        self._slope = torch.as_tensor(slope, dtype=torch.float64, device=self.device)
        chunk = 1024
        self._chunks = [
            nodes[i : i + chunk] for nodes in self.levels.nodes for i in range(0, len(nodes), chunk)
        ]
        # per chunk, only the edges entering / leaving it: a chunk's legal windows then cost
        # O(its edges), not O(m) (deep DAGs have hundreds of chunks per sweep)
        self._chunk_edges = [self._edges_of(c, graph) for c in self._chunks]
        self.kick = 0.02  # share of nodes an iterated-local-search kick moves at random
        self.norm = max(float(graph.comm.sum()) + self.memory_weight * total / D, 1e-9)

    # ------------------------------------------------------------------ relaxed side
    def stage_memory(self, x: torch.Tensor) -> torch.Tensor:
        """Expected resource per stage, (B, D), for relaxed x (B, n, D)."""
        return torch.einsum("bnd,n->bd", x, self.mem)

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        D = self.stages
        F = torch.cumsum(x, dim=-1)
        M = self.stage_memory(x)
        total = M.sum(dim=1, keepdim=True).clamp_min(1e-9)
        p = M / total
        negent = (p * torch.log(p.clamp_min(1e-12))).sum(dim=1)
        zero = torch.zeros(x.shape[0], device=x.device)
        ratio = hp.get("ratio", zero + 1.0)
        loss = ratio * negent
        if self.objective == "balance":
            if D > 1 and self.src.numel():
                Fu = F.index_select(1, self.src)[..., :-1]
                Fv = F.index_select(1, self.dst)[..., :-1]
                comm = ((Fu * (1.0 - Fv)).sum(-1) * self.comm).sum(-1)
            else:
                comm = zero
            peak = M.max(dim=1).values
            loss = (
                loss
                + (
                    hp.get("comm", zero + 1.0) * comm
                    + hp.get("peak", zero + 1.0) * self.memory_weight * peak
                )
                / self.norm
            )
        else:
            used = 1.0 + (1.0 - F[..., :-1].min(dim=1).values).sum(-1)
            loss = loss + used / D
        if self.capacity is not None:
            over = torch.relu(M - self.capacity).sum(dim=1) / self.capacity
            loss = loss + hp.get("penalty", zero + 10.0) * over
        return loss

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """Most likely stage per node, lifted to respect precedence (legal by construction)."""
        z = x.argmax(dim=-1) if x.dim() == 3 else x.round().long()
        if self.strict:  # leave room for the successors: s_i <= D − 1 − height_i
            z = torch.minimum(z.clamp_min(0), self.alap)
        return legalize(z, self.levels, self.strict, self.stages)

    # ------------------------------------------------------------------ classical baseline
    baseline_name = "topological partition / list scheduling"

    def baseline(
        self, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor | None:
        """List scheduling and contiguous partitions of topological orders, best first.

        The partitions (greedy fill up to Σm/D and the DP-optimal one, per order; see
        :func:`~dnnsolve.schedule.baselines.topological_partition`) and the list schedule
        are the classical answers a default run must never lose to; all legal ones are
        returned so the polish starts from several.
        """
        from .baselines import list_schedule, topological_partition

        t0 = time.perf_counter()
        kw = dict(
            stages=self.stages,
            objective=self.objective,
            memory_weight=self.memory_weight,
            capacity=self.capacity,
            strict=self.strict,
        )
        runs = [list_schedule(self.graph, **kw)]
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)
        topo = topological_partition(self.graph, time_limit=left, **kw)
        cands = [(r.objective, r.stages) for r in runs if r.legal]
        for s in topo.extra["candidates"]:
            ok, obj = self.verify(s)[::-1]
            if ok:
                cands.append((obj, s))
        if not cands:
            return None
        cands.sort(key=lambda c: c[0])
        z = np.stack([c[1] for c in cands])
        return torch.as_tensor(z, dtype=torch.long, device=self.device)

    def relax(self, z: torch.Tensor) -> torch.Tensor | None:
        """One-hot stage distributions (k, n, D) of discrete schedules (warm starts)."""
        return torch.nn.functional.one_hot(z.long().clamp(0, self.stages - 1), self.stages).float()

    # ------------------------------------------------------------------ local search
    def _edges_of(self, nodes: torch.Tensor, graph: TaskGraph) -> tuple[torch.Tensor, ...]:
        """(in-edge sources, their local targets, out-edge targets, their local sources)."""
        nd = nodes.cpu().numpy()
        local = np.full(graph.n, -1, dtype=np.int64)
        local[nd] = np.arange(len(nd))
        ein = np.flatnonzero(local[graph.dst] >= 0)
        eout = np.flatnonzero(local[graph.src] >= 0)
        dev = self.device
        return (
            torch.as_tensor(graph.src[ein], device=dev),
            torch.as_tensor(local[graph.dst[ein]], device=dev),
            torch.as_tensor(graph.dst[eout], device=dev),
            torch.as_tensor(local[graph.src[eout]], device=dev),
        )

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched greedy single-node moves (balance objective), level by level, in chunks.

        Each node moves to the stage in its legal window ``[max pred, min succ]`` that
        minimizes ``Δcomm + w·peak`` (ties: the smaller sum of squared stage loads);
        nodes of one chunk move together, loads are updated between chunks. Sweeps
        alternate forward / backward until no node moves or ``max_sweeps``. With a time
        limit the rest of it goes to an iterated local search: a ``kick`` share of every
        restart's nodes moves to random stages of their legal windows, the sweeps descend
        again, and a restart keeps the new schedule only when it scores better. The solver
        keeps the result only if it scores better.
        """
        if self.objective == "latency":
            return self._serial_schedule(z)
        if self.stages < 2:
            return z
        t0 = time.perf_counter()
        z = legalize(z.long(), self.levels, self.strict, self.stages)
        B, D, dev = z.shape[0], self.stages, z.device
        mem = self.mem.to(torch.float64)
        M = torch.zeros(B, D, dtype=torch.float64, device=dev)
        M.scatter_add_(1, z, mem.expand(B, -1))

        def out_of_time() -> bool:
            return time_limit is not None and time.perf_counter() - t0 > time_limit

        sweep = 0
        for sweep in range(self.max_sweeps):
            if self._sweep(z, M, sweep % 2 == 1, out_of_time) == 0:
                break
        if time_limit is None or out_of_time() or self.kick <= 0:
            return z
        # iterated local search: kick a few nodes of every restart to random legal stages,
        # descend again, keep a restart's new schedule only when it scores better
        best_z, best_s = z.clone(), self.score(self.evaluate(z))
        while not out_of_time():
            kick = torch.rand(B, self.graph.n, generator=generator, device=dev) < self.kick
            self._sweep(z, M, False, out_of_time, kick=kick, generator=generator)
            for sweep in range(self.max_sweeps):
                if self._sweep(z, M, sweep % 2 == 1, out_of_time) == 0:
                    break
            sc = self.score(self.evaluate(z))
            up = sc > best_s
            best_z[up], best_s[up] = z[up], sc[up]
            z.copy_(best_z)
            M.zero_()
            M.scatter_add_(1, z, mem.expand(B, -1))
        return best_z

    def _sweep(self, z, M, backward, out_of_time, kick=None, generator=None) -> int:
        """One pass over the chunks (in place on z and the loads M); the number of moves.

        ``kick`` (B, n) bool: those nodes move to a uniformly random stage of their legal
        window instead of the best one (the iterated local search's perturbation).
        """
        B, D, dev = z.shape[0], self.stages, z.device
        mem = self.mem.to(torch.float64)
        stages = torch.arange(D, device=dev)
        gap = 1 if self.strict else 0
        eta = self.memory_weight * self.ls_eta / max(self.graph.total_memory / D, 1e-9)
        cap = self.capacity
        moved = 0
        order = range(len(self._chunks))
        for ci in reversed(order) if backward else order:
            if out_of_time():
                return moved
            nodes = self._chunks[ci]
            in_src, in_loc, out_dst, out_loc = self._chunk_edges[ci]
            k = len(nodes)
            lb = torch.zeros(B, k, dtype=torch.long, device=dev)
            if in_src.numel():
                lb = lb.scatter_reduce(
                    1, in_loc.expand(B, -1), z.index_select(1, in_src) + gap, "amax"
                )
            ub = torch.full((B, k), D - 1, dtype=torch.long, device=dev)
            if out_dst.numel():
                ub = ub.scatter_reduce(
                    1, out_loc.expand(B, -1), z.index_select(1, out_dst) - gap, "amin"
                )
            a = z.index_select(1, nodes)  # (B, k)
            mv = mem.index_select(0, nodes)  # (k,)
            Mrem = M[:, None, :].expand(B, k, D).clone()
            Mrem.scatter_add_(2, a[..., None], -mv.view(1, k, 1).expand(B, k, 1))
            cand = Mrem + mv.view(1, k, 1)
            ok = (stages.view(1, 1, D) >= lb[..., None]) & (stages.view(1, 1, D) <= ub[..., None])
            if cap is not None:
                ok &= cand <= cap + 1e-9
            if kick is not None:
                kk = kick.index_select(1, nodes)
                if not bool(kk.any()):
                    continue
                r = torch.rand(B, k, D, generator=generator, device=dev)
                t = r.masked_fill(~ok, -1.0).argmax(dim=2)
                move = kk & ok.any(dim=2) & (t != a)
                t = torch.where(move, t, a)
            else:
                peak = torch.maximum(Mrem.max(dim=2, keepdim=True).values, cand)
                slope = self._slope.index_select(0, nodes).view(1, k, 1)
                cost = (stages.view(1, 1, D) - a[..., None]) * slope
                cost = cost + self.memory_weight * peak + eta * 2.0 * mv.view(1, k, 1) * Mrem
                cost = cost.masked_fill(~ok, float("inf"))
                cur = cost.gather(2, a[..., None]).squeeze(2)
                best, t = cost.min(dim=2)
                move = best < cur - 1e-9
                if not bool(move.any()):
                    continue
                # one arrival per (restart, stage): the best gain wins (no pile-ups)
                gain = torch.where(move, cur - best, torch.zeros_like(best))
                gain = gain + move * (1e-9 * torch.arange(k, device=dev) / max(k, 1))
                top = torch.zeros(B, D, dtype=gain.dtype, device=dev)
                top = top.scatter_reduce(1, t, gain, "amax")
                move &= gain >= top.gather(1, t)
                t = torch.where(move, t, a)
            moved += int(move.sum())
            w = mv.expand(B, k)
            M.scatter_add_(1, a, -w)
            M.scatter_add_(1, t, w)
            z[:, nodes] = t
        return moved

    def _serial_schedule(self, z: torch.Tensor) -> torch.Tensor:
        """Latency polish: serial list scheduling with the decoded stages as priorities.

        Nodes are taken by (decoded stage, level), a topological order for legal
        schedules, and each goes to the earliest stage after its predecessors with room
        under the capacity (the last stage if none has room; evaluate flags it).
        """
        g = self.graph
        zs = z.detach().cpu().numpy()
        out = np.empty_like(zs)
        preds: list[list[int]] = [[] for _ in range(g.n)]
        for u, v in zip(g.src.tolist(), g.dst.tolist()):
            preds[v].append(u)
        gap = 1 if self.strict else 0
        cap = math.inf if self.capacity is None else self.capacity + 1e-9
        mem = g.memory.tolist()
        for b in range(zs.shape[0]):
            s = np.zeros(g.n, dtype=np.int64)
            load = [0.0] * self.stages
            for v in np.lexsort((g.level, zs[b])).tolist():
                d = max((int(s[u]) + gap for u in preds[v]), default=0)
                while d < self.stages - 1 and load[d] + mem[v] > cap:
                    d += 1
                d = min(d, self.stages - 1)
                s[v] = d
                load[d] += mem[v]
            out[b] = s
        return torch.as_tensor(out, device=z.device, dtype=z.dtype)

    # ------------------------------------------------------------------ discrete side
    def parts(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-schedule parts (torch, batched): comm, peak, latency, violations, overload."""
        z = z.long()
        B = z.shape[0]
        zu, zv = z.index_select(1, self.src), z.index_select(1, self.dst)
        gap = zv - zu
        need = 1 if self.strict else 0
        violations = (gap < need).sum(dim=1)
        comm = (gap.clamp_min(0).to(torch.float64) * self.comm.to(torch.float64)).sum(dim=1)
        zc = z.clamp(0, self.stages - 1)
        M = torch.zeros(B, self.stages, dtype=torch.float64, device=z.device)
        M.scatter_add_(1, zc, self.mem.to(torch.float64).expand(B, -1))
        in_range = ((z >= 0) & (z < self.stages)).all(dim=1)
        over = (
            (M - self.capacity).clamp_min(0).sum(dim=1)
            if self.capacity is not None
            else torch.zeros(B, dtype=torch.float64, device=z.device)
        )
        return {
            "comm": comm,
            "peak": M.max(dim=1).values,
            "latency": (z.max(dim=1).values + 1).to(torch.float64),
            "violations": violations,
            "overload": over,
            "in_range": in_range,
        }

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        p = self.parts(z)
        if self.objective == "balance":
            obj = p["comm"] + self.memory_weight * p["peak"]
        else:
            obj = p["latency"]
        feasible = (p["violations"] == 0) & p["in_range"] & (p["overload"] <= 1e-9)
        return Evaluation(obj, feasible)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """(objective, legal?) recomputed with plain NumPy loops over edges and stages."""
        rep = check_schedule(
            self.graph,
            solution,
            self.stages,
            strict=self.strict,
            capacity=self.capacity,
            memory_weight=self.memory_weight,
        )
        obj = rep["objective"] if self.objective == "balance" else rep["latency"]
        if not rep["legal"]:
            return math.inf, False
        return float(obj), True

    def solution_output(self, solution: np.ndarray) -> dict[str, Any]:
        """``{"stages": {node id: stage}, "parts": {...}, "legal": bool}`` (stages 0-based)."""
        s = np.asarray(solution).astype(np.int64).reshape(-1)
        rep = check_schedule(
            self.graph, s, self.stages, self.strict, self.capacity, self.memory_weight
        )
        return {
            "stage": dict(zip(self.graph.ids, s.tolist())),
            "num_stages": self.stages,
            "objective_kind": self.objective,
            "legal": rep["legal"],
            "parts": {
                "communication": rep["comm"],
                "peak_memory": rep["peak"],
                "memory_weight": self.memory_weight,
                "latency": rep["latency"],
                "memory_entropy": rep["entropy"],
                "stage_memory": rep["stage_memory"],
                "precedence_violations": rep["violations"],
                "capacity": self.capacity,
            },
        }

    def reference(self) -> float | None:
        return None
