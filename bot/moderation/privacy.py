"""Over-sharing: private information about oneself or others, found as spans of the original text.

The spans serve twice: the finding shows staff what was found, and `redact` blanks them in every
text the audit log stores. Phone numbers are found by `phonenumbers` (Google's libphonenumber)
or after a cue; numbers with a check digit by the check (NHS numbers Modulus 11, card numbers
Luhn, IBANs mod-97), so a long order or tracking number is not taken for one; the rest by
patterns built from privacy.toml. Only identifiers count: a plain name, town or date is not
over-sharing, and an age only counts as part of something else (a date of birth).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import phonenumbers

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation.backtracking import slow_shape
from bot.moderation.config import TomlFile
from bot.moderation.needles import clue_of, clued_finditer

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "privacy.toml"
VERSION = "privacy-3"

# What each kind of span is called in redacted text, and how sure a finding of it is.
LABELS = {
    "nhs_number": ("[nhs number]", 0.95),
    "hospital_number": ("[hospital number]", 0.9),
    "date_of_birth": ("[date of birth]", 0.9),
    "address": ("[address]", 0.9),
    "phone": ("[phone]", 0.9),
    "email": ("[email]", 0.85),
    "health_detail": ("[health detail]", 0.8),
    "postcode": ("[postcode]", 0.6),
    "card_number": ("[card number]", 0.95),
    "bank_account": ("[bank account]", 0.95),
    "id_number": ("[id number]", 0.9),
    "ip_address": ("[ip address]", 0.7),
}
# The spans that are a way to reach someone: in an advert they are the advertiser's, in a question
# about an account they are the suspect account's, not the author's private details.
CONTACT_LABELS = frozenset({"phone", "email"})

# How far either side of a phone number a word can make it someone's own ("ring me on ...", "... is my home number").
PERSONAL_REACH = 30
# How far before a detail a word can ask for it ("Call HMRC enforcement immediately on 0113 ...").
ASK_REACH = 40
# phonenumbers gives up after this many candidate numbers; past it, a flood of digits is not read.
MAX_PHONE_TRIES = 2000
_DIGIT = re.compile(r"\d")
# Not inside a word ("X3333333333" passes the check by chance).
_NHS_NUMBER = re.compile(r"(?<!\w)\d(?:[ \-.]{0,2}\d){9}(?![ \-.]?\d)")
_PHONE_HINT = re.compile(r"(?:\+|\b0)\d[\d \-().]{7,}\d")
# An email is `[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`, found by `_email_spans` in two
# halves: the local part read backwards from its "@", then the domain forwards.
_EMAIL_LOCAL = re.compile(r"[\w.+\-]*+")
# The parts of a mailbox's name: "tracingapp-feedback" is a role's mailbox, as "feedback" is.
_EMAIL_PARTS = re.compile(r"[.\-_+]")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)+")
_SENTENCE_STOP = re.compile(r"[.!?\n]")
_SPACES = re.compile(r" +")
# Where a sentence ends beside a detail: a stop (and any closing quote or bracket) before a space, or a new line;
# not the dots inside "0113.496" or "St.James". A word in the next sentence does not make a number someone's own.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*+(?=\s|$)|\n")
# Card numbers: 12 (Maestro) to 19 digits run together, or in the groups printed on cards (4-4-4-4, 4-6-5);
# never inside a link or a word (a post's id in a URL is as long as a card number).
_CARD = re.compile(r"(?<![\w/=.\-])(?:\d{12,19}|\d{4}(?:[ \-]\d{4}){2}[ \-]\d{1,7}|\d{4}[ \-]\d{6}[ \-]\d{4,5})(?![\w/])")
# The issuers' first digits (Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro):
# with no card word in the message, a Luhn-valid number must also start like a card.
_CARD_ISSUER = re.compile(r"4|5[0-8]|2[2-7]|3[04-9]|6[0-9]|1800|2131")
_CARD_WORD = re.compile(r"\b(?:card|visa|mastercard|amex|debit|credit|cc)\b", re.IGNORECASE)
# An IBAN: a country code, two check digits and 11 to 30 letters or digits, run together or in fours.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: \d{1,3})?)\b", re.IGNORECASE)
# A US social security number as written (123-45-6789), never one the SSA does not issue.
_SSN = re.compile(r"\b(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
# A UK National Insurance number (QQ 12 34 56 C), capitals only: lower case is read after a cue.
_NI_NUMBER = re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
# A UK driving licence number (five letters of the surname, six digits, initials, check digits).
_UK_LICENCE = re.compile(r"\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b")
# IP addresses: four numbers of 0-255 without leading zeros, or IPv6's eight groups written in full.
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.]|\.\d)")
_IPV6 = re.compile(r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b")
# A word then a number ("Laukaantie 80"): a street in another language when the word ends like one.
_NUMBERED_WORD = re.compile(r"\b(\w+)\.? \d{1,4}[a-z]?\b")
# The number after a phone cue: 7 to 15 digits, in whatever groups a country writes them.
_CUED_NUMBER = r"(?P<phone>\+?\(?\d[\d \-().]{5,22}\d)"
# The value after an identity number's cue: letters and digits, in up to five groups.
_CUED_ID = r"(?P<id_number>[A-Z]{0,3}\d[\dA-Z]*+(?:[ \-]\d[\dA-Z]*+){0,4})"
# An American forces' or diplomats' postal address (APO AE 09012): it needs no street.
_FORCES_POST = re.compile(r"\b[ADF]PO A[AEP] \d{5}\b", re.IGNORECASE)
# The cue lists whose number `PrivacyData.cued_number` finds, each in its own named group.
CUED_NUMBER_KEYS = ("privacy.phone_cues", "privacy.zip_cues", "privacy.id_number_cues")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
# Possessive (`*+`, `++`) where what follows can never match the same characters: the same
# matches, without trying every split of a long run (issue 12: 8,000 spaces after "dob" took 11.6 s).
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*+"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {_MONTHS},? \d{{4}}"
    rf"|{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})"
)


def luhn_is_valid(digits: str) -> bool:
    """The Luhn check every card number passes: one typed wrong digit or swapped pair fails it."""
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_is_valid(iban: str) -> bool:
    """The ISO 13616 check: the country code and check digits moved to the end, read as a number, mod 97 is 1."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    return int("".join(str(int(char, 36)) for char in compact[4:] + compact[:4])) % 97 == 1


