"""The control API under ``/_emulator/`` (unsigned): seed state, read recordings, drive the clock and faults.

Documented in the package docstring (``emulator/__init__.py``); the Python client is
``EmulatorControl`` in ``control_client.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from werkzeug import Request

from .blockstorage.models import BOOT_VOLUME_BACKUP, VOLUME_BACKUP, BackupKind, BlockstorageBackend
from .compute.models import ComputeBackend
from .control_bodies import (
    BootVolumeBody,
    ClockBody,
    CompartmentBody,
    FaultsBody,
    FunctionBody,
    InstanceBody,
    KeyBody,
    ResourceAvailabilityGrantBody,
    ResourcePrincipalBody,
    RevokeBody,
    SeedBackupBody,
    SeedGroupBackupBody,
    TagGrantsBody,
    TopicBody,
    VolumeBody,
    VolumeGroupBody,
)
from .core.clock import rfc3339
from .core.exceptions import InvalidParameter, MethodNotAllowed, NotAuthorizedOrNotFound, NotFound
from .core.ids import DEFAULT_TENANCY
from .core.keys import KeyStore
from .core.regions import Region, find_region
from .core.responses import ApiResponse, parse_json_object, validate
from .core.routing import compile_template
from .core.settings import Settings
from .core.state import GLOBAL, World
from .core.tags import ORACLE_TAGS
from .functions.models import FunctionsBackend
from .identity.models import IdentityBackend
from .monitoring.models import MonitoringBackend
from .ons.models import OnsBackend

PREFIX = "/_emulator"

Handler = Callable[[Request, Mapping[str, str]], ApiResponse]


class ControlApi:
    """Routes ``/_emulator/...``; every handler runs under the world lock after a clock tick."""

    ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", "/health", "health"),
        ("POST", "/reset", "reset"),
        ("POST", "/keys", "register_key"),
        ("POST", "/resource-principal", "issue_resource_principal"),
        ("POST", "/resource-principal/revoke", "revoke_resource_principal"),
        ("POST", "/compartments", "create_compartment"),
        ("GET", "/compartments", "list_compartments"),
        ("GET", "/events", "events"),
        ("GET", "/invocations", "invocations"),
        ("GET", "/calls", "calls"),
        ("GET", "/metrics", "metrics"),
        ("GET", "/clock", "clock"),
        ("POST", "/clock", "advance_clock"),
        ("GET", "/faults", "get_faults"),
        ("POST", "/faults", "set_faults"),
        ("GET", "/settings", "get_settings"),
        ("POST", "/settings", "set_settings"),
        ("POST", "/{region}/volumes", "create_volume"),
        ("POST", "/{region}/bootVolumes", "create_boot_volume"),
        ("POST", "/{region}/volumeGroups", "create_volume_group"),
        ("POST", "/{region}/volumeBackups", "seed_volume_backup"),
        ("POST", "/{region}/bootVolumeBackups", "seed_boot_volume_backup"),
        ("POST", "/{region}/volumeGroupBackups", "seed_volume_group_backup"),
        ("POST", "/{region}/topics", "create_topic"),
        ("POST", "/{region}/functions", "create_function"),
        ("POST", "/{region}/instances", "launch_instance"),
        ("GET", "/tag-namespaces", "get_tag_grants"),
        ("POST", "/tag-namespaces", "set_tag_grants"),
        ("POST", "/resource-availability", "set_resource_availability_grant"),
        ("GET", "/{region}/topics/{topicId}/messages", "messages"),
    )

    def __init__(self, world: World, operations: set[str]) -> None:
        self.world = world
        self.operations = operations
        self._routes = [(method, compile_template(PREFIX + path), name) for method, path, name in self.ROUTES]

    def handle(self, request: Request) -> ApiResponse:
        path = request.path.rstrip("/") or "/"
        allowed = False
        for method, regex, name in self._routes:
            m = regex.match(path)
            if m is None:
                continue
            allowed = True
            if method != request.method:
                continue
            handler: Handler = getattr(self, name)
            with self.world.lock:
                self.world.tick()
                return handler(request, m.groupdict())
        if allowed:
            raise MethodNotAllowed(f"{request.method} is not allowed on {path}.")
        raise NotFound(f"No control endpoint at {path}.")

    # ---- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _body(request: Request, model: type[Any], empty_ok: bool = False) -> Any:
        raw = request.get_data()
        data = {} if empty_ok and not raw.strip() else parse_json_object(raw)
        return validate(model, data)

    @staticmethod
    def _region(name: str) -> Region:
        region = find_region(name)
        if region is None:
            raise InvalidParameter(f"{name!r} is not a known region.")
        return region

    @staticmethod
    def _ok(body: Any) -> ApiResponse:
        return ApiResponse(body=body)

    def _blockstorage(self, tenancy_id: str, region: str) -> BlockstorageBackend:
        return self.world.backend(BlockstorageBackend, tenancy_id, self._region(region).name)

    @staticmethod
    def _cursor(request: Request) -> int:
        raw = request.args.get("since", "0")
        try:
            return int(raw)
        except ValueError:
            raise InvalidParameter("Invalid value for 'since': must be an integer.") from None

    # ---- endpoints -----------------------------------------------------------------------------------

    def health(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._ok({"status": "ok", "now": rfc3339(self.world.clock.now())})

    def reset(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        self.world.reset()
        return self._ok({"reset": True})

    def register_key(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: KeyBody = self._body(request, KeyBody)
        try:
            principal = self.world.keys.register_api_key(body.key_id, body.public_key_pem)
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from None
        return self._ok({"keyId": principal.key_id, "tenancyId": principal.tenancy_id})

    def issue_resource_principal(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: ResourcePrincipalBody = self._body(request, ResourcePrincipalBody)
        region = self._region(body.region)
        keys: KeyStore = self.world.keys
        issued = keys.issue_rpst(
            body.tenancy_id, body.compartment_id or body.tenancy_id, float(body.ttl_seconds), region.name
        )
        return self._ok(
            {
                "rpst": issued.rpst,
                "privateKeyPem": issued.private_key_pem,
                "region": region.name,
                "tenancyId": issued.tenancy_id,
                "compartmentId": issued.compartment_id,
                "expiresAt": issued.expires_at,
            }
        )

    def revoke_resource_principal(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: RevokeBody = self._body(request, RevokeBody)
        return self._ok({"revoked": self.world.keys.revoke_rpst(body.rpst)})

    def create_compartment(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: CompartmentBody = self._body(request, CompartmentBody)
        identity = self.world.backend(IdentityBackend, body.tenancy_id, GLOBAL)
        return self._ok(identity.create_compartment(body.name, body.parent_id, body.description).to_json())

    def list_compartments(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        identity = self.world.backend(IdentityBackend, request.args.get("tenancyId", DEFAULT_TENANCY), GLOBAL)
        return self._ok({"compartments": [c.to_json() for c in identity.compartments.values()]})

    def events(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        items, cursor = self.world.events.since(self._cursor(request))
        return self._ok({"events": items, "next": cursor})

    def invocations(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        items, cursor = self.world.invocations.since(self._cursor(request))
        return self._ok({"invocations": items, "next": cursor})

    def calls(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        world = self.world
        return self._ok({"calls": dict(world.calls), "refused": dict(world.refused), "connections": world.connections})

    def metrics(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        monitoring = self.world.backend(MonitoringBackend, request.args.get("tenancyId", DEFAULT_TENANCY), GLOBAL)
        region = request.args.get("region")
        if region is not None:
            self._region(region)
        return self._ok({"metrics": monitoring.listed(region)})

    def clock(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        now = self.world.clock.now()
        return self._ok({"now": rfc3339(now), "epochSeconds": now, "offsetSeconds": self.world.clock.offset})

    def advance_clock(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: ClockBody = self._body(request, ClockBody, empty_ok=True)
        try:
            self.world.clock.advance(body.advance_seconds)
        except ValueError as exc:  # it would overflow the clock: refused, the clock unchanged
            raise InvalidParameter(f"Invalid value for 'advanceSeconds': {exc}.") from None
        self.world.tick()
        return self.clock(request, params)

    def get_faults(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._ok({"rules": [r.model_dump(by_alias=True, exclude_none=True) for r in self.world.faults.rules()]})

    def set_faults(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: FaultsBody = self._body(request, FaultsBody)
        unknown = sorted({r.operation for r in body.rules} - self.operations - {"*"})
        if unknown:
            raise InvalidParameter(f"Unknown operation names in fault rules: {', '.join(unknown)}.")
        for rule in body.rules:
            if rule.region is not None:
                self._region(rule.region)
        self.world.faults.configure(body.rules, body.seed)
        return self.get_faults(request, params)

    def get_settings(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._ok(self.world.settings.model_dump(by_alias=True))

    def set_settings(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        changes = parse_json_object(request.get_data()) if request.get_data().strip() else {}
        merged = {**self.world.settings.model_dump(), **{_snake(k): v for k, v in changes.items()}}
        self.world.settings = validate(Settings, merged)
        return self.get_settings(request, params)

    def _create_volume(self, request: Request, params: Mapping[str, str], boot: bool) -> ApiResponse:
        body: VolumeBody = self._body(request, BootVolumeBody if boot else VolumeBody)
        backend = self._blockstorage(body.tenancy_id, params["region"])
        extra: dict[str, Any] = {}
        if isinstance(body, BootVolumeBody):
            extra = {"image_id": body.image_id, "image_type": body.image_type}
        volume = backend.create_volume(
            body.compartment_id,
            body.display_name,
            boot=boot,
            freeform_tags=body.freeform_tags,
            defined_tags=body.defined_tags,
            size_in_gbs=body.size_in_gbs,
            availability_domain=body.availability_domain,
            volume_group_id=body.volume_group_id,
            **extra,
        )
        return self._ok(volume.to_json())

    def create_volume(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._create_volume(request, params, boot=False)

    def create_boot_volume(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._create_volume(request, params, boot=True)

    def create_volume_group(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: VolumeGroupBody = self._body(request, VolumeGroupBody)
        backend = self._blockstorage(body.tenancy_id, params["region"])
        group = backend.create_volume_group(
            body.compartment_id,
            body.display_name,
            body.volume_ids,
            body.freeform_tags,
            body.defined_tags,
            body.availability_domain,
        )
        return self._ok(group.to_json())

    def _seed_backup(self, request: Request, params: Mapping[str, str], kind: BackupKind) -> ApiResponse:
        body: SeedBackupBody = self._body(request, SeedBackupBody)
        source_id = body.boot_volume_id if kind is BOOT_VOLUME_BACKUP else body.volume_id
        if source_id is None:
            raise InvalidParameter(f"Invalid value for '{kind.source_field}': Field required.")
        backend = self._blockstorage(body.tenancy_id, params["region"])
        backup = backend.seed_backup(
            kind,
            source_id,
            **body.seeded(),
            expires_in_seconds=body.expires_in_seconds,
            retention=body.retention_json(),
        )
        return self._ok(backup.to_json())

    def seed_volume_backup(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._seed_backup(request, params, VOLUME_BACKUP)

    def seed_boot_volume_backup(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        return self._seed_backup(request, params, BOOT_VOLUME_BACKUP)

    def seed_volume_group_backup(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: SeedGroupBackupBody = self._body(request, SeedGroupBackupBody)
        backend = self._blockstorage(body.tenancy_id, params["region"])
        group_backup = backend.seed_group_backup(body.volume_group_id, **body.seeded())
        return self._ok(group_backup.to_json())

    def create_topic(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: TopicBody = self._body(request, TopicBody)
        region = self._region(params["region"])
        ons = self.world.backend(OnsBackend, body.tenancy_id, region.name)
        topic = ons.create_topic(request.host_url, body.compartment_id, body.name, body.description)
        return self._ok(topic.to_json())

    def create_function(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: FunctionBody = self._body(request, FunctionBody)
        region = self._region(params["region"])
        functions = self.world.backend(FunctionsBackend, body.tenancy_id, region.name)
        function = functions.create_function(
            request.host_url, body.compartment_id, body.display_name, body.application_id, body.socket_path
        )
        return self._ok(function.to_json())

    def launch_instance(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: InstanceBody = self._body(request, InstanceBody)
        region = self._region(params["region"])
        compute = self.world.backend(ComputeBackend, body.tenancy_id, region.name)
        instance, boot_volume = compute.launch_instance(
            body.compartment_id,
            body.display_name,
            availability_domain=body.availability_domain,
            image_type=body.image_type,
            freeform_tags=body.freeform_tags,
            defined_tags=body.defined_tags,
        )
        return self._ok({**instance.to_json(), "bootVolume": boot_volume})

    def get_tag_grants(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        tenancy_id = request.args.get("tenancyId", DEFAULT_TENANCY)
        return self._ok({"tenancyId": tenancy_id, "namespaces": sorted(self.world.tag_grants.get(tenancy_id, set()))})

    def set_tag_grants(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        body: TagGrantsBody = self._body(request, TagGrantsBody)
        names = {name.lower() for name in body.namespaces}
        if ORACLE_TAGS.lower() in names:
            raise InvalidParameter(f"{ORACLE_TAGS} is Oracle's own namespace; it cannot be granted.")
        self.world.tag_grants[body.tenancy_id] = names
        return self._ok({"tenancyId": body.tenancy_id, "namespaces": sorted(names)})

    def set_resource_availability_grant(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        """Grant (or take back) the tenancy's ``read resource-availability`` (the Limits service's usage)."""
        body: ResourceAvailabilityGrantBody = self._body(request, ResourceAvailabilityGrantBody)
        grants = self.world.resource_availability_grants
        if body.granted:
            grants.add(body.tenancy_id)
        else:
            grants.discard(body.tenancy_id)
        return self._ok({"tenancyId": body.tenancy_id, "granted": body.granted})

    def messages(self, request: Request, params: Mapping[str, str]) -> ApiResponse:
        region = self._region(params["region"])
        ons = self.world.backend(OnsBackend, request.args.get("tenancyId", DEFAULT_TENANCY), region.name)
        if params["topicId"] not in ons.topics:
            raise NotAuthorizedOrNotFound(f"Topic {params['topicId']} not found in {region.name}.")
        return self._ok({"messages": [m.to_json() for m in ons.messages[params["topicId"]]]})


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
