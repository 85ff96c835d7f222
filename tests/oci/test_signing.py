"""The signer reproduces the official SDK's signatures byte for byte, and signs what it sends."""

from __future__ import annotations

import base64
import hashlib
import string
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.oci.signing import EMPTY_BODY_SHA256, RequestSigner, SigningError, headers_to_sign, load_private_key
from tests.reference import reference_json

_VECTORS: dict[str, Any] | None = None


def vectors() -> dict[str, Any]:
    global _VECTORS
    if _VECTORS is None:
        _VECTORS = reference_json("signing-vectors.json")
    return _VECTORS


def _vector_names() -> list[str]:
    try:
        return [v["name"] for v in vectors()["vectors"]]
    except pytest.skip.Exception:
        return ["reference-absent"]


def _prepare(vector: dict[str, Any]) -> requests.PreparedRequest:
    given_input = vector["input"]
    body = base64.b64decode(given_input["body_base64"]) if given_input["body_base64"] else None
    return requests.Request(
        given_input["method"],
        given_input["url"],
        params=[tuple(p) for p in given_input["query_params_in_order"] or []] or None,
        data=body,
        headers=dict(given_input["headers_given"]),
    ).prepare()


@pytest.mark.parametrize("name", _vector_names())
def test_reproduces_sdk_vector(name: str) -> None:
    data = vectors()
    vector = next(v for v in data["vectors"] if v["name"] == name)
    key = data["key"]
    key_id = data["security_token"]["key_id"] if vector["signer"] == "security_token" else key["key_id"]
    prepared = _prepare(vector)
    assert prepared.url == vector["final_url"]
    expected = {k.lower(): v for k, v in vector["sdk_output_headers"].items()}
    signer = RequestSigner(key_id, key["private_key_pem"].encode())
    if vector["signer"].endswith("without_content_headers"):
        signer = signer.without_content_headers()
    signer(prepared)
    got = {k.lower(): v for k, v in prepared.headers.items()}
    assert got["authorization"] == expected["authorization"]
    for header in ("host", "x-content-sha256", "content-length", "date"):
        if header in expected:
            assert got[header] == expected[header]


def test_signed_headers_depend_on_method_only() -> None:
    assert headers_to_sign("get") == ("date", "(request-target)", "host")
    assert headers_to_sign("DELETE") == ("date", "(request-target)", "host")
    assert headers_to_sign("post")[3:] == ("content-length", "content-type", "x-content-sha256")


def test_empty_post_body_is_hashed_and_counted() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    prepared = requests.Request("POST", "http://127.0.0.1:9/x/actions/go").prepare()
    RequestSigner.from_key("k", key)(prepared)
    assert prepared.headers["x-content-sha256"] == EMPTY_BODY_SHA256
    assert prepared.headers["content-length"] == "0"


def test_encrypted_key_needs_passphrase() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    with pytest.raises(SigningError, match="passphrase"):
        RequestSigner("k", pem)
    assert RequestSigner("k", pem, b"s3cret").key_id == "k"
    clear = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert isinstance(load_private_key(clear, b"ignored"), rsa.RSAPrivateKey)
    assert "BEGIN" not in repr(RequestSigner("k", clear))


# --- property test: sign random requests, verify with the public key and an independent rebuild ---

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_SIGNER = RequestSigner.from_key("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb", _KEY)
_segment = st.text(alphabet=string.ascii_letters + string.digits + " +é/%&=:~-._", min_size=1, max_size=12)


def _parse_authorization(value: str) -> dict[str, str]:
    assert value.startswith("Signature ")
    params = {}
    for part in value[len("Signature ") :].split('",'):
        name, _, raw = part.partition("=")
        params[name] = raw.strip('"')
    return params


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "DELETE", "POST", "PUT", "PATCH", "HEAD"]),
    host=st.sampled_from(["iaas.us-ashburn-1.oraclecloud.com", "127.0.0.1:8123", "localhost:443"]),
    path=st.lists(_segment, min_size=1, max_size=4),
    query=st.lists(st.tuples(_segment, _segment), max_size=4),
    body=st.one_of(st.none(), st.binary(max_size=300), st.text(max_size=100).map(str.encode)),
)
def test_random_requests_verify(method, host, path, query, body) -> None:
    from urllib.parse import quote

    url = f"https://{host}/" + "/".join(quote(p) for p in path)
    send_body = body if method in {"POST", "PUT", "PATCH"} else None
    prepared = requests.Request(method, url, params=query or None, data=send_body).prepare()
    _SIGNER(prepared)
    headers = {k.lower(): str(v) for k, v in prepared.headers.items()}
    params = _parse_authorization(headers["authorization"])
    names = params["headers"].split(" ")
    assert params["algorithm"] == "rsa-sha256" and params["version"] == "1"
    # independent reconstruction from the wire form
    parts = urlsplit(str(prepared.url))
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {headers[name]}")
    if method in {"POST", "PUT", "PATCH"}:
        sent = prepared.body or b""
        assert isinstance(sent, bytes)
        assert headers["content-length"] == str(len(sent))
        assert headers["x-content-sha256"] == base64.b64encode(hashlib.sha256(sent).digest()).decode()
    assert headers["host"] == parts.netloc
    _KEY.public_key().verify(
        base64.b64decode(params["signature"]),
        "\n".join(lines).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
