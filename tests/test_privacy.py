"""Private details and secrets never leave the bot in clear: not on the console, not in the log,
not in the state file and never in a reply (issue 13)."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import pytest

from adapters.base import ActionRefused, AuthFailed
from bot.cli import _configure_logging
from bot.model import Category, ClassifyContext
from bot.moderation import ModerationData, classify, load_moderation_data, redact
from bot.moderation.privacy import find_private_spans, iban_is_valid, load_privacy, luhn_is_valid
from bot.policy import primary_category
from bot.replies import NAME_FALLBACK, clean_user_value, looks_like_a_name
from bot.service import Service
from tests.helpers import ALWAYS_OPEN, LONDON, SURE_ADVERT, Clock, message, sandbox_service, write_settings

NHS_NUMBER = "943 476 5919"  # passes the NHS number check digit
PHONE = "07700 900123"
EMAIL = "jane.doe@example.com"
POSTCODE = "LS1 4AP"
TOKEN = "EAAGsekrit-page-token-42"


def _service(tmp_path: Path, extra_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    settings = write_settings(tmp_path, ALWAYS_OPEN, extra_env)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    return sandbox_service(settings, clock)


def _database_text(path: Path, *only: str) -> str:
    db = sqlite3.connect(path)
    tables = only or [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    text = "\n".join(repr(row) for table in tables for row in db.execute(f"SELECT * FROM {table}"))
    db.close()
    return text


def test_the_console_prints_the_message_redacted(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    network.post("demo", message("a", f"My NHS number is {NHS_NUMBER} and my mobile is {PHONE}, can you help?"))
    service.tick()
    printed = out.getvalue()
    assert "decision: oversharing" in printed
    assert NHS_NUMBER not in printed and PHONE not in printed
    assert "[nhs number]" in printed
    assert re.search(r"^\d\d:\d\d:\d\d (BST|GMT)  \[demo\] public comment", printed, re.MULTILINE)  # local time, zone shown


@pytest.mark.parametrize("display_name", [
    "F*** the NHS", "Fuck the NHS", "Claim refund at nhs-refund dot com", "Bob URGENT: call 0800 123 4567",
    f"Jane {NHS_NUMBER}", f"Jane {EMAIL}", "Cheap Viagra",
])
def test_a_display_name_that_is_not_a_name_is_never_repeated(tmp_path: Path, display_name: str) -> None:
    service, network, out = _service(tmp_path)
    network.post("demo", message("a", "I'm feeling so hopeless I want to end it all", name=display_name))
    service.tick()
    replies = [a.text for a in network.activity if a.kind == "reply"]
    assert replies and all(display_name not in reply for reply in replies)
    assert display_name not in out.getvalue()
    assert display_name not in _database_text(service.settings.state_path, "actions")
    assert all(private not in _database_text(service.settings.state_path) for private in (NHS_NUMBER, EMAIL))


def test_a_real_name_is_still_used(tmp_path: Path) -> None:
    service, network, _ = _service(tmp_path)
    network.post("demo", message("a", "I'm feeling so hopeless I want to end it all", name="Seán O'Brien"))
    service.tick()
    assert any("Seán O'Brien" in a.text for a in network.activity if a.kind == "reply")


@pytest.mark.parametrize("name, shown", [
    ("Sam Patel", "Sam Patel"), ("Mary-Jane Smith-Jones", "Mary-Jane Smith-Jones"), ("J.R. Hartley", "J.R. Hartley"),
    ("Seán O'Brien \U0001F308", "Seán O'Brien"), ("李小龙", "李小龙"),
    ("JOHN SMITH", NAME_FALLBACK), ("Jane 943 476 5919", NAME_FALLBACK), ("Visit scam dot com", NAME_FALLBACK),
    ("Bob URGENT: call", NAME_FALLBACK), ("one two three four five", NAME_FALLBACK), ("\U0001F44D", NAME_FALLBACK),
])
def test_only_what_looks_like_a_name_is_used_as_one(name: str, shown: str) -> None:
    assert clean_user_value("author_name", name) == shown
    assert looks_like_a_name(name) is (shown != NAME_FALLBACK)


def test_a_token_a_platform_echoes_is_never_stored_or_printed(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    service.scrubber.secrets.append(TOKEN)  # the sandbox needs no secret: give the scrubbers one as a real account would
    service.log_scrubber.secrets.append(TOKEN)
    network.fail_next("hide", ActionRefused(f"POST /hide?access_token={TOKEN} refused for {TOKEN}"))
    network.post("demo", message("a", "You lot are useless f***ing idiots, the whole lot of you should be sacked"))
    service.tick()
    network.fail_next("fetch", AuthFailed(f"token {TOKEN} expired; request echoed: {TOKEN}"))
    service.health["demo"].last_read.clear()
    service.tick()
    assert service.store.paused_reason("demo")
    assert TOKEN not in _database_text(service.settings.state_path)
    assert TOKEN not in out.getvalue()


def test_log_lines_and_tracebacks_lose_secrets_and_private_details(tmp_path: Path) -> None:
    service, _, _ = _service(tmp_path)
    service.log_scrubber.secrets.append(TOKEN)
    try:
        raise ValueError(f"GET /me?access_token={TOKEN} answered {{'text': 'call me on {PHONE}'}}")
    except ValueError:
        record = logging.LogRecord("housebot", logging.ERROR, __file__, 1, "failed %s", (EMAIL,), None)
        import sys
        record.exc_info = sys.exc_info()
    service.log_scrubber.filter(record)
    shown = logging.Formatter().format(record)
    assert "Traceback" in shown and "ValueError" in shown
    assert TOKEN not in shown and PHONE not in shown and EMAIL not in shown


@pytest.fixture
def own_logging() -> Iterator[Callable[[Service], None]]:
    """Configure logging as `housebot run` does, then put back pytest's own."""
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved: list[tuple[list[logging.Handler], int, int]] = []

    def configure(service: Service) -> None:
        saved.append((root.handlers[:], root.level, scheduler.level))
        root.handlers = []  # pytest's capture handlers, which it adds for each phase of a test
        _configure_logging(service.settings, service.log_scrubber)

    yield configure
    for handlers, root_level, scheduler_level in saved:
        root.handlers = handlers
        root.setLevel(root_level)  # setLevel, not assignment: it clears every logger's cached level
        scheduler.setLevel(scheduler_level)


