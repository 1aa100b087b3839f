"""Every ``dnnsolve …`` command shown in README.md still parses: its command path exists and
every option it gives is one the command takes (the solve itself is stubbed out)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dnnsolve.cli import generate
from dnnsolve.cli import root as cli_root
from dnnsolve.core.errors import DnnsolveError

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> list[str]:
    """The ``dnnsolve`` lines of the README's bash blocks, continuations joined."""
    text = README.read_text()
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip()
            if line.startswith("dnnsolve "):
                lines.append(line)
    return lines


COMMANDS = _commands()


def test_readme_has_commands():
    assert len(COMMANDS) >= 30


def _parsed(*args, **kwargs):
    """Stands in for the work a command does once its arguments parsed."""
    raise SystemExit(0)


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_parses(line, monkeypatch, tmp_path):
    monkeypatch.setattr(generate, "run_family", _parsed)
    monkeypatch.setattr("dnnsolve.bench.run_suite", _parsed)
    monkeypatch.setattr("dnnsolve.batch.run_batch", _parsed)
    monkeypatch.setattr("dnnsolve.batch.suites.run_suite_batched", _parsed)
    monkeypatch.chdir(tmp_path)
    args = shlex.split(line, comments=True)[1:]
    if args[:1] == ["demo"]:
        pytest.skip("runs the whole demo")
    if any(a.isupper() for a in args):
        pytest.skip("a template (FAMILY, INPUT), not a command")
    res = CliRunner().invoke(cli_root.app, args)
    # usage errors (an unknown option or command, a missing argument) are click's "Usage:";
    # an error of ours (a file the README names but this machine lacks) is one "error:" line
    assert "Usage:" not in res.output and "No such option" not in res.output, res.output
    ours = isinstance(res.exception, DnnsolveError) or res.output.startswith("error:")
    assert res.exit_code == 0 or ours, res.output
