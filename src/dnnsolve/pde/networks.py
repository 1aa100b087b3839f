"""Coordinate networks for PINNs and Deep Ritz: points ``(N, d)`` to outputs ``(N, m)``.

- :class:`MLP`: fully connected network (tanh / sin / relu / gelu / softplus / relu³),
  Glorot-normal weights and zero biases as in Raissi's PINNs and DeepXDE's ``"Glorot normal"``;
- :class:`ResidualMLP`: the residual network of the Deep Ritz paper (E & Yu 2018);
- :class:`FourierMLP`: random Fourier features (Tancik et al. 2020; Wang, Wang & Perdikaris 2021)
  and an exactly periodic embedding of chosen axes, followed by an :class:`MLP`;
- ``"siren"``: :class:`dnnsolve.networks.Siren` (Sitzmann et al. 2020), via the factory.

Every network can rescale its inputs affinely from a box ``[lo, hi]`` to ``[-1, 1]`` before the
first layer (:class:`Normalize`; Raissi's PINNs do this, and it matters for domains such as
``[0, 1] × [-1, 1]`` in ``(t, x)``). The modules are pointwise (row ``n`` of the output depends
only on row ``n`` of the input, so :mod:`dnnsolve.pde.autograd` applies), device- and
dtype-agnostic (``net.to(device, torch.float64)``, or ``device=`` / ``dtype=`` at construction),
and work under :func:`torch.func.functional_call` + :func:`torch.func.vmap` over parameters
stacked by :func:`torch.func.stack_module_state` (batched restarts). Inputs may carry any
leading shape ``(..., d)``, so single points ``(d,)`` work under ``vmap(jacrev(net))``. Pass
``dtype=torch.float64`` at construction (rather than ``.to`` later) to keep bounds such as
``lo=0.1`` exact in float64; weights and Fourier matrices are drawn identically for either dtype.

:func:`build_network` builds any of them by name (:data:`NETWORKS`).

>>> net = build_network("mlp", 2, 1, hidden=20, layers=3, lo=[0, -1], hi=[1, 1])
>>> net(torch.rand(5, 2)).shape
torch.Size([5, 1])
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from dnnsolve.core.errors import InputError
from dnnsolve.networks import Siren

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "NETWORKS",
    "FourierMLP",
    "Normalize",
    "ReLU3",
    "ResidualMLP",
    "Sin",
    "build_network",
    "get_activation",
]

Bounds = torch.Tensor | Sequence[float] | float | None


# --------------------------------------------------------------------------- activations


class Sin(nn.Module):
    """``sin(x)`` (plain sine, no SIREN frequency scaling)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


