"""Finding Docker engines and asking each one, briefly, whether it is there.

Discovery follows the docker CLI's order and then looks further:

1. ``docker.host`` (``--host`` or the config file),
2. ``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``),
3. the current docker context (``docker.context``, ``DOCKER_CONTEXT`` or
   ``currentContext`` in the docker CLI's ``config.json``; ``default`` means none),
4. ``docker.extra_sockets``, then the platform's usual sockets and pipes
   (default socket, rootless, Docker Desktop, Colima, OrbStack, Rancher Desktop, Podman).

An endpoint the person named (steps 1-3) is the only candidate: DockerForge never
silently swaps it for another engine. The guesses of step 4 are tried in order.

:func:`probe` pings one endpoint with a short timeout and, when it fails, says why
and how to fix it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping
from urllib.parse import urlsplit

from dockerforge_tui.core.errors import ConfigError

if TYPE_CHECKING:
    import docker

    from dockerforge_tui.core.config.models import DockerSettings
    from dockerforge_tui.core.platform.base import Platform

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = "default"
"""The docker CLI's name for "no context": use DOCKER_HOST or the default socket."""

_FALSE_WORDS = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class TLSConfig:
    """TLS settings for a ``tcp://`` endpoint; paths are absent when the file does not exist."""

    verify: bool
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """One place a Docker engine may listen."""

    url: str
    """``unix:///path``, ``tcp://host:port``, ``ssh://user@host`` or ``npipe:////./pipe/name``."""
    source: str
    """Where the candidate came from, for people: ``--host``, ``DOCKER_HOST``, ``context colima``,
    ``default socket``, ``rootless``, ``Docker Desktop``, ``Colima``, ``Podman``..."""
    user_named: bool = False
    """True when the person chose it; such an endpoint is never replaced by another."""
    tls: TLSConfig | None = None

    @property
    def socket_path(self) -> str | None:
        """The filesystem path of a ``unix://`` endpoint, else None."""
        if self.url.startswith("unix://"):
            return self.url[len("unix://"):] or None
        return None


class Failure(StrEnum):
    """Why a probe failed, in the words the doctor table shows."""

    NO_SOCKET = "no socket"
    REFUSED = "refused"
    PERMISSION = "permission denied"
    TIMEOUT = "timeout"
    TLS = "TLS error"
    SSH = "ssh error"
    API = "API error"
    UNSUPPORTED = "unsupported"
    OTHER = "error"


@dataclass(frozen=True)
class ProbeResult:
    """What one short ping of one endpoint found."""

    endpoint: Endpoint
    ok: bool
    latency_ms: float | None = None
    """Round trip of the ping, when it answered."""
    engine_version: str | None = None
    api_version: str | None = None
    os_type: str | None = None
    """``linux`` or ``windows``: the kind of containers the engine runs."""
    error: str | None = None
    """One line: what went wrong."""
    hint: str | None = None
    """One line: how to fix it."""
    failure: Failure | None = None
    """The kind of failure, used to pick the most useful hint among several."""


# ---------------------------------------------------------------------------------------
# Discovery


def normalize_url(url: str) -> str:
    """One spelling per endpoint: a bare path becomes ``unix://PATH``; ``unix://`` paths lose doubled slashes."""
    url = url.strip()
    if url.startswith("/"):
        url = "unix://" + url
    if url.startswith("unix://"):
        path = url[len("unix://"):]
        while "//" in path:
            path = path.replace("//", "/")
        return "unix://" + path
    return url


def context_dir_name(context: str) -> str:
    """The directory the docker CLI stores a context under: the sha256 hex digest of its name."""
    return hashlib.sha256(context.encode("utf-8")).hexdigest()


