"""The project's commands end quietly when the reader of their output stops early (``| head``), and
a broken pipe that is not their standard output keeps its traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from selftest.support import ROOT
from simulator.cli import run

#: commands of the README whose output is long enough to outlive a reader that stops at once
COMMANDS = [
    ["-m", "reference_csms", "--list-faults"],
    ["-m", "simulator.settings"],
    ["-m", "simulator.provisioning", "--format", "json"],
    ["-m", "simulator.provisioning", "-k", "TC_E"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[1:]))
def test_a_reader_that_stops_early_ends_the_command_quietly(command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes: its first write breaks the pipe
    try:
        done = subprocess.run([sys.executable, *command], cwd=ROOT, stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 1 and done.stderr == "", done.stderr[-2000:]


def test_a_broken_pipe_elsewhere_keeps_its_traceback() -> None:
    def main() -> int:
        raise BrokenPipeError("a socket the command wrote to")

    with pytest.raises(BrokenPipeError, match="a socket"):
        run(main)


def test_the_command_exits_with_its_own_code() -> None:
    with pytest.raises(SystemExit) as ended:
        run(lambda: 4)
    assert ended.value.code == 4
