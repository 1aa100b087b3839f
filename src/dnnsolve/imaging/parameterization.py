"""An untrained image network as a core parameterization: B restarts of f_θ(z).

:class:`NetworkImage` holds ``B`` independently initialized copies of one network with their
parameters *stacked* (restart dimension first, the core's convention), so the core's batched
optimizers, per-restart learning rates, resets and exploit-and-explore work unchanged.  Its
output is the image batch flattened to ``(B, C·H·W)``.

Forward passes run either as a loop over restarts (fastest on CPU) or as one vectorized pass
(``torch.func.vmap``: one grouped kernel per layer, meant for GPUs).  During training
(gradients enabled) the fixed input gets DIP's per-step jitter ``z + σ·N(0, 1)``; evaluation
passes (under ``torch.no_grad``) use the clean input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import nn

from ..core.errors import InputError
from ..core.parameterization import Parameterization
from ..core.seeding import fresh_seed
from ..core.stacked import StackedModules

__all__ = ["NetworkImage"]

NetFactory = Callable[[], nn.Module]
InputFactory = Callable[[torch.Generator], torch.Tensor | None]


class NetworkImage(Parameterization):
    """``restarts`` copies of ``make_net()`` applied to fixed inputs, as one parameterization.

    ``make_input(generator)`` draws one restart's fixed input (``None`` for networks without an
    input, such as :class:`~dnnsolve.imaging.ImplicitImage`).  Every network must output an
    image ``(1, *shape)``.  ``input_noise`` is DIP's jitter σ; ``optimize_input=True`` trains the
    input too (self-guided DIP); ``batching`` is ``"loop"``, ``"vmap"`` or ``"auto"`` (vmap on
    CUDA with several restarts); ``amp`` runs the network in bfloat16 autocast and
    ``channels_last`` stores inputs in NHWC (both for GPUs).

    >>> from dnnsolve.imaging import DeepDecoder
    >>> g = torch.Generator().manual_seed(0)
    >>> p = NetworkImage(lambda: DeepDecoder(1, 8, depth=2), lambda gen: DeepDecoder(1, 8, depth=2).input(16, 16, gen),
    ...                  shape=(1, 16, 16), restarts=2, generator=g)
    >>> p().shape, p.image().shape
    (torch.Size([2, 256]), torch.Size([2, 1, 16, 16]))
    """

    def __init__(
        self,
        make_net: NetFactory,
        make_input: InputFactory,
        shape: tuple[int, int, int],
        restarts: int = 1,
        input_noise: float = 0.0,
        optimize_input: bool = False,
        batching: str = "auto",
        amp: bool = False,
        channels_last: bool = False,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if batching not in ("auto", "loop", "vmap"):
            raise InputError(f"batching must be auto, loop or vmap, got {batching!r}")
        if restarts < 1:
            raise InputError("restarts must be >= 1")
        self.restarts = restarts
        self.shape = tuple(int(s) for s in shape)
        self.n = self.shape[0] * self.shape[1] * self.shape[2]
        self.input_noise = float(input_noise)
        self.optimize_input = optimize_input
        self.amp = amp
        self.channels_last = channels_last
        self._make_input = make_input
        dev = torch.device(device)
        self._device = dev
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        self.nets = StackedModules(make_net, restarts, batching, dev, generator=gen)
        self.batching = self.nets.batching
        inputs = [self._input(gen) for _ in range(restarts)]
        if inputs[0] is None:
            self.register_buffer("z0", None)
            self.z = None
        else:
            z = torch.cat(inputs)  # (B, ...) one input per restart
            if optimize_input:
                self.register_buffer("z0", None)
                self.z = nn.Parameter(z)
            else:
                self.register_buffer("z0", z)
                self.z = None
        self.to(dev)

    def _input(self, gen: torch.Generator) -> torch.Tensor | None:
        z = self._make_input(gen)
        return None if z is None else z.detach().to(self._device)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten().tolist()
        if generator is None:
            seed = fresh_seed(62)
        else:
            seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
        gen = torch.Generator().manual_seed(seed)
        self.nets.reinit_(idx, gen)
        with torch.no_grad():
            for b in idx:
                z = self._input(gen)
                if z is not None:
                    self.inputs()[b] = z[0]

    # -- forward ---------------------------------------------------------------------------
    def inputs(self) -> torch.Tensor | None:
        """The per-restart inputs ``(B, ...)`` (trainable with ``optimize_input``)."""
        return self.z if self.z is not None else self.z0

    def image(self) -> torch.Tensor:
        """The image batch ``(B, C, H, W)``; jittered input while gradients are enabled."""
        z = self.inputs()
        if z is not None and self.input_noise > 0 and torch.is_grad_enabled():
            z = z + self.input_noise * torch.randn_like(z)
        if z is not None and self.channels_last and z.dim() == 4:
            z = z.contiguous(memory_format=torch.channels_last)
        autocast = (
            torch.autocast(self._device.type, dtype=torch.bfloat16)
            if self.amp
            else contextlib.nullcontext()
        )
        with autocast:
            # each network maps its own (1, ...) input to a (1, C, H, W) image
            out = self.nets.apply(None if z is None else z.unsqueeze(1))[:, 0]
        out = out.float()
        c, h, w = self.shape
        if out.dim() == 4 and out.shape[1] == c and out.shape[2] >= h and out.shape[3] >= w:
            # networks that need sizes in multiples of 2**scales render a larger image
            top, left = (out.shape[2] - h) // 2, (out.shape[3] - w) // 2
            out = out[:, :, top : top + h, left : left + w]
        if tuple(out.shape[1:]) != self.shape:
            raise InputError(
                f"network outputs images of shape {tuple(out.shape[1:])}, expected {self.shape}"
            )
        return out

    def forward(self) -> torch.Tensor:
        return self.image().reshape(self.restarts, self.n)
