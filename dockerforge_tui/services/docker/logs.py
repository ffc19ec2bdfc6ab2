"""Read container logs from the engine, fast: the multiplexed (or TTY) stream split into lines.

:func:`stream_container_logs` opens one log request and returns a :class:`LogStream`,
a closable iterator of raw ``(stream_name, line)`` pairs (``line`` is bytes without its
newline, still starting with the engine's timestamp when ``timestamps=True``).

Why not docker-py's ``logs(stream=True)``: it reads every frame with two small reads
through urllib3's chunked-transfer decoder, and the engine sends one HTTP chunk per
line; merely iterating it took about three times the CPU per line of this reader (see
docs/PERFORMANCE.md, "Log collection"). On a unix socket (and
plain ``tcp://``) this module sends the request itself as HTTP/1.0, for which the engine
writes the bare multiplexed stream (no chunk framing) until it closes the connection,
reads it in large blocks and splits the frames itself (benchmarks/bench_collector.py
measures both). TLS and ssh endpoints go through docker-py's session, still with our
frame splitter.

The stream reassembles lines the engine split into several messages (lines longer than
16 KB arrive as partial messages, each with its own timestamp prefix), strips ``\\r`` of
``\\r\\n`` line ends, and never decodes: the caller decodes what it keeps.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Protocol, Sequence
from urllib.parse import urlencode, urlsplit

import docker.errors
import requests.exceptions
import urllib3.exceptions
from docker.types import CancellableStream

from dockerforge_tui.core.errors import DockerAPIError, DockerForgeError, EngineUnreachableError, NotFoundError
from dockerforge_tui.services.docker.models import ContainerEvent, parse_engine_time

log = logging.getLogger(__name__)

RawLine = tuple[str, bytes]
"""``(stream_name, line)``: ``"stdout"`` or ``"stderr"``, and the line's bytes without its newline."""

STREAM_NAMES = ("stdout", "stdout", "stderr")
"""Frame stream ids 0 (stdin, which the engine never sends in logs), 1 and 2, by name."""
SYSTEM_ERROR_STREAM = 3
"""Frame id of an error the engine writes into the stream itself."""

READ_SIZE = 1 << 20
"""Bytes asked for per read: large, so that a busy stream costs few system calls."""
MAX_LINE_BYTES = 4 << 20
"""A line longer than this is cut into pieces, so one runaway writer cannot exhaust memory."""
NAP_BELOW = 16 << 10
NAP_SECONDS = 0.0005
"""After a read shorter than ``NAP_BELOW``, wait this long before the next one.

The engine writes (and flushes) one frame per line, so a reader that keeps up gets one
line per system call and takes CPU the engine needs to produce the lines. A short nap
lets a few hundred lines gather (213,000 -> 313,000 lines/s in the benchmark); it delays
a quiet stream by half a millisecond. Much longer naps fill the socket's send buffer and
stall the engine."""
PARTIAL_FRAGMENT_BYTES = 16 << 10
"""The engine splits longer lines into messages of this size (json-file and local drivers)."""
HEAD_LIMIT = 64 << 10
"""Most bytes of HTTP response headers accepted on the raw-socket path."""


@dataclass(frozen=True)
class LogSource:
    """A container whose logs can be followed, from the engine's list call."""

    id: str
    name: str
    state: str
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def running(self) -> bool:
        """True while the container runs (or is paused or restarting: its log stream stays open)."""
        return self.state in ("running", "paused", "restarting")

    def label(self, key: str) -> str | None:
        """One label's value, or None."""
        for name, value in self.labels:
            if name == key:
                return value
        return None


def translate_error(error: BaseException, what: str) -> DockerForgeError:
    """Turn a docker-py, requests or socket error into DockerForge's error for ``what``."""
    if isinstance(error, DockerForgeError):
        return error
    if isinstance(error, docker.errors.NotFound):
        return NotFoundError(f"{what}: {error.explanation or error}", hint="check the container still exists")
    if isinstance(error, docker.errors.APIError):
        return DockerAPIError(f"{what}: {error.explanation or error}")
    if isinstance(error, (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError,
                          docker.errors.DockerException)):
        return EngineUnreachableError(f"{what}: the engine stopped answering ({error})",
                                      hint="check that the Docker engine is running")
    return DockerAPIError(f"{what}: {error}")


