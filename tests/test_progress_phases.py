"""The callbacks hear which phase a run is in, and the progress bar names it."""

from __future__ import annotations

import io
import math

import networkx
import numpy as np
import pytest
from rich.console import Console
from rich.progress import Progress

import dnnsolve
from dnnsolve.core.callbacks import PHASES, Callback, CallbackRun, RichProgress, _elapsed_column
from dnnsolve.problems.maxcut import MaxCut


class Recorder(Callback):
    """Every hook call, in order: ``start``, the phase names, ``eval``, ``end``."""

    def __init__(self):
        self.events: list[str] = []

    def on_start(self, config, problem):
        self.events.append("start")

    def on_phase(self, name):
        self.events.append(name)

    def on_eval(self, state):
        self.events.append("eval")

    def on_end(self, result):
        self.events.append("end")

    @property
    def phases(self) -> list[str]:
        return [e for e in self.events if e in PHASES]


def _maxcut(callbacks=(), **kw):
    return dnnsolve.solve(
        "maxcut", networkx.cycle_graph(8), steps=20, restarts=2, device="cpu", seed=0,
        callbacks=callbacks, **kw,
    )  # fmt: skip


def _quiet_bar(description: str) -> RichProgress:
    return RichProgress(description, console=Console(file=io.StringIO(), force_terminal=True))


def test_the_solver_announces_its_phases_in_order():
    rec = Recorder()
    _maxcut([rec])
    assert rec.phases == ["baseline", "train", "polish"]
    ev = rec.events
    # the baseline runs before any step, the evaluations during training, the polish last
    assert ev[:3] == ["start", "baseline", "train"]
    assert ev[-2:] == ["polish", "end"]
    assert "eval" in ev[ev.index("train") :]


def test_skipped_phases_are_not_announced():
    rec = Recorder()
    _maxcut([rec], baseline=False, polish=False)
    assert rec.phases == ["train"]


def test_a_pde_solve_announces_the_quasi_newton_phase():
    from dnnsolve.pde import solve_pde

    rec, bar = Recorder(), _quiet_bar("pde/heat")
    labels = []

    class Labels(Callback):  # runs after the bar, so it sees the label the bar just set
        def on_phase(self, name):
            labels.append(bar._progress.tasks[0].description)

    small = {"interior": 32, "boundary": 8, "validation": 16, "options": {"hidden": 4, "layers": 1}}
    # no time limit: the bar counts steps, not seconds
    solve_pde("heat", adam_steps=10, lbfgs_steps=3, time_limit=math.inf, device="cpu",
              callbacks=[rec, bar, Labels()], **small)  # fmt: skip
    # no classical heuristic and no local search for a PDE
    assert rec.phases == ["train", "quasi_newton"]
    assert labels == ["pde/heat · Adam", "pde/heat · SSBroyden"]


def test_the_bar_names_the_polish_while_polishing(monkeypatch):
    bar = _quiet_bar("maxcut/relaxed")
    seen = {}
    search = MaxCut.local_search

    def watched(self, z, time_limit, generator=None):
        seen["polish"] = bar._progress.tasks[0].description
        return search(self, z, time_limit, generator)

    class Training(Callback):
        def on_eval(self, state):
            seen["train"] = bar._progress.tasks[0].description

    monkeypatch.setattr(MaxCut, "local_search", watched)
    _maxcut([bar, Training()])
    assert seen == {"train": "maxcut/relaxed · train", "polish": "maxcut/relaxed · polish"}
    assert bar._progress is None  # stopped at the end


def test_the_elapsed_time_keeps_counting_once_the_bar_is_full():
    now = [0.0]
    progress = Progress(get_time=lambda: now[0], auto_refresh=False)
    task_id = progress.add_task("x", total=2)
    progress.update(task_id, completed=2)  # Rich's own column stops here
    now[0] = 75.0
    task = progress.tasks[0]
    assert task.finished
    assert str(_elapsed_column().render(task)) == "0:01:15"


def test_phases_change_no_result():
    plain = _maxcut()
    shown = _maxcut([_quiet_bar("maxcut"), Recorder()])
    assert plain.objective == shown.objective and plain.found_by == shown.found_by
    assert np.array_equal(plain.solution_array, shown.solution_array)
    strip = [{k: v for k, v in row.items() if k != "elapsed"} for row in plain.history]
    assert strip == [{k: v for k, v in row.items() if k != "elapsed"} for row in shown.history]


class OldStyle:
    """A callback that does not subclass Callback and has no ``on_phase``."""

    def __init__(self):
        self.ended = False

    def on_start(self, config, problem):
        pass

    def on_eval(self, state):
        pass

    def on_end(self, result):
        self.ended = True

    def on_error(self, exc):
        pass


def test_callbacks_without_the_phase_hook_still_work():
    cb = OldStyle()
    assert _maxcut([cb]).feasible and cb.ended


@pytest.mark.parametrize("with_bar", [False, True])
def test_loops_that_are_not_the_solvers_announce_phases_through_callback_run(with_bar):
    rec, old = Recorder(), OldStyle()
    callbacks = [rec, old] + ([_quiet_bar("lp")] if with_bar else [])
    hooks = CallbackRun(callbacks, steps=None)

    def loop(iteration):
        hooks.phase("reference")
        return "done"

    assert hooks.run(loop) == "done"
    assert rec.events == ["start", "reference", "end"] and old.ended
