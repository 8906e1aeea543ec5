"""Threats of violence against people or places, including indirect ones ("I know where she lives").

Three ways in. On the idiom-masked words, so "this heat is killing me" or "booster shot" never
count: the listed patterns of threat.toml, and its concept cues (bot/moderation/concepts.py): a
weapon or an act of harm beside a target or an intent, a veiled warning to someone, a wish that
someone were hurt, knowing where someone lives or parks, revenge; the cues name what they found.
Then the threat model (ETHOS violence and the project's UK threats), for the wordings no list
foresaw: it reads the words the cues read and which cue families the message holds, and is kept to
a high bar because a threat is hidden and escalated, highest for a message naming nobody.
A message that thanks, jokes, talks about violence or asks for better care (threat.toml's guards)
is a threat only when the model agrees: there violent words are mostly praise, banter or news.
A message reporting harm done or threatened TO the writer or their own by someone else ("my ex said
he'd kill me"), harm the writer saw or heard done to someone else ("hearing a little girl crying
through the wall"), or harm aimed at the writer's own body ("a gun to my head") is no threat to staff
(threat.toml's [victim]): what the threat check found in it becomes a safeguarding finding in the
support tier, so it is never hidden and a person looks. So does a threat that lives only inside
someone else's quoted words ("a man in the car park shouted 'I know where you live' at me"): the
writer reports it (`reported_quotes`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.concepts import CueMatch, Cues, families_by_clause, family_features, family_pair_features, load_cues, read_cues
from bot.moderation.config import TomlFile
from bot.moderation.cues import emoji_marks, read as read_danger_cues
from bot.moderation.danger import span_of
from bot.moderation.linear import LinearModel
from bot.moderation.message import read_message
from bot.moderation.text import features, prefix_features, prepare

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "threat.toml"
VERSION = "threat-2"
SCORE = 0.9
# Marks a cue family's feature for the threat model ("#weapon"): no word or word pair starts with it.
CONCEPT_MARK = "#"
# Joins two families held anywhere in one message ("#fire~target"); "&" joins two held in one clause.
MESSAGE_PAIR = "~"
# The [victim] family of the writer's own intent ("I'll ..."): a message holding it reports nothing.
OWN_INTENT = "own_intent"
# The [victim] family of a second person ("you", "your"): a message holding it is addressed to someone.
ADDRESSED = "addressed"
# The check name of a threat found in a report of harm to the writer or their own.
REPORTED_HARM_CHECK = "safeguarding.reported_harm"
# Quotation marks: a double one opens and closes alike; a single one opens before a word and closes after one
# (an apostrophe has a letter on both sides: "he'd", "t'queue").
_DOUBLE_QUOTES = frozenset('"“”«»')
_SINGLE_QUOTES = frozenset("'‘’")
# Where the words that introduce a quotation are looked for: this many words before it, or after it ("... ' he said").
_INTRO_BEFORE, _INTRO_AFTER = 6, 5
_SENTENCE_STOPS = frozenset(".!?\n")
_START, _END = attrgetter("start"), attrgetter("end")  # where a token begins and ends, for bisection over tokens


@dataclass(frozen=True, slots=True)
class ThreatSignals:
    """threat.toml's concept cues, and the trained model with the score it must reach."""

    cues: Cues
    model: LinearModel
    model_threshold: float
    # Below `model_alone_threshold`, the model counts only for a message holding a phrase of one of these cue families.
    model_needs: frozenset[str]
    model_alone_threshold: float
    # A message that opens by asking ("does the shampoo kill all the nits?") needs at least this score.
    model_question_threshold: float
    # With fewer known features than this the model is not asked: on one or two words ("I'm watching
    # this", "put down") a normalised score is large and says nothing.
    model_min_features: int
    # ... and at least this many for a message holding no phrase of a `model_needs` family (no word of violence or
    # menace): on a short remark ("watch this every time") a few everyday words carry the whole normalised score.
    model_alone_min_features: int
    # With no such phrase but one of `model_aimed_at`'s families (a member of staff or a place named), the model
    # counts from `model_aimed_threshold`: menace aimed at someone needs no word of violence ("the car
    # park at st james is where it'll happen"), while a message naming nobody stays at the higher bar.
    model_aimed: frozenset[str]
    model_aimed_threshold: float
    # A message holding a phrase of one of `guards` (thanks and praise, joking, talk about violence) or
    # one of `guard_marks` (laughing emoji) is a threat only when the model agrees: its listed wording or cue
    # needs `model_guarded_cue_threshold` (round 10, was `model_alone_threshold`: "thanks to the nurse who took the
    # knife off that bloke" read 0.88 with the retrained model), the model alone `model_guarded_threshold`.
    guards: frozenset[str]
    guard_marks: tuple[str, ...]
    model_guarded_threshold: float
    model_guarded_cue_threshold: float
    # Reports of harm to the writer or their own by a third person ([victim]): never a threat to staff.
    victim: Cues
    # [victim] combos that hold whatever the writer intends (harm aimed at the writer's own body).
    victim_regardless_of_intent: frozenset[str]
    # [victim] combos that hold only in a message addressing no one ("you"): what the writer saw or heard.
    victim_unaddressed: frozenset[str]
    # The safeguarding score a threat found in such a report becomes (support tier in policy.toml).
    victim_score: float
    # Words that introduce someone's quoted words ("said", "shouted", "saying"), and the speakers that make them
    # the writer's own ("I said '...'"): a threat found only inside another's quoted words is reported, not made.
    quote_intro: frozenset[str] = frozenset()
    own_voice: frozenset[str] = frozenset()


