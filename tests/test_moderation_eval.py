"""`housebot eval` and the bench's message source, on small files written here."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench.__main__ import engine_step, table_messages
from bench.table import TABLE
from bot.evaluate import engine_from, eval_command
from bot.model import Decision
from bot.pipeline import Engine
from bot.policy import load_policy
from bot.replies import TEMPLATE_NAMES

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
ENGINE = engine_from(CONFIG.parent)
TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")


def shipped() -> Engine:
    return ENGINE
ROWS = [
    ("text", "label", "source"),
    ("you absolute idiot", "abuse", "ours"),
    ("fuck off you muppet", "abuse", "ours"),
    ("what time does the clinic open?", "ordinary", "ours"),
    ("my breast screening letter has not come", "ordinary", "ours"),
    ("is the pharmacy open on Sunday", "abuse", "ours"),  # deliberately mislabelled: a miss
    ("ring me on 07911 123456", "ordinary", "ours"),  # other categories are ignored for this file
]


def _write(tmp_path: Path, rows: list[tuple[str, ...]]) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text("\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_eval_prints_scores_confusion_and_misclassified(tmp_path: Path) -> None:
    out = io.StringIO()
    assert eval_command([_write(tmp_path, ROWS)], 5, False, out, shipped) == 0
    text = out.getvalue()
    assert "6 messages" in text and "confusion" in text
    assert "[abuse -> ordinary] is the pharmacy open on Sunday" in text


def test_eval_json_scores_one_vs_rest(tmp_path: Path) -> None:
    out = io.StringIO()
    assert eval_command([_write(tmp_path, ROWS)], 0, True, out, shipped) == 0
    report = json.loads(out.getvalue())[0]
    assert report["labels"]["abuse"] == {"precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3}
    assert report["labels"]["ordinary"]["recall"] == 1.0
    assert report["confusion"]["abuse"] == {"abuse": 2, "ordinary": 1}
    assert report["misclassified"] == []


def test_eval_refuses_an_unknown_label_naming_the_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, [("text", "label"), ("hello", "ordinary"), ("hi", "rude")])
    assert eval_command([path], 0, False, io.StringIO(), shipped) == 2
    assert "label (line 3)" in capsys.readouterr().err


def test_eval_refuses_a_broken_engine_file_as_a_sentence(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "policy.toml"
    shipped_policy = (CONFIG.parent / "policy.toml").read_text(encoding="utf-8")
    broken.write_text(shipped_policy.replace("urgent_threshold = 0.7", "urgent_threshold = 2"), encoding="utf-8")

    def engine() -> Engine:
        load_policy(broken, teams=TEAMS, templates=TEMPLATE_NAMES)  # raises: the threshold is out of range
        return ENGINE

    assert eval_command([_write(tmp_path, ROWS)], 0, False, io.StringIO(), engine) == 2
    assert "danger.urgent_threshold" in capsys.readouterr().err


def test_bench_messages_vary_the_table_and_the_step_classifies_and_decides() -> None:
    messages = table_messages(500)
    assert len(messages) == 500
    assert len(set(messages)) > len(TABLE)
    step = engine_step(CONFIG)
    decisions = [step(text) for text in messages[:300]]
    assert all(isinstance(decision, Decision) and decision.rule for decision in decisions)
    assert len({decision.category for decision in decisions}) >= 8
