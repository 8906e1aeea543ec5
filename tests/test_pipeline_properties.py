"""Any text at all gets a complete decision (words included) from `handle` on every platform,
without an exception; and the running service stores, handles and redacts even hostile input
(null bytes, RTL marks, 1 MB)."""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from adapters import ADAPTER_MODULES, adapter_module
from adapters.sandbox import SandboxAdapter, SandboxNetwork
from bot.evaluate import engine_from
from bot.model import Author, AuthorHistory, Channel, ClassifyContext, Inbound, Platform
from bot.moderation import classify
from bot.pipeline import handle, text_context
from bot.service import Service
from tests.helpers import ALWAYS_OPEN, LONDON, REPO, Clock, message, write_settings

NOW = datetime(2026, 6, 3, 9, 0, tzinfo=timezone.utc)
ENGINE = engine_from(REPO / "config")
HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400) | st.sampled_from(
    ["", "\x00" * 50, "\u202e\u2066مرحبا kill\u2069", "🖕" * 200, "f\u200bu\u200bc\u200bk off", "a" * 20000])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE, private=st.booleans())
def test_any_text_gets_a_decision_on_every_platform(text: str, private: bool) -> None:
    channel = Channel.PRIVATE if private else Channel.PUBLIC
    for name in ADAPTER_MODULES:
        inbound = Inbound(platform=Platform(name), account="a", stream="s", channel=channel, native_id="1",
                          author=Author("u", "@u"), text=text, created_at=NOW)
        decision = handle(inbound, AuthorHistory(), text_context(NOW, adapter_module(name).CAPABILITIES), ENGINE)
        assert decision.rule
        assert all(a.text for a in decision.actions if a.kind.value in ("reply", "alert", "review"))


def test_a_one_megabyte_message_is_decided_within_the_bound() -> None:
    text = ("my appointment letter never came and " * 30000)[: 1024 * 1024]
    started = time.perf_counter()
    findings = classify(text, ClassifyContext(now=NOW), ENGINE.moderation)
    assert time.perf_counter() - started < 10  # generous: this bound is about not hanging, see bench/ for speed
    assert all(0.0 <= f.score <= 1.0 for f in findings)


@pytest.mark.parametrize("text", [
    pytest.param("null\x00bytes\x00in the middle of 943 476 5919", id="null-bytes"),
    pytest.param("\u202eright-to-left override: call me on 07700 900123\u202c", id="rtl-override"),
    pytest.param("x" * (1024 * 1024), id="one-megabyte"),
    pytest.param("", id="empty"),
])
def test_the_service_stores_handles_and_redacts_hostile_input(tmp_path: Path, text: str) -> None:
    settings_ = write_settings(tmp_path, ALWAYS_OPEN)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    network = SandboxNetwork(clock=clock)
    adapter = SandboxAdapter(settings_.account_config(settings_.accounts[0]), network)
    service = Service(settings_, clock=clock, adapters={"demo": adapter}, out=io.StringIO())
    network.post("demo", message("h", text))
    service.tick()
    assert service.store.pending("demo") == []
    stored = " ".join(str(row["text"]) for row in service.store.audit(limit=5))
    assert "943 476 5919" not in stored and "07700 900123" not in stored
    service.close()
