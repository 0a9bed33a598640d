"""The store and the shortlists kept in it, for the surfaces (the core's, through the door)."""

from sferum_tui.core.store import (
    ImportOutcome,
    RegistryInfo,
    RegistryOutcome,
    SnapshotInfo,
    Store,
    open_for,
)
from sferum_tui.core.store.migrate import Copied, copy_store
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
           "display_name", "open_store", "copy_store", "Copied"]


def open_store(paths) -> Store:
    """The store ``paths`` select, with the user's personal lists beside a shared one
    (``core.store.open_for``)."""
    return open_for(paths)