def load_threat_signals(directory: Path, model: LinearModel, lexicon: frozenset[str]) -> ThreatSignals:
    file = TomlFile(directory / FILE)
    cues = load_cues(file, "cues", lexicon)
    families = {family for found in cues.phrases.values() for _, family in found}
    victim = load_cues(file, "victim", lexicon)
    victim_families = {family for found in victim.phrases.values() for _, family in found}
    for needed, meaning in ((OWN_INTENT, "the writer's own intent, which no report holds"), (ADDRESSED, "a second person, \"you\"")):
        if needed not in victim_families:
            raise file.error("victim.families", f"needs a family {needed!r}: {meaning}", "[victim.families]")
    combo_ids = {combo.id for combo in victim.combos}
    victim_sets = {}
    for key in ("regardless_of_intent", "unaddressed"):
        victim_sets[key] = frozenset(file.strings(f"victim.{key}"))
        for combo in sorted(victim_sets[key] - combo_ids):
            raise file.error(f"victim.{key}", f"names {combo!r}, which is not an id of [[victim.combos]]", f'"{combo}"')
    gates = {}
    for key in ("model_needs", "model_aimed_at", "guards"):
        gates[key] = file.strings(f"thresholds.{key}")
        for family in gates[key]:
            if family not in families:
                raise file.error(f"thresholds.{key}", f"names {family!r}, which is not a family of [cues.families]", f'"{family}"')
    return ThreatSignals(cues, model, file.number("thresholds.model", 0.01, 0.999), frozenset(gates["model_needs"]),
                         file.number("thresholds.model_alone", 0.01, 0.999), file.number("thresholds.model_question", 0.01, 0.999),
                         int(file.number("thresholds.model_min_features", 1, 20)), int(file.number("thresholds.model_alone_min_features", 1, 40)),
                         frozenset(gates["model_aimed_at"]),
                         file.number("thresholds.model_aimed", 0.01, 0.999), frozenset(gates["guards"]),
                         emoji_marks(file, "thresholds.guard_marks", "a guard family"), file.number("thresholds.model_guarded", 0.01, 1.0),
                         file.number("thresholds.model_guarded_cue", 0.01, 1.0),
                         victim, victim_sets["regardless_of_intent"], victim_sets["unaddressed"], file.number("victim.score", 0.3, 0.69),
                         _single_words(file, "victim.quote_intro", lexicon), _single_words(file, "victim.own_voice", lexicon))


def _single_words(file: TomlFile, key: str, lexicon: frozenset[str]) -> frozenset[str]:
    """A non-empty list of single words, normalised as messages are ("I've" -> "ive")."""
    words = file.strings(key)
    if not words:
        raise file.error(key, "needs at least one word", key.rsplit(".", 1)[-1])
    normalised = set()
    for word in words:
        prepared = prepare(word, lexicon).words
        if len(prepared) != 1:
            raise file.error(key, f"{word!r} is not one word", f'"{word}"')
        normalised.add(prepared[0])
    return frozenset(normalised)


