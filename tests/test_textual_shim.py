"""The console touches Textual's private binding attributes only in ``tui/bindings_shim.py``.

These tests fail loudly when a Textual release changes what the shim relies on (a node's own
``_bindings`` copy, the class's ``_merged_bindings``, ``App._keymap``), checked through what a
user sees: the keys that work, and the labels in the Footer.  And they keep the rule that no
other console module reaches those attributes or declares its own ``BINDINGS``.
"""

from __future__ import annotations

import re
from pathlib import Path

import textual
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from sferum_tui.i18n import set_language
from sferum_tui.tui.bindings_shim import app_keymap, node_bindings, set_bindings
from sferum_tui.tui.help import KEYS, WHERE, bindings, known_binding_ids

TUI = Path(__file__).resolve().parent.parent / "sferum_tui" / "tui"
BROKEN = (f"Textual {textual.__version__} changed the binding internals that "
          "sferum_tui/tui/bindings_shim.py relies on: read its docstring and adapt it")


class _Screen(Screen):
    BINDINGS = [Binding("end", "class_end", "Class end")]  # a base class's key, overridden

    def __init__(self) -> None:
        super().__init__()
        self.done: list[str] = []
        set_bindings(self, [Binding("x", "hit('x')", "Old label", id="probe.hit"),
                            Binding("end", "hit('end')", "End", id="probe.end")])

    def compose(self) -> ComposeResult:
        yield Footer()

    def action_hit(self, what: str) -> None:
        self.done.append(what)

    def action_class_end(self) -> None:
        self.done.append("class end")


class _App(App):
    def on_mount(self) -> None:
        self.push_screen(_Screen())


def _footer_labels(screen: Screen) -> set[str]:
    return {str(key.description) for key in screen.query(FooterKey)}


async def _footer_shows(pilot, screen: Screen, label: str) -> bool:
    """Whether the Footer comes to show ``label`` (it recomposes a moment after a change)."""
    for _ in range(100):
        if label in _footer_labels(screen):
            return True
        await pilot.pause(0.05)
    return False


def test_the_internals_the_shim_uses_exist():
    assert hasattr(DOMNode, "_merged_bindings"), BROKEN
    node = DOMNode()
    assert isinstance(node._bindings, BindingsMap), BROKEN
    assert isinstance(node._bindings.key_to_bindings, dict), BROKEN
    assert isinstance(App()._keymap, dict), BROKEN


async def test_swapped_bindings_work_and_the_footer_follows():
    app = _App()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, _Screen)
        assert {b.id for b in node_bindings(screen)} >= {"probe.hit", "probe.end"}, BROKEN
        assert "x" in app.active_bindings, BROKEN
        assert await _footer_shows(pilot, screen, "Old label"), BROKEN

        await pilot.press("x", "end")
        assert screen.done == ["x", "end"], BROKEN  # the shim's `end` replaced the class's

        # a language switch: the same node gets new labels at run time
        set_bindings(screen, [Binding("x", "hit('x')", "New label", id="probe.hit")])
        screen.refresh_bindings()
        await pilot.pause()
        assert app.active_bindings["x"].binding.description == "New label", BROKEN
        assert await _footer_shows(pilot, screen, "New label"), BROKEN
        assert "Old label" not in _footer_labels(screen), BROKEN

        # the config's [keys]: Textual's public keymap remaps by id, the shim reads it back
        app.set_keymap({"probe.hit": "z"})
        await pilot.pause()
        assert app_keymap(app) == {"probe.hit": "z"}, BROKEN
        await pilot.press("z")
        assert screen.done[-1] == "x", BROKEN


def test_every_key_has_a_place_and_every_place_builds():
    assert {k.screen for k in KEYS} <= set(WHERE)
    ids = [k.id for k in KEYS]
    assert len(ids) == len(set(ids)) == len(known_binding_ids())
    set_language("en")
    try:
        for screen in WHERE:
            for binding in bindings(screen):
                assert binding.id in known_binding_ids() and binding.description
    finally:
        set_language("ru")


def test_no_other_console_module_touches_the_internals_or_declares_bindings():
    offenders = []
    for path in sorted(TUI.glob("*.py")):
        if path.name == "bindings_shim.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\._bindings\b", r"_merged_bindings", r"\._keymap\b", r"^\s+BINDINGS\s*[:=]",
                        r"\bBinding\(\s*\""):
            if re.search(pattern, text, flags=re.MULTILINE):
                offenders.append(f"{path.name}: {pattern}")
    assert not offenders, "keys belong in help.KEYS and internals in bindings_shim: " + ", ".join(offenders)
