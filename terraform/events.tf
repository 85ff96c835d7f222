# One rule per function, on the event types of local.event_types (new `actions { action { } }`
# syntax, provider >= 8.22). Rules see events of the target compartment and all its children.
# restore-backup's rule watches the sandbox compartment instead (restore.tf).
resource "oci_events_rule" "this" {
  for_each = { for k, types in local.event_types : k => types if k != "restore_backup" }

  compartment_id = var.compartment_ocid
  display_name   = "${var.name_prefix}-${local.functions[each.key].slug}"
  description    = "Invokes ${oci_functions_function.this[each.key].display_name} on ${join(", ", each.value)}."
  is_enabled     = true
  condition      = jsonencode({ eventType = each.value })
  freeform_tags  = local.tags

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this[each.key].id
      description = "Invoke ${local.functions[each.key].slug}"
    }
  }

  # The cloudEvents grant must exist before the first event is delivered.
  depends_on = [oci_identity_policy.invokers]
}