def concept_features(cues: Cues, message: Message, families: frozenset[str], ignored: list[bool]) -> list[str]:
    """The threat model's features for the cue families a message holds (`read_cues`): one per family
    and one per two families in one clause (`concepts.family_pair_features`)."""
    singles = family_features(families, CONCEPT_MARK)
    if len(families) < 2:
        return singles
    return singles + family_pair_features(families_by_clause(cues, message, ignored), CONCEPT_MARK) + message_pair_features(families)


def message_pair_features(families: frozenset[str]) -> list[str]:
    """One feature per two families anywhere in the message ("#fire~target"): threats told in fragments
    ("Your surgery. Me. Matches.") put each concept in a clause of its own."""
    ordered = sorted(families)
    return [f"{CONCEPT_MARK}{first}{MESSAGE_PAIR}{second}" for index, first in enumerate(ordered) for second in ordered[index + 1:]]


def _word_span(message: Message, start: int, end: int) -> tuple[int, int]:
    """Offsets in `message.joined` of words [start, end)."""
    offset = sum(len(word) + 1 for word in message.words[:start])
    return offset, offset + len(" ".join(message.words[start:end]))


def model_words(message: Message, ignored: list[bool]) -> tuple[tuple[str, ...], list[str]]:
    """The words the model reads, and their features: those outside safe idioms and the cues'
    `ignore` phrases (only a message holding one pays for working out features again)."""
    if not any(ignored):
        return message.words, message.feats
    words = tuple(word for word, skip in zip(message.words, ignored) if not skip)
    return words, features(words)


def _unignored(message: Message, ignored: list[bool]) -> str:
    """`message.masked` with the cues' `ignore` phrases blanked out too, so a listed pattern reads
    what the cues read: "watch your back when lifting" or "something bad will happen if you skip
    the dentist" are advice, whatever the pattern says."""
    if not any(ignored):
        return message.masked
    return " ".join(" " * len(word) if skip else word for word, skip in zip(message.words, ignored))


def model_threshold_for(signals: ThreatSignals, families: frozenset[str]) -> float:
    """The score the model must reach: lowest beside a word of violence, then beside a target named."""
    if not signals.model_needs.isdisjoint(families):
        return signals.model_threshold
    if not signals.model_aimed.isdisjoint(families):
        return min(signals.model_aimed_threshold, signals.model_alone_threshold)
    return signals.model_alone_threshold


def guarded(signals: ThreatSignals, message: Message, families: frozenset[str]) -> bool:
    """Whether the message thanks or praises, jokes, or talks about violence (news, drama, training,
    a question): then violent words are more often praise ("a legend, took a bullet for us"), a joke
    about one's own family or a report, and a threat is found only when the model agrees."""
    return not signals.guards.isdisjoint(families) or any(mark in message.text for mark in signals.guard_marks)


def reported_harm(signals: ThreatSignals, message: Message) -> CueMatch | None:
    """The [victim] cue by which the message reports harm rather than threatens it, if any: harm done
    or threatened to the writer or their own by someone else ("my partner said if I tell anyone he'll
    hurt the kids", "my stepdad hits me") with no intent of the writer's own (`own_intent`: "I'll ...");
    harm the writer saw or heard done to someone ("just saw a man slap a toddler") in a message that
    addresses no one (`victim_unaddressed`: "you" makes it a warning); harm aimed at the writer's own
    body ("gun in my mouth"), whatever the writer intends (`victim_regardless_of_intent`)."""
    matches, families, _ = read_cues(signals.victim, message)
    for match in matches:
        if match.combo in signals.victim_unaddressed and ADDRESSED in families:
            continue
        if OWN_INTENT in families and match.combo not in signals.victim_regardless_of_intent:
            continue
        return match
    return None


