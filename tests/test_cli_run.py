"""`housebot run` as a person uses it: it shows decisions live and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.cli import main
from tests.helpers import REPO, environment


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, **environment(tmp_path, REPO / "config" / "housebot.toml")}
    env["PYTHONPATH"] = str(REPO)
    return env


def test_run_shows_decisions_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / ".env").touch()
    process = subprocess.Popen([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run"],
                               cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if "-> reply" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    printed = "".join(seen) + out
    assert process.returncode == 0, err
    assert "decision: " in printed and "-> reply (public) done" in printed
    assert printed.rstrip().endswith("housebot stopped cleanly.")
    assert "Traceback" not in err


def test_log_lists_decisions_with_filters_and_csv(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").touch()
    for key, value in environment(tmp_path, REPO / "config" / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    from bot.service import Service
    from bot.settings import load_settings
    from adapters.sandbox import SandboxAdapter, SandboxNetwork, load_scenario

    settings = load_settings(os.environ, tmp_path / ".env")
    account = settings.accounts[0]
    adapter = SandboxAdapter(settings.account_config(account), SandboxNetwork(), load_scenario())
    service = Service(settings, adapters={account.name: adapter})
    service.tick()
    service.close()
    capsys.readouterr()

    assert main(["--env", str(tmp_path / ".env"), "log", "--category", "abuse"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["TIME", "ACCOUNT", "AUTHOR", "CATEGORY"]
    assert len(table) > 2 and all(" abuse " in row for row in table[1:])

    assert main(["--env", str(tmp_path / ".env"), "log", "--csv", "--action", "hide"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("time,account,channel,author,category,rule,actions")
    assert len(rows) > 3
    assert "943 476 5919" not in "\n".join(rows)  # stored redacted


def test_eval_and_explain_commands(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").touch()
    for key, value in environment(tmp_path, REPO / "config" / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    labelled = tmp_path / "labelled.csv"
    labelled.write_text('text,label\n"My dad has crushing chest pain and his arm is numb",urgent_care\n'
                        '"When is the next flu clinic at Seacroft?",ordinary\n', encoding="utf-8")
    assert main(["--env", str(tmp_path / ".env"), "eval", str(labelled), "--json"]) == 0
    assert '"urgent_care"' in capsys.readouterr().out

    assert main(["--env", str(tmp_path / ".env"), "explain", "I can't breathe and my lips are turning blue"]) == 0
    explained = capsys.readouterr().out
    assert explained.startswith("category: urgent_care\ndanger tier: urgent")
    assert "x          rule danger.urgent_care: reply (public, urgent_care)" in explained
