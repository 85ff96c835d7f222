"""Credentials: config-file API key, session token, resource principal v2.2, the resolver, regions.

Real files in ``tmp_path``, real RSA keys; every produced signer is checked by verifying a signature.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shared.oci import regions
from shared.oci.credentials import (
    ApiKeyCredentials,
    Credentials,
    CredentialsError,
    ResourcePrincipalCredentials,
    SessionTokenCredentials,
    fingerprint_of,
    token_claims,
)
from shared.oci.providers import resolve_credentials
from shared.oci.regions import REALM_DOMAINS, REGION_KEYS, realm_domain, realm_of, region_name
from shared.oci.signing import RequestSigner, signing_string
from tests.reference import REFERENCE_DIR, reference_json

KEY_A = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_B = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy"
USER = "ocid1.user.oc1..aaaaaaaauser"
OTHER_USER = "ocid1.user.oc1..aaaaaaaaother"
NOW = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pem(key: rsa.RSAPrivateKey, passphrase: bytes | None = None, *, pkcs1: bool = False) -> bytes:
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt(exp: float, tenant: str = TENANCY, jti: str = "1", **claims: Any) -> str:
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = {"res_tenant": tenant, "res_compartment": "ocid1.compartment.oc1..c", "exp": int(exp), "jti": jti}
    body.update(claims)
    return f"{header}.{b64url(json.dumps(body).encode())}.{b64url(b'not-checked')}"


def fingerprint(key: rsa.RSAPrivateKey) -> str:
    return fingerprint_of(key.public_key())


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def verify(signer: RequestSigner, key: rsa.RSAPrivateKey, method: str = "GET", body: bytes | None = None) -> str:
    """Sign a real prepared request and check the signature with the public key; returns the keyId."""
    prepared = requests.Request(
        method,
        "https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeBackups",
        params={"compartmentId": "ocid1.compartment.oc1..c", "limit": "5"},
        data=body,
    ).prepare()
    signer(prepared)
    fields = dict(re.findall(r'(\w+)="([^"]*)"', prepared.headers["authorization"].removeprefix("Signature ")))
    names = tuple(fields["headers"].split(" "))
    text = signing_string(names, method, prepared.path_url, prepared.headers)
    key.public_key().verify(base64.b64decode(fields["signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return str(fields["keyId"])


def check_signs(credentials: Credentials, key: rsa.RSAPrivateKey) -> str:
    key_id = verify(credentials.signer(), key)
    assert verify(credentials.signer(), key, "POST", b'{"a":1}') == key_id
    with pytest.raises(InvalidSignature):
        verify(credentials.signer(), KEY_B if key is KEY_A else KEY_A)
    return key_id


@pytest.fixture(autouse=True)
def _restore_region_tables() -> Iterator[None]:
    """OCI_REGION_METADATA registers into module tables: put them back after each test."""
    saved = [(table, dict(table)) for table in (REGION_KEYS, REALM_DOMAINS, regions.REGION_REALMS)]
    yield
    for table, content in saved:
        table.clear()
        table.update(content)


# --- config file: API key -----------------------------------------------------------------------------------


def api_key_config(home: Path, **overrides: str) -> Path:
    """~/.oci/config with a DEFAULT profile (key A) and an ``other`` profile inheriting from it (key B)."""
    write(home / ".oci" / "key_a.pem", pem(KEY_A))
    write(home / "elsewhere" / "key_b.pem", pem(KEY_B, pkcs1=True))
    default = {
        "user": USER,
        "fingerprint": fingerprint(KEY_A),
        "key_file": "~/.oci/key_a.pem",
        "tenancy": TENANCY,
        "region": "us-ashburn-1",
        **overrides,
    }
    lines = ["# comment line", "[DEFAULT]", *(f"{k} = {v}" for k, v in default.items() if v != "-")]
    lines += [
        "",
        "[other]",
        f"user={OTHER_USER}",
        f"fingerprint={fingerprint(KEY_B)}",
        f"key_file={home}/elsewhere/key_b.pem",
        "region=PHX",
    ]
    return write(home / ".oci" / "config", "\n".join(lines) + "\n")


def test_default_profile_gives_an_api_key_signer(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    credentials = resolve_credentials({}, home=tmp_path)
    assert isinstance(credentials, ApiKeyCredentials)
    assert (credentials.name, credentials.region, credentials.tenancy_id) == ("api_key", "us-ashburn-1", TENANCY)
    assert check_signs(credentials, KEY_A) == f"{TENANCY}/{USER}/{fingerprint(KEY_A)}"
    assert credentials.refresh_after_unauthorized() is False


def test_other_profile_inherits_default_keys(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    credentials = resolve_credentials({"OCI_CONFIG_PROFILE": "other"}, home=tmp_path)
    # tenancy is inherited from [DEFAULT]; region "PHX" is a region key
    assert credentials.region == "us-phoenix-1" and credentials.tenancy_id == TENANCY
    assert check_signs(credentials, KEY_B) == f"{TENANCY}/{OTHER_USER}/{fingerprint(KEY_B)}"


def test_oci_cli_profile_picks_the_profile_as_the_oci_cli_does(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    credentials = resolve_credentials({"OCI_CLI_PROFILE": "other"}, home=tmp_path)
    assert check_signs(credentials, KEY_B) == f"{TENANCY}/{OTHER_USER}/{fingerprint(KEY_B)}"
    both = resolve_credentials({"OCI_CLI_PROFILE": "other", "OCI_CONFIG_PROFILE": "DEFAULT"}, home=tmp_path)
    assert check_signs(both, KEY_A) == f"{TENANCY}/{USER}/{fingerprint(KEY_A)}"  # OCI_CONFIG_PROFILE first


def test_profile_names_are_case_sensitive(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    with pytest.raises(CredentialsError, match=r"\[Other\].*no such profile.*other.*OCI_CONFIG_PROFILE"):
        resolve_credentials({"OCI_CONFIG_PROFILE": "Other"}, home=tmp_path)


def test_config_file_from_env_with_tilde(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = api_key_config(tmp_path / "somewhere")  # not under home: only found through OCI_CONFIG_FILE
    moved = write(
        home / "cfg" / "oci.ini", config.read_text().replace("~/.oci/key_a.pem", str(config.parent / "key_a.pem"))
    )
    credentials = resolve_credentials({"OCI_CONFIG_FILE": "~/cfg/oci.ini"}, home=home)
    assert moved.exists() and check_signs(credentials, KEY_A).endswith(fingerprint(KEY_A))


def test_home_comes_from_the_injected_environ(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    assert resolve_credentials({"HOME": str(tmp_path)}).name == "api_key"


def test_missing_config_file_named_by_env_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"nope\.ini.*does not exist.*OCI_CONFIG_FILE"):
        resolve_credentials({"OCI_CONFIG_FILE": str(tmp_path / "nope.ini")}, home=tmp_path)


def test_no_credentials_at_all(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"no OCI credentials.*OCI_RESOURCE_PRINCIPAL_VERSION.*\.oci/config"):
        resolve_credentials({}, home=tmp_path)


def test_passphrase_protected_key(tmp_path: Path) -> None:
    api_key_config(tmp_path, pass_phrase="correct horse")
    write(tmp_path / ".oci" / "key_a.pem", pem(KEY_A, b"correct horse"))
    assert check_signs(resolve_credentials({}, home=tmp_path), KEY_A).startswith(TENANCY)


@pytest.mark.parametrize(
    ("pass_phrase", "message"), [("-", "encrypted and no passphrase"), ("wrong phrase", "pass_phrase")]
)
def test_passphrase_missing_or_wrong(tmp_path: Path, pass_phrase: str, message: str) -> None:
    api_key_config(tmp_path, pass_phrase=pass_phrase)
    encrypted = write(tmp_path / ".oci" / "key_a.pem", pem(KEY_A, b"correct horse"))
    with pytest.raises(CredentialsError, match=message) as info:
        resolve_credentials({}, home=tmp_path)
    assert "key_file" in str(info.value) and "wrong phrase" not in str(info.value)
    assert encrypted.read_text().splitlines()[1] not in str(info.value)


@pytest.mark.parametrize("key", ["user", "fingerprint", "key_file", "tenancy"])
def test_missing_key_is_named(tmp_path: Path, key: str) -> None:
    api_key_config(tmp_path, **{key: "-"})
    with pytest.raises(CredentialsError, match=rf"config \[DEFAULT\]: the key '{key}' is missing"):
        resolve_credentials({}, home=tmp_path)


def test_unreadable_key_file(tmp_path: Path) -> None:
    api_key_config(tmp_path, key_file="~/.oci/absent.pem")
    with pytest.raises(CredentialsError, match=r"key_file: cannot read .*absent\.pem \(No such file"):
        resolve_credentials({}, home=tmp_path)


def test_key_content_is_refused_with_a_hint(tmp_path: Path) -> None:
    api_key_config(tmp_path, key_file="-", key_content="MIIEvQIBADANBg")
    with pytest.raises(CredentialsError, match="key_content is not accepted") as info:
        resolve_credentials({}, home=tmp_path)
    assert "MIIE" not in str(info.value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("fingerprint", "CC:8D:A8:7C:9C:74:4C:3A:0E:A5:9F:C6:6B:45:96:6B", "lower-case hex pairs"),
        ("fingerprint", "cc:8d:a8:7c:9c:74:4c:3a:0e:a5:9f:c6:6b:45:96:6b", "is not the fingerprint of key_file"),
        ("user", "alice", "'user' is not an OCID"),
        ("tenancy", "ocid1.tenancy", "'tenancy' is not an OCID"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, key: str, value: str, message: str) -> None:
    api_key_config(tmp_path, **{key: value})
    with pytest.raises(CredentialsError, match=message):
        resolve_credentials({}, home=tmp_path)


def test_region_falls_back_to_oci_region(tmp_path: Path) -> None:
    api_key_config(tmp_path, region="-")
    assert resolve_credentials({}, home=tmp_path).region is None
    assert resolve_credentials({"OCI_REGION": "fra"}, home=tmp_path).region == "eu-frankfurt-1"


def test_unparsable_config_reports_line_numbers_only(tmp_path: Path) -> None:
    config = api_key_config(tmp_path)
    write(config, config.read_text() + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n")
    with pytest.raises(CredentialsError, match=r"cannot parse line\(s\) 14") as info:
        resolve_credentials({}, home=tmp_path)
    assert "MIIE" not in str(info.value)


def test_fingerprint_and_key_id_match_the_sdk_reference(tmp_path: Path) -> None:
    data = reference_json("signing-vectors.json")
    key = data["key"]
    write(tmp_path / "k.pem", key["private_key_pem"])
    lines = ["[DEFAULT]", f"user={key['user']}", f"tenancy={key['tenancy']}", f"fingerprint={key['fingerprint']}"]
    write(tmp_path / "config", "\n".join([*lines, f"key_file={tmp_path}/k.pem", "region=us-ashburn-1"]))
    public = serialization.load_pem_public_key(key["public_key_pem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and fingerprint_of(public) == key["fingerprint"]
    credentials = resolve_credentials({"OCI_CONFIG_FILE": str(tmp_path / "config")}, home=tmp_path)
    assert credentials.signer().key_id == key["key_id"]
    vector = next(v for v in data["vectors"] if v["name"] == "get_with_query")
    assert sign_vector(credentials.signer(), vector) == vector["sdk_output_headers"]["authorization"]


def sign_vector(signer: RequestSigner, vector: dict[str, Any]) -> str:
    given = vector["input"]
    prepared = requests.Request(
        given["method"],
        given["url"],
        params=[tuple(p) for p in given["query_params_in_order"] or []] or None,
        data=base64.b64decode(given["body_base64"]) if given["body_base64"] else None,
        headers=dict(given["headers_given"]),
    ).prepare()
    signer(prepared)
    return str(prepared.headers["authorization"])


# --- config file: session token -------------------------------------------------------------------------------


def session_config(home: Path, token: str) -> Path:
    write(home / ".oci" / "sessions" / "dev" / "oci_api_key.pem", pem(KEY_A))
    token_file = write(home / ".oci" / "sessions" / "dev" / "token", token + "\n")
    write(
        home / ".oci" / "config",
        "[DEFAULT]\nregion=us-ashburn-1\n\n[dev]\n"
        f"fingerprint={fingerprint(KEY_A)}\nkey_file=~/.oci/sessions/dev/oci_api_key.pem\n"
        f"tenancy={TENANCY}\nregion=iad\nsecurity_token_file=~/.oci/sessions/dev/token\n",
    )
    return token_file


def test_session_token_profile(tmp_path: Path) -> None:
    token = jwt(NOW + 3600, tenant="ignored-config-wins")
    token_file = session_config(tmp_path, token)
    credentials = resolve_credentials({"OCI_CONFIG_PROFILE": "dev"}, home=tmp_path, clock=Clock())
    assert isinstance(credentials, SessionTokenCredentials)
    assert (credentials.name, credentials.region, credentials.tenancy_id) == ("session_token", "us-ashburn-1", TENANCY)
    assert check_signs(credentials, KEY_A) == "ST$" + token  # stripped: no newline in the keyId
    assert credentials.refresh_after_unauthorized() is False  # unchanged token: a retry would fail again
    renewed = jwt(NOW + 7200, jti="2")
    write(token_file, renewed)
    assert credentials.refresh_after_unauthorized() is True
    assert check_signs(credentials, KEY_A) == "ST$" + renewed


def test_session_token_reproduces_the_sdk_vector(tmp_path: Path) -> None:
    data = reference_json("signing-vectors.json")
    write(tmp_path / "k.pem", data["key"]["private_key_pem"])
    write(tmp_path / "token", data["security_token"]["token"] + "\r\n")
    write(tmp_path / "config", f"[DEFAULT]\nkey_file={tmp_path}/k.pem\nsecurity_token_file={tmp_path}/token\n")
    credentials = resolve_credentials({"OCI_CONFIG_FILE": str(tmp_path / "config")}, home=tmp_path)
    assert credentials.signer().key_id == data["security_token"]["key_id"]
    vector = next(v for v in data["vectors"] if v["name"] == "security_token_get")
    assert sign_vector(credentials.signer(), vector) == vector["sdk_output_headers"]["authorization"]


def test_session_token_file_missing(tmp_path: Path) -> None:
    session_config(tmp_path, jwt(NOW + 60)).unlink()
    with pytest.raises(CredentialsError, match=r"\[dev\] security_token_file: cannot read the file .*token"):
        resolve_credentials({"OCI_CONFIG_PROFILE": "dev"}, home=tmp_path)


# --- resource principal v2.2 ----------------------------------------------------------------------------------


def rp_files(directory: Path, token: str, key: rsa.RSAPrivateKey = KEY_A) -> dict[str, str]:
    rpst = write(directory / "rpst", token)
    private = write(directory / "private.pem", pem(key))
    return {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": str(rpst),
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": str(private),
        "OCI_RESOURCE_PRINCIPAL_REGION": "us-phoenix-1",
    }


def rp_literals(token: str, key: rsa.RSAPrivateKey = KEY_A, region: str = "us-phoenix-1") -> dict[str, str]:
    return {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": token,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": pem(key).decode(),
        "OCI_RESOURCE_PRINCIPAL_REGION": region,
    }


def test_resource_principal_from_files(tmp_path: Path) -> None:
    token = jwt(NOW + 1200)
    credentials = resolve_credentials(rp_files(tmp_path / "creds", token), home=tmp_path, clock=Clock())
    assert isinstance(credentials, ResourcePrincipalCredentials)
    assert (credentials.name, credentials.region, credentials.tenancy_id) == (
        "resource_principal",
        "us-phoenix-1",
        TENANCY,
    )
    assert credentials.expires_at == NOW + 1200
    assert check_signs(credentials, KEY_A) == "ST$" + token


def test_resource_principal_from_literals(tmp_path: Path) -> None:
    token = jwt(NOW + 1200, tenant="ocid1.tenancy.oc1..other")
    credentials = resolve_credentials(rp_literals(token), home=tmp_path, clock=Clock())
    assert credentials.tenancy_id == "ocid1.tenancy.oc1..other"
    assert check_signs(credentials, KEY_A) == "ST$" + token
    assert credentials.refresh_after_unauthorized() is False  # a literal cannot change


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("phx", "us-phoenix-1"),
        ("PHX", "us-phoenix-1"),
        ("lhr", "uk-london-1"),
        ("us-ashburn-1", "us-ashburn-1"),
        ("BOM", "ap-mumbai-1"),
    ],
)
def test_resource_principal_region_key(tmp_path: Path, given: str, expected: str) -> None:
    assert resolve_credentials(rp_literals(jwt(NOW + 60), region=given), home=tmp_path).region == expected


def test_resource_principal_passphrase_literal_and_file(tmp_path: Path) -> None:
    token = jwt(NOW + 1200)
    literal = rp_literals(token)
    literal["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"] = pem(KEY_B, b"pw literal").decode()
    literal["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"] = "pw literal"
    assert check_signs(resolve_credentials(literal, home=tmp_path), KEY_B) == "ST$" + token

    files = rp_files(tmp_path, token)
    write(Path(files["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]), pem(KEY_B, b"pw in a file"))
    files["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"] = str(write(tmp_path / "passphrase", "pw in a file\n"))
    assert check_signs(resolve_credentials(files, home=tmp_path), KEY_B) == "ST$" + token

    files["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"] = "pw in a file"  # a file PEM needs a passphrase file
    with pytest.raises(CredentialsError, match="OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE must be an absolute"):
        resolve_credentials(files, home=tmp_path)


def test_region_metadata_registers_an_unknown_region(tmp_path: Path) -> None:
    env = rp_literals(jwt(NOW + 60), region="xyz")
    env["OCI_REGION_METADATA"] = json.dumps(
        {
            "realmDomainComponent": "oraclecloud99.example",
            "realmKey": "oc99",
            "regionIdentifier": "xx-newtown-1",
            "regionKey": "XYZ",
        }
    )
    assert realm_of("xx-newtown-1") == "oc1"  # unknown before: assumed commercial, as the SDK does
    credentials = resolve_credentials(env, home=tmp_path)
    assert credentials.region == "xx-newtown-1"
    assert realm_of("xx-newtown-1") == "oc99" and REALM_DOMAINS["oc99"] == "oraclecloud99.example"
    assert realm_domain("xyz") == "oraclecloud99.example" and region_name("XYZ") == "xx-newtown-1"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [("{not json", "not valid JSON"), ('{"realmKey": "oc99"}', "regionIdentifier, realmDomainComponent, regionKey")],
)
def test_bad_region_metadata(tmp_path: Path, metadata: str, message: str) -> None:
    env = {**rp_literals(jwt(NOW + 60)), "OCI_REGION_METADATA": metadata}
    with pytest.raises(CredentialsError, match=f"OCI_REGION_METADATA: .*{message}"):
        resolve_credentials(env, home=tmp_path)


def test_expiry_refresh_rereads_files(tmp_path: Path) -> None:
    clock = Clock()
    first = jwt(NOW + 600, jti="1")
    env = rp_files(tmp_path, first)
    credentials = resolve_credentials(env, home=tmp_path, clock=clock)
    signer = credentials.signer()
    second = jwt(NOW + 1800, jti="2", tenant="ocid1.tenancy.oc1..rotated")
    write(Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]), second)  # the runtime rotated the token; key unchanged

    clock.now = NOW + 539  # 61 s left: still good, files not read
    assert credentials.signer() is signer
    clock.now = NOW + 545  # 55 s left: advisory window, re-read
    renewed = credentials.signer()
    assert renewed.key_id == "ST$" + second and credentials.tenancy_id == "ocid1.tenancy.oc1..rotated"
    assert renewed._key is signer._key  # same PEM: not parsed again
    assert check_signs(credentials, KEY_A) == "ST$" + second


def test_expiry_near_with_stale_file_keeps_the_token(tmp_path: Path) -> None:
    clock = Clock(NOW + 595)  # 5 s left: mandatory window
    token = jwt(NOW + 600)
    env = rp_files(tmp_path, token)
    credentials = resolve_credentials(env, home=tmp_path, clock=clock)
    assert credentials.signer().key_id == "ST$" + token  # re-read, same token
    Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]).unlink()  # a refresh that fails keeps what we have
    assert credentials.signer().key_id == "ST$" + token
    assert credentials.refresh_after_unauthorized() is False


def test_expiry_with_literals_keeps_using_them(tmp_path: Path) -> None:
    token = jwt(NOW + 30)
    credentials = resolve_credentials(rp_literals(token), home=tmp_path, clock=Clock(NOW + 120))
    assert check_signs(credentials, KEY_A) == "ST$" + token


def test_refresh_after_401_rereads_token_and_key(tmp_path: Path) -> None:
    clock = Clock()
    first = jwt(NOW + 3600, jti="1")
    env = rp_files(tmp_path, first)
    credentials = resolve_credentials(env, home=tmp_path, clock=clock)
    assert check_signs(credentials, KEY_A) == "ST$" + first
    assert credentials.refresh_after_unauthorized() is True  # files re-read (unchanged): worth one retry

    second = jwt(NOW + 3600, jti="2")
    write(Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]), second)
    write(Path(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]), pem(KEY_B))
    assert credentials.refresh_after_unauthorized() is True
    assert check_signs(credentials, KEY_B) == "ST$" + second


def test_rotated_key_without_new_token_is_noticed(tmp_path: Path) -> None:
    env = rp_files(tmp_path, jwt(NOW + 3600))
    credentials = resolve_credentials(env, home=tmp_path, clock=Clock())
    write(Path(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]), pem(KEY_B))
    assert credentials.refresh_after_unauthorized() is True
    check_signs(credentials, KEY_B)


def test_broken_key_after_refresh_keeps_the_old_pair(tmp_path: Path) -> None:
    token = jwt(NOW + 3600)
    env = rp_files(tmp_path, token)
    credentials = resolve_credentials(env, home=tmp_path, clock=Clock())
    write(Path(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]), "-----BEGIN PRIVATE KEY-----\ngarbage\n")
    assert credentials.refresh_after_unauthorized() is False
    assert check_signs(credentials, KEY_A) == "ST$" + token


def test_resource_principal_wins_over_the_config_file(tmp_path: Path) -> None:
    api_key_config(tmp_path)
    env = {**rp_literals(jwt(NOW + 60)), "OCI_CONFIG_PROFILE": "other"}
    assert resolve_credentials(env, home=tmp_path).name == "resource_principal"
    del env["OCI_RESOURCE_PRINCIPAL_VERSION"]
    assert resolve_credentials(env, home=tmp_path).region == "us-phoenix-1"  # [other] profile, API key
    env["OCI_RESOURCE_PRINCIPAL_VERSION"] = ""  # empty counts as unset
    assert resolve_credentials(env, home=tmp_path).name == "api_key"


@pytest.mark.parametrize("version", ["2.1", "1.1", "3.0"])
def test_unsupported_resource_principal_version(tmp_path: Path, version: str) -> None:
    env = {**rp_literals(jwt(NOW + 60)), "OCI_RESOURCE_PRINCIPAL_VERSION": version}
    with pytest.raises(CredentialsError, match=rf"OCI_RESOURCE_PRINCIPAL_VERSION='{version}' is not supported.*2\.2"):
        resolve_credentials(env, home=tmp_path)


@pytest.mark.parametrize(
    "missing", ["OCI_RESOURCE_PRINCIPAL_RPST", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", "OCI_RESOURCE_PRINCIPAL_REGION"]
)
def test_missing_resource_principal_variable(tmp_path: Path, missing: str) -> None:
    env = rp_literals(jwt(NOW + 60))
    del env[missing]
    with pytest.raises(CredentialsError, match=f"{missing} is not set"):
        resolve_credentials(env, home=tmp_path)


def test_resource_principal_file_missing_or_not_a_pem(tmp_path: Path) -> None:
    env = rp_files(tmp_path, jwt(NOW + 60))
    Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]).unlink()
    with pytest.raises(CredentialsError, match=r"OCI_RESOURCE_PRINCIPAL_RPST: cannot read the file .*rpst"):
        resolve_credentials(env, home=tmp_path)
    relative = {**rp_literals(jwt(NOW + 60)), "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": "creds/private.pem"}
    with pytest.raises(CredentialsError, match=r"OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: .*read as a literal PEM"):
        resolve_credentials(relative, home=tmp_path)


def test_nothing_secret_in_repr_or_errors(tmp_path: Path) -> None:
    token = jwt(NOW + 60)
    for credentials in (
        resolve_credentials(rp_literals(token), home=tmp_path),
        resolve_credentials(rp_files(tmp_path, token), home=tmp_path),
    ):
        text = repr(credentials) + str(credentials) + repr(credentials.signer())
        assert "resource_principal" in text and "us-phoenix-1" in text
        assert token[:40] not in text and "BEGIN" not in text
    env = {**rp_literals(token), "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": pem(KEY_A)[:200].decode()}
    with pytest.raises(CredentialsError) as info:
        resolve_credentials(env, home=tmp_path)
    assert pem(KEY_A).decode().splitlines()[1][:20] not in str(info.value)


def test_token_claims() -> None:
    assert token_claims(jwt(123, tenant="t"))["res_tenant"] == "t"
    assert token_claims("not-a-jwt") == {}
    assert token_claims("a.%%%.c") == {}
    assert token_claims(f"a.{b64url(b'[1]')}.c") == {}


def test_threads_share_one_refresh(tmp_path: Path) -> None:
    clock = Clock(NOW + 595)  # mandatory window from the start: every caller must see a usable signer
    first = jwt(NOW + 600, jti="1")
    env = rp_files(tmp_path, first)
    credentials = resolve_credentials(env, home=tmp_path, clock=clock)
    tokens = {"ST$" + first}
    seen: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(17)

    def worker() -> None:
        try:
            start.wait()
            for i in range(200):
                signer = credentials.signer()
                seen.append(signer.key_id)
                if i % 50 == 0:
                    credentials.refresh_after_unauthorized()
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    start.wait()
    for n in range(2, 12):  # rotate the token (and twice the key) while they run
        token = jwt(NOW + 600 + n, jti=str(n))
        tokens.add("ST$" + token)
        if n % 5 == 0:
            write(Path(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]), pem(KEY_B if n == 5 else KEY_A))
        tmp = Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]).with_suffix(".tmp")
        write(tmp, token).replace(env["OCI_RESOURCE_PRINCIPAL_RPST"])  # atomic, as a runtime would
    for thread in threads:
        thread.join()
    assert not errors
    assert len(seen) == 16 * 200 and set(seen) <= tokens
    assert credentials.signer().key_id == "ST$" + token  # still in the window: reads the final files
    clock.now = NOW  # out of the window: no more reads, the last token sticks
    Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]).unlink()
    assert credentials.signer().key_id == "ST$" + token
    check_signs(credentials, KEY_A)


# --- regions -------------------------------------------------------------------------------------------------


def test_region_table_matches_the_reference() -> None:
    path = REFERENCE_DIR / "oci-api.md"
    if not path.exists():
        pytest.skip("reference not present")
    section = path.read_text().split("## 7.")[1].split("## 8.")[0]
    expected_keys: dict[str, str] = {}
    expected_realms: dict[str, str] = {}
    for realm, domain, pairs in re.findall(r"^\| (oc\d+) \| (\S+) \| (.*) \|$", section, re.MULTILINE):
        assert REALM_DOMAINS[realm] == domain
        for key, name in re.findall(r"([A-Z]{3})→`([a-z0-9-]+)`", pairs):
            expected_keys[key] = name
            expected_realms[name] = realm
    assert len(expected_keys) == 85
    assert expected_keys == REGION_KEYS
    assert {name: realm_of(name) for name in expected_realms} == expected_realms


def test_region_helpers() -> None:
    assert region_name(" Phx ") == "us-phoenix-1" and region_name("US-ASHBURN-1") == "us-ashburn-1"
    assert realm_of("us-gov-phoenix-1") == "oc3" and realm_domain("tus") == "oraclegovcloud.com"
    assert realm_of("eu-madrid-2") == "oc19" and realm_domain("eu-madrid-2") == "oraclecloud.eu"
    assert realm_of("zz-unknown-1") == "oc1" and realm_domain("zz-unknown-1") == "oraclecloud.com"
    assert regions.register_region("ZZ-Unknown-1", "OC77", "oraclecloud77.com", "zzu") == "zz-unknown-1"
    assert realm_of("zzu") == "oc77"
