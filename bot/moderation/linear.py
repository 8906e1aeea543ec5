"""Runtime inference for the shipped linear models: a dictionary lookup per feature, no scikit-learn.

A model file is JSON written by `bot.moderation.train`: `weights` maps each feature (see
`text.features`, and `text.prefix_features` when the file names `prefixes`) to `[coefficient, idf]`. The score reproduces scikit-learn's
`TfidfVectorizer(binary=True, norm="l2")` followed by `LogisticRegression`: the present features'
idf values, L2-normalised, dotted with the coefficients, plus the intercept, through a sigmoid.
JSON, never pickle: loading it runs no code and survives scikit-learn upgrades.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from bot.errors import ConfigError
from bot.moderation.text import prefix_features

MODEL_FORMAT = 1


@dataclass(frozen=True)
class LinearModel:
    """One trained text classifier: its name, version, weights and the threshold chosen for it."""

    name: str
    version: str
    intercept: float
    weights: Mapping[str, tuple[float, float]]
    threshold: float
    # Word-prefix sizes the model also reads (`text.prefix_features`); empty for words and pairs only.
    prefixes: tuple[int, ...] = ()
    # Words the model was trained without (`features_without` in its file): left out of its
    # prefixes too, or "my" would come back as "~my" in the complaint model.
    words_without: frozenset[str] = frozenset()
    # Built once from `weights`: each known feature's coefficient x idf and idf squared, in one table, so
    # finding a message's features in it (most of a score's time: the tables are large) is done once.
    # Never changed after construction; a plain dict (not a read-only view) because a view's lookup
    # costs more than half as much again.
    _terms: dict[str, tuple[float, float]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_terms", {f: (c * idf, idf * idf) for f, (c, idf) in self.weights.items()})

    def features_for(self, words: tuple[str, ...] | list[str], feats: list[str]) -> list[str]:
        """The features this model reads: the message's word features, plus word prefixes if it uses them."""
        if not self.prefixes:
            return feats
        kept = [word for word in words if word not in self.words_without] if self.words_without else words
        return feats + prefix_features(kept, self.prefixes)

    def known(self, feats: list[str]) -> int:
        """How many distinct features of these the model has a weight for: the evidence a score rests on."""
        return len(self._terms.keys() & feats)

    def score(self, feats: list[str]) -> float:
        """Probability (0..1) that the text with these features belongs to the model's class."""
        present = self._terms.keys() & feats
        logit = self.intercept
        if present:
            products, squares = zip(*map(self._terms.__getitem__, present))
            # fsum is exact, so the order a set hands out its features (which changes between runs)
            # cannot move the score by a rounding error across a threshold.
            logit += math.fsum(products) / math.sqrt(math.fsum(squares))
        if logit < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-logit))

    def top_features(self, feats: list[str], count: int = 3) -> tuple[str, ...]:
        """The features that pushed this text most towards the class, for the staff-facing detail."""
        present = [(self._terms[f][0], f) for f in self._terms.keys() & feats]
        return tuple(f for weight, f in sorted(present, reverse=True)[:count] if weight > 0)


def load_model(path: Path, expected_name: str, expected_version_prefix: str) -> LinearModel:
    """Read and check one model file; any problem is a ConfigError naming the file and key."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(path, expected_name, "model file is missing; run `python -m bot.moderation.train`") from error
    except (OSError, ValueError) as error:
        raise ConfigError(path, expected_name, f"model file is not readable JSON: {error}") from error
    return parse_model(raw, path, expected_name, expected_version_prefix)


def parse_model(raw: object, path: Path, expected_name: str, expected_version_prefix: str) -> LinearModel:
    """Check one model's JSON object (as read from `path`); any problem is a ConfigError naming the file and key."""
    if not isinstance(raw, dict):
        raise ConfigError(path, expected_name, "model file must hold a JSON object")
    if raw.get("format") != MODEL_FORMAT:
        raise ConfigError(path, "format", f"expected model format {MODEL_FORMAT}, found {raw.get('format')!r}")
    if raw.get("name") != expected_name:
        raise ConfigError(path, "name", f"expected model {expected_name!r}, found {raw.get('name')!r}")
    version = raw.get("version")
    if not isinstance(version, str) or not version.startswith(expected_version_prefix):
        raise ConfigError(path, "version", f"expected a version starting {expected_version_prefix!r}, found {version!r}")
    weights = raw.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise ConfigError(path, "weights", "must be a non-empty object of feature -> [coefficient, idf]")
    checked: dict[str, tuple[float, float]] = {}
    for feature, pair in weights.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, (int, float)) for v in pair)):
            raise ConfigError(path, f"weights.{feature}", "must be [coefficient, idf]")
        checked[feature] = (float(pair[0]), float(pair[1]))
    intercept = raw.get("intercept")
    threshold = raw.get("threshold")
    if not isinstance(intercept, (int, float)):
        raise ConfigError(path, "intercept", "must be a number")
    if not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
        raise ConfigError(path, "threshold", "must be a number between 0 and 1")
    prefixes = raw.get("prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(size, int) and 2 <= size <= 12 for size in prefixes):
        raise ConfigError(path, "prefixes", "must be a list of word-prefix sizes between 2 and 12")
    without = raw.get("features_without", [])
    if not isinstance(without, list) or not all(isinstance(word, str) for word in without):
        raise ConfigError(path, "features_without", "must be a list of words")
    return LinearModel(expected_name, version, float(intercept), MappingProxyType(checked), float(threshold), tuple(prefixes), frozenset(without))
