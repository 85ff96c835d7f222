"""``Emulator``: a threaded pytest-httpserver serving every region at ``{base}/{region}``."""

from __future__ import annotations

import io
import socket
import threading
from typing import Any

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HTTPServerError
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import EmulatorApp
from .control_client import EmulatorControl
from .core.settings import Settings
from .core.state import World

IDLE_SECONDS = 300.0  # a kept-alive connection idle this long is closed (the longest a function call lasts)


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as OCI's endpoints serve; no per-request access log (it costs throughput
    and floods test output).

    werkzeug's own handler answers every request with ``Connection: close`` (its ``http.server`` base
    cannot tell where a body the application left unread ends), so a pooled client opened a TCP
    connection per request, and the emulator a thread per request: a cost OCI's clients do not pay. Here
    the body is read whole before the application runs (``Content-Length`` bytes, or a chunked body to
    its end), so the next request on the connection starts where this one ended, and each answer goes
    out with its ``Content-Length``. The connection is closed when the client asks (``Connection:
    close``, HTTP/1.0), after a chunked body, a body it could not read, an injected dropped connection, or
    ``IDLE_SECONDS`` without a request. Assumption: OCI's endpoints also keep an idle connection open a
    while (for how long is not verified here); a client that finds one closed opens another.
    """

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS

    def setup(self) -> None:
        super().setup()
        # an answer's head and body go out as written: with Nagle on, the body would wait for the client's
        # delayed ACK of the head (40 ms on Linux) on every kept-alive connection
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        if not format.startswith("Request timed out"):  # an idle keep-alive connection: not an error
            super().log_error(format, *args)

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        try:
            if environ.get("wsgi.input_terminated"):  # chunked: read to its last chunk, then close
                self.close_connection = True
                body = environ["wsgi.input"].read()
            else:
                body = self.rfile.read(max(0, int(environ.get("CONTENT_LENGTH") or 0)))
        except (OSError, ValueError):
            self.close_connection = True
            self.send_error(400, "unreadable request body")
            return
        environ["wsgi.input"] = io.BytesIO(body)
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return answer.append

        try:
            chunks = self.server.app(environ, start_response)
            try:
                payload = b"".join([*answer[2:], *chunks])
            finally:
                getattr(chunks, "close", lambda: None)()
        except ConnectionError:  # an injected dropped connection: the socket is shut already
            self.close_connection = True
            return
        status, headers = answer[0], answer[1]
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


class Emulator(HTTPServer):
    """The OCI emulator on a real socket; many concurrent clients are served by threads.

    ``Emulator(port=0)`` picks a free port; ``base_url`` is e.g. ``http://127.0.0.1:8123``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, settings: Settings | None = None, **kw: Any) -> None:
        super().__init__(host=host, port=port, threaded=True)
        if kw:
            settings = (settings or Settings()).model_copy(update=kw)
        self.world = World(settings)
        self.app = EmulatorApp(self.world)

    def start(self) -> None:
        if self.is_running():
            raise HTTPServerError("Server is already running")
        wsgi = Request.application(self.application)
        world = self.world

        class Handler(_QuietHandler):
            def setup(self) -> None:
                super().setup()
                with world.lock:
                    world.connections += 1

        self.server = make_server(
            self.host, self.port, wsgi, threaded=True, request_handler=Handler, ssl_context=self.ssl_context
        )
        self.port = self.server.port
        self.server_thread = threading.Thread(target=self.thread_target, daemon=True, name="oci-emulator")
        self.server_thread.start()

    def application(self, request: Request) -> Response:
        """Entry point for werkzeug (no request log kept: benchmarks send many requests)."""
        return self.dispatch(request)

    def dispatch(self, request: Request) -> Response:
        return self.app(request)

    @property
    def base_url(self) -> str:
        return f"http://{self.format_host(self.host)}:{self.port}"

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.base_url)
