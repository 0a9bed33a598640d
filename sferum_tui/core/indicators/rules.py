"""Indicators as data: the rule language, and one indicator's arithmetic over organisations.

A *rule* is a boolean expression over one organisation's fields (``users_total > 2 and
classes >= 1``), parsed by the small safe parser here — nothing is ever ``eval``-ed — with a
bounded length and nesting depth.  A *ratio* is ``numerator / denominator`` of count fields,
summed over an area.  :class:`Indicator` holds either, with its target, deadline, direction and
per-organisation threshold ``low``; the config (:mod:`sferum_tui.core.config`) validates the
file and builds them, the engine (:mod:`sferum_tui.core.indicators`) evaluates them.

No Textual; pandas and numpy are imported inside the functions.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sferum_tui.core.fields import COUNT_FIELDS, SHARE_FIELDS
from sferum_tui.i18n import tr

__all__ = ["DERIVED_FIELDS", "RULE_FIELDS", "BOOLEAN_FIELDS", "RATIO_FIELDS", "STATED_SHARES",
           "RULE_MAX_LENGTH", "RULE_MAX_DEPTH", "RuleError", "Rule", "parse_rule", "Title",
           "Indicator"]

#: The letter's activity rule (No. 450): more than two users and at least one class; the
#: config's ``[activity_rule]`` builds the same text from its two numbers.
DEFAULT_ACTIVITY_EXPRESSION = "users_total > 2 and classes >= 1"

#: Fields computed per organisation when a frame does not already carry them.
DERIVED_FIELDS = ("active_by_rule", "messaging_share", "registration_share")
#: Names a rule may use.  ``active_by_rule`` is a boolean; all others are numbers.
RULE_FIELDS = COUNT_FIELDS + SHARE_FIELDS + DERIVED_FIELDS
BOOLEAN_FIELDS = ("active_by_rule",)
#: Names a ratio indicator may use as numerator or denominator (they are summed over an area).
RATIO_FIELDS = COUNT_FIELDS
#: A stated share that stands in for a missing numerator: share field -> (numerator, denominator).
STATED_SHARES = {"teachers_active_share": ("teachers_active", "teachers")}

_EPS = 1e-9

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>>=|<=|==|!=|>|<)
  | (?P<lp>\()
  | (?P<rp>\))
""", re.VERBOSE)
_KEYWORDS = ("and", "or", "not")


