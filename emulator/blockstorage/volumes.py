"""Volumes, boot volumes and volume groups: created through the control API, read through the API."""

from __future__ import annotations

import copy as _copy
from typing import Any

from ..core.ids import new_ocid
from ..events import SUCCEEDED
from .base import BlockstorageBase
from .resources import AVAILABLE, BootVolume, DefinedTags, Tags, Volume, VolumeGroup


class VolumesMixin(BlockstorageBase):
    # ---- volumes (created through the control API) ---------------------------------------------------

    def create_volume(
        self,
        compartment_id: str,
        display_name: str,
        *,
        boot: bool = False,
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        size_in_gbs: int = 50,
        availability_domain: str | None = None,
        volume_group_id: str | None = None,
        image_id: str | None = None,
        image_type: str = "platform",
        announce: bool = True,
    ) -> Volume:
        group = self._get(self.volume_groups, volume_group_id) if volume_group_id else None
        common: dict[str, Any] = {
            "compartment_id": compartment_id,
            "display_name": display_name,
            "lifecycle_state": AVAILABLE,
            "time_created": self.now,
            "seq": self.next_seq(),
            "freeform_tags": dict(freeform_tags or {}),
            "defined_tags": _copy.deepcopy(defined_tags or {}),
            "availability_domain": availability_domain or self.default_ad(),
            "size_in_gbs": size_in_gbs,
            "volume_group_id": volume_group_id,
        }
        volume: Volume
        if boot:
            image = image_id or new_ocid("image", self.region_info)
            boot_volume = BootVolume(
                id=new_ocid("bootvolume", self.region_info), image_id=image, image_type=image_type, **common
            )
            self.boot_volumes[boot_volume.id] = boot_volume
            volume = boot_volume
        else:
            volume = Volume(id=new_ocid("volume", self.region_info), **common)
            self.volumes[volume.id] = volume
        if group is not None:
            group.volume_ids.append(volume.id)
            group.size_in_gbs += size_in_gbs
            group.touch()
        noun = "bootvolume" if boot else "volume"
        if announce:  # a boot volume made by launching an instance emits the Compute event instead
            self.emit(
                f"create{noun}.end", volume, {"status": SUCCEEDED}, volume.time_created, volume.availability_domain
            )
        return volume

    def create_volume_group(
        self,
        compartment_id: str,
        display_name: str,
        volume_ids: list[str],
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        availability_domain: str | None = None,
    ) -> VolumeGroup:
        members = [self.any_volume(vid) for vid in volume_ids]
        group = VolumeGroup(
            id=new_ocid("volumegroup", self.region_info),
            compartment_id=compartment_id,
            display_name=display_name,
            lifecycle_state=AVAILABLE,
            time_created=self.now,
            seq=self.next_seq(),
            freeform_tags=dict(freeform_tags or {}),
            defined_tags=_copy.deepcopy(defined_tags or {}),
            availability_domain=availability_domain or self.default_ad(),
            volume_ids=list(volume_ids),
            size_in_gbs=sum(v.size_in_gbs for v in members),
        )
        for member in members:
            member.volume_group_id = group.id
            member.touch()
        self.volume_groups[group.id] = group
        self.emit("createvolumegroup.end", group, {"status": SUCCEEDED}, group.time_created, group.availability_domain)
        return group
