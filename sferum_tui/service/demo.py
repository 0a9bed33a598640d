"""The synthetic demo store (the core's generator and its import, through the one door)."""

from sferum_tui.core.demo import generate_demo, import_demo

__all__ = ["generate_demo", "import_demo"]
