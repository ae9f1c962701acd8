"""Every shell command the README shows runs as written, so the README cannot drift: long runs
are shortened (``--collect-only`` or one case), servers must come up and print where they listen,
and ``cp env.example .env`` followed by the first command gives the same green run as without."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from selftest.support import FAST, ROOT, free_port

README = (ROOT / "README.md").read_text()


def shell_lines() -> list[str]:
    """The commands of the README's ```sh blocks (continuations joined, comments dropped) and the
    ``./run …`` commands quoted inline."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = shlex.join(shlex.split(line, comments=True))
            if command:
                lines.append(command)
    lines += [c for c in re.findall(r"`(\./run [^`]+)`", README) if "…" not in c]
    return list(dict.fromkeys(lines))


def split(command: str) -> tuple[dict[str, str], list[str]]:
    """Leading VAR=value assignments, then the argv."""
    words = shlex.split(command)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


def run(argv: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    environment.update(env)
    return subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)


def shortened(argv: list[str], reports: Path) -> list[str]:
    """A pytest run as written but shorter: the selection is only collected, or one case run (its
    reports into a folder of the test's own, as a run of the README would not share one)."""
    if "--collect-only" in argv:
        return argv
    if argv[3:4] == ["selftest"] or "-k" in argv:
        return argv + ["--collect-only", "-q", "-p", "no:cacheprovider"]
    return argv + ["-k", "TC_B_01", "-q", "-p", "no:cacheprovider", "--reports", str(reports)]