def test_other_libraries_debug_lines_are_not_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    own_logging: Callable[[Service], None]) -> None:
    service, _, _ = _service(tmp_path, {"HOUSEBOT_LOG_LEVEL": "DEBUG"})
    own_logging(service)
    logging.getLogger("tweepy.client").debug("Received response: {'text': 'my number is %s'}", PHONE)
    logging.getLogger("urllib3.connectionpool").info("GET /2/users/me?token=abc")
    logging.getLogger("housebot").debug("account=demo event=debug_line")
    logging.getLogger("tweepy.client").warning("Rate limit exceeded for %s", EMAIL)
    err = capsys.readouterr().err
    assert "event=debug_line" in err and "Rate limit exceeded" in err
    assert "Received response" not in err and "users/me" not in err
    assert EMAIL not in err


# -- the done-means test: every kind of private value, everywhere the bot writes ----------------------
def _nhs_number(first_nine: str) -> str:
    """A valid NHS number (Modulus 11 check digit) from nine digits, spaced 3-3-4."""
    check = 11 - sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1))) % 11
    digits = first_nine + str(0 if check == 11 else check)
    assert check != 10
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


PRIVATE_VALUES = {
    "nhs": [_nhs_number("943476591"), _nhs_number("401023213"), _nhs_number("485777345")],
    "phone": ["07700 900123", "0113 496 0017", "+44 7700 900456", "07700900789"],
    "email": ["jane.doe@example.com", "sam_p@example.org", "bob+nhs@example.co.uk"],
    "postcode": ["LS1 4AP", "LS6 2AB", "BD7 1DP"],
}
IN_TEXT = [
    ("comments", "Member", f"My NHS number is {PRIVATE_VALUES['nhs'][0]}, why has my appointment been cancelled?"),
    ("direct_messages", "Member", f"Hi, it's about my mum, her NHS number is {PRIVATE_VALUES['nhs'][1]}"),
    ("comments", "Member", f"Ring me back on {PRIVATE_VALUES['phone'][0]} about my referral please"),
    ("direct_messages", "Member", f"My number is {PRIVATE_VALUES['phone'][1]} or {PRIVATE_VALUES['phone'][2]}"),
    ("comments", "Member", f"Email me at {PRIVATE_VALUES['email'][0]} with the results"),
    ("direct_messages", "Member", f"Please reply to {PRIVATE_VALUES['email'][1]}, thank you"),
    ("comments", "Member", f"I live at 12 Park Lane, {PRIVATE_VALUES['postcode'][0]}, when is the clinic?"),
    ("direct_messages", "Member", f"My postcode is {PRIVATE_VALUES['postcode'][1]}, which GP should I use?"),
    ("comments", "Member", f"I'm scared, I want to end it all. Call {PRIVATE_VALUES['phone'][3]}"),
]
IN_NAMES = [
    ("comments", f"Jane {PRIVATE_VALUES['nhs'][2]}", "When does the walk-in centre open on Saturday?"),
    ("comments", f"Bob {PRIVATE_VALUES['phone'][3]}", "Thanks for the flu jab reminder"),
    ("direct_messages", PRIVATE_VALUES["email"][2], "Can I get my booster at the pharmacy?"),
    ("comments", f"Tom {PRIVATE_VALUES['postcode'][2]}", "Is the hospital car park free at weekends?"),
]


