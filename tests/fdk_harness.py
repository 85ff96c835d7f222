"""Run the function image's entrypoint as the real ``fdk`` process and talk to it over its unix socket.

This is how the Fn agent drives a function: ``POST http://localhost/call`` on ``FN_LISTENER`` with
``Fn-Call-Id`` and ``Fn-Deadline``; gateway calls add ``Fn-Intent: httprequest`` and ``Fn-Http-*``.
Used by the tests, the demo and the benchmarks.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fdk_command() -> list[str]:
    script = Path(sys.executable).with_name("fdk")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from fdk.scripts.fdk import main; main()"]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


@dataclass
class FnAnswer:
    status: int  # what the fdk sent on the wire (200/502/504)
    headers: dict[str, str]
    body: bytes

    @property
    def http_status(self) -> int:
        """The status a gateway client sees (``Fn-Http-Status``), else the wire status."""
        return int(self.headers.get("fn-http-status", self.status))

    def json(self) -> Any:
        return json.loads(self.body)


class FdkProcess:
    """One function container: ``fdk func.py handler`` with the given config as env vars."""

    def __init__(self, config: Mapping[str, str], *, python_path: Path = ROOT, stderr_path: Path | None = None) -> None:
        self.config = dict(config)
        self.python_path = python_path
        self._dir = tempfile.mkdtemp(prefix="fn", dir="/tmp")
        self.socket_path = os.path.join(self._dir, "lsnr.sock")
        self.stderr_path = stderr_path or Path(self._dir) / "stderr.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_seconds: float | None = None

    def start(self, timeout: float = 15.0) -> FdkProcess:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self._dir,
            "FN_FORMAT": "http-stream",
            "FN_LISTENER": f"unix:{self.socket_path}",
            "FN_APP_ID": "ocid1.fnapp.oc1.iad.emulatorapp",
            "FN_FN_ID": self.config.get("FN_FN_ID", f"ocid1.fnfunc.oc1.iad.{self.config.get('HANDLER', 'fn')}"),
            "FN_MEMORY": "256",
            "FN_TYPE": "sync",
            "PYTHONPATH": str(self.python_path),
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
            **self.config,
        }
        started = time.monotonic()
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [*fdk_command(), str(self.python_path / "func.py"), "handler"],
            env=env,
            stdout=self._stderr,
            stderr=self._stderr,
            cwd=self.python_path,
        )
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None:
                raise RuntimeError(f"fdk exited early ({self.process.returncode}): {self.logs()}")
            if time.monotonic() - started > timeout:
                raise TimeoutError("fdk socket did not appear")
            time.sleep(0.005)
        self.ready_seconds = time.monotonic() - started
        return self

    def call(
        self,
        body: bytes | str | Mapping[str, Any] = b"",
        headers: Mapping[str, str] | None = None,
        deadline_seconds: float = 300.0,
        timeout: float = 330.0,
    ) -> FnAnswer:
        if isinstance(body, Mapping):
            payload = json.dumps(body).encode()
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body
        deadline = datetime.now(UTC) + timedelta(seconds=deadline_seconds)
        sent = {
            "Fn-Call-Id": uuid.uuid4().hex,
            "Fn-Deadline": deadline.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "Content-Type": "application/json",
            **(headers or {}),
        }
        connection = _UnixConnection(self.socket_path, timeout)
        try:
            connection.request("POST", "/call", body=payload, headers=sent)
            response = connection.getresponse()
            return FnAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def http(
        self,
        body: bytes | str | Mapping[str, Any] = b"",
        *,
        method: str = "POST",
        url: str = "/backup/route",
        headers: Mapping[str, str] | None = None,
        deadline_seconds: float = 300.0,
    ) -> FnAnswer:
        """A request as API Gateway forwards it (``Fn-Intent: httprequest``)."""
        client_headers = {"Content-Type": "application/json", **(headers or {})}
        sent = {
            "Fn-Intent": "httprequest",
            "Fn-Http-Method": method,
            "Fn-Http-Request-Url": url,
            **{f"Fn-Http-H-{k}": v for k, v in client_headers.items()},
        }
        return self.call(body, sent, deadline_seconds)

    def logs(self) -> str:
        try:
            return Path(self.stderr_path).read_text(errors="replace")
        except OSError:
            return ""

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.logs().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def all_items(self, result: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A run's items: those in its answer plus those left out of it (``itemsCut``) and logged instead."""
        logged = [
            item
            for line in self.log_lines()
            if line.get("message") == "items left out of the answer" and line.get("call_id")
            for item in line["items"]
        ]
        return [*result.get("items", []), *logged]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_stderr", None):
            self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> FdkProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
