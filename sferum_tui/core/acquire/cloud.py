"""cloud.mail.ru public links, read the way the public web client reads them (no login).

Only the protocol lives here: URLs to call and how to read the answers.  The I/O, retries and
error messages are in :mod:`sferum_tui.core.acquire.fetch`.

The answers, as real clients (rclone's mailru backend, cyberdrop-dl, the dl-cloud-mail-ru
scripts) see them:

* ``GET {base}/api/v4/public/list?weblink=W&offset=O&limit=L`` answers the node itself:
  ``{"name", "weblink", "type": "folder"|"file", "kind", "count": {"folders", "files"}, "size",
  "list": [{"name", "weblink", "type", "size", "mtime", "hash", ...}]}``.  A published file
  answers with a ``"type": "file"`` node and no list.
* ``GET {base}/api/v2/folder?weblink=W&offset=&limit=&api=2`` is the older shape: the same node
  wrapped as ``{"email", "body": {...}, "time", "status": 200}``.
* ``GET {base}/api/v3/dispatcher?api=3`` (older: ``api/v2/dispatcher``) answers
  ``{"body": {"weblink_get": [{"count": "...", "url": "<node>"}], ...}, "status": 200}``.
* The file is at ``<node>/<weblink>`` (the weblink URL-quoted, slashes kept); the node may
  redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_BASE = "https://cloud.mail.ru"
ENV_BASE = "SFERUM_TUI_CLOUD_BASE"
PAGE_LIMIT = 500

LIST_V4 = "api/v4/public/list"
LIST_V2 = "api/v2/folder"
DISPATCHER_V3 = "api/v3/dispatcher"
DISPATCHER_V2 = "api/v2/dispatcher"


class ShapeError(ValueError):
    """An answer that does not have the shape we know; ``str()`` says what was missing."""


@dataclass(frozen=True)
class CloudItem:
    name: str
    weblink: str
    type: str                 # "file" | "folder"
    size: int | None = None
    mtime: int | None = None  # unix seconds
    hash: str | None = None


@dataclass(frozen=True)
class CloudPage:
    node: CloudItem            # the folder (or file) asked about
    items: list[CloudItem]     # this page of its content (empty for a file)
    total: int | None          # how many items the folder holds in all, when the answer says


def is_public_link(url: str, base: str = DEFAULT_BASE) -> bool:
    """True for ``https://cloud.mail.ru/public/...`` links (or the same under ``base``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if not parts.path.startswith("/public/"):
        return False
    if host == "cloud.mail.ru" or host.endswith(".cloud.mail.ru"):
        return True
    return url.startswith(base.rstrip("/") + "/public/")


def weblink_from_url(url: str) -> str:
    """``https://cloud.mail.ru/public/GPXK/fMnpzcuWR`` → ``GPXK/fMnpzcuWR``.

    A bare weblink (``GPXK/fMnpzcuWR``) is returned as it is.  Raises ``ValueError`` when there
    is no weblink in the text.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        path = unquote(parts.path)
        marker = "/public/"
        if marker not in path:
            raise ValueError(text)
        weblink = path.split(marker, 1)[1]
    else:
        weblink = text
    weblink = weblink.strip("/")
    if not weblink:
        raise ValueError(text)
    return weblink


def list_params(weblink: str, offset: int, limit: int, version: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {"weblink": weblink, "offset": offset, "limit": limit}
    if version == 2:
        params["api"] = 2
    return params


def download_url(node_url: str, weblink: str) -> str:
    return node_url.rstrip("/") + "/" + quote(weblink, safe="/")


_INT_MAX = 2 ** 53      # sizes and unix times beyond this are not real (and overflow dates)


def _as_int(value, what: str) -> int | None:
    """A non-negative whole number from an answer (as a number or digits); ``ShapeError`` for
    anything else (a bool, a fraction, a negative or absurdly large value)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ShapeError(what)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ShapeError(what) from None
    if not 0 <= number <= _INT_MAX:
        raise ShapeError(what)
    return number


def _item(obj, where: str) -> CloudItem:
    if not isinstance(obj, dict):
        raise ShapeError(f"{where}: not an object")
    name, weblink, kind = obj.get("name"), obj.get("weblink"), obj.get("type") or obj.get("kind")
    if not isinstance(name, str) or not isinstance(weblink, str) or kind not in ("file", "folder"):
        missing = [k for k, ok in (("name", isinstance(name, str)),
                                   ("weblink", isinstance(weblink, str)),
                                   ("type", kind in ("file", "folder"))) if not ok]
        raise ShapeError(f"{where}: no {'/'.join(missing)}")
    return CloudItem(name=name, weblink=weblink.strip("/"), type=kind,
                     size=_as_int(obj.get("size"), f"{where}: size"),
                     mtime=_as_int(obj.get("mtime"), f"{where}: mtime"),
                     hash=obj.get("hash") if isinstance(obj.get("hash"), str) else None)


def _page(node_obj) -> CloudPage:
    node = _item(node_obj, "node")
    if node.type == "file":
        return CloudPage(node=node, items=[], total=0)
    raw = node_obj.get("list")
    if not isinstance(raw, list):
        raise ShapeError("folder: no list")
    items = [_item(x, f"list[{i}]") for i, x in enumerate(raw)]
    total = None
    count = node_obj.get("count")
    if isinstance(count, dict):
        files = _as_int(count.get("files"), "count.files") or 0
        folders = _as_int(count.get("folders"), "count.folders") or 0
        total = files + folders
    elif count is not None:
        total = _as_int(count, "count")
    return CloudPage(node=node, items=items, total=total)


def parse_list_v4(obj) -> CloudPage:
    """Read an ``api/v4/public/list`` answer (the node, not wrapped)."""
    if not isinstance(obj, dict):
        raise ShapeError("not a JSON object")
    if "body" in obj and "list" not in obj and "type" not in obj:
        # some deployments wrap v4 too; accept the wrapped form
        return parse_folder_v2(obj)
    return _page(obj)


def parse_folder_v2(obj) -> CloudPage:
    """Read an ``api/v2/folder`` answer (``{"body": node, "status": 200}``)."""
    if not isinstance(obj, dict):
        raise ShapeError("not a JSON object")
    body = obj.get("body")
    if not isinstance(body, dict):
        raise ShapeError("no body")
    return _page(body)


def parse_dispatcher(obj) -> str:
    """Read a dispatcher answer: the first ``body.weblink_get[].url``."""
    if not isinstance(obj, dict):
        raise ShapeError("not a JSON object")
    body = obj.get("body")
    if not isinstance(body, dict):
        raise ShapeError("no body")
    shards = body.get("weblink_get")
    if isinstance(shards, dict):          # seen in page-embedded state: a single object
        shards = [shards]
    if not isinstance(shards, list) or not shards:
        raise ShapeError("no body.weblink_get")
    first = shards[0]
    url = first.get("url") if isinstance(first, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ShapeError("no body.weblink_get[0].url")
    return url
