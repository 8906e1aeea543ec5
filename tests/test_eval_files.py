"""`housebot eval` reads the files spreadsheets write and refuses what it cannot score; commands that
need no account work from any folder (issue 13, item 11)."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.evaluate import read_labelled
from bot.model import Category
from tests.helpers import REPO

ROWS = "text,label\nCafé opens when?,ordinary\nYou absolute idiot,abuse\n"
EXPECTED = [("Café opens when?", Category.ORDINARY), ("You absolute idiot", Category.ABUSE)]


@pytest.mark.parametrize("data", [
    pytest.param(ROWS.encode("utf-8"), id="utf-8"),
    pytest.param(codecs.BOM_UTF8 + ROWS.replace("\n", "\r\n").encode("utf-8"), id="excel-csv-utf-8-with-bom"),
    pytest.param(ROWS.encode("cp1252"), id="windows-1252"),
    pytest.param(ROWS.replace(",", "\t").encode("utf-16"), id="excel-unicode-text-utf-16"),
])
def test_the_encodings_spreadsheets_write_are_read(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "labelled.csv"
    path.write_bytes(data)
    assert read_labelled(path) == EXPECTED


@pytest.mark.parametrize("data, problem", [
    (b"", "is empty"),
    (b"text,label\n", "has no labelled rows"),
    (b"words,kind\nhello,ordinary\n", "needs the columns text,label"),
])
def test_a_file_with_nothing_to_score_is_an_error(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "labelled.csv"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=problem):
        read_labelled(path)


def _housebot(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOUSEBOT_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)


def test_eval_and_explain_work_outside_the_project_folder(tmp_path: Path) -> None:
    (tmp_path / "labelled.csv").write_text(ROWS, encoding="utf-8")
    scored = _housebot(tmp_path, "eval", "labelled.csv")
    assert scored.returncode == 0, scored.stderr
    assert "2 messages" in scored.stdout
    explained = _housebot(tmp_path, "explain", "What time do you open on Saturday?")
    assert explained.returncode == 0, explained.stderr
    assert "category: " in explained.stdout
    empty = tmp_path / "empty.csv"
    empty.touch()
    refused = _housebot(tmp_path, "eval", "empty.csv")
    assert refused.returncode == 2 and "is empty" in refused.stderr and "Traceback" not in refused.stderr
