"""The stack floor: the fdk plus the libraries this product is built on, and nothing of ours.

It imports requests, pydantic (``BaseModel``, ``Field``) and cryptography's RSA signing, loads the
resource-principal key and signs one string, then answers. Its cold start is the least any handler
on this stack (fdk + requests + pydantic + cryptography) can pay; what ours costs above it is our
own code: its imports and the four API calls.
"""

from __future__ import annotations

import io
import os
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fdk import response
from pydantic import BaseModel, Field


class Answer(BaseModel):
    status: str = Field(default="ok")
    session: str


def handler(ctx: Any, data: io.BytesIO | None = None) -> Any:
    pem = os.environ["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"].encode()
    key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey)
    key.sign(b"date: now", padding.PKCS1v15(), hashes.SHA256())
    answer = Answer(session=type(requests.Session()).__name__)
    return response.Response(ctx, response_data=answer.model_dump_json(), headers={"content-type": "application/json"})
