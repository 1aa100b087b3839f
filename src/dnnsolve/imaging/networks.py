"""Untrained image generators: Deep Image Prior, Deep Decoder, ConvDecoder, SIREN, Fourier MLPs.

Every generator is an ``nn.Module`` whose output is an image batch ``(B, C, H, W)``.
Convolutional generators map a fixed input tensor (see :func:`noise_input`) to the
image; implicit representations (:class:`Siren`, :class:`FourierFeatureMLP`) map
pixel coordinates in ``[-1, 1]^2`` to ``C`` values and are rendered as an image by
:class:`ImplicitImage`.  The code is device-agnostic: everything follows the device
of the module's parameters / the input tensor.

Architectures follow the published descriptions summarized in
``docs/research/imaging_pde_anchors.md`` §1 (DIP ``skip`` net of Ulyanov et al. 2018,
Deep Decoder of Heckel & Hand 2019, ConvDecoder of Darestani & Heckel 2021, SIREN of
Sitzmann et al. 2020, Fourier features of Tancik et al. 2020).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dnnsolve.core.errors import InputError
from dnnsolve.networks import Siren

__all__ = [
    "DIP_SETTINGS",
    "ConvDecoder",
    "DeepDecoder",
    "FourierFeatureMLP",
    "ImplicitImage",
    "ResNet",
    "Siren",
    "SkipNet",
    "UNet",
    "coordinate_grid",
    "crop_to_multiple",
    "jitter_input",
    "noise_input",
]


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------


def noise_input(
    channels: int,
    height: int,
    width: int,
    kind: str = "noise",
    scale: float = 0.1,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The fixed DIP input ``z`` of shape ``(1, channels, height, width)``.

    ``kind="noise"``: uniform ``U(0, 1) * scale`` (DIP's ``get_noise(..., 'noise', var=1/10)``).
    ``kind="meshgrid"``: two channels holding the x and y pixel coordinates in ``[0, 1]``
    (used by DIP for large-hole inpainting; ``channels`` must be 2, ``scale`` is ignored).

    >>> z = noise_input(32, 64, 48, generator=torch.Generator().manual_seed(0))
    >>> tuple(z.shape), bool(z.min() >= 0), bool(z.max() <= 0.1)
    ((1, 32, 64, 48), True, True)
    >>> noise_input(2, 3, 2, kind="meshgrid")[0, 1].tolist()
    [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
    """
    if channels < 1 or height < 1 or width < 1:
        raise InputError(f"noise_input needs positive sizes, got ({channels}, {height}, {width})")
    if kind == "noise":
        z = torch.rand((1, channels, height, width), generator=generator, dtype=dtype)
        return (z * scale).to(device) if device is not None else z * scale
    if kind == "meshgrid":
        if channels != 2:
            raise InputError(f"a meshgrid input has 2 channels, got {channels}")
        ys = torch.linspace(0.0, 1.0, height, dtype=dtype) if height > 1 else torch.zeros(1)
        xs = torch.linspace(0.0, 1.0, width, dtype=dtype) if width > 1 else torch.zeros(1)
        gy, gx = torch.meshgrid(ys.to(dtype), xs.to(dtype), indexing="ij")
        z = torch.stack([gx, gy])[None]
        return z.to(device) if device is not None else z
    raise InputError(f"unknown input kind {kind!r} (expected 'noise' or 'meshgrid')")


