"""The evasion lexicon: the words that undoing l33t, spacing and masks is allowed to produce."""

from __future__ import annotations

from pathlib import Path

from bot.moderation.config import TomlFile

ABUSE_FILE = "abuse.toml"
SAFE_FILE = "safe_terms.toml"
WORD_LIST_KEYS = ("abuse.strong", "abuse.mild", "abuse.insults", "abuse.slurs")


def lexicon_from(abuse: TomlFile, safe: TomlFile) -> frozenset[str]:
    words = {w.lower() for key in WORD_LIST_KEYS for w in abuse.strings(key)}
    words.update(w.lower() for w in safe.strings("safe.medical"))
    words.update(w.lower() for w in abuse.strings("evasion.words"))
    return frozenset(w for w in words if " " not in w)


def load_lexicon(directory: Path) -> frozenset[str]:
    """The lexicon from config/moderation, as training and the bot both use it."""
    return lexicon_from(TomlFile(directory / ABUSE_FILE), TomlFile(directory / SAFE_FILE))
