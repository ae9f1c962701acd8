"""The README's Python operator keeps working: the README shows ``examples/my_csms_operator.py`` as
it is, and the README's command with it drives a standalone reference CSMS through its cases."""
from __future__ import annotations

import re

from selftest.support import ROOT, run_cases, standalone_csms

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
    with standalone_csms() as csms:
        operator = command.group(1).split("=", 1)
        run = run_cases(command.group(2), env={"CSMS_ADDRESS": csms.ws, "MY_CSMS_API": csms.api,
                                               operator[0]: operator[1]})
    cases = re.findall(r"TC_[A-P]_\d+", command.group(2))
    assert run.verdicts() == {case: "passed" for case in cases}, (run.reasons(), run.output[-2000:])
