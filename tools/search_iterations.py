"""Per-iteration cost of the clique swap walk and the MIS / cover ARW walk at n = 10^5 (16 walks),
compiled and torch.  Usage: ``python tools/search_iterations.py``."""

import time

import torch

from dnnsolve.bench.generators import erdos_renyi
from dnnsolve.search import clique as C

g = erdos_renyi(100000, 10 / 99999, 100000)
tg = g.to_torch()
B = 16
gen = torch.Generator().manual_seed(0)
z = torch.zeros(B, g.n, dtype=torch.bool)
z[torch.arange(B), torch.randint(0, g.n, (B,), generator=gen)] = True
C.local_search(tg, z, max_iters=10, generator=gen)  # warm-up (compile / cache)
for iters in (1000, 10000):
    t = time.perf_counter()
    C.local_search(
        tg, z, max_iters=iters, stall_iters=10**9, generator=torch.Generator().manual_seed(1)
    )
    dt = time.perf_counter() - t
    print(
        f"compiled: {iters} iterations x {B} walks: {dt:.3f} s, {1000 * dt / iters:.4f} ms per iteration (incl. setup)"
    )
orig = C._compiled
C._compiled = lambda z: False
for iters in (3, 10):
    t = time.perf_counter()
    C.local_search(
        tg, z, max_iters=iters, stall_iters=10**9, generator=torch.Generator().manual_seed(1)
    )
    dt = time.perf_counter() - t
    print(
        f"torch: {iters} iterations x {B} walks: {dt:.3f} s, {1000 * dt / iters:.1f} ms per iteration (incl. setup)"
    )

# vertex cover / MIS side: the ARW walk at n = 10^5 (sparse, mean degree 5)
from dnnsolve.search import mis as M  # noqa: E402

g5 = erdos_renyi(100000, 5 / 99999, 100000)
tg5 = g5.to_torch()
z5 = torch.zeros(B, g5.n, dtype=torch.bool)
M.local_search(tg5, z5, max_iters=10, generator=gen, compiled=True)
for comp, iters_list in ((True, (1000, 10000)), (False, (3, 10))):
    for iters in iters_list:
        t = time.perf_counter()
        M.local_search(
            tg5,
            z5,
            max_iters=iters,
            stall_iters=10**9,
            min_iters=0,
            generator=torch.Generator().manual_seed(1),
            compiled=comp,
        )
        dt = time.perf_counter() - t
        print(
            f"mis {'compiled' if comp else 'torch'}: {iters} iterations x {B} walks: {dt:.3f} s, "
            f"{1000 * dt / iters:.4f} ms per iteration (incl. setup)"
        )