def discover_endpoints(settings: "DockerSettings", env: Mapping[str, str], platform: "Platform",
                       home: Path | None = None, *, host_source: str | None = None) -> list[Endpoint]:
    """Return the engine candidates in the order to try them, without duplicate URLs.

    ``host_source`` labels ``settings.host``: pass ``"--host"`` when it came from the
    command line (the default label is ``config docker.host``). When the person named an
    endpoint the list holds only that one. Raises :class:`ConfigError` for a context that
    is selected but not in the docker CLI's context store.
    """
    home = home or platform.home(env)
    if settings.host:
        url = normalize_url(settings.host)
        tls = _tls_from_settings(url, settings, env, platform, home)
        return [Endpoint(url, host_source or "config docker.host", True, tls)]
    docker_host = env.get("DOCKER_HOST", "").strip()
    if docker_host:
        url = normalize_url(docker_host)
        return [Endpoint(url, "DOCKER_HOST", True, _tls_from_settings(url, settings, env, platform, home))]
    context = _context_endpoint(settings, env, platform, home)
    if context is not None:
        return [context]

    candidates: list[Endpoint] = []
    for extra in settings.extra_sockets:
        url = normalize_url(extra)
        candidates.append(Endpoint(url, "config docker.extra_sockets", False,
                                   _tls_from_settings(url, settings, env, platform, home)))
    for url, label in platform.known_sockets(env, home):
        candidates.append(Endpoint(normalize_url(url), label))
    unique: dict[str, Endpoint] = {}
    for candidate in candidates:
        unique.setdefault(candidate.url, candidate)
    return list(unique.values())


def _selected_context(settings: "DockerSettings", env: Mapping[str, str], config_dir: Path) -> tuple[str, str] | None:
    """The chosen context's name and who chose it, or None for the default context."""
    if settings.context:
        name, chooser = settings.context, "config docker.context"
    elif env.get("DOCKER_CONTEXT"):
        name, chooser = env["DOCKER_CONTEXT"], "DOCKER_CONTEXT"
    else:
        name, chooser = _current_context(config_dir / "config.json"), "docker context use"
    if not name or name == DEFAULT_CONTEXT:
        return None
    return name, chooser


def _current_context(config_file: Path) -> str | None:
    try:
        data = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        # The docker CLI warns and carries on without it; so do we.
        log.warning("ignoring the docker CLI's config %s: %s", config_file, error)
        return None
    value = data.get("currentContext") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _context_endpoint(settings: "DockerSettings", env: Mapping[str, str], platform: "Platform",
                      home: Path) -> Endpoint | None:
    config_dir = platform.docker_config_dir(env, home)
    selected = _selected_context(settings, env, config_dir)
    if selected is None:
        return None
    name, chooser = selected
    digest = context_dir_name(name)
    meta_file = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        docker_endpoint = meta["Endpoints"]["docker"]
        host = str(docker_endpoint["Host"])
    except FileNotFoundError:
        raise ConfigError(f"docker context {name!r} (chosen by {chooser}) does not exist: no {meta_file}",
                          hint="list contexts with 'docker context ls'; choose another with 'docker context use NAME' "
                               "or 'docker context use default'") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"docker context {name!r} is unreadable: {meta_file}: {error}",
                          hint=f"recreate it ('docker context rm {name}', then 'docker context create')") from error
    url = normalize_url(host)
    tls = None
    if url.startswith(("tcp://", "https://")):
        tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
        files = {part: tls_dir / f"{part}.pem" for part in ("ca", "cert", "key")}
        present = {part: str(path) for part, path in files.items() if path.is_file()}
        skip_verify = bool(docker_endpoint.get("SkipTLSVerify", False))
        if present or skip_verify:
            tls = _tls_config(not skip_verify, present.get("ca"), present.get("cert"), present.get("key"))
    return Endpoint(url, f"context {name}", True, tls)


