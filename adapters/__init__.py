"""Platform adapters, found by the account's configured `type`; the core imports only `base`."""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.model import Channel, Platform

# type in the settings file -> module that holds `create(account, env)` and `REQUIRED_ENV`.
ADAPTER_MODULES: dict[str, str] = {
    "sandbox": "adapters.sandbox",
    "x": "adapters.x",
    "facebook": "adapters.facebook",
    "instagram": "adapters.instagram",
}


def adapter_module(account_type: str) -> ModuleType:
    """The module for a configured account type; callers have already checked the name."""
    return importlib.import_module(ADAPTER_MODULES[account_type])


def reply_limits() -> dict[tuple[Platform, Channel], int]:
    """Each platform's reply length limit per channel, as its adapter declares it in `CAPABILITIES`:
    the one source the replies are checked and fitted against."""
    return {
        (Platform(name), channel): limit
        for name in ADAPTER_MODULES
        for channel, limit in adapter_module(name).CAPABILITIES.max_reply_length.items()
    }

# Every adapter module provides:
#   REQUIRED_ENV: tuple[str, ...]   secrets it needs, named without the account's env_prefix
#   OPTIONAL_ENV: tuple[str, ...]   secrets it can use if present
#   ENV_ALTERNATIVES: tuple[tuple[str, ...], ...]   optional: at least one of these groups must be
#                                   complete (X: the four OAuth 1.0a values, or one OAuth 2.0 token)
#   def create(config: adapters.base.AccountConfig) -> adapters.base.Adapter
