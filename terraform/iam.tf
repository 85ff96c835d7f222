# IAM, least privilege. Every statement names its compartment (`in compartment id <OCID>`); none
# is tenancy-wide. Identity resources are written through the home-region provider.
#
# Dynamic group: exactly the three functions of this configuration (fnfunc in the target
# compartment AND one of their OCIDs). No cycle: the functions do not depend on the group.
resource "oci_identity_dynamic_group" "functions" {
  provider       = oci.home
  compartment_id = var.tenancy_ocid
  name           = "${var.name_prefix}-functions"
  description    = "The ${var.name_prefix} backup functions (resource principals)."
  matching_rule  = "ANY {${join(", ", [for k in keys(local.functions) : "ALL {resource.type = 'fnfunc', resource.compartment.id = '${var.compartment_ocid}', resource.id = '${oci_functions_function.this[k].id}'}"])}}"
  freeform_tags  = local.tags
}

# Block storage grants, one policy per swept compartment (grants are inherited by its children).
# - use volumes / boot-volumes / volume-groups: the GET/LIST calls plus VOLUME_WRITE-style
#   permissions that Create*Backup needs on the source (read alone is not enough).
# - manage *-backups: create, update (tags, names), delete (retention).
# - {VOLUME_BACKUP_COPY, BOOT_VOLUME_BACKUP_COPY}: the cross-region copy permissions, granted
#   explicitly. IAM is global, so this compartment scope covers the copies in every destination
#   region (a copy lands in the source backup's compartment).
# - read compartments: the child-compartment walk (include_subcompartments).
resource "oci_identity_policy" "functions_storage" {
  for_each = toset(local.sweep_compartment_ids)

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${var.name_prefix}-fn-storage-${substr(sha1(each.value), 0, 8)}"
  description    = "${var.name_prefix} functions: back up, copy and retag block storage in compartment ${each.value}."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use volumes in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use boot-volumes in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use volume-groups in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to manage volume-backups in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to manage boot-volume-backups in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to manage volume-group-backups in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to {VOLUME_BACKUP_COPY, BOOT_VOLUME_BACKUP_COPY} in compartment id ${each.value}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to read compartments in compartment id ${each.value}",
  ]
}

# The functions' own compartment: publish reports, and a sweep re-invoking itself (detached) to hand
# over the rest of its work.
resource "oci_identity_policy" "functions" {
  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${var.name_prefix}-fn-runtime"
  description    = "${var.name_prefix} functions: publish to the report topic and re-invoke themselves."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use ons-topics in compartment id ${var.compartment_ocid}",
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use fn-invocation in compartment id ${var.compartment_ocid}",
  ]
}

# Only when defined tags are written (retag RETAG_DEFINED_TAGS, group tags copied to backups).
resource "oci_identity_policy" "tag_namespaces" {
  for_each = toset(var.tag_namespace_compartment_ids)

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${var.name_prefix}-fn-tags-${substr(sha1(each.value), 0, 8)}"
  description    = "${var.name_prefix} functions: apply defined tags from the namespaces in compartment ${each.value}."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to use tag-namespaces in compartment id ${each.value}",
  ]
}

# The services that invoke the functions, each limited to the functions' compartment:
# - Events (FAAS actions): the cloudEvents service principal;
# - API Gateway (ORACLE_FUNCTIONS_BACKEND): gateways of that compartment only;
# - Resource Scheduler: exactly the three schedules created here (its documented verb is manage).
resource "oci_identity_policy" "invokers" {
  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${var.name_prefix}-fn-invokers"
  description    = "Events, API Gateway and Resource Scheduler may invoke the ${var.name_prefix} functions."
  freeform_tags  = local.tags

  statements = [
    "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_ocid}",
    "Allow any-user to use functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${var.compartment_ocid}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["create_backup"].id}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["copy_backup"].id}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["retag_group_backup"].id}'}",
  ]
}
