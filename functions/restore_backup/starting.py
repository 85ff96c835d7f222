"""Starting test restores: the create call into the sandbox, its markers and retry token, the caps of a
run (RESTORES_PER_RUN, RESTORE_MAX_GB_PER_RUN) and OCI's limits (``LimitExceeded``: deferred)."""

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from functions.restore_backup.coverage import Unit, backup_size
from functions.restore_backup.settings import RestoreBackupSettings
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import LimitExceeded, OciError
from shared.oci.models import BackupBase
from shared.oci.restores import CreateRestoreDetails, availability_domains, create_restore, restore_source
from shared.results import Item, ItemStatus, Report, status_for
from shared.rules import restore as rules
from shared.rules.idempotency import retry_token
from shared.rules.naming import clean

ACTION = "restore"


class Start(NamedTuple):
    """One test restore to start: the backup, where, and into which availability domain."""

    kind: BackupKind
    backup: BackupBase
    name: str  # the source's name
    region: str
    availability_domain: str | None  # the source's, when it is in that region


class Starter(NamedTuple):
    settings: RestoreBackupSettings
    report: Report
    storage_in: Callable[[str], BlockStorage]
    idempotency_key: str
    run_id: str
    dry_run: bool
    now: datetime
    first_ads: dict[str, str]  # region -> its first availability domain (looked up once per run)

    def start(self, job: Start) -> bool:
        """Start one; False when OCI's limit says no more fit in that region now (deferred)."""
        settings = self.settings
        storage = self.storage_in(job.region)
        base = {"action": ACTION, "resource_id": job.backup.id, "name": job.name, "region": job.region}
        try:
            ad = job.availability_domain or self._first_ad(storage)
            details = CreateRestoreDetails(
                availability_domain=ad,
                compartment_id=settings.restore_compartment_id,
                display_name=clean(f"{job.name} (restore test)")[:255],
                freeform_tags=rules.markers(self.run_id, job.backup.id, self.now, settings.restore_ttl_minutes),
                source_details=restore_source(job.kind, job.backup.id),
                vpus_per_gb=settings.vpus(job.kind),
                kms_key_id=job.backup.kms_key_id if job.kind is not BackupKind.VOLUME_GROUP else None,
            )
            if self.dry_run:
                self.report.add(Item(status=ItemStatus.PLANNED, reason=f"would restore into {ad}", **base))
                return True
            operation = f"Create{job.kind.spec.source_name}"
            token = retry_token(self.idempotency_key, operation, job.backup.id, job.region)
            created = create_restore(storage, job.kind, details, token)
        except LimitExceeded as exc:
            reason = f"LimitExceeded: {exc.message}; the next run tries again"
            self.report.add(Item(status=ItemStatus.DEFERRED, reason=reason, opc_request_id=exc.opc_request_id, **base))
            return False
        except (OciError, LookupError) as exc:
            self.report.add(Item(status=status_for(exc), reason=str(exc), **base))
            return True
        self.report.add(
            Item(
                status=ItemStatus.STARTED,
                result_id=created.value.id,
                reason=f"restoring into {created.value.availability_domain or ad}",
                opc_request_id=created.opc_request_id,
                **base,
            )
        )
        return True

    def _first_ad(self, storage: BlockStorage) -> str:
        if storage.region not in self.first_ads:
            names = availability_domains(storage, self.settings.restore_compartment_id)
            if not names:
                raise LookupError(f"no availability domain listed in {storage.region}")
            self.first_ads[storage.region] = names[0]
        return self.first_ads[storage.region]


def job_for(unit: Unit, pick: rules.Pick, home: str) -> Start | None:
    """The backup a unit restores: RESTORE_PICK in the function's region; the newest copy in a DR region."""
    how = pick if unit.region == home else rules.Pick.LATEST
    backup = rules.pick_backup(unit.backups, how)
    if backup is None:
        return None
    ad = unit.source.availability_domain if unit.region == home else None
    return Start(unit.source.kind, backup, unit.name, unit.region, ad)


def deferred(job: Start, reason: str) -> Item:
    return Item(
        status=ItemStatus.DEFERRED,
        action=ACTION,
        resource_id=job.backup.id,
        name=job.name,
        region=job.region,
        reason=reason,
    )


def within_caps(jobs: list[Start], settings: RestoreBackupSettings, report: Report) -> list[Start]:
    """The jobs that fit this run's caps, in order; the rest are reported deferred (the next run takes them)."""
    chosen: list[Start] = []
    gbs = 0
    for job in jobs:
        size = backup_size(job.backup)
        if len(chosen) >= settings.restores_per_run:
            reason = f"RESTORES_PER_RUN ({settings.restores_per_run}) reached; the next run takes it"
        elif gbs + size > settings.restore_max_gb_per_run:
            reason = f"RESTORE_MAX_GB_PER_RUN ({settings.restore_max_gb_per_run} GB) reached; the next run takes it"
        else:
            chosen.append(job)
            gbs += size
            continue
        report.add(deferred(job, reason))
    return chosen
