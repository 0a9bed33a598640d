"""Copies of imported files: ``home/blobs/ab/abcdef….xlsx``, content-addressed by sha256.

Every imported weekly file and registry is kept as it was (text files gzip-compressed), so a week
can be read again with a newer reader (:meth:`~sferum_tui.core.store.Store.reread`).

A copy is written inside the import's write transaction, before the row that names it is
committed: temp file in the same folder, fsync, rename, fsync of the folder. An import killed
or rolled back after that leaves a copy that no row names (an *orphan*) or a ``.tmp-*.part``
file. Both are removed by :func:`sweep_orphans`, which the next import calls inside its own write
transaction: while it holds the write lock no other import can be between writing its copy and
committing, so every unnamed file then is a leftover. A failed import also removes the copy it
made itself straight away.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sferum_tui.core.errors import StoreError
from sferum_tui.i18n import tr

BLOB_DIR = "blobs"
STALE_TMP_S = 3600.0

_COPY_NAME = re.compile(r"^[0-9a-f]{64}(\.[A-Za-z0-9]{1,8})?(\.gz)?$")


def compressible(data: bytes) -> bool:
    """Text (CSV) copies are worth compressing; xlsx/ods (zip) and xls (OLE) already are."""
    return not data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0"))


def blob_rel(sha: str, source: Path, data: bytes | None = None) -> str:
    """Where the copy of a file goes, relative to the data folder."""
    ext = source.suffix.lower()
    if not ext or len(ext) > 8 or not ext[1:].isalnum():
        ext = ".bin"
    if data is not None and compressible(data):
        ext += ".gz"
    return f"{BLOB_DIR}/{sha[:2]}/{sha}{ext}"


def blob_bytes(data: bytes, rel: str) -> bytes:
    """What goes on disk: text files (CSV) gzip-compressed — a national CSV week is ~7 MB,
    ~1 MB compressed, which keeps 150 weeks of copies well inside the disk budget."""
    if rel.endswith(".gz"):
        import gzip

        return gzip.compress(data, compresslevel=5, mtime=0)
    return data


CHUNK = 1 << 20


@dataclass(frozen=True)
class FileSource:
    """A file to keep a copy of, read again from disk in chunks rather than held in memory
    (a 200 MB CSV's bytes would otherwise sit beside its rows for the whole import).  ``size``
    and ``sha`` are what the import read; a file that differs now is refused (:class:`Changed`)."""

    path: Path
    size: int
    sha: str


class Changed(Exception):
    """The file differs from the one the import read (it changed on disk meanwhile)."""


def _copy_file(src: FileSource, out) -> None:
    """Stream ``src`` into ``out``, checking that it is still the file that was read."""
    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(src.path, flags)
    except OSError:
        raise Changed(src.path) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise Changed(src.path)
        left = src.size + 1  # one byte more tells a file that grew
        while left > 0:
            try:
                chunk = fh.read(min(CHUNK, left))
            except OSError:
                raise Changed(src.path) from None
            if not chunk:
                break
            left -= len(chunk)
            digest.update(chunk)
            out.write(chunk)
    if left != 1 or digest.hexdigest() != src.sha:
        raise Changed(src.path)


@contextlib.contextmanager
def named_file(data: bytes, rel: str, name: str) -> Iterator[Path]:
    """The original bytes ``data`` of the copy ``rel`` as a file named ``name`` (the copy's own
    extension added when ``name`` has none) in a temporary folder, removed afterwards: the
    reader tells formats by the name."""
    suffix = Path(rel[:-3] if rel.endswith(".gz") else rel).suffix
    with tempfile.TemporaryDirectory(prefix="sferum-reread-") as tmp:
        plain = Path(tmp) / (name if Path(name).suffix else name + suffix)
        plain.write_bytes(data)
        yield plain


def read_source(src: FileSource) -> bytes:
    """The bytes of ``src`` (checked to be still the file that was read: :class:`Changed`)."""
    buf = io.BytesIO()
    _copy_file(src, buf)
    return buf.getvalue()


def _holds(path: Path, sha: str) -> bool:
    """Whether the copy at ``path`` holds the bytes whose sha256 is ``sha`` (read in chunks)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as raw:
            if path.suffix == ".gz":
                import gzip

                with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
            else:
                while chunk := raw.read(CHUNK):
                    digest.update(chunk)
    except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
        return False
    return digest.hexdigest() == sha


def unpack(stored: bytes, rel: str) -> bytes:
    """The original bytes of the copy ``rel`` from the bytes it is kept as (gzip for ``.gz``)."""
    if rel.endswith(".gz"):
        import gzip

        return gzip.decompress(stored)
    return stored


def read_blob(path: Path) -> bytes:
    """The original bytes of a kept copy."""
    return unpack(path.read_bytes(), path.name)


def write_blob(home: Path, data: bytes | FileSource, rel: str) -> bool:
    """Write the file copy atomically: temp file in the same folder, fsync, rename.  True when
    this call made the file (False: an identical copy was there already).  ``data``: the bytes,
    or a :class:`FileSource` streamed from disk (gzip-compressed on the way for a ``.gz`` copy;
    :class:`Changed` when the file is no longer the one read)."""
    final = home / rel
    folder = final.parent
    if not isinstance(data, FileSource):
        data = blob_bytes(data, rel)
    try:
        if final.exists() and (_holds(final, data.sha) if isinstance(data, FileSource)
                               else final.stat().st_size == len(data)):
            return False  # an identical copy (not one torn by a crash) is there already
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                if not isinstance(data, FileSource):
                    fh.write(data)
                elif rel.endswith(".gz"):
                    import gzip

                    with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=5, mtime=0) as gz:
                        _copy_file(data, gz)
                else:
                    _copy_file(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        fsync_dir(folder)
        remove_stale_temps(folder)
        return True
    except OSError as exc:
        raise StoreError(tr("не удаётся сохранить копию файла в {p}: {e}",
                            "cannot keep a copy of the file in {p}: {e}",
                            p=folder, e=exc.strerror or exc)) from exc


def remove_blob(home: Path, rel: str) -> None:
    try:
        (home / rel).unlink()
    except OSError:
        pass


def sweep_orphans(home: Path, referenced: set[str]) -> list[str]:
    """Remove copies that no row names and temp files of interrupted writes.  Call it only
    inside a write transaction (see the module docstring); ``referenced`` holds the relative
    paths that rows name (plus the one about to be written).  Returns what was removed."""
    root = home / BLOB_DIR
    removed: list[str] = []
    try:
        subdirs = [d for d in os.scandir(root) if d.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for sub in subdirs:
        try:
            entries = list(os.scandir(sub.path))
        except OSError:
            continue
        for entry in entries:
            rel = f"{BLOB_DIR}/{sub.name}/{entry.name}"
            if not entry.is_file(follow_symlinks=False) or rel in referenced:
                continue
            is_temp = entry.name.startswith(".tmp-") and entry.name.endswith(".part")
            if is_temp or _COPY_NAME.match(entry.name):
                try:
                    os.unlink(entry.path)
                    removed.append(rel)
                except OSError:
                    pass
    return removed


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Temp files of imports killed before their rename; anything this old is nobody's."""
    cutoff = time.time() - STALE_TMP_S
    for tmp in folder.glob(".tmp-*.part"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass
