"""The evasion lexicon: the words that undoing l33t, spacing and masks is allowed to produce."""

from __future__ import annotations

from pathlib import Path

from bot.moderation.config import TomlFile

ABUSE_FILE = "abuse.toml"
SAFE_FILE = "safe_terms.toml"
WORD_LIST_KEYS = ("abuse.mild", "abuse.insults", "abuse.name_calling", "abuse.slurs")
VOWELS = frozenset("aeiouy")


def strong_swearing(abuse: TomlFile) -> frozenset[str]:
    """abuse.toml's strong swearing: the listed words, and every swear stem with each listed ending,
    behind each listed front or both ("shitting", "bollocksed", "dogshit", "bullshitting"). People
    bend swear words in more ways than a list holds; the stems' endings and fronts are closed lists,
    so "feckless" or "shitake" stay words, not swearing."""
    stems = {w.lower() for w in abuse.strings("abuse.stems")}
    endings = [""] + [w.lower() for w in abuse.strings("abuse.stem_endings")]
    fronts = [""] + [w.lower() for w in abuse.strings("abuse.stem_fronts")]
    # An ending that starts with a vowel may double the stem's last letter ("twatted", "shitting").
    doubled = [(stem, ending) for stem in stems for ending in endings if ending[:1] in VOWELS]
    bent = {front + stem + ending for stem in stems for front in fronts for ending in endings}
    bent.update(front + stem + stem[-1] + ending for stem, ending in doubled for front in fronts)
    return frozenset({w.lower() for w in abuse.strings("abuse.strong")} | bent)


def lexicon_from(abuse: TomlFile, safe: TomlFile) -> frozenset[str]:
    words = {w.lower() for key in WORD_LIST_KEYS for w in abuse.strings(key)}
    # The stems' forms behind a front ("dogshit") are left out: a masked front is rare, and each
    # lexicon word of a piece's length is compared when a masked piece is unmasked.
    fronts = tuple(w.lower() for w in abuse.strings("abuse.stem_fronts"))
    words.update(w for w in strong_swearing(abuse) if not w.startswith(fronts))
    words.update(w.lower() for w in safe.strings("safe.medical"))
    words.update(w.lower() for w in abuse.strings("evasion.words"))
    return frozenset(w for w in words if " " not in w)


def load_lexicon(directory: Path) -> frozenset[str]:
    """The lexicon from config/moderation, as training and the bot both use it."""
    return lexicon_from(TomlFile(directory / ABUSE_FILE), TomlFile(directory / SAFE_FILE))
