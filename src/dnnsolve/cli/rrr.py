"""``dnnsolve rrr …``: the group of the RRR families' commands.

The commands (``color``, ``sudoku``, ``bits``, ``nmf``, ``classify``, ``autoencode``) are
generated from the family specs of :mod:`dnnsolve.rrr.family` and
:mod:`dnnsolve.rrr.lwl.family` (group ``"rrr"``) when a command line names one
(:class:`~.generate.FamilyGroup`).
"""

from __future__ import annotations

import typer

from .generate import family_group

__all__ = ["rrr_app"]


rrr_app = typer.Typer(
    cls=family_group("rrr"),
    help="Solve constraint problems with the RRR (relaxed-reflect-reflect) projection method.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
