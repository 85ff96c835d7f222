# restore-backup's recovery mode (README "Recovery"): a fleet restored from its backups or DR copies
# in one planned, confirmed call. Off by default: without enable_recovery the function is given no
# recovery compartment (RECOVERY_COMPARTMENT_IDS empty refuses every recovery request) and no grant.

variable "enable_recovery" {
  description = "Let restore-backup restore fleets into recovery_compartment_ids ({\"recover\": ...} requests). Off: every recovery request is refused and no grant is made."
  type        = bool
  default     = false
}

variable "recovery_compartment_ids" {
  description = "The compartments a recovery may create volumes, boot volumes and volume groups in (RECOVERY_COMPARTMENT_IDS); required with enable_recovery. Never a swept compartment nor the restore-test sandbox."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.recovery_compartment_ids : can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", c))])
    error_message = "Each recovery_compartment_ids entry must be a compartment OCID."
  }
}

variable "recovery_allowed_subjects" {
  description = "Gateway subjects (the JWT sub, X-Auth-Subject) that may apply a recovery plan over HTTP (RECOVERY_ALLOWED_SUBJECTS); empty: nobody over HTTP. Planning and progress are open to any authenticated caller; a direct invoke is governed by IAM (use fn-invocation on the function)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.recovery_allowed_subjects : length(s) > 0 && !strcontains(s, ",")])
    error_message = "Each recovery_allowed_subjects entry must be a non-empty subject without commas."
  }
}

locals {
  recovery_compartments = var.enable_recovery ? toset(var.recovery_compartment_ids) : toset([])
  recovery_config = {
    RECOVERY_COMPARTMENT_IDS  = var.enable_recovery ? join(",", var.recovery_compartment_ids) : ""
    RECOVERY_ALLOWED_SUBJECTS = join(",", var.recovery_allowed_subjects)
  }
}

# Per operation, in the recovery compartments only (IAM is global: the same grant serves every DR region;
# the copies restored from are read under the grants of the swept compartments, iam.tf, which hold them):
# - CreateVolume / CreateBootVolume from a backup: VOLUME_CREATE; CreateVolumeGroup from a group backup:
#   VOLUME_GROUP_CREATE and VOLUME_CREATE for its volumes;
# - ListVolumes / ListBootVolumes / ListVolumeGroups (what a plan already created, progress): VOLUME_INSPECT,
#   VOLUME_GROUP_INSPECT;
# No delete: a recovery never deletes anything. ListRegionSubscriptions (is the region enabled?) would need
# TENANCY_INSPECT in the tenancy, which this module never grants: without it the function says in its
# answer that the region was not checked, and OCI refuses the listings of a region not enabled.
resource "oci_identity_policy" "recovery" {
  for_each = local.recovery_compartments

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-recovery-${substr(sha256(each.value), 0, 8)}"
  description    = "${var.name_prefix} restore-backup (${var.region}): create recovered volumes, boot volumes and volume groups in ${each.value} only."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_INSPECT, VOLUME_CREATE} in compartment id ${each.value}",
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_GROUP_INSPECT, VOLUME_GROUP_CREATE} in compartment id ${each.value}",
  ]

  lifecycle {
    precondition {
      condition     = length(var.recovery_compartment_ids) > 0
      error_message = "enable_recovery needs recovery_compartment_ids: the compartments a recovery may create in."
    }
    precondition {
      condition     = !contains(local.sweep_compartment_ids, each.value) && each.value != var.restore_compartment_ocid
      error_message = "A recovery compartment must be neither one of sweep_compartment_ids nor the restore-test sandbox."
    }
  }
}
