"""``sferum-tui config path|show|init``: where the config is, what is in effect, a commented start."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "config", parents=[common],
        help=tr("файл настроек: path | show | init", "the config file: path | show | init"),
        description=tr("Файл настроек sferum-tui (TOML).", "The sferum-tui configuration file (TOML)."),
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    p = actions.add_parser("path", parents=[common],
                           help=tr("путь к используемому файлу настроек", "print the config file path in use"))
    # `path` and `init` must work even when the file is broken or not there yet
    p.set_defaults(handler=_path)

    s = actions.add_parser("show", parents=[common],
                           help=tr("действующие настройки (с учётом значений по умолчанию)",
                                   "the effective configuration, defaults included"))
    s.add_argument("--json", action="store_true", help=tr("вывести JSON", "print JSON"))
    s.set_defaults(handler=_show)

    i = actions.add_parser("init", parents=[common],
                           help=tr("записать файл настроек с комментариями", "write a commented config file"))
    i.add_argument("--force", action="store_true",
                   help=tr("перезаписать существующий файл (старый сохраняется как .bak)",
                           "overwrite an existing file (the old one is kept as .bak)"))
    i.set_defaults(handler=_init)


def config_file(ctx) -> Path:
    """The config file in use: ``--config FILE``, else the home/platform default."""
    return ctx.config_path or ctx.paths.config_file


def _path(args, ctx) -> int:
    path = config_file(ctx)
    print(path)
    if not path.exists():
        print(tr("(файла ещё нет — действуют значения по умолчанию; создать: sferum-tui config init)",
                 "(no file yet, the defaults apply; create it with: sferum-tui config init)"),
              file=sys.stderr)
    return 0


def _show(args, ctx) -> int:
    cfg = ctx.config()
    path = config_file(ctx)
    if args.json:
        data = {"file": str(path), "file_exists": bool(cfg.exists)}
        data.update(cfg.to_dict())
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if cfg.exists:
        print(tr("# Действующие настройки из {p} (с учётом значений по умолчанию)",
                 "# Effective configuration from {p} (defaults included)", p=path))
    else:
        print(tr("# Файла {p} нет: действуют значения по умолчанию",
                 "# {p} does not exist: these are the defaults", p=path))
    from sferum_tui.service.config import ENV_CLOUD_BASE

    if os.environ.get(ENV_CLOUD_BASE):
        print(tr("# fetch.cloud_base задан переменной {e}", "# fetch.cloud_base comes from {e}",
                 e=ENV_CLOUD_BASE))
    print()
    sys.stdout.write(cfg.to_toml())
    return 0


def _init(args, ctx) -> int:
    from sferum_tui.service.config import default_config_text

    path = config_file(ctx)
    if path.is_dir():
        raise UserError(tr("{p}: это папка, а не файл", "{p}: this is a folder, not a file", p=path))
    backup = None
    if path.exists():
        if not args.force:
            raise UserError(tr("{p} уже существует; чтобы заменить его, добавьте --force",
                               "{p} already exists; add --force to overwrite it", p=path))
        backup = path.with_name(path.name + ".bak")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(default_config_text(), encoding="utf-8")
        if backup is not None:
            shutil.copy2(path, backup)
        os.replace(tmp, path)  # atomic: the file is either the old one or the new one
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(tr("не удалось записать {p}: {e}", "cannot write {p}: {e}",
                           p=path, e=err.strerror or err)) from None
    print(tr("Записан файл настроек: {p}", "Wrote the config file: {p}", p=path))
    if backup is not None:
        print(tr("Прежний файл сохранён как {b}", "The previous file is kept as {b}", b=backup))
    return 0
