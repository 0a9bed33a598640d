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

__all__ = [
    "Store", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
    "SCHEMA_VERSION", "MIGRATIONS", "format_period", "format_int", "orgs_phrase",
]
