"""Reading the staff-editable files of config/moderation, with errors that name file, line and key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.moderation.backtracking import slow_shape


def line_of(source: str, needle: str) -> int:
    """The 1-based line where `needle` first appears in `source` (0 if it does not)."""
    index = source.find(needle)
    return source.count("\n", 0, index) + 1 if index >= 0 else 0


def where(source: str, key: str, needle: str) -> str:
    """`key` with the line of `needle`, e.g. "abuse.strong (line 12)"."""
    line = line_of(source, needle)
    return f"{key} (line {line})" if line else key


class TomlFile:
    """One parsed TOML file plus its text, so every error can point at a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.source = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise ConfigError(path, "(file)", "file is missing") from error
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(path, "(file)", f"cannot be read: {error}") from error
        try:
            self.document: dict[str, Any] = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(path, "(syntax)", str(error)) from error

    def error(self, key: str, problem: str, needle: str | None = None) -> ConfigError:
        return ConfigError(self.path, where(self.source, key, needle or key.rsplit(".", 1)[-1]), problem)

    def value(self, key: str) -> Any:
        node: Any = self.document
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.error(key, "is missing")
            node = node[part]
        return node

    def strings(self, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
        """A list of non-empty strings, lower-cased; duplicates are an error (they hide typos)."""
        raw = self.value(key)
        if not isinstance(raw, list) or (not raw and not allow_empty):
            raise self.error(key, "must be a non-empty list of strings")
        seen: set[str] = set()
        for item in raw:
            if not isinstance(item, str) or not item.strip():
                raise self.error(key, f"entry {item!r} must be a non-empty string", str(item))
            if item.strip().lower() in seen:
                raise self.error(key, f"entry {item!r} is listed twice", f'"{item}"')
            seen.add(item.strip().lower())
        return tuple(item.strip() for item in raw)

    def number(self, key: str, low: float, high: float) -> float:
        raw = self.value(key)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
            raise self.error(key, f"must be a number from {low} to {high}, found {raw!r}")
        return float(raw)

    def regex(self, key: str, patterns: tuple[str, ...], flags: int = 0) -> re.Pattern[str]:
        """Compile each pattern alone (to name the bad one), then all as one alternation."""
        for pattern in patterns:
            # How the pattern looks in the file, to find its line: a "basic string" doubles backslashes.
            written = pattern[:20] if pattern[:20] in self.source else pattern.replace("\\", "\\\\")[:20]
            try:
                re.compile(pattern, flags)
            except re.error as error:
                raise self.error(key, f"pattern {pattern!r} is not a valid regular expression: {error}", written) from error
            problem = slow_shape(pattern, flags)
            if problem:
                raise self.error(key, f"pattern {pattern!r} could take minutes on a long message: {problem}", written)
        return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def load_pattern_list(directory: Path, name: str) -> re.Pattern[str]:
    """The one regular expression of a file that is just a list `<name>.patterns` (e.g. threat.toml)."""
    file = TomlFile(directory / f"{name}.toml")
    return file.regex(f"{name}.patterns", file.strings(f"{name}.patterns"))
