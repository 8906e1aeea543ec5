"""deploy/: the systemd unit passes `systemd-analyze verify`, and every command the unit, the
Dockerfile and the compose file run exists in this project. Nothing is built or installed."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS
from tests.helpers import REPO

DEPLOY = REPO / "deploy"
UNIT = DEPLOY / "housebot.service"
INSTALLED = "/opt/housebot"  # where the unit expects the checkout and its .venv


def _unit_commands() -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in UNIT.read_text(encoding="utf-8").splitlines()
            if re.match(r"ExecStart(Pre|Post)?=", line)]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _exec_form(arguments: str) -> list[str]:
    return json.loads(arguments)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified as installed: the checkout's paths put where the unit expects /opt/housebot; any
    warning (a misspelt key, a bad value, a missing program) fails the test."""
    venv = Path(sys.executable).parent.parent
    unit = UNIT.read_text(encoding="utf-8").replace(f"{INSTALLED}/.venv", str(venv)).replace(INSTALLED, str(REPO))
    (tmp_path / "housebot.service").write_text(unit, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "housebot.service")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_unit_is_hardened_runs_check_first_and_restarts_on_failure() -> None:
    settings = dict(line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines()
                    if "=" in line and not line.startswith("#"))
    assert settings["User"] == "housebot"
    assert settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict"
    assert settings["ReadWritePaths"] == "/var/lib/housebot"
    assert "Environment=HOUSEBOT_STATE=/var/lib/housebot/housebot.sqlite3" in UNIT.read_text(encoding="utf-8")
    assert settings["Restart"] == "on-failure" and settings["RestartPreventExitStatus"] == "2"
    assert [command[1:] for command in _unit_commands()] == [["check"], ["run"]]


def test_every_housebot_command_the_unit_runs_exists() -> None:
    for command in _unit_commands():
        assert command[0] == f"{INSTALLED}/.venv/bin/housebot", command
        assert command[1] in COMMANDS, command


def test_the_dockerfile_copies_what_exists_runs_housebot_commands_and_checks_healthz() -> None:
    instructions = _dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    for kind, arguments in instructions:
        if kind == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the project"
    user = [arguments for kind, arguments in instructions if kind == "USER"]
    assert user == ["housebot"]  # not root
    entrypoint = _exec_form(next(a for k, a in instructions if k == "ENTRYPOINT"))
    command = _exec_form(next(a for k, a in instructions if k == "CMD"))
    assert entrypoint == ["housebot"] and command[0] in COMMANDS
    assert "housebot = \"bot.cli:main\"" in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    healthcheck = next(a for k, a in instructions if k == "HEALTHCHECK")
    probe = _exec_form(healthcheck.split("CMD", 1)[1].strip())
    assert probe[:2] == ["python", "-c"] and "/healthz" in probe[2]
    compile(probe[2], "HEALTHCHECK", "exec")  # the probe is valid Python
    assert any(k == "VOLUME" and "/var/lib/housebot" in a for k, a in instructions)
    env = " ".join(a for k, a in instructions if k == "ENV")
    assert "HOUSEBOT_STATE=/var/lib/housebot/" in env and "HOUSEBOT_OPS_LISTEN=0.0.0.0:9464" in env


def test_the_compose_file_runs_the_bot_and_the_console_on_one_state_volume() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    commands = re.findall(r'command: \["([a-z-]+)"\]', text)
    assert commands == ["run", "console"]
    assert "state:/var/lib/housebot" in text and "dockerfile: deploy/Dockerfile" in text
    assert "run" in COMMANDS
    if "console" not in COMMANDS:
        pytest.skip("`housebot console` arrives with the staff web console (bot/web/)")


def test_the_postgresql_compose_file_runs_the_database_two_workers_and_the_console_on_one_state() -> None:
    """The scale-out layout of the README: every housebot service reads the same database URL."""
    text = (DEPLOY / "compose.postgres.yaml").read_text(encoding="utf-8")
    assert re.findall(r'command: \["([a-z-]+)"\]', text) == ["run", "console"]
    assert re.search(r"worker:\n(.*\n)*?    deploy:\n      replicas: 2\n", text)
    assert "image: postgres:15" in text and "pg_isready" in text
    assert "HOUSEBOT_STATE: postgresql://housebot:${POSTGRES_PASSWORD:?" in text
    assert text.count("<<: *housebot") == 2  # the workers and the console share the state setting
    assert "dockerfile: deploy/Dockerfile" in text
