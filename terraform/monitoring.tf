# Protection posture as OCI Monitoring custom metrics: the IAM grant to post them, and
# alarms to the report topic. Every run posts, in one PostMetricData call, to namespace
# metrics_namespace in compartment metrics_compartment_ocid (README "Posture, metrics and alarms"):
#   run_items{function, trigger, status}                       items per status (failed: also 0)
#   resources_protected / resources_unprotected{function, region}            create-backup sweeps
#   dr_sources_protected / dr_sources_unprotected{function, region, destination}  copy-backup reconciles
#   backup_headroom_days / backups_used / backup_limit{function, region}          create-backup sweeps
# An empty metrics_namespace turns the metrics, this grant and the alarms off.

variable "metrics_namespace" {
  description = "Monitoring namespace of the functions' custom metrics (METRICS_NAMESPACE); empty turns metrics, their IAM grant and the alarms off."
  type        = string
  default     = "block_backup"

  validation {
    condition     = var.metrics_namespace == "" || (can(regex("^[A-Za-z][A-Za-z0-9_]*$", var.metrics_namespace)) && !can(regex("(?i)^(oci_|oracle_)", var.metrics_namespace)))
    error_message = "The metrics_namespace value must be empty or start with a letter, hold only letters, digits and _, and not start with oci_ or oracle_."
  }
}

variable "metrics_compartment_ocid" {
  description = "Compartment the metrics are posted to (METRICS_COMPARTMENT_ID) and the alarms read; null: the first of sweep_compartment_ids (or compartment_ocid)."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_compartment_ocid == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.metrics_compartment_ocid))
    error_message = "The metrics_compartment_ocid value must be a compartment or tenancy OCID."
  }
}

variable "schedule_period_hours" {
  description = "Hours between two runs of each function's schedule, as its create_backup_schedule / copy_backup_schedule / retag_group_backup_schedule / restore_backup_schedule says (Terraform cannot read a period from a cron or RRULE). The alarm windows and the default RPOs derive from it."
  type = object({
    create_backup      = number
    copy_backup        = number
    retag_group_backup = number
    restore_backup     = optional(number, 24)
  })
  default = {
    create_backup      = 24
    copy_backup        = 1
    retag_group_backup = 1
    restore_backup     = 24
  }

  validation {
    condition     = alltrue([for hours in values(var.schedule_period_hours) : hours >= 1 && hours <= 24 && floor(hours) == hours])
    error_message = "Each schedule_period_hours value must be a whole number of hours between 1 and 24 (an MQL alarm interval is at most 1d)."
  }
}

variable "rpo_hours" {
  description = "create-backup: a resource in scope is protected when it has an AVAILABLE backup taken within this many hours (RPO_HOURS). null: the create-backup schedule period plus slack (26 for a daily schedule). Never shorter than the schedule period."
  type        = number
  default     = null

  validation {
    condition     = var.rpo_hours == null || (try(var.rpo_hours >= 1 && var.rpo_hours <= 8760 && floor(var.rpo_hours) == var.rpo_hours, false))
    error_message = "The rpo_hours value must be a whole number between 1 and 8760."
  }

  validation {
    condition     = var.rpo_hours == null || try(var.rpo_hours >= var.schedule_period_hours.create_backup, true)
    error_message = "The rpo_hours value must not be shorter than the create-backup schedule period (schedule_period_hours.create_backup): every resource would show unprotected before its next backup is due."
  }
}

variable "dr_rpo_hours" {
  description = "copy-backup: a source is DR-protected in a destination when an AVAILABLE copy there was taken within this many hours (DR_RPO_HOURS). null: the RPO plus the copy-backup schedule period (27 for the defaults). Never shorter than the create-backup schedule period."
  type        = number
  default     = null

  validation {
    condition     = var.dr_rpo_hours == null || (try(var.dr_rpo_hours >= 1 && var.dr_rpo_hours <= 8760 && floor(var.dr_rpo_hours) == var.dr_rpo_hours, false))
    error_message = "The dr_rpo_hours value must be a whole number between 1 and 8760."
  }

  validation {
    condition     = var.dr_rpo_hours == null || try(var.dr_rpo_hours >= var.schedule_period_hours.create_backup, true)
    error_message = "The dr_rpo_hours value must not be shorter than the create-backup schedule period (schedule_period_hours.create_backup)."
  }
}

variable "alarm_unprotected_enabled" {
  description = "Alarm to the report topic when a create-backup sweep found resources without a backup within rpo_hours."
  type        = bool
  default     = true
}

