"""Every package the bot imports is declared in pyproject.toml, with an upper bound (issue 13, item 13)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.helpers import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


# Run only by developers, with the bench extra installed (scikit-learn, and bench/ itself).
DEVELOPER_TOOLS = frozenset({REPO / "bot" / "moderation" / "train.py"})


def _imported_top_level(folder: str) -> set[str]:
    names: set[str] = set()
    for path in set((REPO / folder).rglob("*.py")) - DEVELOPER_TOOLS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"bot", "adapters", "__future__"}


def test_every_imported_package_of_the_bot_is_a_declared_dependency() -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    distributions = packages_distributions()
    for module in sorted(_imported_top_level("bot") | _imported_top_level("adapters")):
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert owners & declared, f"{module} is imported but none of {sorted(owners)} is in [project] dependencies"


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    for requirement in PROJECT["dependencies"]:
        assert "<" in requirement, f"{requirement} may jump a major version that breaks us"
