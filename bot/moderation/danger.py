"""Danger: someone at risk of suicide, self-harm or abuse, or a medical emergency happening now.

Three sources, one score per category (the score sets the tier, see config/policy.toml):
- cue families (`bot.moderation.cues`, config/moderation/danger_cues.toml): concepts from published
  guidance that occur near each other, with idioms, negation, past events and talk about the topic
  guarded;
- the listed wording of danger.toml (`<category>.phrase`), run on the unmasked text; an
  urgent-care phrase told as over or denied by the words right next to it ("had a stroke two
  years ago", "no chest pain") is not an emergency now, unless the words after it say it is
  happening now; the cue guards cap it too (an idiom drops it, talk about the topic keeps it
  below the urgent tier);
- the safeguarding model (`safeguarding.model`) and the urgent-care model (`urgent_care.model`),
  whose probabilities map onto the same score scale by the probabilities in danger_cues.toml's
  [model] table.
The strongest source names the finding; the detail lists every family, phrase and model that spoke.
Two readers that agree count for more than either: an unguarded cue family and a model both in the
support tier add up like two families (`_agreement`); a family that only names the topic (`confirm`)
stays below the urgent tier until a model or another family agrees (`_unconfirmed_capped`), and so
does any one family alone that its category's model reads almost no risk in (`lone_cue_probabilities`).
Laughing emoji count as the joking guard does ("lol"), at the word they follow (`cues.mark_positions`).
Where a model alone starts the support tier (recall) and where it agrees with a family (precision) are
separate probabilities; a model's support-tier guess beside another check's listed wording is that
wording's (`drop_model_guess_beside_wording`, called by `classify`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation import cues
from bot.moderation.config import TomlFile
from bot.moderation.cues import CueBook, Family, Hit
from bot.moderation.linear import LinearModel
from bot.moderation.message import only_pleasantries
from bot.moderation.text import features

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "danger.toml"
VERSION = "danger-3"
# How much normalised text either side of an urgent-care phrase the tense and negation cues read.
CUE_REACH = 60
# How many words after the phrase a "happening now" cue may be.
PRESENT_WORDS = 4
# How sure listed wording makes us, before the cue guards.
PHRASE_WEIGHT = 0.9
# The score scale every danger source maps onto (the shipped policy's tier thresholds).
SUPPORT_SCORE, URGENT_SCORE = 0.3, 0.7
# How many spans a finding keeps for the console.
MAX_SPANS = 5


@dataclass(frozen=True, slots=True)
class DangerData:
    safeguarding: re.Pattern[str]
    urgent_care: re.Pattern[str]
    resolved_before: re.Pattern[str]
    resolved_after: re.Pattern[str]
    present: re.Pattern[str]
    cues: CueBook
    model: LinearModel
    model_support: float  # the model's probability that gives the lowest support-tier score
    model_urgent: float  # ... and the lowest urgent-tier score (1.0: never from the model alone)
    urgent_model: LinearModel  # emergencies told by their symptoms, trained on the project's danger files
    urgent_model_support: float  # the same two probabilities for the urgent-care model
    urgent_model_urgent: float
    # Where a cue family and a model, each unguarded, both put a message in the support tier, their
    # agreement counts like two cue families (1 - (1-a)(1-b)), up to this score per category (0: the stronger alone).
    agreement_caps: Mapping[Category, float]
    # A model alone beside another check's listed wording needs this probability (`drop_model_guess_beside_wording`).
    beside_wording_probability: float
    # ... and this one beside private details alone: often the very details of the person at risk ("check on
    # Mrs Kay at flat 12").
    beside_private_probability: float
    # The probability from which each model agrees with a cue family (`_agreement`, `_unconfirmed_capped`).
    agreement_probabilities: Mapping[Category, float]
    # Below this probability the category's model reads no risk at all, and one cue family or listed
    # wording alone stays below the urgent tier (`_unconfirmed_capped`; 0: never).
    lone_cue_probabilities: Mapping[Category, float]


def _probabilities(cue_file: TomlFile, prefix: str) -> tuple[float, float]:
    """A model's (support, urgent) probabilities from danger_cues.toml's [model] table."""
    support = cue_file.number(f"model.{prefix}support_probability", 0.01, 0.99)
    urgent = cue_file.number(f"model.{prefix}urgent_probability", 0.01, 1.0)
    if urgent <= support:
        raise cue_file.error(f"model.{prefix}urgent_probability", f"must be above {prefix}support_probability ({support}), found {urgent}")
    return support, urgent


def load_danger(directory: Path, model: LinearModel, urgent_model: LinearModel) -> DangerData:
    file = TomlFile(directory / FILE)
    cue_file = TomlFile(directory / cues.FILE)
    support, urgent = _probabilities(cue_file, "")
    urgent_model_support, urgent_model_urgent = _probabilities(cue_file, "urgent_care_")
    return DangerData(
        safeguarding=file.regex("safeguarding.patterns", file.strings("safeguarding.patterns")),
        urgent_care=file.regex("urgent_care.patterns", file.strings("urgent_care.patterns")),
        resolved_before=file.regex("urgent_care.resolved_before", file.strings("urgent_care.resolved_before")),
        resolved_after=file.regex("urgent_care.resolved_after", file.strings("urgent_care.resolved_after")),
        present=file.regex("urgent_care.present", file.strings("urgent_care.present")),
        cues=cues.load_cues(directory),
        model=model,
        model_support=support,
        model_urgent=urgent,
        urgent_model=urgent_model,
        urgent_model_support=urgent_model_support,
        urgent_model_urgent=urgent_model_urgent,
        agreement_caps=MappingProxyType({category: cue_file.number(f"model.agreement_cap.{category.value}", 0.0, 0.95)
                                         for category in cues.DANGER}),
        beside_wording_probability=cue_file.number("model.beside_wording_probability", 0.01, 1.0),
        beside_private_probability=cue_file.number("model.beside_private_probability", 0.01, 1.0),
        agreement_probabilities=MappingProxyType({
            Category.SAFEGUARDING: cue_file.number("model.agreement_probability", 0.01, 1.0),
            Category.URGENT_CARE: cue_file.number("model.urgent_care_agreement_probability", 0.01, 1.0)}),
        lone_cue_probabilities=MappingProxyType({category: cue_file.number(f"model.lone_cue_probability.{category.value}", 0.0, 0.5)
                                                 for category in cues.DANGER}),
    )


def model_score(probability: float, data: DangerData, category: Category = Category.SAFEGUARDING) -> float:
    """A probability of `category`'s model (safeguarding or urgent care) on the danger score scale (`scaled`)."""
    if category is Category.URGENT_CARE:
        return scaled(probability, data.urgent_model_support, data.urgent_model_urgent)
    return scaled(probability, data.model_support, data.model_urgent)


