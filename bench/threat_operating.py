"""`python -m bench.threat_operating --data ../shared/data`: choose the threat check's operating point on validation rows.

A threat is hidden and escalated, so its bar is chosen by what it costs in messages wrongly hidden
as much as by what it catches. Measured here on validation rows only: 20 % of the training part of
ETHOS and of every project file the threat model trains on (the same seed as
`bot.moderation.train`), with a probe threat model trained without them, in the whole engine
(every other check and rule as shipped). Also counted: ordinary rows of the Rahul and Janitr
training parts, sets the threat model never trains on, hidden as threats; and the danger rows
(safeguarding, urgent care) of the project danger files' validation parts, which must never be
hidden (the threat model never trains on them). The held-out 20 % is read only with `--held-out`,
to report after choosing.

For each threshold triple (beside a word of violence / beside a person or place named / naming
nobody) it prints threats hidden and escalated (by the writers' `kind` where a file has one),
near misses, complaints, verification and danger rows hidden, and public ordinary rows called
threat; then, at the shipped triple, the same for each bar from which a threat stays hidden in
the danger support tier (policy.toml `threat_hidden_from`).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from collections import Counter
from pathlib import Path

from bench.quality import CONTEXT, Outcome, caught
from bot.evaluate import engine_from
from bot.model import DANGER_CATEGORIES, Category
from bot.moderation.train import (DANGER_PROJECT_FILES, HOLDOUT_FRACTION, SEED, SPECS, _extra_rows, _fit, own_validation, read_rows, split,
                                  trained_model)
from bot.pipeline import Engine, handle_text

CONFIG = Path(__file__).resolve().parents[1] / "config"
PUBLIC_ORDINARY = ("spam_twitter_rahul.csv", "spam_scam_janitr_train.csv")
PUBLIC_ROWS_EACH = 800
# (beside a word of violence, beside a person or place named, naming nobody)
# Bars from which a threat stays hidden in the danger support tier (policy.toml `threat_hidden_from`).
SUPPORT_BARS = (0.9, 0.8, 0.7, 0.6)
TRIPLES = ((0.6, 0.6, 0.85), (0.6, 0.65, 0.85), (0.6, 0.7, 0.85), (0.5, 0.5, 0.85), (0.5, 0.6, 0.85), (0.45, 0.5, 0.85), (0.7, 0.7, 0.9))


def _kinds(path: Path) -> dict[str, str]:
    """text -> the writer's `kind` for a file that has one."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["text"]: row.get("kind", "") or "" for row in csv.DictReader(handle)}


def validation_and_probe(data_dir: Path, engine: Engine) -> tuple[list[tuple[str, str, str]], Engine]:
    """The validation rows (text, label, kind) and the engine with a threat model trained without them."""
    from sklearn.model_selection import train_test_split

    spec = next(s for s in SPECS if s.name == "threat")
    train, _ = split(read_rows(data_dir / spec.file))
    fit_rows, carved = train_test_split(train, test_size=HOLDOUT_FRACTION, random_state=SEED, stratify=[label for _, label in train])
    validation = list(carved)
    probe = _fit(spec, engine.moderation.lexicon, list(fit_rows), _extra_rows(spec, data_dir, validation))
    kinds: dict[str, str] = {}
    for path in spec.also:
        kinds.update(_kinds(path if path.is_absolute() else data_dir / path))
    rows = [(text, label, kinds.get(text, "")) for text, label in validation]
    model = trained_model(spec, probe)
    moderation = dataclasses.replace(engine.moderation, threat_signals=dataclasses.replace(engine.moderation.threat_signals, model=model))
    return rows, dataclasses.replace(engine, moderation=moderation)


