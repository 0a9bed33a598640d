"""``FILE`` given as ``-``: the weekly file read from standard input (``inspect -``, ``import -``).

The bytes are read up to the reader's file-size limit (one more byte tells a file that is too
big, refused in one line), written to a private temporary folder under the cache folder, and
that file goes to the same reader and import path as any other.  ``--name NAME`` names it: the
name's date and extension help the reader (``--name week-2023-04-17.xlsx``) and it is the source
name the store keeps; without it the data is called «stdin».
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError
from sferum_tui.service.ingest import DEFAULT_LIMITS
from sferum_tui.service.vocab import one_line

__all__ = ["STDIN", "add_stdin_name_arg", "stdin_name", "stdin_file"]

STDIN = "-"
DEFAULT_NAME = "stdin"


def add_stdin_name_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", metavar="NAME", default=None,
                   help=tr("имя данных со стандартного ввода (FILE «-»): дата и расширение в нём "
                           "помогают понять период и формат, под ним хранится снимок "
                           "(по умолчанию «stdin»)",
                           "a name for the data on standard input (FILE “-”): its date and "
                           "extension help find the period and format, and the snapshot keeps "
                           "it (default “stdin”)"))


def stdin_name(name: str | None) -> str:
    """The file name the data from standard input goes by (no folders, no controls)."""
    base = Path(one_line(name or "")).name.strip()
    return base if base not in ("", ".", "..") else DEFAULT_NAME


def check_files(files: list[str]) -> None:
    if files.count(STDIN) > 1:
        raise UserError(tr("стандартный ввод («-») можно прочитать только один раз",
                           "standard input (“-”) can be read only once"))


@contextlib.contextmanager
def stdin_file(cache_dir: Path, name: str | None, *, limit: int | None = None) -> Iterator[Path]:
    """A temporary file holding standard input, named :func:`stdin_name` (removed on exit)."""
    limit = DEFAULT_LIMITS.max_file_bytes if limit is None else limit
    shown = stdin_name(name)
    if sys.stdin is None or sys.stdin.isatty():
        raise UserError(tr("«-»: стандартный ввод — терминал; передайте файл через «<» или «|» "
                           "(например: sferum-tui import - --name неделя.xlsx < неделя.xlsx)",
                           "“-”: standard input is a terminal; pipe the file in with “<” or “|” "
                           "(e.g. sferum-tui import - --name week.xlsx < week.xlsx)"))
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise UserError(tr("{n} (стандартный ввод): больше предела {m} МБ; файл не прочитан",
                           "{n} (standard input): larger than the limit of {m} MB; not read",
                           n=shown, m=limit // (1024 * 1024)))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="stdin-", dir=cache_dir))
    except OSError as exc:
        raise UserError(tr("{n}: не удаётся сохранить стандартный ввод во временную папку {p}: {e}",
                           "{n}: cannot keep standard input in the temporary folder {p}: {e}",
                           n=shown, p=cache_dir, e=exc.strerror or exc)) from None
    path = folder / shown
    try:
        path.write_bytes(data)
        yield path
    except UserError as err:    # name the data as the user knows it, not the temporary file
        if str(path) in err.message:
            err.message = err.message.replace(str(path), shown)
            err.args = (err.message,)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def shown_text(text: str, path: Path, name: str | None) -> str:
    """``text`` (a reader's message or source) with the temporary file named as the user
    knows it."""
    return str(text).replace(str(path), stdin_name(name))
