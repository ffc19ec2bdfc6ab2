"""Turn docker-py and transport failures into DockerForge's errors, one line naming the object.

Every call the object and action services make to the engine runs inside
:func:`engine_call`, so the UI and the CLI only ever see :class:`DockerForgeError`
subclasses: :class:`NotFoundError` for a missing object, :class:`PermissionDeniedError`
when the engine or the socket refuses us, :class:`EngineUnreachableError` when the
engine went away and :class:`DockerAPIError` for every other refusal, each with a hint
(the hints for the engine's refusals live in ``engine_error_hints.yaml``).
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Union

import docker
import docker.errors
import requests.exceptions

from dockerforge_tui.core.errors import (
    DockerAPIError, DockerForgeError, EngineUnreachableError, NotFoundError, PermissionDeniedError,
)
from dockerforge_tui.core.yaml_data import load_yaml

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.connection import EngineConnection

HINTS_FILE = Path(__file__).with_name("engine_error_hints.yaml")

ApiSource = Union[docker.APIClient, "EngineConnection"]
"""What the services accept: docker-py's low-level client or an open :class:`EngineConnection`."""


def client_of(source: Any) -> docker.APIClient:
    """The low-level client of ``source`` (an ``EngineConnection`` or a ``docker.APIClient``)."""
    api = getattr(source, "api", None)
    return api if isinstance(api, docker.APIClient) else source


@lru_cache(maxsize=1)
def _hint_rules() -> tuple[tuple[str, str], ...]:
    data = load_yaml(HINTS_FILE.read_text(encoding="utf-8")) or {}
    return tuple((str(rule["match"]).lower(), str(rule["hint"])) for rule in data.get("rules") or ())


def hint_for_engine_message(message: str) -> str | None:
    """The fix hint for one of the engine's refusal messages, or None when no rule knows it."""
    lowered = message.lower()
    for match, hint in _hint_rules():
        if match in lowered:
            return hint
    return None


def engine_message(error: docker.errors.APIError) -> str:
    """The engine's own words (``explanation``), on one line."""
    text = error.explanation or str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())


def _os_errno(error: BaseException) -> int | None:
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current.errno
        stack.extend(item for item in (current.__cause__, current.__context__, getattr(current, "reason", None),
                                       *getattr(current, "args", ())) if isinstance(item, BaseException))
    return None


def translate(error: BaseException, action: str, what: str) -> DockerForgeError:
    """The DockerForge error for ``error`` raised while doing ``action`` (a verb) to ``what`` ("container web")."""
    if isinstance(error, DockerForgeError):
        return error
    if isinstance(error, docker.errors.NotFound):
        return NotFoundError(f"cannot {action} {what}: it does not exist ({engine_message(error)})",
                             hint="it may have been removed meanwhile: refresh the list")
    if isinstance(error, docker.errors.APIError):
        message = engine_message(error)
        status = error.status_code
        if status in (401, 403) and "permission" in message.lower():
            return PermissionDeniedError(f"cannot {action} {what}: {message}",
                                         hint=hint_for_engine_message(message))
        hint = hint_for_engine_message(message)
        if hint is None and status == 409:
            hint = "the object is in a state that does not allow this: refresh and try again"
        return DockerAPIError(f"cannot {action} {what}: {message}",
                              hint=hint or "see the engine's message; 'docker events' and the engine log may say more")
    if isinstance(error, (requests.exceptions.Timeout, TimeoutError)):
        return DockerAPIError(f"cannot {action} {what}: the engine did not answer in time",
                              hint="the engine is busy or hung: check 'docker info', "
                                   "or allow longer with docker.timeout")
    code = _os_errno(error)
    if code in (errno.EACCES, errno.EPERM):
        return PermissionDeniedError(f"cannot {action} {what}: permission denied on the engine's socket",
                                     hint="add your user to the docker group, or use a rootless engine")
    if isinstance(error, (requests.exceptions.ConnectionError, ConnectionError)) or code is not None:
        return EngineUnreachableError(f"cannot {action} {what}: lost the connection to the engine ({error})",
                                      hint="check the engine is running (docker info); "
                                           "DockerForge reconnects by itself")
    return DockerAPIError(f"cannot {action} {what}: {error}",
                          hint="see the engine's message; 'docker events' and the engine log may say more")


@contextmanager
def engine_call(action: str, what: str) -> Iterator[None]:
    """Run engine requests, re-raising their failures as DockerForge errors.

    ``action`` is the verb ("stop", "remove"), ``what`` the object ("container web").
    Anything that is not a Docker, transport or OS failure (a bug) passes unchanged.
    """
    try:
        yield
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as error:
        raise translate(error, action, what) from error
