"""Tabucol cost per iteration (one row), compiled vs torch, same start, same iterations, at a
q below chi (no row can stop early).  Usage: ``python tools/tabucol_iterations.py``."""

import time

import torch

from dnnsolve.data import default_data_dir
from dnnsolve.io import read_graph
from dnnsolve.search import coloring as K

data = default_data_dir()  # ../shared/datasets or $DNNSOLVE_DATA
K.warm_up()
for name, q in (("DSJC250.5", 26), ("DSJC500.5", 45), ("le450_15c", 14)):
    g = read_graph(data / "dimacs_color" / f"{name}.col")
    tg = g.to_torch()
    B, iters = 8, 2000
    z = torch.randint(0, q, (B, g.n), generator=torch.Generator().manual_seed(0))
    for use in (True, False):
        st = {}
        t = time.perf_counter()
        K.tabucol(
            tg,
            z,
            q,
            max_iters=iters,
            generator=torch.Generator().manual_seed(1),
            stats=st,
            use_numba=use,
        )
        dt = time.perf_counter() - t
        it = st["iterations"]
        print(
            f"{name} q={q} {'compiled' if use else 'torch'}: B={B}, {it} iterations each: {dt:.3f} s, "
            f"{1e6 * dt / (it * B):.1f} us per row-iteration; best conflicts {st['best_conflicts']}",
            flush=True,
        )
