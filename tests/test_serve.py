"""``sferum-tui serve``: the console in a browser through textual-serve.

The server runs as the user runs it (the real CLI in a subprocess, on a free loopback port);
the page, its assets and the websocket that carries a console are fetched over real HTTP.  The
read-only console is the app ``sferum-tui serve --read-only`` runs for each browser tab
(``make_app(..., read_only=True)``, what ``run_console(ctx, read_only=True)`` builds), driven
with Pilot."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sferum_tui.cli import main
from sferum_tui.tui.main_screen import MainScreen

from tui_support import (
    GOOD,
    NOW,
    build_console_home,
    make_context,
    record_notices,
    wait_for,
    wait_ready,
)

READ_ONLY = "только для чтения"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, *flags: str, store: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    chosen = ["--store", str(store)] if store is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "sferum_tui", "--home", str(home), *chosen, "serve", "--port",
         str(port), *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not start listening in time")


def stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.terminate()
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


async def first_screen_bytes(url: str, origin: str, limit: int = 4000,
                             into: bytearray | None = None) -> int:
    """Open the page's websocket as the page does and count what the console sends (kept in
    ``into`` when given)."""
    import aiohttp

    total = 0
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, headers={"Origin": origin}) as ws:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while total < limit and loop.time() < deadline:
                msg = await asyncio.wait_for(ws.receive(), timeout=deadline - loop.time())
                if msg.type == aiohttp.WSMsgType.BINARY:
                    total += len(msg.data)
                    if into is not None:
                        into += msg.data
                elif msg.type != aiohttp.WSMsgType.TEXT:
                    break
    return total


def test_serve_gives_the_console_page_and_a_console_over_its_websocket(tmp_path, capsys):
    home = tmp_path / "home"        # a first run: the console opens on its welcome screen
    proc, base = start_server(home)
    try:
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200
        html = page.text
        assert "sferum-tui" in html                        # the app's name on textual-serve's page
        assert "textual-terminal" in html and "js/textual.js" in html
        ws = re.search(r'data-session-websocket-url="([^"]+)"', html).group(1)
        assert ws == base.replace("http:", "ws:") + "/ws"
        # every asset the page loads comes from our own process, but one web font (a CDN
        # stylesheet in textual-serve's page; offline the browser's monospace font is used)
        links = re.findall(r'(?:href|src)="([^"]+)"', html)
        external = {httpx.URL(u).host for u in links if not u.startswith(base)}
        assert external == {"fonts.googleapis.com"}
        for url in links:
            if url.startswith(base):
                assert httpx.get(url, timeout=10).status_code == 200, url
        # another site's page may not open a console, nor a name re-pointed at 127.0.0.1
        assert httpx.get(base + "/ws", headers={"Origin": "http://evil.example"},
                         timeout=10).status_code == 403
        assert httpx.get(base + "/", headers={"Host": "evil.example"},
                         timeout=10).status_code == 403
        # the page's own websocket starts a console and its screen arrives
        sent = asyncio.run(first_screen_bytes(ws + "?width=100&height=30", base))
        assert sent >= 4000
        # a second server on the same port: one line, exit 1
        assert main(["--home", str(home), "serve", "--port", base.rsplit(":", 1)[1]]) == 1
        taken = capsys.readouterr()
        assert taken.out == "" and taken.err.startswith("sferum-tui: не удалось слушать 127.0.0.1:")
        assert len(taken.err.strip().splitlines()) == 1
    finally:
        code, out, err = stop(proc)
    assert "http://127.0.0.1:" in out and "Ctrl+C" in out
    assert "Traceback" not in err


def test_a_non_local_host_needs_read_only_or_allow_write(tmp_path, capsys):
    code = main(["--home", str(tmp_path / "home"), "serve", "--host", "0.0.0.0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 2
    assert "внимание" in err[0] and "ssh -L 8000:localhost:8000" in err[0]
    assert "--read-only" in err[1] and "--allow-write" in err[1]
    assert main(["--home", str(tmp_path / "home"), "serve", "--port", "0"]) == 1
    assert "--port" in capsys.readouterr().err


async def test_the_read_only_console_refuses_to_write(tmp_path, store_dump):
    from sferum_tui.tui.app import make_app

    home = build_console_home(tmp_path)
    assert main(["--home", str(home), "shortlist", "add", "Рассылка", GOOD]) == 0
    before = store_dump(home)
    app = make_app(make_context(home), now=lambda: NOW, poll_seconds=0.2, ui_state=False,
                   read_only=True)
    notices = record_notices(app)
    async with app.run_test(size=(120, 30)) as pilot:
        main_screen = await wait_ready(pilot)
        notices.clear()
        for key in ("space", "ctrl+o", "f", "e"):   # mark, import, fetch, export
            await pilot.press(key)
            await pilot.pause(0.05)
            assert isinstance(app.screen, MainScreen), key
            assert len(notices) == 1 and READ_ONLY in notices[0], (key, notices)
            notices.clear()
        assert len(main_screen.marks) == 1                # only the list made beforehand
        await pilot.press("enter")                         # a school: space marks it there
        await wait_for(pilot, lambda: getattr(app.screen, "data", None) is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: bool(notices))
        assert type(app.screen).__name__ == "SchoolScreen"
        assert len(notices) == 1 and READ_ONLY in notices[0], notices
        notices.clear()
        await pilot.press("escape", "l")                   # the list: x removes a member
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ShortlistScreen"
                       and getattr(app.screen, "data", None) is not None)
        await pilot.press("x")
        await wait_for(pilot, lambda: bool(notices))
        assert len(notices) == 1 and READ_ONLY in notices[0], notices
        await pilot.pause(0.2)
    assert store_dump(home) == before
    with pytest.raises(Exception, match=READ_ONLY):   # the facade refuses too
        app.api.toggle_marks([1])


def test_a_store_chosen_with_store_is_the_one_every_browser_session_opens(tmp_path):
    from store_support import W1, WEEK, week_file

    team = tmp_path / "team"
    assert main(["--home", str(tmp_path / "svc"), "--store", str(team), "import",
                 str(week_file(tmp_path / "w1.csv", W1))]) == 0
    proc, base = start_server(tmp_path / "me", store=team)
    try:
        html = httpx.get(base + "/", timeout=10).text
        ws = re.search(r'data-session-websocket-url="([^"]+)"', html).group(1)
        screen = bytearray()
        asyncio.run(first_screen_bytes(ws + "?width=120&height=30", base, limit=20000, into=screen))
        text = screen.decode("utf-8", "replace")
        assert WEEK[0][2] in text                      # a school of the team's week, not welcome
        assert "Хранилище пока пустое" not in text
    finally:
        stop(proc)