# --- byte sources -------------------------------------------------------------------------


class ByteSource(Protocol):
    """Where a :class:`LogStream` reads the response body from."""

    def read(self) -> bytes:
        """The next block of bytes (empty at the end); may block."""

    def close(self) -> None:
        """Stop: a blocked :meth:`read` returns at once."""


class _SocketBody:
    """The body of an HTTP/1.0 response on a socket we opened: raw bytes until the engine closes."""

    def __init__(self, sock: socket.socket, initial: bytes, nap: float) -> None:
        self._sock = sock
        self._initial = initial
        self._nap = nap
        self._last_size = READ_SIZE
        # One buffer for every read: a fresh megabyte per recv() would be an mmap and munmap each time.
        self._buffer = bytearray(READ_SIZE)
        self._view = memoryview(self._buffer)
        self._closed = False

    def read(self) -> bytes:
        if self._initial:
            data, self._initial = self._initial, b""
            return data
        if self._nap and self._last_size < NAP_BELOW:
            time.sleep(self._nap)
        size = self._sock.recv_into(self._buffer)
        self._last_size = size
        return self._view[:size].tobytes()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # shutdown, unlike close, wakes a recv blocked in another thread.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


class _ResponseBody:
    """The body of a docker-py (requests) response, for transports we do not open ourselves."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._chunks = response.raw.stream(READ_SIZE, decode_content=False)

    def read(self) -> bytes:
        return next(self._chunks, b"")

    def close(self) -> None:
        # docker-py's CancellableStream knows where each transport keeps its socket and shuts
        # it down, which (unlike closing the response) wakes a read blocked in another thread.
        for close in (CancellableStream(iter(()), self._response).close, self._response.close):
            try:
                close()
            except Exception:  # ssh cannot be cancelled this way; a broken response may raise
                pass


def _raw_socket(api: Any) -> socket.socket | None:
    """A fresh connected socket to the engine when its transport is a unix socket or plain TCP."""
    base_url = str(getattr(api, "base_url", ""))
    timeout = getattr(api, "timeout", None) or 60
    if base_url.startswith("http+docker://") and not base_url.startswith(("http+docker://ssh",
                                                                            "http+docker://localnpipe")):
        socket_path = getattr(api.get_adapter(base_url), "socket_path", None)
        if not socket_path:
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(socket_path)
        except OSError:
            sock.close()
            raise
        return sock
    if base_url.startswith("http://"):
        parts = urlsplit(base_url)
        return socket.create_connection((parts.hostname, parts.port or 2375), timeout=timeout)
    return None


def _error_message(body: bytes) -> str:
    try:
        return str(json.loads(body.decode("utf-8", "replace"))["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace").strip() or "no details"


def _open_socket_body(api: Any, url: str, params: Mapping[str, str], what: str, nap: float) -> _SocketBody | None:
    """Send ``GET url`` as HTTP/1.0 on our own socket; None when the transport needs docker-py."""
    try:
        sock = _raw_socket(api)
    except OSError as error:
        raise translate_error(error, what) from error
    if sock is None:
        return None
    try:
        parts = urlsplit(url)
        request = f"GET {parts.path}?{urlencode(params)} HTTP/1.0\r\nHost: docker\r\nUser-Agent: dockerforge\r\n\r\n"
        sock.sendall(request.encode("ascii"))
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(65536)
            if not data:
                raise EngineUnreachableError(f"{what}: the engine closed the connection before answering")
            head += data
            if len(head) > HEAD_LIMIT:
                raise DockerAPIError(f"{what}: the engine's answer has no end of headers")
        head, _, body = head.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
        if status != 200:
            while len(body) < HEAD_LIMIT:
                data = sock.recv(65536)
                if not data:
                    break
                body += data
            message = _error_message(body)
            if status == 404:
                raise NotFoundError(f"{what}: {message}", hint="check the container still exists")
            hint = ("the container's logging driver keeps no log the engine can read back; "
                    "run it with --log-driver json-file, local or journald" if "does not support reading" in message
                    else None)
            raise DockerAPIError(f"{what}: the engine answered {status}: {message}", hint=hint)
        sock.settimeout(None)  # a followed stream may stay quiet for hours
        return _SocketBody(sock, body, nap)
    except BaseException as error:
        sock.close()
        if isinstance(error, OSError):
            raise translate_error(error, what) from error
        raise


# --- the stream ---------------------------------------------------------------------------


class LogStream:
    """One open log request: iterate for ``(stream_name, line)`` pairs, or :meth:`batches` for lists.

    Close it from any thread to end the iteration; a blocked read returns at once.
    """

    def __init__(self, body: ByteSource, container_id: str, *, tty: bool | None,
                 timestamps: bool, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.container_id = container_id
        self._body = body
        self._tty = tty
        self._timestamps = timestamps
        self._max_line_bytes = max_line_bytes
        self._closed = threading.Event()
        self._carry: list[bytes] = []
        self._carry_size = 0
        self._need = 8  # bytes the carried, incomplete frame needs in all
        self._pending: dict[int, list[bytes]] = {}
        self._pending_size: dict[int, int] = {}
        self.raw_bytes = 0
        """Bytes read from the engine so far."""

    @property
    def tty(self) -> bool | None:
        """True for a TTY container's raw stream; None until the first byte told."""
        return self._tty

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed.is_set()

    def close(self) -> None:
        """End the stream; safe to call twice and from another thread."""
        self._closed.set()
        self._body.close()

    def __enter__(self) -> "LogStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[RawLine]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[RawLine]]:
        """Yield the complete lines of each block read, until the engine ends the stream or it is closed.

        Raises :class:`EngineUnreachableError` when the connection breaks (not after
        :meth:`close`) and :class:`DockerAPIError` for an error the engine wrote into the stream.
        """
        what = f"the log stream of {self.container_id[:12]}"
        try:
            while not self._closed.is_set():
                data = self._body.read()
                if not data:
                    break
                self.raw_bytes += len(data)
                if self._tty is None:
                    # With timestamps a TTY stream starts with a digit, a multiplexed one with 0, 1 or 2.
                    self._tty = data[0] > SYSTEM_ERROR_STREAM
                lines = self._split_tty(data) if self._tty else self._split_multiplexed(data)
                if lines:
                    yield lines
        except (OSError, requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                docker.errors.DockerException) as error:
            if self._closed.is_set():
                return
            raise translate_error(error, what) from error
        except (ValueError, AttributeError):
            # urllib3 and the socket object drop the connection under a read that close() races.
            if self._closed.is_set():
                return
            raise
        finally:
            self._body.close()
        if not self._closed.is_set():
            rest = self._flush()
            if rest:
                yield rest

    # -- multiplexed: [stream id, 0, 0, 0, size (4 bytes, big-endian)] + payload -----------

    def _split_multiplexed(self, data: bytes) -> list[RawLine]:
        if self._carry:
            self._carry.append(data)
            self._carry_size += len(data)
            if self._carry_size < self._need:
                return []  # a long frame still arriving: join once, when it is complete
            data = b"".join(self._carry)
            self._carry, self._carry_size = [], 0
        out: list[RawLine] = []
        append = out.append
        names = STREAM_NAMES
        pending = self._pending
        from_bytes = int.from_bytes
        size_total = len(data)
        pos = 0
        while size_total - pos >= 8:
            kind = data[pos]
            end = pos + 8 + from_bytes(data[pos + 4:pos + 8], "big")
            if end > size_total:
                break
            if end > pos + 8:
                if kind < 3 and data[end - 1] == 10 and not pending:
                    # The common case: one whole line in one frame.
                    if end - pos > 9 and data[end - 2] == 13:
                        append((names[kind], data[pos + 8:end - 2]))
                    else:
                        append((names[kind], data[pos + 8:end - 1]))
                else:
                    self._frame(kind, data[pos + 8:end], out)
            pos = end
        if pos < size_total:
            rest = data[pos:]
            self._carry, self._carry_size = [rest], len(rest)
            self._need = 8 + from_bytes(rest[4:8], "big") if len(rest) >= 8 else 8
        return out

    def _frame(self, kind: int, payload: bytes, out: list[RawLine]) -> None:
        """A frame that is not one whole line: part of a long line, or an engine error."""
        if kind >= SYSTEM_ERROR_STREAM:
            if kind == SYSTEM_ERROR_STREAM:
                raise DockerAPIError(f"the engine reported an error in the log stream of {self.container_id[:12]}: "
                                     f"{payload.decode('utf-8', 'replace').strip()}")
            raise DockerAPIError(f"the log stream of {self.container_id[:12]} is corrupt (frame type {kind})")
        parts = self._pending.get(kind)
        if parts is not None and self._timestamps:
            # Every piece of a split line carries its own timestamp prefix; the line keeps the first.
            payload = payload[payload.find(b" ", 0, 40) + 1:]
        complete = payload.endswith(b"\n")
        if complete:
            payload = payload[:-2] if payload.endswith(b"\r\n") else payload[:-1]
        if parts is None:
            if complete:
                out.append((STREAM_NAMES[kind], payload))
                return
            parts = self._pending[kind] = []
            self._pending_size[kind] = 0
        parts.append(payload)
        self._pending_size[kind] += len(payload)
        if complete:
            del self._pending[kind]
            out.append((STREAM_NAMES[kind], b"".join(parts)))
        elif self._pending_size[kind] >= self._max_line_bytes:
            line = b"".join(parts)
            out.append((STREAM_NAMES[kind], line))
            # The rest of the line goes on as a new line with the same timestamp.
            prefix = line[:line.find(b" ", 0, 40) + 1] if self._timestamps else b""
            self._pending[kind] = [prefix]
            self._pending_size[kind] = len(prefix)

    # -- TTY: one raw byte stream, lines end with \r\n ------------------------------------------

    def _split_tty(self, data: bytes) -> list[RawLine]:
        if b"\n" not in data:
            self._carry.append(data)
            self._carry_size += len(data)
            if self._carry_size < self._max_line_bytes:
                return []
            line, self._carry, self._carry_size = b"".join(self._carry), [], 0
            return [("stdout", self._tty_line(line))]
        if self._carry:
            self._carry.append(data)
            data = b"".join(self._carry)
            self._carry, self._carry_size = [], 0
        lines = data.split(b"\n")
        rest = lines.pop()
        if rest:
            self._carry, self._carry_size = [rest], len(rest)
        tty_line = self._tty_line
        return [("stdout", line[:-1] if line[-1:] == b"\r" else line) if len(line) <= PARTIAL_FRAGMENT_BYTES
                else ("stdout", tty_line(line)) for line in lines]

    def _tty_line(self, line: bytes) -> bytes:
        if line[-1:] == b"\r":
            line = line[:-1]
        if self._timestamps and len(line) > PARTIAL_FRAGMENT_BYTES:
            # A long line arrives as pieces that each start with the same timestamp prefix
            # (the engine stamps every piece of a line with the line's time); keep the first.
            space = line.find(b" ", 0, 40) + 1
            if space:
                prefix = line[:space]
                line = prefix + line[space:].replace(prefix, b"")
        return line

    def _flush(self) -> list[RawLine]:
        """What is left when the stream ends: a last line without a newline, unfinished long lines."""
        out: list[RawLine] = []
        if self._tty and self._carry:
            out.append(("stdout", self._tty_line(b"".join(self._carry))))
        elif self._carry:
            log.debug("the log stream of %s ended inside a frame", self.container_id[:12])
        self._carry, self._carry_size = [], 0
        for kind, parts in sorted(self._pending.items()):
            out.append((STREAM_NAMES[kind], b"".join(parts)))
        self._pending.clear()
        return out


