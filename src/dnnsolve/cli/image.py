"""``dnnsolve image TASK``: the group of the imaging families.

The commands (``denoise``, ``inpaint``, ``superres``, ``deblur``, ``mri``, ``ct``, ``fit``) are
generated from the families' specs (:mod:`dnnsolve.imaging.family`, :mod:`.generate`) when a
command line names one (:class:`~.generate.FamilyGroup`), each also as ``dnnsolve solve TASK``.

Exit codes: 0 success, 2 bad input (one line on stderr), 130 interrupted by Ctrl-C (the image
and result JSON are still written, from the iterate the run would have returned at that point).
"""

from __future__ import annotations

import typer

from .generate import family_group

__all__ = ["image_app"]

image_app = typer.Typer(
    cls=family_group("image"),
    help="Reconstruct an image with an untrained network (Deep Image Prior and friends).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
