"""The cyclic autoencoder of "Learning Without Loss" (LWL §6.1, eq. 38), trained by RRR.

The network is a cycle: an encoder E from the data nodes to the code nodes and a decoder D
back. It carries two batches through the same parameters: data items, clamped at the data
nodes, must come back through D(E(x)) as themselves, and code items, clamped at the code
nodes, must come back through E(D(z)). In the D&C layout each batch is a feed-forward chain
(:class:`~.network.FeedForwardDC`): the data chain runs E then D, the code chain D then E.
Every parameter of the cycle therefore has copies in both chains, and the consensus of A
(weights) and of B (biases) is taken over the copies of both: that, and nothing else, couples
the two batches.

For the strict binary encoding of §6.3.1 (2^n one-hot vectors through n step-activated code
nodes) the code batch is every n-bit code: E(D(z)) = z for all of them makes D one-to-one on
the codes, which the data batch alone does not ask for.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ...core.errors import InputError
from ..engine import RRR
from .network import FeedForwardDC, forward, init_params
from .nmf import choose_backend
from .projections import sphere_project


def _bounds(targets: torch.Tensor, margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Output bounds on y - b that make the gapped step reproduce binary ``targets``."""
    inf = torch.tensor(float("inf"), dtype=targets.dtype)
    lo = torch.where(targets > 0, torch.tensor(margin, dtype=targets.dtype), -inf)
    hi = torch.where(targets > 0, inf, torch.tensor(-margin, dtype=targets.dtype))
    return lo, hi


