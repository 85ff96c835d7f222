resource "oci_functions_application" "this" {
  compartment_id = var.compartment_ocid
  display_name   = "${var.name_prefix}-app"
  subnet_ids     = [oci_core_subnet.functions.id]
  shape          = var.application_shape
  freeform_tags  = local.tags
}

# The three functions run the same image; HANDLER picks the code path. OCI_ENDPOINT_TEMPLATE is
# deliberately never set here: it exists for local emulation only.
resource "oci_functions_function" "this" {
  for_each = local.functions

  application_id                   = oci_functions_application.this.id
  display_name                     = "${var.name_prefix}-${each.value.slug}"
  image                            = var.function_image
  image_digest                     = var.image_digest
  memory_in_mbs                    = tostring(var.function_memory_mb)
  timeout_in_seconds               = var.function_timeout_seconds
  detached_mode_timeout_in_seconds = var.function_detached_timeout_seconds
  freeform_tags                    = merge(local.tags, { "handler" = each.key })
  config                           = local.function_config[each.key]

  # A detached run (a sweep's hand-over) that crashes or times out cannot report itself: the
  # platform sends its failure record to the report topic instead.
  failure_destination {
    kind     = "NOTIFICATION"
    topic_id = oci_ons_notification_topic.this.id
  }

  # Off unless provisioned_concurrency names this function (see variables.tf for the cost). Always sent:
  # the block is Optional+Computed, so leaving it out when a count goes to 0 would keep the old units
  # (and their bill); NONE switches them off.
  provisioned_concurrency_config {
    strategy = local.provisioned_concurrency[each.key].strategy
    count    = local.provisioned_concurrency[each.key].count
  }

  lifecycle {
    precondition {
      condition     = local.function_config_bytes[each.key] <= local.function_config_limit_bytes
      error_message = "The function config exceeds the 4 KB OCI Functions allows (the UTF-8 bytes of every key and value): shorten COMPARTMENT_IDS (fewer sweep_compartment_ids; sweep a common parent with include_subcompartments instead) or extra_config. Sizes by function: terraform console, local.function_config_bytes."
    }
  }
}

# Invoke logs of the application (one SERVICE log covers all its functions).
resource "oci_logging_log_group" "this" {
  compartment_id = var.compartment_ocid
  display_name   = "${var.name_prefix}-logs"
  description    = "Invoke logs of the ${var.name_prefix} functions and access/execution logs of their API gateway."
  freeform_tags  = local.tags
}

resource "oci_logging_log" "function_invoke" {
  display_name       = "${var.name_prefix}-fn-invoke"
  log_group_id       = oci_logging_log_group.this.id
  log_type           = "SERVICE"
  is_enabled         = true
  retention_duration = var.log_retention_days
  freeform_tags      = local.tags

  configuration {
    compartment_id = var.compartment_ocid

    source {
      category    = "invoke"
      resource    = oci_functions_application.this.id
      service     = "functions"
      source_type = "OCISERVICE"
    }
  }
}

# Optional private repository for the image (push to it before the functions are created).
resource "oci_artifacts_container_repository" "image" {
  count          = var.create_container_repository ? 1 : 0
  compartment_id = var.compartment_ocid
  display_name   = var.container_repository_name
  is_public      = false
  is_immutable   = false
  freeform_tags  = local.tags
}