def test_no_private_value_is_found_anywhere_the_bot_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str],
                                                          own_logging: Callable[[Service], None]) -> None:
    from adapters.base import PlatformUnavailable
    from bot.cli import main
    from tests.helpers import environment

    service, network, out = _service(tmp_path, {"HOUSEBOT_LOG_LEVEL": "DEBUG"})
    own_logging(service)
    for index, (stream, name, text) in enumerate(IN_TEXT + IN_NAMES):
        network.post("demo", message(f"m{index}", text, stream=stream, name=name, handle=f"@person{index}"))
    echoed = IN_TEXT[0][2]  # a platform that fails and echoes the whole request back
    network.fail_next("reply", PlatformUnavailable(f"500 for POST /reply body={echoed!r}"))
    logging.getLogger("urllib3.connectionpool").debug("POST /reply body=%r", echoed)
    service.tick()
    for _ in range(6):  # past the back-off: the failed reply is sent
        service.clock.advance(minutes=16)  # type: ignore[attr-defined]
        service.tick()
    err = capsys.readouterr().err
    assert _statuses(service.settings.state_path) == ["handled"] * len(IN_TEXT + IN_NAMES)
    for key, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    assert main(["--env", str(tmp_path / ".env"), "log", "--csv", "--limit", "100"]) == 0
    export = capsys.readouterr().out
    assert export.count("\n") == len(IN_TEXT + IN_NAMES) + 1
    replies = "\n".join(a.text for a in network.activity if a.kind == "reply")
    places = {"stdout": out.getvalue(), "stderr (DEBUG)": err, "database": _database_text(service.settings.state_path),
              "CSV export": export, "replies": replies}
    found = [(value, place) for values in PRIVATE_VALUES.values() for value in values
             for place, text in places.items() if value in text or value.replace(" ", "") in text.replace(" ", "")]
    assert found == []
    assert "[nhs number]" in places["CSV export"] and "[email]" in places["database"]
    assert "event=fetched" in err and "event=unavailable" in err  # the log was on, the failure logged


def _statuses(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    statuses = [row[0] for row in db.execute("SELECT status FROM inbound ORDER BY id")]
    db.close()
    return statuses


def test_check_never_prints_a_token_the_platform_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.sandbox import SandboxAdapter
    from tests.helpers import ORGANISATION
    from tests.test_config_errors import run_cli

    def failing_check(self: SandboxAdapter) -> None:
        raise RuntimeError(f"GET /me?access_token={TOKEN}&fields=id failed")

    monkeypatch.setattr(SandboxAdapter, "check", failing_check)
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "check")
    assert code == 1
    assert "demo: cannot reach sandbox: GET /me?access_token=***" in out
    assert TOKEN not in out + err


