"""One normalisation pass shared by every check, so evasion is undone once and cheaply.

`fold` maps each character to exactly one character (case, accents, homoglyphs, fullwidth and
mathematical letters), so offsets in the folded text are offsets in the original text and spans
found on it can be used to redact the original. `prepare` then splits the folded text into word
tokens and undoes the usual tricks: l33t digits and symbols inside words (`sh1t`, `a$$`,
`f.u.c.k`), repeated letters (`fuuuuck`), s p a c e d letters and masked letters (`f*ck`, `f🤬ck`)
when the result is a word in the lexicon given. The same `features` feed every trained model
(training uses this very function), so training and inference cannot drift apart.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

# Letters that look like Latin ones in other scripts: the few that matter for evasion.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ᴜ": "u",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ł": "l", "ø": "o", "ß": "s", "đ": "d", "ı": "i",
    # Small capitals ("ᴡᴇɪɢʜᴛ ʟᴏꜱꜱ"), which Unicode does not decompose: adverts use them to slip past word lists.
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴠᴡʏᴢ", "abcdefghijklmnopqrstvwyz")),
}
# Inside a word that has letters, these stand for letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "£": "l"})
_MASK_CHARS = frozenset("*#_%~?")
# How many distinct whitespace-separated pieces of text `prepare` remembers the words of.
PIECE_CACHE_SIZE = 16_384
# How many lexicons (one in the bot; training and tests use a few) `_unmask` keeps grouped by length.
LEXICON_CACHE_SIZE = 8


class _FoldTable(dict[int, str]):
    """A `str.translate` table that works out and caches the one-character fold of any character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        lowered = char.casefold()
        folded = _HOMOGLYPHS.get(lowered[:1] if lowered else char)
        if folded is None:
            decomposed = unicodedata.normalize("NFKD", lowered)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            folded = base[:1] if base else char
            folded = _HOMOGLYPHS.get(folded, folded)
            if not folded.isprintable() or folded.isspace():
                folded = " "
        if len(folded) != 1:
            folded = " "
        if len(self) < 100_000:
            self[code] = folded
        return folded


