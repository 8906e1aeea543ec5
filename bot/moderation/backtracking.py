"""Pattern shapes whose backtracking can take more than linear time, refused when a file is loaded.

Python's `re` backtracks: a pattern that can match the same stretch of text in many ways tries
them all when the match fails, and staff write the patterns of config/moderation. Three shapes
cause almost every slow pattern and are easy to see in the pattern's syntax tree:

- a repeat inside an unbounded repeat, `(?:\\w+ )+` or `(a{1,3})*`: exponential;
- two unbounded repeats side by side over the same characters, with at most optional parts or
  characters they both match between them, `\\s*:?\\s*` or `\\d+\\d*`: every split of a long run
  is tried (8,000 spaces after "dob" took 11.6 s);
- an unbounded `.` (or negated class such as `[^x]`) repeat with more pattern after it, `a.*b`:
  each start reads to the end of the text.

A possessive repeat (`\\s*+`, `(?>...)`) never gives characters back, so none of these apply to it;
bounded counts (`.{0,80}`, `(?:\\w+ ){0,3}`) keep the work per start constant. Other slow shapes
exist (ambiguous alternations inside a repeat); tests/test_adversarial_patterns.py times every
shipped pattern on hostile text, and classify reads at most `MAX_TEXT_CHARS` characters.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # private, but the only reader of pattern syntax
import re._parser as sre_parser  # type: ignore[import-not-found]
from typing import Any, Iterable

_GREEDY_OR_LAZY = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_ALL_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
# Characters that stand for all others when comparing what two single-character items match:
# ASCII, Latin-1 and a few wider letters, spaces and digits.
_SAMPLE = "".join(chr(code) for code in range(256)) + "\u2003\u00a0\u0660éßſKΩжא😀"
# What a staff member reads when a pattern is refused (after "could take minutes on a long message: ").
_NESTED = "it nests a repeat inside an unbounded repeat (like (?:\\w+ )+): use a bounded count such as {0,3}"
_READS_TO_THE_END = "it has an unbounded . or [^...] repeat with more pattern after it (like a.*b): use a bounded count such as .{0,80}"
_SIDE_BY_SIDE = "it puts two unbounded repeats of the same characters side by side (like \\s*:?\\s*): make the first possessive (\\s*+) or drop one"


def slow_shape(pattern: str, flags: int = 0) -> str | None:
    """Why `pattern` can take more than linear time to search, or None if none of the shapes above shows."""
    if not any(repeat in pattern for repeat in "*+{"):  # only `?`: no unbounded repeat, nothing to read
        return None
    try:
        parsed = sre_parser.parse(pattern, flags)
    except re.error:
        return None  # compiling reports it, with the reason
    return _sequence_problem(list(parsed.data), parsed.state.flags, top_level=True)


def _sequence_problem(items: list[tuple[Any, Any]], flags: int, top_level: bool = False) -> str | None:
    """The first slow shape in a sequence of parsed items or the groups inside it; `top_level`:
    nothing in the pattern comes after this sequence."""
    for index, (op, av) in enumerate(items):
        last = top_level and index == len(items) - 1
        if op in _GREEDY_OR_LAZY and av[1] == sre.MAXREPEAT:
            body = list(av[2].data)
            if _has_variable_repeat(body):
                return _NESTED
            chars = _single_char_set(body, flags)
            if chars is not None and not last and _is_broad(body):
                return _READS_TO_THE_END
            if chars is not None and _overlapping_repeat_follows(items[index + 1 :], chars, flags):
                return _SIDE_BY_SIDE
        if op in (sre.SUBPATTERN, sre.BRANCH) and any(
            _overlapping_repeat_follows(items[index + 1 :], chars, flags) for chars in _trailing_repeats(op, av, flags)
        ):
            return _SIDE_BY_SIDE  # a group that ends in a repeat, like (?:mrn\s*)\s*
        for inner in _children(op, av):
            problem = _sequence_problem(inner, flags, top_level=last and op in (sre.SUBPATTERN, sre.ATOMIC_GROUP, sre.BRANCH))
            if problem:
                return problem
    return None


def _trailing_repeats(op: Any, av: Any, flags: int) -> list[frozenset[str]]:
    """The characters of each unbounded one-character repeat that a group or alternation can end with."""
    found = []
    for sequence in _children(op, av):
        if not sequence:
            continue
        last_op, last_av = sequence[-1]
        if last_op in _GREEDY_OR_LAZY and last_av[1] == sre.MAXREPEAT:
            chars = _single_char_set(list(last_av[2].data), flags)
            if chars is not None:
                found.append(chars)
        elif last_op in (sre.SUBPATTERN, sre.BRANCH):
            found.extend(_trailing_repeats(last_op, last_av, flags))
    return found


def _children(op: Any, av: Any) -> Iterable[list[tuple[Any, Any]]]:
    """The sequences directly inside one item (a group's, each branch's, a repeat's body)."""
    if op is sre.SUBPATTERN:
        return [list(av[3].data)]
    if op is sre.ATOMIC_GROUP:
        return [list(av.data)]
    if op is sre.BRANCH:
        return [list(branch.data) for branch in av[1]]
    if op in _ALL_REPEATS:
        return [list(av[2].data)]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [list(av[1].data)]
    return []


def _has_variable_repeat(items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether a repeat that can match a varying number of times (not possessive) lies anywhere in `items`."""
    for op, av in items:
        if op in _GREEDY_OR_LAZY and av[1] > av[0]:
            return True
        if op is not sre.ATOMIC_GROUP and op is not sre.POSSESSIVE_REPEAT and any(_has_variable_repeat(inner) for inner in _children(op, av)):
            return True
    return False


def _single_char_set(body: list[tuple[Any, Any]], flags: int) -> frozenset[str] | None:
    """The sample characters a one-character item matches (`\\s`, `[a-z]`, `.`), or None if `body` is not one."""
    if len(body) != 1 or body[0][0] not in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        return None
    op, av = body[0]
    source = "." if op is sre.ANY else _item_source(op, av)
    item = re.compile(source, flags & (re.IGNORECASE | re.DOTALL | re.ASCII))
    return frozenset(char for char in _SAMPLE if item.fullmatch(char))


def _item_source(op: Any, av: Any) -> str:
    """Regex source for one single-character item, rebuilt from its parsed form."""
    if op is sre.LITERAL:
        return re.escape(chr(av))
    if op is sre.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]"
    parts, negate = [], ""
    for member_op, member_av in av:
        if member_op is sre.NEGATE:
            negate = "^"
        elif member_op is sre.LITERAL:
            parts.append(re.escape(chr(member_av)))
        elif member_op is sre.RANGE:
            parts.append(f"{re.escape(chr(member_av[0]))}-{re.escape(chr(member_av[1]))}")
        elif member_op is sre.CATEGORY:
            parts.append(_CATEGORIES[member_av])
    return f"[{negate}{''.join(parts)}]"


_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W",
}


def _is_broad(body: list[tuple[Any, Any]]) -> bool:
    """`.`, `[^...]` or a single negated character: it runs on over most text, to the end of it."""
    op, av = body[0]
    return op is sre.ANY or op is sre.NOT_LITERAL or (op is sre.IN and bool(av) and av[0][0] is sre.NEGATE)


def _overlapping_repeat_follows(rest: list[tuple[Any, Any]], chars: frozenset[str], flags: int) -> bool:
    """Whether, after an unbounded repeat of `chars`, another unbounded repeat sharing some of them
    comes next, with only items that may match nothing or match those characters in between."""
    for op, av in rest:
        if op in _ZERO_WIDTH:
            continue
        if op in _ALL_REPEATS:
            inner = _single_char_set(list(av[2].data), flags)
            if inner is not None and inner & chars:
                if av[1] == sre.MAXREPEAT:
                    return True
                continue
            if av[0] == 0:  # optional: it may match nothing
                continue
            return False
        single = _single_char_set([(op, av)], flags)
        if single is not None and single & chars:
            continue
        if op in (sre.SUBPATTERN, sre.BRANCH) and _may_be_empty(op, av):
            continue
        return False
    return False


def _may_be_empty(op: Any, av: Any) -> bool:
    """Whether a group or alternation can match the empty string (`(?:is|was)?` is a repeat; `(?:a|)` is this)."""
    if op is sre.SUBPATTERN:
        return all(_item_may_be_empty(item) for item in av[3].data)
    return any(all(_item_may_be_empty(item) for item in branch.data) for branch in av[1])


def _item_may_be_empty(item: tuple[Any, Any]) -> bool:
    op, av = item
    if op in _ZERO_WIDTH:
        return True
    if op in _ALL_REPEATS:
        return av[0] == 0
    if op in (sre.SUBPATTERN, sre.BRANCH):
        return _may_be_empty(op, av)
    return False
