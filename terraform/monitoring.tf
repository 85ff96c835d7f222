# Protection posture as OCI Monitoring custom metrics (issue 14): the IAM grant to post them, and
# alarms to the report topic. Every run posts, in one PostMetricData call, to namespace
# metrics_namespace in compartment metrics_compartment_ocid (README "Posture, metrics and alarms"):
#   run_items{function, trigger, status}                       items per status (failed: also 0)
#   resources_protected / resources_unprotected{function, region}            create-backup sweeps
#   dr_sources_protected / dr_sources_unprotected{function, region, destination}  copy-backup reconciles
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

variable "rpo_hours" {
  description = "create-backup: a resource in scope is protected when it has an AVAILABLE backup taken within this many hours (RPO_HOURS)."
  type        = number
  default     = 24

  validation {
    condition     = var.rpo_hours >= 1 && var.rpo_hours <= 8760 && floor(var.rpo_hours) == var.rpo_hours
    error_message = "The rpo_hours value must be a whole number between 1 and 8760."
  }
}

variable "dr_rpo_hours" {
  description = "copy-backup: a source is DR-protected in a destination when an AVAILABLE copy there was taken within this many hours (DR_RPO_HOURS)."
  type        = number
  default     = 24

  validation {
    condition     = var.dr_rpo_hours >= 1 && var.dr_rpo_hours <= 8760 && floor(var.dr_rpo_hours) == var.dr_rpo_hours
    error_message = "The dr_rpo_hours value must be a whole number between 1 and 8760."
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

variable "alarm_unprotected_interval" {
  description = "MQL interval of the unprotected-resources alarm: one create-backup schedule period (24h for the nightly default), as the metric is posted once a sweep."
  type        = string
  default     = "24h"

  validation {
    condition     = can(regex("^([1-9]|[1-5][0-9]|60)m$|^([1-9]|1[0-9]|2[0-4])h$|^1d$", var.alarm_unprotected_interval))
    error_message = "The alarm_unprotected_interval value must be an MQL interval: 1m-60m, 1h-24h or 1d."
  }
}

variable "alarm_dr_unprotected_interval" {
  description = "MQL interval of the DR-unprotected alarm: one copy-backup schedule period (1h for the hourly default)."
  type        = string
  default     = "1h"

  validation {
    condition     = can(regex("^([1-9]|[1-5][0-9]|60)m$|^([1-9]|1[0-9]|2[0-4])h$|^1d$", var.alarm_dr_unprotected_interval))
    error_message = "The alarm_dr_unprotected_interval value must be an MQL interval: 1m-60m, 1h-24h or 1d."
  }
}

locals {
  metrics_enabled        = var.metrics_namespace != ""
  metrics_compartment_id = coalesce(var.metrics_compartment_ocid, local.sweep_compartment_ids[0])

  # name => the alarm's switch, severity, MQL query and message body.
  alarms = {
    unprotected = {
      enabled  = var.alarm_unprotected_enabled
      severity = "CRITICAL"
      query    = "resources_unprotected[${var.alarm_unprotected_interval}]{function = \"create-backup\"}.max() > 0"
      body     = "A create-backup sweep found resources in scope without an AVAILABLE backup taken within ${var.rpo_hours} h. The run's digest on this topic lists them (worst first); a {\"posture\": true} request to create-backup answers the current posture."
    }
    dr_unprotected = {
      enabled  = var.alarm_dr_unprotected_enabled
      severity = "ERROR"
      query    = "dr_sources_unprotected[${var.alarm_dr_unprotected_interval}]{function = \"copy-backup\"}.groupBy(destination).max() > 0"
      body     = "A copy-backup reconcile found sources without an AVAILABLE copy taken within ${var.dr_rpo_hours} h in a destination region. The reconcile's digest lists them per destination; a {\"drPosture\": true} request to copy-backup answers the current DR posture."
    }
    failed_items = {
      enabled  = var.alarm_failed_items_enabled
      severity = "WARNING"
      query    = "run_items[1h]{status = \"failed\"}.groupBy(function).sum() > 0"
      body     = "A run of a ${var.name_prefix} backup function reported failed items; the run's digest on this topic names them and OCI's reasons."
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
  for_each = { for name, alarm in local.alarms : name => alarm if alarm.enabled && local.metrics_enabled }

  compartment_id        = var.compartment_ocid
  display_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  metric_compartment_id = local.metrics_compartment_id
  namespace             = var.metrics_namespace
  query                 = each.value.query
  severity              = each.value.severity
  body                  = each.value.body
  destinations          = [oci_ons_notification_topic.this.id]
  is_enabled            = true
  pending_duration      = "PT1M"
  freeform_tags         = local.tags
}
