"""A moto-style local OCI emulator: Block Volume, Compute attachments, Notifications, Functions, Identity,
Events, Monitoring custom metrics, served over real signed HTTP.

What it serves, its control API, its refusals and its named assumptions: ``README.md`` beside this file
(each service's rules in full in its ``models.py``). Run it with ``python -m emulator --port 8123``, in
code with ``with Emulator() as emu: EmulatorControl(emu.base_url) ...``, in pytest through the fixtures
of ``tests/emulator_fixtures.py``.
"""

from __future__ import annotations

from .control_client import EmulatorControl, EmulatorControlError
from .core.ids import DEFAULT_TENANCY
from .core.settings import Settings
from .server import Emulator

__all__ = ["DEFAULT_TENANCY", "Emulator", "EmulatorControl", "EmulatorControlError", "Settings"]
