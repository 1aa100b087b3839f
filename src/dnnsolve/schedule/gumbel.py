"""The constrained Gumbel-softmax parameterization of Liu et al. (ICML 2024).

Every node has trainable logits θ_i ∈ R^{B×D} (B candidate schedules, D stages).
Nodes are sampled level by level in topological order:

1. ``y_i = softmax((θ_i + g_i)/τ)`` with Gumbel noise ``g_i``;
2. ``y_i ← y_i ⊙ Π_{p ∈ pred(i)} F_p`` where ``F_p = cumsum(h_p)`` is the stage CDF of
   predecessor ``p``'s (hard) sample: it is 0 below p's stage, so earlier stages are
   masked out (strict precedence shifts the CDF by one stage);
3. renormalize and take the straight-through hard one-hot ``h_i`` (forward: one-hot
   of the argmax; backward: the gradient of the soft ``y_i``).

Within a level all nodes are processed at once; the product over predecessors is a
``scatter_reduce(prod)`` over the edges entering the level (no dense n×n matrix).
Every sample is therefore a legal schedule by construction; gradients reach the
predecessors' logits through the masks.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..core.parameterization import Parameterization
from ..core.seeding import fresh_seed
from .graph import TaskGraph
from .problem import LevelStructure


class ConstrainedGumbel(Parameterization):
    """Logits (B, n, D) → legal straight-through one-hot schedules (B, n, D).

    ``noise`` scales the Gumbel noise during training (0: deterministic argmax of the
    constrained softmax); outside autograd (the solver's evaluations) even restarts decode
    without noise and odd ones with ``eval_noise`` (the paper keeps the best sample);
    ``hard=False`` returns the soft masked distributions instead. Node i's initial
    logits peak at stage ``level_i·(S−1)/(depth−1)`` with S = ``spread_over`` (default D;
    the latency objective passes its estimated number of stages); with ``balance_memory``
    at the stage holding the middle of level i's memory when the levels are laid out in
    order and cut into D equal shares of Σm (every stage starts near Σm/D).
    :meth:`warm_start_` peaks restarts at a given schedule instead.

    >>> from dnnsolve.schedule.graph import TaskGraph
    >>> g = TaskGraph.from_edges(4, [(0, 1), (1, 2), (0, 3)])
    >>> p = ConstrainedGumbel(g, stages=3, restarts=5, generator=torch.Generator().manual_seed(0))
    >>> x = p(); s = x.argmax(-1)
    >>> x.shape, bool((s[:, 0] <= s[:, 1]).all() and (s[:, 1] <= s[:, 2]).all())
    (torch.Size([5, 4, 3]), True)
    """

    def __init__(
        self,
        graph: TaskGraph,
        stages: int,
        restarts: int,
        tau: float = 1.0,
        noise: float = 1.0,
        strict: bool = False,
        hard: bool = True,
        init_std: float = 0.1,
        spread: float = 1.0,
        eval_noise: float = 1.0,
        spread_over: int | None = None,
        warm_peak: float = 3.0,
        balance_memory: bool = False,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
        levels: LevelStructure | None = None,
    ):
        super().__init__()
        if stages < 1:
            raise ValueError("stages must be at least 1")
        if tau <= 0:
            raise ValueError("tau must be positive")
        dev = torch.device(device)
        self.n, self.restarts, self.stages = graph.n, restarts, int(stages)
        self.tau, self.noise, self.strict, self.hard = float(tau), float(noise), strict, hard
        self.init_std, self.spread, self.eval_noise = init_std, float(spread), float(eval_noise)
        self.warm_peak = float(warm_peak)
        depth = max(graph.depth - 1, 1)
        span = self.stages if spread_over is None else min(max(int(spread_over), 1), self.stages)
        target = torch.as_tensor(graph.level * (span - 1) / depth, dtype=torch.float32)
        if balance_memory and graph.total_memory > 0 and spread_over is None:
            # stage of the middle of each level's memory in the level order: every stage
            # starts with about Σm/D (level-proportional stages are unbalanced on deep DAGs)
            per_level = np.bincount(graph.level, weights=graph.memory, minlength=graph.depth)
            mid = np.cumsum(per_level) - per_level / 2.0
            st = np.minimum(np.floor(self.stages * mid / graph.total_memory), self.stages - 1)
            target = torch.as_tensor(st[graph.level], dtype=torch.float32)
        self._target = target.round().to(dev)
        self.levels = levels if levels is not None else LevelStructure(graph, dev)
        self._prepare(graph, dev)
        self.theta = nn.Parameter(torch.empty(restarts, graph.n, self.stages, device=dev))
        self._gen = torch.Generator(device=dev)
        if generator is not None:  # the noise stream follows the run's seed, on any device
            gdev = generator.device
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=gdev))
        else:
            seed = fresh_seed()
        self._gen.manual_seed(seed)
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=dev), generator)

    def _prepare(self, graph: TaskGraph, dev: torch.device) -> None:
        """Level spans in level order and, per level, the incoming edges grouped by source level."""
        lvl = graph.level
        order = np.argsort(lvl, kind="stable")
        bounds = np.searchsorted(lvl[order], np.arange(graph.depth + 1))
        pos = np.empty(graph.n, dtype=np.int64)
        pos[order] = np.arange(graph.n)
        self._order = torch.as_tensor(order, device=dev)
        self._inverse = torch.as_tensor(pos, device=dev)
        alap = torch.as_tensor(self.stages - 1 - graph.height[order], device=dev)
        self._late = torch.arange(self.stages, device=dev)[None, :] > alap[:, None]  # (n, D)
        self._spans = [(int(bounds[k]), int(bounds[k + 1])) for k in range(graph.depth)]
        src_l, dst_l = lvl[graph.src], lvl[graph.dst]
        key = np.lexsort((src_l, dst_l))  # by target level, then source level
        self._groups: list[list[tuple[int, torch.Tensor]]] = [[] for _ in range(graph.depth)]
        self._dst_local: list[torch.Tensor] = [torch.zeros(0, dtype=torch.long)] * graph.depth
        dsts: dict[int, list[np.ndarray]] = {}
        for (j, k), idx in _group(src_l[key], dst_l[key], key):
            sl = pos[graph.src[idx]] - bounds[j]
            self._groups[k].append((int(j), torch.as_tensor(sl, device=dev)))
            dsts.setdefault(int(k), []).append(pos[graph.dst[idx]] - bounds[k])
        for k, parts in dsts.items():
            self._dst_local[k] = torch.as_tensor(np.concatenate(parts), device=dev)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Logits peaked at each node's level-proportional stage, plus noise.

        Unbiased logits would drift every chain towards the last stage (each node
        takes the maximum of its predecessors' random stages); centring node i at
        ``level_i·(D−1)/(depth−1)`` starts from a legal, layer-balanced schedule.
        """
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if len(idx):
            with torch.no_grad():
                shape = (len(idx), self.n, self.stages)
                noise = torch.randn(shape, generator=generator, device=self.theta.device)
                d = torch.arange(self.stages, device=self.theta.device, dtype=torch.float32)
                bias = -self.spread * (d[None, :] - self._target[:, None]).abs()
                self.theta[idx] = self.init_std * noise + bias

    def warm_start_(
        self, idx: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> bool:
        """Peak restarts ``idx`` at the stages of ``x`` (k, n, D one-hot, or (k, n) stages).

        The logits fall off by ``warm_peak`` per stage away from the given stage, so the
        noise-free decode reproduces the schedule and Gumbel samples explore its neighbours.
        """
        with torch.no_grad():
            st = x.argmax(dim=-1) if x.dim() == 3 else x.round().long()
            st = st.to(self.theta.device).float()
            d = torch.arange(self.stages, device=self.theta.device, dtype=torch.float32)
            bias = -self.warm_peak * (d.view(1, 1, -1) - st[..., None]).abs()
            noise = torch.randn(bias.shape, generator=generator, device=self.theta.device)
            self.theta[idx] = bias + self.init_std * noise
        return True

    def _select(self, y: torch.Tensor) -> torch.Tensor:
        if not self.hard:
            return y
        hard = torch.zeros_like(y).scatter_(-1, y.argmax(dim=-1, keepdim=True), 1.0)
        return hard + (y - y.detach())

    def forward(self) -> torch.Tensor:
        theta = self.theta
        B, D = self.restarts, self.stages
        logits = theta.index_select(1, self._order)  # nodes grouped by level, contiguous
        if torch.is_grad_enabled():
            noise = torch.full((B, 1, 1), self.noise, device=theta.device)
            noisy = self.noise > 0
        else:  # evaluations: even restarts decode noise-free, odd ones draw samples
            noise = torch.zeros(B, 1, 1, device=theta.device)
            noise[1::2] = self.eval_noise
            noisy = B > 1 and self.eval_noise > 0
        if noisy:  # known on the host: no read-back from the device
            u = torch.rand(logits.shape, generator=self._gen, device=theta.device)
            g = -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))
            logits = logits + noise * g
        logits = logits / self.tau
        if self.strict:  # s_i <= D − 1 − height_i, so every successor chain still fits
            logits = logits.masked_fill(self._late, -1e4)
        chunks: list[torch.Tensor] = []
        cdfs: list[torch.Tensor] = []
        for k, (a, b) in enumerate(self._spans):
            lk = logits[:, a:b]
            groups = self._groups[k]
            if groups:
                d = torch.cat([cdfs[j].index_select(1, sl) for j, sl in groups], dim=1)
                if self.strict:
                    d = torch.cat([torch.zeros_like(d[..., :1]), d[..., :-1]], dim=-1)
                idx = self._dst_local[k].view(1, -1, 1).expand(B, -1, D)
                mask = torch.ones_like(lk).scatter_reduce(1, idx, d, reduce="prod")
                allowed = mask.detach() > 0.5
                if self.strict:
                    allowed &= ~self._late[a:b]
                # log-mask: exact zeros in the forward pass, a unit-scale gradient where open
                lk = lk + torch.log(mask.clamp_min(1e-6))
                lk = lk.masked_fill(~allowed, -1e4) + (lk - lk.detach()) * (~allowed)
            y = torch.softmax(lk, dim=-1)
            h = self._select(y)
            chunks.append(h)
            cdfs.append(torch.cumsum(h, dim=-1))
        return torch.cat(chunks, dim=1).index_select(1, self._inverse)


def _group(a: np.ndarray, b: np.ndarray, key: np.ndarray):
    """Runs of equal (a, b) in sorted arrays → ((a, b), the matching entries of key)."""
    if a.size == 0:
        return
    change = np.flatnonzero((a[1:] != a[:-1]) | (b[1:] != b[:-1])) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [a.size]])
    for s, e in zip(starts.tolist(), ends.tolist()):
        yield (int(a[s]), int(b[s])), key[s:e]
