"""After an outage the bot finds a backlog: someone at risk is answered before the ordinary messages."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, sandbox_service, write_settings

BACKLOG = 50
AT_RISK = "I don't see the point in carrying on anymore. I've been stockpiling my tablets and I think tonight is the night"


def test_danger_behind_a_backlog_is_carried_out_before_the_ordinary_messages(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    for number in range(BACKLOG):
        network.post("demo", message(f"q{number}", f"Is the walk-in centre open on Saturday {number}?",
                                     handle=f"@member{number}"))
    at_risk = network.post("demo", message("risk", AT_RISK, stream="direct_messages", handle="@quietone22"))
    started = time.perf_counter()
    service.tick()
    replies = [activity.target for activity in network.activity if activity.kind == "reply"]
    print(f"backlog {BACKLOG}: the at-risk reply was number {replies.index(at_risk.native_id) + 1} of {len(replies)}, "
          f"whole tick {time.perf_counter() - started:.1f} s")
    assert len(replies) == BACKLOG + 1
    assert replies[0] == at_risk.native_id
