"""Methods for image reconstruction: which network, input, optimizer settings and stopping.

Each method is a recipe that builds a :class:`~dnnsolve.imaging.parameterization.NetworkImage`
for an image shape, with the published defaults (learning rate, iterations, input jitter,
output averaging).  :func:`~dnnsolve.imaging.reconstruct.reconstruct` runs them on the core
solver.  ``options`` override the network's keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core.errors import InputError
from .networks import (
    DIP_SETTINGS,
    ConvDecoder,
    DeepDecoder,
    FourierFeatureMLP,
    ImplicitImage,
    ResNet,
    Siren,
    SkipNet,
    UNet,
    noise_input,
)
from .operators import Operator

__all__ = ["IMAGE_METHODS", "ImageMethod", "dip_task", "padded_size"]


@dataclass
class ImageMethod:
    """A reconstruction recipe: defaults plus a builder of (network factory, input factory)."""

    name: str
    summary: str
    lr: float
    iterations: int
    average: float | None  # output EMA decay (None: return the raw iterate)
    input_noise: float | Callable[[str], float]
    build: Callable[..., tuple[Callable[[], torch.nn.Module], Callable]]
    guided: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    per_task: bool = False  # iterations from the DIP notebook of the task

    def jitter(self, task: str) -> float:
        return self.input_noise(task) if callable(self.input_noise) else self.input_noise

    def steps(self, task: str) -> int:
        """Default iterations: the DIP notebook's for ``task`` (DIP variants), else fixed."""
        if self.per_task and task in DIP_SETTINGS:
            return int(DIP_SETTINGS[task]["iterations"])
        return self.iterations


def dip_task(kind: str, scale: int = 4) -> str:
    """The DIP notebook whose settings fit an operator kind (see :data:`DIP_SETTINGS`)."""
    if kind in ("superres", "downsampling"):
        return "sr8" if scale >= 8 else "sr4"
    if kind in ("inpaint", "inpainting"):
        return "inpainting"
    return "denoising"


