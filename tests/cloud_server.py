"""A local stand-in for cloud.mail.ru public links and plain download URLs, for the fetch tests.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, random port, in a daemon thread) that
answers the way the public web client's API does, as real clients (rclone's mailru backend,
cyberdrop-dl's crawler, the dl-cloud-mail-ru scripts) read it:

* ``GET /api/v4/public/list?weblink=W&offset=O&limit=L`` — the node itself, *not* wrapped:
  ``{"name", "weblink", "type": "folder"|"file", "kind", "count": {"folders", "files"}, "size",
  "list": [items]}``; each item ``{"name", "weblink": "W/name", "type", "kind", "size", "mtime",
  "hash", "virus_scan"}`` (folders carry ``count``).  The server caps a page at ``page_cap`` items,
  whatever ``limit`` asks for, so a client must page by ``offset``.
* ``GET /api/v2/folder?weblink=W&offset=&limit=`` — the older shape: the same node wrapped as
  ``{"email", "body": {...}, "time", "status": 200}``.
* ``GET /api/v3/dispatcher?api=3`` and ``/api/v2/dispatcher`` — ``{"body": {"weblink_get":
  [{"count": "1", "url": "<node>"}], ...}, "status": 200}``.
* ``GET <node>/<weblink>`` (``/node/weblink/get/...``) answers 302 to ``/storage/<token>/<weblink>``,
  which serves the bytes with ``Content-Length`` and (unless switched off) ``Range`` support.
* ``GET|HEAD /files/<name>`` and ``/dl/<id>`` — plain URLs (the second names the file only in
  ``Content-Disposition``).

Fault switches (``server.faults``, a :class:`Faults`) make each step misbehave: ``list``,
``dispatcher`` and ``download`` each take one of ``"timeout"``, ``"500"``, ``"404"``, ``"410"``,
``"shape"`` (a JSON answer of another shape), ``"html"`` (an HTML page), and for downloads also
``"cut"`` (the connection drops mid-body) and ``"wrong_size"`` (fewer bytes than listed, with a
consistent Content-Length).  ``times`` limits how many requests a fault hits before the server
behaves again (``None``: always).

Hostile answers (issue 10), for the same switches: ``"redirect_loop"`` (302 to itself, for ever),
``"gzip_garbage"`` (``Content-Encoding: gzip`` over bytes that are not gzip), ``"endless"`` (no
``Content-Length``, bytes until the client hangs up), ``"slow"`` (the listed length, one byte
every ``slow_every`` seconds), ``"429"`` (Too Many Requests with ``Retry-After: retry_after``)
and, for listings, ``"endless_json"`` (a JSON list that never closes).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>\xd0\x9e\xd0\xb1\xd0\xbb\xd0\xb0\xd0\xba\xd0\xbe"
             b" Mail.ru</title></head><body>Please log in</body></html>\n")


@dataclass
class Faults:
    list: str | None = None
    dispatcher: str | None = None
    download: str | None = None
    plain: str | None = None
    times: int | None = None          # how many faulty answers before the server recovers
    delay: float = 2.0                # seconds a "timeout" answer sleeps
    v4_gone: bool = False             # api/v4/public/list answers 404 (clients must use api/v2/folder)
    v3_dispatcher_gone: bool = False  # api/v3/dispatcher answers 404 (clients must use api/v2)
    ranges: bool = True               # honour Range requests
    slow_every: float = 0.25          # seconds between the bytes of a "slow" body
    target: str | None = None         # only requests whose path holds this text are hit
    retry_after: str = "1"            # the Retry-After header of a "429" answer

    def take(self, kind: str, path: str = "") -> str | None:
        fault = getattr(self, kind)
        if fault is None or (self.target is not None and self.target not in unquote(path)):
            return None
        if self.times is not None:
            if self.times <= 0:
                return None
            self.times -= 1
        return fault


@dataclass
class Node:
    name: str
    weblink: str
    kind: str                     # "file" | "folder"
    data: bytes = b""
    mtime: int = 0
    children: list[str] = field(default_factory=list)   # weblinks, in listing order


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass   # a client that gave up (timeouts, cut connections) is part of the tests


class CloudServer:
    """``with CloudServer() as cloud: cloud.add_file("AbCd/1234", "week.csv", data)``."""

    page_cap = 2

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.plain: dict[str, tuple[str, bytes, int]] = {}   # url path -> (file name, data, mtime)
        self.faults = Faults()
        self.requests: list[tuple[str, str, dict[str, str]]] = []   # (method, path, headers)
        self.stamps: list[float] = []     # time.monotonic() of each request, as in requests
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- content

    def add_folder(self, weblink: str, name: str | None = None) -> Node:
        weblink = weblink.strip("/")
        if weblink in self.nodes:
            return self.nodes[weblink]
        node = Node(name=name or weblink.rsplit("/", 1)[-1], weblink=weblink, kind="folder")
        self.nodes[weblink] = node
        parent = weblink.rsplit("/", 1)[0] if weblink.count("/") >= 2 else None
        if parent:
            self.add_folder(parent).children.append(weblink)
        return node

    def add_file(self, folder: str | None, name: str, data: bytes, mtime: int | None = None,
                 weblink: str | None = None) -> Node:
        """A file inside ``folder`` (a folder weblink), or a stand-alone published file."""
        if weblink is None:
            weblink = f"{folder.strip('/')}/{name}"
        node = Node(name=name, weblink=weblink, kind="file", data=data,
                    mtime=mtime if mtime is not None else 1682082000)
        if folder is not None:
            parent = self.add_folder(folder)
            if weblink not in parent.children:
                parent.children.append(weblink)
        self.nodes[weblink] = node
        return node

    def replace_file(self, weblink: str, data: bytes, mtime: int) -> None:
        node = self.nodes[weblink]
        node.data, node.mtime = data, mtime

    def add_plain(self, path: str, name: str, data: bytes, mtime: int = 1682082000) -> str:
        self.plain[path] = (name, data, mtime)
        return self.url + path

    # ------------------------------------------------------------- lifecycle

    def start(self) -> "CloudServer":
        handler = type("Handler", (_Handler,), {"cloud": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True,
                                        name="cloud-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "CloudServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def public_url(self, weblink: str) -> str:
        """The link as the ministry publishes it (the host is replaced by the base in every call)."""
        return f"https://cloud.mail.ru/public/{weblink}"

    def log(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, headers))
            self.stamps.append(time.monotonic())

    def downloads(self) -> list[str]:
        """Paths of the byte-serving requests seen so far."""
        return [p for m, p, _ in self.requests if m == "GET" and (
            p.startswith("/storage/") or p.startswith("/files/") or p.startswith("/dl/"))]

    # --------------------------------------------------------------- answers

    def node_json(self, node: Node, offset: int, limit: int) -> dict:
        if node.kind == "file":
            return self.item_json(node)
        children = [self.nodes[w] for w in node.children]
        page = children[offset:offset + min(limit, self.page_cap)]
        return {
            "name": node.name,
            "weblink": node.weblink,
            "type": "folder",
            "kind": "folder",
            "count": {"folders": sum(c.kind == "folder" for c in children),
                      "files": sum(c.kind == "file" for c in children)},
            "size": sum(len(c.data) for c in children),
            "list": [self.item_json(c) for c in page],
        }

    def item_json(self, node: Node) -> dict:
        if node.kind == "folder":
            kids = [self.nodes[w] for w in node.children]
            return {"name": node.name, "weblink": node.weblink, "type": "folder", "kind": "folder",
                    "count": {"folders": sum(k.kind == "folder" for k in kids),
                              "files": sum(k.kind == "file" for k in kids)},
                    "size": sum(len(k.data) for k in kids)}
        return {"name": node.name, "weblink": node.weblink, "type": "file", "kind": "file",
                "size": len(node.data), "mtime": node.mtime,
                "hash": hashlib.sha1(node.data).hexdigest().upper(), "virus_scan": "pass"}


class _Handler(BaseHTTPRequestHandler):
    cloud: CloudServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True     # headers and body go in separate writes

    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass

    # ------------------------------------------------------------- plumbing

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def _fault(self, fault: str | None) -> bool:
        """Answer with the fault if there is one; True when the request is answered."""
        if fault is None:
            return False
        if fault == "timeout":
            time.sleep(self.cloud.faults.delay)
            self._json(200, {"status": 200, "body": {}})
            return True
        if fault in ("500", "502", "503"):
            self._send(int(fault), b"<html><body>Internal Server Error</body></html>", "text/html")
            return True
        if fault in ("404", "410"):
            self._json(int(fault), {"status": int(fault), "body": {"error": "not_exists"}})
            return True
        if fault == "shape":
            self._json(200, {"result": "ok", "data": {"items": [], "cursor": None}})
            return True
        if fault == "html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
            return True
        if fault == "429":
            self._send(429, b"<html><title>\x1b]0;pwned\x07Too Many</title></html>", "text/html",
                       {"Retry-After": self.cloud.faults.retry_after})
            return True
        if fault == "redirect_loop":
            self._send(302, b"", "text/plain", {"Location": self.path})
            return True
        if fault == "gzip_garbage":
            self._send(200, bytes(range(256)) * 4, "application/octet-stream",
                       {"Content-Encoding": "gzip"})
            return True
        if fault in ("endless", "endless_json"):
            self._endless(b'{"name": "x", "type": "folder", "list": [' if fault == "endless_json"
                          else b"", b'{"name": "a", "weblink": "a", "type": "file"}, '
                          if fault == "endless_json" else b"0;1;2;3\n" * 8192)
            return True
        return False

    def _endless(self, head: bytes, piece: bytes) -> None:
        """A body with no length that goes on until the client hangs up (at most 2 GB)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if head else "text/csv")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command == "HEAD":
            return
        block = piece * max(1, 65536 // len(piece))
        try:
            self.wfile.write(head)
            for _ in range(2 * 1024 ** 3 // len(block)):
                self.wfile.write(block)
        except OSError:
            pass

    def _slow(self, data: bytes, ctype: str, headers: dict[str, str]) -> None:
        """The listed length, a byte at a time, ``slow_every`` seconds apart."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True
        if self.command == "HEAD":
            return
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(self.cloud.faults.slow_every)
        except OSError:
            pass

    # --------------------------------------------------------------- routes

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        cloud = self.cloud
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        cloud.log(self.command, self.path, dict(self.headers.items()))

        if path in ("/api/v4/public/list", "/api/v2/folder"):
            if path == "/api/v4/public/list" and cloud.faults.v4_gone:
                return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            if self._fault(cloud.faults.take("list")):
                return None
            weblink = query.get("weblink", "").strip("/")
            node = cloud.nodes.get(weblink)
            if node is None:
                return self._json(404, {"status": 404, "body": {"error": "not_exists"}})
            body = cloud.node_json(node, int(query.get("offset", 0) or 0),
                                   int(query.get("limit", 500) or 500))
            if path == "/api/v2/folder":
                body = {"email": None, "body": body, "time": int(time.time() * 1000), "status": 200}
            return self._json(200, body)

        if path in ("/api/v3/dispatcher", "/api/v2/dispatcher"):
            if path == "/api/v3/dispatcher" and cloud.faults.v3_dispatcher_gone:
                return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            if self._fault(cloud.faults.take("dispatcher")):
                return None
            node_url = cloud.url + "/node/weblink/get"
            return self._json(200, {"email": None, "status": 200, "time": int(time.time() * 1000),
                                    "body": {"weblink_get": [{"count": "1", "url": node_url}],
                                             "weblink_view": [{"count": "1", "url": node_url}],
                                             "get": [{"count": "1", "url": cloud.url + "/get"}]}})

        if path.startswith("/node/weblink/get/"):
            weblink = unquote(path[len("/node/weblink/get/"):])
            if weblink not in cloud.nodes:
                return self._json(404, {"status": 404, "body": {"error": "not_exists"}})
            token = hashlib.md5(weblink.encode()).hexdigest()[:12]
            return self._send(302, b"", "text/plain",
                              {"Location": f"/storage/{token}/{quote(weblink)}"})

        if path.startswith("/storage/"):
            weblink = unquote(path.split("/", 3)[3])
            node = cloud.nodes.get(weblink)
            if node is None or node.kind != "file":
                return self._json(404, {"status": 404, "body": {"error": "not_exists"}})
            return self._serve_bytes(node.name, node.data, node.mtime,
                                     cloud.faults.take("download", path), disposition=False)

        if path in cloud.plain:
            name, data, mtime = cloud.plain[path]
            fault = cloud.faults.take("plain", path) if self.command != "HEAD" or \
                cloud.faults.plain not in ("429", "slow") else None
            return self._serve_bytes(name, data, mtime, fault,
                                     disposition=path.startswith("/dl/"))

        return self._send(404, b"<html><body>Not Found</body></html>", "text/html")

    def _serve_bytes(self, name: str, data: bytes, mtime: int, fault: str | None,
                     disposition: bool) -> None:
        from email.utils import formatdate

        headers = {"Last-Modified": formatdate(mtime, usegmt=True)}
        if self.cloud.faults.ranges:
            headers["Accept-Ranges"] = "bytes"
        if disposition:
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        ctype = "application/octet-stream"
        if self.command == "HEAD":
            fault = None if fault in ("cut", "wrong_size") else fault
        if fault == "wrong_size":
            return self._send(200, data[: len(data) // 2], ctype, headers)
        if fault == "cut":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data[: max(1, len(data) // 2)])
            self.wfile.flush()
            self.close_connection = True
            import socket

            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if fault == "slow":
            return self._slow(data, ctype, headers)
        if self._fault(fault):
            return None
        start = 0
        rng = self.headers.get("Range")
        if rng and self.cloud.faults.ranges and rng.startswith("bytes="):
            start = int(rng[6:].split("-", 1)[0] or 0)
            if start >= len(data):
                return self._send(416, b"", ctype, {"Content-Range": f"bytes */{len(data)}"})
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return self._send(206, data[start:], ctype, headers)
        return self._send(200, data, ctype, headers)


@pytest.fixture
def cloud(monkeypatch):
    """A loopback cloud.mail.ru for one test: no proxies, short retry waits, the console and
    the CLI pointed at it (import it into a test module to use it)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SFERUM_TUI_FETCH_BACKOFF", "0.01")
    with CloudServer() as server:
        monkeypatch.setenv("SFERUM_TUI_CLOUD_BASE", server.url)
        yield server
