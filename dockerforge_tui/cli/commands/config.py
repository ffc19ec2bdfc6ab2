"""``dockerforge config path|show|validate|init``: find, inspect, check and create the config file.

``path`` never parses the file, so it works when the file is broken. ``validate`` and
``show`` raise the loader's one-line :class:`ConfigError` (exit code 2) for a bad file.
``init`` writes the packaged starter file atomically and never overwrites without ``--force``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import yaml

from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.core.config import (
    DEFAULTS_FILE,
    Settings,
    environment_overrides,
    starter_text,
    user_config_file,
)
from dockerforge_tui.core.errors import ExitCode, PermissionDeniedError, UsageError

MASK = "[REDACTED]"
"""What ``show`` prints for a ``redaction.values`` entry the redactor did not mask itself."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``path``, ``show``, ``validate`` and ``init`` actions."""
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    path = actions.add_parser("path", help="print the config file's path and which files are read",
                              description="Print the user config file's path (first line), then the "
                                          "files and environment overrides in effect. Never reads the file.")
    path.add_argument("-q", "--quiet", action="store_true", help="print the path only")

    show = actions.add_parser("show", help="print the effective configuration, secrets redacted",
                              description="Print the merged configuration (defaults < file < environment "
                                          "< flags) with secrets redacted. The YAML output is a valid config file.")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml", help="output format (default: yaml)")

    actions.add_parser("validate", help="check the configuration; exit 2 with the first problem",
                       description="Load and validate the configuration. Prints 'config OK: FILES' and exits 0, "
                                   "or prints the first problem as FILE:LINE: KEY: ... and exits 2.")

    init = actions.add_parser("init", help="write a commented starter config file",
                              description="Write a commented starter config file to the user config path "
                                          "(or --config PATH). An existing file is kept unless --force is given; "
                                          "--force saves it as NAME.bak-TIMESTAMP first.")
    init.add_argument("--force", action="store_true", help="replace an existing file (a backup is kept)")

    for action in (path, show, init, actions.choices["validate"]):
        # Accept -c/-H after the action name too; SUPPRESS keeps a value given before it.
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")
        action.add_argument("-H", "--host", default=argparse.SUPPRESS, metavar="URL",
                            help="Docker engine to use (overrides docker.host)")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    action = {"path": _run_path, "show": _run_show, "validate": _run_validate, "init": _run_init}
    return action[args.config_action](args, ctx)


def _run_path(args: argparse.Namespace, ctx: CommandContext) -> int:
    user_file = user_config_file(ctx.config_path, ctx.paths)
    print(user_file, file=ctx.stdout)
    if args.quiet:
        return int(ExitCode.OK)
    if user_file.is_file():
        print(f"reads: {DEFAULTS_FILE} (packaged defaults), {user_file}", file=ctx.stdout)
    else:
        print(f"reads: {DEFAULTS_FILE} (packaged defaults) only; {user_file} does not exist "
              "('dockerforge config init' creates it)", file=ctx.stdout)
    names = environment_overrides(ctx.env)
    if names:
        print(f"environment overrides: {', '.join(names)}", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    loaded = ctx.config()
    data = redacted_settings(loaded.settings)
    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False), file=ctx.stdout)
        return int(ExitCode.OK)
    sources = ", ".join(["packaged defaults", *map(str, loaded.files)])
    print("# Effective DockerForge configuration; secrets redacted.", file=ctx.stdout)
    print(f"# Read: {sources}", file=ctx.stdout)
    if loaded.environment:
        print(f"# Environment overrides: {', '.join(loaded.environment)}", file=ctx.stdout)
    print(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True),
          end="", file=ctx.stdout)
    return int(ExitCode.OK)


def redacted_settings(settings: Settings) -> dict[str, Any]:
    """Return ``settings`` as plain data (durations as "10s") with every secret replaced.

    The literal secrets of ``redaction.values`` are masked outright; everything else goes
    through the shared :class:`~dockerforge_tui.core.redaction.Redactor`, which also
    catches secrets inside other strings and values of secret-looking keys.
    """
    from dockerforge_tui.core.redaction import Redactor

    redactor = Redactor(settings.redaction.values, settings.redaction.key_patterns)
    data = settings.model_dump(mode="json")
    # The redactor's placeholder shows which secret was masked elsewhere in the output;
    # should it ever leave a configured secret readable, the plain mask is used instead.
    data["redaction"]["values"] = [
        masked if secret not in masked else MASK
        for secret, masked in ((secret, redactor.redact(secret)) for secret in data["redaction"]["values"])
    ]
    return redactor.redact_mapping(data)


def _run_validate(args: argparse.Namespace, ctx: CommandContext) -> int:
    loaded = ctx.config()  # raises ConfigError, which main prints as one line, exit 2
    notify = loaded.settings.notifications
    if notify.channels or notify.routes or notify.users or notify.default_channels:
        # What only the notification service knows: routes naming unknown channels, a secret in a URL.
        from dockerforge_tui.services.notify.dispatcher import check_notification_settings

        check_notification_settings(loaded.settings, loaded)
    if loaded.files:
        read = ", ".join(map(str, loaded.files))
    else:
        read = f"packaged defaults only ({loaded.user_file} does not exist)"
    suffix = f"; environment overrides: {', '.join(loaded.environment)}" if loaded.environment else ""
    print(f"config OK: {read}{suffix}", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_init(args: argparse.Namespace, ctx: CommandContext) -> int:
    target = user_config_file(ctx.config_path, ctx.paths)
    if target.is_dir():
        raise UsageError(f"{target} is a directory", hint="give the path of a file with --config")
    if target.exists() and not args.force:
        raise UsageError(
            f"{target} already exists; not overwriting it",
            hint="use 'dockerforge config init --force' to replace it (the old file is kept as "
                 f"{target.name}.bak-TIMESTAMP)",
        )
    try:
        backup = atomic_write_text(target, starter_text(), backup=True)
    except PermissionError as error:
        raise PermissionDeniedError(f"cannot write {target}: {error.strerror or error}",
                                    hint="choose a writable place with --config PATH") from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}",
                         hint="check that the directory exists and the disk has room") from None
    print(f"wrote {target}", file=ctx.stdout)
    if backup is not None:
        print(f"kept the old file as {backup}", file=ctx.stdout)
    return int(ExitCode.OK)


COMMAND = Command(
    name="config",
    help="find, show, check or create the configuration file",
    configure=configure,
    run=run,
)
