"""Per-organisation indicator columns of one week (pure and vectorised; no store, no Textual).

:func:`evaluate_frame` takes a frame of canonical fields (one row per organisation, as
``Store.week_frame`` gives it, plus a boolean ``missing`` column) and returns the indicator
columns that :func:`sferum_tui.core.indicators.week_table` documents.  The same function serves
the week table, the history of one school and the flag cache of the streaks, so the three can
never disagree.

Per indicator, a week's *code* summarises the organisation for streaks:
``0`` unknown (absent from the file, or the figures needed are not given), ``1`` passes,
``2`` below the indicator's bar (a rule known to fail; a share known to be below ``low``/``target``;
for an "up" share, a zero denominator: a school with 0 teachers is below any messaging target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sferum_tui.core.fields import COUNT_FIELDS, SHARE_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.core.vocab import percent, threshold
from sferum_tui.i18n import plural_ru, tr

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.config import Config

NUMERIC_FIELDS = COUNT_FIELDS + SHARE_FIELDS
CODE_UNKNOWN, CODE_PASS, CODE_BELOW = 0, 1, 2
EPS = 1e-9

#: Indicators whose failure is already told by the specific reasons (rule parts, messaging,
#: registration); any other configured indicator gets a generic reason.
SPECIFIC_KEYS = ("active_profiles", "teacher_messaging", "staff_registration")

#: The activity KPI («Активные профили ОО»): its per-organisation pass is the one activity
#: classification (not inactive), so the KPI is always total − inactive on the same rows.
ACTIVITY_KEY = "active_profiles"


def low_messaging_mask(share: np.ndarray, teachers: np.ndarray, missing: np.ndarray,
                       threshold: float) -> np.ndarray:
    """Organisations whose teacher messaging is low: the share strictly below ``threshold``
    (0..1), or 0 teachers registered (below any messaging target); never a missing one.  The
    one definition: the ``low_messaging`` column, every ``--low-messaging`` filter, the console's
    ``t`` and every count of "low messaging" use it."""
    zero_teachers = (teachers == 0) & np.isnan(share)
    with np.errstate(invalid="ignore"):
        return ((share < threshold - EPS) | zero_teachers) & ~missing


def floats(frame: "pd.DataFrame", name: str) -> np.ndarray:
    """A column as a float64 array with NaN for missing (an absent column is all NaN)."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[name]
    if col.dtype == np.float64:
        return col.to_numpy()
    if col.dtype.kind in "iuf":  # numpy or nullable (Int64) numbers: no parsing needed
        return col.to_numpy(dtype=float, na_value=np.nan)
    import pandas as pd

    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def numeric_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Only the numeric canonical fields, as float64 (what indicators read)."""
    import pandas as pd

    return pd.DataFrame({f: floats(frame, f) for f in NUMERIC_FIELDS}, index=frame.index)


def evaluate_frame(frame: "pd.DataFrame", cfg: "Config", *, with_reasons: bool = True,
                   missing: np.ndarray | None = None) -> dict[str, Any]:
    """The indicator columns of one week's organisations (see the module docstring).

    Returns a dict of column name → numpy array (bool, float or object), in documented order,
    and under the key ``"_codes"`` a ``uint8`` array (rows × indicators) of streak codes.
    """
    n = len(frame)
    if missing is None:
        missing = frame["missing"].to_numpy(dtype=bool) if "missing" in frame.columns \
            else np.zeros(n, dtype=bool)
    num = numeric_frame(frame)
    derived = cfg.derive(num)          # active_by_rule (boolean with <NA>), the two shares
    truth = derived["active_by_rule"]
    truth_known = ~truth.isna().to_numpy()
    truth_val = truth.fillna(False).to_numpy(dtype=bool)

    status = frame["status"].to_numpy(dtype=object) if "status" in frame.columns \
        else np.full(n, None, dtype=object)
    stated_active = status == STATUS_ACTIVE
    stated_inactive = status == STATUS_INACTIVE
    no_status = ~(stated_active | stated_inactive)

    out: dict[str, Any] = {}
    active_by_rule = truth_val & ~missing
    out["active_by_rule"] = active_by_rule
    disagrees = truth_known & ((stated_active & ~truth_val) | (stated_inactive & truth_val))
    out["status_disagrees"] = disagrees & ~missing
    out["inactive"] = missing | stated_inactive | (no_status & ~truth_val)
    out["missing"] = missing.copy()

    teachers = num["teachers"].to_numpy()
    msg = derived["messaging_share"].to_numpy(dtype=float)
    out["messaging_share"] = msg
    out["low_messaging"] = low_messaging_mask(msg, teachers, missing, cfg.thresholds.low_messaging)
    with np.errstate(invalid="ignore"):
        reg = derived["registration_share"].to_numpy(dtype=float)
        out["registration_share"] = reg
        out["unregistered"] = (reg < cfg.thresholds.registration_full - EPS) & ~missing

    indicators = cfg.indicators
    codes = np.zeros((n, len(indicators)), dtype=np.uint8)
    inactive = out["inactive"]
    for k, ind in enumerate(indicators):
        if ind.key == ACTIVITY_KEY and ind.is_rule:
            # the activity KPI is the classification itself: active = not inactive (the
            # stated status where there is one, else the rule; a missing school is inactive)
            passed = ~inactive
            known = np.ones(n, dtype=bool)
            values = passed.astype(float)
        elif ind.is_rule:     # as Indicator.values/evaluate, with the rule evaluated once
            t = ind.truth(derived)
            known = ~t.isna().to_numpy()
            passed = t.fillna(False).to_numpy(dtype=bool)
            values = np.where(known, passed.astype(float), np.nan)
        else:
            values = ind.values(derived).to_numpy(dtype=float)
            known = ~np.isnan(values)
            with np.errstate(invalid="ignore"):
                passed = values >= ind.threshold - EPS if ind.direction == "up" \
                    else values <= ind.threshold + EPS
        below = known & ~passed
        if ind.is_ratio and ind.direction == "up":
            _, den = ind.parts(derived)
            below |= (den == 0) & ~known
            known = known | (den == 0)
        code = np.where(below, CODE_BELOW, np.where(known & passed, CODE_PASS, CODE_UNKNOWN))
        # a school absent from the week's file (a registry school) is below on everything:
        # absent N weeks running, it is N weeks below, never among the best
        code[missing] = CODE_BELOW
        codes[:, k] = code
        out[f"value_{ind.key}"] = np.where(missing, np.nan, values)
        out[f"pass_{ind.key}"] = passed & ~missing
    out["_codes"] = codes
    if with_reasons:
        out["reasons"] = reasons(frame, num, out, cfg)
    return out


# --------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------

def _pcts(values: np.ndarray) -> list[str]:
    """:func:`sferum_tui.core.vocab.percent` of many values."""
    return [percent(x) for x in values.tolist()]


def _ints(values: np.ndarray) -> list[int]:
    return np.rint(values).astype(np.int64).tolist()


def _of(n: int, one: str, many: str) -> str:
    """Russian genitive after «из N»: из 21 учителя, из 25 учителей."""
    return one if n % 10 == 1 and n % 100 != 11 else many


def _users_phrase(n: int, more_than: int) -> str:
    return tr("связан{v} {n} {w}, нужно больше {k}", "{n} user{s} linked, more than {k} needed",
              v=plural_ru(n, "", "о", "о"), n=n, w=plural_ru(n, "пользователь", "пользователя",
                                                             "пользователей"),
              s="" if n == 1 else "s", k=more_than)


def _classes_phrase(n: int, at_least: int) -> str:
    if n == 0:
        return tr("не создано ни одного класса", "no class created")
    return tr("создан{v} {n} {w}, нужно не меньше {k}", "{n} class{es} created, at least {k} needed",
              v=plural_ru(n, "", "о", "о"), n=n, w=plural_ru(n, "класс", "класса", "классов"),
              es="" if n == 1 else "es", k=at_least)


class _Reasons:
    """Reasons gathered kind by kind (each kind for all its rows at once), then dealt out into
    one list per row in the order the kinds were added."""

    def __init__(self, n: int):
        self.n = n
        self.rows: list[np.ndarray] = []
        self.texts: list[np.ndarray] = []

    def add(self, idx: np.ndarray, texts: "np.ndarray | list[str] | str") -> None:
        if not len(idx):
            return
        if isinstance(texts, str):
            arr = np.empty(len(idx), dtype=object)
            arr[:] = texts
        else:
            arr = np.asarray(texts, dtype=object)
        self.rows.append(idx.astype(np.int64))
        self.texts.append(arr)

    def lists(self) -> np.ndarray:
        if not self.rows:
            return np.fromiter((() for _ in range(self.n)), dtype=object, count=self.n)
        rows = np.concatenate(self.rows)
        kinds = np.repeat(np.arange(len(self.rows)), [len(r) for r in self.rows])
        order = np.lexsort((kinds, rows))
        rows = rows[order]
        texts = np.concatenate(self.texts)[order].tolist()
        starts = np.searchsorted(rows, np.arange(self.n), side="left").tolist()
        ends = np.searchsorted(rows, np.arange(self.n), side="right").tolist()
        # tuples, not lists: the garbage collector stops tracking a tuple of strings, while
        # 40,000 lists per cached week made each full collection in the console ~60 ms.
        # fromiter: assigning a sequence of sequences would make numpy look for a 2nd dimension.
        # Equal tuples are one object (a country week has a few thousand distinct ones): ~2 MB
        # less per week the console keeps.
        shared: dict[tuple, tuple] = {}
        return np.fromiter((shared.setdefault(t, t) for t in
                            (tuple(texts[a:b]) for a, b in zip(starts, ends))),
                           dtype=object, count=self.n)


def _by_value(fn, *columns: np.ndarray) -> np.ndarray:
    """``fn(*values)`` for each row, calling ``fn`` once per distinct combination of values
    (a country week repeats the same few thousand figures over 40,000 rows)."""
    if not len(columns[0]):
        return np.empty(0, dtype=object)
    # one integer key per row from the codes of each column's distinct values (1-D sorts only)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for c in columns:
        uniq, inverse = np.unique(np.asarray(c, dtype=float), return_inverse=True)
        key = key * len(uniq) + inverse.reshape(-1)
    keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = np.fromiter((fn(*(float(c[i]) for c in columns)) for i in first.tolist()),
                        dtype=object, count=len(keys))
    return texts[inverse.reshape(-1)]


def _pct1(x: float) -> str:
    return percent(x)


def _a_of_b(acc: _Reasons, idx: np.ndarray, template: str, figures: tuple, words: tuple[str, str],
            **extra: str) -> None:
    """«{a} из {b} {w} … ({p} …)» for the rows ``idx``: ``figures`` = (a, b, share) arrays,
    ``words`` the genitive after «из» for one / many."""
    a, b, share = figures
    acc.add(idx, _by_value(
        lambda x, y, s: template.format(a=round(x), b=round(y), p=_pct1(s),
                                        w=_of(round(y), *words), **extra),
        a[idx], b[idx], share[idx]))


def reasons(frame: "pd.DataFrame", num: "pd.DataFrame", cols: dict, cfg: "Config") -> np.ndarray:
    """A tuple of human reasons per row (in the current language); empty when nothing lags.

    Vectorised by reason: each kind of reason is formatted once per distinct set of figures
    and dealt out to all its rows."""
    n = len(frame)
    acc = _Reasons(n)
    missing = cols["missing"]
    present = ~missing

    acc.add(np.flatnonzero(missing), tr("нет в файле этой недели", "not in this week's file"))

    status = frame["status"].to_numpy(dtype=object) if "status" in frame.columns \
        else np.full(n, None, dtype=object)
    dis = cols["status_disagrees"]
    acc.add(np.flatnonzero(dis & (status == STATUS_INACTIVE)),
            tr("статус «Не активна», хотя правило выполнено", "status «Не активна» though the rule is met"))
    acc.add(np.flatnonzero(dis & (status == STATUS_ACTIVE)),
            tr("статус «Активна», хотя правило не выполнено", "status «Активна» though the rule is not met"))

    rule = cfg.activity_rule
    users = num["users_total"].to_numpy()
    classes = num["classes"].to_numpy()
    with np.errstate(invalid="ignore"):
        few_users = np.flatnonzero(present & (users <= rule.users_more_than))
        few_classes = np.flatnonzero(present & (classes < rule.classes_at_least))
    acc.add(few_users, _by_value(lambda u: _users_phrase(round(u), rule.users_more_than),
                                 users[few_users]))
    acc.add(few_classes, _by_value(lambda c: _classes_phrase(round(c), rule.classes_at_least),
                                   classes[few_classes]))

    teachers = num["teachers"].to_numpy()
    active = num["teachers_active"].to_numpy()
    msg = cols["messaging_share"]
    thr = threshold(cfg.thresholds.low_messaging)
    zero_teachers = present & (teachers == 0)
    acc.add(np.flatnonzero(zero_teachers), tr("зарегистрировано 0 учителей", "0 teachers registered"))
    low = cols["low_messaging"] & ~zero_teachers
    with np.errstate(invalid="ignore"):
        counted = ~np.isnan(active) & ~np.isnan(teachers) & (teachers > 0)
    idx = np.flatnonzero(low & counted)
    _a_of_b(acc, idx, tr("{a} из {b} {w} написали более 3 сообщений ({p}, ниже {thr})",
                         "{a} of {b} teachers wrote more than 3 messages ({p}, below {thr})"),
            (active, teachers, msg), ("учителя", "учителей"), thr=thr)
    idx = np.flatnonzero(low & ~counted)
    tmpl2 = tr("учителей, написавших более 3 сообщений: {p} (ниже {thr})",
               "teachers who wrote more than 3 messages: {p} (below {thr})")
    acc.add(idx, _by_value(lambda p: tmpl2.format(p=_pct1(p), thr=thr), msg[idx]))

    reg = cols["registration_share"]
    reg_num, reg_den = _registration_pair(cfg)
    rn = num[reg_num].to_numpy() if reg_num in num.columns else np.full(n, np.nan)
    rd = num[reg_den].to_numpy() if reg_den in num.columns else np.full(n, np.nan)
    need = threshold(cfg.thresholds.registration_full)
    unreg = cols["unregistered"] & ~(zero_teachers & (rn == 0))
    both = ~np.isnan(rn) & ~np.isnan(rd)
    idx = np.flatnonzero(unreg & both)
    _a_of_b(acc, idx, tr("зарегистрировано {a} из {b} {w} ({p}, нужно {need})",
                         "{a} of {b} staff registered ({p}, {need} needed)"),
            (rn, rd, reg), ("сотрудника", "сотрудников"), need=need)
    idx = np.flatnonzero(unreg & ~both)
    tmpl4 = tr("зарегистрировано сотрудников: {p} (нужно {need})", "staff registered: {p} ({need} needed)")
    acc.add(idx, _by_value(lambda p: tmpl4.format(p=_pct1(p), need=need), reg[idx]))

    codes = cols["_codes"]
    for k, ind in enumerate(cfg.indicators):
        if ind.key in SPECIFIC_KEYS:
            continue
        title = str(ind.title)
        idx = np.flatnonzero(codes[:, k] == CODE_BELOW)
        if ind.is_rule:
            acc.add(idx, tr("{t}: не выполнено", "{t}: not met", t=title))
        else:
            tmpl5 = tr("{t}: {v} (нужно {b})", "{t}: {v} ({b} needed)")
            bar = threshold(ind.threshold)
            acc.add(idx, _by_value(lambda v, tmpl5=tmpl5, title=title, bar=bar:
                                   tmpl5.format(t=title, v=_pct1(v), b=bar),
                                   cols[f"value_{ind.key}"][idx]))
    return acc.lists()


def _registration_pair(cfg: "Config") -> tuple[str, str]:
    for ind in cfg.all_indicators:
        if ind.key == "staff_registration" and ind.numerator and ind.denominator:
            return ind.numerator, ind.denominator
    return "teachers", "staff_total"