class RuleError(ValueError):
    """A rule that does not parse; the text is translated and one line."""


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """Tokens up to the end, or up to a bad character (an "error" token the parser raises when it
    reaches it, so an unknown name before it is reported first)."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            ch = text[pos]
            if ch == "=":
                msg = tr("«=» в позиции {p}: для сравнения пишите «==»",
                         '"=" at position {p}: write "==" to compare', p=pos + 1)
            else:
                msg = tr("недопустимый символ {c} в позиции {p}", "unexpected character {c} at position {p}",
                         c=json.dumps(ch, ensure_ascii=False), p=pos + 1)
            tokens.append(("error", msg, pos + 1))
            return tokens
        kind = m.lastgroup or ""
        if kind != "ws":
            value = m.group()
            if kind == "name" and value in _KEYWORDS:
                kind = value
            tokens.append((kind, value, pos + 1))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


#: A rule's longest text (characters) and deepest nesting of parentheses and ``not``: far more
#: than a person writes, and well inside Python's recursion limit.
RULE_MAX_LENGTH = 2000
RULE_MAX_DEPTH = 32


class _Parser:
    """Recursive descent over: or / and / not / comparison chains / field / number / ( ... )."""

    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def _deeper(self, pos: int) -> None:
        self.depth += 1
        if self.depth > RULE_MAX_DEPTH:
            raise RuleError(tr("слишком глубокая вложенность скобок и not в позиции {p} "
                               "(не больше {n})",
                               "parentheses and not nested too deep at position {p} "
                               "(at most {n})", p=pos, n=RULE_MAX_DEPTH))

    def peek(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        if tok[0] == "error":
            raise RuleError(tok[1])
        return tok

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self) -> tuple:
        node = self.expr()
        kind, value, pos = self.peek()
        if kind != "end":
            raise RuleError(tr("лишнее {t} в позиции {p}", "unexpected {t} at position {p}",
                               t=json.dumps(value, ensure_ascii=False), p=pos))
        return node

    def expr(self) -> tuple:
        items = [self.conj()]
        while self.peek()[0] == "or":
            self.take()
            items.append(self.conj())
        return items[0] if len(items) == 1 else ("or", tuple(items))

    def conj(self) -> tuple:
        items = [self.neg()]
        while self.peek()[0] == "and":
            self.take()
            items.append(self.neg())
        return items[0] if len(items) == 1 else ("and", tuple(items))

    def neg(self) -> tuple:
        if self.peek()[0] == "not":
            _, _, pos = self.take()
            self._deeper(pos)
            node = ("not", self.neg())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> tuple:
        start = self.peek()[2]
        left, ltype = self.operand()
        if self.peek()[0] != "op":
            if ltype != "bool":
                raise RuleError(tr("в позиции {p} ожидается сравнение (например «users_total > 2»)",
                                   'expected a comparison at position {p} (e.g. "users_total > 2")',
                                   p=start))
            return left
        parts = []
        while self.peek()[0] == "op":
            _, op, pos = self.take()
            right, rtype = self.operand()
            if ltype != "num" or rtype != "num":
                raise RuleError(tr("сравнивать можно только числа и числовые поля (позиция {p})",
                                   "only numbers and numeric fields can be compared (position {p})",
                                   p=pos))
            parts.append(("cmp", op, left, right))
            left, ltype = right, rtype
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def operand(self) -> tuple[tuple, str]:
        kind, value, pos = self.take()
        if kind == "num":
            return ("num", float(value)), "num"
        if kind == "name":
            if value not in RULE_FIELDS:
                raise RuleError(tr("неизвестное поле {f} (допустимы: {ok})",
                                   "unknown field {f} (expected one of: {ok})",
                                   f=json.dumps(value, ensure_ascii=False),
                                   ok=", ".join(RULE_FIELDS)))
            return ("field", value), ("bool" if value in BOOLEAN_FIELDS else "num")
        if kind == "lp":
            self._deeper(pos)
            node = self.expr()
            k, v, p = self.take()
            if k != "rp":
                raise RuleError(tr("в позиции {p} ожидается «)»", 'expected ")" at position {p}', p=p))
            self.depth -= 1
            return node, "bool"
        if kind == "end":
            raise RuleError(tr("выражение оборвано в позиции {p}", "the rule ends too early (position {p})",
                               p=pos))
        raise RuleError(tr("неожиданное {t} в позиции {p}", "unexpected {t} at position {p}",
                           t=json.dumps(value, ensure_ascii=False), p=pos))


@dataclass(frozen=True)
class Rule:
    """A validated rule.  ``text`` is what the user wrote; ``tree`` the parsed form."""

    text: str
    tree: tuple = field(repr=False)

    @property
    def fields(self) -> tuple[str, ...]:
        out: list[str] = []

        def walk(node: tuple) -> None:
            tag = node[0]
            if tag == "field" and node[1] not in out:
                out.append(node[1])
            elif tag == "cmp":
                walk(node[2])
                walk(node[3])
            elif tag in ("and", "or"):
                for item in node[1]:
                    walk(item)
            elif tag == "not":
                walk(node[1])

        walk(self.tree)
        return tuple(out)

    def truth(self, df, derive: "_Derivations | None" = None):
        """Three-valued result per row: a pandas ``boolean`` Series with <NA> where undecidable."""
        frame = _Frame(df, derive or _Derivations())
        return frame.as_series(frame.eval(self.tree))


def parse_rule(text: str) -> Rule:
    """Parse and check a rule; raises :class:`RuleError` (one translated line) when it is not valid."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(tr("пустое правило", "the rule is empty"))
    if len(text) > RULE_MAX_LENGTH:
        raise RuleError(tr("правило слишком длинное: {n} символов (не больше {m})",
                           "the rule is too long: {n} characters (at most {m})",
                           n=len(text), m=RULE_MAX_LENGTH))
    return Rule(" ".join(text.split()), _Parser(text).parse())


# --------------------------------------------------------------------------- vectorised evaluation

@dataclass(frozen=True)
class _Derivations:
    """How the derived fields are computed when a frame lacks them (set from the config)."""

    activity: Rule | None = None
    messaging: tuple[str, str] = ("teachers_active", "teachers")
    registration: tuple[str, str] = ("teachers", "staff_total")


