"""Misinformation: known false health claims matched by meaning, plus a model kept to a high bar.

Each claim in claims.toml has a few phrasings, the official page that answers it and a one-line
correct summary (the suggested reply for staff). A message and a phrasing are compared as sets of
terms: words stemmed, stop words dropped, synonyms folded together ("jab", "vaccination" ->
"vaccine"). Terms are weighted by how few claims use them (an idf over the claims list), so
"infertility" counts for more than "vaccine" or "cause", and the score is their weighted cosine
similarity with the message's weight capped at twice the phrasing's, so a long post that makes
the claim in passing is still found. Denials ("the MMR does
not cause autism") lower the score, and a text that denies a listed claim is not handed to the model. Misinformation always goes to staff; it is never deleted here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.config import TomlFile
from bot.moderation.linear import LinearModel
from bot.moderation.message import only_pleasantries
from bot.moderation.text import prepare

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "claims.toml"
VERSION = "claims-2"
# A message must share this many of a phrasing's terms (all of them, if it has fewer): a topic
# alone ("flu jab", "covid vaccine") is never a claim.
MIN_SHARED_TERMS = 3
DENIAL_FACTOR = 0.5
# How many words after a negation ("does not cause") a claim's term may be for it to count as denied.
DENIAL_REACH = 2
_STOP_WORDS = frozenset(
    "a an the and or but if of to in on at by for with from into about as is are was were be been being "
    "it its this that these those i me my we our you your he she they them his her their there here "
    "do does did have has had can could will would should may might must just so very really all any "
    "some more most than then too also up out over only own same such what which who whom when where "
    "why how am im ive id get got gets getting like know think people say says said told".split()
)
# How many distinct words `ClaimsData.term_of` remembers (messages repeat the same few thousand words).
TERM_CACHE_SIZE = 16_384
_NEGATIONS = frozenset("not no doesnt dont isnt arent didnt wont cant cannot".split())
_DEBUNKING = frozenset("myth myths false untrue debunked nonsense disproven".split())


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    link: str
    summary: str


@dataclass(frozen=True, slots=True)
class ClaimsData:
    claims: tuple[Claim, ...]
    synonyms: Mapping[str, str]
    # term -> indexes into `phrasings`; each phrasing is (claim index, its term set, whether the
    # phrasing itself holds a negation: "you don't need chemo" is the claim, not its denial)
    index: Mapping[str, tuple[int, ...]]
    phrasings: tuple[tuple[int, frozenset[str], bool], ...]
    weights: Mapping[str, float]
    unknown_weight: float
    similarity: float
    model: LinearModel
    model_threshold: float
    model_question_threshold: float
    # Each word's term (`_term` with these synonyms), remembered: messages repeat the same words.
    term_of: Callable[[str], str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "term_of", functools.lru_cache(maxsize=TERM_CACHE_SIZE)(functools.partial(_term, synonyms=self.synonyms)))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _term(word: str, synonyms: Mapping[str, str]) -> str | None:
    """A word's content term, synonyms folded; None for a stop word, a single letter or a placeholder."""
    if word in _STOP_WORDS or len(word) < 2 or word.startswith("<"):
        return None
    stem = _stem(word)
    return synonyms.get(word) or synonyms.get(stem) or stem


def _terms_of(words: Iterable[str], term_of: Callable[[str], str | None]) -> frozenset[str]:
    return frozenset({term for term in map(term_of, words) if term is not None})


def terms(words: tuple[str, ...] | list[str], synonyms: Mapping[str, str]) -> frozenset[str]:
    """The content terms of some normalised words, synonyms folded, for matching by meaning."""
    return _terms_of(words, functools.partial(_term, synonyms=synonyms))


