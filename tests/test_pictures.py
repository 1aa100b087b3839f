"""The pictures a user reads: the schedule chart, the PDE comparison figure, the MRI report.

Each test draws from small synthetic data through the report functions (no solver runs) and
checks what a reader relies on: labelled axes, legends, ids, titles with the numbers.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.image import AxesImage, imread

from dnnsolve.core.errors import InputError
from dnnsolve.imaging.operators import MRI, cartesian_mask, radial_mask
from dnnsolve.imaging.report import report_figure, write_report
from dnnsolve.pde.report import comparison_figure, write_figures
from dnnsolve.schedule.graph import TaskGraph, read_task_graph
from dnnsolve.schedule.report import schedule_figure, write_schedule_figure

# ---------------------------------------------------------------- schedule


@pytest.fixture
def named_dag(tmp_path) -> TaskGraph:
    """A DAG read from an edge list whose ids are names, declared out of order."""
    path = tmp_path / "net.el"
    path.write_text(
        "node embed 4\nnode attn 3\nnode mlp 5\nnode head 2\nnode loss 0\n"
        "embed attn\nembed mlp 2\nattn mlp\nmlp head\nhead loss\n"
    )
    return read_task_graph(path)


def test_schedule_chart_has_time_axis_legend_and_input_ids(named_dag):
    g = named_dag
    stages = np.array([0, 1, 1, 2, 2])  # embed | attn mlp | head loss
    fig = schedule_figure(g, stages, 3, capacity=9.0, title="net")
    resource, gantt = fig.axes[:2]
    assert "stage" in gantt.get_xlabel() and "time" in gantt.get_xlabel()
    assert gantt.get_ylabel()
    # every node's row carries its id from the file, and its bar sits over its own stage
    labels = [t.get_text() for t in gantt.get_yticklabels()]
    assert sorted(labels) == sorted(g.ids) == ["attn", "embed", "head", "loss", "mlp"]
    bars = gantt.containers[0]
    stage_of = {g.ids[i]: int(stages[i]) for i in range(g.n)}
    for row, name in zip(gantt.get_yticks(), labels):
        (bar,) = [b for b in bars if math.isclose(b.get_y() + b.get_height() / 2, row)]
        assert math.isclose(bar.get_x() + bar.get_width() / 2, stage_of[name]), name
    # zero-resource nodes (loss) are gray, the others green, and the legend says so
    colours = {name: bar.get_facecolor() for name, bar in zip(labels, bars)}
    assert colours["loss"] != colours["embed"] == colours["mlp"]
    assert len(fig.legends) == 1
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("m > 0" in t for t in legend) and any("m = 0" in t for t in legend)
    assert any("capacity" in t for t in legend) and any("even share" in t for t in legend)
    assert any("crossing stages" in t for t in legend)
    assert resource.get_ylabel() and "legal" in fig.get_suptitle()
    assert "ILLEGAL" not in fig.get_suptitle()


def test_schedule_chart_marks_an_illegal_schedule(named_dag):
    # mlp (stage 0) before its predecessor attn (stage 1), and stage 1 over capacity 5
    fig = schedule_figure(named_dag, [0, 1, 0, 1, 2], 3, capacity=5.0)
    title = fig.get_suptitle()
    assert "ILLEGAL" in title and "precedence" in title and "over capacity" in title
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "edge backwards in time" in legend and "stage over capacity" in legend


def test_schedule_chart_stays_legible_on_a_large_graph():
    n = 1500
    rng = np.random.default_rng(0)
    edges = [(i, i + 1 + int(rng.integers(0, 5))) for i in range(n - 6)]
    ids = [f"block{i:04d}.attention.output.dense.weight" for i in range(n)]
    g = TaskGraph.from_edges(n, edges, memory=rng.random(n), ids=ids)
    stages = np.minimum(g.level * 6 // g.depth, 5)
    fig = schedule_figure(g, stages, 6, max_nodes=300, max_labels=40)
    gantt = fig.axes[1]
    labels = [t.get_text() for t in gantt.get_yticklabels()]
    assert 0 < len(labels) <= 40
    assert all(len(t) <= 24 for t in labels)  # long ids are shortened
    assert labels[0].startswith("block0000") and labels[0].endswith("weight")
    assert "300 of 1500" in gantt.get_ylabel()
    assert fig.get_size_inches()[1] < 16  # the height does not grow with the graph


def test_write_schedule_figure_by_suffix(named_dag, tmp_path):
    png, svg = tmp_path / "s.png", tmp_path / "s.svg"
    write_schedule_figure(png, named_dag, [0, 1, 1, 2, 2], num_stages=3)
    write_schedule_figure(svg, named_dag, [0, 1, 1, 2, 2], num_stages=3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(png)
    assert img.shape[0] > 300 and img.shape[1] > 300
    assert "<svg" in svg.read_text()[:500] and "embed" in svg.read_text()


# ---------------------------------------------------------------- PDE


def _heat_grid(nx: int = 21, nt: int = 16):
    x, t = np.meshgrid(np.linspace(0, 1, nx), np.linspace(0, 1, nt), indexing="ij")
    pts = np.stack([x.ravel(), t.ravel()], 1)
    ref = (np.sin(np.pi * pts[:, 0]) * np.exp(-pts[:, 1]))[:, None]
    pred = ref + 0.03 * np.cos(3 * pts[:, :1]) * pts[:, 1:]
    return pts, pred, ref, (nx, nt)


def _image_axes(fig):
    return [ax for ax in fig.axes if any(isinstance(a, AxesImage) for a in ax.get_images())]


def test_pde_comparison_has_three_panels_and_the_relative_l2():
    pts, pred, ref, shape = _heat_grid()
    fig = comparison_figure(
        pts, pred, ref, shape, labels=("x", "t"), time_dependent=True, title="heat"
    )
    rel = np.linalg.norm(pred - ref) / np.linalg.norm(ref)
    axes = _image_axes(fig)
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes][:2] == ["network solution", "reference"]
    assert f"{rel:.3e}" in fig.get_suptitle() and f"{rel:.3e}" in axes[2].get_title()
    for ax in axes:  # time runs along the horizontal axis
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("t", "x")
    # one colour bar per panel; solution and reference share one colour scale
    assert len(fig.axes) == 6
    (sol,), (refimg,), (err,) = (ax.get_images() for ax in axes)
    assert sol.get_clim() == refimg.get_clim()
    np.testing.assert_allclose(np.nanmax(err.get_array()), np.abs(pred - ref).max())


def test_pde_comparison_uses_the_given_relative_l2_and_skips_nan():
    g = np.stack(np.meshgrid(np.linspace(-1, 1, 9), np.linspace(-1, 1, 9), indexing="ij"), -1)
    pts = g.reshape(-1, 2)
    ref = (1 - pts[:, :1] ** 2) * (1 - pts[:, 1:] ** 2)
    ref[(pts[:, 0] > 0) & (pts[:, 1] > 0)] = np.nan  # outside an L-shape
    pred = np.where(np.isnan(ref), 0.0, ref * 1.1)
    fig = comparison_figure(pts, pred, ref, (9, 9), labels=("x", "y"))
    ok = np.isfinite(ref)
    rel = np.linalg.norm(pred[ok] - ref[ok]) / np.linalg.norm(ref[ok])
    assert f"relative L2 {rel:.3e}" in fig.get_suptitle()
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in _image_axes(fig)] == [("x", "y")] * 3
    fig = comparison_figure(pts, pred, ref, (9, 9), relative_l2=0.125)
    assert "1.250e-01" in fig.get_suptitle()


def test_pde_comparison_in_one_dimension_and_without_reference():
    x = np.linspace(0, 2, 40)[:, None]
    ref = np.sin(x)
    fig = comparison_figure(x, ref + 0.01, ref, labels=("x",))
    assert len(fig.axes) == 3
    assert all(ax.get_xlabel() == "x" for ax in fig.axes)
    assert fig.axes[2].get_yscale() == "log"
    rel = np.linalg.norm(0.01 * np.ones_like(ref)) / np.linalg.norm(ref)
    assert f"{rel:.3e}" in fig.axes[2].get_title()
    fig = comparison_figure(x, ref, None, labels=("x",), title="sine")
    assert len(fig.axes) == 1 and "no reference" in fig.get_suptitle()


def test_write_figures_solution_png_is_the_comparison(tmp_path):
    pts, pred, ref, shape = _heat_grid()
    hist = [{"step": s, "loss": 1 / s, "batch_objective": 2 / s} for s in (1, 2, 3)]
    files = write_figures(tmp_path / "a", pts, pred, ref, shape, hist, time_dependent=True)
    assert [f.name for f in files] == ["solution.png", "reference.png", "error.png", "history.png"]
    combined, alone = imread(files[0]), imread(files[1])
    assert combined.shape[1] > 2 * alone.shape[1]  # three panels side by side
    files = write_figures(tmp_path / "b", pts, pred, ref, shape, hist, separate=False)
    assert [f.name for f in files] == ["solution.png", "history.png"]


# ---------------------------------------------------------------- MRI


def _mask_axes(fig):
    # a figure's axes include those of its sub-figures (the image row of a report)
    return [ax for ax in fig.axes if ax.get_title().startswith("k-space mask")]


@pytest.mark.parametrize(
    "centred", [cartesian_mask((32, 32), 4, seed=3), radial_mask((32, 32), 6)], ids=["cart", "rad"]
)
def test_mri_report_shows_the_centred_mask_with_its_sampling_ratio(centred):
    op = MRI(centred)  # stores the mask unshifted, as the family's operator does
    x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    zf = op.adjoint(op(x)).float().clamp(0, 1)
    rows = [{"step": s, "loss": 1.0 / s, "psnr": 20 + s} for s in (1, 2)]
    fig = report_figure(
        {"zero-filled": zf, "output": x, "reference": x},
        rows,
        "mri",
        reference=x,
        kspace_mask=op.mask,
    )
    (ax,) = _mask_axes(fig)
    ratio = float(centred.mean())
    assert f"sampling ratio {ratio:.1%}" in ax.get_title()
    assert f"R = {1 / ratio:.3g}" in ax.get_title()
    # drawn centred: the low frequencies in the middle, as the mask was built
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), centred.numpy())
    assert centred[16, 16] == 1


def test_write_report_with_and_without_mask(tmp_path):
    mask = cartesian_mask((16, 16), 4)
    img = torch.full((1, 1, 16, 16), 0.5)
    path = tmp_path / "r.png"
    write_report(path, {"output": img}, [], "t", kspace_mask=mask, kspace_mask_centred=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not _mask_axes(report_figure({"output": img}, [], "t"))
    with pytest.raises(InputError, match="k-space mask must be"):
        report_figure({"output": img}, [], kspace_mask=torch.ones(2, 4, 4))


def test_figures_are_not_left_open():
    """Every figure is drawn off pyplot, so repeated reports leave no state behind."""
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    comparison_figure(*_heat_grid()[:3])
    report_figure({"o": torch.zeros(1, 1, 4, 4)}, [], kspace_mask=np.ones((4, 4)))
    assert len(plt.get_fignums()) == before
