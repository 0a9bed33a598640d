"""The one place the console touches Textual's private binding attributes.

Why this is needed at all:

* Textual builds a class's bindings from its ``BINDINGS`` when the class is created, i.e. when
  the module is imported — before ``--lang`` (or the palette's language switch) is known.  The
  Footer shows ``Binding.description``, so descriptions fixed at import would stay in one
  language.
* The console's keys are data (:data:`sferum_tui.tui.help.KEYS`), one table for every screen and
  widget.  Each node gets its bindings from it when it is made, in the language of that moment,
  and a language switch rebuilds them.

Textual (8.x) has no public per-instance setter for bindings: ``App.bind`` only adds to the
app, and ``App.set_keymap`` remaps keys by binding id but cannot change descriptions.  Each
``DOMNode`` holds its own copy of its class's merged bindings in ``_bindings`` (made in
``DOMNode.__init__`` from the class attribute ``_merged_bindings``), and every binding lookup,
the Footer and ``active_bindings`` read that copy, with the app's keymap applied on top.
So the shim:

* :func:`set_bindings` — replaces a node's copy with its class's bindings (Tab, Ctrl+C, an
  ``Input``'s editing keys …) merged with the given ones;
* :func:`node_bindings` — lists the bindings a node holds now;
* :func:`app_keymap` — the keymap set with ``App.set_keymap`` (Textual keeps it in
  ``App._keymap`` and has no getter); the help and the chip line show the keys as remapped.

Public API is used for the rest (``refresh_bindings``, ``set_keymap``, ``active_bindings``).
``tests/test_textual_shim.py`` fails loudly when a Textual release changes these internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingsMap

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

__all__ = ["set_bindings", "node_bindings", "app_keymap"]


def set_bindings(node: "DOMNode", bindings: Iterable[Binding]) -> None:
    """Give ``node`` its class's own bindings with ``bindings`` over them, as if they were the
    class's ``BINDINGS``: a key bound here replaces what the base classes bind to it (a table's
    ``end`` goes to its last row, not to ``ScrollView``'s scroll), other keys stay.

    Call it from ``__init__`` (before the node is mounted), or at run time followed by
    ``node.refresh_bindings()`` so the Footer shows the change.
    """
    merged = type(node)._merged_bindings
    keys = dict(merged.key_to_bindings) if merged is not None else {}
    keys.update(BindingsMap(list(bindings)).key_to_bindings)
    node._bindings = BindingsMap.from_keys(keys)


def node_bindings(node: "DOMNode") -> list[Binding]:
    """The bindings ``node`` holds now (before the app's keymap is applied)."""
    return [binding for _key, binding in node._bindings]


def app_keymap(app: "App | None") -> dict[str, str]:
    """The binding id → keys map set with ``App.set_keymap`` (empty when there is no app)."""
    if app is None:
        return {}
    return dict(app._keymap)
