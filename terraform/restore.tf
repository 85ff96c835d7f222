# restore-backup: test restores into a sandbox compartment (README "Restore tests"). The function,
# its route and its schedule come with the other three (locals.tf); this file holds what only it
# has: its variables, the Events rule on the sandbox and the sandbox grants. Without
# restore_compartment_ocid the function exists but its schedule is INACTIVE, and no rule or grant is
# made. A storage quota on the sandbox is a tenancy-level statement (README "Restore tests").

variable "restore_compartment_ocid" {
  description = "The sandbox compartment restore-backup restores into (RESTORE_COMPARTMENT_ID): the only compartment where the functions may create or delete volumes. A test restore is a full copy of production data: keep this compartment as closed as the sources. Empty: no restore tests."
  type        = string
  default     = ""

  validation {
    condition     = var.restore_compartment_ocid == "" || can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", var.restore_compartment_ocid))
    error_message = "The restore_compartment_ocid value must be empty or a compartment OCID."
  }
}

variable "restore_backup_schedule" {
  description = "Recurrence of the restore-backup pass (default: daily at 04:00 UTC)."
  type        = string
  default     = "0 4 * * *"

  validation {
    condition     = var.schedule_recurrence_type == "CRON" ? can(regex("^(\\S+\\s+){4}\\S+$", trimspace(var.restore_backup_schedule))) : can(regex("^FREQ=[A-Z]+(;[A-Z]+=[^;]+)*$", var.restore_backup_schedule))
    error_message = "The restore_backup_schedule value must match schedule_recurrence_type: a 5-field cron expression for CRON, an RFC 5545 RRULE (FREQ=...) for ICAL."
  }
}

variable "restore_verify_every_days" {
  description = "A resource needs a new restore test when its last passed one is older than this (VERIFY_EVERY_DAYS)."
  type        = number
  default     = 30

  validation {
    condition     = var.restore_verify_every_days >= 1 && var.restore_verify_every_days <= 3650 && floor(var.restore_verify_every_days) == var.restore_verify_every_days
    error_message = "The restore_verify_every_days value must be a whole number between 1 and 3650."
  }
}

variable "restore_regions" {
  description = "Regions where backups are restore-tested (RESTORE_REGIONS); empty: the function's region. List DR regions to test the copies there (the sandbox compartment is global, IAM too)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.restore_regions : can(regex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", r))])
    error_message = "Each restore_regions entry must be a region name such as us-phoenix-1."
  }
}

variable "restore_ttl_minutes" {
  description = "A test resource still there this long after its start is a leftover, deleted by the next run whatever its state (RESTORE_TTL_MINUTES)."
  type        = number
  default     = 120

  validation {
    condition     = var.restore_ttl_minutes >= 10 && var.restore_ttl_minutes <= 720 && floor(var.restore_ttl_minutes) == var.restore_ttl_minutes
    error_message = "The restore_ttl_minutes value must be a whole number between 10 and 720 (the leftovers alarm waits twice this, at most a day)."
  }
}

variable "restore_timeout_minutes" {
  description = "A restore not AVAILABLE this long after its start has failed, timed out (RESTORE_TIMEOUT_MINUTES; at most restore_ttl_minutes)."
  type        = number
  default     = 60

  validation {
    condition     = var.restore_timeout_minutes >= 5 && var.restore_timeout_minutes <= 720 && floor(var.restore_timeout_minutes) == var.restore_timeout_minutes
    error_message = "The restore_timeout_minutes value must be a whole number between 5 and 720."
  }
}

variable "restores_per_run" {
  description = "At most this many test restores started by one run (RESTORES_PER_RUN); the rest wait for the next run."
  type        = number
  default     = 5

  validation {
    condition     = var.restores_per_run >= 0 && var.restores_per_run <= 1000 && floor(var.restores_per_run) == var.restores_per_run
    error_message = "The restores_per_run value must be a whole number between 0 and 1000."
  }
}

variable "restore_max_gb_per_run" {
  description = "At most this many GB of backups restored by one run (RESTORE_MAX_GB_PER_RUN)."
  type        = number
  default     = 2048

  validation {
    condition     = var.restore_max_gb_per_run >= 0 && floor(var.restore_max_gb_per_run) == var.restore_max_gb_per_run
    error_message = "The restore_max_gb_per_run value must be a whole number, 0 or more."
  }
}

variable "alarm_restore_failed_enabled" {
  description = "Alarm to the report topic when a restore test failed (restores_failed > 0)."
  type        = bool
  default     = true
}

variable "alarm_restore_leftovers_enabled" {
  description = "Alarm to the report topic when runs keep finding test resources past their expiry for longer than twice restore_ttl_minutes."
  type        = bool
  default     = true
}

variable "alarm_restore_unverified_enabled" {
  description = "Alarm to the report topic when a restore-backup run found resources without a passed restore test within restore_verify_every_days."
  type        = bool
  default     = true
}

locals {
  restore_enabled = var.restore_compartment_ocid != ""
  restore_sandbox = local.restore_enabled ? toset([var.restore_compartment_ocid]) : toset([])
}

# The create*.end events of the sandbox only: each test resource is checked and deleted the moment it
# is AVAILABLE. The rule lives in the sandbox compartment (a rule sees its compartment and children).
resource "oci_events_rule" "restore" {
  for_each = local.restore_sandbox

  compartment_id = each.value
  display_name   = "${var.name_prefix}-${local.functions["restore_backup"].slug}"
  description    = "Invokes ${oci_functions_function.this["restore_backup"].display_name} when a test restore in the sandbox ends."
  is_enabled     = true
  condition      = jsonencode({ eventType = local.event_types["restore_backup"], data = { compartmentId = [each.value] } })
  freeform_tags  = local.tags

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this["restore_backup"].id
      description = "Invoke ${local.functions["restore_backup"].slug}"
    }
  }

  depends_on = [oci_identity_policy.invokers]
}

# Per operation, in the sandbox only (the backups are read and their tags updated under the grants of
# the swept compartments, iam.tf):
# - CreateVolume / CreateBootVolume from a backup: VOLUME_CREATE (+ the backup's *_BACKUP_READ there);
# - CreateVolumeGroup from a group backup: VOLUME_GROUP_CREATE and VOLUME_CREATE for its volumes;
# - Get/List: VOLUME_INSPECT, VOLUME_GROUP_INSPECT; Delete*: VOLUME_DELETE, VOLUME_GROUP_DELETE.
# Boot volumes are `volumes` in OCI's policy reference (the same VOLUME_* permissions).
resource "oci_identity_policy" "restore_sandbox" {
  for_each = local.restore_sandbox

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-restore"
  description    = "${var.name_prefix} restore-backup (${var.region}): create, read and delete test restores in the sandbox ${each.value} only."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_INSPECT, VOLUME_CREATE, VOLUME_DELETE} in compartment id ${each.value}",
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_GROUP_INSPECT, VOLUME_GROUP_CREATE, VOLUME_GROUP_DELETE} in compartment id ${each.value}",
  ]

  lifecycle {
    precondition {
      condition     = !contains(local.sweep_compartment_ids, each.value)
      error_message = "restore_compartment_ocid must not be one of sweep_compartment_ids: the sandbox holds test restores, never resources to protect."
    }
  }
}
