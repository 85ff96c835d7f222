"""``EmulatorControl``: the control API over HTTP, usable from any process (tests, demo, benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

import requests

from .core.ids import DEFAULT_TENANCY

__all__ = ["DEFAULT_TENANCY", "EmulatorControl", "EmulatorControlError"]


class EmulatorControlError(RuntimeError):
    """A control call was refused; ``code`` and ``status`` come from the emulator's error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class Owned(TypedDict, total=False):
    """What every resource made through the control API may carry (left out: none, the emulator's tenancy)."""

    freeform_tags: Mapping[str, str] | None
    defined_tags: Mapping[str, Mapping[str, Any]] | None
    tenancy_id: str | None


class VolumeFields(Owned, total=False):
    """A (boot) volume's own fields (left out: 50 GB, the region's first availability domain, no group)."""

    size_in_gbs: int
    availability_domain: str | None
    volume_group_id: str | None


class SeededBackup(Owned, total=False):
    """A seeded backup's fields (left out: a generated name, MANUAL, INCREMENTAL, made now, AVAILABLE, no events,
    restores that succeed)."""

    display_name: str | None
    source_type: str
    backup_type: str
    age_seconds: float
    lifecycle_state: str
    announce: bool
    restore_fails: bool


WIRE_NAMES = {"size_in_gbs": "sizeInGBs", "backup_type": "type"}  # where the wire name is not the camelCase one


def _wire(body: Mapping[str, Any]) -> dict[str, Any]:
    """A body by its wire names (camelCase), JSON values (mappings and sequences copied), unset fields left out."""
    return {WIRE_NAMES.get(key, _camel(key)): _json(value) for key, value in body.items() if value is not None}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_json(v) for v in value]
    return value


