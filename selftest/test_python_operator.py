"""The README's Python operator keeps working: the README shows ``examples/my_csms_operator.py`` as
it is, and the README's command with it drives a standalone reference CSMS through its cases."""
from __future__ import annotations

import re
import subprocess
import sys

from selftest.support import ROOT, run_cases

README = (ROOT / "README.md").read_text()
EXAMPLE = ROOT / "examples" / "my_csms_operator.py"


def test_the_readme_shows_the_example_file_as_it_is() -> None:
    shown = README.split("<!-- python-operator:start -->\n")[1].split("<!-- python-operator:end -->")[0]
    assert shown == f"```python\n{EXAMPLE.read_text()}```\n"


def test_the_example_imports_only_the_interface() -> None:
    imported = set(re.findall(r"^(?:from|import) (simulator[\w.]*)", EXAMPLE.read_text(), re.M))
    assert imported == {"simulator.operators.interface"}


def test_the_readme_command_drives_a_standalone_reference_csms() -> None:
    command = re.search(r"MY_CSMS_API=\S+ CSMS_ADDRESS=\S+ \\\n(CSMS_OPERATOR=python:\S+) ./run pytest tests "
                        r'-k "([^"]+)"', README)
    assert command, "the README's command with the Python operator"
    server = subprocess.Popen([sys.executable, "-m", "reference_csms", "--suite", "--port", "0", "--wss-port", "0",
                               "--api-port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"(ws://127\.0\.0\.1:\d+) \S+ actions (http://\S+)", line)
        assert match, line
        operator = command.group(1).split("=", 1)
        run = run_cases(command.group(2), env={"CSMS_ADDRESS": match.group(1), "MY_CSMS_API": match.group(2),
                                               operator[0]: operator[1]})
        cases = re.findall(r"TC_[A-P]_\d+", command.group(2))
        assert run.verdicts() == {case: "passed" for case in cases}, (run.reasons(), run.output[-2000:])
    finally:
        server.terminate()
        server.wait(10)