variable "alarm_dr_unprotected_enabled" {
  description = "Alarm to the report topic when a copy-backup reconcile found sources without a copy within dr_rpo_hours in a destination."
  type        = bool
  default     = true
}

variable "alarm_failed_items_enabled" {
  description = "Alarm to the report topic when a run of any function reported failed items."
  type        = bool
  default     = true
}

variable "alarm_backup_headroom_enabled" {
  description = "Alarm to the report topic when a create-backup sweep finds the tenancy reaching its backup limit within alarm_backup_headroom_days at this retention."
  type        = bool
  default     = true
}

variable "alarm_backup_headroom_days" {
  description = "The backup-headroom alarm fires when the newest create-backup sweep finds the tenancy reaching its backup limit in fewer days than this (backup_headroom_days)."
  type        = number
  default     = 7

  validation {
    condition     = var.alarm_backup_headroom_days >= 1 && var.alarm_backup_headroom_days <= 3650 && floor(var.alarm_backup_headroom_days) == var.alarm_backup_headroom_days
    error_message = "The alarm_backup_headroom_days value must be a whole number between 1 and 3650."
  }
}

variable "backup_limit" {
  description = "The tenancy's block and boot volume backup limit in the region (BACKUP_LIMIT; OCI's default is 100000): create-backup uses it when it may not read the limit from the Limits service (read_backup_limit = false, or the call fails)."
  type        = number
  default     = 100000

  validation {
    condition     = var.backup_limit >= 1 && var.backup_limit <= 100000000 && floor(var.backup_limit) == var.backup_limit
    error_message = "The backup_limit value must be a whole number between 1 and 100000000."
  }
}

variable "read_backup_limit" {
  description = "Grant the functions `read resource-availability in tenancy` (a policy attached to the tenancy: the only tenancy-wide statement, read-only usage counts) so create-backup reads the tenancy's backup limit and usage from the Limits service; false: it uses backup_limit and counts the backups it lists in scope."
  type        = bool
  default     = true
}

variable "alarm_runs_stopped_enabled" {
  description = "Alarm to the report topic, per scheduled function, when its schedule runs stop posting (a lost grant, a broken image, a disabled schedule): no run_items for one schedule period plus an hour."
  type        = bool
  default     = true
}

