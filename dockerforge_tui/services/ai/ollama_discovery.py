"""Find an Ollama without configuration, list its models and pick one.

Candidates, in the order they are tried:

1. ``ai.base_urls.ollama`` (config), then ``OLLAMA_HOST``;
2. ``http://localhost:11434``;
3. running containers whose image is an Ollama image (``ollama/ollama``, ``.../ollama:tag``)
   or that expose port 11434: by the port published on the host and by the container's IP
   on each of its networks. When DockerForge itself runs in a container, the container IP
   comes first (``localhost`` is DockerForge's own container there).

A candidate answers when ``GET /api/tags`` returns Ollama's JSON; that also lists its
models. Probes use the standard library (no SDK) with a short timeout. The containers
come in as :class:`~dockerforge_tui.services.docker.states.ContainerState` records read
by the caller through the Docker service package, so this module never touches the SDK.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState

OLLAMA_PORT = 11434
LOCALHOST_URL = f"http://localhost:{OLLAMA_PORT}"
PROBE_TIMEOUT_S = 1.5
DEFAULT_MODEL = "llama3.2"


@dataclass(frozen=True)
class OllamaCandidate:
    """A URL where an Ollama may answer, and why it is tried."""

    url: str
    source: str
    """``config``, ``env OLLAMA_HOST``, ``localhost``, ``container NAME (published port)``,
    ``container NAME (IP on NETWORK)``."""
    container: str | None = None


@dataclass(frozen=True)
class OllamaEndpoint:
    """An Ollama that answered, with the models it has pulled."""

    url: str
    source: str
    container: str | None
    models: tuple[str, ...]


@dataclass(frozen=True)
class ModelChoice:
    """The model to use at an endpoint, or the one to pull first."""

    model: str | None
    """A model the endpoint has; None when the configured one must be pulled first."""
    pull: str | None
    """The model to pull (``ollama pull NAME``) when it is missing."""
    message: str


@dataclass(frozen=True)
class OllamaDiscovery:
    """What discovery found and what it tried."""

    found: tuple[OllamaEndpoint, ...]
    failed: tuple[tuple[OllamaCandidate, str], ...]
    """Candidates that did not answer as an Ollama, with the reason."""

    @property
    def best(self) -> OllamaEndpoint | None:
        """The first endpoint that answered, in candidate order."""
        return self.found[0] if self.found else None


def running_in_container(root: Path = Path("/")) -> bool:
    """True when this process runs inside a container (Docker's ``/.dockerenv``, Podman's ``/run/.containerenv``)."""
    return (root / ".dockerenv").exists() or (root / "run" / ".containerenv").exists()


def looks_like_ollama(state: "ContainerState") -> bool:
    """A running container whose image is an Ollama image or that exposes 11434/tcp."""
    if not state.is_running:
        return False
    return is_ollama_image(state.image) or any(
        port.private_port == OLLAMA_PORT and port.protocol == "tcp" for port in state.ports)


def is_ollama_image(image: str) -> bool:
    """``ollama/ollama``, ``ollama/ollama:0.5.1``, ``ghcr.io/org/ollama:rocm``, ``ollama@sha256:...``."""
    reference = image.split("@", 1)[0]
    repository = reference.rsplit("/", 1)[-1].split(":", 1)[0]
    return repository.lower() == "ollama"


def normalise_url(value: str) -> str:
    """``OLLAMA_HOST`` forms as a URL, the way the ollama client reads them.

    ``host`` and ``host:port`` get http and port 11434 by default; a URL with a scheme and
    no port gets 80 or 443; the listen addresses ``0.0.0.0`` and ``::`` mean this machine.
    """
    value = value.strip().rstrip("/")
    scheme, has_scheme, rest = value.partition("://")
    if not has_scheme:
        scheme, rest = "http", value
    hostport, slash, path = rest.partition("/")
    parts = urlsplit(f"{scheme}://{hostport}")
    host = parts.hostname or "localhost"
    if host in ("0.0.0.0", "::"):
        host = "localhost"
    port = parts.port or (OLLAMA_PORT if not has_scheme else 443 if scheme == "https" else 80)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}{slash}{path}".rstrip("/")


def container_candidates(states: Iterable["ContainerState"], *, engine_host: str | None = None,
                         in_container: bool = False) -> list[OllamaCandidate]:
    """Candidates for the running Ollama-like containers among ``states``.

    ``engine_host`` is the host name of a remote engine (``tcp://gpu:2376`` gives ``gpu``);
    published ports are reached there, else on localhost.
    """
    candidates: list[OllamaCandidate] = []
    for state in states:
        if not looks_like_ollama(state):
            continue
        published = [OllamaCandidate(f"http://{_published_host(port.host_ip, engine_host)}:{port.public_port}",
                                     f"container {state.name} (published port {port.public_port})", state.name)
                     for port in state.published_ports if port.private_port == OLLAMA_PORT and port.protocol == "tcp"]
        by_ip = [OllamaCandidate(f"http://{attachment.ip_address}:{OLLAMA_PORT}",
                                 f"container {state.name} (IP on {attachment.network})", state.name)
                 for attachment in state.networks if attachment.ip_address]
        candidates.extend(by_ip + published if in_container else published + by_ip)
    return candidates


def _published_host(host_ip: str | None, engine_host: str | None) -> str:
    if engine_host and engine_host not in ("localhost", "127.0.0.1"):
        return engine_host
    if host_ip and host_ip not in ("0.0.0.0", "::", ""):
        return f"[{host_ip}]" if ":" in host_ip else host_ip
    return "127.0.0.1"


def candidates_for(*, configured_url: str | None = None, env: Mapping[str, str] | None = None,
                   containers: Iterable["ContainerState"] = (), engine_host: str | None = None,
                   in_container: bool | None = None) -> list[OllamaCandidate]:
    """Every candidate in the order it is tried, each URL once."""
    env = os.environ if env is None else env
    inside = running_in_container() if in_container is None else in_container
    listed: list[OllamaCandidate] = []
    if configured_url:
        listed.append(OllamaCandidate(normalise_url(configured_url), "config ai.base_urls.ollama"))
    if env.get("OLLAMA_HOST"):
        listed.append(OllamaCandidate(normalise_url(env["OLLAMA_HOST"]), "env OLLAMA_HOST"))
    listed.append(OllamaCandidate(LOCALHOST_URL, "localhost"))
    listed.extend(container_candidates(containers, engine_host=engine_host, in_container=inside))
    seen: set[str] = set()
    unique = []
    for candidate in listed:
        if candidate.url not in seen:
            seen.add(candidate.url)
            unique.append(candidate)
    return unique


class NotOllamaError(Exception):
    """A candidate answered, but not as an Ollama, or did not answer."""


def probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> tuple[str, ...]:
    """The models an Ollama at ``url`` has (``GET /api/tags``); raises :class:`NotOllamaError`."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/tags", timeout=timeout) as response:  # noqa: S310
            payload = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as error:
        raise NotOllamaError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise NotOllamaError(str(reason) or type(reason).__name__) from None
    except ValueError:
        raise NotOllamaError("answered, but not with Ollama's JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("models"), list):
        raise NotOllamaError("answered, but without Ollama's model list")
    return tuple(str(model.get("model") or model.get("name")) for model in payload["models"]
                 if isinstance(model, dict) and (model.get("model") or model.get("name")))


def discover_ollama(candidates: Sequence[OllamaCandidate], *, first_only: bool = True,
                    prober: Callable[[str], tuple[str, ...]] = probe) -> OllamaDiscovery:
    """Probe ``candidates`` in order; stop at the first Ollama unless ``first_only`` is false."""
    found: list[OllamaEndpoint] = []
    failed: list[tuple[OllamaCandidate, str]] = []
    for candidate in candidates:
        try:
            models = prober(candidate.url)
        except NotOllamaError as error:
            failed.append((candidate, str(error)))
            continue
        found.append(OllamaEndpoint(candidate.url, candidate.source, candidate.container, models))
        if first_only:
            break
    return OllamaDiscovery(tuple(found), tuple(failed))


def choose_model(models: Sequence[str], configured: str | None) -> ModelChoice:
    """The configured model if the endpoint has it (``llama3.2`` matches ``llama3.2:latest``), else what to pull."""
    wanted = configured or DEFAULT_MODEL
    for model in models:
        if model == wanted or model == f"{wanted}:latest" or (":" not in model and f"{model}:latest" == wanted):
            return ModelChoice(model, None, f"using {model}")
    if not configured and models:
        return ModelChoice(models[0], None, f"no model configured; using {models[0]}")
    others = f"; it has {', '.join(models)} (set ai.models.ollama to use one)" if models else "; it has no models"
    return ModelChoice(None, wanted, f"{wanted} is not pulled: run 'ollama pull {wanted}'{others}")


def ollama_containers(source: object, labels: tuple[str, ...] = ()) -> tuple["ContainerState", ...]:
    """The running containers of an engine (an ``EngineConnection``) that look like an Ollama, inspected.

    One list request finds them (``labels`` narrows it, for tests); only those are inspected.
    """
    from dockerforge_tui.services.docker.api_errors import client_of, engine_call
    from dockerforge_tui.services.docker.container_scope import ContainerScope, read_scope_states
    from dockerforge_tui.services.docker.containers import list_containers

    api = client_of(source)
    with engine_call("list", "containers"):
        summaries = list_containers(api)
    wanted = set(labels)
    ids = tuple(summary.id for summary in summaries if summary.is_running
                and wanted <= {f"{key}={value}" for key, value in summary.labels} | {key for key, _ in summary.labels}
                and (is_ollama_image(summary.image)
                     or any(port.private_port == OLLAMA_PORT and port.protocol == "tcp" for port in summary.ports)))
    if not ids:
        return ()
    return tuple(state for state in read_scope_states(source, ContainerScope(names=ids)) if looks_like_ollama(state))


def engine_host_of(url: str | None) -> str | None:
    """The host name of a TCP or SSH engine URL (``tcp://gpu:2376`` gives ``gpu``); None for a local socket."""
    if not url or not url.startswith(("tcp://", "ssh://", "http://", "https://")):
        return None
    return urlsplit(url).hostname
