"""``dockerforge``: with no subcommand it opens the dashboard; otherwise it runs one command.

Errors reach the person as one line plus a hint, with the exit code of
:class:`~dockerforge_tui.core.errors.ExitCode`; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import traceback
from typing import TYPE_CHECKING, Sequence

from dockerforge_tui import __version__
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command, command_targets, discover_commands
from dockerforge_tui.core.errors import ConfigError, DockerForgeError, ExitCode, UsageError

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import Settings

log = logging.getLogger(__name__)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors share the one error path."""

    def error(self, message: str) -> "None":  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}", hint=f"run '{self.prog} --help' for usage")


def _add_common_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # Below the top level the defaults are SUPPRESS so a subcommand's parser never
    # overwrites a value given before the subcommand name.
    default = None if top_level else argparse.SUPPRESS
    flag_default = False if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("common options")
    group.add_argument("-H", "--host", default=default, metavar="URL",
                       help="Docker engine to use (unix://, tcp://, ssh://, npipe://); never swapped for another")
    group.add_argument("-c", "--config", default=default, metavar="PATH",
                       help="configuration file to use instead of the user's config.yaml")
    group.add_argument("--debug", action="store_true", default=flag_default,
                       help="show tracebacks and log at debug level")
    group.add_argument("--no-color", action="store_true", default=flag_default,
                       help="plain output without colours (NO_COLOR is honoured too)")


def build_parser(commands: dict[str, Command]) -> argparse.ArgumentParser:
    """Build the full argument parser from the registered commands."""
    parser = _ArgumentParser(
        prog="dockerforge",
        description="A terminal dashboard for Docker hosts. With no command, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"dockerforge {__version__}")
    _add_common_options(parser, top_level=True)
    dashboard = parser.add_argument_group("dashboard options")
    dashboard.add_argument("--theme", default=None, help="colour theme for the dashboard")
    dashboard.add_argument("--readonly", action="store_true", default=False,
                           help="hide and refuse every action that changes the engine")
    parser.add_argument("--report", action="store_true", default=False,
                        help="print a report instead of opening the dashboard (the 'report' command; "
                             "its options may follow, e.g. --report --format json --fail-on error)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    for name in sorted(commands):
        command = commands[name]
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        _add_common_options(sub, top_level=False)
        command.configure(sub)
    return parser


# Top-level options that take a value: the value is not a command name.
_VALUE_OPTIONS = frozenset({"-H", "--host", "-c", "--config", "--theme"})


def opens_dashboard(argv: Sequence[str]) -> bool:
    """True when ``argv`` holds only the dashboard's own options (no command, no --help or --report).

    Then no command module is imported: they pull in what the dashboard does not need
    before its first frame (about 0.2 s of the docker SDK's ssh support, the report...).
    """
    expect_value = False
    for token in argv:
        if expect_value:
            expect_value = False
        elif token in _VALUE_OPTIONS:
            expect_value = True
        elif token in ("-h", "--help", "--version", "--report") or not token.startswith("-") or token == "-":
            return False
    return True


def _report(error: DockerForgeError, stderr, debug: bool) -> None:
    if debug:
        traceback.print_exception(error, file=stderr)
    print(f"dockerforge: error: {error.message}", file=stderr)
    if error.hint:
        print(f"hint: {error.hint}", file=stderr)


def _setup_logging(ctx: CommandContext) -> None:
    """Start file logging from the config; a broken config still gets default logging."""
    from dockerforge_tui.core.config import default_settings
    from dockerforge_tui.core.log_setup import setup_logging
    from dockerforge_tui.core.redaction import Redactor

    try:
        settings = ctx.settings
    except ConfigError:
        settings = default_settings()
    try:
        setup_logging(settings.logging, ctx.paths.log_dir,
                      redactor=Redactor(settings.redaction.values, settings.redaction.key_patterns), debug=ctx.debug)
    except OSError as error:  # an unwritable log dir must not stop the tool
        print(f"dockerforge: warning: logging to a file is off: {error}", file=ctx.stderr)


def escape_delay_milliseconds(settings: "Settings") -> str:
    """``ui.escape_delay`` as Textual's ``ESCDELAY`` wants it: whole milliseconds, at least 1."""
    return str(max(1, round(settings.ui.escape_delay * 1000)))


def _run_dashboard(ctx: CommandContext) -> int:
    if getattr(ctx.args, "no_color", False):
        os.environ["NO_COLOR"] = "1"
    host_source = "--host" if getattr(ctx.args, "host", None) else None
    config = ctx.config()
    # Textual reads ESCDELAY once, when it is first imported: that happens with the app,
    # after this (see ui/driver.py for why a short delay matters).
    os.environ.setdefault("ESCDELAY", escape_delay_milliseconds(config.settings))
    from dockerforge_tui.ui.app import make_app

    app = make_app(config, paths=ctx.paths, host_source=host_source)
    app.run()
    return int(app.return_code or 0)


def main(argv: Sequence[str] | None = None, *, stdout=None, stderr=None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    dashboard = opens_dashboard(argv)
    collecting = gc.isenabled()
    if dashboard:
        # The dashboard's start allocates hundreds of thousands of long-lived objects and
        # almost no garbage (about 700 cyclic objects): without the collector's passes over
        # them it reaches its first frame about 50 ms sooner. The app freezes what it built
        # and turns the collector back on after that frame (DockerForgeApp.on_mount).
        gc.disable()
    try:
        commands = {} if dashboard else discover_commands(command_targets())
        if "report" in commands:
            from dockerforge_tui.cli.commands.report import expand_report_flag

            argv = expand_report_flag(argv, list(commands))
        args = build_parser(commands).parse_args(argv)
        ctx = CommandContext(args=args, stdout=stdout, stderr=stderr)
        _setup_logging(ctx)
        if args.command is None:
            return _run_dashboard(ctx)
        log.debug("running command %s", args.command)
        return int(commands[args.command].run(args, ctx))
    except DockerForgeError as error:
        _report(error, stderr, debug)
        return int(error.exit_code)
    except SystemExit as exit_request:  # --help and --version end the parse early
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.USAGE))
    except KeyboardInterrupt:
        print("dockerforge: interrupted", file=stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as error:  # the last line of defence: one line, not a traceback
        log.exception("internal error")
        if debug:
            traceback.print_exception(error, file=stderr)
        print(f"dockerforge: internal error: {type(error).__name__}: {error}", file=stderr)
        print("hint: rerun with --debug for the traceback; 'dockerforge doctor --bundle report.tar.gz' "
              "collects what a bug report needs", file=stderr)
        return int(ExitCode.INTERNAL)
    finally:
        if collecting:
            gc.enable()


if __name__ == "__main__":
    raise SystemExit(main())
