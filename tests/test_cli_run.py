"""`housebot run` as a person uses it: it shows decisions live and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import random
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


def _start_run(tmp_path: Path) -> subprocess.Popen[str]:
    """A real `housebot run` on the sandbox, returned once it says it is running."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / ".env").touch()
    process = subprocess.Popen([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run"],
                               cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("housebot is running"), first + (process.stderr.read() if process.poll() else "")
    return process


def test_a_second_run_on_the_same_state_refuses_to_start_and_names_the_first(tmp_path: Path) -> None:
    first = _start_run(tmp_path)
    try:
        second = subprocess.run([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run", "--once"],
                                cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"housebot: another housebot (pid {first.pid}) is already running on "
            f"{tmp_path / 'state' / 'housebot.sqlite3'}; stop it first, or give this one its own HOUSEBOT_STATE"]
    finally:
        first.kill()  # kill -9: the OS releases the lock
        first.communicate(timeout=30)
    again = subprocess.run([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run", "--once"],
                           cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr


def test_sigterm_at_any_moment_stops_cleanly_with_exit_0(tmp_path: Path) -> None:
    """What systemd does: SIGTERM, sometimes twice, at random moments while steps run."""
    chooser = random.Random(12)
    for run in range(15):
        process = _start_run(tmp_path / f"run{run}")
        time.sleep(chooser.uniform(0.0, 1.5))  # a random moment: the point of this test is real timing
        for _ in range(chooser.choice((1, 1, 2, 3))):
            process.send_signal(signal.SIGTERM)
            time.sleep(chooser.uniform(0.0, 0.05))
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, (run, err)
        assert "Traceback" not in err and "Error" not in err, (run, err)
        assert out.rstrip().endswith("housebot stopped cleanly."), (run, out)


def test_a_stop_signal_only_sets_the_flag_run_waits_on_and_never_raises() -> None:
    """A KeyboardInterrupt raised by the handler could land inside APScheduler's job submission,
    which caught and logged it: the stop was lost and further signals were ignored."""
    from bot.service import STOP_REQUESTED, stop_like_ctrl_c

    STOP_REQUESTED.clear()
    try:
        for _ in range(3):  # systemd may send SIGTERM more than once
            stop_like_ctrl_c(signal.SIGTERM, None)
        assert STOP_REQUESTED.is_set()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN  # a later signal still counts
    finally:
        STOP_REQUESTED.clear()
