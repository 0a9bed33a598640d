"""Canonical fields every reader maps into (see DOMAIN.md), shared by store, indicators, exports."""

from __future__ import annotations

TEXT_FIELDS = ("region", "municipality", "org_id", "org_name", "status")
COUNT_FIELDS = (
    "users_total", "staff_total", "teachers", "students", "parents",
    "classes", "chats", "teachers_active",
)
SHARE_FIELDS = ("teachers_active_share",)
# Order of the JSON row objects and of exports.
ROW_FIELDS = TEXT_FIELDS + COUNT_FIELDS + SHARE_FIELDS
# Registry-only field (справочник ОО): kind of organisation (школа, детский сад, колледж...).
REGISTRY_FIELDS = ("region", "municipality", "org_id", "org_name", "staff_total", "kind")
ALL_FIELDS = ROW_FIELDS + ("kind",)

STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"