def load_claims(directory: Path, model: LinearModel) -> ClaimsData:
    file = TomlFile(directory / FILE)
    synonyms: dict[str, str] = {}
    raw_synonyms = file.value("synonyms")
    if not isinstance(raw_synonyms, dict):
        raise file.error("synonyms", "must be a table of word = [words meaning the same]")
    for canonical in raw_synonyms:
        for variant in file.strings(f"synonyms.{canonical}"):
            synonyms.setdefault(variant.lower(), canonical.lower())
    raw_claims = file.value("claims")
    if not isinstance(raw_claims, list) or not raw_claims:
        raise file.error("claims", "must be one or more [[claims]] tables")
    claims: list[Claim] = []
    phrasings: list[tuple[int, frozenset[str], bool]] = []
    seen_ids: set[str] = set()
    for number, raw in enumerate(raw_claims):
        key = f"claims[{number}]"
        if not isinstance(raw, dict):
            raise file.error(key, "must be a table", "[[claims]]")
        claim_id = raw.get("id")
        if not isinstance(claim_id, str) or not claim_id or claim_id in seen_ids:
            raise file.error(f"{key}.id", "must be a unique non-empty string", str(claim_id))
        seen_ids.add(claim_id)
        for part in ("link", "summary"):
            if not isinstance(raw.get(part), str) or not raw[part].strip():
                raise file.error(f"{claim_id}.{part}", "must be a non-empty string", f'"{claim_id}"')
        if not raw["link"].startswith("https://"):
            raise file.error(f"{claim_id}.link", "must be an https:// address of the official page", raw["link"])
        texts = raw.get("phrasings")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise file.error(f"{claim_id}.phrasings", "must be a non-empty list of sentences", f'"{claim_id}"')
        for text in texts:
            words = prepare(text).words
            claim_terms = terms(words, synonyms)
            if len(claim_terms) < MIN_SHARED_TERMS:
                raise file.error(f"{claim_id}.phrasings", f"{text!r} has too few meaningful words to match on", text)
            phrasings.append((len(claims), claim_terms, any(word in _NEGATIONS for word in words)))
        claims.append(Claim(claim_id, raw["link"], raw["summary"].strip()))
    claims_using: dict[str, set[int]] = {}
    for claim_index, claim_terms, _ in phrasings:
        for term in claim_terms:
            claims_using.setdefault(term, set()).add(claim_index)
    weights = {term: math.log(1 + len(claims) / len(users)) for term, users in claims_using.items()}
    index: dict[str, list[int]] = {}
    for position, (_, claim_terms, _) in enumerate(phrasings):
        for term in claim_terms:
            index.setdefault(term, []).append(position)
    return ClaimsData(
        claims=tuple(claims),
        synonyms=MappingProxyType(synonyms),
        index=MappingProxyType({term: tuple(ids) for term, ids in index.items()}),
        phrasings=tuple(phrasings),
        weights=MappingProxyType(weights),
        unknown_weight=math.log(1 + len(claims)),
        similarity=file.number("matching.similarity", 0.05, 1.0),
        model=model,
        model_threshold=file.number("matching.model", 0.01, 0.999),
        model_question_threshold=file.number("matching.model_question", 0.01, 0.999),
    )


def best_claim(words: tuple[str, ...], data: ClaimsData) -> tuple[float, Claim | None, bool]:
    """The listed claim this text comes closest to, how close (0..1), and whether the text denies it."""
    message_terms = _terms_of(words, data.term_of)
    shared: dict[int, int] = {}
    for term in message_terms:
        for position in data.index.get(term, ()):
            shared[position] = shared.get(position, 0) + 1
    best_score, best, best_denied = 0.0, None, False
    if not shared:  # most messages share no term with any listed claim
        return best_score, best, best_denied
    # Sets iterate in an order that changes between runs: sums and ties go in a fixed order, so the
    # same message always gets the same score and the same claim (the first listed wins a tie).
    message_weight = sum(data.weights.get(term, data.unknown_weight) ** 2 for term in sorted(message_terms))
    debunks, negated = _denials(words, data.term_of)  # once per message, not once per candidate phrasing
    for position, count in sorted(shared.items()):
        claim_index, claim_terms, negated_claim = data.phrasings[position]
        if count < min(MIN_SHARED_TERMS, len(claim_terms)):
            continue
        claim_weight = sum(data.weights[term] ** 2 for term in sorted(claim_terms))
        overlap = sum(data.weights[term] ** 2 for term in sorted(claim_terms & message_terms))
        score = overlap / math.sqrt(claim_weight * min(message_weight, 2 * claim_weight))
        denied = not negated_claim and (debunks or not negated.isdisjoint(claim_terms))
        if denied:
            score *= DENIAL_FACTOR
        if score > best_score:
            best_score, best, best_denied = score, data.claims[claim_index], denied
    return min(best_score, 1.0), best, best_denied


def _denials(words: tuple[str, ...], term_of: Callable[[str], str | None]) -> tuple[bool, frozenset[str]]:
    """Whether the text calls something a myth ("debunked", "false"), and the terms it negates
    ("does not cause autism": cause, autism). A claim is denied if the text debunks, or negates
    one of the claim's terms."""
    debunks = not _DEBUNKING.isdisjoint(words)
    negated = frozenset(
        term for index, word in enumerate(words) if word in _NEGATIONS
        for term in map(term_of, words[index + 1 : index + 1 + DENIAL_REACH]) if term is not None
    )
    return debunks, negated


def check_misinformation(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    if only_pleasantries(message.words, data.pleasantries):
        return ()
    claims = data.claims
    score, claim, denied = best_claim(message.words, claims)
    if claim is not None and score >= claims.similarity:
        return (Finding(Category.MISINFORMATION, round(score, 3), f"misinformation.claim.{claim.id}", f"{claim.summary} See {claim.link}"),)
    if denied and score >= claims.similarity * DENIAL_FACTOR:
        return ()  # it states a listed claim only to deny it: the model is not asked
    feats = claims.model.features_for(message.words, message.feats)
    model_score = claims.model.score(feats)
    # A question asks, it does not claim ("does hand gel kill germs as well as washing?"): the
    # model, which learnt claims, needs a stronger score for a message that opens by asking.
    if model_score >= (claims.model_question_threshold if message.asks else claims.model_threshold):
        return (Finding(Category.MISINFORMATION, round(model_score, 3), "misinformation.model", f"model {claims.model.version}: {', '.join(claims.model.top_features(feats))}"),)
    return ()
