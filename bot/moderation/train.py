"""Train the shipped text models from labelled CSV files, and write them as JSON weights.

    python -m bot.moderation.train --data ../shared/data [--out bot/moderation/models]
    python -m bot.moderation.train --data ../shared/data --write-holdout /tmp/holdout

scikit-learn is a training-only dependency (the `bench` extra): the bot never imports this module.
Each data file is split once, stratified, with a fixed seed (80 % train / 20 % held out); the
held-out part never trains and can be written out for `housebot eval`. The abuse model trains on
all of OLID (scored by 5-fold cross-validation) and is scored on Davidson, which it never sees.
Features are exactly those the bot computes at runtime (`text.prepare` + `text.features`).

A public set is narrower than what the bot reads: COVID-era news for misinformation, retail
complaints to brands for complaint. Such a model learns "informal first-person tweet" as a sign
of its class, and flags a patient's ordinary question. So these models also train on other
files' *training parts* (never their held-out parts) as negatives: everyday posts that are
neither. The thresholds the bot uses are chosen on a validation part carved from the training
part (`validation_f1_by_threshold` in each model file); the held-out part is only measured.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.moderation.lexicon import load_lexicon
from bot.moderation.linear import MODEL_FORMAT
from bot.moderation.text import features, prepare

SEED = 20261124
HOLDOUT_FRACTION = 0.2
MAX_FEATURES = 40_000
MODELS_DIR = Path(__file__).parent / "models"
CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "moderation"


# The training recipe's revision, part of every model's version: bump it when the recipe changes.
RECIPE = "r2"
VALIDATION_THRESHOLDS = tuple(round(0.3 + 0.05 * step, 2) for step in range(14))


@dataclass(frozen=True)
class ModelSpec:
    """Which file trains which model, the label that counts as positive, and how it is held out.

    `negatives`: (file, label or "" for every row) whose training part is added as not-positive,
    each such row weighing `negative_weight`. `c`: the inverse regularisation strength.
    `drop_words`: no feature holding one of these words is learnt.
    """

    name: str
    file: str
    positive: str
    hold_out: bool
    threshold: float
    negatives: tuple[tuple[str, str], ...] = ()
    negative_weight: float = 1.0
    c: float = 4.0
    drop_words: frozenset[str] = frozenset()


# Pronouns and function words: in the complaints set "my" (my order, my parcel) is the strongest
# sign of a complaint, and every patient's question is full of it. No complaint-model feature
# (word or word pair) holds one; the bot's features need no change, they are simply not found.
STYLE_WORDS = frozenset(
    "i me my mine im ive id myself we us our ours you your yours he him his she her hers it its they them their "
    "the a an this that these those is are was were be been am do does did have has had will would can could "
    "should shall may might must to of in on at for with from by about as and or but so if then than too very just".split()
)


SPECS = (
    ModelSpec("abuse", "abuse_olid2019_train.csv", "abuse", hold_out=False, threshold=0.5),
    ModelSpec(
        "misinformation", "misinformation_constraint2021_trainval.csv", "misinformation", hold_out=True, threshold=0.5,
        negatives=(("complaint_preotiuc2019_dev.csv", ""), ("spam_youtube2015.csv", "ordinary")),
    ),
    ModelSpec(
        "complaint", "complaint_preotiuc2019_dev.csv", "complaint", hold_out=True, threshold=0.5,
        negatives=(("spam_youtube2015.csv", "ordinary"), ("misinformation_constraint2021_trainval.csv", "ordinary")),
        negative_weight=0.3, c=1.0, drop_words=STYLE_WORDS,
    ),
    ModelSpec("spam", "spam_youtube2015.csv", "spam", hold_out=True, threshold=0.5),
)


def read_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def split(rows: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The fixed-seed stratified 80/20 split (train, held out) used for every file."""
    from sklearn.model_selection import train_test_split

    labels = [label for _, label in rows]
    train, held = train_test_split(rows, test_size=HOLDOUT_FRACTION, random_state=SEED, stratify=labels)
    return list(train), list(held)


def _vectoriser(lexicon: frozenset[str], drop_words: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    def model_features(text: str) -> list[str]:
        # Features holding a dropped word are left out of the model, so at runtime the bot's own
        # features of a message are looked up as they are (a feature the model lacks weighs nothing).
        return [feature for feature in features(prepare(text, lexicon).words) if drop_words.isdisjoint(feature.split(" "))]

    return TfidfVectorizer(analyzer=model_features, binary=True, norm="l2", min_df=2, max_features=MAX_FEATURES)


def _pipeline(lexicon: frozenset[str], spec: ModelSpec | None = None):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    spec = spec or SPECS[0]
    return make_pipeline(_vectoriser(lexicon, spec.drop_words), LogisticRegression(C=spec.c, max_iter=3000, class_weight="balanced"))


def _macro_f1(gold: list[bool], predicted: list[bool]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average="macro"))


def _weighted_f1(gold: list[bool], predicted: list[bool]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average="weighted"))


def _binary_f1(gold: list[bool], predicted: list[bool]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted))


