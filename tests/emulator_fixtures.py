"""pytest plugin: ``pytest_plugins = ["tests.emulator_fixtures"]``.

* ``emulator`` (session): a running ``Emulator``.
* ``emu`` (function): resets the emulator, returns its ``EmulatorControl``.
* ``signed_api`` (function): a ``SignedApi`` using ``api_key``.
* ``api_key`` (function): an API key registered for ``DEFAULT_TENANCY`` (the RSA key is made once per
  session), with ``.key_id``, ``.private_key_pem``, ``.tenancy_id`` and ``.signer`` (``RequestSigner``).

``error(response)``: an OCI error answer as ``(status, code)``, what the emulator's tests compare.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator import Emulator, EmulatorControl
from emulator.api_client import SignedApi
from emulator.api_keys import ApiKey, RsaKeyPair, make_key_pair, register_api_key

__all__ = ["ApiKey", "RsaKeyPair", "make_key_pair", "register_api_key"]


def error(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


@pytest.fixture
def emu(emulator: Emulator) -> EmulatorControl:
    control = emulator.control
    control.reset()
    return control


@pytest.fixture(scope="session")
def emulator_key_pair() -> RsaKeyPair:
    return make_key_pair()


@pytest.fixture
def api_key(emu: EmulatorControl, emulator_key_pair: RsaKeyPair) -> ApiKey:
    return register_api_key(emu, emulator_key_pair)


@pytest.fixture
def signed_api(emulator: Emulator, api_key: ApiKey) -> SignedApi:
    """Raw signed HTTP with ``api_key`` against ``us-ashburn-1`` (pass ``region=`` to go elsewhere)."""
    return SignedApi(emulator.base_url, api_key.signer)
