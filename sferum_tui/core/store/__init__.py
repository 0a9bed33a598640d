"""The store: the one owner of the database, split by responsibility.

- ``schema``: DDL and migrations of every table in ``store.sqlite`` (also the shortlists' and
  the indicators' flag cache tables), the file check;
- ``blobs``: the copies of imported files and the sweep of interrupted imports' leftovers;
- ``identity`` (keys) and ``resolver``: how organisations are told apart across weeks;
- ``columns``: the per-week Arrow column copies;
- ``db``: the :class:`Store` itself — connections (read-write or read-only), imports, queries;
- ``shortlists``: the named lists kept beside the weeks;
- ``formatting``: period / integer / "N organisations" text shared with the commands.

See ``docs/store.md``.
"""

from sferum_tui.core.store.db import (  # noqa: F401 - the package's public surface
    ImportOutcome,
    RegistryInfo,
    RegistryOutcome,
    SnapshotInfo,
    Store,
)
from sferum_tui.core.store.formatting import format_int, format_period, orgs_phrase  # noqa: F401
from sferum_tui.core.store.schema import (  # noqa: F401
    MIGRATIONS,
    SCHEMA_VERSION,
)
from sferum_tui.core.store.schema import split_sql as _split_sql  # noqa: F401


def open_for(paths) -> Store:
    """The store ``paths`` select: ``paths.store_url`` (a PostgreSQL database, ``pg.PgStore``),
    else the folder ``paths.home``.  When it is not the user's own data folder (``--store`` and
    the like), the user's personal shortlists are in ``lists.sqlite`` of their data folder
    (``shortlists.attach_personal``)."""
    from sferum_tui.core.store.shortlists import PERSONAL_FILE, attach_personal

    url = getattr(paths, "store_url", None)
    if url:
        from sferum_tui.core.store.pg import PgStore

        store: Store = PgStore(url, paths.user_data)
    else:
        store = Store(paths.home)
    if getattr(paths, "shared_store", False):
        attach_personal(store, paths.user_data / PERSONAL_FILE)
    return store


__all__ = [
    "Store", "open_for", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
    "SCHEMA_VERSION", "MIGRATIONS", "format_period", "format_int", "orgs_phrase",
]