_FOLD = _FoldTable()
_PIECE = re.compile(r"\S+")
_URL_ANYWHERE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,!?)\]]"
    r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|co\.uk|org\.uk|nhs\.uk|gov\.uk|uk|org|net|io|ly|me|info|biz|xyz|shop|link|click|co|top|site|store|online|live|club|help|ru|cc|vip|life|pro|win|icu|buzz|cfd|sbs|support|services)\b(?:/[^\s<>\"']*[^\s<>\"'.,!?)\]])?"
)
_MENTION = re.compile(r"@\w+")
_WORD_CHARS = re.compile(r"[a-z0-9]+")
_LETTERS_ONLY = re.compile(r"[^a-z]+")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")
_PLAIN_ALNUM = re.compile(r"\d+[a-z]{1,3}|[a-z]+\d+")
# Punctuation that separates words; apostrophes do not ("don't" -> "dont"), dots inside a word are evasion.
_SEPARATORS = re.compile(r"[,;:/()\[\]\"“”\-–—+=&<>]+|\.(?=\s|$)|\.{2,}")


def fold(text: str) -> str:
    """The text with every character folded to one lower-case Latin-ish character (same length)."""
    return text.translate(_FOLD)


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised word and where it came from in the original text."""

    word: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message after the shared normalisation pass; every check reads this, not the raw text."""

    original: str
    folded: str
    tokens: tuple[Token, ...]
    urls: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple([token.word for token in self.tokens])

    @property
    def joined(self) -> str:
        """The normalised words separated by single spaces, for phrase patterns."""
        return " ".join([token.word for token in self.tokens])


def _squeeze(word: str, lexicon: frozenset[str]) -> str:
    """Undo stretched letters (`fuuuck`, `asssss`) when the text repeats a letter three times or more."""
    if not _RUN3.search(word):
        return word
    for candidate in (_RUN3.sub(r"\1\1", word), _RUN2.sub(r"\1", word), _RUN3.sub(r"\1", word)):
        if candidate in lexicon:
            return candidate
    return _RUN3.sub(r"\1\1", word)


def _unmask(piece: str, lexicon: frozenset[str]) -> str | None:
    """A lexicon word that `piece` spells with masked letters (`f*ck`, `f🤬ck`), if exactly one fits."""
    letters = sum(1 for c in piece if c.isalpha())
    if letters < 2 or letters == len(piece):
        return None
    fits = [word for word in _words_by_length(lexicon).get(len(piece), ()) if _spells(piece, word)]
    return fits[0] if len(fits) == 1 else None


def _spells(piece: str, word: str) -> bool:
    """Whether a same-length `piece` spells `word`: its letters and digits as they are, any other
    character standing for one letter (as the regex "." would: anything but a line break)."""
    return all(word_char == char if char.isalnum() else word_char != "\n" for char, word_char in zip(piece, word))


@functools.lru_cache(maxsize=LEXICON_CACHE_SIZE)
def _words_by_length(lexicon: frozenset[str]) -> Mapping[int, tuple[str, ...]]:
    """The lexicon's words grouped by length, so unmasking a piece compares it with same-length words only."""
    grouped: dict[int, list[str]] = {}
    for word in lexicon:
        grouped.setdefault(len(word), []).append(word)
    return MappingProxyType({length: tuple(words) for length, words in grouped.items()})


def _normalise_piece(piece: str, lexicon: frozenset[str]) -> str:
    if not any(c.isalpha() for c in piece):
        return piece if piece.isdigit() else _LETTERS_ONLY.sub("", piece)
    if _PLAIN_ALNUM.fullmatch(piece):  # "5g", "4am", "2nd", "covid19": digits at an edge are digits
        return piece
    plain = _LETTERS_ONLY.sub("", piece.translate(_LEET))
    plain = _squeeze(plain, lexicon)
    if plain not in lexicon and any(c in _MASK_CHARS or not c.isascii() for c in piece):
        unmasked = _unmask(piece.translate(_LEET), lexicon)
        if unmasked:
            return unmasked
    return plain


def _join_spaced_letters(tokens: list[Token], lexicon: frozenset[str]) -> list[Token]:
    """Join runs of single letters (`f u c k`) into one word when the result is in the lexicon.

    Within a run of single letters, the first of its tails (from the earliest start) that spells
    a lexicon word is joined. Only tails no longer than the lexicon's longest word can, so each
    run is read once and only its last few letters are tried: `"a " * 50000` stays linear.
    """
    if sum(len(token.word) == 1 for token in tokens) < 3:  # the common case: no run of three to join
        return tokens
    longest = max(_words_by_length(lexicon), default=0)
    joined: list[Token] = []
    index = 0
    while index < len(tokens):
        end = index
        while end < len(tokens) and len(tokens[end].word) == 1 and tokens[end].word.isalpha():
            end += 1
        if end - index < 3:
            joined.append(tokens[index])
            index += 1
            continue
        start = next((first for first in range(max(index, end - longest), end - 2)
                      if "".join(t.word for t in tokens[first:end]) in lexicon), end)
        joined.extend(tokens[index:start])
        if start < end:
            joined.append(Token("".join(t.word for t in tokens[start:end]), tokens[start].start, tokens[end - 1].end))
        index = end
    return joined


def _read_piece(piece: str, lexicon: frozenset[str]) -> tuple[tuple[str, int, int], ...]:
    """The normalised words of one whitespace-free piece, each with its start and end inside the piece."""
    if piece.isalpha() and piece.isascii():  # the common case: a plain word, nothing to undo
        return ((_squeeze(piece, lexicon), 0, len(piece)),)
    if piece.startswith("@") and _MENTION.match(piece) and len(piece) > 2:
        return (("<user>", 0, len(piece)),)
    if any(c.isalpha() for c in piece) and any(c.isdigit() for c in piece) and _WORD_CHARS.fullmatch(piece) and sum(c.isdigit() for c in piece) > 2:
        return (("<code>", 0, len(piece)),)
    # Split on punctuation that separates words (hyphens, slashes, commas) unless it is evasion.
    words = []
    offset = 0
    for part in _SEPARATORS.split(piece):
        if not part:
            continue
        part_start = piece.find(part, offset)
        word = _normalise_piece(part.strip(".!?"), lexicon) if part.strip(".!?") else ""
        if word:
            words.append((word, part_start, part_start + len(part)))
        offset = part_start + len(part)
    return tuple(words)


# Messages repeat the same few thousand words: each distinct piece is read once. Bounded, and
# `_read_piece` is pure, so the cache only saves time.
_read_piece_cached = functools.lru_cache(maxsize=PIECE_CACHE_SIZE)(_read_piece)


def prepare(text: str, lexicon: frozenset[str] = frozenset()) -> Prepared:
    """Normalise `text` once for all checks; `lexicon` is the words evasion-undoing may produce."""
    folded = fold(text)
    urls: list[str] = []
    tokens: list[Token] = []
    # Links first, wherever they sit ("here...https://x.com/y"), then blank them for the word pass.
    scan = folded
    if "." in folded:
        for link in _URL_ANYWHERE.finditer(folded):
            urls.append(text[link.start() : link.end()])
            tokens.append(Token("<url>", link.start(), link.end()))
        if urls:
            scan = _URL_ANYWHERE.sub(lambda link: " " * len(link.group()), folded)
    for match in _PIECE.finditer(scan):
        start = match.start()
        for word, word_start, word_end in _read_piece_cached(match.group(), lexicon):
            tokens.append(Token(word, start + word_start, start + word_end))
    if urls:
        tokens.sort(key=lambda token: token.start)
    return Prepared(text, folded, tuple(_join_spaced_letters(tokens, lexicon)), tuple(urls))


def features(words: tuple[str, ...] | list[str]) -> list[str]:
    """The model features of a token sequence: words and adjacent word pairs."""
    feats = list(words)
    feats.extend([f"{a} {b}" for a, b in zip(words, words[1:])])
    return feats


def prefix_features(words: tuple[str, ...] | list[str], sizes: tuple[int, ...]) -> list[str]:
    """The first `size` letters of each longer word, marked with "~": "cancel" in "cancelled",
    "cancellation" and "cancelling" alike, for a model trained on few posts. One cheap feature
    per word and size (character n-grams cost twenty times as much at the same quality).
    Placeholders such as "<url>" are left out."""
    return [f"~{word[:size]}" for size in sizes for word in words if len(word) > size and word[0] != "<"]
