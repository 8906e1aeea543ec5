"""`python -m bench.danger_operating --data ../shared/data`: choose the danger tiers on validation rows.

The danger check's operating point is the probability at which each model (safeguarding,
urgent care) starts the support tier and the urgent tier. It is chosen here, on validation rows
only: 20 % of the training part of every project danger file and of everyday_uk.csv (the same
seed as `bot.moderation.train`), with probe models trained without those rows. The held-out 20 %
is never read.

For each pair of support probabilities it prints, with the whole danger check (cue families,
listed wording, both probe models): recall at either tier on the UK danger rows, the urgent tier
on the emergencies, and how many ordinary UK rows get a support line or reach the urgent tier.
The issue's order: recall first for the support tier (a support line sent to someone who is fine
costs little), precision for the urgent tier.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime, timezone
from pathlib import Path

from bench.quality import CONTEXT as DECIDE_CONTEXT
from bench.quality import Outcome
from bot.evaluate import engine_from
from bot.model import DANGER_CATEGORIES, Category, ClassifyContext
from bot.moderation import ModerationData, classify, load_moderation_data
from bot.pipeline import handle_text
from bot.moderation.train import DANGER_PROJECT_FILES, PROJECT_FILE, SPECS, _extra_rows, _fit, own_validation, read_rows, split, trained_model

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
URGENT, SUPPORT = 0.7, 0.3
SAFEGUARDING_SUPPORT = (0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.75)
URGENT_CARE_SUPPORT = (0.4, 0.5, 0.6, 0.7, 0.9)
# The urgent tier from a model alone (1.0: never; a cue family must agree).
SAFEGUARDING_URGENT = (0.97, 0.99, 1.0)
URGENT_CARE_URGENT = (0.93, 0.97, 1.0)


def validation_rows() -> list[tuple[str, str]]:
    """(text, label) of the validation part of every project danger file and of everyday_uk.csv."""
    rows = []
    for path in (*DANGER_PROJECT_FILES, PROJECT_FILE):
        carved = own_validation(path)
        rows.extend((text, label) for text, label in split(read_rows(path))[0] if text in carved)
    return rows


def public_validation_rows(data_dir: Path) -> list[tuple[str, str]]:
    """(text, label) of the validation part (20 % of the training part) of SDCNL and Rezwan, labelled
    `public_safeguarding` or `public_ordinary` so their figures stay apart from the UK ones."""
    rows = []
    for name in ("danger_suicide_reddit_sdcnl_train.csv", "danger_suicide_tweets_rezwan.csv"):
        _, carved = split(split(read_rows(data_dir / name))[0])
        rows.extend((text, f"public_{label}") for text, label in carved)
    return rows


def probe_data(data_dir: Path, data: ModerationData, carved: frozenset[str]) -> ModerationData:
    """The shipped engine with both danger models retrained without the validation rows."""
    lexicon = data.lexicon
    probes = {}
    for spec in SPECS:
        if spec.name not in ("safeguarding", "urgent_care"):
            continue
        main = read_rows(Path(spec.file) if Path(spec.file).is_absolute() else data_dir / spec.file)
        train = [row for row in split(main)[0] if row[0] not in carved]
        extra = [row for row in _extra_rows(spec, data_dir) if row[0] not in carved]
        probes[spec.name] = trained_model(spec, _fit(spec, lexicon, train, extra))
    danger = dataclasses.replace(data.danger, model=probes["safeguarding"], urgent_model=probes["urgent_care"])
    return dataclasses.replace(data, danger=danger)


def danger_score(text: str, data: ModerationData) -> float:
    return max((f.score for f in classify(text, CONTEXT, data) if f.category in DANGER_CATEGORIES), default=0.0)


def at(data: ModerationData, safeguarding_support: float, urgent_care_support: float,
       safeguarding_urgent: float | None = None, urgent_care_urgent: float | None = None) -> ModerationData:
    """The engine with the danger models' support (and, if given, urgent) probabilities replaced."""
    danger = dataclasses.replace(data.danger, model_support=safeguarding_support, urgent_model_support=urgent_care_support,
                                 model_urgent=safeguarding_urgent or data.danger.model_urgent,
                                 urgent_model_urgent=urgent_care_urgent or data.danger.urgent_model_urgent)
    return dataclasses.replace(data, danger=danger)


def report(rows: list[tuple[str, str]], data: ModerationData) -> dict[str, float]:
    """Rates at one operating point: recall on danger rows, false alarms on ordinary rows."""
    scores = [(danger_score(text, data), label) for text, label in rows]
    danger = [score for score, label in scores if label in ("safeguarding", "urgent_care")]
    emergencies = [score for score, label in scores if label == "urgent_care"]
    at_risk = [score for score, label in scores if label == "safeguarding"]
    ordinary = [score for score, label in scores if label in ("ordinary", "complaint")]
    public_at_risk = [score for score, label in scores if label == "public_safeguarding"]
    public_ordinary = [score for score, label in scores if label == "public_ordinary"]
    public = {
        "public at risk either": sum(s >= SUPPORT for s in public_at_risk) / len(public_at_risk),
        "public ordinary urgent": sum(s >= URGENT for s in public_ordinary) / len(public_ordinary),
    } if public_at_risk else {}
    return {
        "danger either": sum(s >= SUPPORT for s in danger) / len(danger),
        "at risk either": sum(s >= SUPPORT for s in at_risk) / len(at_risk),
        "at risk urgent": sum(s >= URGENT for s in at_risk) / len(at_risk),
        "emergency either": sum(s >= SUPPORT for s in emergencies) / len(emergencies),
        "emergency urgent": sum(s >= URGENT for s in emergencies) / len(emergencies),
        "ordinary support+": sum(s >= SUPPORT for s in ordinary) / len(ordinary),
        "ordinary urgent": sum(s >= URGENT for s in ordinary) / len(ordinary),
        **public,
    }


