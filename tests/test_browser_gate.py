"""Without a Chromium the browser tests are skipped with one line, except under CI=true, where the
run fails: CI must never go green without having driven the console in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import REPO

BROWSER_TESTS = "tests/browser/test_console_browser.py"


def _run_without_a_browser(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOUSEBOT_CHROMIUM": "/nonexistent/chromium", "CI": ci}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", BROWSER_TESTS],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_without_a_browser_they_are_skipped_with_one_line() -> None:
    result = _run_without_a_browser("")
    assert result.returncode == 5, result.stdout + result.stderr  # run alone: nothing else was collected
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1 and "browser tests skipped: no Chromium found" in skipped[0]


def test_under_ci_a_missing_browser_fails_the_run() -> None:
    result = _run_without_a_browser("true")
    assert result.returncode != 0
    assert "CI=true but no Chromium was found" in result.stdout