class _Frame:
    """Column access for one DataFrame: numbers as nullable Float64, booleans as ``boolean``."""

    def __init__(self, df, derive: _Derivations):
        self.df = df
        self.derive = derive
        self.cache: dict[str, Any] = {}
        self._floats: dict[str, Any] = {}

    # plain float64 numpy arrays with NaN for "missing" (made once per name: a week's
    # indicators ask for the same few fields ~20 times; callers never write into them)
    def floats(self, name: str):
        got = self._floats.get(name)
        if got is None:
            got = self._floats[name] = self._make_floats(name)
        return got

    def _make_floats(self, name: str):
        import numpy as np
        import pandas as pd

        if name in self.df.columns:
            col = self.df[name]
            if col.dtype.kind not in "iuf":     # numbers (numpy or nullable) need no parsing
                col = pd.to_numeric(col, errors="coerce")
            return col.to_numpy(dtype=float, na_value=np.nan)
        if name == "messaging_share":
            return _ratio_values(self, *self.derive.messaging)
        if name == "registration_share":
            return _ratio_values(self, *self.derive.registration)
        return np.full(len(self.df), np.nan)

    def column(self, name: str):
        if name in self.cache:
            return self.cache[name]
        import pandas as pd

        if name in BOOLEAN_FIELDS:
            if name in self.df.columns:
                col = self.df[name]
                try:
                    out = col.astype("boolean")
                except (TypeError, ValueError):
                    num = pd.Series(self.floats(name), index=self.df.index).astype("Float64")
                    out = num != 0
            else:
                rule = self.derive.activity or _default_activity_rule()
                out = self.as_series(self.eval(rule.tree))
        else:
            out = pd.Series(self.floats(name), index=self.df.index).astype("Float64")
        out.index = self.df.index
        self.cache[name] = out
        return out

    def as_series(self, value):
        import pandas as pd

        if isinstance(value, pd.Series):
            return value.astype("boolean")
        return pd.Series(bool(value), index=self.df.index, dtype="boolean")

    def eval(self, node: tuple):
        import operator

        tag = node[0]
        if tag == "num":
            return node[1]
        if tag == "field":
            return self.column(node[1])
        if tag == "cmp":
            ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
                   "==": operator.eq, "!=": operator.ne}
            return ops[node[1]](self.eval(node[2]), self.eval(node[3]))
        if tag == "not":
            return ~self.as_series(self.eval(node[1]))
        items = [self.as_series(self.eval(item)) for item in node[1]]
        out = items[0]
        for item in items[1:]:
            out = (out & item) if tag == "and" else (out | item)  # Kleene logic on <NA>
        return out


def _ratio_parts(frame: _Frame, num: str, den: str):
    """Numerator and denominator arrays; a stated share fills a missing numerator."""
    import numpy as np

    n = frame.floats(num)
    d = frame.floats(den)
    for share_field, (s_num, s_den) in STATED_SHARES.items():
        if (s_num, s_den) == (num, den) and share_field in frame.df.columns:
            share = frame.floats(share_field)
            fill = np.isnan(n) & ~np.isnan(share) & ~np.isnan(d)
            if fill.any():
                n = n.copy()
                n[fill] = share[fill] * d[fill]
    return n, d


def _ratio_values(frame: _Frame, num: str, den: str):
    """Per-row num/den; NaN where either is missing or the denominator is not positive.

    A row with no numerator at all but a stated share (``teachers_active_share``) takes the share.
    """
    import numpy as np

    n, d = _ratio_parts(frame, num, den)
    out = np.full(len(n), np.nan)
    ok = ~np.isnan(n) & ~np.isnan(d) & (d > 0)
    np.divide(n, d, out=out, where=ok)
    for share_field, pair in STATED_SHARES.items():
        if pair == (num, den) and share_field in frame.df.columns:
            share = frame.floats(share_field)
            gap = np.isnan(out) & ~np.isnan(share)
            out[gap] = share[gap]
    return out



@dataclass(frozen=True)
class Title:
    ru: str
    en: str

    def __str__(self) -> str:
        return tr(self.ru, self.en)


