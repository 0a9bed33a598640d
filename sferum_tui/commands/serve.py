"""``sferum-tui serve [--host H] [--port P] [--read-only | --allow-write]``: the console in a
browser, through textual-serve.

textual-serve runs a small web server (aiohttp) that hands out a page with a terminal
(xterm.js, served from the package itself) and, for each browser connection, starts the
console as a subprocess and relays its screen over a websocket.  The command it starts is this
one again with a hidden ``--console-session`` flag (plus ``--read-only`` and the global flags
``--home``/``--demo``/``--lang``/``--config``/``--theme``), which opens the console on the
web driver textual-serve chose instead of asking for a terminal.

Safety.  It binds to 127.0.0.1 by default: to share it, forward the port over SSH.  A host
other than a loopback one is refused unless ``--read-only`` or ``--allow-write`` says what the
people who reach it may do.  The websocket refuses another site's page (its ``Origin`` must be
the page's own host), and a server on a loopback address answers only to loopback host names
(a page whose name was re-pointed at 127.0.0.1 — DNS rebinding — is refused).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOCAL_NAMES = ("localhost",)
APP_TITLE = "sferum-tui"


def register(sub, common) -> None:
    p = sub.add_parser(
        "serve", parents=[common],
        help=tr("открыть консоль в браузере (textual-serve)",
                "serve the console in a web browser (textual-serve)"),
        description=tr(
            "Запускает веб-сервер: каждая вкладка браузера, открытая на его адресе, получает "
            "свою консоль. По умолчанию слушает только 127.0.0.1; чтобы показать коллеге, "
            "пробросьте порт по SSH: ssh -L 8000:localhost:8000 сервер, затем откройте "
            "http://localhost:8000.",
            "Starts a web server: every browser tab opened on its address gets a console of its "
            "own. By default it listens on 127.0.0.1 only; to share it, forward the port over "
            "SSH: ssh -L 8000:localhost:8000 server, then open http://localhost:8000."))
    p.add_argument("--host", default=DEFAULT_HOST, metavar="HOST",
                   help=tr("адрес, на котором слушать (по умолчанию 127.0.0.1)",
                           "the address to listen on (default 127.0.0.1)"))
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="PORT",
                   help=tr("порт (по умолчанию 8000)", "the port (default 8000)"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--read-only", action="store_true",
                      help=tr("только просмотр: импорт, загрузка, изменение списков и запись "
                              "файлов отключены",
                              "view only: importing, fetching, changing lists and writing files "
                              "are disabled"))
    mode.add_argument("--allow-write", action="store_true",
                      help=tr("разрешить изменения при адресе, отличном от локального "
                              "(без него такой адрес требует --read-only)",
                              "allow changes on a non-local address (without it such an address "
                              "requires --read-only)"))
    # the command textual-serve runs for each browser connection (see the module docstring)
    p.add_argument("--console-session", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def _port(text: str) -> int | str:
    try:
        value = int(text)
    except ValueError:
        return f"!{text}"
    return value if 1 <= value <= 65535 else f"!{text}"


def is_local(host: str) -> bool:
    """A loopback address or ``localhost``: only this computer can connect."""
    name = host.strip().strip("[]")
    if name.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def served_command(args: argparse.Namespace, ctx: Any) -> str:
    """The shell command textual-serve starts for each browser connection."""
    import shlex
    import subprocess
    parts = [sys.executable, "-m", "sferum_tui", "serve", "--console-session"]
    if args.read_only:
        parts.append("--read-only")
    if ctx.home_arg:
        parts += ["--home", str(Path(ctx.home_arg).expanduser().resolve())]
    if ctx.demo:
        parts.append("--demo")
    if ctx.lang:
        parts += ["--lang", ctx.lang]
    if ctx.config_path:
        parts += ["--config", str(Path(ctx.config_path).resolve())]
    if ctx.theme:
        parts += ["--theme", ctx.theme]
    return subprocess.list2cmdline(parts) if os.name == "nt" else shlex.join(parts)


def run(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    if args.console_session:
        return _console_session(args, ctx)
    if isinstance(args.port, str):
        raise UserError(tr("--port: ожидается целое число от 1 до 65535, указано «{v}»",
                           "--port: expected a whole number from 1 to 65535, got “{v}”",
                           v=args.port[1:]))
    host = args.host.strip()
    if not is_local(host):
        print(tr("sferum-tui: внимание: адрес {h} доступен не только с этого компьютера; "
                 "безопаснее оставить 127.0.0.1 и пробросить порт по SSH "
                 "(ssh -L {p}:localhost:{p} сервер)",
                 "sferum-tui: warning: the address {h} is reachable from other computers; it is "
                 "safer to keep 127.0.0.1 and forward the port over SSH "
                 "(ssh -L {p}:localhost:{p} server)", h=host, p=args.port), file=sys.stderr)
        if not (args.read_only or args.allow_write):
            print(tr("sferum-tui: адрес {h} не локальный: укажите --read-only (только просмотр) "
                     "или явно --allow-write",
                     "sferum-tui: the address {h} is not local: give --read-only (view only) or, "
                     "explicitly, --allow-write", h=host), file=sys.stderr)
            return 2
    ctx.store().check()      # a damaged store: one line here, not in every browser tab
    ctx.config()             # a broken config likewise
    _pass_store_on(ctx)
    server = _make_server(served_command(args, ctx), host, args.port)
    try:
        _check_free(host, args.port)   # say it before the line that announces the address
    except OSError as exc:
        raise UserError(_cannot_listen(host, args.port, exc)) from None
    shown = f"[{host}]" if ":" in host else host
    print(tr("Консоль в браузере: http://{h}:{p}/ ({m}); Ctrl+C — остановить.",
             "The console in a browser: http://{h}:{p}/ ({m}); Ctrl+C stops it.",
             h=shown, p=args.port,
             m=tr("только просмотр", "view only") if args.read_only
             else tr("с изменениями", "changes allowed")), flush=True)
    # textual-serve takes asyncio.get_event_loop(): deprecated without a current loop since
    # Python 3.12 (an error from 3.14), so give it one
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        server.serve()
    except OSError as exc:  # the port is taken, the address is not this computer's
        raise UserError(_cannot_listen(host, args.port, exc)) from None
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return 0


def _pass_store_on(ctx: Any) -> None:
    """A store chosen with ``--store`` reaches every browser session through ``SFERUM_TUI_STORE``
    in the environment they inherit (not on their command line: a database URL may hold a
    password, and command lines are visible to every account of the server)."""
    from sferum_tui.service.config import ENV_STORE

    paths = ctx.paths
    if getattr(paths, "store_from", None) == "--store":
        os.environ[ENV_STORE] = paths.store_url or str(paths.home)


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    return tr("не удалось слушать {h}:{p}: {e}", "cannot listen on {h}:{p}: {e}",
              h=host, p=port, e=exc.strerror or exc)


def _check_free(host: str, port: int) -> None:
    """Bind the address once, as the server will (raises the ``OSError`` it would meet)."""
    import socket

    for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE):
        with socket.socket(family, kind, proto) as probe:
            if os.name != "nt":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)


def _console_session(args: argparse.Namespace, ctx: Any) -> int:
    """One browser connection's console (textual-serve set its web driver in the environment;
    standard input and output are its pipes, not a terminal)."""
    ctx.store().check()
    from sferum_tui.tui.app import run_console

    return run_console(ctx, read_only=bool(args.read_only))


def _make_server(command: str, host: str, port: int):
    import asyncio

    from aiohttp import web
    from textual_serve.server import Server

    local = is_local(host)

    class ConsoleServer(Server):
        """textual-serve's server with the page's links made from the address the browser
        used (so ``ssh -L 9000:localhost:8000`` and IPv6 work), and the two checks above."""

        def initialize_logging(self) -> None:   # the project's log (sferum_tui.logs) is enough
            pass

        async def on_startup(self, app) -> None:   # our own line is printed before serving
            pass

        async def _make_app(self):
            app = await super()._make_app()
            app.on_cleanup.append(self._collect)
            return app

        async def _collect(self, app) -> None:
            # a console that was closing when Ctrl+C came leaves its subprocess transport to
            # the garbage collector; collected after the loop closed, it prints "Exception
            # ignored ... Event loop is closed" on the way out.  Collect it while the loop runs.
            import gc

            await asyncio.sleep(0.1)
            gc.collect()

        def _refuse_foreign(self, request) -> None:
            if local and not is_local(request.url.host or ""):
                raise web.HTTPForbidden(text="sferum-tui: unexpected host name")

        async def handle_index(self, request):
            self._refuse_foreign(request)
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request):
            self._refuse_foreign(request)
            origin = request.headers.get("Origin")
            if origin and urlsplit(origin).netloc != request.host:
                raise web.HTTPForbidden(text="sferum-tui: another site's page")
            return await super().handle_websocket(request)

    return ConsoleServer(command, host=host, port=port, title=APP_TITLE)
