"""Time one Adam step of dnnsolve's PINN against DeepXDE's on the same Burgers network.

Both train a 3×20 tanh network on Burgers with 2540 interior and 240 boundary / initial points
(DeepXDE's standard example; the conditions are loss terms in both), one thread.  Each library
runs in its own process (importing DeepXDE changes torch's default dtype), alternating for
``--rounds`` rounds; dnnsolve's time is the difference of a 550-step and a 50-step solve, so
set-up and the reference cancel.  Needs ``pip install deepxde`` for the peer column.

    python tools/pde_adam_step.py --rounds 3 --dtype float32 float64
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def ours(dtype: str) -> float:
    import math

    import torch

    from dnnsolve.pde import solve_pde

    torch.set_num_threads(1)
    kw = dict(lbfgs_steps=0, time_limit=math.inf, eval_every=100_000, interior=2540,
              boundary=120, dtype=dtype, exact=False, options={"hidden": 20, "layers": 3})  # fmt: skip

    def run(n: int) -> float:
        t = time.perf_counter()
        solve_pde("burgers", adam_steps=n, **kw)
        return time.perf_counter() - t

    run(20)
    short, long_ = run(50), run(550)
    return (long_ - short) / 500 * 1e3


def deepxde(dtype: str) -> float:
    os.environ["DDE_BACKEND"] = "pytorch"
    import numpy as np
    import torch

    torch.set_num_threads(1)
    import deepxde as dde

    dde.config.set_default_float(dtype)
    geom = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 1))

    def pde(x, y):
        y_x = dde.grad.jacobian(y, x, i=0, j=0)
        y_t = dde.grad.jacobian(y, x, i=0, j=1)
        y_xx = dde.grad.hessian(y, x, i=0, j=0)
        return y_t + y * y_x - 0.01 / np.pi * y_xx

    bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geom, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geom, pde, [bc, ic], num_domain=2540, num_boundary=80,
                            num_initial=160)  # fmt: skip
    model = dde.Model(data, dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal"))
    model.compile("adam", lr=1e-3)
    model.train(iterations=50, display_every=100_000, verbose=0)
    t = time.perf_counter()
    model.train(iterations=500, display_every=100_000, verbose=0)
    return (time.perf_counter() - t) / 500 * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    ap.add_argument("--one", choices=["ours", "deepxde"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:  # a child process: one measurement, one JSON number
        print(json.dumps((ours if args.one == "ours" else deepxde)(args.dtype[0])))
        return
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for dtype in args.dtype:
        times: dict[str, list[float]] = {"deepxde": [], "ours": []}
        for _ in range(args.rounds):
            for which in times:
                cmd = [sys.executable, __file__, "--one", which, "--dtype", dtype]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if out.returncode == 0:
                    times[which].append(json.loads(out.stdout.strip().splitlines()[-1]))
        row = {k: [round(v, 2) for v in t] for k, t in times.items()}
        if times["deepxde"] and times["ours"]:
            row["ratio_of_medians"] = round(
                statistics.median(times["ours"]) / statistics.median(times["deepxde"]), 3
            )
        print(json.dumps({"dtype": dtype, "ms_per_step": row}))


if __name__ == "__main__":
    main()
