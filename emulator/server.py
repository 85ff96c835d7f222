"""``Emulator``: a threaded pytest-httpserver serving every region at ``{base}/{region}``."""

from __future__ import annotations

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


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as OCI serves; no per-request access log (it costs throughput and
    floods test output)."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


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
        self.server = make_server(
            self.host, self.port, wsgi, threaded=True, request_handler=_QuietHandler, ssl_context=self.ssl_context
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