def quotations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation in `text`, its marks included: double quotes pair in turn; a single one
    opens before a word (after a space or the start) and closes after one, so apostrophes never count."""
    spans: list[tuple[int, int]] = []
    opened: tuple[int, str] | None = None
    for index, char in enumerate(text):
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        if char in _DOUBLE_QUOTES:
            kind = "double"
        elif char in _SINGLE_QUOTES:
            kind = "single"
        else:
            continue
        if opened is None:
            if kind == "double" or (not before.isalnum() and not after.isspace()):
                opened = (index, kind)
        elif opened[1] == kind and (kind == "double" or (not before.isspace() and not after.isalnum())):
            spans.append((opened[0], index + 1))
            opened = None
    return spans


def _introduced_by_another(message: Message, stops: list[int], quote: tuple[int, int], signals: ThreatSignals) -> bool:
    """Whether a word of `quote_intro` near the quotation, in its sentence, says someone other than the writer spoke it:
    "a patient shouted '...'", "a note saying '...'", "'...', the man's son said", "'...', said the lad"; not
    "I said '...'" nor a bare "told him '...'". The words and `stops` (the sentence stops' positions) are found by
    bisection, so a message with thousands of quotations still takes linear time."""
    tokens = message.prepared.tokens
    start, end = quote
    stop_before = bisect_left(stops, start)
    sentence_start = stops[stop_before - 1] if stop_before else -1
    last = bisect_right(tokens, start, key=_END)  # the words that end before the quotation...
    first = max(bisect_right(tokens, sentence_start, key=_END), last - _INTRO_BEFORE - 1)  # ...in its sentence, the nearest
    before = tokens[first:last]
    for index in range(len(before) - 1, max(len(before) - 1 - _INTRO_BEFORE, 0), -1):
        if before[index].word in signals.quote_intro:
            return before[index - 1].word not in signals.own_voice
    stop_after = bisect_left(stops, end)
    sentence_end = stops[stop_after] if stop_after < len(stops) else len(message.text)
    following = bisect_left(tokens, end, key=_START)  # the words after the quotation, in its sentence, the nearest
    after = [token.word for token in tokens[following:following + _INTRO_AFTER] if token.start <= sentence_end]
    for index, word in enumerate(after):
        if word in signals.quote_intro:
            speaker = after[index - 1] if index else (after[1] if len(after) > 1 else "")
            return bool(speaker) and speaker not in signals.own_voice
    return False


def reported_quotes(message: Message, signals: ThreatSignals) -> list[tuple[int, int]]:
    """The quotations in the message that someone other than the writer spoke (`_introduced_by_another`)."""
    if not signals.quote_intro or not any(char in message.text for char in _DOUBLE_QUOTES | _SINGLE_QUOTES):
        return []
    stops = [index for index, char in enumerate(message.text) if char in _SENTENCE_STOPS]
    return [quote for quote in quotations(message.text) if _introduced_by_another(message, stops, quote, signals)]


def _threat_only_quoted(message: Message, data: ModerationData) -> str:
    """The quoted words, if every threat the message holds lies inside someone else's quotation: read without them,
    the message threatens nobody ("a man in the car park said 'you're dead'"). Read only for a message already
    found to hold a threat, and holding a quotation."""
    quotes = reported_quotes(message, data.threat_signals)
    if not quotes:
        return ""
    pieces, kept_from = [], 0
    for start, end in quotes:
        pieces += [message.text[kept_from:start], " " * (end - start)]
        kept_from = end
    unquoted = read_message("".join(pieces) + message.text[kept_from:], data.lexicon, data.idioms, data.screen, data.questions)
    if _threat_findings(unquoted, data):
        return ""
    return " / ".join(message.text[start:end] for start, end in quotes)


def _enough_evidence(model: LinearModel, words: tuple[str, ...], word_features: list[str], needed: int) -> bool:
    """Whether the model knows `needed` words and word pairs, a word it knows only by its prefix ("shanking" by
    "~shan") counting once. A cue family's feature repeats what its words say, and a known word's prefix
    the word: neither is further evidence ("I'm watching this" is one known word, not "watching" and "~watc")."""
    known = model.known(word_features)
    if known >= needed or not model.prefixes:
        return known >= needed
    unknown = [word for word in words if word not in model.weights and word not in model.words_without]
    return known + model.known(prefix_features(unknown, model.prefixes)) >= needed


def _model_score(signals: ThreatSignals, message: Message, families: frozenset[str], ignored: list[bool]) -> tuple[float, list[str]] | None:
    """The model's score and features, or None when it knows too few of the message's words to be asked: more
    of them when no word of violence or menace is there (`model_alone_min_features`). Two cue families held together
    ("#target~watcher") count as evidence too: a threat to where someone is found is mostly words the model is
    trained without (who, where, when: "that nurse on ward 9 finishes at 6"), and what it says is how they sit."""
    words, word_features = model_words(message, ignored)
    concepts = concept_features(signals.cues, message, families, ignored)
    pairs = [feature for feature in concepts if "&" in feature or MESSAGE_PAIR in feature]
    named = not signals.model_needs.isdisjoint(families) or not signals.model_aimed.isdisjoint(families)
    needed = signals.model_min_features if named else signals.model_alone_min_features
    if not _enough_evidence(signals.model, words, word_features + pairs, needed):
        return None
    feats = signals.model.features_for(words, word_features) + concepts
    return signals.model.score(feats), feats


def check_threat(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    """A threat finding; or, when what was found is a report of harm (`reported_harm`) or lies only in someone
    else's quoted words (`reported_quotes`), a safeguarding finding in the support tier instead: threat words
    aimed at the writer or their own, or told to us by the one threatened, are a danger message, never hidden."""
    found = _threat_findings(message, data)
    if not found:
        return ()
    report = reported_harm(data.threat_signals, message)
    if report is not None:
        if _inside_danger_idioms(report, message, data):
            # The words aimed at the writer are a joke ("kill myself laughing"): no threat to staff, no danger.
            return ()
        return (_as_reported(found[0], f"{report.combo}: {report.describe(message.words)}", data.threat_signals),)
    quoted = _threat_only_quoted(message, data)
    if quoted:
        return (_as_reported(found[0], f"quoted: {quoted}", data.threat_signals),)
    return found


def _as_reported(found: Finding, how: str, signals: ThreatSignals) -> Finding:
    """The safeguarding finding (support tier) a threat found in a report of harm becomes; its evidence names both."""
    return Finding(Category.SAFEGUARDING, signals.victim_score, REPORTED_HARM_CHECK, f"threat words ({found.check}) in a report of harm: {how}",
                   tuple(replace(span, label="reported harm") for span in found.spans))


def _inside_danger_idioms(report: CueMatch, message: Message, data: ModerationData) -> bool:
    """Whether every word of the report lies in one of the danger cues' idioms: read only for a report."""
    idiom_words = read_danger_cues(message.words, data.danger.cues).idiom_words
    return all(index in idiom_words for part in report.parts for index in range(part.start, part.end))


def _threat_findings(message: Message, data: ModerationData) -> tuple[Finding, ...]:
    signals = data.threat_signals
    cues, families, ignored = read_cues(signals.cues, message)
    is_guarded = guarded(signals, message, families)
    match = message.search(data.threat, _unignored(message, ignored))
    if match or cues:
        if is_guarded:
            scored = _model_score(signals, message, families, ignored)
            if scored is None or scored[0] < signals.model_guarded_cue_threshold:
                return ()
        if match:
            span = span_of(message, match.start(), match.end(), "threat")
            return (Finding(Category.THREAT, SCORE, "threat.pattern", f"wording: {match.group().strip()!r}", (span,)),)
        first = cues[0]
        start, end = _word_span(message, first.parts[0].start, first.parts[-1].end)
        span = span_of(message, start, end, "threat")
        return (Finding(Category.THREAT, SCORE, f"threat.cue.{first.combo}", f"cues: {first.describe(message.words)}", (span,)),)
    # The model learnt hate speech that wishes violence: without some word of violence it needs a
    # far stronger score, so an insult ("should be sacked") or an angry complaint is rarely a threat;
    # a question about a word of violence ("does it kill nits?") is asked, not threatened.
    # The model reads what the cues read: "I could kill for a coffee" and "burn off the wart" name no violence.
    scored = _model_score(signals, message, families, ignored)
    if scored is None:
        return ()
    score, feats = scored
    threshold = model_threshold_for(signals, families)
    if message.asks:
        threshold = max(threshold, signals.model_question_threshold)
    if is_guarded:
        threshold = max(threshold, signals.model_guarded_threshold)
    if score >= threshold:
        return (Finding(Category.THREAT, round(score, 3), "threat.model", f"model {signals.model.version}: {', '.join(signals.model.top_features(feats))}"),)
    return ()
