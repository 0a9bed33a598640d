"""Command line entry point: ``sferum-tui [global flags] COMMAND ...``.

Each command group lives in ``sferum_tui/commands/<group>.py`` and exposes
``register(subparsers, common)``; handlers receive ``(args, ctx)`` and return an exit code.
Without a command, the console opens.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sferum_tui import __version__
from sferum_tui.service.errors import UserError
from sferum_tui.service.config import Paths, resolve_paths
from sferum_tui.i18n import set_language, tr

COMMAND_MODULES = (
    "sferum_tui.commands.inspect",   # inspect
    "sferum_tui.commands.store",     # import, weeks, registry
    "sferum_tui.commands.demo",      # demo
    "sferum_tui.commands.config",    # config path|show|init
    "sferum_tui.commands.reports",   # summary, schools, history, changes, shortlist, export
    "sferum_tui.commands.fetch",     # fetch
    "sferum_tui.commands.lists",     # shortlist, export
    "sferum_tui.commands.report",    # report (the weekly meeting, packets)
)


@dataclass
class Context:
    paths: Paths
    lang: str
    demo: bool
    config_path: Path | None
    theme: str | None
    home_arg: str | None

    def config(self):
        """The validated configuration (raises ConfigError with a one-line message)."""
        from sferum_tui.service.config import load_config

        return load_config(self.config_path or self.paths.config_file,
                           explicit=self.config_path is not None)

    def store(self):
        from sferum_tui.service.store import Store

        return Store(self.paths.home)


def _global_flags(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--home", metavar="DIR", default=default,
                        help="data folder (overrides SFERUM_TUI_HOME and the platform default)")
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="work on the demo store instead of your own")
    parser.add_argument("--lang", choices=("ru", "en"), default=default, help="interface language")
    parser.add_argument("--config", metavar="FILE", default=default, help="config file to use")
    parser.add_argument("--theme", metavar="NAME", default=default, help="console theme")


def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    common = argparse.ArgumentParser(add_help=False)
    _global_flags(common, suppress=True)
    parser = argparse.ArgumentParser(
        prog="sferum-tui",
        description="Weekly monitoring console for the Sferum / MAX school messaging platform.",
    )
    parser.add_argument("--version", action="version", version=f"sferum-tui {__version__}")
    _global_flags(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a group not written yet
            if exc.name == name:
                continue
            raise
        module.register(sub, common)
    return parser, common


def _choose_language(args: argparse.Namespace) -> str:
    if getattr(args, "lang", None):
        return args.lang
    env = os.environ.get("SFERUM_TUI_LANG")
    if env in ("ru", "en"):
        return env
    return "ru"


def main(argv: list[str] | None = None) -> int:
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    set_language(_choose_language(args))
    try:
        paths = resolve_paths(args.home, demo=bool(args.demo))
        ctx = Context(paths=paths, lang=_choose_language(args), demo=bool(args.demo),
                      config_path=Path(args.config).expanduser() if args.config else None,
                      theme=args.theme, home_arg=args.home)
        if not args.lang and getattr(args, "config_preload", True):
            # the config may choose the language when no flag did
            try:
                cfg = ctx.config()
                lang = getattr(getattr(cfg, "ui", None), "language", None)
                if lang in ("ru", "en") and not os.environ.get("SFERUM_TUI_LANG"):
                    ctx.lang = set_language(lang)
            except (ImportError, AttributeError):
                pass
        handler = getattr(args, "handler", None)
        if handler is None:
            return _open_console(ctx)
        return int(handler(args, ctx) or 0)
    except UserError as err:
        print(f"sferum-tui: {err.message}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(tr("Прервано.", "Interrupted."), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _open_console(ctx: Context) -> int:
    ctx.store().check()     # a damaged store file: one line here, not an error inside the console
    try:
        from sferum_tui.tui.app import run_console
    except ModuleNotFoundError:
        print(tr("Консоль ещё не готова; используйте команды (sferum-tui --help).",
                 "The console is not available yet; use the commands (sferum-tui --help)."))
        return 0
    return run_console(ctx)


if __name__ == "__main__":
    raise SystemExit(main())
