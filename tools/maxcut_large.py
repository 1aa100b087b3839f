"""MaxCut at 10^5-10^6 vertices: dnnsolve default vs dwave-samplers SA at equal time, one thread.

Usage: ``OMP_NUM_THREADS=1 python tools/maxcut_large.py reg3:100000:10 er6:200000:10`` (kind:n:seconds;
``reg3`` random 3-regular, ``er6`` G(n, 6/n)).
"""

import sys
import time

import dnnsolve
from dnnsolve.baselines import greedy_maxcut
from dnnsolve.bench.generators import erdos_renyi, random_regular
from dnnsolve.bench.peers import dwave_maxcut

cases = [a.split(":") for a in sys.argv[1:]]  # kind:n:seconds
for kind, n, secs in cases:
    n, secs = int(n), float(secs)
    g = random_regular(n, 3, n) if kind == "reg3" else erdos_renyi(n, 6 / (n - 1), n)
    t = time.perf_counter()
    r = dnnsolve.solve("maxcut", g, time_limit=secs, device="cpu", seed=0)
    ours_t = time.perf_counter() - t
    p = dwave_maxcut(g, "dwave-sa", secs)
    gr = greedy_maxcut(g).objective
    print(
        f"{kind} n={n} m={g.m} {secs:.0f}s: dnnsolve {r.objective:.0f} ({ours_t:.1f} s, {r.found_by}) "
        f"| dwave-sa {p.objective:.0f} ({p.time_s:.1f} s) | greedy+1flip {gr:.0f} | ratio {r.objective / p.objective:.5f}",
        flush=True,
    )