def nhs_number_is_valid(digits: str) -> bool:
    """The Modulus 11 check: weights 10..2 on the first nine digits; 11 means 0, 10 is never valid."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@dataclass(frozen=True, slots=True)
class PrivacyData:
    public_numbers: frozenset[str]
    # UK ranges (national form, "09") that are never a person's own number: premium rate, freephone, business rate.
    business_ranges: tuple[str, ...]
    public_emails: frozenset[str]
    date_of_birth: re.Pattern[str]
    hospital_number: re.Pattern[str]
    address: re.Pattern[str]
    named_person: re.Pattern[str]
    health_terms: re.Pattern[str]
    # A phone number, ZIP code or identity number after its cue, in one search (its group says which).
    cued_number: re.Pattern[str]
    cued_address: re.Pattern[str]
    unit: re.Pattern[str]
    street_suffixes: tuple[str, ...]
    street_prefix: re.Pattern[str]
    # A message that names a service ("the surgery", "call us on"): its landline is the service's, not private.
    organisation: re.Pattern[str]
    # Words just before a number that make it someone's own ("call me on", "my number").
    personal_before: re.Pattern[str]
    # Words that ask the reader to get in touch just before a detail ("call", "WhatsApp"): see `asked_for`.
    advert_calls: re.Pattern[str]
    # Mailboxes that belong to a role, not a person ("info@", "bookings@").
    role_mailboxes: frozenset[str]
    # A public announcement: an activity or service named, and people asked along or told when it runs.
    announcement_what: re.Pattern[str]
    announcement_invite: re.Pattern[str]
    # See needles.clue_of: read from the patterns themselves, so staff can edit them freely.
    address_clue: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    named_person_clue: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address_clue", clue_of(self.address))
        object.__setattr__(self, "named_person_clue", clue_of(self.named_person))


def load_privacy(directory: Path) -> PrivacyData:
    file = TomlFile(directory / FILE)
    cues = "|".join(re.escape(cue).replace(r"\ ", r"[ .]?") for cue in file.strings("privacy.dob_cues"))
    hospital = file.regex("privacy.hospital_number_cues", file.strings("privacy.hospital_number_cues"), re.IGNORECASE)
    streets = file.strings("privacy.street_types")
    street_alternatives = "|".join(re.escape(s.capitalize()) for s in streets)
    street_lower = "|".join(re.escape(s) for s in streets)
    relations = "|".join(re.escape(r) for r in file.strings("privacy.relations"))
    terms = sorted(file.strings("privacy.health_terms"), key=len, reverse=True)
    hospital_number = re.compile(rf"(?:{hospital.pattern})\s*+(?:is|was|:|-|#|no\.?)?\s*+([A-Z]{{0,3}}\d{{5,10}}[A-Z]?)\b", re.IGNORECASE)
    problem = slow_shape(hospital_number.pattern, hospital_number.flags)  # a cue ending in \s* meets the \s*+ after it
    if problem:
        raise file.error("privacy.hospital_number_cues", f"a cue could take minutes on a long message: {problem}")
    phone_cues = file.regex("privacy.phone_cues", file.strings("privacy.phone_cues"), re.IGNORECASE)
    address_cues = file.regex("privacy.address_cues", file.strings("privacy.address_cues"), re.IGNORECASE)
    zip_cues = file.regex("privacy.zip_cues", file.strings("privacy.zip_cues"), re.IGNORECASE)
    id_cues = file.regex("privacy.id_number_cues", file.strings("privacy.id_number_cues"), re.IGNORECASE)
    units = file.regex("privacy.unit_words", file.strings("privacy.unit_words"), re.IGNORECASE)
    prefixes = "|".join(re.escape(s) for s in file.strings("privacy.street_prefixes"))
    cued = {
        "privacy.phone_cues": re.compile(rf"\b(?:{phone_cues.pattern})\b[.:#]?\s*+(?:is|on|at|no\.?|number|:|-|#)?\s*+{_CUED_NUMBER}", re.IGNORECASE),
        "privacy.address_cues": re.compile(
            rf"(?i:\b(?:{address_cues.pattern}))\b[ :]*+(\d{{1,5}}[a-z]?,? (?:\d{{1,4}} )?[A-ZÀ-ÞΑ-ΩА-Я][\w'\-.]*+(?: [\w'\-.]++){{0,3}}?(?= \d{{1,4}}\b|,|$|\n))",
        ),
        "privacy.zip_cues": re.compile(rf"\b(?:{zip_cues.pattern})\b\s*+(?:is|:|-|#)?\s*+(?=[A-Z]{{0,4}}\d)(?P<zip>[A-Z0-9]{{2,5}}(?:[ \-][A-Z0-9]{{2,4}}\b)?)\b", re.IGNORECASE),
        "privacy.id_number_cues": re.compile(rf"\b(?:{id_cues.pattern})\s*+(?:is|was|:|-|#|no\.?)?\s*+{_CUED_ID}", re.IGNORECASE),
    }
    for key, pattern in cued.items():
        problem = slow_shape(pattern.pattern, pattern.flags)
        if problem:
            raise file.error(key, f"a cue could take minutes on a long message: {problem}")
    return PrivacyData(
        public_numbers=frozenset(re.sub(r"\D", "", n) for n in file.strings("privacy.public_numbers")),
        business_ranges=tuple(_national_digits(file, prefix) for prefix in file.strings("privacy.business_ranges")),
        public_emails=frozenset(e.lower() for e in file.strings("privacy.public_emails", allow_empty=True)),
        date_of_birth=re.compile(rf"(?i:\b(?:{cues})\b\.?\s*+(?:is|was|:|-|on)?\s*+(?:on\s++)?)({_DATE})", re.IGNORECASE),
        hospital_number=hospital_number,
        address=re.compile(
            rf"\b(?P<named>\d{{1,4}}[A-Za-z]?,? (?:[A-Z][A-Za-z'\-]+ ){{1,3}}(?:{street_alternatives}))\b"
            rf"|(?i:\b(?:live|lives|living|staying|address is|moved to) (?:at |on )?(?P<cued>\d{{1,4}}[a-z]?,? (?:[a-z'\-]+ ){{1,3}}(?:{street_lower}))\b)"
        ),
        # A stop only after a title ("Mr. Shah"): "in memory of her friend. She's 14" names no one.
        named_person=re.compile(rf"\b(?:(?i:my|his|her|their|our|the) (?i:{relations})|(?:Mr|Mrs|Ms|Miss|Mx)\.?),? ([A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?)"),
        health_terms=re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE),
        cued_number=re.compile("|".join(cued[key].pattern for key in CUED_NUMBER_KEYS), re.IGNORECASE),
        cued_address=cued["privacy.address_cues"],
        unit=re.compile(rf"\b(?:{units.pattern})\s?#?\s?\d{{1,5}}[A-Za-z]?\b", re.IGNORECASE),
        street_suffixes=tuple(suffix.lower() for suffix in file.strings("privacy.street_suffixes")),
        street_prefix=re.compile(rf"(?i:\b(?:{prefixes})(?!\w)\.? ?[\w'\-]+(?: [\w'\-]+){{0,3}}? \d{{1,4}}[a-z]?\b)"),
        organisation=_whole_words(file.regex("privacy.organisation_words", file.strings("privacy.organisation_words"), re.IGNORECASE)),
        personal_before=_whole_words(file.regex("privacy.personal_before", file.strings("privacy.personal_before"), re.IGNORECASE)),
        advert_calls=_whole_words(file.regex("privacy.advert_calls", file.strings("privacy.advert_calls"), re.IGNORECASE)),
        role_mailboxes=frozenset(box.lower() for box in file.strings("privacy.role_mailboxes")),
        announcement_what=_whole_words(file.regex("privacy.announcement_what", file.strings("privacy.announcement_what"), re.IGNORECASE)),
        announcement_invite=_whole_words(file.regex("privacy.announcement_invite", file.strings("privacy.announcement_invite"), re.IGNORECASE)),
    )


def _national_digits(file: TomlFile, prefix: str) -> str:
    """A `business_ranges` entry as the national digits it starts ("09"): a typo must not silently match every number."""
    if not re.fullmatch(r"0\d{1,4}", prefix):
        raise file.error("privacy.business_ranges", f"{prefix!r} must be the start of a UK number in national form, like \"09\"", f'"{prefix}"')
    return prefix


def _whole_words(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` matched only as whole words ("unit" not in "community", "me" not in "name")."""
    return re.compile(rf"\b(?:{pattern.pattern})\b", pattern.flags)


