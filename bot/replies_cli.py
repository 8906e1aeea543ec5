"""The two commands that let comms staff see their words: `housebot check-replies` and `preview`.

Both print sentences for people, never tracebacks, and return the process exit code: 0 when all
is well, 2 when a file (or the command line) needs fixing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, TextIO

from adapters import reply_limits
from bot.errors import ConfigError
from bot.model import Category, Channel, Platform
from bot.replies import (
    CATEGORY_TEMPLATES,
    PREVIEW_VALUES,
    PROFILE_TEMPLATES,
    TEMPLATE_NAMES,
    limit_for,
    load_replies,
    preview,
    readability_report,
    validate_replies,
)

EXIT_OK = 0
EXIT_CONFIG = 2
TARGET_READING_AGE = 9

_LINE_PREFIX = re.compile(r"^line (\d+): ")


def format_error(error: ConfigError) -> str:
    """`file:line: key: problem`, the shape editors and terminals turn into a link to the line."""
    match = _LINE_PREFIX.match(error.problem)
    if match:
        return f"{error.file}:{match.group(1)}: {error.key}: {error.problem[match.end() :]}"
    return f"{error.file}: {error.key}: {error.problem}"


def check_replies_command(
    responses_dir: Path,
    out: TextIO,
    values: Mapping[str, str] | None = None,
    values_file: str = "settings",
) -> int:
    """Print every problem in the reply files (and settings values), then the hardest wording to read."""
    errors = validate_replies(responses_dir, reply_limits(), values=values, values_file=values_file)
    for error in errors:
        print(format_error(error), file=out)
    if errors:
        print(f"{len(errors)} problem(s) found: the bot will not start until they are fixed.", file=out)
        return EXIT_CONFIG
    book = load_replies(responses_dir, reply_limits(), values=values, values_file=values_file)
    scores = readability_report(book)
    platforms = ", ".join(platform.value for platform in Platform)
    print(
        f"OK: {len(book.templates)} situations, {len(scores)} wordings, each checked on {platforms}.",
        file=out,
    )
    hardest = scores[0]
    print(
        f"Hardest to read: {hardest.key} ({hardest.file} line {hardest.line}): "
        f"Flesch reading ease {hardest.reading_ease:.0f}, grade {hardest.grade:.1f}, "
        f"reading age about {hardest.reading_age:.0f}.",
        file=out,
    )
    above = [score for score in scores if score.reading_age > TARGET_READING_AGE]
    print(
        f"{len(above)} of {len(scores)} wordings are above a reading age of {TARGET_READING_AGE}.", file=out
    )
    return EXIT_OK


def preview_command(
    template: str,
    platform: str | None,
    channel: str | None,
    responses_dir: Path,
    out: TextIO,
    values: Mapping[str, str] | None = None,
    bot_marker: str = "",
) -> int:
    """Print each wording of a situation (a template or category name) filled with example values."""
    name = _template_name(template)
    if name is None:
        categories = ", ".join(category.value for category in Category)
        print(
            f"Unknown situation {template!r}. "
            f"Templates: {', '.join(TEMPLATE_NAMES)}. Categories: {categories}.",
            file=out,
        )
        return EXIT_CONFIG
    try:
        platforms = [Platform(platform)] if platform else list(Platform)
        channels = [Channel(channel)] if channel else None
    except ValueError:
        print(
            f"Unknown platform or channel. Platforms: {', '.join(p.value for p in Platform)}; "
            f"channels: {', '.join(c.value for c in Channel)}.",
            file=out,
        )
        return EXIT_CONFIG
    try:
        book = load_replies(responses_dir, reply_limits(), values=values)
    except ConfigError as error:
        print(format_error(error), file=out)
        print("Run `housebot check-replies` to see every problem.", file=out)
        return EXIT_CONFIG
    available = book.template(name).channels
    channels = channels or list(available)
    if any(wanted not in available for wanted in channels):
        print(f"{name} has only {', '.join(c.value for c in available)} wordings.", file=out)
        return EXIT_CONFIG
    example = {**PREVIEW_VALUES, **(values or {})}
    for each_platform in platforms:
        for each_channel in channels:
            limit = limit_for(book.limits, name, each_platform, each_channel)
            print(f"{name} on {each_platform.value}, {each_channel.value} (limit {limit}):", file=out)
            for index, text, length in preview(
                book,
                name,
                platform=each_platform,
                channel=each_channel,
                values=example,
                bot_marker="" if name in PROFILE_TEMPLATES else bot_marker,  # a profile is not a reply
            ):
                print(f"  [{index}] ({length}/{limit}) {text}", file=out)
            print(file=out)
    return EXIT_OK


def _template_name(given: str) -> str | None:
    """A template name as given, or the template a category answers with by default."""
    if given in TEMPLATE_NAMES:
        return given
    if given in {category.value for category in Category}:
        return CATEGORY_TEMPLATES[Category(given)]
    return None
