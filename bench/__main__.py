"""`python -m bench`: messages per second, per-message p50/p99 latency and peak memory.

The timed work is one callable, `step(text) -> object`: the bot's one decision path,
`bot.pipeline.handle` (classify, decide with the shipped policy, the words), in `engine_step`. Each contender runs over the
same messages: "batch" is one pass over all of them (messages per second), "one-by-one" times
each call alone (p50, p99). Figures are medians across runs; everything runs in this one
process on one core. Peak memory is tracemalloc's peak during a separate pass, so its overhead
does not distort the timings. Messages come from the project's own table (bench/table.py),
repeated and varied, or from a CSV file with a `text` column.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bench.table import TABLE
from adapters.sandbox import CAPABILITIES as SANDBOX_CAPABILITIES
from bot.evaluate import engine_from
from bot.pipeline import handle_text, text_context

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
SEED = 7
MEMORY_SAMPLE = 2000
_DECORATIONS = ("", "!", "!!", "?", " 😡", " 🙏", " #NHS", " thanks", " x", "...")


@dataclass(frozen=True)
class Contender:
    name: str
    step: Callable[[str], object]
    batch: Callable[[list[str]], object]


@dataclass(frozen=True)
class Figures:
    per_second: float
    p50_us: float
    p99_us: float
    peak_mb: float


def table_messages(count: int) -> list[str]:
    """`count` messages from the project's table, varied in case, mentions and endings."""
    rng = random.Random(SEED)
    texts = [text for _, text, _ in TABLE]
    messages = []
    for index in range(count):
        text = texts[index % len(texts)]
        if rng.random() < 0.3:
            text = text.lower()
        if rng.random() < 0.2:
            text = "@NHSLeeds " + text
        messages.append(text + rng.choice(_DECORATIONS))
    return messages


def csv_messages(path: Path, count: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row.get("text")]
    if not texts:
        raise SystemExit(f"{path}: no rows with a text column")
    return [texts[index % len(texts)] for index in range(count)]


def engine_step(config: Path) -> Callable[[str], object]:
    """The timed step of the bot: one message through `bot.pipeline.handle` with the shipped
    policy and replies (sandbox capabilities: every action possible, so decide does its whole work)."""
    engine = engine_from(config.parent, config)
    context = text_context(datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc), SANDBOX_CAPABILITIES)

    def step(text: str) -> object:
        return handle_text(text, engine, context)

    return step


def contenders(config: Path) -> list[Contender]:
    step = engine_step(config)
    found = [Contender("housebot handle", step, lambda texts: [step(t) for t in texts])]
    try:
        from profanity_check import predict
    except ImportError:
        print("alt-profanity-check is not installed: skipped (pip install '.[bench]')", file=sys.stderr)
    else:
        found.append(Contender("alt-profanity-check", lambda text: predict([text]), lambda texts: predict(texts)))
    try:
        from better_profanity import profanity
    except ImportError:
        print("better-profanity is not installed: skipped", file=sys.stderr)
    else:
        profanity.load_censor_words()
        found.append(Contender("better-profanity", profanity.contains_profanity, lambda texts: [profanity.contains_profanity(t) for t in texts]))
    return found


def measure(contender: Contender, messages: list[str], runs: int) -> Figures:
    rates, p50s, p99s = [], [], []
    contender.batch(messages[:200])  # warm caches
    for _ in range(runs):
        started = time.perf_counter()
        contender.batch(messages)
        rates.append(len(messages) / (time.perf_counter() - started))
        latencies = []
        for text in messages:
            began = time.perf_counter_ns()
            contender.step(text)
            latencies.append(time.perf_counter_ns() - began)
        latencies.sort()
        p50s.append(latencies[len(latencies) // 2] / 1000)
        p99s.append(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] / 1000)
    tracemalloc.start()
    contender.batch(messages[:MEMORY_SAMPLE])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Figures(statistics.median(rates), statistics.median(p50s), statistics.median(p99s), peak / 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="a CSV file with a text column (default: the project's own table)")
    parser.add_argument("--n", type=int, default=10_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", type=Path, default=CONFIG, help="config/moderation")
    parser.add_argument("--only", action="append", help="run only the contender(s) whose name starts with this (e.g. housebot)")
    args = parser.parse_args(argv)
    messages = csv_messages(args.data, args.n) if args.data else table_messages(args.n)
    print(f"{len(messages)} messages from {args.data or 'the project table'}; median of {args.runs} runs; one process, one core")
    print(f"{'contender':<22}{'batch msg/s':>13}{'p50 µs':>10}{'p99 µs':>10}{'peak MB':>10}")
    for contender in contenders(args.config):
        if args.only and not any(contender.name.startswith(prefix) for prefix in args.only):
            continue
        figures = measure(contender, messages, args.runs)
        print(f"{contender.name:<22}{figures.per_second:>13,.0f}{figures.p50_us:>10.1f}{figures.p99_us:>10.1f}{figures.peak_mb:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
