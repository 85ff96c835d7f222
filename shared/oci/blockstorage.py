"""Typed Block Volume operations (``/20160918``) for one region.

Backups of the three kinds share one shape (create/get/list/update/delete/copy), described once in
``BackupKind``; the typed methods below are thin and return the model plus its ``etag``.
"""

import importlib
import random
import time
from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.errors import KeptChanging, NoEtagMatch, NotAuthorizedOrNotFound
from shared.oci.models import (
    GONE_STATES,
    BackupBase,
    BackupUpdate,
    CopyBackupDetails,
    OciModel,
    TagsUpdate,
    Volume,
)
from shared.oci.retry import NO_DEADLINE, Deadline, RetryPolicy

if TYPE_CHECKING:
    from shared.oci.boot_group_models import VolumeGroup

T = TypeVar("T", bound=OciModel)


class Versioned(NamedTuple, Generic[T]):
    """A resource with the etag and opc-request-id of the response that carried it."""

    value: T
    etag: str | None
    opc_request_id: str | None
    region: str


class Changed(NamedTuple):
    """What ``BlockStorage.update_if_match`` did."""

    backup: "Versioned[BackupBase]"  # as the update left it, or as last read when there was nothing to change
    updated: bool  # False: the change asked for nothing
    conflicts: int  # concurrent changes met (412 NoEtagMatch), each followed by a re-read


class KindSpec(NamedTuple):
    """One kind of backup. Its models are looked up by name in ``models`` on first use, so a volume's
    event never builds the boot volume and volume group models (``shared.oci.boot_group_models``)."""

    name: str  # OCI resource name: "VolumeBackup"; the model has the same name
    path: str  # collection path: "/volumeBackups"
    source_filter: str  # list filter naming the source resource
    copied_from_filter: str | None  # list filter naming the backup a copy came from
    source_name: str  # OCI name (and model name) of the source resource: "Volume"
    source_path: str  # path of the source resources: "/volumes"
    word: str  # the kind in one word, as configuration keys, name templates and reports spell it
    models: str  # the module of its models

    def _model(self, name: str) -> Any:
        return getattr(importlib.import_module(self.models), name)

    @property
    def model(self) -> type[BackupBase]:
        model: type[BackupBase] = self._model(self.name)
        return model

    @property
    def source_model(self) -> type[OciModel]:
        model: type[OciModel] = self._model(self.source_name)
        return model

    @property
    def create_details(self) -> type[BackupUpdate]:
        """``Create<name>Details``: the body of the create call."""
        model: type[BackupUpdate] = self._model(f"Create{self.name}Details")
        return model


_BOOT_GROUP = "shared.oci.boot_group_models"


class BackupKind(Enum):
    VOLUME = KindSpec(
        "VolumeBackup", "/volumeBackups", "volumeId", "sourceVolumeBackupId",
        "Volume", "/volumes", "volume", "shared.oci.models",
    )  # fmt: skip
    BOOT_VOLUME = KindSpec(
        "BootVolumeBackup", "/bootVolumeBackups", "bootVolumeId", "sourceBootVolumeBackupId",
        "BootVolume", "/bootVolumes", "bootvolume", _BOOT_GROUP,
    )  # fmt: skip
    VOLUME_GROUP = KindSpec(
        "VolumeGroupBackup", "/volumeGroupBackups", "volumeGroupId", None,
        "VolumeGroup", "/volumeGroups", "volumegroup", _BOOT_GROUP,
    )  # fmt: skip

    @property
    def spec(self) -> KindSpec:
        return self.value

    @property
    def word(self) -> str:
        """``volume``, ``bootvolume`` or ``volumegroup``: the kind as configuration and names spell it."""
        return self.value.word

    @classmethod
    def words(cls) -> list[str]:
        return [kind.word for kind in cls]

    @classmethod
    def of_ocid(cls, ocid: str) -> "BackupKind | None":
        """The kind whose backups an OCID names (``ocid1.volumebackup...``) or whose source it is."""
        resource_type = ocid.split(".")[1] if ocid.count(".") >= 2 else ""
        return _KIND_BY_OCID_TYPE.get(resource_type)


_KIND_BY_OCID_TYPE = {
    "volumebackup": BackupKind.VOLUME,
    "volume": BackupKind.VOLUME,
    "bootvolumebackup": BackupKind.BOOT_VOLUME,
    "bootvolume": BackupKind.BOOT_VOLUME,
    "volumegroupbackup": BackupKind.VOLUME_GROUP,
    "volumegroup": BackupKind.VOLUME_GROUP,
}