def _since_param(since: float | int | str) -> str:
    if isinstance(since, str):
        return since
    if isinstance(since, int):
        return str(since)
    return f"{since:.9f}"


def stream_container_logs(api: Any, container_id: str, *, since: float | str | None = None,
                          tail: int | str | None = None, follow: bool = True, timestamps: bool = True,
                          stdout: bool = True, stderr: bool = True, tty: bool | None = None,
                          max_line_bytes: int = MAX_LINE_BYTES, nap: float = NAP_SECONDS,
                          raw_socket: bool = True) -> LogStream:
    """Open one container's log stream.

    ``since`` is epoch seconds (a float, or a ``"seconds.nanoseconds"`` string for an exact
    instant; the engine includes lines stamped exactly then); ``tail`` is how many of the
    last lines to send first (None: all). ``follow`` keeps the stream open for new lines until
    the container stops. ``tty`` says whether the container has a TTY (raw stream, no
    stdout/stderr split); None finds out from the first byte (with ``timestamps``) or with an
    inspect. ``raw_socket=False`` always goes through docker-py's session.

    Raises :class:`NotFoundError` for an unknown container, :class:`EngineUnreachableError`
    when the engine does not answer, :class:`DockerAPIError` for other refusals.
    """
    what = f"the logs of {container_id[:12]}"
    if tty is None and not timestamps:
        try:
            tty = bool(api.inspect_container(container_id)["Config"].get("Tty"))
        except Exception as error:
            raise translate_error(error, what) from error
    params = {"stdout": "1" if stdout else "0", "stderr": "1" if stderr else "0",
              "timestamps": "1" if timestamps else "0", "follow": "1" if follow else "0",
              "tail": "all" if tail is None else str(tail)}
    if since is not None:
        params["since"] = _since_param(since)
    url = api._url("/containers/{0}/logs", container_id)
    body: ByteSource | None = None
    if raw_socket:
        body = _open_socket_body(api, url, params, what, nap)
    if body is None:
        try:
            response = api._get(url, params=params, stream=True)
            api._raise_for_status(response)
            if follow:
                # As docker-py does for its own streams: a followed stream may stay quiet for
                # longer than the request timeout.
                api._disable_socket_timeout(api._get_raw_response_socket(response))
        except Exception as error:
            raise translate_error(error, what) from error
        body = _ResponseBody(response)
    return LogStream(body, container_id, tty=tty, timestamps=timestamps, max_line_bytes=max_line_bytes)