def _email_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the email regex above would match (as `finditer` finds them), found from each "@" outwards.

    The regex alone tries every start in a run of letters and reads the run to its end each time:
    "@NHSLeeds " and 100,000 letters took 25 s. Here each local part is read once, backwards from
    its "@" (never past the previous match), and each domain once, forwards.
    """
    backwards = text[::-1]
    position = 0
    while (at := text.find("@", position)) >= 0:
        local = _EMAIL_LOCAL.match(backwards, len(text) - at, len(text) - position)
        start = at - len(local.group()) if local else at
        domain = _EMAIL_DOMAIN.match(text, at + 1) if start < at else None
        if domain is None:
            position = at + 1
            continue
        yield start, domain.end()
        position = domain.end()


class _SpanSet:
    """Spans kept sorted by start, so "does this overlap one already taken?" stays cheap on long texts."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.spans: list[Span] = []

    def add(self, start: int, end: int, kind: str) -> None:
        index = bisect.bisect_left(self.starts, start)
        if index > 0 and self.spans[index - 1].end > start:
            return
        if index < len(self.spans) and self.spans[index].start < end:
            return
        self.starts.insert(index, start)
        self.spans.insert(index, Span(start, end, kind))


def _published(text: str, start: int, end: int, digits: str, data: PrivacyData, names_service: bool, announces: Callable[[], bool]) -> bool:
    """Whether the phone number at `start` is an organisation's, published for people to call.

    The house rules ask people not to post private information about themselves or others; a
    surgery's, pharmacy's or charity's number in a reminder, an announcement or a question is
    neither, and hiding it silences the organisation's own contact details. A number counts as
    published when no word beside it makes it someone's own ("call me on", "my number is", "... that's
    my home phone") and either it names a service (`names_service`: privacy.toml `organisation_words`)
    and the number is not a mobile (a UK 07 or +44 7 number is a person's, even in an advert), or the
    message announces something to the public (`announces`, read only when asked: see `_announces`;
    the organiser's number, a mobile too).
    """
    if _beside_personal(text, start, end, data):
        return False
    return (names_service and not digits.startswith(("07", "447"))) or announces()


