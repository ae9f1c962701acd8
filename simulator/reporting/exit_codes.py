"""The exit code of a run of the suite: a contract a CI gate can rely on.

pytest's own codes where they mean the same (0 ok, 1 tests failed, 2 interrupted, 3 internal error,
4 usage error, 5 no tests collected); the harness only decides between them from the verdicts, so a
harness error (verdict ``error``) is told from a CSMS failure, and a run stopped by ``--maxfail`` exits
like pytest's serial run whether or not it ran on parallel workers. The README's table is
:func:`markdown_table`; ``selftest/test_exit_codes.py`` runs a scenario for each code and checks the
table against this contract."""
from __future__ import annotations

from dataclasses import dataclass

OK, FAILED, INTERRUPTED, HARNESS_ERROR, USAGE, NO_CASE = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Code:
    code: int
    meaning: str
    pytest: str  # what pytest's own code means (the deviation, if any, is in ``meaning``)


CONTRACT = (
    Code(OK, "every selected case passed, or was skipped for a reason the settings give", "ok"),
    Code(FAILED, "a case failed: the CSMS misbehaved (also a run that `--maxfail`/`-x` stopped; its reports "
                 "say incomplete)", "tests failed"),
    Code(INTERRUPTED, "the run was interrupted (Ctrl-C, SIGINT) before every selected case ran; the reports "
                      "say so and how many ran", "interrupted"),
    Code(HARNESS_ERROR, "no case failed, but the harness could not run one (verdict `error`: its own machine "
                        "or material), a test module could not be collected, or pytest itself broke", "internal error"),
    Code(USAGE, "a setting or an option the harness refuses (one line naming it), e.g. a `--reports` folder "
                "it did not make", "usage error"),
    Code(NO_CASE, "the selection matched no case; nothing is written, the previous run stays "
                  "`reports/latest` — treat it as a failure (`.ci/run` does)", "no tests collected"),
)


def decide(pytest_status: int, counts: dict[str, int], stop: str | None) -> int:
    """The run's exit code from pytest's, the verdicts and why the run stopped early (``stop``: "user"
    for Ctrl-C/SIGINT, "failures" for --maxfail/-x, which pytest-xdist reports as an interruption too,
    "collection" for a module that could not be collected; None when it did not stop early)."""
    if pytest_status in (USAGE, NO_CASE):
        return pytest_status
    if stop == "user":
        return INTERRUPTED
    if counts.get("failed"):
        return FAILED
    if counts.get("error") or stop == "collection" or pytest_status == HARNESS_ERROR:
        return HARNESS_ERROR
    if pytest_status in (FAILED, INTERRUPTED):  # a test that is no case failed, or a stop on failures
        return FAILED
    return OK


def markdown_table() -> str:
    """The README's table of exit codes."""
    rows = ["| exit code | meaning | pytest's own meaning |", "|---|---|---|"]
    rows += [f"| {c.code} | {c.meaning} | {c.pytest} |" for c in CONTRACT]
    return "\n".join(rows) + "\n"