def scaled(probability: float, support: float, urgent: float) -> float:
    """A model's probability on the danger score scale: 0 below `support`; from there the support
    tier (0.3 up to just under 0.7); from `urgent` the urgent tier (0.7 to 0.9)."""
    if probability < support:
        return 0.0
    if probability < urgent:
        share = (probability - support) / (urgent - support)
        return round(SUPPORT_SCORE + share * (URGENT_SCORE - 0.01 - SUPPORT_SCORE), 4)
    share = (probability - urgent) / (1.0 - urgent) if urgent < 1.0 else 1.0
    return round(URGENT_SCORE + share * 0.2, 4)


def is_resolved(joined: str, start: int, end: int, data: DangerData) -> bool:
    """Whether the urgent-care phrase at joined[start:end] is told as over or denied, not happening now."""
    after = joined[end : end + CUE_REACH]
    if data.present.search(" ".join(after.split()[:PRESENT_WORDS])):
        return False
    before = joined[max(0, start - CUE_REACH) : start]
    return data.resolved_before.search(before) is not None or data.resolved_after.search(after) is not None


def span_of(message: Message, start: int, end: int, label: str) -> Span:
    """Map a match on `message.joined` (normalised words) back to offsets in the original text."""
    tokens = message.prepared.tokens
    position = 0
    first = last = None
    for token in tokens:
        token_end = position + len(token.word)
        if first is None and token_end > start:
            first = token
        if position < end:
            last = token
        position = token_end + 1
    if first is None or last is None:
        return Span(0, 0, label)
    return Span(first.start, max(first.start, last.end), label)


