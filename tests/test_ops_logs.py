"""HOUSEBOT_LOG_FORMAT=json: one JSON object per line, the key=value lines' fields, UTC times with
their zone, and secrets and private details scrubbed by the same filter as the text lines."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.console import SecretScrubber
from bot.errors import ConfigError
from bot.ops.logs import JsonLines, message_fields
from tests.helpers import ALWAYS_OPEN, LONDON, REPO, Clock, environment, sandbox_service, write_settings

SECRET = "supersecret-token-123"


def _json_logger(tmp_path: Path) -> tuple[logging.Logger, io.StringIO]:
    """A logger wired as `housebot run` wires it: the service's scrubber on the handler, then JSON."""
    service, _, _ = sandbox_service(write_settings(tmp_path, ALWAYS_OPEN), Clock(datetime(2026, 7, 1, tzinfo=LONDON)))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(SecretScrubber([SECRET], service._redact))
    logger = logging.getLogger(f"housebot.test_json.{tmp_path.name}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    service.close()
    return logger, stream


def test_each_event_is_one_json_object_with_the_key_value_fields_and_a_utc_time(tmp_path: Path) -> None:
    logger, stream = _json_logger(tmp_path)
    logger.warning("account=%s stream=%s event=unavailable failures=%d retry_in=%s detail=%r", "leeds-x", "mentions",
                   2, "0:00:15", "it's down\nsecond line")
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"].startswith("housebot.test_json")
    assert (record["account"], record["stream"], record["event"], record["failures"], record["retry_in"]) == \
        ("leeds-x", "mentions", "unavailable", "2", "0:00:15")
    moment = datetime.fromisoformat(record["time"])
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
    assert record["time"].endswith("+00:00")


def test_secrets_private_details_and_tracebacks_are_scrubbed_as_in_the_text_lines(tmp_path: Path) -> None:
    logger, stream = _json_logger(tmp_path)
    try:
        raise RuntimeError(f"GET https://graph.example/me?access_token={SECRET} said: call me on 07700 900123")
    except RuntimeError:
        logger.exception("account=demo event=unexpected_error detail=%r", "jane.brown@example.com wrote")
    [line] = stream.getvalue().splitlines()  # the traceback is inside the one object
    record = json.loads(line)
    assert "Traceback" in record["message"] and "RuntimeError" in record["message"]
    for private in (SECRET, "07700 900123", "jane.brown@example.com"):
        assert private not in line
    assert record["event"] == "unexpected_error"


@pytest.mark.parametrize(("line", "fields"), [
    ("account=x event=fetched new=3", {"account": "x", "event": "fetched", "new": "3"}),
    ("event=paused reason=auth_failed detail='bad token'", {"event": "paused", "reason": "auth_failed", "detail": "bad token"}),
    ('event=x detail="a \\"quoted\\" word"', {"event": "x", "detail": 'a \\"quoted\\" word'}),
    ("event=x time=now", {"event": "x", "time": "now"}),
    ("no fields here", {}),
    ("event=a event=b", {"event": "a"}),
])
def test_the_fields_are_read_from_the_message_like_the_text_lines_show_them(line: str, fields: dict[str, str]) -> None:
    assert message_fields(line) == fields


def test_a_long_hostile_message_is_read_in_linear_time() -> None:
    hostile = "a=" + "'" + "\\'" * 50_000 + " b=" + "x" * 100_000
    assert "a" in message_fields(hostile)


def test_housebot_run_writes_json_lines_with_the_same_fields_as_the_text_lines(tmp_path: Path) -> None:
    def run(log_format: str) -> list[str]:
        folder = tmp_path / log_format
        folder.mkdir()
        (folder / ".env").touch()
        env = {**os.environ, **environment(folder, REPO / "config" / "housebot.toml"), "PYTHONPATH": str(REPO),
               "HOUSEBOT_LOG_FORMAT": log_format, "HOUSEBOT_LOG_LEVEL": "INFO"}
        result = subprocess.run([sys.executable, "-m", "bot", "--env", str(folder / ".env"), "run", "--once"],
                                cwd=folder, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stderr.splitlines()

    text_lines, json_lines = run("text"), run("json")
    records = [json.loads(line) for line in json_lines]  # every line is one object
    assert records and all(datetime.fromisoformat(r["time"]).utcoffset().total_seconds() == 0 for r in records)
    text_fields = [message_fields(line.split(" ", 4)[4]) for line in text_lines if " housebot" in line]
    json_fields = [{k: v for k, v in r.items() if k not in ("time", "level", "logger", "message")}
                   for r in records if r["logger"].startswith("housebot")]
    assert [sorted(f) for f in text_fields] == [sorted(f) for f in json_fields]
    assert any(f.get("event") == "fetched" for f in json_fields)
    assert re.search(r"[+-]\d{4}$", text_lines[0].split(" ")[1])  # the text lines' local time names its offset


def test_an_unknown_log_format_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        write_settings(tmp_path, ALWAYS_OPEN, {"HOUSEBOT_LOG_FORMAT": "xml"})
    assert raised.value.key == "HOUSEBOT_LOG_FORMAT" and "text, json" in raised.value.problem
