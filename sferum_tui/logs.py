"""The log: a rotating file in the user log folder (``Paths.log_dir``), and stderr with ``--debug``.

Both surfaces (the CLI and the console) set it up once at start-up with :func:`setup` and turn
an unexpected exception (a bug, not a :class:`~sferum_tui.core.errors.UserError`) into one line
for the user with :func:`report_unexpected`: the traceback goes to the file, the line names it.
The file is opened only when something is logged, so a quiet run leaves no trace.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sferum_tui.i18n import tr

__all__ = ["LOGGER", "LOG_NAME", "MAX_BYTES", "BACKUPS", "setup", "log_file", "report_unexpected"]

LOGGER = "sferum_tui"
LOG_NAME = "sferum-tui.log"
MAX_BYTES = 1_000_000   # one file of 1 MB, then sferum-tui.log.1 … .3
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d]: %(message)s"

_handlers: list[logging.Handler] = []
_file: Path | None = None

log = logging.getLogger(LOGGER)


class _FolderFileHandler(logging.Handler):
    """A rotating file (``RotatingFileHandler``, ``MAX_BYTES`` × ``BACKUPS``) whose folder is
    made when the first record arrives.  ``logging.handlers`` (sockets, pickle, queues: ~5 ms of
    every start) is imported then too, as most runs log nothing."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.DEBUG)
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record) -> None:
        if self._file is None:
            self._file = _rotating(self.path)
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()

    def handleError(self, record) -> None:  # an unwritable log folder must not end the run
        pass


def _rotating(path: Path) -> logging.Handler:
    from logging.handlers import RotatingFileHandler

    class Rotating(RotatingFileHandler):
        def _open(self):
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
            return super()._open()

        def handleError(self, record) -> None:  # an unwritable log folder must not end the run
            pass

    return Rotating(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)


class _Stderr(logging.StreamHandler):
    """stderr as it is when a record arrives (the console redirects it while it draws)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup(log_dir: Path | None, *, debug: bool = False) -> Path | None:
    """Send the program's records to ``log_dir/sferum-tui.log`` (rotating, 1 MB × 3) and, with
    ``debug``, every debug record to stderr too.  Calling it again replaces the earlier set-up."""
    global _file
    root = logging.getLogger()
    for h in _handlers:
        root.removeHandler(h)
        h.close()
    _handlers.clear()
    _file = None
    if log_dir is not None:
        _file = Path(log_dir) / LOG_NAME
        fh = _FolderFileHandler(_file)
        fh.setFormatter(logging.Formatter(_FORMAT))
        _handlers.append(fh)
    if debug:
        sh = _Stderr()
        sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        sh.setLevel(logging.DEBUG)
        _handlers.append(sh)
    for h in _handlers:
        root.addHandler(h)
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    return _file


def log_file() -> Path | None:
    """The log file in use (None before :func:`setup`)."""
    return _file


def report_unexpected(exc: BaseException, where: str = "") -> str:
    """Log ``exc`` with its traceback and return the one line to show: what failed and where
    the details are."""
    from sferum_tui.core.text import one_line

    log.error("unexpected error%s", f" in {where}" if where else "", exc_info=exc)
    what = one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, 160)
    path = _file
    written = path is not None and path.exists()
    if written:
        return tr("непредвиденная ошибка ({e}); подробности — в журнале {p}",
                  "unexpected error ({e}); the details are in the log {p}", e=what, p=path)
    return tr("непредвиденная ошибка ({e}); журнал не записан{p}",
              "unexpected error ({e}); the log could not be written{p}", e=what,
              p=f" ({path})" if path else "")
