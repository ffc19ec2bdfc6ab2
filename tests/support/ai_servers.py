"""Local HTTP servers that speak the AI providers' real wire protocols, for the provider tests.

No AI API can be reached from the tests, so each provider's real SDK is pointed (through
its base URL) at one of these servers on 127.0.0.1:

- :class:`AnthropicServer`: the Messages API (``POST /v1/messages``, JSON or server-sent
  events ``message_start`` ... ``message_stop``) and ``POST /v1/messages/count_tokens``.
- :class:`GeminiServer`: ``POST /v1beta/models/{model}:generateContent``,
  ``:streamGenerateContent?alt=sse`` and ``:countTokens``.
- :class:`OllamaServer`: ``POST /api/chat`` (JSON, or NDJSON when streaming) and ``GET /api/tags``.

Every request is recorded (path, query, headers, JSON body, arrival time) so a test can
check what the SDK really sent. A test scripts failures with :meth:`WireServer.fail_next`
(status, provider-shaped error body, headers such as Retry-After), a slow answer with
``delay``, and a stream that waits between chunks with ``chunk_delay``. A server's token
count is the number of whitespace-separated words in the prompt, so tests can predict it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    received_at: float


@dataclass(frozen=True)
class Failure:
    """A scripted error answer: the provider's error body with this status."""

    status: int
    kind: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """What the server writes back: a status, headers and either a body or chunks to stream."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Iterator[bytes] | None = None


def count_words(value: Any) -> int:
    """The servers' token count: words in every string of ``value`` except roles (a JSON body or part of one)."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(count_words(item) for key, item in value.items() if key != "role")
    if isinstance(value, list):
        return sum(count_words(item) for item in value)
    return 0


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WireServer:
    """A threaded HTTP server on 127.0.0.1 that answers with :meth:`answer`; use as a context manager."""

    def __init__(self, reply_text: str = "The container ran out of memory.") -> None:
        self.reply_text = reply_text
        """The assistant's answer; streamed word by word."""
        self.delay = 0.0
        """Seconds to wait before answering any request (a slow server)."""
        self.chunk_delay = 0.0
        """Seconds to wait between streamed chunks."""
        self.requests: list[RecordedRequest] = []
        self.cut_streams = 0
        """Streams whose client went away before the last chunk."""
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "WireServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> "WireServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ scripting

    def fail_next(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None,
                  times: int = 1) -> None:
        """Answer the next ``times`` requests with this error instead of the normal answer."""
        with self._lock:
            self._failures.extend([Failure(status, kind, message, dict(headers or {}))] * times)

    def words(self) -> list[str]:
        """The reply split into the chunks a stream sends (each word with its following space)."""
        parts = self.reply_text.split(" ")
        return [part + " " for part in parts[:-1]] + [parts[-1]]

    def posts(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == "POST"]

    # ------------------------------------------------------------------ protocol

    def answer(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def error_reply(self, failure: Failure) -> Reply:
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = RecordedRequest(handler.command, url.path, parse_qs(url.query),
                                  {key.lower(): value for key, value in handler.headers.items()}, body, time.monotonic())
        with self._lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if self.delay:
            time.sleep(self.delay)
        reply = self.error_reply(failure) if failure else self.answer(request)
        try:
            self._write(handler, reply)
        except (BrokenPipeError, ConnectionResetError):
            with self._lock:
                self.cut_streams += 1

    def _write(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is None:
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for number, chunk in enumerate(reply.chunks):
            if number and self.chunk_delay:
                time.sleep(self.chunk_delay)
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode())


class AnthropicServer(WireServer):
    """The Anthropic Messages API: ``/v1/messages`` (JSON or SSE) and ``/v1/messages/count_tokens``."""

    def answer(self, request: RecordedRequest) -> Reply:
        body = request.body or {}
        if request.path == "/v1/messages/count_tokens":
            return _json(200, {"input_tokens": self.prompt_tokens(body)})
        if request.path != "/v1/messages":
            return self.error_reply(Failure(404, "not_found_error", f"no route {request.path}"))
        model, text = body.get("model"), self.reply_text
        input_tokens, output_tokens = self.prompt_tokens(body), count_words(text)
        if not body.get("stream"):
            return _json(200, {
                "id": "msg_local_1", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            })

        def events() -> Iterator[bytes]:
            yield _sse("message_start", {"type": "message_start", "message": {
                "id": "msg_local_1", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1}}})
            yield _sse("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}})
            yield _sse("ping", {"type": "ping"})
            for word in self.words():
                yield _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": word}})
            yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield _sse("message_delta", {"type": "message_delta",
                                         "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                         "usage": {"output_tokens": output_tokens}})
            yield _sse("message_stop", {"type": "message_stop"})

        return Reply(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, chunks=events())

    def error_reply(self, failure: Failure) -> Reply:
        return _json(failure.status, {"type": "error", "error": {"type": failure.kind, "message": failure.message}},
                     failure.headers)

    @staticmethod
    def prompt_tokens(body: dict[str, Any]) -> int:
        return count_words(body.get("messages")) + count_words(body.get("system"))


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class GeminiServer(WireServer):
    """The Gemini API: ``models/{model}:generateContent``, ``:streamGenerateContent?alt=sse``, ``:countTokens``."""

    def answer(self, request: RecordedRequest) -> Reply:
        body = request.body or {}
        model, _, method = request.path.rpartition(":")
        model = model.rsplit("/", 1)[-1]
        prompt_tokens = count_words(body.get("contents")) + count_words(body.get("systemInstruction"))
        if method == "countTokens":
            return _json(200, {"totalTokens": prompt_tokens})
        output_tokens = count_words(self.reply_text)

        def response(text: str, final: bool) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
            payload: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": "local-1"}
            if final:
                candidate["finishReason"] = "STOP"
                payload["usageMetadata"] = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                                            "totalTokenCount": prompt_tokens + output_tokens}
            return payload

        if method == "generateContent":
            return _json(200, response(self.reply_text, final=True))
        if method == "streamGenerateContent" and request.query.get("alt") == ["sse"]:
            words = self.words()

            def events() -> Iterator[bytes]:
                for number, word in enumerate(words):
                    yield f"data: {json.dumps(response(word, final=number == len(words) - 1))}\r\n\r\n".encode()

            return Reply(200, {"Content-Type": "text/event-stream"}, chunks=events())
        return self.error_reply(Failure(404, "NOT_FOUND", f"no method {request.path}"))

    def error_reply(self, failure: Failure) -> Reply:
        return _json(failure.status, {"error": {"code": failure.status, "message": failure.message,
                                                "status": failure.kind}}, failure.headers)


class OllamaServer(WireServer):
    """The Ollama API: ``POST /api/chat`` (JSON, or NDJSON when streaming) and ``GET /api/tags``."""

    def __init__(self, reply_text: str = "The container ran out of memory.",
                 models: tuple[str, ...] = ("llama3.2:latest", "qwen2.5:0.5b")) -> None:
        super().__init__(reply_text)
        self.models = models

    def answer(self, request: RecordedRequest) -> Reply:
        body = request.body or {}
        if request.path == "/api/tags":
            return _json(200, {"models": [{
                "name": name, "model": name, "modified_at": "2025-01-01T00:00:00Z", "size": 1_000_000,
                "digest": "a" * 64, "details": {"format": "gguf", "family": "llama", "parameter_size": "3B",
                                                "quantization_level": "Q4_K_M"}} for name in self.models]})
        if request.path != "/api/chat":
            return self.error_reply(Failure(404, "", "404 page not found"))
        model = body.get("model", "")
        if model not in self.models and f"{model}:latest" not in self.models:
            return self.error_reply(Failure(404, "", f"model '{model}' not found"))
        prompt_tokens, output_tokens = count_words(body.get("messages")), count_words(self.reply_text)
        final = {"model": model, "created_at": "2025-01-01T00:00:01Z",
                 "message": {"role": "assistant", "content": "" if body.get("stream", True) else self.reply_text},
                 "done": True, "done_reason": "stop", "total_duration": 1_000_000, "load_duration": 1000,
                 "prompt_eval_count": prompt_tokens, "prompt_eval_duration": 1000,
                 "eval_count": output_tokens, "eval_duration": 1000}
        if body.get("stream", True) is False:
            return _json(200, final)

        def lines() -> Iterator[bytes]:
            for word in self.words():
                yield (json.dumps({"model": model, "created_at": "2025-01-01T00:00:01Z",
                                   "message": {"role": "assistant", "content": word}, "done": False}) + "\n").encode()
            yield (json.dumps(final) + "\n").encode()

        return Reply(200, {"Content-Type": "application/x-ndjson"}, chunks=lines())

    def error_reply(self, failure: Failure) -> Reply:
        return _json(failure.status, {"error": failure.message}, failure.headers)
