"""Emulator: signature verification on every API request, principals, tenancy and region isolation."""

from __future__ import annotations

import http.client
import json
import time
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
import requests

from emulator import DEFAULT_TENANCY, Emulator, EmulatorControl
from emulator.api_client import SignedApi
from emulator.core.auth import parse_authorization
from emulator.core.exceptions import NotAuthenticated
from shared.oci.signing import RequestSigner, authorization_header, body_sha256, headers_to_sign, signing_string
from tests.emulator_fixtures import ApiKey, RsaKeyPair, make_key_pair, register_api_key

REGION = "us-ashburn-1"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaauthtests"
VOLUMES = "/20160918/volumes"


@pytest.fixture(scope="module")
def other_pair() -> RsaKeyPair:
    return make_key_pair()


def assert_401(response: requests.Response, fragment: str = "") -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == "NotAuthenticated"
    assert fragment.lower() in body["message"].lower()
    assert response.headers["opc-request-id"]


def test_signed_request_is_accepted(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    response = signed_api.get(f"{VOLUMES}/{volume['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == volume["id"]
    assert response.headers["etag"]


def test_unsigned_request_is_refused(emulator: Emulator, emu: EmulatorControl) -> None:
    response = requests.get(f"{emulator.base_url}/{REGION}{VOLUMES}", params={"compartmentId": COMPARTMENT})
    assert_401(response, "not signed")


@pytest.mark.parametrize("header", ["date", "host"])
def test_changed_signed_header_is_refused(signed_api: SignedApi, header: str) -> None:
    prepared = signed_api.prepare("GET", VOLUMES, params={"compartmentId": COMPARTMENT})
    changed = {"date": formatdate(time.time() - 60, usegmt=True), "host": "evil.example.com"}
    prepared.headers[header] = changed[header]
    assert_401(signed_api.send(prepared), "does not verify")


def test_changed_query_is_refused(signed_api: SignedApi) -> None:
    prepared = signed_api.prepare("GET", VOLUMES, params={"compartmentId": COMPARTMENT})
    prepared.url = (prepared.url or "").replace("authtests", "othertests")
    assert_401(signed_api.send(prepared), "does not verify")


def test_changed_body_is_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    prepared = signed_api.prepare("POST", "/20160918/volumeBackups", body={"volumeId": volume["id"]})
    body = prepared.body
    assert isinstance(body, bytes)
    prepared.body = body.replace(b"volumeId", b"volumeID")  # same length, different bytes
    assert_401(signed_api.send(prepared), "x-content-sha256")


def test_wrong_body_hash_is_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    response = signed_api.post(
        "/20160918/volumeBackups",
        body={"volumeId": volume["id"]},
        headers={"x-content-sha256": body_sha256(b"something else")},  # the signer keeps a supplied hash
    )
    assert_401(response, "x-content-sha256")


def test_wrong_content_length_is_refused(emulator: Emulator, api_key: ApiKey) -> None:
    """A signed content-length that is not the body's length (chunked body, so the server reads it all)."""
    body = b'{"volumeId":"ocid1.volume.oc1.iad.x"}'
    host = urlsplit(emulator.base_url).netloc
    path = f"/{REGION}/20160918/volumeBackups"
    headers = {
        "date": formatdate(usegmt=True),
        "host": host,
        "content-length": str(len(body) + 5),
        "content-type": "application/json",
        "x-content-sha256": body_sha256(body),
    }
    names = headers_to_sign("POST")
    text = signing_string(names, "POST", path, headers)
    headers["authorization"] = authorization_header(names, api_key.key_id, api_key.signer.sign(text))
    del headers["content-length"]
    conn = http.client.HTTPConnection(host, timeout=10)
    conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.putheader("content-length", str(len(body) + 5))
    conn.putheader("transfer-encoding", "chunked")
    conn.endheaders()
    conn.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    assert response.status == 401
    assert data["code"] == "NotAuthenticated"
    assert "content-length" in data["message"]


def test_wrong_key_is_refused(emulator: Emulator, api_key: ApiKey, other_pair: RsaKeyPair) -> None:
    impostor = SignedApi(emulator.base_url, RequestSigner.from_key(api_key.key_id, other_pair.private_key))
    assert_401(impostor.get(VOLUMES), "does not verify")


def test_unregistered_key_id_is_refused(emulator: Emulator, emu: EmulatorControl, other_pair: RsaKeyPair) -> None:
    signer = RequestSigner.from_key(
        f"{DEFAULT_TENANCY}/ocid1.user.oc1..nobody/{other_pair.fingerprint}", other_pair.private_key
    )
    assert_401(SignedApi(emulator.base_url, signer).get(VOLUMES), "not registered")


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_date_too_far_off_is_refused(signed_api: SignedApi, skew: int) -> None:
    response = signed_api.get(VOLUMES, headers={"date": formatdate(time.time() + skew, usegmt=True)})
    assert_401(response, "date")


def test_date_within_five_minutes_is_accepted(signed_api: SignedApi) -> None:
    response = signed_api.get(VOLUMES, headers={"date": formatdate(time.time() - 240, usegmt=True)})
    assert response.status_code == 200


def test_post_without_body_headers_signed_is_refused(emulator: Emulator, api_key: ApiKey) -> None:
    api = SignedApi(emulator.base_url, api_key.signer.without_content_headers())
    response = api.post("/20160918/volumeBackups", body={"volumeId": "x"})
    assert_401(response, "x-content-sha256")


def test_malformed_authorization_is_refused(emulator: Emulator, emu: EmulatorControl) -> None:
    for value in ["Basic abc", 'Signature keyId="a"', "Signature garbage", 'Signature keyId="a",keyId="b"']:
        response = requests.get(f"{emulator.base_url}/{REGION}{VOLUMES}", headers={"authorization": value})
        assert_401(response)


def test_authorization_parameters_in_any_order() -> None:
    go_style = (
        'Signature version="1",headers="date (request-target) host",keyId="t/u/f",'
        'algorithm="rsa-sha256",signature="AAAA"'
    )
    params = parse_authorization(go_style)
    assert params.key_id == "t/u/f"
    assert params.headers == ("date", "(request-target)", "host")
    with pytest.raises(NotAuthenticated):
        parse_authorization(go_style.replace("rsa-sha256", "hmac-sha256"))


def test_path_changed_to_another_region_fails_the_signature(emu: EmulatorControl, signed_api: SignedApi) -> None:
    """The region is in the signed (request-target): re-pointing a signed request at another region fails."""
    emu.create_volume("us-phoenix-1", COMPARTMENT, "phoenix-data")
    prepared = signed_api.prepare("GET", VOLUMES, region=REGION, params={"compartmentId": COMPARTMENT})
    prepared.url = (prepared.url or "").replace(f"/{REGION}/", "/us-phoenix-1/")
    assert_401(signed_api.send(prepared), "does not verify")


def test_resources_are_per_region(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    assert signed_api.get(f"{VOLUMES}/{volume['id']}", region=REGION).status_code == 200
    elsewhere = signed_api.get(f"{VOLUMES}/{volume['id']}", region="us-phoenix-1")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == "NotAuthorizedOrNotFound"


def test_resources_are_per_tenancy(emulator: Emulator, emu: EmulatorControl, other_pair: RsaKeyPair) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    other_tenancy = "ocid1.tenancy.oc1..aaaaaaaaothertenancy"
    key = register_api_key(emu, other_pair, tenancy_id=other_tenancy)
    api = SignedApi(emulator.base_url, key.signer)
    assert api.get(f"{VOLUMES}/{volume['id']}").status_code == 404
    assert api.get(VOLUMES, params={"compartmentId": COMPARTMENT}).json() == []


def test_resource_principal_token_is_accepted(emulator: Emulator, emu: EmulatorControl) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    rp = emu.issue_resource_principal(REGION)
    assert rp["tenancy_id"] == DEFAULT_TENANCY
    header, payload, signature = rp["rpst"].split(".")
    assert header and payload and signature
    api = SignedApi(emulator.base_url, RequestSigner("ST$" + rp["rpst"], rp["private_key_pem"].encode()))
    assert api.get(f"{VOLUMES}/{volume['id']}").status_code == 200


def test_resource_principal_claims(emu: EmulatorControl) -> None:
    import base64

    rp = emu.issue_resource_principal(REGION, compartment_id=COMPARTMENT, ttl_seconds=120)
    payload = rp["rpst"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["res_tenant"] == DEFAULT_TENANCY
    assert claims["res_compartment"] == COMPARTMENT
    assert claims["res_type"] == "fnfunc"
    assert claims["ptype"] == "resource"
    assert claims["exp"] - claims["iat"] == 120
    assert claims["sub"]


def test_resource_principal_tenancy_comes_from_the_token(emulator: Emulator, emu: EmulatorControl) -> None:
    volume = emu.create_volume(REGION, COMPARTMENT, "data")
    rp = emu.issue_resource_principal(REGION, tenancy_id="ocid1.tenancy.oc1..aaaaaaaaelsewhere")
    api = SignedApi(emulator.base_url, RequestSigner("ST$" + rp["rpst"], rp["private_key_pem"].encode()))
    assert api.get(f"{VOLUMES}/{volume['id']}").status_code == 404


def test_expired_resource_principal_token_is_refused(emulator: Emulator, emu: EmulatorControl) -> None:
    rp = emu.issue_resource_principal(REGION, ttl_seconds=-1)
    api = SignedApi(emulator.base_url, RequestSigner("ST$" + rp["rpst"], rp["private_key_pem"].encode()))
    assert_401(api.get(VOLUMES), "expired")


def test_revoked_resource_principal_token_is_refused(emulator: Emulator, emu: EmulatorControl) -> None:
    rp = emu.issue_resource_principal(REGION)
    api = SignedApi(emulator.base_url, RequestSigner("ST$" + rp["rpst"], rp["private_key_pem"].encode()))
    assert api.get(VOLUMES).status_code == 200
    assert emu.revoke_resource_principal(rp["rpst"]) is True
    assert_401(api.get(VOLUMES), "revoked")


def test_token_signed_with_another_key_is_refused(
    emulator: Emulator, emu: EmulatorControl, other_pair: RsaKeyPair
) -> None:
    rp = emu.issue_resource_principal(REGION)
    api = SignedApi(emulator.base_url, RequestSigner.from_key("ST$" + rp["rpst"], other_pair.private_key))
    assert_401(api.get(VOLUMES), "does not verify")


def test_opc_request_id_echoes_the_clients(signed_api: SignedApi) -> None:
    response = signed_api.get(VOLUMES, headers={"opc-request-id": "CLIENT123"})
    assert response.headers["opc-request-id"].startswith("CLIENT123/")
    assert len(signed_api.get(VOLUMES).headers["opc-request-id"]) == 32


def test_unknown_path_method_and_region(emulator: Emulator, signed_api: SignedApi) -> None:
    missing = signed_api.get("/20160918/nothingHere")
    assert (missing.status_code, missing.json()["code"]) == (404, "NotFound")
    wrong_method = signed_api.request("PATCH", VOLUMES)
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "MethodNotAllowed")
    no_region = signed_api.get(VOLUMES, region="mars-north-1")
    assert (no_region.status_code, no_region.json()["code"]) == (404, "NotFound")


def test_key_registration_validates_input(emu: EmulatorControl, other_pair: RsaKeyPair) -> None:
    from emulator import EmulatorControlError

    with pytest.raises(EmulatorControlError) as bad_id:
        emu.register_key("just-one-segment", other_pair.public_key_pem)
    assert bad_id.value.status == 400
    with pytest.raises(EmulatorControlError):
        emu.register_key(f"{DEFAULT_TENANCY}/u/f", "not a pem")