def _tls_from_settings(url: str, settings: "DockerSettings", env: Mapping[str, str], platform: "Platform",
                       home: Path) -> TLSConfig | None:
    """TLS the way the docker CLI sets it up for ``-H``/``DOCKER_HOST``: only for tcp://."""
    if not url.startswith(("tcp://", "https://")):
        return None
    if settings.tls_verify is not None:
        verify = settings.tls_verify
    else:
        verify = env.get("DOCKER_TLS_VERIFY", "").strip().lower() not in _FALSE_WORDS
    cert_path = settings.cert_path or env.get("DOCKER_CERT_PATH") or None
    if not (verify or cert_path or url.startswith("https://")):
        return None
    directory = Path(cert_path).expanduser() if cert_path else platform.docker_config_dir(env, home)
    files = {part: directory / f"{part}.pem" for part in ("ca", "cert", "key")}
    present = {part: str(path) for part, path in files.items() if path.is_file()}
    return _tls_config(verify, present.get("ca"), present.get("cert"), present.get("key"))


def _tls_config(verify: bool, ca: str | None, cert: str | None, key: str | None) -> TLSConfig:
    # A client certificate is only usable with its key, and the other way round.
    if not (cert and key):
        cert = key = None
    return TLSConfig(verify=verify, ca_cert=ca, client_cert=cert, client_key=key)


# ---------------------------------------------------------------------------------------
# Probing


def api_client(endpoint: Endpoint, timeout: float, version: str | None = "auto",
               max_pool_size: int | None = None) -> docker.APIClient:
    """Open docker-py's low-level client for ``endpoint``.

    ``version="auto"`` asks the engine for its API version (one request); ssh:// goes
    through the system ``ssh`` so the person's ssh config and agent apply.
    """
    # Imported here: the SDK (requests, urllib3) costs a tenth of a second that the
    # dashboard's first frame does not need.
    import docker
    import docker.tls

    url = endpoint.url
    if url.startswith("https://"):
        url = "tcp://" + url[len("https://"):]
    tls: docker.tls.TLSConfig | bool = False
    if endpoint.tls is not None:
        client_cert = (endpoint.tls.client_cert, endpoint.tls.client_key) if endpoint.tls.client_cert else None
        verify: bool | str = endpoint.tls.verify
        tls = docker.tls.TLSConfig(client_cert=client_cert, ca_cert=endpoint.tls.ca_cert,
                                   verify=verify)
    options = {}
    if max_pool_size:
        options["max_pool_size"] = max_pool_size
    return docker.APIClient(base_url=url, timeout=timeout, tls=tls, version=version,
                            use_ssh_client=url.startswith("ssh://"), **options)


