"""`HOUSEBOT_LOG_FORMAT=json`: one JSON object per line, for log shippers.

The fields are those of the key=value lines (`account=leeds-x event=rate_limited until=...`), each
its own key, beside the time (UTC, with its zone), the level, the logger and the whole message.
Secrets and private details are scrubbed before this formatter sees the record (the handler's
`SecretScrubber` rewrites the message, traceback included), exactly as for the text lines.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# key=value, key='quoted value' or key="quoted value"; one pass, no nested repeats (linear time).
_FIELD = re.compile(r"(?:^|(?<=\s))([a-z_]+)=('(?:[^'\\]|\\.)*+'|\"(?:[^\"\\]|\\.)*+\"|\S+)")
RESERVED = frozenset({"time", "level", "logger", "message"})


def message_fields(message: str) -> dict[str, str]:
    """The key=value pairs of a log line, quotes removed; a key the line repeats keeps its first value."""
    fields: dict[str, str] = {}
    for key, value in _FIELD.findall(message.split("\n", 1)[0]):
        if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) > 1:
            value = value[1:-1]
        fields.setdefault(key, value)
    return fields


class JsonLines(JsonFormatter):
    """time, level, logger, message, then every key=value field of the message."""

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_record["time"] = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["message"] = record.getMessage()
        for key, value in message_fields(log_record["message"]).items():
            if key not in RESERVED:
                log_record[key] = value
        log_record.update(message_dict)  # a traceback, when no scrubber has folded it into the message
