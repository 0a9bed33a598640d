"""The store and the shortlists kept in it, for the surfaces (the core's, through the door)."""

from sferum_tui.core.store import ImportOutcome, RegistryInfo, RegistryOutcome, SnapshotInfo, Store
from sferum_tui.core.store.shortlists import (
    DEFAULT_LIST,
    MEMBER_COLUMNS,
    Shortlists,
    clean_name,
    display_name,
    join_members,
)

__all__ = ["Store", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
           "Shortlists", "clean_name", "join_members", "MEMBER_COLUMNS", "DEFAULT_LIST",
           "display_name"]
