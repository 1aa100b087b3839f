"""Run the ``pde`` suite's DeepXDE peer once and print one JSON line.

The same function as ``dnnsolve bench pde --option peers=deepxde``
(:func:`dnnsolve.bench.suites.pde.deepxde_peer`): DeepXDE's standard recipe (PyTorch backend,
float64, 3×20 tanh, Adam lr 1e-3 for 60 % of the time, then L-BFGS) on one of ``burgers``,
``heat``, ``poisson2d`` for ``--seconds`` of wall time, scored on the suite's evaluation points
against its reference.  ``--ours`` also runs the library default (``solve_pde(problem,
recipe="auto")``) with the same time limit and seed and adds ``rel_l2``, ``time_s`` and
``ratio`` (peer / ours).

    OMP_NUM_THREADS=1 python tools/peer_deepxde.py --problem burgers --seconds 270 --seed 0 \\
        --threads 1 [--ours]

Needs ``pip install deepxde``; a missing DeepXDE gives ``peer_error`` (exit status 1).
Not shipped.
"""

from __future__ import annotations

import argparse
import json
import os


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", required=True, choices=("burgers", "heat", "poisson2d"))
    ap.add_argument("--seconds", type=float, required=True, help="wall time of the peer")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    hide = "cpu hides the GPU from DeepXDE (it takes one when it sees one)"
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help=hide)
    ap.add_argument("--ours", action="store_true", help="also run solve_pde's default recipe")
    args = ap.parse_args(argv)
    if args.seconds <= 0:
        ap.error("--seconds must be positive")
    # before torch is imported: DeepXDE picks its backend, and a visible GPU, on import
    os.environ["DDE_BACKEND"] = "pytorch"
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import torch

    from dnnsolve.bench.suites.pde import deepxde_peer
    from dnnsolve.core.result import jsonable

    torch.set_num_threads(args.threads)
    out = {"problem": args.problem, "seconds": args.seconds, "seed": args.seed,
           "threads": args.threads}  # fmt: skip
    out.update(deepxde_peer(args.problem, args.seconds, args.seed, args.threads))
    if args.ours:
        from dnnsolve.pde import solve_pde

        ours = solve_pde(args.problem, recipe="auto", seed=args.seed, device=args.device,
                         time_limit=args.seconds)  # fmt: skip
        rec = ours.result.extra.get("recipe") or {}
        qn = ours.result.extra.get("quasi_newton") or {}
        out.update(recipe=rec.get("name"), rel_l2=ours.relative_l2, time_s=ours.result.time_s)
        out.update(quasi_newton=rec.get("quasi_newton"), qn_iterations=qn.get("iterations", 0))
        if out.get("peer_rel_l2") is not None and ours.relative_l2:
            out["ratio"] = out["peer_rel_l2"] / ours.relative_l2
    print(json.dumps(jsonable(out)))
    return 1 if out.get("peer_error") else 0


if __name__ == "__main__":
    raise SystemExit(main())
