"""Former home of the local OCI emulator, kept as an alias for one release: import ``emulator`` instead."""

from emulator import DEFAULT_TENANCY, Emulator, EmulatorControl, EmulatorControlError, Settings

__all__ = ["DEFAULT_TENANCY", "Emulator", "EmulatorControl", "EmulatorControlError", "Settings"]
