"""`python -m bench.quality --data ../shared/data`: abuse macro-F1 of the whole engine vs alt-profanity-check.

OLID: 5-fold cross-validation with the training script's seed; in each fold the abuse model is
retrained on the other four folds (exactly as `bot.moderation.train` trains it) and the whole
classify step, word lists included, judges the held-out fold; alt-profanity-check judges the same
rows. A row counts as abuse when classify finds the abuse category. Davidson: the shipped model
(trained on OLID only) against alt-profanity-check, whose own training data included Davidson.
Needs scikit-learn and alt-profanity-check (the `bench` extra).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

from bot.model import Category, ClassifyContext
from bot.moderation import classify, load_moderation_data
from bot.moderation.data import ModerationData
from bot.moderation.train import SEED, SPECS, _pipeline, f1, read_rows, trained_model

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc))


def _engine_says_abuse(texts: list[str], data: ModerationData) -> list[bool]:
    return [any(f.category is Category.ABUSE for f in classify(text, CONTEXT, data)) for text in texts]


def main(argv: list[str] | None = None) -> int:
    from profanity_check import predict
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    data = load_moderation_data(args.config)
    spec = next(s for s in SPECS if s.name == "abuse")
    rows = read_rows(args.data / spec.file)
    texts = [text for text, _ in rows]
    gold = [label == "abuse" for _, label in rows]
    engine = [False] * len(rows)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for train_index, test_index in folds.split(texts, gold):
        pipeline = _pipeline(data.lexicon)
        pipeline.fit([texts[i] for i in train_index], [gold[i] for i in train_index])
        fold_data = dataclasses.replace(data, abuse=dataclasses.replace(data.abuse, model=trained_model(spec, pipeline)))
        for i, said in zip(test_index, _engine_says_abuse([texts[i] for i in test_index], fold_data)):
            engine[i] = said
    results = {
        "olid_cv5_engine_macro_f1": f1(gold, engine, "macro"),
        "olid_alt_profanity_check_macro_f1": f1(gold, [bool(p) for p in predict(texts)], "macro"),
    }
    other = read_rows(args.data / "abuse_davidson2017.csv")
    other_gold = [label == "abuse" for _, label in other]
    results["davidson_engine_macro_f1"] = f1(other_gold, _engine_says_abuse([t for t, _ in other], data), "macro")
    results["davidson_alt_profanity_check_macro_f1"] = f1(other_gold, [bool(p) for p in predict([t for t, _ in other])], "macro")
    print(json.dumps({key: round(value, 4) for key, value in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
