"""The pure core (model, moderation, policy, pipeline, replies) loads no I/O: no settings, store,
SQLite, dotenv, scheduler, adapter or platform client library. Checked in a fresh interpreter, so
what other tests imported cannot hide an import."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO

CORE = ("bot.model", "bot.moderation", "bot.policy", "bot.pipeline", "bot.replies")
FORBIDDEN_PACKAGES = ("sqlite3", "_sqlite3", "dotenv", "apscheduler", "adapters", "tweepy", "pyfacebook", "instagrapi",
                      "requests")
FORBIDDEN_MODULES = ("bot.settings", "bot.store", "bot.service", "bot.cli")


def test_importing_the_core_loads_no_io_module() -> None:
    script = (f"import json, sys\nimport {', '.join(CORE)}\n"
              "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    leaked = [name for name in loaded if name.split(".")[0] in FORBIDDEN_PACKAGES or name in FORBIDDEN_MODULES]
    assert leaked == []
    assert set(CORE) <= set(loaded)
