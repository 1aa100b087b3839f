"""Success statistics of ``rrr_nmf`` with a fixed number of restarts, on LEDM or planted
instances, through the library's own driver (parallel restarts, polish, default Omega).

Usage: ``python tools/lwl_nmf_restarts.py ledm M RESTARTS [THREADS] [MAX_ITER]`` or
``python tools/lwl_nmf_restarts.py wide|mixed|issue SPLIT COUNT TIME_LIMIT [THREADS]``.
LEDM: RESTARTS independent restarts of at most MAX_ITER (default 10^7) iterations, each restart's
seconds and iterations, the success rate and the throughput in GWM/s over the whole run.
Planted sets: ``rrr_nmf`` with its defaults (restarts until one succeeds, at most TIME_LIMIT
seconds) on each instance; the solution is re-checked by
:func:`dnnsolve.bench.heldout.nmf.relative_error`.
"""

import sys
import time

import numpy as np

from dnnsolve.bench.heldout.nmf import instance_list, relative_error
from dnnsolve.rrr.lwl.data import LEDM_RANKS, ledm
from dnnsolve.rrr.lwl.nmf import rrr_nmf

rrr_nmf(np.outer([1.0, 2.0], [1.0, 3.0]), 1, restarts=1)  # compile outside the clock
if sys.argv[1] == "ledm":
    m, n = int(sys.argv[2]), int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else None
    cap = int(sys.argv[5]) if len(sys.argv) > 5 else None
    t = time.perf_counter()
    out = rrr_nmf(ledm(m), LEDM_RANKS[m], restarts=n, max_iter=cap, threads=threads)
    wall = time.perf_counter() - t
    ok = [s for s, good in zip(out["restart_seconds"], out["solved"]) if good]
    print(
        f"LEDM {m}: {sum(out['solved'])}/{n} solved; seconds per solved restart: median "
        f"{np.median(ok) if ok else float('nan'):.2f}, max {max(ok, default=float('nan')):.2f}; "
        f"{out['gwm']:.3f} GWM in {wall:.1f} s wall = {out['gwm'] / wall:.3f} GWM/s"
    )
    print("iterations:", out["iterations"])
    print("seconds:", [round(v, 2) for v in out["restart_seconds"]])
else:
    which, split, count, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else None
    solved, times = 0, []
    for inst in instance_list(split, which, count):
        x = inst.load()[0]
        t = time.perf_counter()
        out = rrr_nmf(x, inst.meta["rank"], restarts=None, time_limit=limit, threads=threads)
        wall = time.perf_counter() - t
        err = relative_error(x, out["W"], out["Z"])
        ok = err is not None and err <= 1e-6
        solved += ok
        times.append(out["time_to_solution"] if ok else None)
        print(f"{inst.name}: {'solved' if ok else 'NOT solved'} error {err:.2e}, "
              f"{out['restarts_run']} restarts, {wall:.2f} s")  # fmt: skip
    done = sorted(t for t in times if t is not None)
    print(f"{which} {split}: {solved}/{count} within {limit:g} s; median time to solution "
          f"{np.median(done) if done else float('nan'):.2f} s")  # fmt: skip