def test_an_auth_failure_echoing_a_message_is_shown_and_kept_redacted(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    network.fail_next("fetch", AuthFailed(f"bad token; request was: 'call me on {PHONE}'"))
    service.tick()
    assert "account paused" in out.getvalue() and "[phone]" in out.getvalue()
    assert PHONE not in out.getvalue() + _database_text(service.settings.state_path)


def test_a_rate_limit_wait_is_shown_in_local_time_with_its_zone(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    from adapters.base import RateLimited

    service, network, out = _service(tmp_path)
    reset = service.clock().astimezone(timezone.utc) + timedelta(minutes=15)  # 09:15 UTC is 10:15 in Leeds (BST)
    network.fail_next("fetch", RateLimited(reset))
    service.tick()
    assert "waiting until 10:15:00 BST" in out.getvalue()


# -- identifiers in any country's format (issue 10, round 5): found by their check digit or shape ----
PRIVACY_DATA = load_privacy(Path(__file__).resolve().parents[1] / "config" / "moderation")


def _found(text: str) -> list[tuple[str, str]]:
    return [(span.label, span.text_in(text)) for span in find_private_spans(text, PRIVACY_DATA)]


@pytest.mark.parametrize(("digits", "valid"), [
    ("4111111111111111", True), ("5555555555554444", True), ("378282246310005", True), ("4111111111111112", False),
])
def test_the_luhn_check(digits: str, valid: bool) -> None:
    assert luhn_is_valid(digits) is valid


@pytest.mark.parametrize(("iban", "valid"), [
    ("GB82 WEST 1234 5698 7654 32", True), ("DE89370400440532013000", True), ("fr14 2004 1010 0505 0001 3m02 606", True),
    ("GB82 WEST 1234 5698 7654 33", False), ("GB82", False),
])
def test_the_iban_check(iban: str, valid: bool) -> None:
    assert iban_is_valid(iban) is valid


@pytest.mark.parametrize(("text", "label", "found"), [
    # card numbers: any issuer, grouped or run together; with a card word, 12 digits are enough
    ("they took 2 payments off my card 4111 1111 1111 1111 for the same prescription", "card_number", "4111 1111 1111 1111"),
    ("paid the parking fine with 5555555555554444 and still got a letter", "card_number", "5555555555554444"),
    ("amex 3782 822463 10005 was charged twice at the hospital shop", "card_number", "3782 822463 10005"),
    ("my debit card ending... actually the whole thing is 501864667909, can you refund it", "card_number", "501864667909"),
    # bank accounts: an IBAN passes mod-97; a UK account after its cue
    ("refund the overpayment to GB82 WEST 1234 5698 7654 32 please", "bank_account", "GB82 WEST 1234 5698 7654 32"),
    ("send it to de89370400440532013000", "bank_account", "de89370400440532013000"),
    ("sort code 20-00-00, account 55779911", "bank_account", "20-00-00"),
    # identity numbers by shape, or after their cue
    ("my dad's SSN is 219-09-9999 if the US insurer asks", "id_number", "219-09-9999"),
    ("National Insurance AB 12 34 56 C for the sick note", "id_number", "AB 12 34 56 C"),
    ("her ni number is ab123456c", "id_number", "ab123456c"),
    ("driving licence MORGA753116SM9IJ was in the bag I lost in A&E", "id_number", "MORGA753116SM9IJ"),
    ("my driver's license number is D4417 2281 for the parking permit", "id_number", "D4417 2281"),
    ("passport no 502135326, do I need it for the appointment?", "id_number", "502135326"),
    ("my card pin is 4921, I wrote it on the form by mistake", "id_number", "4921"),
    ("DOB: 1961-04-30, can I get the shingles jab?", "date_of_birth", "1961-04-30"),
    # IP addresses
    ("your booking site blocks me, it says 203.0.113.42 is banned", "ip_address", "203.0.113.42"),
    ("my router shows 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip_address", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    # phone numbers in other countries' formats, after a cue
    ("my son is in Lisbon, his mobile is 912 345 678 if the ward needs him", "phone", "912 345 678"),
    ("Phone: (02) 9374 4000", "phone", "(02) 9374 4000"),
    ("nobody is answering at 415-555-2673", "phone", "415-555-2673"),
    ("call me on 06 12 34 56 78 when the results are in", "phone", "06 12 34 56 78"),
    # ZIP and postal codes after a cue
    ("zip code 94103, can you post the leaflet to my aunt", "postcode", "94103"),
    ("Postal code: 1012 AB", "postcode", "1012 AB"),
    # addresses: flats and suites, post boxes, streets in other languages, a house number after a cue
    ("the letter went to Flat 7 instead of mine", "address", "Flat 7"),
    ("send it to PO Box 4021 please", "address", "PO Box 4021"),
    ("my sister lives at Kungsgatan 12 in Stockholm", "address", "Kungsgatan 12"),
    ("she stays on ul. Długa 44 in Gdańsk", "address", "ul. Długa 44"),
    ("my gran lives at 27 Rue Victor Hugo, Lyon", "address", "27 Rue Victor Hugo"),
    ("forward my notes to PSC 1234, Box 5678, APO AE 09012", "address", "APO AE 09012"),
])
def test_each_identifier_kind_is_found(text: str, label: str, found: str) -> None:
    assert (label, found) in _found(text)


@pytest.mark.parametrize("text", [
    "they charged 4111 1111 1111 1112 to my card",  # fails the Luhn check
    "parcel tracking 1234567812345670 says delivered",  # passes Luhn, but no card word and no issuer's first digits
    "https://twitter.com/nhs/status/4111111111111111/photo/1",  # a post's id in a link
    "IBAN GB82 WEST 1234 5698 7654 33",  # fails mod-97
    "the clinic is open 2026-11-24 to 2026-12-01",
    "form 666-12-3456 on the letter",  # an SSN is never issued with area 666
    "the app is on version 10.4.2",
    "the 999.12.1.1 figure is wrong",
    "I moved to London 2 years ago",
    "we flew via Dubai on 27 July",
    "my neighbours were in the apartment. 19 people at a party",
    "account number 37167475088 on my electricity bill",  # not a bank account: the cue is "bank account"
    "call 999 or NHS 111, or ring us on 0113 206 6261",
    "my phone has been dead for 3 days",
    "the spinal clinic pin board has 2026 leaflets",
    "I turned 47 last week and the GP wants a health check",  # an age alone is not an identifier
    "Dr Amara Okafor from Leeds saw me on 3 March",  # names, places and dates alone are not either
])
def test_lookalikes_and_plain_details_are_not_identifiers(text: str) -> None:
    assert _found(text) == []


def test_a_big_number_written_with_dots_is_not_an_ip_address() -> None:
    assert "ip_address" not in [label for label, _ in _found("the video has 1.000.000.000 views")]


@pytest.fixture(scope="module")
def moderation_data() -> ModerationData:
    return load_moderation_data(Path(__file__).resolve().parents[1] / "config" / "moderation")


@pytest.mark.parametrize(("text", "expected"), [
    ("Your parking machine took £12 from my card 4929 1234 5678 9007 twice, please refund it", Category.OVERSHARING),
    ("My nan's in Alicante, text her on 612 345 678 if the hospital needs her, she lives at Calle Mayor 14", Category.OVERSHARING),
    ("The pharmacy's booking page says my IP 81.2.69.160 is blocked", Category.OVERSHARING),
    ("Mum was moved to Ward 4 and nobody told us for 3 hours", Category.COMPLAINT),
    ("Thanks to the team on Ward 12, the care was brilliant", Category.ORDINARY),
])
def test_what_the_bot_decides_for_identifiers_and_lookalikes(text: str, expected: Category, moderation_data: ModerationData) -> None:
    findings = classify(text, ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)), moderation_data)
    assert primary_category(findings, SURE_ADVERT) is expected
    if expected is Category.OVERSHARING:
        assert redact(text, findings) != text


# An organisation's published number is not private (house rules: "private information about yourself or
# others"); a person's own number, a mobile, and an NHS number in a question still are.
@pytest.mark.parametrize("text", [
    "Hearing clinic at Chapel Allerton this Saturday 10-2, drop in or call the audiology team on 0113 392 4401",
    "Reminder from Moorside Surgery: your asthma review is Tues 9:40am. Can't make it? Please ring 0113 278 5512",
    "Our bereavement support group restarts in January, for more information call 0300 330 5127",
    "Is the number 0113 246 0871 really the hospital's? They left a voicemail about my scan",
    "Write to info@wellbeingwalks.example or bookings@wellbeingwalks.example to join the Sunday walk",
    # A partner's or community group's announcement gives its organiser's contact to be used (even a
    # mobile) and the venue's address.
    "Knit and natter for carers is back at Rothwell library, every Thursday 1-3pm, all welcome. Ring Maureen on 07700 900432 for more info",
    "Dementia carers' cafe, first Monday of the month at St Edmund's hall, 12 Lidgett Lane, LS8 1PU. Free cake, just turn up",
    "Pop along to our free health check day at the Hamara Centre on Saturday, interpreters on hand. Contact the organiser: healthday.hamara@example.org",
    "New stroke survivors group meets Tuesdays 10am at Garforth community centre. Details 07700 900519",
    "Chair yoga for over 70s every Wednesday 11am upstairs at 3 Chapel Street, everyone welcome",
    "Our foodbank hub is open Monday to Friday, referrals by phone 0113 496 0771, no judgement",
    "Appointment text: 'Outpatients, Leeds Dental Institute, 3 May 09:00. To rearrange call 0113 496 0644.' Can I bring my son along?",
    # A support line or scheme shared by a member of the public: "their" is the service's.
    "Gambling support line in Leeds, free and confidential: 0113 496 0520",
    "The young carers group is on Wednesday evenings and their number is 0113 496 0655",
    "Out of hours the practice answerphone gives 0113 496 0190 for urgent prescriptions",
    # Round 11: "my" owns the service, not the number; a public body; a role among a mailbox's parts; "ring them".
    "My pharmacy's late line is 0113 496 0733",
    "The benefits advice service at the council is really good, 0113 496 0811",
    "Send comments on the new car park to carpark-feedback@example.gov.uk before Friday",
    "The hospice shop was so kind to us, ring them on 0113 496 0642 about collections",
])
def test_a_published_organisation_number_or_mailbox_is_not_private(text: str, moderation_data: ModerationData) -> None:
    findings = classify(text, ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)), moderation_data)
    assert not find_private_spans(text, moderation_data.privacy)
    assert primary_category(findings, SURE_ADVERT) is not Category.OVERSHARING


