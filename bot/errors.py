"""Errors a person can cause, each carrying the sentence they should read."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A setting is missing or wrong. Printed as one line naming the file and key; exit 2."""

    def __init__(self, file: Path | str, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.file}: {key}: {problem}")


class AlreadyRunning(Exception):
    """Another `housebot run` holds this state file: two would answer every message twice. Exit 2."""