def _word_index(joined: str, offset: int) -> int:
    """Which word of `joined` (words separated by single spaces) the character at `offset` is in."""
    return joined.count(" ", 0, offset)


def _read_by_family(family_hits: tuple[Hit, ...], category: Category, start: int, end: int) -> bool:
    """Whether a cue family of `category` read some of the words [start, end)."""
    return any(
        hit.family.category is category and concept_start < end and start < concept_end
        for hit in family_hits for _, concept_start, concept_end in hit.concepts
    )


def _phrase_hits(message: Message, reading: cues.Reading, data: DangerData, family_hits: tuple[Hit, ...]) -> list[Hit]:
    """danger.toml's listed wording as hits, under the same guards as the cues. Where a cue family
    read the same words, its calibrated weight speaks for them ("banged his head" alone is the
    support tier, with "and is confused" the urgent one), so the phrase's flat weight stands aside."""
    found = []
    for category, pattern in ((Category.SAFEGUARDING, data.safeguarding), (Category.URGENT_CARE, data.urgent_care)):
        family = Family("phrase", category, (), 1, PHRASE_WEIGHT)
        for match in message.finditer(pattern, message.joined):
            if category is Category.URGENT_CARE and is_resolved(message.joined, match.start(), match.end(), data):
                continue
            start, end = _word_index(message.joined, match.start()), _word_index(message.joined, max(match.start(), match.end() - 1)) + 1
            if (any(index in reading.idiom_words for index in range(start, end)) or cues.negated(message.words, data.cues, start)
                    or _read_by_family(family_hits, category, start, end)):
                continue
            guard = cues.guard_at(reading, data.cues, start, end)
            score = cues.capped(data.cues, guard, category, PHRASE_WEIGHT)
            if score > 0.0:
                found.append(Hit(family, start, end, score, (("wording", start, end),), guard.removeprefix("guard:")))
    return found


def _model_hits(message: Message, reading: cues.Reading, data: DangerData, pleasantries: frozenset[str]) -> tuple[list[Hit], dict[Category, float]]:
    """Each model's view, read without the words of idioms ("kill myself laughing") and capped
    like a guarded family when the message talks about the topic or jokes, with each model's
    probability. A greeting or a thank-you alone is never asked: the support tier starts low, and
    "thanks" is nobody's crisis."""
    if only_pleasantries(message.words, pleasantries):
        return [], {}
    if reading.idiom_words:
        words = tuple(word for index, word in enumerate(message.words) if index not in reading.idiom_words)
        feats = features(words)
    else:
        words, feats = message.words, message.feats
    found = []
    probabilities = {}
    last = len(message.words)
    # Both models read the same word prefixes: build each feature list once per message.
    read_by: dict[tuple[tuple[int, ...], frozenset[str]], list[str]] = {}
    for category, model in ((Category.SAFEGUARDING, data.model), (Category.URGENT_CARE, data.urgent_model)):
        reads = (model.prefixes, model.words_without)
        if reads not in read_by:
            read_by[reads] = model.features_for(words, feats)
        probabilities[category] = model.score(read_by[reads])
        score = model_score(probabilities[category], data, category)
        if score <= 0.0:
            continue
        family = Family("model", category, (), 1, score)
        guard = _model_guard(reading, category)
        if guard is None:
            found.append(Hit(family, 0, last, score, ()))
            continue
        capped = cues.capped(data.cues, guard, category, score)
        if capped > 0.0:
            found.append(Hit(family, 0, last, capped, (), guard.removeprefix("guard:")))
    return found, probabilities


def _model_guard(reading: cues.Reading, category: Category) -> str | None:
    """The guard that caps a model's view of the whole message: talk about the topic or a joke; and
    for urgent care, an event told as over ("two years ago he had a stroke and he's fine now") with
    nothing said to be happening now, which drops it as it drops a cue family."""
    if category is Category.URGENT_CARE and reading.guard_starts[cues.PAST] and not reading.guard_starts[cues.PRESENT]:
        return cues.PAST
    return next((guard for guard in (cues.TALK, cues.JOKE) if reading.guard_starts[guard]), None)


