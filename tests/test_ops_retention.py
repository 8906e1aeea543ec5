"""Retention and erasure (UK GDPR): `forget` leaves no trace of the person in any table, `export`
gives them what we hold, and the daily purge applies the three clocks. A real service on the sandbox,
with the alerts outbox delivering to fake mail and webhook servers, fills every table first; erasure
and the purge are shown on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.base import Unreadable
from bot.cli import main
from bot.errors import ConfigError
from bot.ops.retention import PersonalData, export, find_person, forget
from bot.service import Service
from bot.store import Store, open_store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, sandbox_service, write_settings
from tests.test_alerts import Hooks, Mailbox, alert_settings, command_line_environment, hooks, mailbox  # noqa: F401

PERSON, NAME = "@mike_t", "Mike Tyler"
TRACES = ("mike_t", "mike tyler")  # what identifies the person, in any case


def _world(tmp_path: Path, mailbox: Mailbox, hooks: Hooks, store_location: str = "") -> tuple[Service, Clock]:
    """Two people write; the person's messages are decided, acted on, alerted and digested, and
    another person's message names them. A room of its own keeps a note about them too."""
    settings = alert_settings(tmp_path, mailbox, hooks)
    if store_location.startswith("postgresql://"):
        settings = replace(settings, state_url=store_location)
    clock = Clock(datetime(2026, 11, 24, 18, 0, tzinfo=LONDON))  # a Tuesday evening
    service, network, _ = sandbox_service(settings, clock)
    said = [("m1", "comments", "You lot are useless f***ing idiots, the whole lot of you should be sacked"),
            ("m2", "direct_messages", "I don't see the point in carrying on anymore. I've been stockpiling my tablets"),
            ("m3", "comments", "My appointment was cancelled again, ring me on 07700 900123")]
    for native_id, stream, text in said:
        network.post("demo", message(native_id, text, stream=stream, handle=PERSON, name=NAME))
    network.post("demo", message("o1", "@Mike_T is right, my appointment was cancelled again too", handle="@olive",
                                 name="Olive"))
    service.tick()
    clock.advance(minutes=1)
    service.tick()
    clock.now = datetime(2026, 11, 25, 9, 5, tzinfo=LONDON)  # the routine alerts' digest is due
    service.deliver_alerts()
    service.store.keep_unreadable("demo", "comments", [Unreadable("u9", json.dumps({"from": {"username": "mike_t"}}),
                                                                  "no text")], clock())
    service.store.extend_schema("CREATE TABLE IF NOT EXISTS notes (platform TEXT, author_id TEXT, note TEXT)")
    with service.store.transaction() as db:
        db.execute("INSERT INTO notes VALUES ('sandbox', 'mike_t', 'called back on Tuesday')")
    service.store.register_personal_data(PersonalData(
        room="notes", erase=("DELETE FROM notes WHERE platform=:platform AND author_id=:author_id",),
        export={"notes": "SELECT note FROM notes WHERE platform=:platform AND author_id=:author_id"}))
    return service, clock


def tables_holding(location: str | Path, traces: tuple[str, ...] = TRACES) -> set[str]:
    """Every table with a text value holding a trace: a scan of the whole database (every table its
    catalogue lists), not the code's own list."""
    db = open_store(location, read_only=True)
    found = set()
    for table in db.table_columns():
        for row in db.read(f'SELECT * FROM "{table}"'):
            if any(isinstance(value, str) and trace in value.lower() for value in row for trace in traces):
                found.add(table)
    db.close()
    return found


def test_forget_erases_the_person_from_every_table_and_records_it_without_them(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, store_location: str) -> None:
    service, clock = _world(tmp_path, mailbox, hooks, store_location)
    state = service.settings.state_location
    assert tables_holding(state) >= {"inbound", "actions", "strikes", "unreadable", "alerts", "notes"}
    digests = service.store.read("SELECT content FROM alerts WHERE kind='digest'")
    assert digests and any("mike_t" in row["content"].lower() for row in digests)

    erasure = forget(service.store, find_person(service.store, "sandbox", PERSON), clock())

    assert erasure.complete and erasure.remaining == ()
    assert tables_holding(state) == set()
    assert erasure.rows["core"] >= 6 and erasure.rows["alerts"] >= 2 and erasure.rows["notes"] == 1
    # the other person's message stays, without the person's name; their decision is untouched
    [olive] = service.store.read("SELECT text_redacted, category FROM inbound WHERE author_handle='@olive'")
    assert olive["text_redacted"] == "[erased] is right, my appointment was cancelled again too"
    assert olive["category"] is not None
    [record] = service.store.read("SELECT kind, platform, rows, complete FROM data_requests")
    assert (record["kind"], record["platform"], record["complete"]) == ("erasure", "sandbox", 1)
    assert json.loads(record["rows"])["notes"] == 1
    service.close()


