"""Runtime inference for the shipped linear models: a dictionary lookup per feature, no scikit-learn.

A model file is JSON written by `bot.moderation.train`: `weights` maps each feature (see
`text.features`, and `text.char_features` when `char_ngrams` is not empty) to `[coefficient, idf]`.
The score reproduces scikit-learn's `TfidfVectorizer(binary=True, norm="l2")` followed by
`LogisticRegression`: the present features' idf values, L2-normalised (word and character blocks
each on its own, as training stacks two vectorisers), dotted with the coefficients, plus the
intercept, through a sigmoid.
JSON, never pickle: loading it runs no code and survives scikit-learn upgrades.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from bot.errors import ConfigError
from bot.moderation.text import char_features, features

MODEL_FORMAT = 1


@dataclass(frozen=True, slots=True)
class LinearModel:
    """One trained text classifier: its name, version, weights and the threshold chosen for it."""

    name: str
    version: str
    intercept: float
    weights: Mapping[str, tuple[float, float]]
    threshold: float
    char_ngrams: tuple[int, ...] = ()
    # Words left out before features are made (pronouns and other function words whose use in the
    # training set is a matter of style, not of the class). Stored in the model file by training.
    drop_words: frozenset[str] = frozenset()

    def featurise(self, words: tuple[str, ...], joined: str, word_features: list[str]) -> tuple[list[str], list[str]]:
        """This model's (word, character) features of a message; `word_features` is reused when no word is dropped."""
        if self.drop_words:
            words = tuple(word for word in words if word not in self.drop_words)
            return features(words), char_features(" ".join(words), self.char_ngrams)
        return word_features, char_features(joined, self.char_ngrams)

    def _block(self, feats: list[str]) -> float:
        dot = 0.0
        norm = 0.0
        weights = self.weights
        for feature in set(feats):
            pair = weights.get(feature)
            if pair is not None:
                dot += pair[0] * pair[1]
                norm += pair[1] * pair[1]
        return dot / math.sqrt(norm) if norm else 0.0

    def score(self, feats: list[str], chars: list[str] | None = None) -> float:
        """Probability (0..1) that the text with these word (and character) features is of the class."""
        logit = self.intercept + self._block(feats) + (self._block(chars) if chars and self.char_ngrams else 0.0)
        if logit < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-logit))

    def top_features(self, feats: list[str], count: int = 3) -> tuple[str, ...]:
        """The features that pushed this text most towards the class, for the staff-facing detail."""
        present = [(self.weights[f][0] * self.weights[f][1], f) for f in set(feats) if f in self.weights]
        return tuple(f for weight, f in sorted(present, reverse=True)[:count] if weight > 0)


def load_model(path: Path, expected_name: str, expected_version_prefix: str) -> LinearModel:
    """Read and check one model file; any problem is a ConfigError naming the file and key."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(path, expected_name, "model file is missing; run `python -m bot.moderation.train`") from error
    except (OSError, ValueError) as error:
        raise ConfigError(path, expected_name, f"model file is not readable JSON: {error}") from error
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
    sizes = raw.get("char_ngrams", [])
    if not isinstance(sizes, list) or not all(isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= 6 for n in sizes):
        raise ConfigError(path, "char_ngrams", "must be a list of character n-gram sizes from 2 to 6")
    drop = raw.get("drop_words", [])
    if not isinstance(drop, list) or not all(isinstance(word, str) for word in drop):
        raise ConfigError(path, "drop_words", "must be a list of words")
    return LinearModel(expected_name, version, float(intercept), MappingProxyType(checked), float(threshold), tuple(sizes), frozenset(drop))
