"""`python -m bench.spam_sources --data ../shared/data`: spam F1 of the whole engine per source, and on a source never trained on.

For each public spam source, and each independent writer's file: the shipped engine's spam F1 on the source's held-out part (the
training script's split), then leave-one-source-out: the spam model retrained exactly as
`bot.moderation.train` trains it but without any row of that source, put into the shipped engine
at the shipped thresholds, scored on the same held-out part. That second figure is the honest one
for "F1 on a source it never trained on"; `UNSEEN` sources are never trained on at all. A row counts as spam when spam is the primary category.
Also the project's own held-out parts: how many ordinary or complaint messages would be hidden.
Needs scikit-learn (the `bench` extra).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

from adapters.sandbox import CAPABILITIES as SANDBOX_CAPABILITIES
from bot.evaluate import engine_from
from bot.model import Category
from bot.moderation.lexicon import load_lexicon
from bot.pipeline import Engine, handle_text, text_context
from bot.moderation.train import (PROJECT_FILE, SPECS, TRAIN5_SPAM_FILE, TRAIN6_SPAM_FILE, TRAIN7_SPAM_FILE, TRAIN8_SPAM_FILE,
                                  TRAIN9_SPAM_FILE, TRAIN10_SPAM_FILE, TRAIN11_SPAM_FILE, _engine_with, _extra_rows, _fit, read_rows, split, trained_model)

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = text_context(datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc), SANDBOX_CAPABILITIES)
# A public spam source the model never trains on: its labels are per account (an account's news
# headlines count as spam), and training on it taught the model that news is spam (a third of
# CONSTRAINT's real-news held-out part went to spam). Scored as a source never trained on.
UNSEEN = (Path("spam_twitter_rahul.csv"),)
# The independent writers' files, each written in the house styles of other sources: left out in turn
# like a public source, they are a third kind of source never trained on (round 7).
WRITERS = (TRAIN5_SPAM_FILE, TRAIN6_SPAM_FILE, TRAIN7_SPAM_FILE, TRAIN8_SPAM_FILE, TRAIN9_SPAM_FILE, TRAIN10_SPAM_FILE,
           TRAIN11_SPAM_FILE)
# The categories the shipped policy hides.
HIDDEN = frozenset({Category.THREAT, Category.ABUSE, Category.SPAM, Category.OVERSHARING})


def category(text: str, engine: Engine) -> Category:
    return handle_text(text, engine, CONTEXT).category


def spam_f1(rows: list[tuple[str, str]], engine: Engine) -> dict[str, float]:
    gold = [label == "spam" for _, label in rows]
    said = [category(text, engine) is Category.SPAM for text, _ in rows]
    hits = sum(g and s for g, s in zip(gold, said))
    precision, recall = hits / max(1, sum(said)), hits / max(1, sum(gold))
    return {"f1": round(2 * hits / max(1, sum(gold) + sum(said)), 3), "precision": round(precision, 3), "recall": round(recall, 3), "rows": len(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spam_sources", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    shipped = engine_from(args.config.parent, args.config)
    data = shipped.moderation
    lexicon = load_lexicon(args.config)
    spec = next(spec for spec in SPECS if spec.name == "spam")
    trained = [Path(spec.file), *spec.also]
    sources = [file for file in trained if not file.is_absolute()] + [file for file in WRITERS if file in trained]
    report: dict[str, object] = {}
    for source in sources:
        _, held = split(read_rows(args.data / source))
        rest = [file for file in trained if file != source]
        without = dataclasses.replace(spec, file=str(rest[0]), also=tuple(rest[1:]))
        train, _ = split(read_rows(args.data / without.file))
        model = trained_model(without, _fit(without, lexicon, train, _extra_rows(without, args.data)))
        engine = dataclasses.replace(shipped, moderation=_engine_with(data, without, model, (data.spam.model_threshold, None)))
        report[source.name] = {"shipped": spam_f1(held, shipped), "never_trained_on": spam_f1(held, engine)}
        print(source.name, report[source.name], flush=True)
    for source in UNSEEN:
        _, held = split(read_rows(args.data / source))
        report[source.name] = {"never_trained_on": spam_f1(held, shipped)}
        print(source.name, report[source.name], flush=True)
    for own in (PROJECT_FILE, *(f for f in spec.also if f.is_absolute())):
        _, held = split(read_rows(own))
        kept = [text for text, label in held if label in ("ordinary", "complaint")]
        said = [category(text, shipped) for text in kept]
        hidden = [c for c in said if c in HIDDEN]
        spam = [c for c in said if c is Category.SPAM]
        report[own.name] = {"ordinary_or_complaint": len(kept), "hidden": len(hidden), "spam": len(spam), "spam_f1": spam_f1(held, shipped)}
        print(own.name, report[own.name], flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
