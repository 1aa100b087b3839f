"""Coordinate networks for PINNs / Deep Ritz: shapes, input normalization, Glorot init, exact
periodicity, C² smoothness of the Deep Ritz ResNet, factory errors, torch.func batching."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch.func import functional_call, jacrev, stack_module_state, vmap

from dnnsolve.core.errors import InputError
from dnnsolve.networks import Siren
from dnnsolve.pde.networks import (
    MLP,
    NETWORKS,
    FourierMLP,
    Normalize,
    ResidualMLP,
    build_network,
    get_activation,
)

DTYPES = [torch.float32, torch.float64]

# small configurations of every network (with bounds, so the Normalize buffers are exercised)
SMALL = {
    "mlp": dict(hidden=16, layers=3),
    "resnet": dict(width=8, blocks=2),
    "fourier": dict(features=8, hidden=16, layers=2, periodic={1: (2.0, 3)}),
    "siren": dict(hidden=16, layers=3),
}


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _small(name: str, d: int = 2, m: int = 1, seed: int = 0, **kw) -> torch.nn.Module:
    opts = dict(SMALL[name], lo=[0.0] * d, hi=[1.0] + [2.0] * (d - 1), **kw)
    if name == "siren":
        torch.manual_seed(seed)  # Siren draws from the global generator
    else:
        opts["generator"] = _gen(seed)
    return build_network(name, d, m, **opts)


# --------------------------------------------------------------------------- shapes / dtypes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("d,m", [(1, 1), (3, 2)])
def test_shapes_and_dtypes(name, dtype, d, m):
    if name == "fourier" and d == 1:
        net = build_network(name, d, m, features=4, hidden=8, layers=2, dtype=dtype)
    else:
        net = _small(name, d, m, dtype=dtype)
    assert all(p.dtype == dtype for p in net.parameters())
    x = torch.rand(7, d, generator=_gen(), dtype=torch.float64).to(dtype)
    y = net(x)
    assert y.shape == (7, m) and y.dtype == dtype and bool(torch.isfinite(y).all())
    # float64 via .to() after construction works too
    net64 = copy.deepcopy(net).to(torch.float64)
    assert net64(x.double()).dtype == torch.float64


@pytest.mark.parametrize("name", ["mlp", "resnet", "fourier"])
def test_float32_and_float64_share_initialization(name):
    n32 = _small(name, seed=3)
    n64 = _small(name, seed=3, dtype=torch.float64)
    x = torch.rand(5, 2, generator=_gen(1), dtype=torch.float64)
    torch.testing.assert_close(n32(x.float()).double(), n64(x), atol=1e-5, rtol=1e-4)


def test_single_point_inputs_and_bad_shapes():
    net = MLP(3, 2, hidden=8, layers=2)
    assert net(torch.zeros(3)).shape == (2,)  # (..., d): for torch.func on single points
    assert net(torch.zeros(4, 5, 3)).shape == (4, 5, 2)
    with pytest.raises(InputError, match=r"\(N, 3\)"):
        net(torch.zeros(4, 2))


# --------------------------------------------------------------------------- normalization


def _first_input(net: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    seen = []
    handle = layer.register_forward_pre_hook(lambda _mod, args: seen.append(args[0].detach()))
    try:
        net(x)
    finally:
        handle.remove()
    return seen[0]


def test_input_normalization_maps_bounds_to_unit_box():
    lo, hi = [0.0, -1.0, 2.0], [1.0, 1.0, 6.0]
    corners = torch.tensor([lo, hi, [0.5, 0.0, 4.0]], dtype=torch.float64)
    want = torch.tensor([[-1.0] * 3, [1.0] * 3, [0.0] * 3], dtype=torch.float64)

    mlp = MLP(3, 1, hidden=8, layers=2, lo=lo, hi=hi, dtype=torch.float64)
    torch.testing.assert_close(_first_input(mlp, mlp.hidden[0], corners), want)

    res = ResidualMLP(3, 1, width=6, blocks=1, lo=lo, hi=hi, dtype=torch.float64)
    got = _first_input(res, res.blocks[0].fc1, corners)  # after zero padding to the width
    torch.testing.assert_close(got[:, :3], want)
    assert bool((got[:, 3:] == 0).all())

    siren = build_network("siren", 3, 1, hidden=8, layers=2, lo=lo, hi=hi, dtype=torch.float64)
    first = next(m for m in siren.modules() if isinstance(m, torch.nn.Linear))
    torch.testing.assert_close(_first_input(siren, first, corners), want)

    # scalar bounds broadcast; no bounds means no rescaling
    torch.testing.assert_close(
        Normalize(0.0, 2.0, 2)(torch.tensor([[0.0, 2.0]])), torch.tensor([[-1.0, 1.0]])
    )
    plain = MLP(3, 1, hidden=8, layers=2, dtype=torch.float64)
    torch.testing.assert_close(_first_input(plain, plain.hidden[0], corners), corners)


def test_fourier_normalizes_only_free_axes_before_b():
    net = FourierMLP(
        2, 1, features=4, periodic={1: (2.0, 2)}, lo=[0, -1], hi=[2, 1], generator=_gen()
    )
    x = torch.tensor([[2.0, 0.3]])
    emb = net.embed(x)
    proj = 2 * math.pi * torch.tensor([[1.0]]) @ net.B.T  # t = 2 ↦ 1
    phase = torch.tensor([0.3, 0.3]) * torch.tensor([math.pi, 2 * math.pi])  # raw x, L = 2
    want = torch.cat([proj.cos(), proj.sin(), phase.cos()[None], phase.sin()[None]], dim=1)
    torch.testing.assert_close(emb, want)
    assert net.B.shape == (4, 1) and net.embedding_features == 12


# --------------------------------------------------------------------------- initialization


def test_glorot_normal_statistics_and_zero_biases():
    net = MLP(2, 1, hidden=600, layers=2, generator=_gen(0))
    wide = net.hidden[1].weight.detach()  # 600 x 600
    expected = math.sqrt(2.0 / (600 + 600))
    assert abs(float(wide.std()) / expected - 1) < 0.10
    assert abs(float(wide.mean())) < 0.1 * expected
    first = net.hidden[0].weight.detach()  # 600 x 2: fan sum 602
    assert abs(float(first.std()) / math.sqrt(2.0 / 602) - 1) < 0.10
    assert all(bool((layer.bias == 0).all()) for layer in [*net.hidden, net.out])
    # reproducible from the generator
    torch.testing.assert_close(
        MLP(2, 1, hidden=600, layers=2, generator=_gen(0)).out.weight, net.out.weight
    )


# --------------------------------------------------------------------------- periodicity


def _grad(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.autograd.grad(u.sum(), x, create_graph=True)[0]


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 2e-5)])
def test_periodic_embedding_is_exactly_periodic(dtype, tol):
    L = 2.0
    net = FourierMLP(
        2, 2, features=16, sigma=1.0, periodic={1: (L, 5)}, generator=_gen(1), dtype=dtype
    )
    x = (torch.rand(50, 2, generator=_gen(2), dtype=torch.float64) * 2 - 1).to(dtype)
    for k in (1, -1, 3):
        xs = x + torch.tensor([0.0, k * L], dtype=dtype)
        with torch.no_grad():  # float64: far below 1e-6; float32: input rounding of x + kL
            assert float((net(x) - net(xs)).abs().max()) < tol
    # derivatives up to second order agree at x and x + L
    a = x.clone().requires_grad_(True)
    b = (x + torch.tensor([0.0, L], dtype=dtype)).requires_grad_(True)
    ua, ub = net(a)[:, 0], net(b)[:, 0]
    ga, gb = _grad(ua, a), _grad(ub, b)
    assert float((ga - gb).detach().abs().max()) < tol * 10
    gxx_a, gxx_b = _grad(ga[:, 1], a)[:, 1], _grad(gb[:, 1], b)[:, 1]
    assert float((gxx_a - gxx_b).detach().abs().max()) < tol * 100
    assert float(gxx_a.detach().abs().max()) > 1e-3  # not trivially constant


@torch.no_grad()
def test_periodic_only_network_and_non_periodic_axis_not_periodic():
    net = FourierMLP(2, 1, features=0, periodic={0: (1.0, 3), 1: (2.0, 2)}, dtype=torch.float64)
    assert net.B is None and net.embedding_features == 2 * (3 + 2)
    x = torch.rand(10, 2, generator=_gen(), dtype=torch.float64)
    shift = torch.tensor([1.0, -2.0], dtype=torch.float64)
    assert float((net(x) - net(x + shift)).abs().max()) < 1e-10
    mixed = FourierMLP(
        2, 1, features=8, sigma=1.0, periodic={1: (2.0, 3)}, generator=_gen(), dtype=torch.float64
    )
    moved = x + torch.tensor([2.0, 0.0], dtype=torch.float64)
    assert float((mixed(x) - mixed(moved)).abs().max()) > 1e-6  # t is not periodic


# --------------------------------------------------------------------------- Deep Ritz ResNet


def _derivatives(net, x: torch.Tensor, order: int) -> list[torch.Tensor]:
    x = x.clone().requires_grad_(True)
    out = [net(x)[:, 0]]
    for _ in range(order):
        out.append(_grad(out[-1], x)[:, 0])
    return [o.detach() for o in out]


def _ritz_1d(activation: str) -> tuple[ResidualMLP, torch.Tensor]:
    """A 1-D Deep Ritz ResNet with random biases and the kinks x* in (-1, 1) of its first layer."""
    g = _gen(4)
    net = ResidualMLP(
        1, 1, width=10, blocks=3, activation=activation, branch_scale=1.0, generator=g,
        dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad():  # random biases so that the kinks are not all at x = 0
        for m in net.modules():
            if isinstance(m, torch.nn.Linear):
                m.bias.copy_(0.5 * torch.randn(m.bias.shape, generator=g, dtype=torch.float64))
    # kinks of the first layer: x* = -b_j / W_j0 (the padded input is (x, 0, ..., 0))
    fc1 = net.blocks[0].fc1
    kinks = (-fc1.bias / fc1.weight[:, 0]).detach()
    kinks = kinks[kinks.abs() < 1]
    assert kinks.numel() > 0
    return net, kinks


def test_resnet_relu_has_derivative_jumps_the_check_can_see():
    net, kinks = _ritz_1d("relu")  # contrast: with plain ReLU u' itself jumps at a kink
    jumps = []
    for k in kinks.tolist():
        d = _derivatives(net, torch.tensor([[k - 1e-7], [k + 1e-7]], dtype=torch.float64), 1)
        jumps.append(float((d[1][1] - d[1][0]).abs()))
    assert max(jumps) > 1e-3


def test_resnet_relu3_is_c2_across_a_kink():
    net, kinks = _ritz_1d("relu3")

    def jumps(x0: float, eps: float) -> tuple[float, float]:
        pts = torch.tensor([[x0 - eps], [x0 + eps]], dtype=torch.float64)
        d = _derivatives(net, pts, 3)
        return float((d[2][1] - d[2][0]).abs()), float((d[3][1] - d[3][0]).abs())

    # the kink with the largest jump of u''' (u''' really is discontinuous there)
    j3 = [jumps(float(k), 1e-7)[1] for k in kinks]
    k = float(kinks[int(torch.tensor(j3).argmax())])
    d2_small, d3_small = jumps(k, 1e-7)
    d2_large, d3_large = jumps(k, 1e-4)
    assert d3_small > 1e-3 and abs(d3_small / d3_large - 1) < 0.1  # genuine kink
    # ... yet u'' is continuous: its jump shrinks linearly with the gap
    assert d2_small < 1e-5 * max(1.0, d3_small)
    assert d2_small / d2_large < 1e-2

    # on a fine grid: u'' finite and Lipschitz with the constant max |u'''|
    xs = torch.linspace(-1, 1, 4001, dtype=torch.float64)[:, None]
    _, _, d2, d3 = _derivatives(net, xs, 3)
    assert bool(torch.isfinite(d2).all() and torch.isfinite(d3).all())
    h = float(xs[1, 0] - xs[0, 0])
    assert float(d2.diff().abs().max()) <= 1.5 * h * float(d3.abs().max())


def test_resnet_starts_finite_on_ten_dimensional_inputs():
    # unscaled branches raise the input to about the ninth power per block: three blocks
    # overflowed on the unit cube (the Deep Ritz divergence); scaled ones stay of order one
    x = torch.rand(2000, 10, generator=_gen(1), dtype=torch.float64) * 2 - 1
    for seed in range(5):
        net = ResidualMLP(10, 1, width=10, blocks=3, generator=_gen(seed), dtype=torch.float64)
        assert float(net(x).abs().max()) < 100.0
    wild = ResidualMLP(10, 1, width=10, blocks=3, branch_scale=1.0, generator=_gen(0),
                       dtype=torch.float64)  # fmt: skip
    assert not float(wild(x).abs().max()) < 1e6
    with pytest.raises(InputError, match="branch_scale"):
        ResidualMLP(10, 1, branch_scale=0.0)


def test_resnet_input_layer_when_input_wider_than_width():
    net = ResidualMLP(12, 1, width=10, blocks=1)
    assert isinstance(net.input, torch.nn.Linear)
    assert net(torch.zeros(3, 12)).shape == (3, 1)
    assert isinstance(ResidualMLP(4, 1, width=10, blocks=1, pad=False).input, torch.nn.Linear)
    # padded input layer has no parameters: 1 block (2 x 110) + output (11)
    assert sum(p.numel() for p in ResidualMLP(4, 1, width=10, blocks=1).parameters()) == 231


# --------------------------------------------------------------------------- factory


def test_networks_listing_and_siren_is_reused():
    assert set(NETWORKS) == {"mlp", "resnet", "fourier", "siren"}
    assert all("\n" not in v and v for v in NETWORKS.values())
    siren = build_network("siren", 2, 1, hidden=16, layers=3)
    assert isinstance(siren, Siren) and len(siren.sines) == 3  # layers = sine layers
    assert isinstance(build_network("Fourier", 2, 1, features=4), FourierMLP)
    assert get_activation("sine")(torch.tensor([0.0])).item() == 0.0


@pytest.mark.parametrize(
    "name,options,match",
    [
        ("transformer", {}, "unknown network"),
        ("mlp", {"depth": 3}, "unknown option 'depth'"),
        ("resnet", {"hidden": 3, "foo": 1}, "unknown options"),
        ("mlp", {"hidden": 0}, "hidden must be an integer"),
        ("mlp", {"layers": 2.5}, "layers must be an integer"),
        ("mlp", {"activation": "swish"}, "unknown activation"),
        ("resnet", {"init": "orthogonal"}, "unknown init"),
        ("mlp", {"lo": [0, 0]}, "needs both lo and hi"),
        ("mlp", {"lo": [0, 0, 0], "hi": [1, 1, 1]}, "need 2 entries"),
        ("mlp", {"lo": [0, 1], "hi": [1, 1]}, "hi > lo"),
        ("mlp", {"lo": "a", "hi": [1, 1]}, "lo and hi"),
        ("fourier", {"periodic": {2: (2.0, 3)}}, "periodic axis"),
        ("fourier", {"periodic": {0: 2.0}}, r"\(period, K\)"),
        ("fourier", {"periodic": {0: (-1.0, 3)}}, "period of axis"),
        ("fourier", {"periodic": {0: (2.0, 0)}}, "K of periodic axis"),
        ("fourier", {"sigma": -1.0}, "sigma"),
        ("siren", {"hidden_omega_0": "x"}, "bad options for network 'siren'"),
        ("siren", {"generator": None}, "unknown option 'generator'"),
    ],
)
def test_factory_errors_are_one_line_input_errors(name, options, match):
    with pytest.raises(InputError, match=match) as info:
        build_network(name, 2, 1, **options)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- torch.func


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_vmap_over_stacked_parameters_equals_loop(name):
    models = [_small(name, d=2, m=2, seed=s, dtype=torch.float64) for s in range(3)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def call(p, b, x):
        return functional_call(base, (p, b), (x,))

    x = torch.rand(9, 2, generator=_gen(5), dtype=torch.float64)
    batched = vmap(call, in_dims=(0, 0, None))(params, buffers, x)
    looped = torch.stack([m(x) for m in models])
    assert batched.shape == (3, 9, 2)
    torch.testing.assert_close(batched, looped, atol=1e-12, rtol=1e-12)
    # gradients with respect to the stacked parameters flow
    batched.sum().backward()
    assert all(p.grad is not None for p in params.values())


def test_vmap_jacobian_over_points_matches_autograd():
    net = _small("fourier", d=2, m=1, dtype=torch.float64)
    x = torch.rand(6, 2, generator=_gen(6), dtype=torch.float64)
    jac = vmap(jacrev(net))(x)  # single points (2,) -> (1,), batched over points
    xr = x.clone().requires_grad_(True)
    torch.testing.assert_close(jac[:, 0], _grad(net(xr)[:, 0], xr))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_networks_on_cuda(name):
    net = _small(name, d=2, m=2).to("cuda", torch.float64)
    x = torch.rand(5, 2, dtype=torch.float64)
    torch.testing.assert_close(net(x.cuda()).cpu(), net.cpu()(x), atol=1e-10, rtol=1e-10)
