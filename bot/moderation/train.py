"""Train the shipped text models from labelled CSV files, and write them as JSON weights.

    python -m bot.moderation.train --data ../shared/data [--out bot/moderation/models]
    python -m bot.moderation.train --data ../shared/data --write-holdout /tmp/holdout

scikit-learn is a training-only dependency (the `bench` extra): the bot never imports this module.
Each data file is split once, stratified, with a fixed seed (80 % train / 20 % held out); the
held-out part never trains and can be written out for `housebot eval`. The abuse model trains on
all of OLID (scored by 5-fold cross-validation) and is scored on Davidson, which it never sees.
Features are exactly those the bot computes at runtime (`text.prepare` + `text.features`).
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


@dataclass(frozen=True)
class ModelSpec:
    """Which file trains which model, the label that counts as positive, and how it is held out."""

    name: str
    file: str
    positive: str
    hold_out: bool
    threshold: float


SPECS = (
    ModelSpec("abuse", "abuse_olid2019_train.csv", "abuse", hold_out=False, threshold=0.5),
    ModelSpec("misinformation", "misinformation_constraint2021_trainval.csv", "misinformation", hold_out=True, threshold=0.5),
    ModelSpec("complaint", "complaint_preotiuc2019_dev.csv", "complaint", hold_out=True, threshold=0.5),
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


def _vectoriser(lexicon: frozenset[str]):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=lambda text: features(prepare(text, lexicon).words),
        binary=True, norm="l2", min_df=2, max_features=MAX_FEATURES,
    )


def _pipeline(lexicon: frozenset[str]):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(_vectoriser(lexicon), LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced"))


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
        feature: [round(float(coefficients[index]), 5), round(float(vectoriser.idf_[index]) if hasattr(vectoriser, "idf_") else 1.0, 5)]
        for feature, index in vectoriser.vocabulary_.items()
    }
    return {
        "format": MODEL_FORMAT,
        "name": spec.name,
        "version": f"{spec.name}-{date.today().isoformat()}",
        "trained_on": files_seen,
        "split": f"stratified {int((1 - HOLDOUT_FRACTION) * 100)}/{int(HOLDOUT_FRACTION * 100)}, seed {SEED}" if spec.hold_out else "all rows",
        "scores": scores,
        "intercept": round(float(classifier.intercept_[0]), 5),
        "threshold": spec.threshold,
        "weights": weights,
    }


def train_one(spec: ModelSpec, data_dir: Path, lexicon: frozenset[str]) -> dict[str, object]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows = read_rows(data_dir / spec.file)
    scores: dict[str, float] = {}
    if spec.hold_out:
        train, held = split(rows)
    else:
        train, held = rows, []
    texts = [text for text, _ in train]
    gold = [label == spec.positive for _, label in train]
    pipeline = _pipeline(lexicon)
    if spec.name == "abuse":
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        predicted = cross_val_predict(pipeline, texts, gold, cv=folds, method="predict_proba")[:, 1]
        scores["olid_cv5_macro_f1"] = _macro_f1(gold, [p >= spec.threshold for p in predicted])
    pipeline.fit(texts, gold)
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
        print(f"{spec.name}: {key} = {value:.4f}", file=sys.stderr)
    return export(pipeline, spec, [spec.file], {k: round(v, 4) for k, v in scores.items()})


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
