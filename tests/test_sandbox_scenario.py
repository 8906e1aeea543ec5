"""The bundled sandbox scenario end to end: every house rule produces the expected action, with the
state in a SQLite file and in a PostgreSQL database."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

import pytest

from adapters.sandbox import SandboxAdapter, SandboxNetwork, ScenarioMessage, load_scenario
from bot.service import Service
from bot.store import open_store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, write_settings

SCENARIO = load_scenario()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def outcome(tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> tuple[SandboxNetwork, dict[str, dict[str, object]], str]:
    tmp_path = tmp_path_factory.mktemp("scenario")
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    if request.param == "postgresql":
        settings = replace(settings, state_url=request.getfixturevalue("postgres_cluster").new_database())
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    network = SandboxNetwork(clock=clock)
    adapter = SandboxAdapter(settings.account_config(settings.accounts[0]), network, SCENARIO)
    out = io.StringIO()
    service = Service(settings, clock=clock, adapters={"demo": adapter}, out=out)
    for _ in range(2):
        service.tick()
        clock.advance(minutes=1)
    service.close()
    looking = open_store(settings.state_location, read_only=True)
    rows = {row["native_id"].split("-")[-1]: dict(row) for row in looking.read("SELECT * FROM inbound")}
    for row in rows.values():
        row["actions"] = [dict(a) for a in looking.read("SELECT * FROM actions WHERE inbound_id=? ORDER BY position",
                                                        (row["id"],))]
    looking.close()
    return network, rows, out.getvalue()


def did(network: SandboxNetwork, message: ScenarioMessage) -> dict[str, list[str]]:
    """What the bot did on the network about one scenario message: kind -> texts."""
    found: dict[str, list[str]] = {}
    for activity in network.activity:
        if activity.target.endswith(f"-{message.id}"):
            found.setdefault(activity.kind, []).append(activity.text)
    return found


def test_the_scenario_has_at_least_forty_messages_covering_every_house_rule() -> None:
    assert len(SCENARIO) >= 40
    assert {m.expect for m in SCENARIO} == {"safeguarding", "urgent_care", "threat", "abuse", "oversharing",
                                            "misinformation", "spam", "complaint", "verification", "ordinary"}


@pytest.mark.parametrize("message", SCENARIO, ids=[f"{m.id}-{m.expect}" for m in SCENARIO])
def test_every_message_gets_what_the_house_rules_promise(outcome, message: ScenarioMessage) -> None:  # type: ignore[no-untyped-def]
    network, rows, _ = outcome
    row = rows[message.id]
    acted = did(network, message)
    staff = {(a["kind"], a["team"]) for a in row["actions"] if a["kind"] in ("alert", "review")}
    assert row["status"] == "handled"
    if message.handle.lower() == "@nhsleedsdemo":
        assert acted == {} and row["rule"] == "guard.official_account"
        return
    assert row["category"] == message.expect, (message.text, row["evidence"])
    replies = acted.get("reply", [])
    hidden = "hide" in acted
    if message.expect in ("safeguarding", "urgent_care"):
        assert len(replies) == 1 and "999" in replies[0] and "111" in replies[0]
        if message.expect == "safeguarding":
            assert "116 123" in replies[0]
        assert not hidden
        assert any(kind == "alert" for kind, _ in staff)
    elif message.expect == "threat":
        assert hidden
        assert ("alert", "security") in staff
    elif message.expect == "abuse":
        assert hidden and len(replies) == 1
    elif message.expect == "oversharing":
        assert hidden and len(replies) == 1
    elif message.expect == "misinformation":
        assert not hidden and "delete" not in acted
        assert ("review", "comms") in staff
    elif message.expect == "spam":
        assert hidden or message.handle == "@LeedsCC"
    elif message.expect == "complaint":
        assert not hidden and len(replies) == 1
        assert "complaints@example.nhs.uk" in replies[0] or "https://www.example.nhs.uk/complaints" in replies[0]
    elif message.expect == "verification":
        assert not hidden and len(replies) == 1 and "@NHSLeedsDemo" in replies[0]
    else:
        assert not hidden and "delete" not in acted
        partner_news = message.handle == "@LeedsCC" and "?" not in message.text  # shared news, not a query
        assert len(replies) == (0 if partner_news else 1)


def test_private_details_are_never_stored_once_handled(outcome) -> None:  # type: ignore[no-untyped-def]
    _, rows, _ = outcome
    stored = " ".join(str(row["text_redacted"]) + str(row["text"]) for row in rows.values())
    for secret in ("943 476 5919", "07700 900123", "14/03/1951", "LS8 5HP"):
        assert secret not in stored


def test_the_console_shows_each_message_decision_and_action(outcome) -> None:  # type: ignore[no-untyped-def]
    _, _, printed = outcome
    assert "decision: abuse" in printed
    assert "-> hide done" in printed
    assert "URGENT ALERT" in printed