class ReLU3(nn.Module):
    """``max(x, 0)³``, the Deep Ritz activation: C² (its second derivative ``6 max(x, 0)`` is
    continuous), so Laplacians of a network built from it are continuous.

    >>> ReLU3()(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 8.0]
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) ** 3


#: Activation names and their modules (``"sine"`` is an alias of ``"sin"``).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "sin": Sin,
    "sine": Sin,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "relu3": ReLU3,
}

#: Weight initializations (biases are zero except for ``"torch"``, PyTorch's own default).
INITS = ("xavier", "xavier_uniform", "kaiming", "torch")


def get_activation(name: str) -> nn.Module:
    """A fresh activation module by name (a key of :data:`ACTIVATIONS`).

    >>> get_activation("relu3")
    ReLU3()
    """
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise InputError(
            f"unknown activation {name!r} (expected one of {', '.join(sorted(ACTIVATIONS))})"
        )
    return ACTIVATIONS[name.lower()]()


# --------------------------------------------------------------------------- helpers


def _count(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum`` (bools and floats are rejected)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _init_linear(layer: nn.Linear, init: str, generator: torch.Generator | None) -> None:
    """Initialize ``layer`` in place; the draws come from ``generator`` (any device)."""
    if init == "torch":
        return
    w = layer.weight
    fan_out, fan_in = w.shape
    dev = generator.device if generator is not None else w.device
    with torch.no_grad():
        if init == "xavier":  # Glorot normal, untruncated (torch.nn.init.xavier_normal_)
            draw = torch.randn(w.shape, generator=generator, device=dev, dtype=w.dtype)
            draw *= math.sqrt(2.0 / (fan_in + fan_out))
        elif init == "xavier_uniform":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            draw = torch.rand(w.shape, generator=generator, device=dev, dtype=w.dtype)
            draw = (2 * draw - 1) * bound
        else:  # "kaiming": He normal, fan-in
            draw = torch.randn(w.shape, generator=generator, device=dev, dtype=w.dtype)
            draw *= math.sqrt(2.0 / fan_in)
        w.copy_(draw.to(w.device))
        if layer.bias is not None:
            layer.bias.zero_()


def _check_init(init: str) -> str:
    if init not in INITS:
        raise InputError(f"unknown init {init!r} (expected one of {', '.join(INITS)})")
    return init


def _place(module: nn.Module, device: Any, dtype: torch.dtype | None) -> None:
    if device is not None or dtype is not None:
        module.to(device=device, dtype=dtype)


def _check_points(x: torch.Tensor, d: int, who: str) -> None:
    # (..., d) rather than only (N, d): torch.func users call the network on single points
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] != d:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise InputError(f"{who} expects points of shape (N, {d}), got {shape}")


# --------------------------------------------------------------------------- normalization


class Normalize(nn.Module):
    """The affine map of the box ``[lo, hi]`` onto ``[-1, 1]^d``: ``2 (x - lo) / (hi - lo) - 1``.

    ``lo`` and ``hi`` are scalars or length-``d`` sequences / tensors with ``hi > lo``; they are
    buffers, so they follow ``.to(device, dtype)`` and :func:`torch.func.stack_module_state`.
    They are stored in ``dtype`` (default: the default dtype): pass ``dtype=torch.float64`` to
    the networks at construction, rather than ``.to(torch.float64)`` later, to keep bounds such
    as 0.1 exact to float64.

    >>> Normalize([0, -1], [1, 1], 2)(torch.tensor([[0.0, -1.0], [0.5, 0.0], [1.0, 1.0]])).tolist()
    [[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]]
    """

    lo: torch.Tensor
    hi: torch.Tensor

    def __init__(self, lo: Bounds, hi: Bounds, in_features: int, dtype: torch.dtype | None = None):
        super().__init__()
        if lo is None or hi is None:
            raise InputError("input normalization needs both lo and hi")
        try:
            lo_t = torch.as_tensor(lo, dtype=torch.float64).detach().cpu().reshape(-1)
            hi_t = torch.as_tensor(hi, dtype=torch.float64).detach().cpu().reshape(-1)
        except (TypeError, ValueError, RuntimeError) as e:
            raise InputError(f"lo and hi must be numbers or sequences of numbers: {e}") from None
        if lo_t.numel() == 1:
            lo_t = lo_t.expand(in_features).clone()
        if hi_t.numel() == 1:
            hi_t = hi_t.expand(in_features).clone()
        if lo_t.numel() != in_features or hi_t.numel() != in_features:
            raise InputError(
                f"lo and hi need {in_features} entries (one per input), got "
                f"{lo_t.numel()} and {hi_t.numel()}"
            )
        if not bool(torch.isfinite(lo_t).all() and torch.isfinite(hi_t).all()):
            raise InputError("lo and hi must be finite")
        if not bool((hi_t > lo_t).all()):
            raise InputError(
                f"need hi > lo in every coordinate, got lo={lo_t.tolist()}, hi={hi_t.tolist()}"
            )
        dtype = dtype or torch.get_default_dtype()
        self.register_buffer("lo", lo_t.to(dtype))
        self.register_buffer("hi", hi_t.to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * (x - self.lo) / (self.hi - self.lo) - 1


def _normalizer(lo: Bounds, hi: Bounds, in_features: int, dtype: torch.dtype | None) -> nn.Module:
    if lo is None and hi is None:
        return nn.Identity()
    return Normalize(lo, hi, in_features, dtype)


# --------------------------------------------------------------------------- MLP


class MLP(nn.Module):
    """Fully connected network: ``layers`` hidden layers of width ``hidden``, then a linear output.

    ``activation``: ``"tanh"`` (default), ``"sin"`` (plain sine, not SIREN's scaled sine),
    ``"relu"``, ``"gelu"``, ``"softplus"`` or ``"relu3"`` (``max(x, 0)³``, Deep Ritz).
    ``init="xavier"``: Glorot-normal weights ``N(0, 2 / (fan_in + fan_out))`` and zero biases,
    the practice of Raissi's PINNs and DeepXDE's ``"Glorot normal"`` (untruncated here, as in
    :func:`torch.nn.init.xavier_normal_`); also ``"xavier_uniform"``, ``"kaiming"`` (He normal)
    and ``"torch"`` (PyTorch's default). ``lo`` / ``hi``: bounds of the input box, mapped
    affinely onto ``[-1, 1]`` before the first layer (see :class:`Normalize`). ``generator``
    makes the initialization reproducible; ``device`` / ``dtype`` place the module.

    Raissi's Burgers network (8 hidden layers of 20, inputs ``(x, t)``) has 3,021 parameters:

    >>> net = MLP(2, 1, hidden=20, layers=8, lo=[-1, 0], hi=[1, 1])
    >>> sum(p.numel() for p in net.parameters()), net(torch.zeros(4, 2)).shape
    (3021, torch.Size([4, 1]))
    """

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        hidden: int = 50,
        layers: int = 4,
        activation: str = "tanh",
        init: str = "xavier",
        lo: Bounds = None,
        hi: Bounds = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        self.in_features = _count(in_features, "in_features")
        self.out_features = _count(out_features, "out_features")
        _count(hidden, "hidden")
        _count(layers, "layers")
        init = _check_init(init)
        self.normalize = _normalizer(lo, hi, in_features, dtype)
        self.act = get_activation(activation)
        widths = [in_features] + [hidden] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.out = nn.Linear(hidden, out_features)
        for layer in [*self.hidden, self.out]:
            _init_linear(layer, init, generator)
        _place(self, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map points ``(N, in_features)`` to values ``(N, out_features)``."""
        _check_points(x, self.in_features, "MLP")
        h = self.normalize(x)
        for layer in self.hidden:
            h = self.act(layer(h))
        return self.out(h)


# --------------------------------------------------------------------------- Deep Ritz ResNet


class _ZeroPad(nn.Module):
    """Append ``extra`` zero coordinates (the Deep Ritz input layer)."""

    def __init__(self, extra: int):
        super().__init__()
        self.extra = extra

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pad(x, (0, self.extra)) if self.extra else x

    def extra_repr(self) -> str:
        return f"extra={self.extra}"


class _RitzBlock(nn.Module):
    """``s ↦ φ(W₂ φ(W₁ s + b₁) + b₂) + s``."""

    def __init__(self, width: int, act: nn.Module):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.act = act

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(s)))) + s