@dataclass(frozen=True)
class Indicator:
    """One indicator, as data.  Exactly one of ``rule`` or (``numerator``, ``denominator``) is set.

    Per organisation (vectorised over a DataFrame of canonical fields, one row per organisation):

    * :meth:`values` — float Series: the share num/den (ratio) or 1.0/0.0 (rule); NaN when unknown;
    * :meth:`evaluate` — bool Series, True where the organisation passes (rule holds; share meets
      ``low``, or ``target`` when there is no ``low``).  A missing value never passes;
    * :meth:`fails` — bool Series, True only where it is *known* to fail (missing is not failing).

    Over an area: :meth:`aggregate` (sum(num)/sum(den), or the share of organisations passing a
    rule), :meth:`reached`, :meth:`distance`, :meth:`days_left`.
    """

    key: str
    title: Title
    target: float
    rule: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    deadline: _dt.date | None = None
    direction: str = "up"
    low: float | None = None
    enabled: bool = True
    compiled: Rule | None = field(default=None, compare=False, repr=False)
    derivations: _Derivations = field(default_factory=_Derivations, compare=False, repr=False)

    # -- shape
    @property
    def kind(self) -> str:
        return "rule" if self.rule is not None else "ratio"

    @property
    def is_rule(self) -> bool:
        return self.rule is not None

    @property
    def is_ratio(self) -> bool:
        return self.rule is None

    @property
    def threshold(self) -> float:
        """The per-organisation bar: ``low`` when set, else ``target``."""
        return self.low if self.low is not None else self.target

    @property
    def fields(self) -> tuple[str, ...]:
        """Fields the indicator reads (derived ones included by name)."""
        if self.compiled is not None:
            return self.compiled.fields
        return tuple(f for f in (self.numerator, self.denominator) if f)

    @property
    def display_title(self) -> str:
        return str(self.title)

    # -- per organisation
    def _frame(self, df) -> _Frame:
        return _Frame(df, self.derivations)

    def truth(self, df):
        """Rule indicators: a pandas ``boolean`` Series with <NA> where the data cannot decide."""
        if self.compiled is None:
            raise TypeError(f"indicator {self.key!r} is a ratio, not a rule")
        frame = self._frame(df)
        return frame.as_series(frame.eval(self.compiled.tree))

    def values(self, df):
        import numpy as np
        import pandas as pd

        if self.compiled is not None:
            arr = self.truth(df).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = _ratio_values(self._frame(df), self.numerator, self.denominator)
        return pd.Series(arr, index=df.index, name=self.key, dtype=float)

    def evaluate(self, df):
        import pandas as pd

        if self.compiled is not None:
            out = self.truth(df).fillna(False).astype(bool)
        else:
            v = self.values(df).to_numpy()  # NaN compares False: missing never passes
            ok = v >= self.threshold - _EPS if self.direction == "up" else v <= self.threshold + _EPS
            out = pd.Series(ok, index=df.index)
        out.name = self.key
        return out

    def fails(self, df):
        import pandas as pd

        if self.compiled is not None:
            out = (~self.truth(df)).fillna(False).astype(bool)
        else:
            v = self.values(df).to_numpy()  # NaN compares False: missing is not failing either
            bad = v < self.threshold - _EPS if self.direction == "up" else v > self.threshold + _EPS
            out = pd.Series(bad, index=df.index)
        out.name = self.key
        return out

    def parts(self, df):
        """Ratio indicators: (numerator, denominator) float arrays per row, NaN where missing."""
        if self.compiled is not None:
            raise TypeError(f"indicator {self.key!r} is a rule, not a ratio")
        return _ratio_parts(self._frame(df), self.numerator, self.denominator)

    # -- over an area
    def aggregate(self, df) -> float:
        """The area figure: sum(num)/sum(den) over rows where both are known and the denominator is
        positive; for a rule, the share of organisations that pass (undecidable rows count as not
        passing).  NaN when there is nothing to count."""
        import numpy as np

        if len(df) == 0:
            return math.nan
        if self.compiled is not None:
            return float(self.evaluate(df).mean())
        n, d = self.parts(df)
        both = ~np.isnan(n) & ~np.isnan(d) & (d > 0)
        den = float(d[both].sum())
        return float(n[both].sum()) / den if den > 0 else math.nan

    def reached(self, value: float | None) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return value >= self.target - _EPS if self.direction == "up" else value <= self.target + _EPS

    def distance(self, value: float | None) -> float:
        """How far the value still is from the target (0 when reached; NaN when unknown)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        gap = self.target - value if self.direction == "up" else value - self.target
        return max(0.0, gap)

    def days_left(self, today: _dt.date | None = None) -> int | None:
        """Days to the deadline (negative when overdue); None without a deadline."""
        if self.deadline is None:
            return None
        return (self.deadline - (today or _dt.date.today())).days


def _default_activity_rule() -> Rule:
    return parse_rule(DEFAULT_ACTIVITY_EXPRESSION)
