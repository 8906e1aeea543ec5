"""PostgreSQL in the tests: one throw-away cluster per session (`bench.pgcluster.PostgresCluster`,
shared with the scale benchmark), a fresh database per test.

Without the binaries the PostgreSQL tests are skipped with one line, except under CI=true, where
the run fails: CI must never go green without having run them (`.ci/run` installs Debian's
postgresql). `HOUSEBOT_PG_BIN` names the folder of the binaries (an empty or missing folder: none).
"""

from __future__ import annotations

import os

import pytest

from bench.pgcluster import PostgresCluster, postgres_bin_dir

__all__ = ["CI_FAILURE", "SKIP_REASON", "PostgresCluster", "postgres_bin_dir", "skip_or_fail_without_postgres"]

SKIP_REASON = "PostgreSQL tests skipped: no initdb/pg_ctl found (apt-get install postgresql, or set HOUSEBOT_PG_BIN)"
CI_FAILURE = "CI=true but no PostgreSQL was found: the PostgreSQL tests must run in CI (.ci/run installs postgresql)"


def skip_or_fail_without_postgres() -> None:
    """Called where a PostgreSQL test needs the cluster: one skip reason for all of them, or a CI failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(CI_FAILURE, pytrace=False)
    pytest.skip(SKIP_REASON)