def probe(endpoint: Endpoint, timeout: float, platform: "Platform | None" = None) -> ProbeResult:
    """Ping ``endpoint`` and ask its versions, waiting at most ``timeout`` seconds per request.

    Never raises for an engine problem: the result says what failed and how to fix it.
    A missing socket file is reported without a connection attempt.
    """
    if platform is None:
        from dockerforge_tui.core.platform import detect_platform

        platform = detect_platform()
    problem = _precheck(endpoint) or _ssh_preflight(endpoint, timeout)
    if problem is not None:
        failure, error = problem
        return ProbeResult(endpoint, ok=False, error=error, failure=failure,
                           hint=hint_for(failure, endpoint, platform))
    try:
        api = api_client(endpoint, timeout=timeout)
        try:
            started = time.perf_counter()
            api.ping()
            latency_ms = (time.perf_counter() - started) * 1000
            version = api.version()
        finally:
            api.close()
    except Exception as error:  # every failure becomes a result; a probe never breaks the caller
        failure = classify_error(error, endpoint)
        return ProbeResult(endpoint, ok=False, error=describe_error(error, failure, endpoint, timeout),
                           failure=failure, hint=hint_for(failure, endpoint, platform))
    return ProbeResult(
        endpoint, ok=True, latency_ms=round(latency_ms, 2),
        engine_version=_text(version.get("Version")), api_version=_text(version.get("ApiVersion")),
        os_type=_text(version.get("Os")),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _precheck(endpoint: Endpoint) -> tuple[Failure, str] | None:
    """Failures that need no connection attempt."""
    url = endpoint.url
    scheme = url.partition("://")[0].lower()
    if scheme not in ("unix", "tcp", "ssh", "npipe", "https", "http"):
        return Failure.UNSUPPORTED, f"unsupported endpoint {url!r} (expected unix://, tcp://, ssh:// or npipe://)"
    if scheme == "npipe" and sys.platform != "win32":
        return Failure.UNSUPPORTED, "named pipes exist only on Windows"
    if scheme == "ssh" and shutil.which("ssh") is None:
        return Failure.SSH, "the ssh client is not installed (DockerForge runs the system ssh for ssh:// endpoints)"
    path = endpoint.socket_path
    if scheme == "unix":
        if not path:
            return Failure.UNSUPPORTED, f"no socket path in {url!r}"
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return Failure.NO_SOCKET, f"no socket at {path}"
        except PermissionError:
            return Failure.PERMISSION, f"permission denied reaching {path}"
        except OSError as error:
            return Failure.OTHER, f"cannot reach {path}: {error.strerror or error}"
        if not stat.S_ISSOCK(mode):
            return Failure.UNSUPPORTED, f"{path} is not a socket"
    if endpoint.tls is not None:
        for path in (endpoint.tls.ca_cert, endpoint.tls.client_cert, endpoint.tls.client_key):
            if path and not os.path.isfile(path):
                return Failure.TLS, f"TLS file {path} does not exist"
    return None


def _ssh_preflight(endpoint: Endpoint, timeout: float) -> tuple[Failure, str] | None:
    """Log in once with ``BatchMode`` so a password prompt fails at once instead of hanging.

    docker-py's ssh transport neither sets BatchMode nor keeps ssh's stderr, so without
    this a bad host or key shows up as "connection closed" and ssh's message is lost.
    """
    if not endpoint.url.startswith("ssh://"):
        return None
    destination, port = _ssh_target(endpoint.url)
    if not destination:
        return Failure.UNSUPPORTED, f"no host in {endpoint.url!r}"
    command = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, round(timeout))}"]
    if port:
        command += ["-p", str(port)]
    command += ["--", destination, "true"]
    try:
        finished = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout + 1)
    except subprocess.TimeoutExpired:
        return Failure.TIMEOUT, f"no ssh answer from {destination} within {timeout:g}s"
    except OSError as error:
        return Failure.SSH, f"cannot run ssh: {error}"
    if finished.returncode != 0:
        lines = [line.strip() for line in finished.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"ssh exited with status {finished.returncode}"
        return Failure.SSH, f"ssh to {destination} failed: {reason}"
    return None


def _ssh_target(url: str) -> tuple[str, int | None]:
    """``user@host`` (or ``host``) and the port of an ssh:// URL."""
    target = urlsplit(url)
    if not target.hostname:
        return "", None
    destination = f"{target.username}@{target.hostname}" if target.username else target.hostname
    try:
        return destination, target.port
    except ValueError:  # a port that is not a number; ssh will say so
        return destination, None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything nested in it: causes, contexts, urllib3 reasons, wrapped args."""
    stack, seen = [error], set()
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        nested.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        stack.extend(item for item in nested if isinstance(item, BaseException))


def classify_error(error: BaseException, endpoint: Endpoint | None = None) -> Failure:
    """Say which kind of failure ``error`` (from docker-py, requests or the OS) is."""
    import docker.errors
    import requests.exceptions

    causes = list(_causes(error))
    # TLS first: ssl.SSLError is an OSError whose errno is OpenSSL's code (1 reads as EPERM).
    for cause in causes:
        if isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError, docker.errors.TLSParameterError)):
            return Failure.TLS
    os_errors = [cause for cause in causes if isinstance(cause, OSError)]
    for cause in os_errors:
        if cause.errno in (errno.EACCES, errno.EPERM):
            return Failure.PERMISSION
    for cause in os_errors:
        if cause.errno in (errno.ENOENT, errno.ENOTDIR):
            return Failure.NO_SOCKET
        if cause.errno == errno.ECONNREFUSED:
            return Failure.REFUSED
    for cause in causes:
        if isinstance(cause, (TimeoutError, socket.timeout, requests.exceptions.Timeout)):
            return Failure.TIMEOUT
        if type(cause).__name__ in ("ReadTimeoutError", "ConnectTimeoutError"):  # urllib3's, not always chained
            return Failure.TIMEOUT
    for cause in causes:
        if isinstance(cause, docker.errors.APIError) and cause.response is not None:
            return Failure.API
    if endpoint is not None and endpoint.url.startswith("ssh://"):
        return Failure.SSH
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET):
            return Failure.REFUSED
    return Failure.OTHER


def describe_error(error: BaseException, failure: Failure, endpoint: Endpoint, timeout: float) -> str:
    """One line saying what went wrong, naming the socket or host."""
    where = endpoint.socket_path or endpoint.url
    if failure is Failure.PERMISSION:
        return f"permission denied on {where}"
    if failure is Failure.NO_SOCKET:
        return f"no socket at {where}"
    if failure is Failure.REFUSED:
        return f"connection refused at {where} (nothing listens there)"
    if failure is Failure.TIMEOUT:
        return f"no answer from {where} within {timeout:g}s"
    detail = _innermost_message(error)
    if failure is Failure.TLS:
        return f"TLS handshake with {where} failed: {detail}"
    if failure is Failure.SSH:
        return f"ssh connection to {where} failed: {detail}"
    if failure is Failure.API:
        return f"the engine at {where} answered with an error: {detail}"
    return f"{where}: {detail}"


def _innermost_message(error: BaseException) -> str:
    message = ""
    for cause in _causes(error):
        text = str(cause).strip()
        if text:
            message = text  # the deepest cause with something to say names the real problem
    return " ".join((message or type(error).__name__).split())[:300]


def hint_for(failure: Failure, endpoint: Endpoint, platform: "Platform") -> str:
    """How to fix a ``failure`` of ``endpoint`` on ``platform``, in one line."""
    if failure is Failure.PERMISSION:
        return platform.permission_hint()
    if failure in (Failure.NO_SOCKET, Failure.REFUSED):
        if endpoint.source.startswith("context "):
            context = endpoint.source[len("context "):]
            return (f"start the engine of docker context {context!r}, or switch with "
                    f"'docker context use default'")
        if endpoint.user_named:
            return (f"start the engine at {endpoint.url}, or change {endpoint.source} (without it DockerForge "
                    f"looks for an engine itself); for a local engine: {platform.engine_start_hint()}")
        return platform.engine_start_hint(endpoint.source)
    if failure is Failure.TIMEOUT:
        return ("the engine is slow or hung: check it (docker info) and restart it if needed, "
                "or allow longer with docker.ping_timeout")
    if failure is Failure.TLS:
        return ("check DOCKER_CERT_PATH or docker.cert_path points at the ca.pem, cert.pem and key.pem "
                "issued for this engine, and DOCKER_TLS_VERIFY or docker.tls_verify")
    if failure is Failure.SSH:
        destination, port = _ssh_target(endpoint.url)
        login = f"ssh -p {port} {destination}" if port else f"ssh {destination}"
        return (f"check '{login} docker version' works without a password prompt "
                "(key or agent login, host key known, the remote user may use Docker)")
    if failure is Failure.API:
        return "the engine is too old or too new for DockerForge: update the engine or DockerForge"
    if failure is Failure.UNSUPPORTED:
        return "use a unix://, tcp://, ssh:// or (on Windows) npipe:// endpoint"
    return f"check the engine at {endpoint.url} is running and reachable; {platform.engine_start_hint(endpoint.source)}"


def hint_for_error(error: BaseException, endpoint: Endpoint, platform: "Platform") -> str:
    """Shortcut: classify ``error`` and return its fix hint."""
    return hint_for(classify_error(error, endpoint), endpoint, platform)
