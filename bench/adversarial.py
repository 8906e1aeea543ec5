"""`python -m bench.adversarial`: how long classify takes on hostile inputs (issue 12, items 3 and 4).

Each case is one message built to make a backtracking pattern or a per-match loop go
super-linear: a long run of spaces after a date-of-birth cue, a mention followed by 100,000
letters, "a " repeated, and so on. Each runs once, timed, in a child process that is stopped
after `--limit` seconds (so a quadratic case shows as "> limit" instead of hanging the bench):
"classify" as the bot calls it, "uncut" the normalisation and every check on the whole text,
past the 10,000 characters classify reads (the same thing before that cap existed).
The last case loads the shipped files plus 1,000 generated misinformation claims and times a
10,000-character post against them. Same script before and after a change: same inputs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bot.model import ClassifyContext
from bot.moderation import CHECKS, ModerationData, classify, load_moderation_data
from bot.moderation.message import read_message

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 1, 5, 12, tzinfo=timezone.utc))
GENERATED_CLAIMS = 1000


def _letters(number: int) -> str:
    """A made-up word for `number` (letters only, so it stays a word when normalised)."""
    word = ""
    for _ in range(3):
        number, digit = divmod(number, 26)
        word += chr(ord("a") + digit)
    return "ailment" + word


# Each case: (name, how the issue found it, the message).
CASES: tuple[tuple[str, str, Callable[[], str]], ...] = (
    ("dob-spaces", "11.6 s", lambda: "dob" + " " * 8000 + "x 1"),
    ("hospital-number-spaces", "", lambda: "hospital number" + " " * 8000 + "x 1"),
    ("email-mention-letters", "25 s", lambda: "@NHSLeeds " + "a" * 100_000),
    ("spaced-letters", "> 120 s", lambda: "a " * 50_000),
    ("named-person", "", lambda: "my mum Ann " * 10_000),
    ("reported-called", "", lambda: "he called me a idiot " * 5_000),
    ("reported-quotes-270k", "23 s", lambda: "he called me " + "'stupid' " * 30_000),
    ("spam-whatsapp-spaces", "", lambda: "whatsapp" + " " * 8000 + "x 1"),
    ("digits-separators", "", lambda: "0 1-2.3 " * 12_500),
    ("mention-letters", "", lambda: "@x " + "a" * 100_000),
    ("one-letter", "", lambda: "a" * 100_000),
    ("spaces", "", lambda: " " * 100_000),
    ("nested-quotes", "", lambda: "\"'“‘" * 25_000),
    # Distinct masked words: each is compared with every lexicon word of its length (round 11: the swear stems' forms).
    ("masked-words", "", lambda: " ".join(f"{_letters(number)[-3:]}*{_letters(number * 7)[-4:]}" for number in range(12_500))),
    ("danger-then-100k", "", lambda: "I want to kill myself. " + "a " * 50_000),
    # Quotations someone else spoke, each holding a threat (threat.py `reported_quotes`, round 10).
    ("reported-threat-quotes", "11.9 s", lambda: "ill stab you, and he shouted 'ill stab you' " * 2_300),
    *((f"threat-cue-{unit.strip().replace(' ', '-')}", "", lambda unit=unit: unit * (100_000 // len(unit)))
      for unit in ("ill stab ", "know where you ", "hope she gets ", "bring a knife ", "not going to hurt you ",
                   "do her in who ", "watch your back you lot ")),
)


def claims_post() -> str:
    """A 10,000-character post that shares three terms with every generated claim and negates often."""
    sentence = "the vaccine does not cause anything bad in children, people say it causes harm "
    return (sentence * (10_000 // len(sentence) + 1))[:10_000]


def data_with_claims(directory: Path, count: int) -> ModerationData:
    """The shipped files, with `count` generated claims appended to a copy of claims.toml."""
    target = directory / "moderation"
    shutil.copytree(CONFIG, target)
    blocks = [
        f'\n[[claims]]\nid = "generated-{index}"\nphrasings = ["the vaccine causes {_letters(index)} in children"]\n'
        f'link = "https://www.nhs.uk/"\nsummary = "Generated claim {index}."\n'
        for index in range(count)
    ]
    with (target / "claims.toml").open("a", encoding="utf-8") as file:
        file.write("".join(blocks))
    return load_moderation_data(target)


def _checks_on_whole_text(data: ModerationData, text: str) -> None:
    """What classify does, without its cap on how much of the text the checks read."""
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    for check in CHECKS:
        check.run(message, CONTEXT, data)


def _time_classify(data: ModerationData, text: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    findings = classify(text, CONTEXT, data)
    results.put((time.perf_counter() - started, ", ".join(sorted({f.check for f in findings}))))


def _time_uncut(data: ModerationData, text: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    _checks_on_whole_text(data, text)
    results.put((time.perf_counter() - started, ""))


def timed(data: ModerationData, text: str, limit: float, uncut: bool = False) -> tuple[float | None, str]:
    """Seconds classify (or, `uncut`, its checks on the whole text) took on `text` (None if stopped
    at `limit`) and the rules it found."""
    results: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    target = _time_uncut if uncut else _time_classify
    child = multiprocessing.get_context("fork").Process(target=target, args=(data, text, results))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None, ""
    return results.get()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adversarial", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a case is stopped")
    parser.add_argument("--only", action="append", help="run only the case(s) whose name starts with this")
    args = parser.parse_args(argv)
    data = load_moderation_data(CONFIG)
    print(f"{'case':36} {'chars':>8} {'classify':>12} {'uncut':>12}  {'issue':>8}  rules found")
    with tempfile.TemporaryDirectory() as directory:
        claims_data = data_with_claims(Path(directory), GENERATED_CLAIMS)
        runs = [(name, reported, build(), data) for name, reported, build in CASES]
        runs.append((f"claims-{GENERATED_CLAIMS}", "441 ms", claims_post(), claims_data))
        for name, reported, text, used in runs:
            if args.only and not any(name.startswith(prefix) for prefix in args.only):
                continue
            seconds, rules = timed(used, text, args.limit)
            whole_seconds, _ = timed(used, text, args.limit, uncut=True)
            shown = [f"> {args.limit:.0f} s" if taken is None else f"{taken * 1000:,.1f} ms" for taken in (seconds, whole_seconds)]
            print(f"{name:36} {len(text):>8,} {shown[0]:>12} {shown[1]:>12}  {reported:>8}  {rules}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
