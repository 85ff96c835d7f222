"""Run by the official OCI Python SDK's interpreter (not ours): restores, reads and deletes through the
SDK's BlockstorageClient against the emulator, so the SDK's models parse every answer.

argv: base_url tenancy user fingerprint key_file volume_backup boot_backup group_backup; prints JSON.
"""

import json
import sys

import oci  # type: ignore[import-not-found]  # the SDK's own interpreter only (bench/.venv-sdk, OCI_SDK_PYTHON)


def main() -> None:
    base, tenancy, user, fingerprint, key_file, volume_backup, boot_backup, group_backup = sys.argv[1:9]
    config = {
        "user": user, "fingerprint": fingerprint, "tenancy": tenancy, "key_file": key_file, "region": "us-ashburn-1",
    }  # fmt: skip
    client = oci.core.BlockstorageClient(config, service_endpoint=f"{base}/iaas/us-ashburn-1")
    client.base_client.retry_strategy = None
    identity = oci.identity.IdentityClient(config, service_endpoint=f"{base}/identity/us-ashburn-1")
    ads = identity.list_availability_domains(compartment_id=tenancy).data
    ad = ads[0].name
    sandbox = "ocid1.compartment.oc1..aaaaaaaasandbox"
    core = oci.core.models
    volume = client.create_volume(
        core.CreateVolumeDetails(
            availability_domain=ad,
            compartment_id=sandbox,
            vpus_per_gb=0,
            freeform_tags={"restore-test": "sdk"},
            source_details=core.VolumeSourceFromVolumeBackupDetails(id=volume_backup),
        )
    ).data
    boot = client.create_boot_volume(
        core.CreateBootVolumeDetails(
            availability_domain=ad,
            compartment_id=sandbox,
            source_details=core.BootVolumeSourceFromBootVolumeBackupDetails(id=boot_backup),
        )
    ).data
    group = client.create_volume_group(
        core.CreateVolumeGroupDetails(
            availability_domain=ad,
            compartment_id=sandbox,
            source_details=core.VolumeGroupSourceFromVolumeGroupBackupDetails(volume_group_backup_id=group_backup),
        )
    ).data
    got = client.get_volume(volume.id).data
    listed = client.list_volumes(compartment_id=sandbox).data
    deprecated = client.create_volume(
        core.CreateVolumeDetails(availability_domain=ad, compartment_id=sandbox, volume_backup_id=volume_backup)
    ).data
    out = {
        "ads": [a.name for a in ads],
        "volume": {"state": got.lifecycle_state, "hydrated": got.is_hydrated, "vpus": got.vpus_per_gb,
                   "source": type(got.source_details).__name__, "sourceId": got.source_details.id},
        "boot": {"state": boot.lifecycle_state, "image": boot.image_id, "source": type(boot.source_details).__name__},
        "group": {"state": group.lifecycle_state, "members": len(group.volume_ids),
                  "source": type(group.source_details).__name__},
        "listed": sorted(v.id for v in listed),
        "deprecated": deprecated.source_details.id,
    }  # fmt: skip
    client.delete_volume_group(group.id)
    client.delete_volume(volume.id)
    client.delete_boot_volume(boot.id)
    out["afterDelete"] = client.get_volume(volume.id).data.lifecycle_state
    print(json.dumps(out))


if __name__ == "__main__":
    main()
