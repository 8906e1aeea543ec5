"""The classify step: which house-rules categories one message falls into, and the evidence.

`classify` is pure (no I/O, no clock, no globals): everything it knows comes from its arguments.
It normalises the text once (`message.read_message`) and runs each check of `CHECKS` in order;
each check is a plain function with a name, the category it speaks for and a version, so a test
can run any check alone. A check that raises does not stop the others: its failure becomes a
Finding with check "engine.error", the check's category and score 0.0, which the policy treats as
"hold for staff" - nothing is hidden or answered while the engine is in doubt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation import abuse, claims, complaint, danger, privacy, spam, threat, verification
from bot.moderation.data import ModerationData, load_moderation_data
from bot.moderation.message import Message, read_message

__all__ = [
    "CHECKS", "Check", "ModerationData", "classify", "load_moderation_data", "private_spans", "redact",
    "ENGINE_ERROR_CHECK", "MAX_TEXT_CHARS", "TRUNCATED_CHECK",
]

ENGINE_ERROR_CHECK = "engine.error"
# The most any check reads of one message: the longest message any platform accepts (an X direct
# message, 10,000 characters; a Facebook comment takes 8,000, Messenger 2,000, Instagram 2,200), so
# no real message is cut and a made-up longer one costs no more than the longest real one.
MAX_TEXT_CHARS = 10_000
# The finding that tells staff the text was longer and only its start was read.
TRUNCATED_CHECK = "engine.truncated"


@dataclass(frozen=True, slots=True)
class Check:
    """One concern's check: a plain function from the shared message view to findings."""

    name: str
    category: Category
    version: str
    run: Callable[[Message, ClassifyContext, ModerationData], tuple[Finding, ...]]


# Danger first, so its findings lead the evidence; the order of the rest is the order of the priority.
CHECKS: tuple[Check, ...] = (
    Check("danger", Category.SAFEGUARDING, danger.VERSION, danger.check_danger),
    Check("threat", Category.THREAT, threat.VERSION, threat.check_threat),
    Check("abuse", Category.ABUSE, abuse.VERSION, abuse.check_abuse),
    Check("privacy", Category.OVERSHARING, privacy.VERSION, privacy.check_privacy),
    Check("misinformation", Category.MISINFORMATION, claims.VERSION, claims.check_misinformation),
    Check("spam", Category.SPAM, spam.VERSION, spam.check_spam),
    Check("complaint", Category.COMPLAINT, complaint.VERSION, complaint.check_complaint),
    Check("verification", Category.VERIFICATION, verification.VERSION, verification.check_verification),
)


def _error_finding(check: Check, error: Exception) -> Finding:
    return Finding(check.category, 0.0, ENGINE_ERROR_CHECK, f"check {check.name} ({check.version}) failed: {type(error).__name__}")


def classify(text: str, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    """One Finding per matched category, in check order; an empty tuple means ordinary.

    Checks read the first `MAX_TEXT_CHARS` characters: the start, where a message says what it
    is about, is always read. A longer text gets an ordinary-category finding saying it was cut,
    which changes no decision and shows staff that the rest was not checked.
    """
    full = text if isinstance(text, str) else str(text)
    try:
        message = read_message(full[:MAX_TEXT_CHARS], data.lexicon, data.idioms, data.screen, data.questions)
    except Exception as error:  # noqa: BLE001 - a failure here must hold the message, not crash
        return tuple(_error_finding(check, error) for check in CHECKS)
    findings: dict[Category, Finding] = {}
    for check in CHECKS:
        try:
            results = check.run(message, context, data)
        except Exception as error:  # noqa: BLE001 - see the module docstring
            results = (_error_finding(check, error),)
        for finding in results:
            kept = findings.get(finding.category)
            if kept is None or finding.check == ENGINE_ERROR_CHECK or (kept.check != ENGINE_ERROR_CHECK and finding.score > kept.score):
                findings[finding.category] = finding
    _drop_advertised_contacts(findings, message.text, data)
    danger.drop_model_guess_beside_wording(findings, data.danger)
    if len(full) > MAX_TEXT_CHARS and Category.ORDINARY not in findings:
        findings[Category.ORDINARY] = Finding(
            Category.ORDINARY, 0.0, TRUNCATED_CHECK,
            f"text cut: the checks read its first {MAX_TEXT_CHARS:,} of {len(full):,} characters (longer than any platform allows)")
    return tuple(findings.values())


# The spam model's score at which a phone number or email beside it is the advertiser's (an SMS scam's "call 0800...").
ADVERT_SCORE = 0.85


def _drop_advertised_contacts(findings: dict[Category, Finding], text: str, data: ModerationData) -> None:
    """An advert's phone number or email is the advertiser's contact, not a private detail.

    Only when the advert is known by its wording (a listed spam pattern or scam cue) or the model is
    sure of it (`ADVERT_SCORE`: "HSBC: your card has been frozen. Call 0800 123 4567 now" scores 0.88),
    not by a model's guess: "call me back on 07700 900777" must stay over-sharing. Even a sure model gives
    way to a number the words beside it make someone's own ("text me on +44 7911 123456", 0.95 with the
    r7 model): the model learnt adverts' "message me" and cannot tell the two apart. Below `ADVERT_SCORE` the
    model's guess is enough when the advert asks for the detail as adverts do ("call 0113 496 0277 to cancel",
    `privacy.asked_for`; round 8: the blind sets' adverts ended as over-sharing 8 times). Spam is hidden anyway,
    and `private_spans` still redacts the number in every stored text.
    """
    spam_found = findings.get(Category.SPAM)
    private = findings.get(Category.OVERSHARING)
    if spam_found is None or private is None:
        return
    known_advert = spam_found.check.startswith(("spam.pattern", "spam.cue.")) or (
        spam_found.check == "spam.model" and not privacy.owned_contacts(text, private.spans, data.privacy)
        and (spam_found.score >= ADVERT_SCORE or privacy.asked_for(text, private.spans, data.privacy)))
    if known_advert and private.check != ENGINE_ERROR_CHECK and privacy.only_contacts(private.spans):
        del findings[Category.OVERSHARING]


def private_spans(text: str, data: ModerationData) -> tuple[Span, ...]:
    """The over-sharing spans alone, for redacting every text the audit log stores."""
    return privacy.find_private_spans(text, data.privacy)


def redact(text: str, findings: tuple[Finding, ...]) -> str:
    """`text` with its private spans replaced by labels such as "[nhs number]" and "[phone]"."""
    spans = tuple(span for finding in findings if finding.category is Category.OVERSHARING for span in finding.spans)
    return privacy.redact_spans(text, spans)
