"""``SignedApi``: raw signed HTTP against the emulator (requests + the project's ``RequestSigner``).

For tests and scripts that want to see the wire: status, headers, JSON. No retries, no parsing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from shared.oci.signing import RequestSigner

BLOCKSTORAGE = "/20160918"
NOTIFICATIONS = "/20181201"


class SignedApi:
    def __init__(self, base_url: str, signer: RequestSigner, region: str = "us-ashburn-1", timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.region = region
        self.timeout = timeout
        self.session = requests.Session()

    def url(self, path: str, region: str | None = None, endpoint: str | None = None) -> str:
        """``{base}/{region}{path}`` (the old one-prefix layout: every regional service), or
        ``{endpoint}{path}`` for a service host or a resource's own endpoint (invokeEndpoint, apiEndpoint)."""
        if endpoint:
            return f"{endpoint.rstrip('/')}{path}"
        return f"{self.base_url}/{region or self.region}{path}"

    def prepare(
        self,
        method: str,
        path: str,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.PreparedRequest:
        """A signed prepared request (change it afterwards to test tampering)."""
        payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"content-type": "application/json", "accept": "application/json", **(headers or {})}
        request = requests.Request(
            method, self.url(path, region, endpoint), data=payload, params=params, headers=all_headers, auth=self.signer
        )
        return self.session.prepare_request(request)

    def send(self, prepared: requests.PreparedRequest) -> requests.Response:
        return self.session.send(prepared, timeout=self.timeout)

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.send(self.prepare(method, path, **kw))

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)