locals {
  metrics_enabled        = var.metrics_namespace != ""
  metrics_compartment_id = coalesce(var.metrics_compartment_ocid, local.sweep_compartment_ids[0])

  # A schedule's runs start within minutes of their time: slack of a twelfth of the period, at least an hour.
  schedule_slack_hours = { for name, hours in var.schedule_period_hours : name => max(1, ceil(hours / 12)) }
  rpo_hours            = coalesce(var.rpo_hours, var.schedule_period_hours.create_backup + local.schedule_slack_hours.create_backup)
  dr_rpo_hours         = coalesce(var.dr_rpo_hours, local.rpo_hours + var.schedule_period_hours.copy_backup)

  # An alarm evaluates its query over a window of one interval (MQL reference, "Interval"): one schedule
  # period holds the value of the function's newest run and, after a rerun, of the runs since. The
  # posture alarms take the least of them (min()): the newest scheduled run's value, and a rerun that
  # finds the fleet fixed clears them at once.
  posture_interval = {
    create_backup  = "${var.schedule_period_hours.create_backup}h"
    copy_backup    = "${var.schedule_period_hours.copy_backup}h"
    restore_backup = "${var.schedule_period_hours.restore_backup}h"
  }

  # name => the alarm's switch, severity, MQL query, pending duration and message body.
  alarms = {
    unprotected = {
      enabled  = var.alarm_unprotected_enabled
      severity = "CRITICAL"
      query    = "resources_unprotected[${local.posture_interval.create_backup}]{function = \"create-backup\"}.min() > 0"
      pending  = "PT1M"
      body     = "The newest create-backup sweep found resources in scope without an AVAILABLE backup taken within ${local.rpo_hours} h. The run's digest on this topic lists them (worst first); a {\"posture\": true} request to create-backup answers the current posture."
    }
    dr_unprotected = {
      enabled  = var.alarm_dr_unprotected_enabled
      severity = "ERROR"
      query    = "dr_sources_unprotected[${local.posture_interval.copy_backup}]{function = \"copy-backup\"}.groupBy(destination).min() > 0"
      pending  = "PT1M"
      body     = "The newest copy-backup reconcile found sources without an AVAILABLE copy taken within ${local.dr_rpo_hours} h in a destination region. The reconcile's digest lists them per destination; a {\"drPosture\": true} request to copy-backup answers the current DR posture."
    }
    restore_failed = {
      enabled  = var.alarm_restore_failed_enabled && local.restore_enabled
      severity = "CRITICAL"
      query    = "restores_failed[${local.posture_interval.restore_backup}]{function = \"restore-backup\"}.groupBy(kind).max() > 0"
      pending  = "PT1M"
      body     = "A restore test failed: a backup did not restore (FAULTY, timed out, too small, wrong image or missing volumes). The restore-backup digest on this topic names the resource and the backup; the backup's restore-result tag says why."
    }
    restore_leftovers = {
      enabled  = var.alarm_restore_leftovers_enabled && local.restore_enabled
      severity = "ERROR"
      query    = "restore_leftovers[${local.posture_interval.restore_backup}]{function = \"restore-backup\"}.max() > 0"
      pending  = "PT1M"
      body     = "A restore-backup run found a test resource that had been there longer than twice restore_ttl_minutes (a copy of production data its events did not delete); the run deleted it. Look in the sandbox compartment for volumes tagged restore-test, and at the sandbox's Events rule."
    }
    restore_unverified = {
      enabled  = var.alarm_restore_unverified_enabled && local.restore_enabled
      severity = "WARNING"
      query    = "resources_restore_unverified[${local.posture_interval.restore_backup}]{function = \"restore-backup\"}.min() > 0"
      pending  = "PT1M"
      body     = "A restore-backup run found resources without a passed restore test within ${var.restore_verify_every_days} days. Its digest names them; a {\"restorePosture\": true} request to restore-backup answers the current coverage."
    }
    backup_headroom = {
      enabled  = var.alarm_backup_headroom_enabled
      severity = "WARNING"
      query    = "backup_headroom_days[${local.posture_interval.create_backup}]{function = \"create-backup\"}.min() < ${var.alarm_backup_headroom_days}"
      pending  = "PT1M"
      body     = "The newest create-backup sweep found that, at this retention and fleet size, the tenancy reaches its block and boot volume backup limit in less than ${var.alarm_backup_headroom_days} days. Its digest says when; shorten retention, or request a higher backup-count limit (Limits, Quotas and Usage)."
    }
    failed_items = {
      enabled  = var.alarm_failed_items_enabled
      severity = "WARNING"
      query    = "run_items[1h]{status = \"failed\"}.groupBy(function).sum() > 0"
      pending  = "PT1M"
      body     = "A run of a ${var.name_prefix} backup function reported failed items; the run's digest on this topic names them and OCI's reasons."
    }
  }

  # Every run posts run_items (failed: also 0); none for a schedule period and the pending hour means
  # the schedule's runs stopped. absent(72h): the longest absence detection period, so the alarm keeps
  # firing for three days of silence (MQL reference, "Creating an Absence Alarm").
  runs_stopped_alarms = {
    for name, hours in var.schedule_period_hours : "runs_stopped_${name}" => {
      enabled  = var.alarm_runs_stopped_enabled && var.schedules_enabled && (name != "restore_backup" || local.restore_enabled)
      severity = "CRITICAL"
      query    = "run_items[${hours}h]{function = \"${replace(name, "_", "-")}\", trigger = \"schedule\"}.groupBy(function).absent(72h)"
      pending  = "PT1H"
      body     = "No scheduled run of ${replace(name, "_", "-")} posted for ${hours + 1} h (its schedule runs every ${hours} h): check the schedule, the function's logs and its IAM grants."
    }
  }
}

# PostMetricData needs `use metrics` in the metric's compartment, and only for our namespace.
resource "oci_identity_policy" "functions_metrics" {
  for_each = local.metrics_enabled ? toset([local.metrics_compartment_id]) : toset([])

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-metrics"
  description    = "${var.name_prefix} functions: post custom metrics in namespace ${var.metrics_namespace} only."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to use metrics in compartment id ${each.value} where target.metrics.namespace = '${var.metrics_namespace}'",
  ]
}

resource "oci_monitoring_alarm" "posture" {
  for_each = { for name, alarm in merge(local.alarms, local.runs_stopped_alarms) : name => alarm if alarm.enabled && local.metrics_enabled }

  compartment_id        = var.compartment_ocid
  display_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  metric_compartment_id = local.metrics_compartment_id
  namespace             = var.metrics_namespace
  query                 = each.value.query
  severity              = each.value.severity
  body                  = each.value.body
  destinations          = [oci_ons_notification_topic.this.id]
  message_format        = "ONS_OPTIMIZED" # e-mail subscribers get a readable message, not raw JSON
  is_enabled            = true
  pending_duration      = each.value.pending
  freeform_tags         = local.tags
}
