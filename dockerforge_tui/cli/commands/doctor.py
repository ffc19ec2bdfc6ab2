"""``dockerforge doctor``: which Docker engines are there, which one DockerForge uses, and how to fix the rest.

It probes every candidate endpoint (or only the one the person named) and prints a
plain table: source, endpoint, result, latency, engine and API version; then the
endpoint in use and a fix hint per failure. ``--json`` prints the same as JSON.
``--bundle FILE.tar.gz`` also writes what a bug report needs, secrets redacted.

Exit codes: 0 when an engine answers, 3 when none does (the bundle is still written),
2 for a bad configuration or a docker context that does not exist.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tarfile
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from dockerforge_tui import __version__
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import (
    DockerForgeError, ExitCode, NotFoundError, PermissionDeniedError, UsageError,
)
from dockerforge_tui.core.platform import detect_platform
from dockerforge_tui.services.docker.endpoints import Failure

if TYPE_CHECKING:
    from dockerforge_tui.core.config import Settings
    from dockerforge_tui.core.platform.base import Platform
    from dockerforge_tui.core.redaction import Redactor
    from dockerforge_tui.services.docker.endpoints import ProbeResult

BUNDLE_LOG_LINES = 500
"""How many of the newest log lines a bundle carries."""

BUNDLE_LOG_MEMBER = "dockerforge.log"
EMPTY_CELL = "-"


@dataclass
class DoctorReport:
    """Everything doctor found; printed as text or JSON and stored in the bundle."""

    platform: "Platform"
    probes: list["ProbeResult"]
    config_files: tuple[Path, ...] = ()
    discovery_error: DockerForgeError | None = None
    bundle: Path | None = None
    engine_info: dict[str, Any] | None = None
    engine_info_error: str | None = None
    platform_summary: dict[str, str] = field(default_factory=dict)

    @property
    def chosen(self) -> "ProbeResult | None":
        """The first candidate that answered: the one every other command would use."""
        return next((result for result in self.probes if result.ok), None)

    def as_data(self) -> dict[str, Any]:
        """The report as JSON-ready data (the ``--json`` output)."""
        from dockerforge_tui.services.docker.connection import best_hint

        chosen = self.chosen
        return {
            "dockerforge_version": __version__,
            "platform": self.platform_summary,
            "config_files": [str(path) for path in self.config_files],
            "candidates": [probe_data(result) for result in self.probes],
            "using": {"url": chosen.endpoint.url, "source": chosen.endpoint.source} if chosen else None,
            "ok": chosen is not None,
            "error": self.discovery_error.message if self.discovery_error else None,
            "hint": (self.discovery_error.hint if self.discovery_error
                     else None if chosen else best_hint(self.probes)),
            "bundle": str(self.bundle) if self.bundle else None,
        }


def probe_data(result: "ProbeResult") -> dict[str, Any]:
    """One probe as JSON-ready data."""
    endpoint = result.endpoint
    return {
        "source": endpoint.source,
        "url": endpoint.url,
        "user_named": endpoint.user_named,
        "tls": None if endpoint.tls is None else {
            "verify": endpoint.tls.verify, "ca_cert": endpoint.tls.ca_cert,
            "client_cert": endpoint.tls.client_cert, "client_key": endpoint.tls.client_key,
        },
        "ok": result.ok,
        "result": "ok" if result.ok else str(result.failure or "error"),
        "latency_ms": result.latency_ms,
        "engine_version": result.engine_version,
        "api_version": result.api_version,
        "os_type": result.os_type,
        "error": result.error,
        "hint": result.hint,
    }


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` and ``--bundle``."""
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--bundle", metavar="FILE.tar.gz",
                        help="also write a bug-report bundle (versions, platform, redacted config, "
                             "engine probes and info, the last log lines)")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Probe, print, optionally bundle; exit 0 when an engine answers, else raise (exit 3)."""
    from dockerforge_tui.services.docker.connection import probe_all, unreachable_error

    loaded = ctx.config()
    settings = loaded.settings
    platform = detect_platform(env=ctx.env)
    report = DoctorReport(platform=platform, probes=[], config_files=tuple(loaded.files),
                          platform_summary=platform.describe())
    try:
        report.probes = probe_all(settings.docker, ctx.env, platform,
                                  host_source="--host" if getattr(args, "host", None) else None)
    except DockerForgeError as error:  # e.g. a chosen docker context that does not exist
        report.discovery_error = error

    if args.bundle:
        report.bundle = write_bundle(Path(args.bundle).expanduser(), report, ctx, settings)

    # Redacted like the bundle: doctor output is what people paste into bug reports.
    redactor = _redactor(settings)
    if args.json:
        print(json.dumps(redactor.redact_mapping(report.as_data()), indent=2), file=ctx.stdout)
    else:
        text = io.StringIO()
        print_text(report, text)
        print(redactor.redact(text.getvalue()), end="", file=ctx.stdout)

    if report.discovery_error is not None:
        raise report.discovery_error
    if report.chosen is None:
        raise unreachable_error(report.probes, platform)
    return int(ExitCode.OK)


# ---------------------------------------------------------------------------------------
# Text output


def _cell(value: object) -> str:
    return EMPTY_CELL if value in (None, "") else str(value)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in rows]


def print_text(report: DoctorReport, out) -> None:
    """Print the report as a plain table: no colours, stable columns."""
    summary = report.platform_summary
    print(f"DockerForge {__version__}", file=out)
    print(f"platform: {summary['os']} (init system: {summary['init_system']}), "
          f"{summary['machine']}, Python {summary['python']}", file=out)
    files = ", ".join(map(str, report.config_files)) or "packaged defaults only"
    print(f"config: {files}", file=out)
    print(file=out)
    if report.discovery_error is not None:
        print(f"error: {report.discovery_error.message}", file=out)
        if report.discovery_error.hint:
            print(f"  fix: {report.discovery_error.hint}", file=out)
        _print_bundle(report, out)
        return

    rows = [["SOURCE", "ENDPOINT", "RESULT", "LATENCY", "ENGINE", "API"]]
    for result in report.probes:
        latency = f"{result.latency_ms:.1f} ms" if result.latency_ms is not None else None
        rows.append([result.endpoint.source, result.endpoint.url,
                     "ok" if result.ok else str(result.failure or "error"),
                     _cell(latency), _cell(result.engine_version), _cell(result.api_version)])
    for line in _table(rows):
        print(line, file=out)
    print(file=out)

    chosen = report.chosen
    if chosen is not None:
        print(f"using: {chosen.endpoint.url} ({chosen.endpoint.source})", file=out)
    else:
        print("using: none (no Docker engine answered)", file=out)

    failures = [result for result in report.probes if not result.ok]
    if any(result.ok for result in report.probes):
        # With an engine in use, guessed sockets that simply don't exist are not problems.
        failures = [result for result in failures if result.failure is not Failure.NO_SOCKET]
    if failures:
        print(file=out)
        print("problems:", file=out)
        for result in failures:
            print(f"  {result.endpoint.url} ({result.endpoint.source}): {result.error}", file=out)
            if result.hint:
                print(f"    fix: {result.hint}", file=out)
    _print_bundle(report, out)


def _print_bundle(report: DoctorReport, out) -> None:
    if report.bundle is not None:
        print(file=out)
        print(f"bundle: {report.bundle}", file=out)


# ---------------------------------------------------------------------------------------
# Bug-report bundle


def _redactor(settings: "Settings") -> "Redactor":
    from dockerforge_tui.core.redaction import Redactor

    return Redactor(values=tuple(settings.redaction.values), key_patterns=tuple(settings.redaction.key_patterns))


def _config_text(report: DoctorReport, settings: "Settings", redactor: "Redactor") -> str:
    from dockerforge_tui.cli.commands.config import redacted_settings

    files = ", ".join(map(str, report.config_files)) or "none (packaged defaults only)"
    header = f"# Effective DockerForge configuration, secrets redacted.\n# Files read: {files}\n"
    body = yaml.safe_dump(redacted_settings(settings), sort_keys=False, default_flow_style=False,
                          allow_unicode=True)
    return redactor.redact(header + body)


def _engine_info(report: DoctorReport, settings: "Settings") -> None:
    """Fetch ``docker info`` from the chosen engine into the report; a failure is recorded, not raised."""
    from dockerforge_tui.services.docker.connection import EngineConnection

    chosen = report.chosen
    if chosen is None:
        return
    try:
        with EngineConnection.open(chosen, settings.docker.timeout, tuple(report.probes)) as connection:
            report.engine_info = connection.info()
    except Exception as error:  # the bundle is written whatever the engine does
        report.engine_info_error = f"{type(error).__name__}: {error}"


def log_files(log_file: Path) -> list[Path]:
    """The log file and its rotated siblings (``NAME.1`` newest ... ``NAME.N`` oldest), newest first."""
    rotated = []
    for sibling in log_file.parent.glob(log_file.name + ".*"):
        suffix = sibling.name[len(log_file.name) + 1:]
        if suffix.isdigit():
            rotated.append((int(suffix), sibling))
    return ([log_file] if log_file.is_file() else []) + [path for _, path in sorted(rotated)]


def tail_lines(files_newest_first: Iterable[Path], limit: int) -> list[str]:
    """The last ``limit`` lines across the files, oldest first."""
    collected: list[list[str]] = []
    remaining = limit
    for path in files_newest_first:
        if remaining <= 0:
            break
        try:
            with path.open(encoding="utf-8", errors="replace") as stream:
                lines = list(deque(stream, maxlen=remaining))
        except OSError:
            continue
        collected.append(lines)
        remaining -= len(lines)
    return [line for chunk in reversed(collected) for line in chunk]


def _log_text(settings: "Settings", ctx: CommandContext, redactor: "Redactor") -> str:
    log_file = Path(settings.logging.file).expanduser() if settings.logging.file else ctx.paths.log_file
    lines = tail_lines(log_files(log_file), BUNDLE_LOG_LINES)
    if not lines:
        return f"(no log lines found at {log_file})\n"
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return redactor.redact(text)


def bundle_members(report: DoctorReport, ctx: CommandContext, settings: "Settings") -> dict[str, str]:
    """The bundle's files by name, already redacted."""
    redactor = _redactor(settings)
    _engine_info(report, settings)
    version_lines = [f"dockerforge {__version__}", f"python {report.platform_summary['python']}"]
    for package in ("docker", "textual", "pydantic", "paramiko"):
        try:
            version_lines.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            version_lines.append(f"{package} not installed")
    chosen = report.chosen
    engine = {
        "using": {"url": chosen.endpoint.url, "source": chosen.endpoint.source} if chosen else None,
        "discovery_error": report.discovery_error.message if report.discovery_error else None,
        "probes": [probe_data(result) for result in report.probes],
        "info": report.engine_info,
        "info_error": report.engine_info_error,
    }
    return {
        "version.txt": "\n".join(version_lines) + "\n",
        "platform.json": json.dumps(report.platform_summary, indent=2) + "\n",
        "config.yaml": _config_text(report, settings, redactor),
        # Redacted as data, not as text: text rules would take '"Authorization": null,' for a header.
        "engine.json": json.dumps(redactor.redact_mapping(engine), indent=2, default=str) + "\n",
        BUNDLE_LOG_MEMBER: _log_text(settings, ctx, redactor),
    }


