output "function_ids" {
  description = "OCID of each function, by HANDLER."
  value       = { for k, f in oci_functions_function.this : k => f.id }
}

output "function_invoke_endpoints" {
  description = "Invoke endpoint of each function, by HANDLER (for `oci fn function invoke` or SELF_INVOKE_ENDPOINT)."
  value       = { for k, f in oci_functions_function.this : k => f.invoke_endpoint }
}

output "application_id" {
  description = "OCID of the function application."
  value       = oci_functions_application.this.id
}

output "notification_topic_id" {
  description = "OCID of the report topic (NOTIFICATION_TOPIC_ID)."
  value       = oci_ons_notification_topic.this.id
}

output "gateway_url" {
  description = "Base URL of the HTTP API; POST to <url>/create-backup, /copy-backup or /retag-group-backup with a bearer JWT."
  value       = oci_apigateway_deployment.this.endpoint
}

output "gateway_routes" {
  description = "Full URL of each route, by HANDLER."
  value       = { for k, f in local.functions : k => "${oci_apigateway_deployment.this.endpoint}/${f.slug}" }
}

output "events_rule_ids" {
  description = "OCID of each function's Events rule, by HANDLER."
  value       = { for k, r in oci_events_rule.this : k => r.id }
}

output "schedule_ids" {
  description = "OCID of each function's schedule, by HANDLER."
  value       = { for k, s in oci_resource_scheduler_schedule.this : k => s.id }
}

output "dynamic_group_name" {
  description = "Name of the dynamic group matching the three functions."
  value       = oci_identity_dynamic_group.functions.name
}

output "invoke_log_id" {
  description = "OCID of the functions' invoke log."
  value       = oci_logging_log.function_invoke.id
}

output "container_repository" {
  description = "Display name of the OCIR repository created here (null when create_container_repository is false)."
  value       = var.create_container_repository ? oci_artifacts_container_repository.image[0].display_name : null
}
