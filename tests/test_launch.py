"""The console script: a one-shot command runs without garbage collection and ends without teardown."""

import gc
import os
import subprocess
import sys

import pytest

from bot import launch


@pytest.mark.parametrize(
    ("argv", "name"),
    [(["ask", "Who leads numeracy?"], "ask"), (["-v", "ask", "q"], "ask"), (["serve", "--http"], "serve"),
     (["--version"], None), ([], None)],
)  # fmt: skip
def test_the_command_is_the_first_word_that_is_not_an_option(argv, name):
    assert launch.command(argv) == name


@pytest.fixture
def ended(monkeypatch) -> list[int]:
    """The codes the process would have ended with; collection is on again after the test."""
    codes: list[int] = []
    monkeypatch.setattr(os, "_exit", codes.append)
    yield codes
    gc.enable()


def _main(code, collecting: list[bool]):
    def main(argv):
        collecting.append(gc.isenabled())
        print(f"ran {' '.join(argv)}")
        raise SystemExit(code)

    return main


def test_a_one_shot_command_ends_with_its_code_once_its_output_is_written(monkeypatch, capsys, ended):
    collecting: list[bool] = []
    monkeypatch.setattr("bot.cli.main", _main(2, collecting))
    launch.run(["-v", "ask", "Who leads numeracy?"])
    assert collecting == [False]  # no collection while the question is answered
    assert ended == [2]
    assert capsys.readouterr().out == "ran -v ask Who leads numeracy?\n"


def test_a_one_shot_command_exiting_with_a_message_prints_it_and_ends_with_1(monkeypatch, capsys, ended):
    monkeypatch.setattr("bot.cli.main", _main("the index is locked", []))
    launch.run(["ask", "q"])
    assert ended == [1]
    assert capsys.readouterr().err == "the index is locked\n"


def test_every_other_command_runs_as_usual(monkeypatch, ended):
    collecting: list[bool] = []
    monkeypatch.setattr("bot.cli.main", _main(0, collecting))
    with pytest.raises(SystemExit):
        launch.run(["serve", "--http"])
    assert collecting == [True]
    assert ended == []  # Python's own exit, teardown and all


def test_what_a_one_shot_command_printed_reaches_a_pipe(tmp_path):
    # print() into a pipe is held in a buffer that only Python's teardown would have written
    script = (
        "import bot.cli\nfrom bot import launch\n"
        "bot.cli.main = lambda argv: print('the answer, and its sources')\n"
        "launch.run(['ask', 'q'])\n"
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=buffered, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "the answer, and its sources\n"
