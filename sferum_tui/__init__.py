"""sferum-tui: a terminal console for weekly school messaging-platform adoption monitoring."""

__version__ = "0.1.0"
