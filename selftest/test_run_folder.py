"""The harness deletes only what it wrote: each run gets a run folder of its own
(REPORTS_FOLDER/<time>/, ``latest`` pointing to it, REPORTS_KEEP_RUNS kept), ``--reports DIR`` refuses
a non-empty folder it did not make, and a selection of no case leaves the previous run as it was."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from selftest.support import FAST, ROOT
from simulator.reporting import run_folder
from simulator.reporting.run_folder import MARKER


def pytest_run(select: str, env: dict[str, str] | None = None, args: list[str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS", "REPORTS_"))}
    environment.update(FAST)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-k", select, "-q", "-p", "no:cacheprovider",
                           "--no-preflight", *(args or [])], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=240)


def user_files(folder: Path) -> dict[str, str]:
    """A user's own files in ``folder``: at the top, beside where the reports go, and among them."""
    files = {"notes.txt": "my notes\n", "report.html.bak": "<p>mine</p>", "allure-results/mine.txt": "mine",
             "sub/keep.json": "{}"}
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return files


def assert_untouched(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        assert (folder / name).read_text() == text, name


def test_reports_dir_not_made_by_the_harness_is_refused_in_one_line(tmp_path: Path) -> None:
    files = user_files(tmp_path)
    done = pytest_run("TC_B_01", args=["--reports", str(tmp_path)])
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("ERROR")]
    assert errors == [f"ERROR: --reports {tmp_path}: the folder is not empty and was not made by this harness "
                      f"(no {MARKER} in it); name a new or empty folder"], errors
    assert_untouched(tmp_path, files)
    assert not (tmp_path / MARKER).exists() and not (tmp_path / "junit.xml").exists()


def test_a_folder_the_harness_made_is_reused_and_only_its_reports_replaced(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = pytest_run("TC_B_01", args=["--reports", str(reports)])
    assert first.returncode == 0 and (reports / MARKER).is_file(), first.stdout[-2000:]
    files = user_files(reports)
    second = pytest_run("TC_E_01", args=["--reports", str(reports)])
    assert second.returncode == 0, second.stdout[-2000:]
    assert_untouched(reports, files)
    assert list(json.loads((reports / "summary.json").read_text())["blocks"]) == ["E"]
    assert not (reports / run_folder.PREVIOUS).exists()
    # a selection of no case: the previous run's reports stay as they were, the user's files too
    before = {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    nothing = pytest_run("TC_B_99", args=["--reports", str(reports)])
    assert nothing.returncode == 5, nothing.stdout[-2000:]
    assert {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()} == before


def test_each_run_gets_its_own_folder_and_latest_points_to_the_last_that_ran(tmp_path: Path) -> None:
    base = tmp_path / "reports"
    base.mkdir()
    files = user_files(base)
    env = {"REPORTS_FOLDER": str(base), "REPORTS_KEEP_RUNS": "2", "REFERENCE_CSMS_WORKERS": "2"}
    runs = []
    for select in ("TC_B_01", "TC_P_02 or TC_P_03", "TC_E_01"):
        done = pytest_run(select, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        runs.append(run_folder.latest(base))
    assert len(set(runs)) == 3 and all(r is not None and r.parent == base.resolve() for r in runs), runs
    # two workers wrote into the one folder their controller chose: one Allure result per case in it
    last = runs[-1]
    assert last is not None and len(list((last / "allure-results").glob("*-result.json"))) == 1
    assert "TC_E_01" in (last / "summary.json").read_text()
    # REPORTS_KEEP_RUNS=2: the oldest run folder is gone, the user's files are not
    assert [p.name for p in run_folder.run_folders(base)] == [runs[1].name, runs[2].name]  # type: ignore[union-attr]
    assert_untouched(base, files)
    # a -k that matches nothing: exit 5, no new folder, latest unchanged
    nothing = pytest_run("TC_B_99", env=env)
    assert nothing.returncode == 5 and run_folder.latest(base) == last, nothing.stdout[-2000:]
    assert sorted(p.name for p in base.iterdir()) == sorted(
        ["latest", runs[1].name, runs[2].name, "notes.txt", "report.html.bak", "allure-results", "sub"])  # type: ignore[union-attr]


def test_pruning_removes_only_the_harness_files_of_an_old_run(tmp_path: Path) -> None:
    base = tmp_path
    old = run_folder.new_run_folder(base)
    (old / "summary.json").write_text("{}")
    (old / "allure-results").mkdir()
    (old / "allure-results" / "abc-result.json").write_text("{}")
    (old / "mine.txt").write_text("mine")
    (old / "allure-results" / "mine.txt").write_text("mine")
    newer = [run_folder.new_run_folder(base) for _ in range(2)]
    for folder in newer:
        run_folder.finish(folder, True, base, keep=2)
    assert (old / "mine.txt").read_text() == "mine" and (old / "allure-results" / "mine.txt").read_text() == "mine"
    assert not (old / "summary.json").exists() and not (old / "allure-results" / "abc-result.json").exists()
    assert not (old / MARKER).exists() and run_folder.run_folders(base) == newer
    assert run_folder.latest(base) == newer[-1].resolve()
