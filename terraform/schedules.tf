# One Resource Scheduler schedule per function: START_RESOURCE on a function invokes it with the
# BODY parameter as the request body ({"trigger": "schedule", "schedule": "<name>"}).
resource "oci_resource_scheduler_schedule" "this" {
  for_each = local.schedules

  compartment_id     = var.compartment_ocid
  display_name       = "${var.name_prefix}-${each.value.name}"
  description        = "Scheduled sweep of ${oci_functions_function.this[each.key].display_name} (UTC)."
  action             = "START_RESOURCE"
  recurrence_type    = var.schedule_recurrence_type
  recurrence_details = each.value.recurrence
  state              = var.schedules_enabled && (each.key != "restore_backup" || local.restore_enabled) ? "ACTIVE" : "INACTIVE"
  freeform_tags      = local.tags

  resources {
    id = oci_functions_function.this[each.key].id

    parameters {
      parameter_type = "BODY"
      value          = [jsonencode({ trigger = "schedule", schedule = each.value.name })]
    }
  }
}
