"""`python -m bench.quality --data ../shared/data`: what the whole bot does with messages it never trained on.

One run reports, per category, recall and false alarms of the complete decision (classify, then
decide with the shipped policy), on:
- the held-out 20 % of every labelled file in `--data` (the same fixed-seed split
  `bot.moderation.train` uses, so no model ever trained or tuned on these rows);
- the project's blind set (`bench/blind/*.csv`): UK messages written from a description of each
  category by people who never saw the patterns, the models' training files or the table; never
  moved into training;
- abuse beside alt-profanity-check: OLID by 5-fold cross-validation (the abuse model retrained per
  fold, as `train.py` trains it) and Davidson's held-out part (alt-profanity-check trained on it);
- the engine's speed (`python -m bench`'s measure on the project table).

What counts, per gold label:
- safeguarding, urgent_care: *danger* means either danger category at either tier (the reply
  signposts help); *urgent* means the urgent tier (an urgent alert);
- threat: hidden (or deleted) and escalated by an urgent alert;
- every other label: the decision's category is that label.
False alarms are counted on the `ordinary` rows of each source: urgent tier, any danger, hidden,
and any category other than ordinary. `hidden` is also counted for complaint and verification rows,
which must never be hidden.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from adapters.sandbox import CAPABILITIES as SANDBOX_CAPABILITIES
from bench.__main__ import Contender, measure, table_messages
from bot.evaluate import engine_from, found_categories
from bot.model import DANGER_CATEGORIES, ActionKind, Category, DangerTier, Decision, Urgency
from bot.moderation.train import SEED, SPECS, _extra_rows, _fit, f1, read_rows, split, trained_model
from bot.pipeline import Engine, handle_text, text_context

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
BLIND = Path(__file__).resolve().parent / "blind"
CONTEXT = text_context(datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc), SANDBOX_CAPABILITIES)
# Rows of a labelled file that were trained on whole (no held-out part exists): scored otherwise.
TRAINED_WHOLE = frozenset({"abuse_olid2019_train.csv"})
HIDING = frozenset({ActionKind.HIDE, ActionKind.DELETE})
NEVER_HIDDEN = (Category.ORDINARY, Category.COMPLAINT, Category.VERIFICATION)


@dataclass(frozen=True)
class Outcome:
    """What the bot did about one message, in the terms the targets are stated in."""

    category: Category
    danger: bool
    urgent: bool
    hidden: bool
    escalated: bool

    @classmethod
    def of(cls, decision: Decision) -> "Outcome":
        return cls(
            category=decision.category,
            danger=decision.danger_tier is not DangerTier.NONE,
            urgent=decision.danger_tier is DangerTier.URGENT,
            hidden=any(a.kind in HIDING for a in decision.actions),
            escalated=any(a.kind is ActionKind.ALERT and a.urgency is Urgency.URGENT for a in decision.actions),
        )


def caught(gold: Category, outcome: Outcome) -> bool:
    """Whether the bot did what a message of this gold label needs."""
    if gold in DANGER_CATEGORIES:
        return outcome.danger
    if gold is Category.THREAT:
        return outcome.hidden and outcome.escalated
    return outcome.category is gold


@dataclass
class SourceReport:
    """Counts for one labelled source (a file's held-out part, or a blind file)."""

    name: str
    rows: int = 0
    support: Counter[str] = dataclasses.field(default_factory=Counter)
    hits: Counter[str] = dataclasses.field(default_factory=Counter)
    exact: Counter[str] = dataclasses.field(default_factory=Counter)
    urgent: Counter[str] = dataclasses.field(default_factory=Counter)
    hidden: Counter[str] = dataclasses.field(default_factory=Counter)
    danger: Counter[str] = dataclasses.field(default_factory=Counter)
    flagged: Counter[str] = dataclasses.field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = dataclasses.field(default_factory=lambda: defaultdict(Counter))

    def add(self, gold: Category, outcome: Outcome, kind: str = "") -> None:
        label = gold.value
        self.rows += 1
        self.support[label] += 1
        self.hits[label] += caught(gold, outcome)
        self.exact[label] += outcome.category is gold
        self.urgent[label] += outcome.urgent
        self.hidden[label] += outcome.hidden
        self.danger[label] += outcome.danger
        self.flagged[label] += outcome.category is not Category.ORDINARY
        if kind:
            self.by_kind[f"{label}/{kind}"]["rows"] += 1
            self.by_kind[f"{label}/{kind}"]["caught"] += caught(gold, outcome)

    def figures(self) -> dict[str, object]:
        result: dict[str, object] = {"rows": self.rows}
        for label, support in sorted(self.support.items()):
            rate = lambda counter: round(counter[label] / support, 4)  # noqa: E731 - one line per figure below
            if label == Category.ORDINARY.value:
                result[label] = {"rows": support, "urgent_rate": rate(self.urgent), "danger_rate": rate(self.danger),
                                 "hidden_rate": rate(self.hidden), "flagged_rate": rate(self.flagged)}
            else:
                entry: dict[str, object] = {"rows": support, "recall": rate(self.hits)}
                if label in (c.value for c in DANGER_CATEGORIES):
                    entry["urgent_tier"] = rate(self.urgent)
                    entry["exact_category"] = rate(self.exact)
                if label in (c.value for c in NEVER_HIDDEN):
                    entry["hidden"] = self.hidden[label]
                result[label] = entry
        if self.by_kind:
            result["by_kind"] = {kind: f"{c['caught']}/{c['rows']}" for kind, c in sorted(self.by_kind.items())}
        return result


def score(name: str, rows: Iterable[tuple[str, str, str]], engine: Engine) -> SourceReport:
    report = SourceReport(name)
    for text, label, kind in rows:
        report.add(Category(label), Outcome.of(handle_text(text, engine, CONTEXT)), kind)
    return report


def held_out_sources(data_dir: Path) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The held-out part of every labelled file in `data_dir`, as (name, [(text, label, "")])."""
    sources = []
    for path in sorted(data_dir.glob("*.csv")):
        if path.name in TRAINED_WHOLE:
            continue
        _, held = split(read_rows(path))
        sources.append((f"{path.name} (held out)", [(text, label, "") for text, label in held]))
    return sources


def blind_sources(paths: list[Path]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    sources = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [(row["text"], row["label"], row.get("kind", "")) for row in csv.DictReader(handle)]
        sources.append((f"blind: {path.name}", rows))
    return sources


def abuse_beside_peer(data_dir: Path, engine: Engine, olid_cv: bool) -> dict[str, float]:
    """Abuse macro-F1 of the whole engine and of alt-profanity-check, on OLID (CV) and Davidson (held out).
    A row counts as abuse when the decision found the abuse category (`bot.evaluate.found_categories`)."""
    from profanity_check import predict

    def engine_says_abuse(texts: list[str], trial: Engine) -> list[bool]:
        return [Category.ABUSE in found_categories(handle_text(text, trial, CONTEXT), trial) for text in texts]

    results: dict[str, float] = {}
    if olid_cv:
        from sklearn.model_selection import StratifiedKFold

        data = engine.moderation
        spec = next(s for s in SPECS if s.name == "abuse")
        rows = read_rows(data_dir / spec.file)
        texts = [text for text, _ in rows]
        gold = [label == "abuse" for _, label in rows]
        said = [False] * len(rows)
        # Each fold's model is trained as train.py trains the shipped one: the fold's OLID rows plus
        # the recipe's rows from other files (their training parts), which hold no OLID row.
        extra = _extra_rows(spec, data_dir)
        for train_index, test_index in StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(texts, gold):
            pipeline = _fit(spec, data.lexicon, [rows[i] for i in train_index], extra)
            fold = dataclasses.replace(engine, moderation=dataclasses.replace(
                data, abuse=dataclasses.replace(data.abuse, model=trained_model(spec, pipeline))))
            for i, abuse in zip(test_index, engine_says_abuse([texts[i] for i in test_index], fold)):
                said[i] = abuse
        results["olid_cv5_engine_macro_f1"] = f1(gold, said, "macro")
        results["olid_alt_profanity_check_macro_f1"] = f1(gold, [bool(p) for p in predict(texts)], "macro")
    _, held = split(read_rows(data_dir / "abuse_davidson2017.csv"))
    gold = [label == "abuse" for _, label in held]
    texts = [text for text, _ in held]
    results["davidson_heldout_engine_macro_f1"] = f1(gold, engine_says_abuse(texts, engine), "macro")
    results["davidson_heldout_alt_profanity_check_macro_f1"] = f1(gold, [bool(p) for p in predict(texts)], "macro")
    return {key: round(value, 4) for key, value in results.items()}


def speed(engine: Engine, runs: int) -> dict[str, float]:
    def step(text: str) -> Decision:
        return handle_text(text, engine, CONTEXT)

    figures = measure(Contender("housebot", step, lambda texts: [step(t) for t in texts]), table_messages(5_000), runs)
    return {"msg_per_s": round(figures.per_second), "p50_us": round(figures.p50_us, 1), "p99_us": round(figures.p99_us, 1)}


def _print(sources: list[SourceReport]) -> None:
    for report in sources:
        print(f"\n{report.name}: {report.rows} messages")
        for label, entry in report.figures().items():
            if label in ("rows", "by_kind"):
                continue
            print(f"  {label:<15} " + ", ".join(f"{key} {value}" for key, value in entry.items()))  # type: ignore[union-attr]
        for kind, figure in report.figures().get("by_kind", {}).items():  # type: ignore[union-attr]
            print(f"    {kind:<45} {figure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the folder of labelled public CSV files (../shared/data)")
    parser.add_argument("--blind", type=Path, nargs="*", default=sorted(BLIND.glob("*.csv")), help="blind CSV files (text,label,kind)")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--no-olid-cv", action="store_true", help="skip the 5-fold OLID comparison (retrains the abuse model five times)")
    parser.add_argument("--speed-runs", type=int, default=3, help="runs of the speed measure (0 skips it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    engine = engine_from(args.config.parent, args.config)
    reports = [score(name, rows, engine) for name, rows in blind_sources(args.blind) + held_out_sources(args.data)]
    results: dict[str, object] = {"sources": {r.name: r.figures() for r in reports}}
    results["abuse_vs_alt_profanity_check"] = abuse_beside_peer(args.data, engine, not args.no_olid_cv)
    if args.speed_runs:
        results["speed"] = speed(engine, args.speed_runs)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    _print(reports)
    print("\nabuse beside alt-profanity-check:", json.dumps(results["abuse_vs_alt_profanity_check"]))
    if "speed" in results:
        print("speed (classify+decide, project table, one core):", json.dumps(results["speed"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
