"""The store: the one owner of the database (schema and migrations, imported files' copies, the
identity resolver, the per-week column copies and the queries).

``db`` holds the :class:`Store` itself; ``identity`` how organisations are told apart;
``shortlists`` the named lists kept beside the weeks.
"""

from sferum_tui.core.store.db import (  # noqa: F401 - the package's public surface
    MIGRATIONS,
    SCHEMA_VERSION,
    ImportOutcome,
    RegistryInfo,
    RegistryOutcome,
    SnapshotInfo,
    Store,
    _split_sql,
    format_int,
    format_period,
    orgs_phrase,
)

__all__ = [
    "Store", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
    "SCHEMA_VERSION", "MIGRATIONS", "format_period", "format_int", "orgs_phrase",
]