class EmulatorControl:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"EmulatorControl({self.base_url!r})"

    def url(self, region: str, service: str = "iaas") -> str:
        """One service's endpoint in one region, e.g. ``{base_url}/iaas/us-ashburn-1``."""
        return f"{self.base_url}/{service}/{region}"

    @property
    def endpoint_template(self) -> str:
        """The ``OCI_ENDPOINT_TEMPLATE`` value: one host-like prefix per service (``hosts.py``)."""
        return f"{self.base_url}/{{service}}/{{region}}"

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None, **params: Any) -> Any:
        response = self._session.request(
            method,
            f"{self.base_url}/_emulator/{path}",
            json=body,
            params={k: v for k, v in params.items() if v is not None},
            timeout=self.timeout,
        )
        data = response.json() if response.content else None
        if response.status_code >= 400:
            data = data or {}
            raise EmulatorControlError(response.status_code, data.get("code", ""), data.get("message", ""))
        return data

    @staticmethod
    def _clean(body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if v is not None}

    # ---- identities ----------------------------------------------------------------------------------

    def register_key(self, key_id: str, public_key_pem: str | bytes) -> dict[str, Any]:
        pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        result: dict[str, Any] = self._call("POST", "keys", {"keyId": key_id, "publicKeyPem": pem})
        return result

    def issue_resource_principal(
        self,
        region: str,
        tenancy_id: str | None = None,
        compartment_id: str | None = None,
        ttl_seconds: float = 3600,
    ) -> dict[str, Any]:
        body = self._clean(
            {
                "region": region,
                "tenancyId": tenancy_id,
                "compartmentId": compartment_id,
                "ttlSeconds": float(ttl_seconds),
            }
        )
        data = self._call("POST", "resource-principal", body)
        return {
            "rpst": data["rpst"],
            "private_key_pem": data["privateKeyPem"],
            "region": data["region"],
            "tenancy_id": data["tenancyId"],
            "compartment_id": data["compartmentId"],
            "expires_at": data["expiresAt"],
        }

    def revoke_resource_principal(self, rpst: str) -> bool:
        return bool(self._call("POST", "resource-principal/revoke", {"rpst": rpst})["revoked"])

    def create_compartment(
        self, name: str, parent_id: str | None = None, tenancy_id: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        body = self._clean({"name": name, "parentId": parent_id, "tenancyId": tenancy_id, "description": description})
        result: dict[str, Any] = self._call("POST", "compartments", body)
        return result

    # ---- resources -----------------------------------------------------------------------------------

    def _seed(self, region: str, collection: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Every resource the control API makes, one shape: ``POST /_emulator/{region}/{collection}`` with
        the fields by their wire names (``_wire``), the answer the resource as OCI renders it."""
        result: dict[str, Any] = self._call("POST", f"{region}/{collection}", _wire(body))
        return result

    def create_volume(
        self, region: str, compartment_id: str, display_name: str, **fields: Unpack[VolumeFields]
    ) -> dict[str, Any]:
        return self._seed(region, "volumes", {"compartment_id": compartment_id, "display_name": display_name, **fields})

    def create_boot_volume(
        self,
        region: str,
        compartment_id: str,
        display_name: str,
        *,
        image_type: str = "platform",
        image_id: str | None = None,
        **fields: Unpack[VolumeFields],
    ) -> dict[str, Any]:
        body = {"compartment_id": compartment_id, "display_name": display_name, **fields}
        return self._seed(region, "bootVolumes", {**body, "image_type": image_type, "image_id": image_id})

    def create_volume_group(
        self,
        region: str,
        compartment_id: str,
        display_name: str,
        volume_ids: Sequence[str],
        **fields: Unpack[Owned],
    ) -> dict[str, Any]:
        body = {"compartment_id": compartment_id, "display_name": display_name, "volume_ids": volume_ids, **fields}
        return self._seed(region, "volumeGroups", body)

    def seed_backup(
        self,
        region: str,
        volume_id: str,
        *,
        boot: bool = False,
        expires_in_seconds: float | None = None,
        lock: Mapping[str, Any] | None = None,
        **fields: Unpack[SeededBackup],
    ) -> dict[str, Any]:
        """A finished backup made ``age_seconds`` ago (e.g. an old SCHEDULED one); events only if ``announce``.

        ``lock``: lock fields by their wire names (``isRetentionLockEnabled``, ``retentionPeriod``, ...)."""
        source = "boot_volume_id" if boot else "volume_id"
        body = {source: volume_id, "expires_in_seconds": expires_in_seconds, **fields}
        return self._seed(region, "bootVolumeBackups" if boot else "volumeBackups", {**body, **(lock or {})})

    def seed_group_backup(self, region: str, volume_group_id: str, **fields: Unpack[SeededBackup]) -> dict[str, Any]:
        """A finished volume group backup (and one member backup per volume) made ``age_seconds`` ago."""
        return self._seed(region, "volumeGroupBackups", {"volume_group_id": volume_group_id, **fields})

    def create_topic(
        self, region: str, compartment_id: str, name: str, tenancy_id: str | None = None
    ) -> dict[str, Any]:
        return self._seed(region, "topics", {"compartment_id": compartment_id, "name": name, "tenancy_id": tenancy_id})

    def create_function(
        self,
        region: str,
        compartment_id: str,
        display_name: str,
        application_id: str | None = None,
        tenancy_id: str | None = None,
        socket_path: str | None = None,
    ) -> dict[str, Any]:
        """A function (GetFunction answers it) with its own ``invokeEndpoint``; with ``socket_path`` (a
        running fdk process) a sync InvokeFunction runs there (``functions/agent.py``)."""
        body = {"compartment_id": compartment_id, "display_name": display_name, "application_id": application_id}
        return self._seed(region, "functions", {**body, "tenancy_id": tenancy_id, "socket_path": socket_path})

    def launch_instance(
        self,
        region: str,
        compartment_id: str,
        display_name: str,
        *,
        availability_domain: str | None = None,
        image_type: str = "platform",
        **fields: Unpack[Owned],
    ) -> dict[str, Any]:
        """Launch an instance: a boot volume, its attachment and a ``launchinstance.end`` event
        (-> the Instance JSON plus ``bootVolume``)."""
        body = {"compartment_id": compartment_id, "display_name": display_name, **fields}
        return self._seed(
            region, "instances", {**body, "availability_domain": availability_domain, "image_type": image_type}
        )

    def grant_tag_namespaces(self, *namespaces: str, tenancy_id: str | None = None) -> list[str]:
        """Let the tenancy's callers write defined tags of these namespaces (replaces earlier grants)."""
        body = self._clean({"namespaces": list(namespaces), "tenancyId": tenancy_id})
        return list(self._call("POST", "tag-namespaces", body)["namespaces"])

    def grant_resource_availability(self, granted: bool = True, tenancy_id: str | None = None) -> bool:
        """Let the tenancy's callers read the Limits service's usage figures (``False``: take it back)."""
        body = self._clean({"granted": granted, "tenancyId": tenancy_id})
        return bool(self._call("POST", "resource-availability", body)["granted"])

    # ---- recordings ----------------------------------------------------------------------------------

    def messages(self, region: str, topic_id: str, tenancy_id: str | None = None) -> list[dict[str, Any]]:
        data = self._call("GET", f"{region}/topics/{topic_id}/messages", tenancyId=tenancy_id)
        return list(data["messages"])

    def events_page(self, since: int = 0) -> tuple[list[dict[str, Any]], int]:
        """``([{"region", "tenancyId", "event"}, ...], next_cursor)``."""
        data = self._call("GET", "events", since=since)
        return list(data["events"]), int(data["next"])

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """Recorded events as ``{"region", "tenancyId", "event": <CloudEvents envelope>}``, oldest first."""
        return self.events_page(since)[0]

    def event_envelopes(self, event_type: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Just the envelopes, optionally of one type (short ``createvolumebackup.end`` or full name)."""
        result = []
        for item in self.events(since):
            env = item["event"]
            if event_type is None or env["eventType"] == event_type or env["eventType"].endswith("." + event_type):
                result.append(env)
        return result

    def invocations(self, since: int = 0) -> list[dict[str, Any]]:
        return list(self._call("GET", "invocations", since=since)["invocations"])

    def metrics(self, tenancy_id: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
        """Custom metrics accepted by PostMetricData (as posted, in arrival order)."""
        return list(self._call("GET", "metrics", tenancyId=tenancy_id, region=region)["metrics"])

    def calls(self) -> dict[str, int]:
        """Authenticated API requests so far, by ``"<region> <Operation>"``."""
        return dict(self._call("GET", "calls")["calls"])

    def refused(self) -> dict[str, int]:
        """Requests answered by an injected fault (429 of a rate limit, 5xx), by ``"<region> <Operation> <status>"``."""
        return dict(self._call("GET", "calls")["refused"])

    def connections(self) -> int:
        """TCP connections the emulator accepted since it started (each client connection kept alive counts once)."""
        return int(self._call("GET", "calls")["connections"])

    # ---- clock, faults, settings ---------------------------------------------------------------------

    def advance(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "clock", {"advanceSeconds": seconds})
        return result

    def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "clock")
        return result

    def faults(self, rules: Sequence[Mapping[str, Any]], seed: int | None = None) -> list[dict[str, Any]]:
        """Replace all fault rules (see the package docstring for the rule fields)."""
        body: dict[str, Any] = {"rules": [dict(r) for r in rules]}
        if seed is not None:
            body["seed"] = seed
        return list(self._call("POST", "faults", body)["rules"])

    def fault_rules(self) -> list[dict[str, Any]]:
        """The fault rules in force (as ``faults`` takes them)."""
        return list(self._call("GET", "faults")["rules"])

    def clear_faults(self) -> None:
        self.faults([])

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change settings (snake_case or camelCase names); returns all settings."""
        result: dict[str, Any] = self._call("POST", "settings", changes)
        return result

    def set_latency(self, seconds: float) -> None:
        """Added latency for every API request (``settings(latency_seconds=...)``)."""
        self.settings(latency_seconds=seconds)

    def reset(self) -> None:
        self._call("POST", "reset")

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result
