"""`python -m bench.quality --data ../shared/data`: abuse macro-F1 of the whole engine vs alt-profanity-check.

OLID: 5-fold cross-validation with the training script's seed; in each fold the abuse model is
retrained on the other four folds (exactly as `bot.moderation.train` trains it) and the whole
classify step, word lists included, judges the held-out fold; alt-profanity-check judges the same
rows. A row counts as abuse when the bot's decision (`bot.pipeline.handle_text`) found the abuse category. Davidson: the shipped model
(trained on OLID only) against alt-profanity-check, whose own training data included Davidson.
Needs scikit-learn and alt-profanity-check (the `bench` extra).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

from adapters.sandbox import CAPABILITIES as SANDBOX_CAPABILITIES
from bot.evaluate import engine_from, found_categories
from bot.model import Category
from bot.moderation.train import SEED, SPECS, _pipeline, f1, read_rows, trained_model
from bot.pipeline import Engine, handle_text, text_context

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = text_context(datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc), SANDBOX_CAPABILITIES)


def _engine_says_abuse(texts: list[str], engine: Engine) -> list[bool]:
    return [Category.ABUSE in found_categories(handle_text(text, engine, CONTEXT), engine) for text in texts]


def main(argv: list[str] | None = None) -> int:
    from profanity_check import predict
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    engine = engine_from(args.config.parent, args.config)
    data = engine.moderation
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
        fold_engine = dataclasses.replace(engine, moderation=fold_data)
        for i, said in zip(test_index, _engine_says_abuse([texts[i] for i in test_index], fold_engine)):
            engine[i] = said
    results = {
        "olid_cv5_engine_macro_f1": f1(gold, engine, "macro"),
        "olid_alt_profanity_check_macro_f1": f1(gold, [bool(p) for p in predict(texts)], "macro"),
    }
    other = read_rows(args.data / "abuse_davidson2017.csv")
    other_gold = [label == "abuse" for _, label in other]
    results["davidson_engine_macro_f1"] = f1(other_gold, _engine_says_abuse([t for t, _ in other], engine), "macro")
    results["davidson_alt_profanity_check_macro_f1"] = f1(other_gold, [bool(p) for p in predict([t for t, _ in other])], "macro")
    print(json.dumps({key: round(value, 4) for key, value in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