@pytest.mark.parametrize(("text", "label"), [
    ("The surgery never rings back, call me on 0113 496 0733 before 5", "phone"),
    ("Pharmacy lost my prescription again, my home number is 0113 496 0187 if anyone cares", "phone"),
    ("The clinic wants to reach my dad, his landline 01924 496 018 is the best one", "phone"),
    ("Ward 7 can text 07700 900388 when mum is ready to be picked up", "phone"),
    ("Can the practice tell me if the smear results are back? NHS number 943 476 5919", "nhs_number"),
    ("Email the practice from jane.doe@example.com, that's me", "email"),
    # In a community announcement, a person's own detail is still theirs.
    ("I go to the walking group every Tuesday, text me on 07700 900611 if you want to come", "phone"),
    ("Mum loves the dementia cafe on Mondays, her mobile is 07700 900288 if the volunteers need her", "phone"),
    ("The coffee morning's free, all welcome, I live at 27 Moor Crescent so it's easy for me", "address"),
    ("Support group every Friday, my email is sandra.kaur@example.com if anyone wants a lift", "email"),
    ("My support worker is lovely, her home number is 0113 496 0402", "phone"),
    # "their" alone no longer makes a number private; a landline with no service named still is.
    ("The neighbours are away till Sunday, their landline is 0113 496 0148 if anyone hears the alarm", "phone"),
])
def test_a_persons_own_number_beside_a_service_is_still_private(text: str, label: str, moderation_data: ModerationData) -> None:
    assert label in {span.label for span in find_private_spans(text, moderation_data.privacy)}
    findings = classify(text, ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)), moderation_data)
    assert primary_category(findings, SURE_ADVERT) is Category.OVERSHARING


