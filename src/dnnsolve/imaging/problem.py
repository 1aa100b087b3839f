"""Image reconstruction as a core :class:`~dnnsolve.core.problem.Problem`.

The loss is the data fidelity ``mean |A x − y|²`` of the relaxed solution (the network's image)
plus optional regularizers whose weights are hyper-parameters (so a population of weights can
be tiled over restarts): anisotropic total variation ``tv`` (DIP-TV) and, for self-guided DIP,
``guide``: the distance between the output and the trainable input image.  The "decoder" is the
image clipped to ``[0, 1]``; the objective is the data fidelity, which measures fit, not
quality, so the problem asks the solver for the last iterate or a monitor's choice
(``select = "last"``) instead of the best-fitting one, which is the over-fitted one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from ..core.errors import InputError
from ..core.problem import Evaluation, Problem
from .operators import Operator

__all__ = ["ImageReconstruction", "total_variation"]


def total_variation(img: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation per image, mean absolute difference of neighbours: (B,).

    >>> total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]))
    tensor([0.5000])
    """
    dh = (img[..., 1:, :] - img[..., :-1, :]).abs().flatten(1).sum(1)
    dw = (img[..., :, 1:] - img[..., :, :-1]).abs().flatten(1).sum(1)
    return (dh + dw) / img[0].numel()


class ImageReconstruction(Problem):
    """Recover an image ``x`` of shape ``(C, H, W)`` from ``y = A x + noise``.

    ``measurement`` is ``y`` as a ``(1, ...)`` tensor (complex k-space for MRI); ``operator``
    is ``A``; ``reference`` (optional ``(1, C, H, W)`` ground truth) is never used by the solve,
    only by callers to report PSNR / SSIM.  With ``guided=True`` the relaxed solution carries the
    trainable input image after the output (self-guided DIP), and ``guide`` weighs their distance.

    >>> from dnnsolve.imaging.operators import Denoising
    >>> y = torch.full((1, 1, 4, 4), 0.5)
    >>> prob = ImageReconstruction(Denoising(), y, (1, 4, 4))
    >>> x = torch.full((2, 16), 0.25)
    >>> prob.loss(x, {"tv": torch.zeros(2)})
    tensor([0.0625, 0.0625])
    >>> prob.evaluate(prob.decode(x)).objective
    tensor([0.0625, 0.0625], dtype=torch.float64)
    """

    name: ClassVar[str] = "image"
    sense: ClassVar[str] = "min"
    select: ClassVar[str] = "last"

    def __init__(
        self,
        operator: Operator,
        measurement: torch.Tensor,
        shape: tuple[int, int, int],
        instance: str = "image",
        reference: torch.Tensor | None = None,
        tv: float = 0.0,
        guide: float = 0.0,
        guided: bool = False,
    ):
        self.operator = operator
        self.shape = tuple(int(s) for s in shape)
        operator.check(measurement, (1, *self.shape))
        self.y = measurement
        self.instance = instance
        self.image_vars = self.shape[0] * self.shape[1] * self.shape[2]
        self.guided = guided
        self.n_vars = self.image_vars * (2 if guided else 1)
        if reference is not None and tuple(reference.shape[1:]) != self.shape:
            raise InputError(
                f"reference image is {tuple(reference.shape[1:])}, expected {self.shape}"
            )
        self.hparams = {"tv": float(tv), **({"guide": float(guide)} if guided else {})}

    # -- helpers ---------------------------------------------------------------------------
    def images(self, x: torch.Tensor) -> torch.Tensor:
        """The image part of relaxed / decoded solutions, ``(B, C, H, W)``."""
        return x[:, : self.image_vars].reshape(-1, *self.shape)

    def _fidelity(self, img: torch.Tensor) -> torch.Tensor:
        r = self.operator(img) - self.y.to(img.device)
        r2 = r.real.square() + r.imag.square() if r.is_complex() else r.square()
        return r2.flatten(1).mean(1)

    # -- Problem interface -------------------------------------------------------------------
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        img = self.images(x)
        loss = self._fidelity(img)
        tv = hp.get("tv")
        if tv is not None and bool((tv != 0).any()):
            loss = loss + tv * total_variation(img)
        if self.guided:
            z = x[:, self.image_vars :]
            loss = loss + hp["guide"] * (x[:, : self.image_vars] - z).square().mean(1)
        return loss

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, : self.image_vars].clamp(0.0, 1.0)

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        fid = self._fidelity(self.images(z).float()).to(torch.float64)
        return Evaluation(objective=fid, feasible=torch.isfinite(fid))

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """Data fidelity of the clipped image recomputed in float64; feasible if finite and in
        ``[0, 1]``."""
        img = np.asarray(solution, dtype=np.float64).reshape(1, *self.shape)
        ok = bool(np.isfinite(img).all() and img.min() >= 0.0 and img.max() <= 1.0)
        op = copy.deepcopy(self.operator).to(torch.device("cpu"))  # .to() would move ours
        ax = op(torch.from_numpy(img)).numpy()
        y = self.y.detach().cpu().numpy().astype(ax.dtype)
        fid = float(np.mean(np.abs(ax - y) ** 2))
        return fid, bool(ok and np.isfinite(fid))

    def solution_output(self, solution: np.ndarray) -> Any:
        # the image itself goes to an image file; the JSON result keeps its shape
        return {"shape": list(self.shape)}

    def image_of(self, solution: np.ndarray | torch.Tensor) -> torch.Tensor:
        """A decoded solution as an image tensor ``(1, C, H, W)``."""
        t = torch.as_tensor(
            np.asarray(solution) if not isinstance(solution, torch.Tensor) else solution
        )
        return t[: self.image_vars].reshape(1, *self.shape).float()