def write_bundle(target: Path, report: DoctorReport, ctx: CommandContext, settings: "Settings") -> Path:
    """Write the bundle atomically (temporary file beside it, then ``os.replace``); return its path."""
    if target.is_dir():
        raise UsageError(f"{target} is a directory", hint="give a file name, e.g. --bundle dockerforge-report.tar.gz")
    members = bundle_members(report, ctx, settings)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        descriptor, temporary_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except FileNotFoundError:
        raise NotFoundError(f"cannot write the bundle: directory {directory} does not exist",
                            hint="create it first or choose another path") from None
    except PermissionError:
        raise PermissionDeniedError(f"cannot write the bundle in {directory}: permission denied",
                                    hint="choose a directory you can write to") from None
    except OSError as error:
        raise UsageError(f"cannot write the bundle in {directory}: {error.strerror or error}",
                         hint="check the path and the free disk space") from None
    temporary = Path(temporary_name)
    now = time.time()
    try:
        with os.fdopen(descriptor, "wb") as stream:
            with tarfile.open(fileobj=stream, mode="w:gz") as archive:
                for name, text in members.items():
                    data = text.encode("utf-8")
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = len(data), now, 0o600
                    archive.addfile(info, io.BytesIO(data))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write the bundle {target}: {error.strerror or error}",
                         hint="check the path and the free disk space") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


COMMAND = Command(
    name="doctor",
    help="find Docker engines, show which one is used and how to fix the others",
    configure=configure,
    run=run,
)
