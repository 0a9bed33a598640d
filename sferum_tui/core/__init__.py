"""Headless core of sferum-tui: readers, store, indicators, exports, fetching.

Nothing under this package may import Textual; tests/test_import_hygiene.py checks it.
"""