class BlockStorage:
    """Block Volume calls in one region."""

    def __init__(self, client: OciClient, region: str, deadline: Deadline = NO_DEADLINE) -> None:
        self.client = client
        self.region = region
        self.deadline = deadline

    # --- generic plumbing ---------------------------------------------------------------------

    def request(self, operation: str, method: str, path: str) -> OciRequest:
        """A Block Volume request in this region, within this client's deadline (add the rest with ``_replace``)."""
        return OciRequest(operation, method, Service.BLOCKSTORAGE, self.region, path, deadline=self.deadline)

    def _get(self, model: type[T], operation: str, path: str) -> Versioned[T]:
        return self.one(model, self.request(operation, "GET", path))

    def one(self, model: type[T], request: OciRequest, region: str | None = None) -> Versioned[T]:
        """The resource the request answers with; ``region``: where it lives, when not here (a copy)."""
        response = self.client.call(request)
        return Versioned(
            model.model_validate(response.data), response.etag, response.opc_request_id, region or self.region
        )

    def _list(self, model: type[T], operation: str, path: str, params: dict[str, str | int | None]) -> Iterator[T]:
        for item in self.client.paginate(self.request(operation, "GET", path)._replace(params=params)):
            yield model.model_validate(item)

    # --- sources: volumes, boot volumes, volume groups ----------------------------------------

    def get_source(self, kind: BackupKind, source_id: str) -> Versioned[OciModel]:
        spec = kind.spec
        operation = "Get" + spec.source_name
        return self._get(spec.source_model, operation, f"{spec.source_path}/{source_id}")

    def list_sources(self, kind: BackupKind, compartment_id: str, limit: int = 1000) -> Iterator[OciModel]:
        """Every source of the compartment, 1,000 a page (the most a page holds): a sweep of 2,000
        volumes lists them in 2 round trips instead of 20."""
        spec = kind.spec
        operation = "List" + spec.source_name + "s"
        return self._list(
            spec.source_model, operation, spec.source_path, {"compartmentId": compartment_id, "limit": limit}
        )

    def source_pages(
        self, kind: BackupKind, compartment_id: str, page: str | None = None, limit: int = 1000
    ) -> Iterator[tuple[str | None, list[OciModel]]]:
        """The compartment's sources page by page from ``page`` on, each page with the token that lists it."""
        spec = kind.spec
        request = self.request("List" + spec.source_name + "s", "GET", spec.source_path)
        for token, items in self.client.pages(
            request._replace(params={"compartmentId": compartment_id, "limit": limit}), page
        ):
            yield token, [spec.source_model.model_validate(item) for item in items]

    def get_volume(self, volume_id: str) -> Versioned[Volume]:
        return self._get(Volume, "GetVolume", f"/volumes/{volume_id}")

    def get_volume_group(self, volume_group_id: str) -> "Versioned[VolumeGroup]":
        from shared.oci.boot_group_models import VolumeGroup

        return self._get(VolumeGroup, "GetVolumeGroup", f"/volumeGroups/{volume_group_id}")

    # --- backups of any kind ------------------------------------------------------------------

    def create_backup(
        self,
        kind: BackupKind,
        details: BackupUpdate,  # the kind's Create*BackupDetails (KindSpec.create_details)
        retry_token: str,
        retry: RetryPolicy | None = None,
    ) -> Versioned[BackupBase]:
        spec = kind.spec
        request = self.request(f"Create{spec.name}", "POST", spec.path)
        return self.one(spec.model, request._replace(body=details, retry_token=retry_token, retry=retry))

    def get_backup(self, kind: BackupKind, backup_id: str) -> Versioned[BackupBase]:
        spec = kind.spec
        return self._get(spec.model, f"Get{spec.name}", f"{spec.path}/{backup_id}")

    def list_backups(
        self,
        kind: BackupKind,
        compartment_id: str,
        *,
        source_id: str | None = None,
        copied_from: str | None = None,
        lifecycle_state: str | None = None,
        display_name: str | None = None,
        limit: int = 100,
    ) -> Iterator[BackupBase]:
        spec = kind.spec
        params: dict[str, str | int | None] = {"compartmentId": compartment_id, "limit": limit}
        params[spec.source_filter] = source_id
        if copied_from and spec.copied_from_filter:
            params[spec.copied_from_filter] = copied_from
        if kind is not BackupKind.VOLUME_GROUP:
            params["lifecycleState"] = lifecycle_state
        params["displayName"] = display_name
        return self._list(spec.model, f"List{spec.name}s", spec.path, params)

    def backup_pages(
        self, kind: BackupKind, compartment_id: str, page: str | None = None, limit: int = 100
    ) -> Iterator[tuple[str | None, list[BackupBase]]]:
        """The compartment's backups of ``kind`` page by page from ``page`` on, each with the token that lists it."""
        spec = kind.spec
        request = self.request(f"List{spec.name}s", "GET", spec.path)
        for token, items in self.client.pages(
            request._replace(params={"compartmentId": compartment_id, "limit": limit}), page
        ):
            yield token, [spec.model.model_validate(item) for item in items]

    def update_backup(
        self, kind: BackupKind, backup_id: str, details: TagsUpdate, if_match: str | None = None
    ) -> Versioned[BackupBase]:
        spec = kind.spec
        request = self.request(f"Update{spec.name}", "PUT", f"{spec.path}/{backup_id}")
        return self.one(spec.model, request._replace(body=details, if_match=if_match))

    def update_if_match(
        self,
        kind: BackupKind,
        backup_id: str,
        change: Callable[[BackupBase], TagsUpdate | None],
        *,
        attempts: int = 3,
        current: Versioned[BackupBase] | None = None,
    ) -> Changed:
        """Optimistic update: GET for the ``etag`` (unless ``current`` was just read), PUT with ``if-match``.

        ``change(backup)`` says what the backup as read lacks (None: nothing). On 412 ``NoEtagMatch``
        (someone wrote in between) the backup is read again and ``change`` applied again, so their write is
        merged, not lost; after a short jittered pause, at most ``attempts`` times (then ``KeptChanging``).
        """
        for attempt in range(attempts):
            if current is None:
                current = self.get_backup(kind, backup_id)
            details = change(current.value)
            if details is None:
                return Changed(current, False, attempt)
            try:
                return Changed(self.update_backup(kind, backup_id, details, current.etag), True, attempt)
            except NoEtagMatch:
                current = None
                if attempt + 1 < attempts:
                    self._pause(attempt + 1)
        raise KeptChanging(backup_id, attempts)

    def _pause(self, attempt: int) -> None:
        """A short jittered pause before re-reading, so two writers do not keep colliding."""
        pause = random.uniform(0, min(0.05 * attempt, 0.5))  # jitter, not crypto
        time.sleep(max(0.0, min(pause, self.deadline.remaining())))

    def delete_backup(self, kind: BackupKind, backup_id: str, if_match: str | None = None) -> str | None:
        """Delete; returns the opc-request-id."""
        spec = kind.spec
        request = self.request(f"Delete{spec.name}", "DELETE", f"{spec.path}/{backup_id}")
        response = self.client.call(request._replace(if_match=if_match))
        return response.opc_request_id

    def delete_backup_once(self, kind: BackupKind, backup_id: str) -> str | None:
        """Delete a backup unless someone else is deleting it or did: the opc-request-id of our DELETE, or
        None when it was gone already (TERMINATING/TERMINATED, 404) or went while we asked (the
        ``if-match`` of our read failed with 412 and a second read finds it gone)."""
        try:
            current = self.get_backup(kind, backup_id)
            if current.value.lifecycle_state in GONE_STATES:
                return None
            try:
                return self.delete_backup(kind, backup_id, if_match=current.etag)
            except NoEtagMatch:
                if self.get_backup(kind, backup_id).value.lifecycle_state in GONE_STATES:
                    return None
                raise
        except NotAuthorizedOrNotFound:
            return None

    def copy_backup(
        self,
        kind: BackupKind,
        backup_id: str,
        details: CopyBackupDetails,
        retry_token: str,
        retry: RetryPolicy | None = None,
    ) -> Versioned[BackupBase]:
        """Copy a backup of this region to ``details.destination_region``; the result lives there."""
        spec = kind.spec
        request = self.request(f"Copy{spec.name}", "POST", f"{spec.path}/{backup_id}/actions/copy")
        copied = request._replace(body=details, retry_token=retry_token, retry=retry)
        return self.one(spec.model, copied, region=details.destination_region)