class ResidualMLP(nn.Module):
    """The residual network of the Deep Ritz method (E & Yu 2018, arXiv:1710.00211).

    Built from the paper's description: the input ``x ∈ R^d`` is padded with zeros to
    ``width`` (no parameters), then ``blocks`` residual blocks
    ``s ↦ φ(W₂ φ(W₁ s + b₁) + b₂) + s`` (two ``width × width`` linear layers, the activation
    after each, an identity skip), then a linear output ``a·s + b``; activation
    ``φ(x) = max(x, 0)³`` by default (the paper's ``max{x³, 0}``), which makes the network C².
    The paper uses width 10 with 3 or 4 blocks (6 or 8 layers). When ``in_features > width``
    (or ``pad=False``) a learnable linear layer to ``width`` replaces the zero padding, since
    padding cannot shrink the input. Initialization: as :class:`MLP` (the paper does not state
    one), with the second layer of every block scaled by ``branch_scale`` (0.01): with the cubic
    activation and Glorot weights each block raises its input to about the ninth power, so
    three unscaled blocks overflow on inputs of size 1 and training never starts (the "Deep Ritz
    divergence"); small branches start the network near the identity, as residual networks
    are usually started. ``lo`` / ``hi`` as in :class:`MLP`.

    Width 10, 3 blocks, ``d = 10``: 3 × (2 × 110) + 11 = 671 parameters.

    >>> net = ResidualMLP(10, 1, width=10, blocks=3)
    >>> sum(p.numel() for p in net.parameters()), net(torch.zeros(4, 10)).shape
    (671, torch.Size([4, 1]))
    """

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        width: int = 10,
        blocks: int = 3,
        activation: str = "relu3",
        init: str = "xavier",
        pad: bool = True,
        branch_scale: float = 0.01,
        lo: Bounds = None,
        hi: Bounds = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        self.in_features = _count(in_features, "in_features")
        self.out_features = _count(out_features, "out_features")
        self.width = _count(width, "width")
        if (
            isinstance(branch_scale, bool)
            or not isinstance(branch_scale, (int, float))
            or not (math.isfinite(branch_scale) and branch_scale > 0)
        ):
            raise InputError(f"branch_scale must be a positive number, got {branch_scale!r}")
        _count(blocks, "blocks")
        init = _check_init(init)
        self.normalize = _normalizer(lo, hi, in_features, dtype)
        act = get_activation(activation)
        padded = pad and in_features <= width
        self.input = _ZeroPad(width - in_features) if padded else nn.Linear(in_features, width)
        self.blocks = nn.ModuleList(_RitzBlock(width, act) for _ in range(blocks))
        self.out = nn.Linear(width, out_features)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                _init_linear(m, init, generator)
        with torch.no_grad():
            for block in self.blocks:  # residual branches start small: see the class docstring
                block.fc2.weight.mul_(branch_scale)
        _place(self, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map points ``(N, in_features)`` to values ``(N, out_features)``."""
        _check_points(x, self.in_features, "ResidualMLP")
        s = self.input(self.normalize(x))
        for block in self.blocks:
            s = block(s)
        return self.out(s)


# --------------------------------------------------------------------------- Fourier features


class FourierMLP(nn.Module):
    """Random Fourier features and / or an exactly periodic embedding, followed by an :class:`MLP`.

    Non-periodic inputs ``v`` (after the optional ``lo`` / ``hi`` normalization) are embedded as
    ``[cos(2π B v), sin(2π B v)]`` with a fixed Gaussian ``B ~ N(0, sigma²)`` of shape
    ``(features, #non-periodic inputs)`` (Tancik et al. 2020; used for PINNs by Wang, Wang &
    Perdikaris 2021). ``features=0`` or ``sigma=0`` passes them through unchanged.

    ``periodic={axis: (period, K)}`` embeds input ``axis`` (raw, not normalized) as
    ``cos(2πk x / L), sin(2πk x / L)`` for ``k = 1..K`` with ``L = period``, so the output is
    exactly ``L``-periodic in that axis, derivatives included (Allen–Cahn: ``{1: (2.0, K)}`` for
    ``x ∈ [-1, 1]`` in ``(t, x)``). Periodic axes never enter ``B``. ``B`` is a buffer (moves
    with the module, not trained); ``generator`` draws it and the weights reproducibly.
    ``hidden``, ``layers``, ``activation``, ``init`` configure the MLP.

    >>> net = FourierMLP(2, 1, features=16, periodic={1: (2.0, 4)},
    ...                  generator=torch.Generator().manual_seed(0))
    >>> x = torch.rand(3, 2)
    >>> net(x).shape, bool(torch.allclose(net(x), net(x + torch.tensor([0.0, 2.0])), atol=1e-5))
    (torch.Size([3, 1]), True)
    """

    B: torch.Tensor | None
    harmonics: torch.Tensor | None

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        features: int = 64,
        sigma: float = 1.0,
        hidden: int = 50,
        layers: int = 4,
        activation: str = "tanh",
        init: str = "xavier",
        periodic: Mapping[int, tuple[float, int]] | None = None,
        lo: Bounds = None,
        hi: Bounds = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        self.in_features = _count(in_features, "in_features")
        self.out_features = _count(out_features, "out_features")
        _count(features, "features", minimum=0)
        if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or not sigma >= 0:
            raise InputError(f"sigma must be a number >= 0, got {sigma!r}")
        if not math.isfinite(sigma):
            raise InputError(f"sigma must be finite, got {sigma!r}")
        self.normalize = _normalizer(lo, hi, in_features, dtype)

        # periodic axes: (axis, period, slice of `harmonics`); the period stays a Python float so
        # that x / L is computed at the input's precision (a float32 buffer of 2πk/L would break
        # the periodicity of float64 networks at the 1e-7 level)
        self.periodic: list[tuple[int, float, int, int]] = []
        harmonics: list[float] = []
        periodic = dict(periodic or {})
        for axis in periodic:
            if isinstance(axis, bool) or not isinstance(axis, int) or not 0 <= axis < in_features:
                raise InputError(
                    f"periodic axis must be an integer in [0, {in_features}), got {axis!r}"
                )
        for axis, spec in sorted(periodic.items()):
            try:
                period, k = spec
            except (TypeError, ValueError):
                raise InputError(f"periodic[{axis}] must be (period, K), got {spec!r}") from None
            if isinstance(period, bool) or not isinstance(period, (int, float)) or not period > 0:
                raise InputError(f"period of axis {axis} must be a number > 0, got {period!r}")
            _count(k, f"K of periodic axis {axis}")
            self.periodic.append((axis, float(period), len(harmonics), len(harmonics) + k))
            harmonics += [float(j) for j in range(1, k + 1)]
        self.free_axes = [i for i in range(in_features) if i not in periodic]  # static under vmap
        self.register_buffer(
            "harmonics",
            torch.tensor(harmonics, dtype=torch.get_default_dtype()) if harmonics else None,
        )

        n_free = len(self.free_axes)
        if n_free and features > 0 and sigma > 0:
            # drawn in float64 so float32 and float64 networks get the same B
            dev = generator.device if generator is not None else "cpu"
            b = torch.randn(
                (features, n_free), generator=generator, device=dev, dtype=torch.float64
            )
            self.register_buffer("B", (b * sigma).cpu().to(torch.get_default_dtype()))
            width = 2 * features
        else:
            self.register_buffer("B", None)
            width = n_free
        width += 2 * len(harmonics)
        self.embedding_features = width
        self.mlp = MLP(width, out_features, hidden, layers, activation, init, generator=generator)
        _place(self, device, dtype)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding ``(N, embedding_features)`` fed to the MLP."""
        parts = []
        if self.free_axes:
            v = self.normalize(x)[..., self.free_axes]
            if self.B is not None:
                proj = 2 * math.pi * v @ self.B.T
                parts += [torch.cos(proj), torch.sin(proj)]
            else:
                parts.append(v)
        for axis, period, start, stop in self.periodic:
            phase = (x[..., axis : axis + 1] / period) * (2 * math.pi * self.harmonics[start:stop])
            parts += [torch.cos(phase), torch.sin(phase)]
        return torch.cat(parts, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map points ``(N, in_features)`` to values ``(N, out_features)``."""
        _check_points(x, self.in_features, "FourierMLP")
        return self.mlp(self.embed(x))


# --------------------------------------------------------------------------- factory


def _siren(
    in_features: int,
    out_features: int = 1,
    hidden: int = 256,
    layers: int = 4,
    first_omega_0: float = 30.0,
    hidden_omega_0: float = 30.0,
    lo: Bounds = None,
    hi: Bounds = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> nn.Module:
    """:class:`~dnnsolve.networks.Siren` with ``layers`` sine layers (as :class:`MLP`'s
    ``layers``: Siren's ``hidden_layers = layers - 1``), after :class:`Normalize` if bounded."""
    _count(in_features, "in_features")
    _count(out_features, "out_features")
    _count(hidden, "hidden")
    _count(layers, "layers")
    siren = Siren(in_features, out_features, hidden, layers - 1, first_omega_0, hidden_omega_0)
    net: nn.Module = siren
    if lo is not None or hi is not None:
        net = nn.Sequential(Normalize(lo, hi, in_features, dtype), siren)
    _place(net, device, dtype)
    return net


#: Network names for :func:`build_network`, with one-line descriptions.
NETWORKS: dict[str, str] = {
    "mlp": "fully connected network, Glorot-normal init (tanh, sin, relu, gelu, softplus, relu3)",
    "resnet": "Deep Ritz residual network of E & Yu 2018 (zero-padded input, relu3 blocks)",
    "fourier": "random Fourier features and/or exact periodic embedding, then an MLP",
    "siren": "SIREN sine network of Sitzmann et al. 2020 (omega_0 = 30)",
}

_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "mlp": MLP,
    "resnet": ResidualMLP,
    "fourier": FourierMLP,
    "siren": _siren,
}


def build_network(name: str, in_features: int, out_features: int = 1, **options: Any) -> nn.Module:
    """The network ``name`` (a key of :data:`NETWORKS`) with keyword ``options``.

    Options are those of :class:`MLP` (``mlp``), :class:`ResidualMLP` (``resnet``),
    :class:`FourierMLP` (``fourier``) and, for ``siren``, ``hidden``, ``layers`` (number of sine
    layers), ``first_omega_0``, ``hidden_omega_0``; all accept ``lo``, ``hi``, ``device``,
    ``dtype``. Unknown names or options raise a one-line :class:`InputError`.

    >>> build_network("resnet", 3, 1, width=8, blocks=2)(torch.zeros(2, 3)).shape
    torch.Size([2, 1])
    >>> build_network("mlp", 2, 1, depth=3)
    Traceback (most recent call last):
    ...
    dnnsolve.core.errors.InputError: unknown option 'depth' for network 'mlp' (accepted: activation, device, dtype, generator, hi, hidden, init, layers, lo)
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _BUILDERS:
        raise InputError(f"unknown network {name!r} (expected one of {', '.join(NETWORKS)})")
    builder = _BUILDERS[key]
    accepted = sorted(
        p for p in inspect.signature(builder).parameters if p not in ("in_features", "out_features")
    )
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        s = "s" if len(unknown) > 1 else ""
        raise InputError(
            f"unknown option{s} {', '.join(map(repr, unknown))} for network {key!r} "
            f"(accepted: {', '.join(accepted)})"
        )
    try:
        return builder(in_features, out_features, **options)
    except (TypeError, ValueError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"bad options for network {key!r}: {first}") from None
