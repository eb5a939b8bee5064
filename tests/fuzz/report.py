"""`make fuzz`'s summary: per form, the examples posted, the slowest request and the outcome,
written to FUZZ_REPORT (default fuzz-report.md) and printed at the end of the run.

Loaded with `pytest -p tests.fuzz.report`; `make test` does not load it.
"""

import os
from pathlib import Path

from tests.fuzz.checks import FUZZ_CLOCK, FUZZ_EXAMPLES, FUZZING, MAX_REQUEST_SECONDS, STATS

OUTCOMES: dict[str, str] = {}


def pytest_runtest_logreport(report):
    if report.failed:
        OUTCOMES[report.nodeid] = "failed"
    elif report.when == "call" or report.skipped:
        OUTCOMES.setdefault(report.nodeid, report.outcome)
    if report.when == "teardown":
        # After every form, so a long run that is stopped still leaves what it measured.
        _write(summary_lines())


def _report_path() -> Path:
    return Path(os.environ.get("FUZZ_REPORT", "fuzz-report.md"))


def _write(lines: list[str]) -> None:
    _report_path().write_text("\n".join(lines) + "\n")


def summary_lines() -> list[str]:
    mode = "randomised, unshrunk" if FUZZING else "derandomised"
    lines = [
        "# Hostile-input run",
        "",
        f"{FUZZ_EXAMPLES} examples per form ({mode}); requests bounded at "
        f"{MAX_REQUEST_SECONDS} s of {FUZZ_CLOCK} time.",
        "",
        "| form | examples | slowest request s (wall) | slowest s (CPU) | outcome |",
        "|---|---|---|---|---|",
    ]
    total = failed = 0
    for test in sorted(set(STATS) | set(OUTCOMES)):
        stats = STATS.get(test, {"examples": 0, "wall": 0.0, "cpu": 0.0})
        outcome = OUTCOMES.get(test, "not run")
        total += stats["examples"]
        failed += outcome == "failed"
        lines.append(
            f"| {test.split('::', 1)[-1]} | {stats['examples']} | {stats['wall']:.3f} "
            f"| {stats['cpu']:.3f} | {outcome} |"
        )
    lines += ["", f"Examples run: {total}. Forms failed: {failed} of {len(OUTCOMES)}."]
    return lines


def pytest_terminal_summary(terminalreporter):
    lines = summary_lines()
    path = _report_path()
    _write(lines)
    terminalreporter.write_sep("=", "hostile-input summary")
    for line in lines[-1:]:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"Per-form figures: {path}")
