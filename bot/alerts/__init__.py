"""Alerts that reach people: email, Microsoft Teams, Slack and webhooks, through a durable outbox.

`Alerts` is what the service holds: the executor plans alerts into the outbox and the scheduler's
delivery step sends what is due. `verify_acknowledge` is for the staff console's acknowledge link.
"""

from bot.alerts.content import verify_acknowledge
from bot.alerts.outbox import Alerts

__all__ = ["Alerts", "verify_acknowledge"]