def decisions(rows: list[tuple[str, str]], data: ModerationData) -> dict[str, str]:
    """The whole decision (policy and all) at the shipped operating point: how many rows of each label
    get a danger tier, the urgent tier, and are hidden. A danger row must never be hidden, nor an
    ordinary, complaint or verification one (the issue's targets); each hidden danger row is listed."""
    engine = dataclasses.replace(engine_from(CONFIG.parent, CONFIG), moderation=data)
    tally: dict[str, list[int]] = {}
    for text, label in rows:
        decision = handle_text(text, engine, DECIDE_CONTEXT)
        outcome = Outcome.of(decision)
        counts = tally.setdefault(label, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += outcome.danger
        counts[2] += outcome.urgent
        counts[3] += outcome.hidden
        if outcome.hidden and label in ("safeguarding", "urgent_care", "public_safeguarding"):
            print(f"  hidden {label}: {decision.rule}: {text[:100]!r}")
    return {label: f"{total} rows, danger tier {tier}, urgent {urgent}, hidden {hidden}"
            for label, (total, tier, urgent, hidden) in sorted(tally.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="directory holding the labelled CSV files")
    parser.add_argument("--public", action="store_true", help="also score the validation parts of SDCNL and Rezwan (slower)")
    parser.add_argument("--beside", type=float, nargs="*", default=[], help="beside_wording_probability values to compare at --support")
    parser.add_argument("--agreement", nargs="*", default=[], help="'safeguarding/urgent_care' agreement probabilities to compare at --support")
    parser.add_argument("--decisions", action="store_true", help="the whole decision at the shipped point: danger tiers and hidden rows per label")
    parser.add_argument("--support", default="", help="'safeguarding/urgent_care' support probabilities: sweep the urgent ones there instead")
    args = parser.parse_args(argv)
    rows = validation_rows() + (public_validation_rows(args.data) if args.public else [])
    data = probe_data(args.data, load_moderation_data(CONFIG), frozenset(text for text, _ in rows))
    counts = {label: sum(1 for _, row_label in rows if row_label == label) for label in sorted({label for _, label in rows})}
    print(f"validation rows: {counts}")
    if args.decisions:
        print("  ".join(f"{name} {value:.3f}" for name, value in report(rows, data).items()))
        for label, figures in decisions(rows, data).items():
            print(f"{label}: {figures}")
        return 0
    if args.support:
        safeguarding_support, urgent_care_support = (float(part) for part in args.support.split("/"))
        for beside in args.beside:
            trial = at(data, safeguarding_support, urgent_care_support)
            trial = dataclasses.replace(trial, danger=dataclasses.replace(trial.danger, beside_wording_probability=beside))
            print(f"beside wording {beside}  " + "  ".join(f"{name} {value:.3f}" for name, value in report(rows, trial).items()))
        for pair in args.agreement:
            safeguarding_agrees, urgent_care_agrees = (float(part) for part in pair.split("/"))
            trial = at(data, safeguarding_support, urgent_care_support)
            agreement = {Category.SAFEGUARDING: safeguarding_agrees, Category.URGENT_CARE: urgent_care_agrees}
            trial = dataclasses.replace(trial, danger=dataclasses.replace(trial.danger, agreement_probabilities=agreement))
            print(f"agreement {pair}  " + "  ".join(f"{name} {value:.3f}" for name, value in report(rows, trial).items()))
        if args.beside or args.agreement:
            return 0
        for safeguarding_urgent in SAFEGUARDING_URGENT:
            for urgent_care_urgent in URGENT_CARE_URGENT:
                figures = report(rows, at(data, safeguarding_support, urgent_care_support, safeguarding_urgent, urgent_care_urgent))
                print(f"urgent at {safeguarding_urgent}/{urgent_care_urgent}  " + "  ".join(f"{name} {value:.3f}" for name, value in figures.items()))
        return 0
    header = None
    for safeguarding_support in SAFEGUARDING_SUPPORT:
        for urgent_care_support in URGENT_CARE_SUPPORT:
            figures = report(rows, at(data, safeguarding_support, urgent_care_support))
            if header is None:
                header = "  ".join(f"{name:>17}" for name in figures)
                print(f"{'support at':>12}  {header}")
            print(f"{safeguarding_support:>5}/{urgent_care_support:<6}  " + "  ".join(f"{value:>17.3f}" for value in figures.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
