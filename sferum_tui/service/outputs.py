"""Writing files for people: exports (csv, xlsx, md, json) and the one CSV writer."""

from sferum_tui.core.outputs.csvout import render_csv, write_csv
from sferum_tui.core.outputs.export import check_format, export, format_for_path, render

__all__ = ["export", "render", "format_for_path", "check_format", "write_csv", "render_csv"]