COMMANDS = shell_lines()


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10, COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(command: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env, argv = split(command)
    if argv[:2] == ["cp", "env.example"]:
        # the same as a .env made from env.example: every line of it in the environment, then the first command
        pairs = dict(line.split("=", 1) for line in (ROOT / "env.example").read_text().splitlines()
                     if line and not line.startswith("#"))
        done = run(["./run", "pytest", "tests", "-k", "TC_B_01 or TC_E_01", "-q", "-p", "no:cacheprovider",
                    "--reports", str(tmp_path)], {**pairs, **FAST})
        assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
        return
    assert argv[0] == "./run", command
    if argv[1:3] == ["--extra", "load"]:
        load_command_runs(argv[3:], tmp_path)
        return
    if argv[1:2] == ["pytest"]:
        done = run(shortened(argv, tmp_path / "reports"), {**FAST, **env})
        assert done.returncode == 0, command + "\n" + done.stdout[-2000:] + done.stderr[-2000:]
        assert re.search(r"\d+ (passed|tests collected)", done.stdout), done.stdout[-1000:]
        return
    if argv[1:4] == ["python", "-m", "reference_csms"] and "--list-faults" not in argv:
        server_comes_up(argv, env)
        return
    if "simulator.operators.examples" in argv:  # needs a run's reports: test_operator_examples_are_real runs it
        return
    if "--force" in argv:  # regenerating the fixtures would pull them from under the runs in parallel
        argv = argv + ["--help"]
    done = run(argv if ">" not in argv else argv[:argv.index(">")], env)
    assert done.returncode == 0, command + "\n" + done.stdout[-1000:] + done.stderr[-1000:]
    assert (done.stdout + done.stderr).strip(), command


def load_command_runs(argv: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A load command as written, made short (pytest's are too): Locust with 4 stations for 8 s against a
    reference CSMS of its own on free ports; the web UI's run started and ended by Locust itself
    (--autostart, --autoquit); a master with its workers on this machine. Nothing is installed here."""
    from selftest.test_load import LOCUST, _reference_csms
    if importlib.util.find_spec("locust") is None:
        pytest.fail(LOCUST, pytrace=False)
    if argv[:3] == ["python", "-m", "simulator.load"]:  # needs a CSMS and a run: selftest/test_load.py runs them
        return
    assert argv[:3] == ["locust", "-f", "simulator/load/locustfile.py"], argv
    if "--worker" in argv:  # started below with the master's command
        return
    server, urls = _reference_csms(8)
    short = {"--users": "4", "--spawn-rate": "4", "--run-time": "8s", "--host": urls["ws"]}
    args = [sys.executable, "-m", "locust"] + [short.get(argv[i - 1], a) if i else a for i, a in enumerate(argv[1:], 1)]
    args += ["--load-reports", str(tmp_path / "load"), "--only-summary"]
    if "--headless" not in args:
        args += ["--autostart", "--autoquit", "0", "--web-host", "127.0.0.1", "--web-port", str(free_port())]
    workers = []
    try:
        if "--master" in args:
            port = str(free_port())
            args += ["--master-bind-port", port]
            count = int(args[args.index("--expect-workers") + 1])
            workers = [subprocess.Popen([sys.executable, "-m", "locust", "-f", argv[2], "--worker", "--master-port", port],
                                        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for _ in range(count)]
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        for worker in workers:
            worker.wait(30)
        server.terminate()
        server.wait(10)
    assert done.returncode == 0, " ".join(args) + "\n" + done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((tmp_path / "load" / "load_summary.json").read_text())
    assert summary["stations"]["peak_connected"] == 4 and summary["errors"] == {}, summary["errors"]


def server_comes_up(argv: list[str], env: dict[str, str]) -> None:
    """A reference CSMS command starts and prints the addresses it listens on (on free ports)."""
    argv = [a for a in argv]
    for option in ("--port", "--wss-port", "--api-port"):  # the README's fixed ports may be taken here
        if option in argv:
            argv[argv.index(option) + 1] = "0"
        else:
            argv += [option, "0"]
    if "--config" in argv:  # its file names fixed ports: the options above override them
        pass
    if "--manifest" in argv:  # the README writes the file with the provisioning command just before
        import tempfile
        manifest = Path(tempfile.mkdtemp()) / "manifest.json"
        made = run(["./run", "python", "-m", "simulator.provisioning", "--format", "json"], env)
        assert made.returncode == 0, made.stderr[-1000:]
        manifest.write_text(made.stdout)
        argv[argv.index("--manifest") + 1] = str(manifest)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    environment.update(env)
    server = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "listening" not in line:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                break
        assert "reference CSMS listening" in line, f"{' '.join(argv)}: {line!r} {server.stderr.read()[-1000:]}"
    finally:
        server.terminate()
        server.wait(10)


def test_the_first_command_is_the_fast_profile() -> None:
    """The README's first command is env.example's "fast" profile, and CI runs exactly it."""
    from simulator.settings import fast_profile_command
    first = re.search(r"```sh\n(.*?)\n", README).group(1)
    assert first == fast_profile_command(), (first, fast_profile_command())
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"run_pytest env {first} -q -p no:cacheprovider" in ci


def test_operator_examples_are_real(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README's operator examples are what the embedded CSMS exchanged: a run of cases that ask
    for these actions gives exactly the README's rows, and every action of the README's action
    table has an example."""
    from selftest.support import run_cases
    from simulator.operators.examples import exchanges, markdown
    run = run_cases("TC_B_20 or TC_C_37 or TC_D_08", env={"REFERENCE_CSMS_OPTIONS": ""}, keep=tmp_path)
    assert run.returncode == 0, run.output[-2000:]
    found = exchanges(tmp_path)  # actions whose examples carry no value of the run (ids, times)
    rows = markdown({k: found[k] for k in ("ClearCache", "GetLocalListVersion", "Reset")}).splitlines()[2:]
    examples = README.split("<!-- operator-examples:start -->")[1].split("<!-- operator-examples:end -->")[0]
    for row in rows:
        assert row in examples, row
    done = subprocess.run([sys.executable, "-m", "simulator.operators.examples", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0 and set(rows) <= set(done.stdout.splitlines()), done.stdout + done.stderr
    table = README.split("## Operator actions")[1].split("### The http operator by example")[0]
    actions = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert actions and actions <= set(re.findall(r"^\| `(\w+)` \|", examples, re.M)), actions
