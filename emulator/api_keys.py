"""API keys for the emulator's callers: an RSA key pair, registered through the control API, and the
``RequestSigner`` that signs with it (the emulator's tests, ``measure`` and the demo use these)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.oci.signing import RequestSigner

from .control_client import EmulatorControl
from .core.ids import DEFAULT_TENANCY

USER_ID = "ocid1.user.oc1..aaaaaaaaemulatoruser"


@dataclass(frozen=True)
class RsaKeyPair:
    private_key: rsa.RSAPrivateKey
    private_key_pem: bytes
    public_key_pem: bytes
    fingerprint: str


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    private_key_pem: bytes
    tenancy_id: str
    signer: RequestSigner
    public_key_pem: bytes


def make_key_pair() -> RsaKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return RsaKeyPair(key, private_pem, public_pem, fingerprint)


def register_api_key(
    control: EmulatorControl, pair: RsaKeyPair, tenancy_id: str = DEFAULT_TENANCY, user_id: str = USER_ID
) -> ApiKey:
    key_id = f"{tenancy_id}/{user_id}/{pair.fingerprint}"
    control.register_key(key_id, pair.public_key_pem)
    signer = RequestSigner.from_key(key_id, pair.private_key)
    return ApiKey(key_id, pair.private_key_pem, tenancy_id, signer, pair.public_key_pem)