def _announces(text: str, data: PrivacyData) -> bool:
    """Whether the message announces something to the public: it names an activity or service (a group, a
    drop-in, a coffee morning, a support line) and asks people along or says when it runs ("all welcome",
    "every Tuesday", "to join", "more info"). Its contact details are the organiser's, given to be used:
    two partner announcements of round 6's blind sets were hidden for a number and an address."""
    return data.announcement_what.search(text) is not None and data.announcement_invite.search(text) is not None


def _beside_personal(text: str, start: int, end: int, data: PrivacyData) -> bool:
    """Whether a word within `PERSONAL_REACH` of this span, in its own sentence, makes it someone's own
    ("text me on", "my number"); "... call 0113 496 0214." Can I bring my son?" is the clinic's number."""
    before = _sentence_start(text, start, PERSONAL_REACH)
    after = end + PERSONAL_REACH
    stop = _SENTENCE_END.search(text, end, after)
    if stop:
        after = stop.start()
    return any(not _names_a_service(text, match.end(), data)
               for window in ((before, start), (end, after)) for match in data.personal_before.finditer(text, *window))


def _names_a_service(text: str, position: int, data: PrivacyData) -> bool:
    """Whether the word after `position` names a service: "my" in "my surgery's answerphone is 0113 ..." owns the surgery,
    not the number, which is the surgery's own."""
    following = _SPACES.match(text, position)
    return following is not None and data.organisation.match(text, following.end()) is not None


