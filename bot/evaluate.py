"""`housebot eval FILE.csv [FILE...]`: how well the bot's decisions agree with labelled messages.

Each file has columns `text,label` (extra columns are ignored); labels are the category
vocabulary of `bot.model.Category`. Each row goes through the bot's one decision path
(`bot.pipeline.handle_text`). A message may match several categories, so each label of a file is
scored one-vs-rest: a row counts as predicted `L` when a check found category `L` (for
`safeguarding` and `urgent_care`: when either danger tier fired on that finding), and as
predicted `ordinary` when it found none of the file's other labels. Categories a file does not
label are ignored for it (an abuse file says nothing about complaints). The confusion table and
the misclassified examples use, per row, the highest-priority found category among the file's
labels. Shown texts are redacted of private details.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from adapters import reply_limits
from adapters.sandbox import CAPABILITIES as SANDBOX_CAPABILITIES
from bot.errors import ConfigError
from bot.model import CATEGORY_PRIORITY, DANGER_CATEGORIES, Category, DangerTier, Decision
from bot.moderation import private_spans
from bot.moderation.privacy import redact_spans
from bot.pipeline import Engine, handle_text, load_engine, text_context
from bot.policy import primary_category

SHOWN_TEXT_CHARS = 140


@dataclass
class LabelScore:
    label: str
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    support: int = 0

    @property
    def precision(self) -> float:
        predicted = self.true_positive + self.false_positive
        return self.true_positive / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class FileReport:
    path: str
    rows: int = 0
    labels: list[str] = field(default_factory=list)
    scores: dict[str, LabelScore] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    misclassified: list[dict[str, str]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores) if self.scores else 0.0

    @property
    def weighted_f1(self) -> float:
        total = sum(s.support for s in self.scores.values())
        return sum(s.f1 * s.support for s in self.scores.values()) / total if total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.path,
            "rows": self.rows,
            "macro_f1": round(self.macro_f1, 4),
            "weighted_f1": round(self.weighted_f1, 4),
            "labels": {
                s.label: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4), "support": s.support}
                for s in self.scores.values()
            },
            "confusion": self.confusion,
            "misclassified": self.misclassified,
        }


def read_labelled(path: Path) -> list[tuple[str, Category]]:
    """The (text, label) rows of one file; a missing column, an unknown label or no rows at all is a
    ConfigError. Spreadsheets save CSV in several encodings: UTF-8 with or without a BOM (Excel's
    "CSV UTF-8"), UTF-16 with a BOM (Excel's "Unicode text", tab-separated) and Windows-1252."""
    known = {c.value: c for c in Category}
    try:
        text = _decoded(path.read_bytes())
    except OSError as error:
        raise ConfigError(path, "(file)", f"cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "is not text in UTF-8, UTF-16 or Windows-1252") from None
    if not text.strip():
        raise ConfigError(path, "(file)", "is empty")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        fields = [name.strip() for name in reader.fieldnames or ()]
        if "text" not in fields or "label" not in fields:
            raise ConfigError(path, "(header)", "needs the columns text,label")
        reader.fieldnames = fields
        rows = []
        for line, row in enumerate(reader, start=2):
            label = (row.get("label") or "").strip()
            if label not in known:
                raise ConfigError(path, f"label (line {line})", f"{label!r} is not one of {', '.join(known)}")
            rows.append((row.get("text") or "", known[label]))
    except csv.Error as error:
        raise ConfigError(path, "(file)", f"is not CSV: {error}") from None
    if not rows:
        raise ConfigError(path, "(file)", "has no labelled rows")
    return rows


def _decoded(data: bytes) -> str:
    """A BOM says which encoding; without one, UTF-8 unless the bytes cannot be (then Windows-1252)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")



def engine_from(config_dir: Path, moderation_dir: Path | None = None) -> Engine:
    """The engine of a config folder as shipped (policy.toml, moderation/, the teams of housebot.toml)
    with responses/ beside it, for the tools that run without a settings file (training, benches)."""
    teams = tomllib.loads((config_dir / "housebot.toml").read_text(encoding="utf-8")).get("teams", {})
    return load_engine(config_dir / "policy.toml", moderation_dir or config_dir / "moderation",
                       config_dir.parent / "responses", teams=teams, limits=reply_limits())


def found_categories(decision: Decision, engine: Engine) -> set[Category]:
    """The categories a decision counts as found: every check's category, a danger one only when a
    danger tier fired on it (the platform's notes about what it cannot do are not findings)."""
    support = engine.policy.danger.support
    return {
        f.category for f in decision.findings
        if f.check != "platform.capability"
        and (f.category not in DANGER_CATEGORIES or (decision.danger_tier is not DangerTier.NONE and f.score >= support))
    }


def found_primary_category(decision: Decision, engine: Engine) -> Category:
    """The primary category among the found categories (see `found_categories`): what the checks
    said, before a rule's minimum score sends a weak finding back to ordinary."""
    found = found_categories(decision, engine)
    return primary_category(tuple(f for f in decision.findings if f.category in found and f.check != "platform.capability"),
                            engine.policy.sure_advert)


def evaluate_file(path: Path, rows: list[tuple[str, Category]], engine: Engine, show: int, now: datetime) -> FileReport:
    labels = [c for c in CATEGORY_PRIORITY if any(label is c for _, label in rows)]
    if Category.ORDINARY not in labels:
        labels.append(Category.ORDINARY)
    report = FileReport(str(path), len(rows), [c.value for c in labels], {c.value: LabelScore(c.value) for c in labels})
    report.confusion = {gold.value: {predicted.value: 0 for predicted in labels} for gold in labels}
    context = text_context(now, SANDBOX_CAPABILITIES)
    for text, gold in rows:
        decision = handle_text(text, engine, context)
        found = found_categories(decision, engine) & set(labels)
        found.discard(Category.ORDINARY)
        predicted_set = found or {Category.ORDINARY}
        for label in labels:
            score = report.scores[label.value]
            hit = label in predicted_set
            score.support += label is gold
            score.true_positive += hit and label is gold
            score.false_positive += hit and label is not gold
            score.false_negative += (not hit) and label is gold
        predicted = next(c for c in CATEGORY_PRIORITY if c in predicted_set)
        report.confusion[gold.value][predicted.value] += 1
        if predicted is not gold and len(report.misclassified) < show:
            shown = redact_spans(text, private_spans(text, engine.moderation)).replace("\n", " ")[:SHOWN_TEXT_CHARS]
            checks = "; ".join(f"{f.check}={f.score:.2f}" for f in decision.findings)
            if decision.danger_tier is not DangerTier.NONE:
                checks = f"danger tier {decision.danger_tier.value}; {checks}"
            report.misclassified.append({"label": gold.value, "predicted": predicted.value, "checks": checks, "text": shown})
    return report


def _print_report(report: FileReport, out: TextIO) -> None:
    out.write(f"\n{report.path}: {report.rows} messages, macro-F1 {report.macro_f1:.3f}, weighted F1 {report.weighted_f1:.3f}\n")
    out.write(f"  {'label':<16}{'precision':>10}{'recall':>10}{'F1':>8}{'support':>9}\n")
    for score in report.scores.values():
        out.write(f"  {score.label:<16}{score.precision:>10.3f}{score.recall:>10.3f}{score.f1:>8.3f}{score.support:>9}\n")
    width = max(len(label) for label in report.labels) + 2
    out.write("  confusion (rows: label, columns: predicted)\n")
    out.write("  " + " " * width + "".join(f"{label:>{width}}" for label in report.labels) + "\n")
    for gold, row in report.confusion.items():
        out.write(f"  {gold:<{width}}" + "".join(f"{row[label]:>{width}}" for label in report.labels) + "\n")
    if report.misclassified:
        out.write(f"  misclassified (first {len(report.misclassified)}):\n")
        for item in report.misclassified:
            out.write(f"    [{item['label']} -> {item['predicted']}] {item['text']}  ({item['checks'] or 'no findings'})\n")


def eval_command(paths: list[Path], show: int, as_json: bool, out: TextIO, engine_loader: Callable[[], Engine]) -> int:
    """Score the decisions on each labelled file; 0 when all were read, 2 when a file or setting is wrong."""
    try:
        engine = engine_loader()
        files = [(path, read_labelled(path)) for path in paths]
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc)
    reports = [evaluate_file(path, rows, engine, show, now) for path, rows in files]
    if as_json:
        json.dump([r.as_dict() for r in reports], out, indent=2)
        out.write("\n")
    else:
        for report in reports:
            _print_report(report, out)
    return 0
