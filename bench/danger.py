"""`python -m bench.danger --data ../shared/data`: the danger response on public data never trained on, per tier.

Reads the held-out 20 % of each file (the same fixed-seed split as `bot.moderation.train`) and
reports, for each tier (urgent: a danger score >= 0.7; support: 0.3 to 0.7, the shipped policy's
thresholds): recall on at-risk posts (SDCNL, Rezwan) and on the project's danger messages, and the
false-alarm rate on ordinary rows (Rezwan's neutral tweets, other files' ordinary rows, the
project's everyday messages), plus the urgent-tier rate on the table's ordinary rows.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from bench.table import TABLE
from bot.model import DANGER_CATEGORIES, Category, ClassifyContext
from bot.moderation import classify, load_moderation_data
from bot.moderation.train import (DANGER_FILE, DANGER_VOICES3_FILE, DANGER_VOICES4_FILE, DANGER_VOICES5_FILE, DANGER_VOICES_FILE, PROJECT_FILE,
                                  TRAIN5_DANGER_A_FILE, TRAIN5_DANGER_B_FILE, TRAIN6_DANGER_FILE, TRAIN7_DANGER_FILE, TRAIN8_DANGER_FILE,
                                  TRAIN9_DANGER_FILE, TRAIN10_DANGER_FILE, TRAIN11_DANGER_FILE, THREAT_WRITER10_FILE, THREAT_WRITER11_FILE,
                                  read_rows, split)

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
URGENT, SUPPORT = 0.7, 0.3
# (name, file or None for a project file, which label is counted, whether those rows are at risk)
SETS = (
    ("SDCNL held-out, at risk", "danger_suicide_reddit_sdcnl_train.csv", "safeguarding", True),
    ("Rezwan held-out, at risk", "danger_suicide_tweets_rezwan.csv", "safeguarding", True),
    ("Rezwan held-out, neutral", "danger_suicide_tweets_rezwan.csv", "ordinary", False),
    ("YouTube held-out, ordinary", "spam_youtube2015.csv", "ordinary", False),
    ("CONSTRAINT held-out, ordinary", "misinformation_constraint2021_trainval.csv", "ordinary", False),
    ("complaints held-out, ordinary", "complaint_preotiuc2019_dev.csv", "ordinary", False),
    ("complaints held-out, complaint", "complaint_preotiuc2019_dev.csv", "complaint", False),
    ("everyday_uk held-out, all", PROJECT_FILE, "", False),
    ("danger_uk held-out, safeguarding", DANGER_FILE, "safeguarding", True),
    ("danger_uk held-out, urgent care", DANGER_FILE, "urgent_care", True),
    ("danger_uk held-out, ordinary", DANGER_FILE, "ordinary", False),
    ("danger_voices_uk held-out, safeguarding", DANGER_VOICES_FILE, "safeguarding", True),
    ("danger_voices_uk held-out, urgent care", DANGER_VOICES_FILE, "urgent_care", True),
    ("danger_voices_uk held-out, ordinary", DANGER_VOICES_FILE, "ordinary", False),
    ("danger_voices3_uk held-out, safeguarding", DANGER_VOICES3_FILE, "safeguarding", True),
    ("danger_voices3_uk held-out, urgent care", DANGER_VOICES3_FILE, "urgent_care", True),
    ("danger_voices3_uk held-out, ordinary", DANGER_VOICES3_FILE, "ordinary", False),
    ("danger_voices4_uk held-out, safeguarding", DANGER_VOICES4_FILE, "safeguarding", True),
    ("danger_voices4_uk held-out, urgent care", DANGER_VOICES4_FILE, "urgent_care", True),
    ("danger_voices4_uk held-out, ordinary", DANGER_VOICES4_FILE, "ordinary", False),
    ("danger_voices5_uk held-out, safeguarding", DANGER_VOICES5_FILE, "safeguarding", True),
    ("danger_voices5_uk held-out, urgent care", DANGER_VOICES5_FILE, "urgent_care", True),
    ("danger_voices5_uk held-out, ordinary", DANGER_VOICES5_FILE, "ordinary", False),
    ("train5_danger_a held-out, safeguarding", TRAIN5_DANGER_A_FILE, "safeguarding", True),
    ("train5_danger_a held-out, ordinary", TRAIN5_DANGER_A_FILE, "ordinary", False),
    ("train5_danger_b held-out, safeguarding", TRAIN5_DANGER_B_FILE, "safeguarding", True),
    ("train5_danger_b held-out, urgent care", TRAIN5_DANGER_B_FILE, "urgent_care", True),
    ("train5_danger_b held-out, ordinary", TRAIN5_DANGER_B_FILE, "ordinary", False),
    ("train6_danger held-out, safeguarding", TRAIN6_DANGER_FILE, "safeguarding", True),
    ("train6_danger held-out, urgent care", TRAIN6_DANGER_FILE, "urgent_care", True),
    ("train6_danger held-out, ordinary", TRAIN6_DANGER_FILE, "ordinary", False),
    ("train7_danger held-out, safeguarding", TRAIN7_DANGER_FILE, "safeguarding", True),
    ("train7_danger held-out, urgent care", TRAIN7_DANGER_FILE, "urgent_care", True),
    ("train7_danger held-out, ordinary", TRAIN7_DANGER_FILE, "ordinary", False),
    ("train8_danger held-out, safeguarding", TRAIN8_DANGER_FILE, "safeguarding", True),
    ("train8_danger held-out, urgent care", TRAIN8_DANGER_FILE, "urgent_care", True),
    ("train8_danger held-out, ordinary", TRAIN8_DANGER_FILE, "ordinary", False),
    ("train9_danger held-out, safeguarding", TRAIN9_DANGER_FILE, "safeguarding", True),
    ("train9_danger held-out, urgent care", TRAIN9_DANGER_FILE, "urgent_care", True),
    ("train9_danger held-out, ordinary", TRAIN9_DANGER_FILE, "ordinary", False),
    ("train10_danger held-out, safeguarding", TRAIN10_DANGER_FILE, "safeguarding", True),
    ("train10_danger held-out, urgent care", TRAIN10_DANGER_FILE, "urgent_care", True),
    ("train10_danger held-out, ordinary", TRAIN10_DANGER_FILE, "ordinary", False),
    ("train11_danger held-out, safeguarding", TRAIN11_DANGER_FILE, "safeguarding", True),
    ("train11_danger held-out, urgent care", TRAIN11_DANGER_FILE, "urgent_care", True),
    ("train11_danger held-out, ordinary", TRAIN11_DANGER_FILE, "ordinary", False),
    ("train11_danger held-out, insults", TRAIN11_DANGER_FILE, "abuse", False),
    # Victims reporting a threat made to them (train10_threat.csv's `victim_report` rows): danger, never a threat.
    ("train10_threat held-out, victim reports", THREAT_WRITER10_FILE, "safeguarding", True),
    ("train11_threat held-out, victim reports", THREAT_WRITER11_FILE, "safeguarding", True),
)


def danger_score(text: str, data) -> float:  # type: ignore[no-untyped-def]
    return max((f.score for f in classify(text, CONTEXT, data) if f.category in DANGER_CATEGORIES), default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="directory holding the labelled CSV files")
    args = parser.parse_args(argv)
    data = load_moderation_data(CONFIG)
    print(f"{'set':42} {'rows':>6} {'urgent':>8} {'support':>8} {'either':>8}")
    for name, file, label, at_risk in SETS:
        path = file if isinstance(file, Path) else args.data / file
        _, held = split(read_rows(path))
        scores = [danger_score(text, data) for text, row_label in held if not label or row_label == label]
        urgent = sum(score >= URGENT for score in scores) / len(scores)
        support = sum(SUPPORT <= score < URGENT for score in scores) / len(scores)
        kind = "recall" if at_risk else "alarms"
        print(f"{name:42} {len(scores):>6} {urgent:>8.3f} {support:>8.3f} {urgent + support:>8.3f}  ({kind})")
    ordinary = [text for _, text, category in TABLE if category is Category.ORDINARY]
    urgent_rate = sum(danger_score(text, data) >= URGENT for text in ordinary) / len(ordinary)
    print(f"{'table ordinary rows':42} {len(ordinary):>6} {urgent_rate:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
