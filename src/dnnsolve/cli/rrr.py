"""``dnnsolve rrr …``: the group of the RRR families' commands.

The commands (``color``, ``sudoku``, ``bits``, ``nmf``, ``classify``, ``autoencode``) are
generated from the family specs of :mod:`dnnsolve.rrr.family` and
:mod:`dnnsolve.rrr.lwl.family` (group ``"rrr"``) and added to :data:`rrr_app` by
:mod:`dnnsolve.cli.root`.
"""

from __future__ import annotations

import typer

__all__ = ["rrr_app"]


rrr_app = typer.Typer(
    help="Solve constraint problems with the RRR (relaxed-reflect-reflect) projection method.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
