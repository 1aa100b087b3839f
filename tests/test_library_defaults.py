"""The library functions pick their device as the CLI and ``dnnsolve.solve`` do: ``"auto"``."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

from dnnsolve.core.device import device_name, resolve_device
from dnnsolve.family import families
from dnnsolve.graph import Graph
from dnnsolve.imaging import Denoising, example_image, read_image, reconstruct
from dnnsolve.pde import solve_pde
from dnnsolve.rrr.constraints import ColoringRRR
from dnnsolve.rrr.constraints import solve as rrr_solve

LIBRARY = [reconstruct, solve_pde, rrr_solve]


@pytest.mark.parametrize("fn", LIBRARY, ids=lambda f: f.__module__)
def test_the_default_device_is_auto(fn):
    assert inspect.signature(fn).parameters["device"].default == "auto"


def test_as_in_every_family_behind_dnnsolve_solve():
    fields = {name: dataclasses.fields(fam.options) for name, fam in families().items()}
    defaults = {name: f.default for name, fs in fields.items() for f in fs if f.name == "device"}
    assert set(defaults.values()) == {"auto"}, defaults


def _auto() -> str:
    return device_name(resolve_device("auto"))


def test_an_rrr_solve_without_a_device_runs_where_auto_points():
    c5 = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)], name="c5")
    res = rrr_solve(ColoringRRR(c5, 3), restarts=4, seed=0, max_iter=500)
    assert res.device == _auto() and res.feasible


def test_a_pde_solve_without_a_device_runs_where_auto_points():
    out = solve_pde("heat", adam_steps=5, lbfgs_steps=0, interior=32, boundary=8, validation=16,
                    options={"hidden": 4, "layers": 1})  # fmt: skip
    assert out.result.device == _auto()


def test_a_reconstruction_without_a_device_runs_where_auto_points():
    clean = read_image(example_image("camera"))[..., :16, :16]
    out = reconstruct(clean, Denoising(), method="deep-decoder", iterations=3,
                      options={"channels": 4, "depth": 2}, early_stop="none")  # fmt: skip
    assert out.result.device == _auto() and out.image.device == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="the default picks the GPU here")
def test_on_a_machine_without_a_gpu_auto_is_the_cpu_as_before():
    assert resolve_device("auto") == torch.device("cpu")
