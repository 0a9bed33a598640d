"""Shortlists as the surfaces show them: the members beside the week being viewed, and the one
plain-text form a list is copied in (the console's ``y`` and the shortlist's ``c`` alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sferum_tui.core.store.shortlists import DEFAULT_LIST, display_name
from sferum_tui.core.vocab import is_missing
from sferum_tui.i18n import tr

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.store import SnapshotInfo
    from sferum_tui.service.console import ConsoleAPI

__all__ = ["ShortlistData", "load_shortlist", "letter_text", "reasons_of", "DEFAULT_LIST",
           "display_name"]


def reasons_of(value: Any) -> list[str]:
    """A row's reasons (a tuple from the core, a list from JSON, or nothing) as a list."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value if not is_missing(x) and str(x).strip()]
    if value is None or is_missing(value):
        return []
    try:
        return [str(x) for x in value]
    except TypeError:
        return [str(value)]


def letter_text(frame: "pd.DataFrame") -> str:
    """Schools as plain text for a letter to their heads: one numbered line per school —
    ``1. Name, ИНН 0527001235, Municipality — reason; reason``."""
    lines: list[str] = []
    for i, row in enumerate(frame.to_dict("records"), start=1):
        bits = [str(row.get("org_name") or tr("без названия", "unnamed"))]
        inn = row.get("org_id")
        if not is_missing(inn) and str(inn).strip():
            bits.append(tr("ИНН {i}", "ИНН {i}", i=inn))
        municipality = row.get("municipality")
        if not is_missing(municipality) and str(municipality).strip():
            bits.append(str(municipality))
        line = f"{i}. " + ", ".join(bits)
        reasons = reasons_of(row.get("reasons"))
        if not reasons and (row.get("in_week") is False or row.get("missing") is True):
            reasons = [tr("нет в файле недели", "absent from the week's file")]
        if reasons:
            line += " — " + "; ".join(reasons)
        lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass
class ShortlistData:
    name: str
    exists: bool
    frame: "pd.DataFrame"        # the core's joined rows (export these)
    table: "pd.DataFrame"        # the same with display columns (``_n``, ``_reasons``)
    week: "SnapshotInfo | None"  # the week the figures are from
    week_id: int | None

    @property
    def title(self) -> str:
        return display_name(self.name)


def load_shortlist(api: "ConsoleAPI", name: str, week_id: int | None = None) -> ShortlistData:
    """Members of ``name`` beside the figures of ``week_id`` — the week being viewed (default:
    the latest).  Runs in a worker; the store is read on the console's store thread."""
    import pandas as pd

    from sferum_tui.core import indicators
    from sferum_tui.core.store import shortlists as sl

    lists = sl.Shortlists(api.store)
    exists = api.call(lists.exists, name)
    if exists:
        name = api.call(lists.canonical_name, name) or name
        members = api.call(lists.members, name)
    else:
        members = pd.DataFrame({c: pd.Series(dtype=object) for c in sl.MEMBER_COLUMNS})
        members["org_uid"] = members["org_uid"].astype("int64")

    if week_id is None:
        week_id = api.latest_id()
    info = None
    if week_id is not None:
        week = api.week(week_id)
        info = week.info
        joined = sl.join_members(members, week.frame)
        if len(joined) and not bool(joined["in_week"].all()) and api.scope:
            # a member outside the console's scope: its figures from the whole week
            whole = api.call(lambda: indicators.week_table(api.store, api.cfg, week_id,
                                                           scope=False))
            joined = sl.join_members(members, whole)
    else:
        joined = members.copy()
        joined["in_week"] = False
        joined["reasons"] = [[] for _ in range(len(joined))]

    table = joined.copy()
    table["_n"] = range(1, len(table) + 1)
    table["_reasons"] = ["; ".join(reasons_of(r)) for r in table.get("reasons", [[]] * len(table))]
    if "in_week" in table.columns:
        absent = ~table["in_week"].fillna(False).astype(bool)
        text = tr("нет в файле недели", "absent from the week's file")
        table.loc[absent & (table["_reasons"] == ""), "_reasons"] = text
    return ShortlistData(name=name, exists=bool(exists), frame=joined, table=table,
                         week=info, week_id=week_id)