def jitter_input(
    z0: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """DIP's per-step "regularization noise": ``z0 + N(0, std^2)`` (``z0`` is not modified).

    DIP draws a fresh perturbation of the fixed input at every optimization step with
    ``std = reg_noise_std`` (1/30 for denoising at sigma 25, 0.03 for SR x4 and inpainting,
    0.05 for SR x8; see :data:`DIP_SETTINGS`).  ``std = 0`` returns ``z0`` itself.
    ``generator`` must live on ``z0``'s device.

    >>> z0 = torch.zeros(1, 2, 4, 4)
    >>> z = jitter_input(z0, 0.5, torch.Generator().manual_seed(0))
    >>> bool(z.abs().sum() > 0), bool(z0.abs().sum() == 0)
    (True, True)
    """
    if std == 0:
        return z0
    noise = torch.randn(z0.shape, generator=generator, device=z0.device, dtype=z0.dtype)
    return z0 + std * noise


def crop_to_multiple(img: torch.Tensor, d: int = 32) -> torch.Tensor:
    """Center-crop the last two dimensions (H, W) down to multiples of ``d``, as DIP does.

    DIP crops its images to multiples of 32 (64 for inpainting) so that every scale of
    the ``skip`` net halves exactly.  The offset is ``(size - new_size) // 2``.

    >>> crop_to_multiple(torch.zeros(3, 100, 70)).shape
    torch.Size([3, 96, 64])
    """
    if d < 1:
        raise InputError(f"crop multiple must be positive, got {d}")
    if img.dim() < 2:
        raise InputError(f"an image needs at least 2 dimensions, got shape {tuple(img.shape)}")
    h, w = img.shape[-2:]
    nh, nw = h - h % d, w - w % d
    if nh == 0 or nw == 0:
        raise InputError(f"image of size {h}x{w} is smaller than the crop multiple {d}")
    top, left = (h - nh) // 2, (w - nw) // 2
    return img[..., top : top + nh, left : left + nw]


# --------------------------------------------------------------------------------------
# DIP skip network
# --------------------------------------------------------------------------------------


def _act(name: str) -> nn.Module:
    if name == "LeakyReLU":
        return nn.LeakyReLU(0.2, inplace=True)
    if name == "ReLU":
        return nn.ReLU(inplace=True)
    if name == "ELU":
        return nn.ELU()
    if name == "none":
        return nn.Identity()
    raise InputError(f"unknown activation {name!r} (expected LeakyReLU, ReLU, ELU or none)")


def _conv(
    cin: int, cout: int, k: int, stride: int = 1, bias: bool = True, pad: str = "reflection"
) -> nn.Module:
    """A k x k convolution with DIP's padding ('reflection' or 'zero'), output ceil(H/stride)."""
    p = (k - 1) // 2
    if pad == "reflection":
        conv = nn.Conv2d(cin, cout, k, stride, padding=0, bias=bias)
        return nn.Sequential(nn.ReflectionPad2d(p), conv) if p > 0 else conv
    if pad == "zero":
        return nn.Conv2d(cin, cout, k, stride, padding=p, bias=bias)
    raise InputError(f"unknown padding {pad!r} (expected 'reflection' or 'zero')")


def _down_conv(cin: int, cout: int, k: int, mode: str, bias: bool, pad: str) -> nn.Module:
    if mode == "stride":
        return _conv(cin, cout, k, 2, bias, pad)
    if mode == "avg":
        return nn.Sequential(_conv(cin, cout, k, 1, bias, pad), nn.AvgPool2d(2, 2))
    if mode == "max":
        return nn.Sequential(_conv(cin, cout, k, 1, bias, pad), nn.MaxPool2d(2, 2))
    raise InputError(f"unknown downsample mode {mode!r} (expected stride, avg or max)")


class _Upsample(nn.Module):
    def __init__(self, mode: str):
        super().__init__()
        if mode not in ("nearest", "bilinear"):
            raise InputError(f"unknown upsample mode {mode!r} (expected nearest or bilinear)")
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "bilinear":
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return F.interpolate(x, scale_factor=2, mode="nearest")


def _center_crop_cat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Concatenate along channels, center-cropping to the smallest H and W (DIP's Concat)."""
    h = min(t.shape[-2] for t in parts)
    w = min(t.shape[-1] for t in parts)
    out = []
    for t in parts:
        dh, dw = (t.shape[-2] - h) // 2, (t.shape[-1] - w) // 2
        out.append(t[..., dh : dh + h, dw : dw + w])
    return torch.cat(out, dim=1)


class _SkipLevel(nn.Module):
    """One scale of the skip net: ``up(cat(skip(x), deeper(x)))``."""

    def __init__(self, skip: nn.Module | None, deeper: nn.Module, up: nn.Module):
        super().__init__()
        self.skip = skip
        self.deeper = deeper
        self.up = up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.deeper(x)
        y = d if self.skip is None else _center_crop_cat([self.skip(x), d])
        return self.up(y)


def _per_scale(value: Any, n: int, name: str) -> list:
    if isinstance(value, (int, str)):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise InputError(f"{name} has {len(value)} entries for {n} scales")
    return value


class SkipNet(nn.Module):
    """The Deep Image Prior "skip" encoder-decoder (``models/skip.py`` of Ulyanov et al.).

    Scale ``i`` computes ``cat(skip_i(x), deeper_i(x))`` followed by BN, a
    ``filter_size_up`` conv (stride 1) + BN + activation and, with ``need1x1_up``, a
    1x1 conv + BN + activation.  ``skip_i`` is a ``filter_skip_size`` conv to
    ``channels_skip[i]`` channels + BN + activation (absent when that width is 0);
    ``deeper_i`` is a stride-2 ``filter_size_down`` conv + BN + act, a stride-1 conv +
    BN + act, the next scale, and a x2 upsampling.  The output is a 1x1 conv to
    ``out_channels`` followed by a sigmoid.  Activation LeakyReLU(0.2).

    The defaults are the denoising / super-resolution configuration (32 input channels,
    5 scales x 128 channels, skip width 4, bilinear upsampling, reflection padding:
    2,217,831 parameters for 3 output channels); :meth:`preset` builds the per-task
    configurations of the DIP notebooks.  Inputs whose size is a multiple of
    ``2**scales`` come back at the same size (see :func:`crop_to_multiple`).

    >>> net = SkipNet(in_channels=4, channels_down=[8, 8], channels_up=[8, 8],
    ...               channels_skip=[2, 2])
    >>> net(noise_input(4, 24, 40)).shape
    torch.Size([1, 3, 24, 40])
    """

    def __init__(
        self,
        in_channels: int = 32,
        out_channels: int = 3,
        channels_down: Sequence[int] = (128,) * 5,
        channels_up: Sequence[int] = (128,) * 5,
        channels_skip: Sequence[int] = (4,) * 5,
        filter_size_down: int | Sequence[int] = 3,
        filter_size_up: int | Sequence[int] = 3,
        filter_skip_size: int = 1,
        need_sigmoid: bool = True,
        need_bias: bool = True,
        pad: str = "reflection",
        upsample_mode: str | Sequence[str] = "bilinear",
        downsample_mode: str | Sequence[str] = "stride",
        act_fun: str = "LeakyReLU",
        need1x1_up: bool = True,
    ):
        super().__init__()
        n = len(channels_down)
        if n == 0 or len(channels_up) != n or len(channels_skip) != n:
            raise InputError(
                "channels_down, channels_up and channels_skip need the same positive length, got "
                f"{len(channels_down)}, {len(channels_up)}, {len(channels_skip)}"
            )
        fdown = _per_scale(filter_size_down, n, "filter_size_down")
        fup = _per_scale(filter_size_up, n, "filter_size_up")
        ups = _per_scale(upsample_mode, n, "upsample_mode")
        downs = _per_scale(downsample_mode, n, "downsample_mode")
        self.scales = n

        def build(i: int, cin: int) -> nn.Module:
            cd, cu, cs = channels_down[i], channels_up[i], channels_skip[i]
            skip = None
            if cs != 0:
                skip = nn.Sequential(
                    _conv(cin, cs, filter_skip_size, 1, need_bias, pad),
                    nn.BatchNorm2d(cs),
                    _act(act_fun),
                )
            deeper: list[nn.Module] = [
                _down_conv(cin, cd, fdown[i], downs[i], need_bias, pad),
                nn.BatchNorm2d(cd),
                _act(act_fun),
                _conv(cd, cd, fdown[i], 1, need_bias, pad),
                nn.BatchNorm2d(cd),
                _act(act_fun),
            ]
            if i < n - 1:
                deeper.append(build(i + 1, cd))
                k = channels_up[i + 1]
            else:
                k = cd
            deeper.append(_Upsample(ups[i]))
            up: list[nn.Module] = [
                nn.BatchNorm2d(cs + k),
                _conv(cs + k, cu, fup[i], 1, need_bias, pad),
                nn.BatchNorm2d(cu),
                _act(act_fun),
            ]
            if need1x1_up:
                up += [_conv(cu, cu, 1, 1, need_bias, pad), nn.BatchNorm2d(cu), _act(act_fun)]
            return _SkipLevel(skip, nn.Sequential(*deeper), nn.Sequential(*up))

        self.body = build(0, in_channels)
        self.head = _conv(channels_up[0], out_channels, 1, 1, need_bias, pad)
        self.out_act: nn.Module = nn.Sigmoid() if need_sigmoid else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map the input ``z`` (B, in_channels, H, W) to an image (B, out_channels, H, W)."""
        return self.out_act(self.head(self.body(z)))

    @classmethod
    def preset(cls, task: str, out_channels: int = 3) -> SkipNet:
        """The network of the DIP notebook for ``task`` (a key of :data:`DIP_SETTINGS`).

        >>> SkipNet.preset("inpainting-hole", out_channels=1).head.in_channels
        128
        """
        if task not in DIP_SETTINGS:
            raise InputError(f"unknown DIP task {task!r} (expected one of {sorted(DIP_SETTINGS)})")
        s = DIP_SETTINGS[task]
        return cls(in_channels=s["input_depth"], out_channels=out_channels, **s["net"])


def _skip_cfg(down: Sequence[int], skip: Sequence[int], up_mode: str, **kw: Any) -> dict:
    return dict(
        channels_down=list(down),
        channels_up=list(down),
        channels_skip=list(skip),
        upsample_mode=up_mode,
        **kw,
    )


#: Per-task settings of the DIP notebooks: network (``SkipNet`` keyword arguments),
#: input kind and depth, per-step input jitter ``reg_noise_std``, Adam learning rate,
#: iterations and the crop multiple of the image.
DIP_SETTINGS: dict[str, dict[str, Any]] = {
    "denoising": dict(
        net=_skip_cfg([128] * 5, [4] * 5, "bilinear"),
        input_kind="noise", input_depth=32, reg_noise_std=1 / 30, lr=0.01,
        iterations=3000, crop=32,
    ),
    "denoising-real": dict(
        net=_skip_cfg([8, 16, 32, 64, 128], [0, 0, 0, 4, 4], "bilinear"),
        input_kind="noise", input_depth=3, reg_noise_std=1 / 30, lr=0.01,
        iterations=2400, crop=32,
    ),
    "sr4": dict(
        net=_skip_cfg([128] * 5, [4] * 5, "bilinear"),
        input_kind="noise", input_depth=32, reg_noise_std=0.03, lr=0.01,
        iterations=2000, crop=32,
    ),
    "sr8": dict(
        net=_skip_cfg([128] * 5, [4] * 5, "bilinear"),
        input_kind="noise", input_depth=32, reg_noise_std=0.05, lr=0.01,
        iterations=4000, crop=32,
    ),
    "inpainting": dict(
        net=_skip_cfg([128] * 5, [128] * 5, "nearest"),
        input_kind="noise", input_depth=32, reg_noise_std=0.03, lr=0.01,
        iterations=6001, crop=64,
    ),
    "inpainting-hole": dict(
        net=_skip_cfg([128] * 5, [0] * 5, "nearest"),
        input_kind="meshgrid", input_depth=2, reg_noise_std=0.03, lr=0.01,
        iterations=5001, crop=64,
    ),
    "inpainting-library": dict(
        net=_skip_cfg(
            [16, 32, 64, 128, 128, 128], [0] * 6, "nearest", filter_size_down=5, need1x1_up=False
        ),
        input_kind="noise", input_depth=1, reg_noise_std=0.0, lr=0.01,
        iterations=3001, crop=64,
    ),
}  # fmt: skip


# --------------------------------------------------------------------------------------
# U-Net and ResNet generators (the DIP paper's architecture comparison)
# --------------------------------------------------------------------------------------


def _double_conv(cin: int, cout: int, act: str, pad: str, bias: bool) -> nn.Sequential:
    return nn.Sequential(
        _conv(cin, cout, 3, 1, bias, pad),
        nn.BatchNorm2d(cout),
        _act(act),
        _conv(cout, cout, 3, 1, bias, pad),
        nn.BatchNorm2d(cout),
        _act(act),
    )


class UNet(nn.Module):
    """A U-Net generator: double 3x3 conv blocks, max-pool down, upsample + conv up, skips
    concatenated at every scale, sigmoid output (the DIP paper's "UNet" variant: channels
    ``[64, 128, 256, 512, 1024] / 4``, LeakyReLU, reflection padding).

    Inputs whose size is a multiple of ``2**(len(channels) - 1)`` come back at the same size.

    >>> net = UNet(in_channels=4, out_channels=1, channels=(8, 16, 16))
    >>> net(noise_input(4, 24, 20)).shape
    torch.Size([1, 1, 24, 20])
    """

    def __init__(
        self,
        in_channels: int = 32,
        out_channels: int = 3,
        channels: Sequence[int] = (16, 32, 64, 128, 256),
        upsample_mode: str = "bilinear",
        act_fun: str = "LeakyReLU",
        pad: str = "reflection",
        need_bias: bool = True,
        need_sigmoid: bool = True,
    ):
        super().__init__()
        ch = list(channels)
        if len(ch) < 2 or any(c < 1 for c in ch):
            raise InputError(f"UNet needs at least two positive channel counts, got {ch}")
        self.start = _double_conv(in_channels, ch[0], act_fun, pad, need_bias)
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), _double_conv(a, b, act_fun, pad, need_bias))
            for a, b in itertools.pairwise(ch)
        )
        self.up_convs = nn.ModuleList(
            nn.Sequential(_Upsample(upsample_mode), _conv(b, a, 3, 1, need_bias, pad))
            for a, b in itertools.pairwise(ch)
        )
        self.merges = nn.ModuleList(
            _double_conv(2 * a, a, act_fun, pad, need_bias) for a in ch[:-1]
        )
        self.head = _conv(ch[0], out_channels, 1, 1, need_bias, pad)
        self.out_act: nn.Module = nn.Sigmoid() if need_sigmoid else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map the input ``z`` (B, in_channels, H, W) to an image (B, out_channels, H, W)."""
        skips = [self.start(z)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up, merge in zip(reversed(self.up_convs), reversed(self.merges)):
            x = merge(_center_crop_cat([skips.pop(), up(x)]))
        return self.out_act(self.head(x))


class _ResBlock(nn.Module):
    def __init__(self, ch: int, act: str, pad: str, bias: bool):
        super().__init__()
        self.body = nn.Sequential(
            _conv(ch, ch, 3, 1, bias, pad),
            nn.BatchNorm2d(ch),
            _act(act),
            _conv(ch, ch, 3, 1, bias, pad),
            nn.BatchNorm2d(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNet(nn.Module):
    """A full-resolution residual generator (no down-sampling): conv + act, ``blocks`` residual
    blocks of two 3x3 convs with batch norm, conv + BN, 1x1 output conv, sigmoid (the DIP
    paper's "ResNet" variant: 10 blocks of 16 channels).

    >>> net = ResNet(in_channels=4, out_channels=3, channels=8, blocks=2)
    >>> net(noise_input(4, 10, 7)).shape
    torch.Size([1, 3, 10, 7])
    """

    def __init__(
        self,
        in_channels: int = 32,
        out_channels: int = 3,
        channels: int = 16,
        blocks: int = 10,
        act_fun: str = "LeakyReLU",
        pad: str = "reflection",
        need_bias: bool = True,
        need_sigmoid: bool = True,
    ):
        super().__init__()
        if blocks < 1 or channels < 1:
            raise InputError(
                f"ResNet needs blocks >= 1 and channels >= 1, got {blocks}, {channels}"
            )
        self.net = nn.Sequential(
            _conv(in_channels, channels, 3, 1, need_bias, pad),
            _act(act_fun),
            *[_ResBlock(channels, act_fun, pad, need_bias) for _ in range(blocks)],
            _conv(channels, channels, 3, 1, need_bias, pad),
            nn.BatchNorm2d(channels),
            _conv(channels, out_channels, 1, 1, need_bias, pad),
        )
        self.out_act: nn.Module = nn.Sigmoid() if need_sigmoid else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map the input ``z`` (B, in_channels, H, W) to an image (B, out_channels, H, W)."""
        return self.out_act(self.net(z))


# --------------------------------------------------------------------------------------
# Deep Decoder and ConvDecoder
# --------------------------------------------------------------------------------------


class DeepDecoder(nn.Module):
    """Deep Decoder (Heckel & Hand, ICLR 2019): 1x1 convolutions and upsampling only.

    With ``channels = [k] * depth`` the network has ``depth + 1`` channel-mixing layers,
    each a bias-free 1x1 conv followed (except the last) by a x2 ``upsample_mode``
    upsampling, then ReLU and BatchNorm (channel normalization, affine), and an output
    1x1 conv + sigmoid.  Its fixed input (:meth:`input`) has shape
    ``(1, k, H / 2**depth, W / 2**depth)``, drawn ``U(0, 1) * 0.1``.  The defaults are the
    published image configuration: k = 64, depth = 5.

    >>> dd = DeepDecoder(out_channels=1, channels=16, depth=3)
    >>> z = dd.input(32, 24, generator=torch.Generator().manual_seed(0))
    >>> tuple(z.shape), tuple(dd(z).shape)
    ((1, 16, 4, 3), (1, 1, 32, 24))
    """

    def __init__(
        self,
        out_channels: int = 3,
        channels: int | Sequence[int] = 64,
        depth: int = 5,
        upsample_mode: str = "bilinear",
        need_sigmoid: bool = True,
    ):
        super().__init__()
        ch = [channels] * depth if isinstance(channels, int) else list(channels)
        if len(ch) == 0 or any(c < 1 for c in ch):
            raise InputError(f"DeepDecoder needs positive channel counts, got {ch}")
        ch = [*ch, ch[-1], ch[-1]]
        self.depth = len(ch) - 2
        layers: list[nn.Module] = []
        for i in range(len(ch) - 1):
            layers.append(nn.Conv2d(ch[i], ch[i + 1], 1, bias=False))
            if i != len(ch) - 2:
                layers.append(_Upsample(upsample_mode))
            # in place: the activation overwrites a fresh tensor (no copy; results unchanged)
            layers += [nn.ReLU(inplace=True), nn.BatchNorm2d(ch[i + 1], affine=True)]
        layers.append(nn.Conv2d(ch[-1], out_channels, 1, bias=False))
        if need_sigmoid:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        self.in_channels = ch[0]

    def input(
        self,
        height: int,
        width: int,
        generator: torch.Generator | None = None,
        scale: float = 0.1,
    ) -> torch.Tensor:
        """The fixed random input for an ``height x width`` output, on the module's device."""
        f = 2**self.depth
        if height % f or width % f:
            raise InputError(f"image size {height}x{width} is not a multiple of {f}")
        z = noise_input(self.in_channels, height // f, width // f, "noise", scale, generator)
        p = next(self.parameters())
        return z.to(device=p.device, dtype=p.dtype)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map the fixed input to an image of ``2**depth`` times its spatial size."""
        return self.net(z)


class ConvDecoder(nn.Module):
    """ConvDecoder (Darestani & Heckel 2021, for accelerated MRI).

    ``num_layers - 1`` blocks of [upsample to an intermediate size, 3x3 conv, ReLU,
    BatchNorm] growing geometrically from ``in_size`` to exactly ``out_size``, then one
    more 3x3 conv + ReLU + BN and a 1x1 output conv.  The output is linear by default
    (MRI images are complex: 2 output channels per coil image); ``need_sigmoid=True``
    gives an image in ``[0, 1]``.  Its input is ``noise_input(channels, *in_size)``.

    >>> net = ConvDecoder(out_size=(20, 27), out_channels=2, channels=8, num_layers=4)
    >>> net(net.input()).shape
    torch.Size([1, 2, 20, 27])
    """

    def __init__(
        self,
        out_size: tuple[int, int],
        out_channels: int = 2,
        channels: int = 256,
        num_layers: int = 7,
        in_size: tuple[int, int] = (4, 4),
        kernel_size: int = 3,
        upsample_mode: str = "nearest",
        need_sigmoid: bool = False,
    ):
        super().__init__()
        if num_layers < 2:
            raise InputError(f"ConvDecoder needs at least 2 layers, got {num_layers}")
        self.in_size = (int(in_size[0]), int(in_size[1]))
        self.channels = channels
        sy = (out_size[0] / in_size[0]) ** (1.0 / (num_layers - 1))
        sx = (out_size[1] / in_size[1]) ** (1.0 / (num_layers - 1))
        sizes = [
            (math.ceil(sy**n * in_size[0]), math.ceil(sx**n * in_size[1]))
            for n in range(1, num_layers - 1)
        ] + [(int(out_size[0]), int(out_size[1]))]
        p = (kernel_size - 1) // 2
        layers: list[nn.Module] = []
        for size in sizes:
            # ReLU in place on the convolution's fresh output, as deepinv's ConvDecoder does
            layers += [
                nn.Upsample(size=size, mode=upsample_mode),
                nn.Conv2d(channels, channels, kernel_size, padding=p),
                nn.ReLU(inplace=True),
                nn.BatchNorm2d(channels),
            ]
        layers += [
            nn.Conv2d(channels, channels, kernel_size, padding=p),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(channels),
            nn.Conv2d(channels, out_channels, 1),
        ]
        if need_sigmoid:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)

    def input(self, generator: torch.Generator | None = None, scale: float = 0.1) -> torch.Tensor:
        """The fixed random input ``(1, channels, *in_size)``, on the module's device."""
        z = noise_input(self.channels, *self.in_size, "noise", scale, generator)
        p = next(self.parameters())
        return z.to(device=p.device, dtype=p.dtype)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map the fixed input to an image of size ``out_size``."""
        return self.net(z)


# --------------------------------------------------------------------------------------
# implicit neural representations
# --------------------------------------------------------------------------------------


def coordinate_grid(
    height: int,
    width: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Pixel coordinates in ``[-1, 1]^2``, shape ``(height * width, 2)``, row-major, (y, x).

    >>> coordinate_grid(2, 3).tolist()
    [[-1.0, -1.0], [-1.0, 0.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    if height < 1 or width < 1:
        raise InputError(f"grid size must be positive, got {height}x{width}")
    ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gy, gx], dim=-1).reshape(-1, 2)


class FourierFeatureMLP(nn.Module):
    """Fourier-feature MLP (Tancik et al. 2020) with a linear output.

    ``gamma(v) = [cos(2 pi B v), sin(2 pi B v)]`` with a fixed Gaussian ``B ~ N(0, sigma^2)``
    of shape ``(features, in_features)``, followed by ``layers`` ReLU layers of width
    ``hidden`` and a linear layer.  Defaults are the paper's 2-D image setting
    (256 features, sigma = 10, 4 layers of 256).  ``sigma = 0`` gives the identity
    embedding (a plain ReLU MLP on the raw coordinates).

    >>> net = FourierFeatureMLP(out_features=1, features=16, hidden=32, layers=2,
    ...                         generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(7, 2)).shape
    torch.Size([7, 1])
    """

    def __init__(
        self,
        in_features: int = 2,
        out_features: int = 1,
        features: int = 256,
        sigma: float = 10.0,
        hidden: int = 256,
        layers: int = 4,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if sigma > 0:
            b = torch.randn((features, in_features), generator=generator) * sigma
            self.register_buffer("B", b)
            width = 2 * features
        else:
            self.register_buffer("B", None)
            width = in_features
        mods: list[nn.Module] = []
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        mods.append(nn.Linear(width, out_features))
        self.mlp = nn.Sequential(*mods)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        """Map coordinates ``(..., in_features)`` to values ``(..., out_features)``."""
        if self.B is not None:
            proj = 2 * math.pi * coords @ self.B.T
            coords = torch.cat([torch.cos(proj), torch.sin(proj)], dim=-1)
        return self.mlp(coords)


class ImplicitImage(nn.Module):
    """Render a coordinate network as an image ``(1, C, H, W)``.

    ``output="affine"`` (default) maps the network's linear output ``y`` to ``(y + 1) / 2``:
    this is the SIREN image-fitting convention (pixels scaled to ``[-1, 1]``, linear last
    layer), so the optimization is identical to the notebook's; values are *not* clamped and
    may leave ``[0, 1]`` slightly while fitting (clamp when saving).  ``output="sigmoid"``
    applies a sigmoid (strictly inside ``(0, 1)``, as in the Fourier-feature paper).

    >>> img = ImplicitImage(Siren(out_features=3, hidden=16, hidden_layers=1), 8, 6, 3)
    >>> img().shape
    torch.Size([1, 3, 8, 6])
    """

    def __init__(
        self, net: nn.Module, height: int, width: int, channels: int, output: str = "affine"
    ):
        super().__init__()
        if output not in ("affine", "sigmoid"):
            raise InputError(f"unknown output map {output!r} (expected 'affine' or 'sigmoid')")
        self.net = net
        self.height, self.width, self.channels = height, width, channels
        self.output = output
        self.register_buffer("coords", coordinate_grid(height, width), persistent=False)

    def forward(self) -> torch.Tensor:
        """The rendered image, shape ``(1, channels, height, width)``."""
        y = self.net(self.coords)
        if y.shape[-1] != self.channels:
            raise InputError(f"network outputs {y.shape[-1]} channels, expected {self.channels}")
        img = y.T.reshape(1, self.channels, self.height, self.width)
        return torch.sigmoid(img) if self.output == "sigmoid" else 0.5 * (img + 1.0)
