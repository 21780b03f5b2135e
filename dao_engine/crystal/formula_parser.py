"""The recursive-descent parser behind :func:`dao_engine.crystal.composition.parse_formula`.

Grammar: a sequence of ``Element[count]`` and ``(group)[count]`` (also ``[...]``, ``{...}``),
nested up to :data:`_MAX_DEPTH` levels; spaces between parts are ignored. Every failure is a
:class:`~dao_engine.errors.CompositionError` on one line that names the bad part (the formula
is shown with control characters escaped and cut to 60 characters) and what to write instead.
"""

from __future__ import annotations

import re

from dao_engine.crystal.elements import is_element
from dao_engine.errors import CompositionError

__all__ = ["MAX_FORMULA_ATOMS", "FormulaParser"]

_ELEMENT = re.compile(r"[A-Z][a-z]*")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_MAX_DEPTH = 8
_DISORDERED = "disordered compositions are not supported"
#: Most atoms a formula may describe (one count, or the whole formula); the models take ≤ 40.
MAX_FORMULA_ATOMS = 1_000_000
#: Characters a shell gives a meaning to; in a formula they usually mean a quoting mistake.
_SHELL_CHARACTERS = frozenset(";|&$<>*?'\"`\\!~#")
_WHAT_TO_WRITE = (
    "write element symbols, whole-number counts and brackets only, e.g. NaCl or Ca(OH)2"
)


class FormulaParser:
    """Recursive-descent parser over one formula string; ``pos`` is the next character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.last_symbol = ""
        self.depth = 0

    def parse(self) -> dict[str, int]:
        """Atom counts of the whole formula; CompositionError for anything else."""
        self.refuse_shell_characters()  # named first: they mean a quoting mistake, not chemistry
        counts = self.parse_group(closing=None)
        if sum(counts.values()) > MAX_FORMULA_ATOMS:
            raise self._error(f"more than {MAX_FORMULA_ATOMS:,} atoms; give a smaller cell")
        return counts

    def parse_group(self, closing: str | None) -> dict[str, int]:
        """Parse parts until ``closing`` (or the end of text when None); return summed counts."""
        counts: dict[str, int] = {}
        while True:
            self._skip_spaces()
            if self.pos == len(self.text):
                if closing is not None:
                    raise self._error(f"missing '{closing}'")
                return counts
            char = self.text[self.pos]
            if char == closing:
                self.pos += 1
                return counts
            part = self._parse_part(char)
            multiplier = self._parse_count()
            for symbol, n in part.items():
                counts[symbol] = counts.get(symbol, 0) + n * multiplier

    def _parse_part(self, char: str) -> dict[str, int]:
        if char in _BRACKETS:
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self._error(f"brackets nested deeper than {_MAX_DEPTH} levels")
            self.pos += 1
            start = self.pos
            inner = self.parse_group(_BRACKETS[char])
            if not inner:
                raise self._error(f"empty brackets at position {start}")
            self.depth -= 1
            return inner
        match = _ELEMENT.match(self.text, self.pos)
        if match is None:
            raise self._unexpected(char)
        symbol = match.group()
        if not is_element(symbol):
            raise self._error(f"unknown element '{symbol}'{self._case_hint(symbol)}")
        self.pos = match.end()
        self.last_symbol = symbol
        return {symbol: 1}

    def refuse_shell_characters(self) -> None:
        """CompositionError naming the first shell character (``;``, ``$``, ``|``, ...), if any."""
        for index, char in enumerate(self.text):
            if char in _SHELL_CHARACTERS:
                self.pos = index
                raise self._unexpected(char)

    def _unexpected(self, char: str) -> CompositionError:
        """The error for a character that starts no element, bracket or count."""
        if char.islower():
            return self._error(
                f"unexpected character '{char}' at position {self.pos + 1} "
                "(element symbols start with a capital letter)"
            )
        shown = f"'{printable_text(char)}' (position {self.pos + 1})"
        if char in _BRACKETS.values():
            what = f"{shown} closes no bracket"
        elif char in _SHELL_CHARACTERS:
            what = f"{shown} is not allowed - a shell character, so quote the formula or drop it"
        else:
            what = f"{shown} is not allowed"
        return CompositionError(
            f"'{_shown(self.text)}' is not a chemical formula: {what}; {_WHAT_TO_WRITE}"
        )

    def _parse_count(self) -> int:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            return 1
        self.pos = match.end()
        digits, _, decimals = match.group().partition(".")
        where = f"'{_shown(match.group())}' after '{_shown(self.text[: match.start()].strip())}'"
        if decimals.strip("0"):
            raise self._error(
                f"fractional amount {where} - {_DISORDERED}; give integer atom counts of "
                "one ordered cell"
            )
        digits = digits.lstrip("0")
        if len(digits) > len(str(MAX_FORMULA_ATOMS)) or int(digits or 0) > MAX_FORMULA_ATOMS:
            raise self._error(f"count {where} is larger than {MAX_FORMULA_ATOMS:,}")
        if not digits:
            raise self._error(f"zero count {where}")
        return int(digits)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _case_hint(self, symbol: str) -> str:
        """Hint for ``NaCL`` (C then L): the previous symbol plus this letter may be meant."""
        joined = (self.last_symbol + symbol).capitalize()
        if len(symbol) == 1 and is_element(joined):
            return f" (did you mean '{joined}'? symbols are case-sensitive)"
        return ""

    def _error(self, what: str) -> CompositionError:
        return CompositionError(f"formula '{_shown(self.text)}': {what}")


def printable_text(text: str) -> str:
    """``text`` with control characters (newlines, ANSI escapes, ...) written as ``\\xNN``."""
    return "".join(
        ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in text
    )


def _shown(text: str, limit: int = 60) -> str:
    """``text`` for a message: printable, and cut to ``limit`` characters with an ellipsis."""
    text = printable_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
