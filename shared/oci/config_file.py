"""The OCI config file (``~/.oci/config``): where it is, and one profile read from it.

Parsing follows the SDK (``oci/config.py``; docs.oracle.com/iaas/Content/API/Concepts/sdkconfig.htm):
``configparser`` without interpolation, keys case-insensitive, profile names case-sensitive, ``#``/``;``
comment lines only, and every key of ``[DEFAULT]`` inherited by the other profiles. Errors name the file,
the profile and the key, never a value (a value may be a pass phrase or a pasted key).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import configparser

CONFIG_FILE_ENV: Final = "OCI_CONFIG_FILE"
PROFILE_ENV: Final = "OCI_CONFIG_PROFILE"
CLI_PROFILE_ENV: Final = "OCI_CLI_PROFILE"  # the OCI CLI's name for the same choice
DEFAULT_CONFIG_FILE: Final = "~/.oci/config"
DEFAULT_PROFILE: Final = "DEFAULT"


class ConfigFileError(Exception):
    """The config file or a profile in it cannot be used; the message names the file, profile and key."""

    def __init__(self, message: str, *, path: Path, profile: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.profile = profile
        self.key = key
        where = str(path) if profile is None else f"{path} [{profile}]"
        super().__init__(f"{where}: {message}")


def expand_home(value: str, home: Path) -> Path:
    """``~`` and ``~/...`` relative to ``home`` (injected, not ``$HOME``); ``~user/...`` as the OS says."""
    if value == "~":
        return home
    if value.startswith(("~/", "~" + os.sep)):
        return home / value[2:]
    return Path(os.path.expanduser(value))


@dataclass(frozen=True)
class ConfigLocation:
    path: Path
    profile: str
    explicit: bool  # the path came from OCI_CONFIG_FILE (so a missing file is an error, not "no config")


def locate(environ: Mapping[str, str], home: Path) -> ConfigLocation:
    """``OCI_CONFIG_FILE`` if set, else ``~/.oci/config``; the profile ``OCI_CONFIG_PROFILE`` names, else the one
    ``OCI_CLI_PROFILE`` names (as the OCI CLI reads it), else ``DEFAULT``."""
    configured = (environ.get(CONFIG_FILE_ENV) or "").strip()
    path = expand_home(configured or DEFAULT_CONFIG_FILE, home)
    chosen = (environ.get(PROFILE_ENV) or "").strip() or (environ.get(CLI_PROFILE_ENV) or "").strip()
    profile = chosen or DEFAULT_PROFILE
    return ConfigLocation(path, profile, explicit=bool(configured))


@dataclass(frozen=True, repr=False)
class ConfigProfile:
    """One profile's keys (lower-case names, ``[DEFAULT]`` merged in), with checked accessors."""

    path: Path
    name: str
    values: Mapping[str, str]

    def __repr__(self) -> str:  # values may hold a pass phrase
        return f"ConfigProfile(path={str(self.path)!r}, name={self.name!r}, keys={sorted(self.values)!r})"

    def get(self, key: str) -> str | None:
        """The stripped value, or None when the key is absent or empty."""
        value = self.values.get(key.lower(), "").strip()
        return value or None

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise self.error(f"the key {key!r} is missing or empty", key)
        return value

    def file(self, key: str, home: Path) -> Path | None:
        """The key's value as a path (``~`` expanded against ``home``), or None when the key is absent."""
        value = self.get(key)
        return None if value is None else expand_home(value, home)

    def error(self, message: str, key: str | None = None) -> ConfigFileError:
        return ConfigFileError(message, path=self.path, profile=self.name, key=key)


def _parse(path: Path) -> configparser.ConfigParser:
    import configparser  # here, not at the top: a function on resource principals never reads a config file

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle, source=str(path))
    except FileNotFoundError:
        raise ConfigFileError("the config file does not exist", path=path) from None
    except IsADirectoryError:
        raise ConfigFileError("the config file is a directory", path=path) from None
    except OSError as exc:
        raise ConfigFileError(f"cannot read the config file ({exc.strerror})", path=path) from None
    except UnicodeDecodeError:
        raise ConfigFileError("the config file is not UTF-8 text", path=path) from None
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigFileError(f"not an INI file: line {exc.lineno} comes before any [profile]", path=path) from None
    except configparser.ParsingError as exc:  # its text quotes the offending lines: report line numbers only
        lines = ", ".join(str(number) for number, _ in exc.errors) or "?"
        raise ConfigFileError(f"not an INI file: cannot parse line(s) {lines}", path=path) from None
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
        raise ConfigFileError(f"duplicate entry: {exc.message}", path=path) from None
    except configparser.Error as exc:
        raise ConfigFileError(f"not an INI file: {type(exc).__name__}", path=path) from None
    return parser


def read_profile(path: Path, profile: str = DEFAULT_PROFILE) -> ConfigProfile:
    """The named profile (case-sensitive) with ``[DEFAULT]`` inherited; ``ConfigFileError`` if absent."""
    parser = _parse(path)
    if profile == DEFAULT_PROFILE:
        values = dict(parser.defaults())
        if not values:
            raise ConfigFileError(f"no [{DEFAULT_PROFILE}] profile", path=path, profile=profile)
    elif parser.has_section(profile):
        values = dict(parser[profile])
    else:
        known = ", ".join(sorted(parser.sections())) or "none besides DEFAULT"
        raise ConfigFileError(
            f"no such profile (profiles are case-sensitive; found: {known})", path=path, profile=profile
        )
    return ConfigProfile(path, profile, values)
