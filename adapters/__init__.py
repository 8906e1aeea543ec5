"""Platform adapters, found by the account's configured `type`; the core imports only `base`."""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.model import Channel, Platform

# type in the settings file -> module that holds `create(account, env)` and `REQUIRED_ENV`
# (for a type with several APIs, its default API's module).
ADAPTER_MODULES: dict[str, str] = {
    "sandbox": "adapters.sandbox",
    "x": "adapters.x",
    "facebook": "adapters.facebook",
    "instagram": "adapters.instagram_graph",
}

# Types an account can reach through more than one API, chosen by the account's `api` key: the
# first is the default. instagrapi (Instagram's private mobile API, which its terms do not permit)
# is only ever an explicit opt-in.
ADAPTER_APIS: dict[str, dict[str, str]] = {
    "instagram": {"graph": "adapters.instagram_graph", "instagrapi": "adapters.instagram"},
}
OPT_IN_WARNINGS: dict[tuple[str, str], str] = {
    ("instagram", "instagrapi"): "instagrapi logs in as the Instagram phone app, which Instagram's terms do not "
                                 "permit: the account may be challenged, blocked or banned; the official API "
                                 "(api = \"graph\") is the supported way",
}


def adapter_module(account_type: str, api: str = "") -> ModuleType:
    """The module for a configured account type and API ("" for the default); callers have already checked both."""
    return importlib.import_module(ADAPTER_APIS[account_type][api] if api else ADAPTER_MODULES[account_type])


def reply_limits() -> dict[tuple[Platform, Channel], int]:
    """Each platform's reply length limit per channel, as its adapters declare it in `CAPABILITIES`:
    the one source the replies are checked and fitted against. A platform with several APIs gets
    the shortest, so a reply fits whichever one an account uses."""
    modules = {(name, module) for name, module in ADAPTER_MODULES.items()}
    modules |= {(name, module) for name, apis in ADAPTER_APIS.items() for module in apis.values()}
    limits: dict[tuple[Platform, Channel], int] = {}
    for name, module in sorted(modules):
        for channel, limit in importlib.import_module(module).CAPABILITIES.max_reply_length.items():
            key = (Platform(name), channel)
            limits[key] = min(limit, limits.get(key, limit))
    return limits

# Every adapter module provides:
#   REQUIRED_ENV: tuple[str, ...]   secrets it needs, named without the account's env_prefix
#   OPTIONAL_ENV: tuple[str, ...]   secrets it can use if present
#   ENV_ALTERNATIVES: tuple[tuple[str, ...], ...]   optional: at least one of these groups must be
#                                   complete (X: the four OAuth 1.0a values, or one OAuth 2.0 token)
#   def create(config: adapters.base.AccountConfig) -> adapters.base.Adapter
