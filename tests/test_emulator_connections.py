"""The emulator keeps connections alive as OCI's endpoints do: one TCP connection serves many requests."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from emulator import Emulator, EmulatorControl

HEALTH = "/_emulator/health"


def connect(emulator: Emulator) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(urlsplit(emulator.base_url).netloc, timeout=10)
    conn.connect()
    return conn


def test_one_connection_serves_many_requests(emulator: Emulator, emu: EmulatorControl) -> None:
    conn = connect(emulator)
    sock = conn.sock
    try:
        for _ in range(3):
            conn.request("GET", HEALTH)
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())
            assert response.getheader("connection") is None
            assert response.getheader("content-length") is not None
        assert conn.sock is sock  # http.client reconnects (a new socket) when the server closed it
    finally:
        conn.close()


def test_a_body_the_emulator_refuses_unread_does_not_spill_into_the_next_request(
    emulator: Emulator, emu: EmulatorControl
) -> None:
    """An unknown path is refused before its body is looked at; the body is still consumed, so the next
    request on the connection is read from its own first line."""
    conn = connect(emulator)
    sock = conn.sock
    try:
        body = b'{"padding":"' + b"x" * 5000 + b'"}'
        conn.request("POST", "/us-ashburn-1/20160918/nowhere", body=body, headers={"content-type": "application/json"})
        refused = conn.getresponse()
        assert refused.status == 404
        assert json.loads(refused.read())["code"] == "NotFound"
        conn.request("GET", HEALTH)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
        assert conn.sock is sock
    finally:
        conn.close()


def test_a_client_asking_to_close_is_answered_and_closed(emulator: Emulator, emu: EmulatorControl) -> None:
    conn = connect(emulator)
    try:
        conn.request("GET", HEALTH, headers={"connection": "close"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("connection") == "close"
        response.read()
        assert response.will_close
    finally:
        conn.close()


def test_the_emulator_counts_the_connections_it_accepted(emulator: Emulator, emu: EmulatorControl) -> None:
    before = emu.connections()
    for _ in range(2):
        conn = connect(emulator)
        try:
            for _ in range(3):
                conn.request("GET", HEALTH)
                conn.getresponse().read()
        finally:
            conn.close()
    # two of ours; the control client's own calls each open at most one
    assert 2 <= emu.connections() - before <= 3