@pytest.mark.parametrize("text", [
    "Our newsletter is out! https://paper.example/leedsnews/1314315781?edition=4 lovely stories this week",
    "Photos from the fun run: https://photos.example/album/9434765919 thanks to all who came",
    "best song ever X3333333333",   # ten digits inside a word, passing the NHS number check by chance
])
def test_a_number_inside_a_link_or_a_word_is_not_over_sharing(text: str, moderation_data: ModerationData) -> None:
    findings = classify(text, ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)), moderation_data)
    assert Category.OVERSHARING not in {finding.category for finding in findings}


def test_a_number_beside_a_link_is_still_over_sharing(moderation_data: ModerationData) -> None:
    text = "my NHS number is 943 476 5919, the form at https://forms.example/referral won't take it"
    findings = classify(text, ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)), moderation_data)
    assert primary_category(findings, SURE_ADVERT) is Category.OVERSHARING


def test_a_sentence_ending_after_a_relation_names_no_one(moderation_data: ModerationData) -> None:
    # "her friend. She's 14" is not a named person with a diagnosis; "my friend Sally has cancer" is.
    assert not find_private_spans("Shaving my head for the cancer ward in memory of her friend. She's so brave", moderation_data.privacy)
    assert {span.label for span in find_private_spans("My friend Sally has cancer and can't get a scan", moderation_data.privacy)} == {"health_detail"}
