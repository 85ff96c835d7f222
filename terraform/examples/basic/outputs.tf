# The module's outputs, under the same names (make smoke reads function_ids and function_invoke_endpoints).

output "function_ids" {
  description = "OCID of each function, by HANDLER."
  value       = module.block_backup.function_ids
}

output "function_invoke_endpoints" {
  description = "Invoke endpoint of each function, by HANDLER (for `oci fn function invoke` or SELF_INVOKE_ENDPOINT)."
  value       = module.block_backup.function_invoke_endpoints
}

output "application_id" {
  description = "OCID of the function application."
  value       = module.block_backup.application_id
}

output "notification_topic_id" {
  description = "OCID of the report topic (NOTIFICATION_TOPIC_ID)."
  value       = module.block_backup.notification_topic_id
}

output "gateway_url" {
  description = "Base URL of the HTTP API; POST to <url>/create-backup, /copy-backup or /retag-group-backup with a bearer JWT."
  value       = module.block_backup.gateway_url
}

output "gateway_routes" {
  description = "Full URL of each route, by HANDLER."
  value       = module.block_backup.gateway_routes
}

output "events_rule_ids" {
  description = "OCID of each function's Events rule, by HANDLER."
  value       = module.block_backup.events_rule_ids
}

output "schedule_ids" {
  description = "OCID of each function's schedule, by HANDLER."
  value       = module.block_backup.schedule_ids
}

output "dynamic_group_name" {
  description = "Name of the dynamic group matching the three functions."
  value       = module.block_backup.dynamic_group_name
}

output "invoke_log_id" {
  description = "OCID of the functions' invoke log."
  value       = module.block_backup.invoke_log_id
}

output "container_repository" {
  description = "Display name of the OCIR repository created here (null when create_container_repository is false)."
  value       = module.block_backup.container_repository
}