def held_out_rows(data_dir: Path) -> list[tuple[str, str, str]]:
    """The held-out 20 % of ETHOS and of every project threat file: read only to report, after choosing."""
    spec = next(s for s in SPECS if s.name == "threat")
    rows: list[tuple[str, str, str]] = []
    for path in (Path(spec.file), *spec.also):
        full = path if path.is_absolute() else data_dir / path
        kinds = _kinds(full)
        rows.extend((text, label, kinds.get(text, "")) for text, label in split(read_rows(full))[1])
    return rows


def public_ordinary(data_dir: Path) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name in PUBLIC_ORDINARY:
        train, _ = split(read_rows(data_dir / name))
        ordinary = [text for text, label in train if label == "ordinary"][:PUBLIC_ROWS_EACH]
        rows.extend((text, "public_ordinary", "") for text in ordinary)
    return rows


def danger_rows() -> list[tuple[str, str, str]]:
    """The safeguarding and urgent-care rows of every project danger file's validation part: never to be hidden."""
    rows: list[tuple[str, str, str]] = []
    for path in DANGER_PROJECT_FILES:
        carved = own_validation(path)
        rows.extend((text, label, "") for text, label in split(read_rows(path))[0] if text in carved and Category(label) in DANGER_CATEGORIES)
    return rows


def with_support_bar(engine: Engine, bar: float) -> Engine:
    """The engine with threats hidden in the danger support tier from `bar`."""
    danger = dataclasses.replace(engine.policy.danger, threat_hidden_from=bar)
    return dataclasses.replace(engine, policy=dataclasses.replace(engine.policy, danger=danger))


def with_thresholds(engine: Engine, triple: tuple[float, float, float]) -> Engine:
    signals = dataclasses.replace(engine.moderation.threat_signals, model_threshold=triple[0], model_aimed_threshold=triple[1],
                                  model_alone_threshold=triple[2])
    return dataclasses.replace(engine, moderation=dataclasses.replace(engine.moderation, threat_signals=signals))


def figures(rows: list[tuple[str, str, str]], engine: Engine) -> dict[str, str]:
    """Threats caught (all, and per kind), near misses and complaints hidden, public ordinary called threat."""
    support: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for text, label, kind in rows:
        decision = handle_text(text, engine, CONTEXT)
        outcome = Outcome.of(decision)
        if label == "public_ordinary":
            support["public ordinary"] += 1
            hits["public ordinary"] += decision.category is Category.THREAT
            continue
        gold = Category(label)
        if gold in DANGER_CATEGORIES:
            support["danger hidden"] += 1
            hits["danger hidden"] += outcome.hidden
            continue
        if gold is Category.THREAT:
            support["threat"] += 1
            hits["threat"] += caught(gold, outcome)
            if kind:
                support[f"threat/{kind}"] += 1
                hits[f"threat/{kind}"] += caught(gold, outcome)
        elif gold in (Category.ORDINARY, Category.COMPLAINT, Category.VERIFICATION):
            support[f"{label} hidden"] += 1
            hits[f"{label} hidden"] += outcome.hidden
            support[f"{label} called threat"] += 1
            hits[f"{label} called threat"] += decision.category is Category.THREAT
    return {key: f"{hits[key]}/{support[key]}" for key in sorted(support)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="directory holding the labelled CSV files")
    parser.add_argument("--held-out", action="store_true", help="also report the shipped engine on the held-out parts (after choosing)")
    args = parser.parse_args(argv)
    engine = engine_from(CONFIG)
    rows, probe_engine = validation_and_probe(args.data, engine)
    seen = {text for text, _, _ in rows}
    rows += public_ordinary(args.data) + [row for row in danger_rows() if row[0] not in seen]
    for triple in TRIPLES:
        print("validation", "/".join(map(str, triple)), figures(rows, with_thresholds(probe_engine, triple)))
    for bar in SUPPORT_BARS:
        print("validation, hidden in the support tier from", bar, figures(rows, with_support_bar(probe_engine, bar)))
    if args.held_out:
        print("held out, shipped engine", figures(held_out_rows(args.data), engine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