def owned_contacts(text: str, spans: tuple[Span, ...], data: PrivacyData) -> bool:
    """Whether a phone number or email among `spans` is someone's own by the words beside it
    ("text me on +44 7911 123456"): a model that learnt adverts' "message me" cannot tell it from one."""
    return any(span.label in CONTACT_LABELS and _beside_personal(text, span.start, span.end, data) for span in spans)


def asked_for(text: str, spans: tuple[Span, ...], data: PrivacyData) -> bool:
    """Whether each phone number and email among `spans` is asked for by a word just before it in its sentence
    ("call 0113 496 0277 to cancel", "WhatsApp +44 7700 900365"), as an advert asks for its contact."""
    contacts = [span for span in spans if span.label in CONTACT_LABELS]
    return bool(contacts) and all(
        data.advert_calls.search(text, _sentence_start(text, span.start, ASK_REACH), span.start) for span in contacts)


def _sentence_start(text: str, start: int, reach: int) -> int:
    """Where the sentence holding `start` begins, looking back at most `reach` characters."""
    before = max(0, start - reach)
    for stop in _SENTENCE_END.finditer(text, before, start):
        before = stop.end()
    return before


def only_contacts(spans: tuple[Span, ...]) -> bool:
    """Whether these over-sharing spans are all phone numbers and emails (`CONTACT_LABELS`), and there is one."""
    return bool(spans) and all(span.label in CONTACT_LABELS for span in spans)


