"""Real CSMSs do more than a case asks (a base report after every boot, a transaction-status
query after every reconnect): the suite still gives the right verdicts, and faults are still caught."""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from selftest.support import assert_block_passes, assert_no_secret, implemented_case_items, report_texts, run_cases
from selftest.test_html_report import assert_readable

ALL_OPTIONS = "busy,base_report_at_boot,query_on_reconnect"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_whole_suite_passes_a_busy_csms_in_any_order(seed: int) -> None:
    """Every implemented case passes against the reference CSMS with every option of a real, busy
    CSMS on, for five seeds (the fifth below), each run in another shuffled order (no case depends
    on another)."""
    assert_block_passes("TC_", len(implemented_case_items()),
                        env={"REFERENCE_CSMS_OPTIONS": ALL_OPTIONS, "REFERENCE_CSMS_SEED": str(seed)}, timeout=900,
                        args=["--shuffle", str(seed)])


def test_whole_suite_in_parallel_busy_shuffled_and_without_secrets(tmp_path: Path) -> None:
    """The fifth seed on two parallel workers (each with its busy reference CSMS, one shuffled order
    for both), then every file under the run's reports is searched: no password, no Authorization
    value, no secret number of any private key under fixtures/; the HTML report stays small and readable."""
    assert_block_passes("TC_", len(implemented_case_items()), env={
        "REFERENCE_CSMS_OPTIONS": ALL_OPTIONS, "REFERENCE_CSMS_SEED": "5", "REFERENCE_CSMS_WORKERS": "2"},
        timeout=900, args=["--shuffle", "5"], keep=tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"junit.xml", "report.html", "summary.md", "summary.json"} <= {p.name for p in files}, files
    assert len(list((tmp_path / "allure-results").iterdir())) > 254
    assert_no_secret(report_texts(tmp_path))
    # passed cases' views travel compressed: the README's run of the whole suite stays under 2 MB (.ci/run
    # checks it); here every option of a busy CSMS adds its own requests to every case's frames (about 3 MB)
    size = (tmp_path / "report.html").stat().st_size
    print(f"whole-suite report.html against a busy CSMS: {size / 2**20:.2f} MiB")
    assert size < 4 * 2**20, size
    if any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        with tempfile.TemporaryDirectory() as scratch:  # the whole suite's page at a narrow and a wide window
            assert_readable(tmp_path / "report.html", Path(scratch))


def test_reconnect_query_is_not_the_reaction_to_a_seq_gap() -> None:
    """TC_E_31 step 5 must come after the Ended event, not be the CSMS's query at reconnect: the
    reconnect query names T, every later one (its own and the operator's) leaves T out."""
    run = run_cases("TC_E_31", faults=["omit_transaction_status_id"],
                    env={"REFERENCE_CSMS_OPTIONS": "query_on_reconnect"})
    assert run.verdicts() == {"TC_E_31": "failed"}, run.output[-2000:]
    assert re.search(r"TC_E_31 step 5: transactionId expected '[0-9a-f-]{36}', got absent",
                     run.reasons()["TC_E_31"]), run.reasons()


def test_failed_follow_up_messages_reach_the_verdict() -> None:
    """A NotifyReport part the CSMS refuses after its own boot-time GetBaseReport fails the case."""
    run = run_cases("TC_B_01", faults=["notify_report_single_part"], env={"REFERENCE_CSMS_OPTIONS": "base_report_at_boot"})
    assert run.verdicts() == {"TC_B_01": "failed"}, run.output[-2000:]
    assert re.search(r"TC_B_01 follow-up: CSMS answered NotifyReportRequest with CALLERROR", run.reasons()["TC_B_01"]), \
        run.reasons()
