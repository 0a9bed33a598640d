"""The store and the shortlists kept in it, for the surfaces (the core's, through the door)."""

from sferum_tui.core.store import ImportOutcome, RegistryInfo, RegistryOutcome, SnapshotInfo, Store
from sferum_tui.core.store.shortlists import (
    DEFAULT_LIST,
    MEMBER_COLUMNS,
    PERSONAL_FILE,
    Shortlists,
    attach_personal,
    clean_name,
    display_name,
    join_members,
)

__all__ = ["Store", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
           "Shortlists", "clean_name", "join_members", "MEMBER_COLUMNS", "DEFAULT_LIST",
           "display_name", "open_store"]


def open_store(paths) -> Store:
    """The store ``paths`` select (``paths.home``); when it is not the user's own data folder
    (``--store`` and the like), the user's personal shortlists are in ``lists.sqlite`` of their
    data folder (see ``core/store/shortlists.py``)."""
    store = Store(paths.home)
    if getattr(paths, "shared_store", False):
        attach_personal(store, paths.user_data / PERSONAL_FILE)
    return store