def padded_size(h: int, w: int, multiple: int, minimum: int = 1) -> tuple[int, int]:
    """The smallest size ≥ ``(h, w)`` whose sides are multiples of ``multiple``, and at least
    ``minimum`` multiples (an encoder whose deepest level is 1x1 cannot batch-normalize it).

    >>> padded_size(37, 64, 32), padded_size(32, 32, 32, minimum=2)
    ((64, 64), (64, 64))
    """
    side = max(minimum, 1) * multiple
    return (max(side, -(-h // multiple) * multiple), max(side, -(-w // multiple) * multiple))


def _dip(shape, task, options, operator, measurement):
    settings = DIP_SETTINGS[task]
    c, h, w = shape
    kw = {**settings["net"], **options}
    depth = kw.pop("input_depth", settings["input_depth"])
    ph, pw = padded_size(h, w, 2 ** len(kw["channels_down"]), minimum=2)
    kind = settings["input_kind"]

    def make_net():
        return SkipNet(in_channels=depth, out_channels=c, **kw)

    def make_input(gen):
        return noise_input(depth, ph, pw, kind, 0.1, gen)

    return make_net, make_input


def _dip_variant(cls, multiple_of):
    def build(shape, task, options, operator, measurement):
        settings = DIP_SETTINGS[task]
        c, h, w = shape
        depth = options.pop("input_depth", settings["input_depth"])
        kind = settings["input_kind"]
        ph, pw = padded_size(h, w, multiple_of(options), minimum=2)

        def make_net():
            return cls(in_channels=depth, out_channels=c, **options)

        def make_input(gen):
            return noise_input(depth, ph, pw, kind, 0.1, gen)

        return make_net, make_input

    return build


def _sgdip(shape, task, options, operator, measurement):
    """Self-guided DIP: the input is an image (the adjoint reconstruction) trained jointly."""
    settings = DIP_SETTINGS[task]
    c, h, w = shape
    kw = {**settings["net"], **options}
    mult = 2 ** len(kw["channels_down"])
    if (h, w) != padded_size(h, w, mult, minimum=2):
        raise InputError(
            f"self-guided DIP needs image sides that are multiples of {mult} and at least "
            f"{2 * mult} (its input is the image itself), got {h}x{w}"
        )
    start = operator.adjoint(measurement).real.float().clamp(0, 1).detach().cpu()

    def make_net():
        return SkipNet(in_channels=c, out_channels=c, **kw)

    def make_input(gen):
        return start.clone()

    return make_net, make_input


def _deep_decoder(shape, task, options, operator, measurement):
    c, h, w = shape
    depth = options.get("depth", 5)
    ph, pw = padded_size(h, w, 2**depth)
    kw = {"channels": 64, "depth": depth, **options}

    def make_net():
        return DeepDecoder(out_channels=c, **kw)

    def make_input(gen):
        return noise_input(kw["channels"], ph // 2**depth, pw // 2**depth, "noise", 0.1, gen)

    return make_net, make_input


def _conv_decoder(shape, task, options, operator, measurement):
    c, h, w = shape
    # need_sigmoid=False gives deepinv's ConvDecoder exactly (its output is linear)
    kw = {"channels": 64, "num_layers": 6, "need_sigmoid": True, **options}

    def make_net():
        return ConvDecoder(out_size=(h, w), out_channels=c, **kw)

    in_size = kw.get("in_size", (4, 4))

    def make_input(gen):
        return noise_input(kw["channels"], *in_size, "noise", 0.1, gen)

    return make_net, make_input


def _siren(shape, task, options, operator, measurement):
    c, h, w = shape

    def make_net():
        return ImplicitImage(Siren(out_features=c, **options), h, w, c)

    return make_net, lambda gen: None


def _fourier(shape, task, options, operator, measurement):
    c, h, w = shape

    def make_net():
        seed = int(torch.randint(0, 2**62, (1,)))
        net = FourierFeatureMLP(
            out_features=c, generator=torch.Generator().manual_seed(seed), **options
        )
        return ImplicitImage(net, h, w, c, output="sigmoid")

    return make_net, lambda gen: None


def _dip_jitter(task: str) -> float:
    return float(DIP_SETTINGS[task]["reg_noise_std"])


#: The methods of ``dnnsolve image``; the first is the default.
IMAGE_METHODS: dict[str, ImageMethod] = {
    m.name: m
    for m in (
        ImageMethod(
            "dip",
            "Deep Image Prior skip network, input jitter, output averaging (Ulyanov et al.)",
            lr=0.01, iterations=3000, average=0.99, input_noise=_dip_jitter,
            build=_dip, per_task=True,
        ),
        ImageMethod(
            "dip-tv",
            "DIP with a total-variation term in the loss (Liu et al. 2019)",
            lr=0.01, iterations=3000, average=0.99, input_noise=_dip_jitter,
            build=_dip, defaults={"tv": 1e-3}, per_task=True,
        ),
        ImageMethod(
            "dip-unet",
            "DIP with a U-Net generator (the DIP paper's architecture comparison)",
            lr=0.01, iterations=3000, average=0.99, input_noise=_dip_jitter,
            build=_dip_variant(UNet, lambda o: 2 ** (len(o.get("channels", (0,) * 5)) - 1)),
            per_task=True,
        ),
        ImageMethod(
            "dip-resnet",
            "DIP with a full-resolution ResNet generator (10 blocks of 16 channels)",
            lr=0.01, iterations=3000, average=0.99, input_noise=_dip_jitter,
            build=_dip_variant(ResNet, lambda o: 1), per_task=True,
        ),
        ImageMethod(
            "sgdip",
            "self-guided DIP: input image trained jointly, tied to the output (Liang et al.)",
            lr=0.01, iterations=2000, average=0.99, input_noise=_dip_jitter,
            build=_sgdip, guided=True, defaults={"guide": 1.0},
        ),
        ImageMethod(
            "deep-decoder",
            "Deep Decoder: 1x1 convolutions and upsampling, under-parameterized (Heckel & Hand)",
            lr=0.01, iterations=2000, average=None, input_noise=0.0,
            build=_deep_decoder,
        ),
        ImageMethod(
            "convdecoder",
            "ConvDecoder: 3x3 convolutions and upsampling, for MRI (Darestani & Heckel)",
            lr=0.008, iterations=2000, average=None, input_noise=0.0,
            build=_conv_decoder,
        ),
        ImageMethod(
            "siren",
            "SIREN implicit representation, sine layers with omega_0 = 30 (Sitzmann et al.)",
            lr=1e-4, iterations=5000, average=None, input_noise=0.0,
            build=_siren,
        ),
        ImageMethod(
            "fourier",
            "Fourier-feature MLP implicit representation (Tancik et al.)",
            lr=1e-3, iterations=2000, average=None, input_noise=0.0,
            build=_fourier,
        ),
    )
}  # fmt: skip


def get_method(name: str) -> ImageMethod:
    if name not in IMAGE_METHODS:
        raise InputError(f"unknown image method {name!r}; choose from {', '.join(IMAGE_METHODS)}")
    return IMAGE_METHODS[name]


def build(
    method: ImageMethod,
    shape: tuple[int, int, int],
    task: str,
    options: dict[str, Any],
    operator: Operator,
    measurement: torch.Tensor,
):
    """The (network factory, input factory) pair of ``method`` for images of ``shape``."""
    try:
        return method.build(shape, task, dict(options), operator, measurement)
    except TypeError as exc:  # an unknown network option
        raise InputError(f"bad option for {method.name}: {exc}") from None