def test_forget_names_a_table_no_room_registered_and_the_command_fails(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    service, _ = _world(tmp_path, mailbox, hooks)
    service.store.extend_schema("CREATE TABLE IF NOT EXISTS gossip (author TEXT, said TEXT)")
    with service.store.transaction() as db:
        db.execute("INSERT INTO gossip VALUES ('mike_t', 'called again')")
    service.close()
    command_line_environment(monkeypatch, tmp_path, hooks)

    assert main(["forget", "--platform", "sandbox", "--author", "@MIKE_T"]) == 1

    out = capsys.readouterr().out
    assert "still found in: gossip.author" in out and "notes" in out  # the notes room was not registered this time
    assert "mike_t" not in out.lower()
    assert tables_holding(service.settings.state_path) == {"gossip", "notes"}


def test_the_forget_command_erases_everyone_the_service_knows_and_says_only_counts(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    service, _ = _world(tmp_path, mailbox, hooks)
    with service.store.transaction() as db:
        db.execute("DROP TABLE notes")  # a room only this test had
    service.close()
    command_line_environment(monkeypatch, tmp_path, hooks)

    assert main(["forget", "--platform", "sandbox", "--author", "mike_t"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("erased: alerts ") and "recorded without the person's details" in out
    assert tables_holding(service.settings.state_path) == set()


def test_export_gives_the_person_everything_held_about_them_and_nobody_else(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    service, clock = _world(tmp_path, mailbox, hooks)
    data = export(service.store, find_person(service.store, "sandbox", PERSON), clock())
    tables = data["tables"]
    assert isinstance(tables, dict)
    assert sorted(row["native_id"].split("-")[-1] for row in tables["messages"]) == ["m1", "m2", "m3"]
    assert {row["author_handle"] for row in tables["messages"]} == {PERSON}
    assert tables["actions"] and tables["strikes"] and tables["alerts.alerts"]
    assert tables["notes.notes"] == [{"note": "called back on Tuesday"}]
    assert "olive" not in json.dumps(data).lower()
    service.close()

    command_line_environment(monkeypatch, tmp_path, hooks)
    assert main(["export", "--platform", "sandbox", "--author", PERSON]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["tables"]["messages"]) == 3 and printed["author_ids"] == ["mike_t"]
    store = Store(service.settings.state_path)
    assert [row["kind"] for row in store.read("SELECT kind FROM data_requests")] == ["export", "export"]
    store.close()


def test_the_daily_purge_keeps_text_30_days_decisions_a_year_and_the_staff_audit_six_years(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, store_location: str) -> None:
    service, clock = _world(tmp_path, mailbox, hooks, store_location)
    store = service.store
    forget(store, find_person(store, "sandbox", "@nobody"), clock())  # a staff action to audit
    start = clock.now

    def counts() -> dict[str, int]:
        return {table: store.read(f"SELECT COUNT(*) FROM {table}")[0][0]
                for table in ("inbound", "actions", "strikes", "unreadable", "alerts", "data_requests")}

    before = counts()
    clock.now = start + timedelta(days=29)
    service.purge_expired()
    assert tables_holding(service.settings.state_location, ("mike_t",)) >= {"inbound", "unreadable", "alerts"}

    clock.now = start + timedelta(days=31)
    service.purge_expired()
    kept = counts()
    # what people said and their names are gone; their platform ids stay with the decisions for a year
    words = ("@mike_t", "mike tyler", "@olive", "appointment", "tablets", "idiots", "07700")
    assert tables_holding(service.settings.state_location, words) == set()
    assert {k: v for k, v in kept.items() if k != "unreadable"} == {k: v for k, v in before.items() if k != "unreadable"}
    assert kept["unreadable"] == 0
    assert store.read("SELECT COUNT(*) FROM inbound WHERE category IS NULL")[0][0] == 0  # decisions kept

    clock.now = start + timedelta(days=366)
    service.purge_expired()
    assert counts() == {"inbound": 0, "actions": 0, "strikes": 0, "unreadable": 0, "alerts": 0, "data_requests": 1}

    clock.now = start + timedelta(days=6 * 365 + 1)
    service.purge_expired()
    assert counts()["data_requests"] == 0
    service.close()


def test_the_purge_never_touches_a_message_still_waiting_to_be_handled(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN + "\n[retention]\nmessage_text_days = 1\ndecisions_days = 2\n")
    clock = Clock(datetime(2026, 11, 24, 18, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    item = network.post("demo", message("w2", "Still waiting for an answer", handle="@waiting"))
    service.store.record_fetch("demo", "comments", [item], None, clock(), str)
    clock.advance(days=3)
    service.purge_expired()
    [row] = service.store.read("SELECT status, text, author_handle FROM inbound")
    assert (row["status"], row["text"], row["author_handle"]) == ("pending", "Still waiting for an answer", "@waiting")
    service.close()


@pytest.mark.parametrize(("table", "key", "problem"), [
    ("message_text_days = 0", "retention.message_text_days", "must be at least 1"),
    ("message_text_days = 60\ndecisions_days = 30", "retention.decisions_days", "must be at least message_text_days"),
    ("decisions_days = 400\nstaff_audit_days = 365", "retention.staff_audit_days", "must be at least decisions_days"),
    ("text_days = 30", "retention.text_days", "unknown key"),
    ('decisions_days = "a year"', "retention.decisions_days", "must be a number"),
])
def test_retention_settings_are_checked_naming_file_and_key(tmp_path: Path, table: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        write_settings(tmp_path, ALWAYS_OPEN + f"\n[retention]\n{table}\n")
    assert raised.value.key == key and problem in raised.value.problem
    assert raised.value.file.endswith("housebot.toml")


def test_retention_defaults_are_30_days_a_year_and_six_years(tmp_path: Path) -> None:
    retention = write_settings(tmp_path, ALWAYS_OPEN).retention
    assert (retention.message_text.days, retention.decisions.days, retention.staff_audit.days) == (30, 365, 2190)


@pytest.mark.parametrize("author", ["", "@", " @x "])
def test_forget_refuses_an_author_that_would_match_everyone(tmp_path: Path, author: str) -> None:
    store = Store(tmp_path / "state.sqlite3")
    with pytest.raises(ConfigError) as raised:
        find_person(store, "sandbox", author)
    assert raised.value.key == "--author"
    store.close()