def _describe(hit: Hit, message: Message) -> str:
    words = message.words
    if hit.family.name == "model":
        said = f"model {hit.score:.2f}"
    else:
        read_words = ", ".join(f"{concept} {' '.join(words[start:end])!r}" for concept, start, end in hit.concepts)
        said = f"{hit.family.name} ({read_words})"
    return f"{said}, {hit.guard}: capped" if hit.guard else said


def _rule(hit: Hit) -> str:
    category = hit.family.category.value
    if hit.family.name in ("phrase", "model"):
        return f"{category}.{hit.family.name}"
    return f"{category}.cue.{hit.family.name}"


def _spans(hits: list[Hit], message: Message, label: str) -> tuple[Span, ...]:
    tokens = message.prepared.tokens
    spans = []
    for hit in hits:
        for _, start, end in hit.concepts:
            span = Span(tokens[start].start, tokens[end - 1].end, label)
            if span not in spans:
                spans.append(span)
    return tuple(spans[:MAX_SPANS])


def check_danger(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    danger = data.danger
    text = message.text
    # Emoji are not ASCII: most messages are, and skip the scan.
    marks = () if text.isascii() else cues.mark_positions(text, [token.start for token in message.prepared.tokens], danger.cues)
    reading = cues.read(message.words, danger.cues, marks)
    family_hits = cues.hits(reading, danger.cues)
    found = [*family_hits, *_phrase_hits(message, reading, danger, family_hits)]
    models, probabilities = _model_hits(message, reading, danger, data.pleasantries)
    findings = []
    for category in cues.DANGER:
        mine = sorted((hit for hit in found if hit.family.category is category), key=lambda hit: -hit.score)
        mine += [hit for hit in models if hit.family.category is category]
        if not mine:
            continue
        joins = _joins(danger, category)
        # A model that reads no risk at all (a greeting alone is never asked: 1.0, no doubt) leaves one cue alone unconfirmed.
        doubted = probabilities.get(category, 1.0) < danger.lone_cue_probabilities.get(category, 0.0)
        cue_hits = _unconfirmed_capped([hit for hit in mine if hit.family.name != "model"], mine, joins, doubted)
        mine = [*cue_hits, *(hit for hit in mine if hit.family.name == "model")]
        # Different cue families add up; the model reads the same words, so it competes, and adds up
        # with a cue family only where both agree unguarded, to at most the agreement cap.
        cue_score = cues.combined_score(tuple(cue_hits))
        score = max(cue_score, max(hit.score for hit in mine), _agreement(mine, danger.agreement_caps[category], joins))
        # The finding is named after what set its score: the strongest cue, or the model when it alone scored higher.
        strongest_model = max((hit.score for hit in mine if hit.family.name == "model"), default=0.0)
        leader = max(cue_hits, key=lambda hit: hit.score) if cue_hits and cue_score >= strongest_model else max(mine, key=lambda hit: hit.score)
        detail = "; ".join(_describe(hit, message) for hit in mine)
        findings.append(Finding(category, score, _rule(leader), detail, _spans(cue_hits, message, category.value)))
    return _model_alone_defers(findings)


# Categories whose listed wording explains the words a danger model read in the support tier: an
# advert, a question about or report of an account, a health claim, a threat to someone else ("I'm
# going to do her in" reads 0.79 as risk to oneself). Beside them a model's support-tier guess is dropped.
EXPLAINED_BY = frozenset({Category.SPAM, Category.VERIFICATION, Category.MISINFORMATION, Category.THREAT})
# Categories a person in crisis also writes in (swearing, their own private details): beside them a
# model's guess needs `beside_wording_probability`.
WRITTEN_IN_CRISIS_TOO = frozenset({Category.ABUSE, Category.OVERSHARING})


def drop_model_guess_beside_wording(findings: dict[Category, Finding], data: DangerData) -> None:
    """A danger finding from a model alone in the support tier, beside another check's listed wording,
    is that wording's: the models learnt risk from words such as "messaging people" or "nobody cares",
    which those checks explain, and a support-tier finding stops the hide. Beside spam, verification,
    a health claim or a threat it is dropped; beside abuse or private details it needs the model's
    probability to reach `beside_wording_probability` (a post in crisis that swears is signposted
    first), beside private details alone `beside_private_probability`. A cue family, listed danger
    wording or an urgent-tier score always stays."""
    beside = {finding.category for finding in findings.values() if not finding.check.endswith(".model")}
    if beside.isdisjoint(EXPLAINED_BY | WRITTEN_IN_CRISIS_TOO):
        return
    if not beside.isdisjoint(EXPLAINED_BY):
        lowest = {category: URGENT_SCORE for category in cues.DANGER}
    else:
        probability = data.beside_wording_probability if Category.ABUSE in beside else data.beside_private_probability
        lowest = {category: model_score(probability, data, category) for category in cues.DANGER}
    for category in cues.DANGER:
        finding = findings.get(category)
        if finding is not None and finding.check.endswith(".model") and not finding.spans and finding.score < lowest[category]:
            del findings[category]


def _joins(data: DangerData, category: Category) -> float:
    """The score at which a model agrees with a cue family (`agreement_probabilities`): kept apart from
    where the model alone starts the support tier, so a lower support tier (recall) does not let the
    model confirm more cue families into the urgent tier (precision)."""
    return max(model_score(data.agreement_probabilities[category], data, category), SUPPORT_SCORE)


def _unconfirmed_capped(cue_hits: list[Hit], hits: list[Hit], joins: float, doubted: bool = False) -> list[Hit]:
    """A `confirm` family alone (no other unguarded family, no model scoring `joins` or above) keeps
    its reading but stays just below the urgent tier: naming the topic is not yet a crisis. When the
    model `doubted` (read almost no risk), any one cue family alone is treated so: an idiom or talk
    about the topic that no guard lists ("bout to throw myself off a cliff if one more person asks")
    is read as a crisis by co-occurring concepts alone, and the model, trained on thousands of ordinary
    posts, disagrees. danger.toml's listed wording ("mental health crisis") is explicit and keeps its weight."""
    confirmed = sum(1 for hit in cue_hits if not hit.guard) > 1 or any(
        hit.family.name == "model" and not hit.guard and hit.score >= joins for hit in hits)
    if confirmed:
        return cue_hits
    below_urgent = round(URGENT_SCORE - 0.01, 4)
    return [dataclasses.replace(hit, score=below_urgent)
            if (hit.family.confirm or (doubted and hit.family.name != "phrase")) and hit.score > below_urgent else hit for hit in cue_hits]


def _agreement(hits: list[Hit], cap: float, joins: float) -> float:
    """Two sources that read a message differently and agree: the strongest unguarded cue family in
    the support tier or above and the model scoring `joins` or above add up like two families, to at
    most `cap`. A guarded hit (talk about the topic, a joke, a past event) never joins: its cap is the
    point of the guard."""
    model = max((hit.score for hit in hits if hit.family.name == "model" and not hit.guard), default=0.0)
    cue = max((hit.score for hit in hits if hit.family.name != "model" and not hit.guard), default=0.0)
    if cue < SUPPORT_SCORE or model < joins:
        return 0.0
    return min(cap, round(1.0 - (1.0 - model) * (1.0 - cue), 4))


def _model_alone_defers(findings: list[Finding]) -> tuple[Finding, ...]:
    """Each model reads some risk in the other category's messages (the safeguarding model in "took
    an overdose an hour ago", the urgent-care model in a plan to take tablets tonight): a finding
    from a model alone that the other danger category's finding outscores is that finding's, so it
    is kept as its evidence, not as a category."""
    if len(findings) < 2:
        return tuple(findings)
    first, second = findings
    for alone, other in ((first, second), (second, first)):
        if alone.check.endswith(".model") and alone.score < other.score:
            return (dataclasses.replace(other, detail=f"{other.detail}; {alone.category.value} {alone.detail}"),)
    return tuple(findings)