def find_private_spans(text: str, data: PrivacyData) -> tuple[Span, ...]:
    """Every private span of `text`, most specific kind first, never two over the same characters."""
    taken = _SpanSet()
    add = taken.add
    # Hospital and NHS numbers, dates of birth, phone numbers and postcodes all need a digit: most
    # messages have none, so one quick look spares five searches.
    has_digit = _DIGIT.search(text) is not None
    # Each kind of number needs so many digits (a card 12, a phone 7): most messages have a few at most.
    digit_count = len(_DIGIT.findall(text)) if has_digit else 0

    if has_digit:
        for match in data.hospital_number.finditer(text):
            add(match.start(1), match.end(1), "hospital_number")
        for match in _NHS_NUMBER.finditer(text):
            if nhs_number_is_valid(re.sub(r"\D", "", match.group())):
                add(match.start(), match.end(), "nhs_number")
        for match in data.date_of_birth.finditer(text):
            add(match.start(1), match.end(1), "date_of_birth")
    cued_numbers = list(data.cued_number.finditer(text)) if digit_count >= 3 else []
    if digit_count >= 4:
        _find_checked_numbers(text, data, add, digit_count, cued_numbers)
    phone_hint = has_digit and _PHONE_HINT.search(text) is not None
    # Read once, not once a number: a message of a million digits must not be searched again for each.
    names_service = (phone_hint or bool(cued_numbers)) and data.organisation.search(text) is not None
    # Whether the message is an announcement, read at most once and only for a detail it could publish.
    announcement: list[bool] = []

    def announces() -> bool:
        if not announcement:
            announcement.append(_announces(text, data))
        return announcement[0]

    def private_unless_announced(start: int, end: int) -> bool:
        """An email, street address or postcode is private unless an announcement gives it to be used and no
        personal word beside it makes it someone's own ("at 14 Otley Road, all welcome" is where the event is)."""
        return _beside_personal(text, start, end, data) or not announces()

    if phone_hint:
        # POSSIBLE, not VALID: a number shaped like a UK one is private even when its range is not
        # allocated today (Ofcom's drama numbers, a new range the library does not know yet).
        for found in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=MAX_PHONE_TRIES):
            national = "0" + str(found.number.national_number) if found.number.country_code == 44 else re.sub(r"\D", "", found.raw_string)
            raw_digits = re.sub(r"\D", "", found.raw_string)
            if found.number.country_code == 44 and national.startswith(data.business_ranges):
                continue
            if national not in data.public_numbers and raw_digits not in data.public_numbers and not _published(text, found.start, found.end, national, data, names_service, announces):
                add(found.start, found.end, "phone")
    for match in cued_numbers:
        if match.lastgroup == "phone":
            digits = re.sub(r"\D", "", match.group("phone"))
            if 7 <= len(digits) <= 15 and not digits.startswith(data.business_ranges) and digits not in data.public_numbers and not _published(text, *match.span("phone"), digits, data, names_service, announces):
                add(*match.span("phone"), "phone")
    if "@" in text:
        for start, end in _email_spans(text):
            address = text[start:end].lower()
            if address in data.public_emails or not data.role_mailboxes.isdisjoint(_EMAIL_PARTS.split(address.split("@", 1)[0])):
                continue
            if private_unless_announced(start, end):
                add(start, end, "email")
    for match in clued_finditer(data.address, data.address_clue, text):  # privacy.toml's patterns
        group = "named" if match.group("named") else "cued"
        if group == "cued" or private_unless_announced(match.start(group), match.end(group)):
            add(match.start(group), match.end(group), "address")
    if has_digit:
        for pattern in (data.cued_address, data.street_prefix, data.unit) + ((_FORCES_POST,) if digit_count >= 5 else ()):
            for match in pattern.finditer(text):
                add(*match.span(1 if pattern.groups else 0), "address")
        for match in _NUMBERED_WORD.finditer(text):
            if match.group(1).lower().endswith(data.street_suffixes):
                add(match.start(), match.end(), "address")
        for match in _POSTCODE.finditer(text):
            if private_unless_announced(match.start(), match.end()):
                add(match.start(), match.end(), "postcode")
        for match in cued_numbers:
            if match.lastgroup == "zip":
                add(*match.span("zip"), "postcode")
    # A named person's health detail is looked for in their sentence: the sentence stops are found
    # once and each sentence searched once, however many people it names.
    stops: list[int] | None = None
    health_in: dict[tuple[int, int], re.Match[str] | None] = {}
    for match in clued_finditer(data.named_person, data.named_person_clue, text):
        if stops is None:
            stops = [stop.start() for stop in _SENTENCE_STOP.finditer(text)]
        after = bisect.bisect_left(stops, match.end())
        before = bisect.bisect_left(stops, match.start())
        sentence = (stops[before - 1] + 1 if before else 0, stops[after] if after < len(stops) else len(text))
        if sentence not in health_in:
            health_in[sentence] = data.health_terms.search(text, *sentence)
        health = health_in[sentence]
        if health:
            add(min(match.start(1), health.start()), max(match.end(1), health.end()), "health_detail")
    return tuple(taken.spans)