@dataclass
class CyclicDC:
    """D&C layout of the cyclic network with encoder widths ``encoder`` (data nodes first,
    code nodes last) and the mirrored decoder, for ``data`` (K_d x n_data) and ``codes``
    (K_c x n_code) batches of binary items; step activations with half-gap ``margin``.

    Parameters are listed in data-chain order: E's layers, then D's.

    >>> net = CyclicDC([4, 2], torch.eye(4), torch.tensor([[0.0, 1.0]]))
    >>> net.size == net.data_net.size + net.code_net.size
    True
    """

    encoder: list[int]
    data: torch.Tensor
    codes: torch.Tensor
    omega: float = 100.0
    margin: float = 0.4

    def __post_init__(self) -> None:
        enc = [int(s) for s in self.encoder]
        dec = enc[::-1]
        self.half = len(enc) - 1  # layers of E (= layers of D)
        common = {"omega": self.omega, "activation": "step", "margin": self.margin}
        # a chain's last nodes are nodes of the ring like any other: the metric weight of
        # their y and b is their out-degree in the ring (data nodes feed E's first layer)
        self.data_net = FeedForwardDC(
            enc + dec[1:], self.data.shape[0], upsilon=float(enc[1]), **common
        )
        self.code_net = FeedForwardDC(
            dec + enc[1:], self.codes.shape[0], upsilon=float(dec[1]), **common
        )
        self.data_net.inputs = self.data
        self.data_net.lo, self.data_net.hi = _bounds(self.data, self.margin)
        self.code_net.inputs = self.codes
        self.code_net.lo, self.code_net.hi = _bounds(self.codes, self.margin)
        self.size = self.data_net.size + self.code_net.size

    def code_layer(self, layer: int) -> int:
        """The code-chain layer holding the parameter of data-chain layer ``layer`` (1-based)."""
        return layer + self.half if layer <= self.half else layer - self.half

    def views(self, flat: torch.Tensor) -> tuple[dict, dict]:
        """Named views of the data chain and of the code chain in a flat state (B, N)."""
        n = self.data_net.size
        return self.data_net.views(flat[:, :n]), self.code_net.views(flat[:, n:])

    def _agree(self, vd: dict, vc: dict, name: str, sphere: bool) -> None:
        """Replace the copies of every parameter ``name`` (w or b) by their joint mean."""
        kd, kc = self.data.shape[0], self.codes.shape[0]
        for layer in range(1, 2 * self.half + 1):
            a, c = vd[f"{name}{layer}"], vc[f"{name}{self.code_layer(layer)}"]
            mean = (a.sum(1) + c.sum(1)) / (kd + kc)
            if sphere:
                mean = sphere_project(mean, self.omega)
            a.copy_(mean.unsqueeze(1).expand_as(a))
            c.copy_(mean.unsqueeze(1).expand_as(c))

    def project_a(self, flat: torch.Tensor) -> torch.Tensor:
        """Weights agree over both chains (norm Omega), then each chain's nodes."""
        out = flat.clone()
        vd, vc = self.views(out)
        self._agree(vd, vc, "w", sphere=True)
        self.data_net.project_nodes(vd)
        self.code_net.project_nodes(vc)
        return out

    def project_b(self, flat: torch.Tensor) -> torch.Tensor:
        """Each chain's bilinear neuron constraints, then biases agree over both chains."""
        out = flat.clone()
        vd, vc = self.views(out)
        self.data_net.project_neurons(vd)
        self.code_net.project_neurons(vc)
        self._agree(vd, vc, "b", sphere=False)
        return out

    def warm_start(self, weights: list[torch.Tensor], biases: list[torch.Tensor]) -> torch.Tensor:
        """Both chains at the consensus parameters, x and y from their forward passes."""
        h = self.half
        return torch.cat(
            [
                self.data_net.warm_start(weights, biases),
                self.code_net.warm_start(weights[h:] + weights[:h], biases[h:] + biases[:h]),
            ],
            dim=1,
        )

    def read_params(self, flat: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Weights and biases (data-chain order) of a state ``P_A(x)``: the joint means."""
        vd, vc = self.views(flat)
        kd, kc = self.data.shape[0], self.codes.shape[0]
        ws, bs = [], []
        for layer in range(1, 2 * self.half + 1):
            c = self.code_layer(layer)
            ws.append((vd[f"w{layer}"].sum(1) + vc[f"w{c}"].sum(1)) / (kd + kc))
            bs.append((vd[f"b{layer}"].sum(1) + vc[f"b{c}"].sum(1)) / (kd + kc))
        return ws, bs

    def reproduced(self, weights: list[torch.Tensor], biases: list[torch.Tensor]) -> tuple:
        """((B,) data items all reproduced by D(E(x)), (B,) codes all reproduced by E(D(z)))."""
        h = self.half
        dt = weights[0]
        out_d = forward(self.data.to(dt), weights, biases, self.omega, "step") > 0
        swapped_w, swapped_b = weights[h:] + weights[:h], biases[h:] + biases[:h]
        out_c = forward(self.codes.to(dt), swapped_w, swapped_b, self.omega, "step") > 0
        ok_d = (out_d == (self.data.to(dt) > 0)).all(-1).all(-1)
        ok_c = (out_c == (self.codes.to(dt) > 0)).all(-1).all(-1)
        return ok_d, ok_c


def all_codes(n: int) -> np.ndarray:
    """The 2^n binary codes of n bits, one per row (the code batch of the strict encoding).

    >>> all_codes(2).tolist()
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    return np.array(list(itertools.product([0.0, 1.0], repeat=int(n))))


def numpy_step_cycle(x: np.ndarray, weights: list, biases: list, omega: float) -> np.ndarray:
    """Independent NumPy pass of binary items through step-activated layers (verification).

    >>> numpy_step_cycle(np.eye(2), [np.eye(2) * 2.0], [np.zeros(2) + 0.5], 1.0).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    h = np.asarray(x, dtype=np.float64)
    for w, b in zip(weights, biases):
        h = (h @ np.asarray(w).T / omega - np.asarray(b) > 0).astype(np.float64)
    return h


def _ring_state(we_a, wd_a, b_c, b_d, data, codes, omega):
    """Kernel state with every copy at the parameters and x, y from forward passes."""
    kd, kc = data.shape[0], codes.shape[0]
    kk, (nc, nd) = kd + kc, we_a.shape
    x_d, x_c = np.empty((kk, nd)), np.empty((kk, nc))
    y_d, y_c = np.empty((kk, nd)), np.empty((kk, nc))
    x_d[:kd] = data
    y_c[:kd] = data @ we_a.T / omega
    x_c[:kd] = (y_c[:kd] - b_c > 0).astype(np.float64)
    y_d[:kd] = x_c[:kd] @ wd_a.T / omega
    x_c[kd:] = codes
    y_d[kd:] = codes @ wd_a.T / omega
    x_d[kd:] = (y_d[kd:] - b_d > 0).astype(np.float64)
    y_c[kd:] = x_d[kd:] @ we_a.T / omega
    xe = np.ascontiguousarray(np.broadcast_to(x_d[:, None, :], (kk, nc, nd)))
    xd = np.ascontiguousarray(np.broadcast_to(x_c[:, None, :], (kk, nd, nc)))
    we = np.ascontiguousarray(np.broadcast_to(we_a, (kk, nc, nd)))
    wd = np.ascontiguousarray(np.broadcast_to(wd_a, (kk, nd, nc)))
    bc = np.ascontiguousarray(np.broadcast_to(b_c, (kk, nc)))
    bd = np.ascontiguousarray(np.broadcast_to(b_d, (kk, nd)))
    return [xe, we, xd, wd, y_c, bc, y_d, bd, np.zeros((kk, nc)), np.zeros((kk, nd))]


def _ring_restart(params, data, codes, cfg: dict, until: float | None, stop) -> tuple:
    """One restart of the compiled ring loop: epochs of a fresh start from the consensus and
    up to ``cfg["iterations"]`` iterations each. Returns (parameters, iterations, solved)."""
    from .ring_kernel import ring_consensus, ring_iterate

    we_a, wd_a, b_c, b_d = (np.array(p) for p in params)
    omega, margin, total = cfg["omega"], cfg["margin"], 0

    def over() -> bool:  # out of time, or another restart asked all to stop
        return stop.is_set() or (until is not None and time.perf_counter() >= until)

    for _ in range(cfg["epochs"]):
        st = _ring_state(we_a, wd_a, b_c, b_d, data, codes, omega)
        done, solved = 0, False
        while done < cfg["iterations"] and not solved:
            step = min(1000, cfg["iterations"] - done)
            n, solved, _gap = ring_iterate(*st, data, codes, omega, margin, cfg["beta"], step, 10)
            done += int(n)
            if over():
                break
        total += done
        kk, nc, nd = st[0].shape
        pa = (np.empty((nc, nd)), np.empty((nd, nc)), np.empty((3, kk, nd)), np.empty((3, kk, nc)))
        ring_consensus(*st[:8], data, codes, omega, margin, pa)
        we_a, wd_a, b_c, b_d = pa[0], pa[1], pa[3][2].mean(0), pa[2][2].mean(0)
        if solved or over():
            break
    return (we_a, wd_a, b_c, b_d), total, bool(solved)


def _ring_restarts(ws, bs, data, codes, cfg, time_limit, lanes) -> tuple[list, list, list]:
    """Every restart on ``lanes`` threads (the kernel holds no GIL)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    stop = threading.Event()
    until = None if time_limit is None else time.perf_counter() + time_limit
    params = [
        (ws[0][r].numpy(), ws[1][r].numpy(), bs[0][r].numpy(), bs[1][r].numpy())
        for r in range(ws[0].shape[0])
    ]
    with ThreadPoolExecutor(lanes) as pool:
        futures = [pool.submit(_ring_restart, p, data, codes, cfg, until, stop) for p in params]
        try:
            outs = [f.result() for f in futures]
        except KeyboardInterrupt:
            stop.set()
            outs = [f.result() for f in futures]
    return [o[0] for o in outs], [o[1] for o in outs], [o[2] for o in outs]


#: the default half-gap as a fraction of the largest feasible one (:func:`default_margin`)
MARGIN_FRACTION = 0.85


def default_margin(n: int) -> float:
    """Half-gap of the step activations for n code bits: 0.85 of the largest that a strict
    encoding allows.

    An encoder neuron (a weight row of norm Omega over 2^n one-hot inputs, y = w.x / Omega)
    that splits the items half and half has y - b = +-m only if m <= 2^(-n/2); a decoder
    neuron picking one vertex of the n-cube out of the others has its nearest rival 1/sqrt(n)
    below, so m <= 1 / (2 sqrt(n)). The paper's Delta = 2 m = 0.4 for n = 3, 4 and 0.34 for
    n = 5 sit below these bounds; 0.85 of the bound (n = 3: 0.245, 4: 0.2125, 5: 0.150) was
    better on our tune seeds (n = 3: 37 / 40 restarts against 31 / 40 at m = 0.2; n = 4:
    5 / 10 against 3 / 10).

    >>> round(default_margin(3), 4), round(default_margin(4), 4)
    (0.2454, 0.2125)
    """
    return MARGIN_FRACTION * min(0.5 / math.sqrt(n), 2.0 ** (-n / 2))


def train_cyclic_autoencoder(
    n: int,
    *,
    beta: float = 0.5,
    omega: float = 100.0,
    margin: float | None = None,
    restarts: int = 10,
    iterations: int = 500_000,
    epochs: int = 1,
    time_limit: float | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    backend: str = "auto",
    threads: int | None = None,
) -> dict:
    """Strict binary encoding 2^n -> n -> 2^n by RRR on the cyclic network (LWL §6.3.1).

    Data batch: the 2^n one-hot vectors; code batch: the 2^n n-bit codes; step activations
    with half-gap ``margin`` (y - b >= margin for a 1, <= -margin for a 0; default
    :func:`default_margin`), weights of norm ``omega``. As in the paper's program, every epoch
    starts the copies afresh from the consensus parameters (a forward pass) and runs up to
    ``iterations`` RRR iterations (one long epoch did as well on n = 3 as ten short ones).
    ``backend`` "numba" runs each restart as a compiled loop, restarts side by side on
    ``threads`` threads (default ``torch.get_num_threads()``); "torch" runs the restarts as
    one tensor program on ``device``; "auto" picks numba on a CPU when it is installed.
    A restart succeeds when the feed-forward network reproduces every one-hot vector (hence
    gives 2^n distinct codes of n bits: a strict binary encoding), re-checked by
    :func:`numpy_step_cycle`; a solved restart stops.

    Returns a dict with per-restart ``solved``, ``codes_reproduced`` and ``iterations``,
    ``success_rate``, the first solved restart's ``weights``, ``biases`` and ``codes``, the
    work in ``gwm`` and ``time_s``.

    >>> out = train_cyclic_autoencoder(2, restarts=4, iterations=20000, epochs=1, seed=1)
    >>> out["success_rate"] > 0, out["verified"]
    (True, True)
    """
    if not 1 <= int(n) <= 8:
        raise InputError(f"autoencoder bits n must be in 1..8, got {n}")
    margin = default_margin(int(n)) if margin is None else margin
    if not 0.0 < beta <= 2.0 or not omega > 0 or margin < 0:
        raise InputError("need 0 < beta <= 2, omega > 0 and margin >= 0")
    if min(int(restarts), int(iterations), int(epochs)) < 1:
        raise InputError("restarts, iterations and epochs must be >= 1")
    n, name = int(n), choose_backend(backend, device)
    sizes = [2**n, n, 2**n]
    data, codes = np.eye(2**n), all_codes(n)
    gen = torch.Generator().manual_seed(int(seed))
    ws, bs = init_params(sizes, int(restarts), float(omega), gen, scheme="centred-uniform")
    t0 = time.perf_counter()
    cfg = {"beta": float(beta), "omega": float(omega), "margin": float(margin)}
    cfg |= {"iterations": int(iterations), "epochs": int(epochs)}
    if name == "numba":
        lanes = max(1, int(threads) if threads is not None else torch.get_num_threads())
        params, iters, ok = _ring_restarts(ws, bs, data, codes, cfg, time_limit, lanes)
        ws = [torch.as_tensor(np.stack([p[i] for p in params])) for i in (0, 1)]
        bs = [torch.as_tensor(np.stack([p[i] for p in params])) for i in (2, 3)]
        history: list[dict] = []
        spent = time_limit is not None and time.perf_counter() - t0 >= time_limit
        stop = "solved" if all(ok) else "time_limit" if spent else "max_iter"
    else:
        ws, bs, iters, history, stop = _torch_epochs(ws, bs, data, codes, cfg, time_limit, device)
    net = CyclicDC(sizes[:2], torch.as_tensor(data), torch.as_tensor(codes), omega, margin)
    ok_d, ok_c = net.reproduced(ws, bs)
    best = int(torch.nonzero(ok_d)[0, 0]) if bool(ok_d.any()) else 0
    w_np = [w[best].cpu().numpy() for w in ws]
    b_np = [b[best].cpu().numpy() for b in bs]
    code_of = numpy_step_cycle(data, w_np[:1], b_np[:1], omega)
    back = numpy_step_cycle(code_of, w_np[1:], b_np[1:], omega)
    distinct = len({c.tobytes() for c in code_of}) == 2**n
    return {
        "sizes": sizes,
        "solved": ok_d.tolist(),
        "codes_reproduced": ok_c.tolist(),
        "success_rate": float(ok_d.double().mean()),
        "iterations": list(iters),
        "best_restart": best,
        "verified": bool(np.array_equal(back, data) and distinct),
        "weights": w_np,
        "biases": b_np,
        "codes": code_of.astype(int).tolist(),
        "gwm": 1e-9 * sum(iters) * (2 * 2**n) * 2 * n * 2**n,
        "time_s": time.perf_counter() - t0,
        "backend": name,
        "margin": float(margin),
        "stop_reason": stop,
        "history": history,
    }


def _torch_epochs(ws, bs, data, codes, cfg, time_limit, device):
    """The restarts as one tensor program through :class:`CyclicDC` and the RRR engine."""
    dev = torch.device(device)
    net = CyclicDC(
        [data.shape[1], codes.shape[1]],
        torch.as_tensor(data).to(dev),
        torch.as_tensor(codes).to(dev),
        cfg["omega"],
        cfg["margin"],
    )
    ws, bs = [w.to(dev) for w in ws], [b.to(dev) for b in bs]
    engine = RRR(net.project_a, net.project_b, beta=cfg["beta"])
    t0 = time.perf_counter()
    iters = torch.zeros(ws[0].shape[0], dtype=torch.long)
    ok = torch.zeros(ws[0].shape[0], dtype=torch.bool)
    history, stop = [], "epochs"
    for epoch in range(1, cfg["epochs"] + 1):
        live = torch.nonzero(~ok).flatten()
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            stop = "time_limit"
            break
        run = engine.run(
            net.warm_start([w[live] for w in ws], [b[live] for b in bs]),
            max_iter=cfg["iterations"],
            tol=0.0,
            time_limit=left,
            record_every=cfg["iterations"],
            is_solved=lambda pa: net.reproduced(*net.read_params(pa))[0],
            check_every=10,
        )
        new_w, new_b = net.read_params(run.solution)
        for w, nw in zip(ws + bs, new_w + new_b):
            w[live] = nw
        iters[live] += run.iterations.cpu()
        ok = net.reproduced(ws, bs)[0].cpu()
        history.append({"step": epoch, "time_s": time.perf_counter() - t0, "solved": int(ok.sum())})
        if bool(ok.all()) or run.stop_reason == "interrupted":
            stop = "solved" if bool(ok.all()) else "interrupted"
            break
    return [w.cpu() for w in ws], [b.cpu() for b in bs], iters.tolist(), history, stop


__all__ = [
    "CyclicDC",
    "all_codes",
    "numpy_step_cycle",
    "train_cyclic_autoencoder",
]
