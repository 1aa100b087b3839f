"""B independently initialized copies of one network, with stacked parameters.

Networks trained on one instance (an untrained image prior, a PINN) become core
parameterizations by stacking B copies' parameters along a leading restart dimension: the
core's batched optimizers, per-restart learning rates, resets and exploit-and-explore then
apply unchanged.  :class:`StackedModules` keeps the stacked tensors and applies restart ``b``'s
parameters to restart ``b``'s inputs, as a loop (fastest on CPUs) or as one vectorized pass
(``torch.func.vmap``: grouped kernels, meant for GPUs).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

__all__ = ["StackedModules"]


def _stateless_batchnorm(net: nn.Module) -> nn.Module:
    """Batch norm with batch statistics only: networks fitted to one instance never leave
    training mode, so running statistics are unused; without them restarts are independent
    and vmap-able."""
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None
    return net


class StackedModules(nn.Module):
    """``restarts`` copies of ``make_net()`` (each initialized from its own seed drawn from
    ``generator``) with parameters stacked as ``(B, ...)`` tensors.

    :meth:`apply` maps per-restart inputs ``(B, ...)`` (or shared inputs) to per-restart
    outputs ``(B, ...)``.  ``batching`` is ``"loop"``, ``"vmap"`` or ``"auto"`` (vmap on CUDA
    with several restarts).

    >>> s = StackedModules(lambda: nn.Linear(2, 1), restarts=3,
    ...                    generator=torch.Generator().manual_seed(0))
    >>> s.apply(torch.ones(3, 5, 2)).shape
    torch.Size([3, 5, 1])
    >>> [tuple(p.shape) for p in s.parameters()]
    [(3, 1, 2), (3, 1)]
    """

    def __init__(
        self,
        make_net: Callable[[], nn.Module],
        restarts: int = 1,
        batching: str = "auto",
        device: torch.device | str = "cpu",
        dtype: torch.dtype | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if batching not in ("auto", "loop", "vmap"):
            raise ValueError(f"batching must be auto, loop or vmap, got {batching!r}")
        if restarts < 1:
            raise ValueError("restarts must be >= 1")
        self.restarts = restarts
        self._make_net = make_net
        self._device = torch.device(device)
        self._dtype = dtype
        self.batching = (
            ("vmap" if self._device.type == "cuda" and restarts > 1 else "loop")
            if batching == "auto"
            else batching
        )
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        nets = [self.build(gen) for _ in range(restarts)]
        params, buffers = stack_module_state(nets)
        # parameter names cannot hold dots; keep a map back to the module's names
        self._names = {name: name.replace(".", "__") for name in params}
        for name, value in params.items():
            self.register_parameter(self._names[name], nn.Parameter(value.detach().clone()))
        self._buffer_names = {name: "buf__" + name.replace(".", "__") for name in buffers}
        for name, value in buffers.items():
            self.register_buffer(self._buffer_names[name], value.detach().clone())
        self._template = [copy.deepcopy(nets[0]).to("meta")]  # a list: not a submodule

    def build(self, gen: torch.Generator) -> nn.Module:
        """One freshly initialized copy, seeded from ``gen`` (torch's global RNG untouched)."""
        seed = int(torch.randint(0, 2**62, (1,), generator=gen))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _stateless_batchnorm(self._make_net())
        return net.to(device=self._device, dtype=self._dtype)

    def reinit_(self, index: Sequence[int], gen: torch.Generator) -> None:
        """Re-initialize the restarts in ``index`` with fresh copies drawn from ``gen``."""
        with torch.no_grad():
            for b in index:
                state = dict(self.build(gen).named_parameters())
                for name, pname in self._names.items():
                    getattr(self, pname)[b] = state[name].detach()

    def stacked_parameters(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, pname) for name, pname in self._names.items()}

    def stacked_buffers(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, bname) for name, bname in self._buffer_names.items()}

    def apply(self, *inputs: torch.Tensor | None, shared: Sequence[bool] | None = None):
        """Run every restart on its inputs; returns ``(B, ...)``.

        Each input is ``(B, ...)`` (restart ``b`` gets ``input[b]``) unless ``shared`` marks it
        as common to all restarts; ``None`` inputs are dropped (networks without inputs).
        """
        args = [x for x in inputs if x is not None]
        shared = list(shared) if shared is not None else [False] * len(args)
        template = self._template[0]
        params, buffers = self.stacked_parameters(), self.stacked_buffers()

        def one(p: dict, b: dict, *xs: torch.Tensor) -> torch.Tensor:
            return functional_call(template, (p, b), tuple(xs))

        if self.batching == "vmap" and self.restarts > 1:
            in_dims = (0, 0, *[None if s else 0 for s in shared])
            return vmap(one, in_dims=in_dims, randomness="different")(params, buffers, *args)
        outs = []
        for i in range(self.restarts):
            xs = [x if s else x[i] for x, s in zip(args, shared)]
            outs.append(
                one(
                    {k: v[i] for k, v in params.items()},
                    {k: v[i] for k, v in buffers.items()},
                    *xs,
                )
            )
        return torch.stack(outs)
