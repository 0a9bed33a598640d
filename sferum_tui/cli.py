"""Command line entry point: ``sferum-tui [global flags] COMMAND ...``.

Each command group lives in ``sferum_tui/commands/<group>.py`` and exposes
``register(subparsers, common)``; handlers receive ``(args, ctx)`` and return an exit code.
Without a command, the console opens.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sferum_tui import __version__, logs
from sferum_tui.i18n import SUPPORTED, argparse_words, get_language, set_language, tr
from sferum_tui.service.config import Paths, resolve_paths
from sferum_tui.service.errors import UserError

log = logging.getLogger(__name__)

COMMAND_MODULES = (
    "sferum_tui.commands.inspect",   # inspect
    "sferum_tui.commands.store",     # import, weeks, registry
    "sferum_tui.commands.demo",      # demo
    "sferum_tui.commands.config",    # config path|show|init
    "sferum_tui.commands.reports",   # summary, schools, history, changes, shortlist, export
    "sferum_tui.commands.fetch",     # fetch
    "sferum_tui.commands.lists",     # shortlist, export
    "sferum_tui.commands.report",    # report (the weekly meeting, packets)
    "sferum_tui.commands.completion",  # completion bash|zsh|fish
    "sferum_tui.commands.serve",     # serve (the console in a browser)
)
COMMAND_MODULE = {   # the module that registers each command: parsing one needs only its module
    "inspect": "sferum_tui.commands.inspect",
    "import": "sferum_tui.commands.store", "weeks": "sferum_tui.commands.store",
    "registry": "sferum_tui.commands.store", "store": "sferum_tui.commands.store",
    "demo": "sferum_tui.commands.demo", "config": "sferum_tui.commands.config",
    "summary": "sferum_tui.commands.reports", "schools": "sferum_tui.commands.reports",
    "history": "sferum_tui.commands.reports", "changes": "sferum_tui.commands.reports",
    "fetch": "sferum_tui.commands.fetch",
    "shortlist": "sferum_tui.commands.lists", "export": "sferum_tui.commands.lists",
    "report": "sferum_tui.commands.report", "completion": "sferum_tui.commands.completion",
    "serve": "sferum_tui.commands.serve",
}


@dataclass
class Context:
    paths: Paths
    lang: str
    demo: bool
    config_path: Path | None
    theme: str | None
    home_arg: str | None
    store_error: Exception | None = None

    def config(self):
        """The validated configuration (raises ConfigError with a one-line message)."""
        from sferum_tui.service.config import load_config

        return load_config(self.config_path or self.paths.config_file,
                           explicit=self.config_path is not None)

    def store(self):
        from sferum_tui.service.store import open_store

        if self.store_error is not None:
            raise self.store_error
        return open_store(self.paths)

    def select_store(self, flag: str | None, *, lenient: bool = False) -> None:
        """Point ``paths`` at the store chosen by ``--store``, ``SFERUM_TUI_STORE`` or the
        config's ``[store] url`` (see ``core/paths.py``).  ``lenient`` (the ``config`` command,
        which must work on a broken config): an error in the config is kept for :meth:`store`."""
        from sferum_tui.service.config import ENV_STORE, with_store

        if self.demo:
            return
        if flag or os.environ.get(ENV_STORE):
            self.paths = with_store(self.paths, flag)
            return
        try:
            cfg = self.config()
            if cfg.store.url:
                # the file that set it (the user's, else the system's): errors name it
                origin = next((f for f in reversed(cfg.files) if _store_url_in(f)), cfg.path)
                self.paths = with_store(self.paths, None, cfg.store.url, origin)
        except UserError as err:
            if not lenient:
                raise
            self.store_error = err


def _store_url_in(path: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False
    return bool(str((data.get("store") or {}).get("url") or "").strip())


GLOBAL_FLAGS = ("--home", "--store", "--demo", "--lang", "--config", "--theme", "--debug")


def _global_flags(parser, shown: bool) -> None:
    """The global flags.  In the top parser (``shown``) they are documented once, in their own
    group; each command accepts them too (after the command name) but does not list them
    again: its help ends with a line pointing to ``sferum-tui --help``."""
    hide = (lambda text: text) if shown else (lambda text: argparse.SUPPRESS)
    default = None if shown else argparse.SUPPRESS
    parser.add_argument("--home", metavar="DIR", default=default,
                        help=hide(tr("папка данных (важнее SFERUM_TUI_HOME и папки по умолчанию)",
                                     "data folder (overrides SFERUM_TUI_HOME and the platform default)")))
    parser.add_argument("--store", metavar="DIR|URL", default=default,
                        help=hide(tr("хранилище: папка, sqlite:ПУТЬ или postgresql://ПОЛЬЗОВАТЕЛЬ@СЕРВЕР/БАЗА "
                                     "(важнее SFERUM_TUI_STORE и "
                                     "[store] url; по умолчанию — папка данных)",
                                     "the store: a folder, sqlite:PATH or postgresql://USER@HOST/DATABASE "
                                     "(overrides SFERUM_TUI_STORE "
                                     "and [store] url; default: the data folder)")))
    parser.add_argument("--demo", action="store_true", default=False if shown else argparse.SUPPRESS,
                        help=hide(tr("работать с демо-хранилищем, а не со своим",
                                     "work on the demo store instead of your own")))
    parser.add_argument("--lang", choices=("ru", "en"), default=default,
                        help=hide(tr("язык интерфейса (важнее SFERUM_TUI_LANG и [ui] language)",
                                     "interface language (overrides SFERUM_TUI_LANG and [ui] language)")))
    parser.add_argument("--config", metavar="FILE", default=default,
                        help=hide(tr("файл настроек", "config file to use")))
    parser.add_argument("--theme", metavar="NAME", default=default,
                        help=hide(tr("тема консоли", "console theme")))
    parser.add_argument("--debug", action="store_true", default=False if shown else argparse.SUPPRESS,
                        help=hide(tr("отладочные сообщения в stderr (журнал пишется всегда)",
                                     "debug messages on stderr (the log file is written anyway)")))


def command_named(argv: list[str]) -> str | None:
    """The command ``argv`` names when nothing but whole global flags (and their values) come
    before it; None otherwise (no command, help, the version, an abbreviated flag...)."""
    args = iter(argv)
    for arg in args:
        if arg in ("--demo", "--debug") or arg.startswith(tuple(f + "=" for f in GLOBAL_FLAGS)):
            continue
        if arg in GLOBAL_FLAGS:
            next(args, None)
            continue
        return arg if arg in COMMAND_MODULE else None
    return None


def _walk(parser: argparse.ArgumentParser):
    """``parser`` and every command parser under it; a command with no description of its
    own takes its one-line help as the description."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, child in action.choices.items():
                if not child.description and helps.get(name):
                    text = helps[name]
                    child.description = text[:1].upper() + text[1:] + "."
            for child in dict.fromkeys(action.choices.values()):
                yield from _walk(child)


