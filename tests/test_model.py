from datetime import datetime, timezone

import pytest

from bot.model import CATEGORY_PRIORITY, Author, Category, Channel, Inbound, Platform


def make(created_at: datetime) -> Inbound:
    return Inbound(
        platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
        native_id="1", author=Author(id="u1", handle="@amy"), text="hello", created_at=created_at,
        extras={"lang": "en"},
    )


def test_inbound_requires_an_aware_time_and_freezes_extras() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make(datetime(2026, 5, 1, 9, 0))
    inbound = make(datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc))
    assert inbound.key == ("sandbox", "demo", "1")
    with pytest.raises(TypeError):
        inbound.extras["lang"] = "fr"  # type: ignore[index]


def test_danger_comes_first_in_the_priority() -> None:
    assert CATEGORY_PRIORITY[:2] == (Category.SAFEGUARDING, Category.URGENT_CARE)
    assert CATEGORY_PRIORITY[-1] == Category.ORDINARY