def export(pipeline, spec: ModelSpec, files_seen: list[str], scores: dict[str, float]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    vectoriser, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
    coefficients = classifier.coef_[0]
    weights = {
        feature: [round(float(coefficients[index]), 5), round(float(vectoriser.idf_[index]), 5)]
        for feature, index in vectoriser.vocabulary_.items()
    }
    return {
        "format": MODEL_FORMAT,
        "name": spec.name,
        "version": f"{spec.name}-{date.today().isoformat()}-{RECIPE}",
        "trained_on": files_seen,
        "split": f"stratified {int((1 - HOLDOUT_FRACTION) * 100)}/{int(HOLDOUT_FRACTION * 100)}, seed {SEED}" if spec.hold_out else "all rows",
        "negatives": [f"{file} ({label or 'all rows'}; training part only, weight {spec.negative_weight})" for file, label in spec.negatives],
        "scores": scores,
        "intercept": round(float(classifier.intercept_[0]), 5),
        "threshold": spec.threshold,
        "features_without": sorted(spec.drop_words),
        "weights": weights,
    }


def _negatives(spec: ModelSpec, data_dir: Path) -> list[tuple[str, str]]:
    """Other files' training-part rows, as not-positive examples for this model."""
    rows: list[tuple[str, str]] = []
    for file, label in spec.negatives:
        train, _ = split(read_rows(data_dir / file))
        rows.extend((text, "negative") for text, row_label in train if not label or row_label == label)
    return rows


def _fit(spec: ModelSpec, lexicon: frozenset[str], rows: list[tuple[str, str]], negatives: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    pipeline = _pipeline(lexicon, spec)
    texts = [text for text, _ in rows] + [text for text, _ in negatives]
    gold = [label == spec.positive for _, label in rows] + [False] * len(negatives)
    weights = [1.0] * len(rows) + [spec.negative_weight] * len(negatives)
    pipeline.fit(texts, gold, logisticregression__sample_weight=weights)
    return pipeline


def train_one(spec: ModelSpec, data_dir: Path, lexicon: frozenset[str]) -> dict[str, object]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split

    rows = read_rows(data_dir / spec.file)
    scores: dict[str, object] = {}
    if spec.hold_out:
        train, held = split(rows)
    else:
        train, held = rows, []
    texts = [text for text, _ in train]
    gold = [label == spec.positive for _, label in train]
    negatives = _negatives(spec, data_dir)
    if spec.name == "abuse":
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        predicted = cross_val_predict(_pipeline(lexicon, spec), texts, gold, cv=folds, method="predict_proba")[:, 1]
        scores["olid_cv5_macro_f1"] = _macro_f1(gold, [p >= spec.threshold for p in predicted])
    if spec.hold_out:
        # Thresholds are chosen here, on a part of the training rows, never on the held-out part.
        fit_rows, validation = train_test_split(train, test_size=HOLDOUT_FRACTION, random_state=SEED, stratify=[label for _, label in train])
        probe = _fit(spec, lexicon, list(fit_rows), negatives)
        validation_gold = [label == spec.positive for _, label in validation]
        validation_scores = probe.predict_proba([text for text, _ in validation])[:, 1]
        average = "weighted" if spec.name == "misinformation" else "macro"
        scores["validation_f1_by_threshold"] = {
            str(threshold): round(_score(validation_gold, [p >= threshold for p in validation_scores], average), 4) for threshold in VALIDATION_THRESHOLDS
        }
    pipeline = _fit(spec, lexicon, train, negatives)
    if held:
        held_gold = [label == spec.positive for _, label in held]
        held_pred = [p >= spec.threshold for p in pipeline.predict_proba([t for t, _ in held])[:, 1]]
        scores["heldout_macro_f1"] = _macro_f1(held_gold, held_pred)
        scores["heldout_weighted_f1"] = _weighted_f1(held_gold, held_pred)
        scores["heldout_positive_f1"] = _binary_f1(held_gold, held_pred)
    if spec.name == "abuse" and (data_dir / "abuse_davidson2017.csv").exists():
        other = read_rows(data_dir / "abuse_davidson2017.csv")
        other_gold = [label == "abuse" for _, label in other]
        other_pred = [p >= spec.threshold for p in pipeline.predict_proba([t for t, _ in other])[:, 1]]
        scores["davidson_macro_f1_unseen"] = _macro_f1(other_gold, other_pred)
    for key, value in scores.items():
        print(f"{spec.name}: {key} = {value if isinstance(value, dict) else round(value, 4)}", file=sys.stderr)
    rounded = {key: value if isinstance(value, dict) else round(value, 4) for key, value in scores.items()}
    return export(pipeline, spec, [spec.file, *(file for file, _ in spec.negatives)], rounded)  # type: ignore[arg-type]


def _score(gold: list[bool], predicted: list[bool], average: str) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average=average))


def write_holdout(data_dir: Path, out_dir: Path) -> None:
    """Write the held-out 20 % of each held-out file, so `housebot eval` can score exactly that part."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec in SPECS:
        if not spec.hold_out:
            continue
        _, held = split(read_rows(data_dir / spec.file))
        with (out_dir / spec.file.replace(".csv", "_heldout.csv")).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="directory holding the labelled CSV files")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--config", type=Path, default=CONFIG_DIR, help="config/moderation, for the evasion lexicon")
    parser.add_argument("--only", choices=[spec.name for spec in SPECS], action="append")
    parser.add_argument("--write-holdout", type=Path, help="write the held-out parts here and stop")
    args = parser.parse_args(argv)
    if args.write_holdout:
        write_holdout(args.data, args.write_holdout)
        return 0
    lexicon = load_lexicon(args.config)
    for spec in SPECS:
        if args.only and spec.name not in args.only:
            continue
        model = train_one(spec, args.data, lexicon)
        path = args.out / f"{spec.name}.json"
        path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