def _find_checked_numbers(text: str, data: PrivacyData, add: Callable[[int, int, str], None], digit_count: int,
                          cued_numbers: list[re.Match[str]]) -> None:
    """Card and bank account numbers that pass their check, and identity numbers by shape or cue."""
    card_word: bool | None = None
    for match in _CARD.finditer(text) if digit_count >= 12 else ():
        digits = re.sub(r"\D", "", match.group())
        if not luhn_is_valid(digits):
            continue
        if card_word is None:
            card_word = _CARD_WORD.search(text) is not None
        if card_word or (len(digits) >= 13 and _CARD_ISSUER.match(digits)):
            add(match.start(), match.end(), "card_number")
    for match in _IBAN.finditer(text) if digit_count >= 8 else ():
        if iban_is_valid(match.group()):
            add(match.start(), match.end(), "bank_account")
    for pattern in (_SSN, _NI_NUMBER, _UK_LICENCE) if digit_count >= 6 else ():
        for match in pattern.finditer(text):
            add(match.start(), match.end(), "id_number")
    for match in cued_numbers:
        if match.lastgroup == "id_number" and sum(char.isdigit() for char in match.group("id_number")) >= 4:
            cue = match.group()[: match.start("id_number") - match.start()].lower()
            add(*match.span("id_number"), "bank_account" if "account" in cue or "sort" in cue else "id_number")
    for match in _IPV4.finditer(text):
        if all(int(octet) <= 255 and (octet == "0" or octet[0] != "0") for octet in match.groups()):  # not "1.000.000.000"
            add(match.start(), match.end(), "ip_address")
    if text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            add(match.start(), match.end(), "ip_address")


def check_privacy(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    spans = find_private_spans(message.text, data.privacy)
    if spans and message.prepared.urls:
        # A number inside a link is part of its address (a post's id, "aid=0000002987"), not anyone's detail.
        links = [(token.start, token.end) for token in message.prepared.tokens if token.word == "<url>"]
        spans = tuple(span for span in spans if not any(start <= span.start and span.end <= end for start, end in links))
    if not spans:
        return ()
    kinds = sorted({span.label for span in spans}, key=lambda kind: (-LABELS[kind][1], kind))  # ties by name: the same order every run
    return (Finding(Category.OVERSHARING, LABELS[kinds[0]][1], f"oversharing.{kinds[0]}", "found: " + ", ".join(k.replace("_", " ") for k in kinds), spans),)


def redact_spans(text: str, spans: tuple[Span, ...]) -> str:
    """`text` with each private span replaced by its label, e.g. "[nhs number]"."""
    pieces = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position or span.label not in LABELS:
            continue
        pieces.append(text[position : span.start])
        pieces.append(LABELS[span.label][0])
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)