def build_parser(command: str | None = None) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser, in the language chosen (call inside :func:`sferum_tui.i18n.argparse_words`
    for argparse's own words to follow it too).  ``command``: only the module of that command
    is imported and registered (the parser parses that command as the whole one does; the
    other command modules cost ~5 ms of every start)."""
    common = argparse.ArgumentParser(add_help=False)
    _global_flags(common, shown=False)
    parser = argparse.ArgumentParser(
        prog="sferum-tui", add_help=False,
        description=tr("Еженедельный мониторинг «Сферума» / MAX в школах: консоль и команды. "
                       "Без команды открывается консоль.",
                       "Weekly monitoring of the Sferum / MAX school messaging platform: a "
                       "console and commands. Without a command, the console opens."))
    flags = parser.add_argument_group(tr("общие флаги (можно писать и после команды)",
                                         "global flags (may also follow the command)"))
    flags.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                       help=tr("показать эту справку и выйти", "show this help message and exit"))
    flags.add_argument("--version", action="version", version=f"sferum-tui {__version__}",
                       help=tr("показать версию и выйти", "show the version and exit"))
    _global_flags(flags, shown=True)
    sub = parser.add_subparsers(dest="command", metavar=tr("КОМАНДА", "COMMAND"),
                                title=tr("команды", "commands"))
    for name in COMMAND_MODULES if command is None else (COMMAND_MODULE[command],):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a group not written yet
            if exc.name == name:
                continue
            raise
        module.register(sub, common)
    epilog = tr("Общие флаги ({f}) описаны в sferum-tui --help; их можно писать и после команды.",
                "The global flags ({f}) are described in sferum-tui --help; they may also "
                "follow the command.", f=", ".join(GLOBAL_FLAGS))
    for child in _walk(parser):
        if child is not parser and not child.epilog:
            child.epilog = epilog
    return parser, common


class _Prescan(argparse.ArgumentParser):
    def error(self, message):  # never print or exit: the real parser reports usage errors
        raise ValueError(message)


def prescan(argv: list[str]) -> argparse.Namespace:
    """The global flags that decide the language, read before the parser is built (so the
    help and argparse's own messages come out in that language)."""
    pre = _Prescan(add_help=False, allow_abbrev=False)
    for flag in ("--home", "--lang", "--config"):
        pre.add_argument(flag, default=None)
    pre.add_argument("--demo", action="store_true")
    pre.add_argument("--debug", action="store_true")
    try:
        ns, _ = pre.parse_known_args(argv)
    except ValueError:
        ns = argparse.Namespace(home=None, lang=None, config=None, demo=False, debug=False)
    return ns


def choose_language(pre: argparse.Namespace) -> str:
    """``--lang``, then ``SFERUM_TUI_LANG``, then the config's ``[ui] language`` (the file
    ``--config``/``--home``/``SFERUM_TUI_HOME`` point to), then Russian.  A config that cannot
    be read chooses nothing here: the command reports it in its own words."""
    if pre.lang in SUPPORTED:
        return pre.lang
    env = os.environ.get("SFERUM_TUI_LANG")
    if env in SUPPORTED:
        return env
    try:
        from sferum_tui.service.config import load_config

        if pre.config:
            cfg = load_config(Path(pre.config).expanduser(), explicit=True)
        else:
            cfg = load_config(resolve_paths(pre.home, demo=bool(pre.demo)).config_file,
                              explicit=False)
        lang = cfg.ui.language
    except Exception:  # noqa: BLE001 - a broken config is reported by the command itself
        return "ru"
    return lang if lang in SUPPORTED else "ru"


class _TerminalText:
    """A terminal's text stream that never passes on a control character from data: every
    string written loses C0/C1 controls (but line breaks and tabs) and bidi overrides, so a name
    holding ``ESC]0;…BEL`` can neither retitle the terminal nor move its cursor.  Only wrapped
    around a terminal: a pipe or a file gets the bytes as they are (data is cleaned at import
    anyway; this is the last line of defence for what a store already held)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from sferum_tui.service.vocab import clean_text

        self._stream.write(clean_text(text, keep_newlines=True))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _guard_terminal() -> tuple:
    """Wrap standard output and error in :class:`_TerminalText` where they are terminals;
    returns the originals (the full-screen console gets them back)."""
    saved = (sys.stdout, sys.stderr)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        if tty and not isinstance(stream, _TerminalText):
            setattr(sys, name, _TerminalText(stream))
    return saved


_SAVED_STREAMS: tuple | None = None


def main(argv: list[str] | None = None) -> int:
    global _SAVED_STREAMS
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = prescan(argv)
    set_language(choose_language(pre))
    _SAVED_STREAMS = _guard_terminal()
    try:
        return _run(argv, pre)
    finally:
        sys.stdout, sys.stderr = _SAVED_STREAMS
        _SAVED_STREAMS = None


def _run(argv: list[str], pre: argparse.Namespace) -> int:
    with argparse_words():
        try:
            return _main(argv, pre)
        except KeyboardInterrupt:
            print(tr("Прервано.", "Interrupted."), file=sys.stderr)
            return 130
        except BrokenPipeError:
            return 0
        except Exception as exc:  # a bug: the traceback to the log, one line to the user
            print(f"sferum-tui: {logs.report_unexpected(exc, 'the command line')}", file=sys.stderr)
            return 1


def _main(argv: list[str], pre: argparse.Namespace) -> int:
    logs.setup(resolve_paths(pre.home, demo=bool(pre.demo)).log_dir, debug=pre.debug)
    parser, _ = build_parser(command_named(argv))
    args = parser.parse_args(argv)
    log.debug("sferum-tui %s: %s (language %s)", __version__, argv, get_language())
    try:
        paths = resolve_paths(args.home, demo=bool(args.demo))
        ctx = Context(paths=paths, lang=get_language(), demo=bool(args.demo),
                      config_path=Path(args.config).expanduser() if args.config else None,
                      theme=args.theme, home_arg=args.home)
        ctx.select_store(getattr(args, "store", None), lenient=args.command == "config")
        handler = getattr(args, "handler", None)
        if handler is None:
            return _open_console(ctx)
        return int(handler(args, ctx) or 0)
    except UserError as err:
        log.debug("user error: %s", err.message)
        print(f"sferum-tui: {err.message}", file=sys.stderr)
        return err.exit_code


def _no_terminal() -> bool:
    return not (sys.stdin.isatty() and sys.stdout.isatty())


def _open_console(ctx: Context, *, no_terminal_code: int = 2) -> int:
    """The full-screen console; with no terminal (standard input or output redirected) a
    one-line hint instead, and ``no_terminal_code``."""
    ctx.store().check()     # a damaged store file: one line here, not an error inside the console
    if _no_terminal():
        example = "sferum-tui --demo summary" if ctx.demo else "sferum-tui summary"
        print(tr("sferum-tui: консоли нужен терминал (стандартный ввод и вывод); без него "
                 "используйте команды, например: {e} (список: sferum-tui --help)",
                 "sferum-tui: the console needs a terminal (standard input and output); without "
                 "one use a command, e.g. {e} (all of them: sferum-tui --help)", e=example),
              file=sys.stderr)
        return no_terminal_code
    if _SAVED_STREAMS is not None:      # the console draws on the terminal itself
        sys.stdout, sys.stderr = _SAVED_STREAMS
    try:
        from sferum_tui.tui.app import run_console
    except ModuleNotFoundError:
        print(tr("Консоль ещё не готова; используйте команды (sferum-tui --help).",
                 "The console is not available yet; use the commands (sferum-tui --help)."))
        return 0
    return run_console(ctx)


if __name__ == "__main__":
    raise SystemExit(main())
