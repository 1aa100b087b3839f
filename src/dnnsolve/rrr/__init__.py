"""Relaxed-reflect-reflect (RRR) projection engine and RRR constraint solvers.

* :mod:`dnnsolve.rrr.engine` — the batched iteration (:class:`RRR`, :class:`RRRRun`) and the
  :class:`Projection` base class;
* :mod:`dnnsolve.rrr.projections` — exact projections (box, affine, one-hot, simplex, sign,
  consensus, Fourier magnitude, products of blocks);
* :mod:`dnnsolve.rrr.constraints` — colouring, Latin square / Sudoku and bit retrieval as RRR
  problems, and :func:`~dnnsolve.rrr.constraints.solve` returning a verified core ``Result``.
"""

from __future__ import annotations

from .engine import RRR, FunctionProjection, Projection, RRRRun, batch_norm

__all__ = ["RRR", "FunctionProjection", "Projection", "RRRRun", "batch_norm"]