# --- which containers, and what happens to them --------------------------------------------


def list_log_sources(api: Any, label_filters: Sequence[str] = ()) -> tuple[LogSource, ...]:
    """Every container (running or not) carrying all of ``label_filters`` (``"key"`` or ``"key=value"``)."""
    filters = {"label": list(label_filters)} if label_filters else None
    try:
        entries = api.containers(all=True, filters=filters)
    except Exception as error:
        raise translate_error(error, "listing containers") from error
    sources = []
    for entry in entries:
        names = entry.get("Names") or []
        sources.append(LogSource(id=entry["Id"], name=names[0].lstrip("/") if names else entry["Id"][:12],
                                 state=entry.get("State") or "unknown",
                                 labels=tuple(sorted((entry.get("Labels") or {}).items()))))
    return tuple(sources)


def engine_clock_ns(api: Any) -> int | None:
    """The engine's current time (nanoseconds since the epoch), or None when it does not say."""
    try:
        moment = parse_engine_time(api.info().get("SystemTime"))
    except Exception as error:
        raise translate_error(error, "asking the engine's time") from error
    return None if moment is None else int(moment.timestamp() * 1_000_000) * 1000


class ContainerEventStream:
    """The engine's container events as :class:`ContainerEvent` records; close it from any thread."""

    def __init__(self, api: Any) -> None:
        try:
            self._stream = api.events(decode=True, filters={"type": ["container"]})
        except Exception as error:
            raise translate_error(error, "following container events") from error
        self._closed = False

    def __iter__(self) -> Iterator[ContainerEvent]:
        try:
            for event in self._stream:
                action = (event.get("Action") or event.get("status") or "").split(":", 1)[0].strip()
                actor = event.get("Actor") or {}
                container_id = event.get("id") or actor.get("ID")
                if not container_id or not action:
                    continue
                attributes = actor.get("Attributes") or {}
                yield ContainerEvent(action=action, container_id=container_id,
                                     time_nano=int(event.get("timeNano") or 0),
                                     attributes=tuple(sorted((str(k), str(v)) for k, v in attributes.items())))
        except (OSError, ValueError, AttributeError, requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError, docker.errors.DockerException) as error:
            if self._closed:
                return
            raise translate_error(error, "following container events") from error

    def close(self) -> None:
        """End the iteration; a blocked read returns at once."""
        self._closed = True
        try:
            self._stream.close()
        except Exception:  # closing a dead stream may raise; we are leaving anyway
            pass
