"""``sferum-tui completion bash|zsh|fish``: a shell completion script, made by shtab from the
very parser the CLI uses (every command, flag and choice; the descriptions in the chosen
language).  Install: README, «Shell completion»."""

from __future__ import annotations

import sys

from sferum_tui.i18n import tr

SHELLS = ("bash", "zsh", "fish")


def register(sub, common) -> None:
    p = sub.add_parser(
        "completion", parents=[common],
        help=tr("скрипт автодополнения для bash, zsh или fish",
                "a shell completion script for bash, zsh or fish"),
        description=tr(
            "Печатает скрипт автодополнения команд и флагов. Например, для bash: "
            "sferum-tui completion bash > ~/.local/share/bash-completion/completions/sferum-tui",
            "Prints a completion script for the commands and flags. For bash, e.g.: "
            "sferum-tui completion bash > ~/.local/share/bash-completion/completions/sferum-tui"))
    p.add_argument("shell", choices=SHELLS, help=tr("оболочка", "the shell"))
    p.set_defaults(handler=cmd_completion)


def cmd_completion(args, ctx) -> int:
    import shtab

    from sferum_tui.cli import build_parser

    parser, _ = build_parser()
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    sys.stdout.flush()
    return 0
