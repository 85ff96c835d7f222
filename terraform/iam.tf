# IAM, least privilege. Every statement names its compartment (`in compartment id <OCID>`); none
# is tenancy-wide. Each statement is derived from the permissions the functions' API calls need
# (README "IAM": operation -> permission -> statement); where a verb grants more than those
# permissions, the statement lists the permissions instead. Identity resources are written through
# the home-region provider.
#
# Dynamic group: exactly the four functions of this configuration (fnfunc in the target
# compartment AND one of their OCIDs). No cycle: the functions do not depend on the group.
resource "oci_identity_dynamic_group" "functions" {
  provider       = oci.home
  compartment_id = var.tenancy_ocid
  name           = "${local.unique_name}-functions"
  description    = "The ${var.name_prefix} backup functions in ${var.region} (resource principals)."
  matching_rule  = "ANY {${join(", ", [for k in keys(local.functions) : "ALL {resource.type = 'fnfunc', resource.compartment.id = '${var.compartment_ocid}', resource.id = '${oci_functions_function.this[k].id}'}"])}}"
  freeform_tags  = local.tags
}

locals {
  dynamic_group   = oci_identity_dynamic_group.functions.name
  these_functions = join(", ", [for k in keys(local.functions) : "target.function.id = '${oci_functions_function.this[k].id}'"])

  # Compartments the statements below name: a policy attached to policy_compartment_ocid can grant
  # only there and below (checked by the precondition on oci_identity_policy.functions).
  image_repository_compartment_id = coalesce(var.image_repository_compartment_ocid, var.compartment_ocid)
  policy_named_compartments = distinct(concat(
    [var.compartment_ocid, local.image_repository_compartment_id],
    local.sweep_compartment_ids,
    var.tag_namespace_compartment_ids,
    [for k in values(var.copy_kms_keys) : k.compartment_id],
    local.metrics_enabled ? [local.metrics_compartment_id] : [], # monitoring.tf: use metrics
    tolist(local.restore_sandbox),                               # restore.tf: the sandbox
  ))
  check_policy_ancestry = local.policy_compartment_id != var.tenancy_ocid
  # Each named compartment and its ancestors below the root (OCI nests compartments at most six deep).
  policy_lineage = {
    for c in local.policy_named_compartments : c => [
      c,
      try(data.oci_identity_compartment.parent_1[c].compartment_id, ""),
      try(data.oci_identity_compartment.parent_2[c].compartment_id, ""),
      try(data.oci_identity_compartment.parent_3[c].compartment_id, ""),
      try(data.oci_identity_compartment.parent_4[c].compartment_id, ""),
      try(data.oci_identity_compartment.parent_5[c].compartment_id, ""),
    ]
  }
  policy_compartment_outside = local.check_policy_ancestry ? [
    for c, lineage in local.policy_lineage : c if !contains(lineage, local.policy_compartment_id)
  ] : []
}

# The parent chain of every named compartment, read at plan time only when the policies are not
# attached to the tenancy (the tenancy is everyone's ancestor). The deployer needs
# `inspect compartments` on them, which writing policies there implies in practice.
data "oci_identity_compartment" "parent_1" {
  provider = oci.home
  for_each = local.check_policy_ancestry ? toset(local.policy_named_compartments) : toset([])
  id       = each.value
}

data "oci_identity_compartment" "parent_2" {
  provider = oci.home
  for_each = { for c, d in data.oci_identity_compartment.parent_1 : c => d.compartment_id if d.compartment_id != var.tenancy_ocid }
  id       = each.value
}

data "oci_identity_compartment" "parent_3" {
  provider = oci.home
  for_each = { for c, d in data.oci_identity_compartment.parent_2 : c => d.compartment_id if d.compartment_id != var.tenancy_ocid }
  id       = each.value
}

data "oci_identity_compartment" "parent_4" {
  provider = oci.home
  for_each = { for c, d in data.oci_identity_compartment.parent_3 : c => d.compartment_id if d.compartment_id != var.tenancy_ocid }
  id       = each.value
}

data "oci_identity_compartment" "parent_5" {
  provider = oci.home
  for_each = { for c, d in data.oci_identity_compartment.parent_4 : c => d.compartment_id if d.compartment_id != var.tenancy_ocid }
  id       = each.value
}

# Block storage grants, one policy per swept compartment (grants are inherited by its children).
# IAM is global: this compartment scope also covers the copies, which land in the source backup's
# compartment in every destination region (CopyVolumeBackup needs VOLUME_BACKUP_CREATE there).
# Volume group backup copies (CopyVolumeGroupBackup) and locks need no further grant. OCI's policy
# reference lists no VOLUME_GROUP_BACKUP_COPY permission (volume-group-backups: INSPECT, CREATE,
# UPDATE, DELETE, MOVE) and no row for CopyVolumeGroupBackup [unverified which permissions it
# checks]; what it plausibly needs is granted below: the group backup INSPECT/CREATE, its member
# copies' VOLUME_BACKUP_* / BOOT_VOLUME_BACKUP_* READ, COPY and CREATE. A lock is set by an Update*
# (the *_UPDATE permissions below).
resource "oci_identity_policy" "functions_storage" {
  for_each = toset(local.sweep_compartment_ids)

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-storage-${substr(sha1(each.value), 0, 8)}"
  description    = "${var.name_prefix} functions (${var.region}): back up, copy and retag block storage in compartment ${each.value}."
  freeform_tags  = local.tags

  statements = [
    # volumes and boot volumes: Get/List (VOLUME_INSPECT), the source side of Create*Backup (VOLUME_WRITE)
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_INSPECT, VOLUME_WRITE} in compartment id ${each.value}",
    # volume groups: Get/List and the source side of CreateVolumeGroupBackup
    "Allow dynamic-group ${local.dynamic_group} to inspect volume-groups in compartment id ${each.value}",
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_BACKUP_INSPECT, VOLUME_BACKUP_READ, VOLUME_BACKUP_CREATE, VOLUME_BACKUP_UPDATE, VOLUME_BACKUP_DELETE, VOLUME_BACKUP_COPY} in compartment id ${each.value}",
    "Allow dynamic-group ${local.dynamic_group} to {BOOT_VOLUME_BACKUP_INSPECT, BOOT_VOLUME_BACKUP_READ, BOOT_VOLUME_BACKUP_CREATE, BOOT_VOLUME_BACKUP_UPDATE, BOOT_VOLUME_BACKUP_DELETE, BOOT_VOLUME_BACKUP_COPY} in compartment id ${each.value}",
    "Allow dynamic-group ${local.dynamic_group} to {VOLUME_GROUP_BACKUP_INSPECT, VOLUME_GROUP_BACKUP_CREATE, VOLUME_GROUP_BACKUP_UPDATE, VOLUME_GROUP_BACKUP_DELETE} in compartment id ${each.value}",
    # ListCompartments for the child-compartment walk (include_subcompartments)
    "Allow dynamic-group ${local.dynamic_group} to inspect compartments in compartment id ${each.value}",
    # ListBootVolumeAttachments (INSTANCE_INSPECT, VOLUME_ATTACHMENT_INSPECT): a launched instance's boot volume
    "Allow dynamic-group ${local.dynamic_group} to {INSTANCE_INSPECT, VOLUME_ATTACHMENT_INSPECT} in compartment id ${each.value}",
  ]
}

# The functions' own compartment: publish reports (PublishMessage, at the topic endpoint the config
# names: no GetTopic), and a sweep re-invoking itself (detached) to hand over the rest of its work:
# GetFunction for its invokeEndpoint, then InvokeFunction, on these three functions only.
resource "oci_identity_policy" "functions" {
  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-runtime"
  description    = "${var.name_prefix} functions (${var.region}): publish to the report topic and re-invoke themselves."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to {ONS_TOPIC_PUBLISH} in compartment id ${var.compartment_ocid}",
    # Unconditioned: OCI Functions documents only the general policy variables, none naming the
    # function for GetFunction, and a condition on a variable a request does not carry declines it.
    "Allow dynamic-group ${local.dynamic_group} to read fn-function in compartment id ${var.compartment_ocid}",
    "Allow dynamic-group ${local.dynamic_group} to use fn-invocation in compartment id ${var.compartment_ocid} where ANY {${local.these_functions}}",
  ]

  lifecycle {
    precondition {
      condition     = length(local.policy_compartment_outside) == 0
      error_message = "policy_compartment_ocid must be the tenancy or an ancestor (or the same) of every compartment the policies name (compartment_ocid, sweep_compartment_ids, tag_namespace_compartment_ids, image_repository_compartment_ocid, copy_kms_keys): CreatePolicy refuses a statement about a compartment outside the policy's own subtree. See local.policy_compartment_outside."
    }
  }
}

# The backup headroom (create-backup): GetResourceAvailability of block-storage / backup-count asked about
# the tenancy needs `read resource-availability` there (OCI's Service Limits page: READ in the compartment
# asked about). The one statement that is not compartment-scoped: usage counts only, read-only, in a
# policy attached to the tenancy (a statement about the tenancy must be). read_backup_limit = false
# leaves it out; create-backup then uses backup_limit.
resource "oci_identity_policy" "functions_limits" {
  for_each = var.read_backup_limit ? toset([var.tenancy_ocid]) : toset([])

  provider       = oci.home
  compartment_id = each.value
  name           = "${local.unique_name}-fn-limits"
  description    = "${var.name_prefix} functions (${var.region}): read the tenancy's backup limit and usage."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to read resource-availability in tenancy",
  ]
}

# Only when defined tags are written (retag RETAG_DEFINED_TAGS, group tags copied to backups).
resource "oci_identity_policy" "tag_namespaces" {
  for_each = toset(var.tag_namespace_compartment_ids)

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-tags-${substr(sha1(each.value), 0, 8)}"
  description    = "${var.name_prefix} functions (${var.region}): apply defined tags from the namespaces in compartment ${each.value}."
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group ${local.dynamic_group} to use tag-namespaces in compartment id ${each.value}",
  ]
}

# Copies encrypted with Vault keys (copy_kms_keys): the Block Volume service must use each key, and
# the caller needs key-delegate on it; both on exactly the configured keys.
resource "oci_identity_policy" "copy_keys" {
  for_each = var.copy_kms_keys

  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-copy-key-${each.key}"
  description    = "${var.name_prefix} functions (${var.region}): encrypt DR copies in ${each.key} with Vault key ${each.value.key_id}."
  freeform_tags  = local.tags

  statements = [
    "Allow service blockstorage to use keys in compartment id ${each.value.compartment_id} where target.key.id = '${each.value.key_id}'",
    "Allow dynamic-group ${local.dynamic_group} to use key-delegate in compartment id ${each.value.compartment_id} where target.key.id = '${each.value.key_id}'",
  ]
}

# The Functions service itself: pull the (private) image from OCIR and attach the functions to the
# subnet of the target compartment (OCI Functions documentation, "service faas" statements).
resource "oci_identity_policy" "functions_service" {
  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-faas"
  description    = "OCI Functions may pull the ${var.name_prefix} image and use its network."
  freeform_tags  = local.tags

  statements = [
    "Allow service faas to read repos in compartment id ${local.image_repository_compartment_id}",
    "Allow service faas to use virtual-network-family in compartment id ${var.compartment_ocid}",
  ]
}

# The services that invoke the functions, each limited to the functions' compartment:
# - Events (FAAS actions): the cloudEvents service principal;
# - API Gateway (ORACLE_FUNCTIONS_BACKEND): gateways of that compartment only;
# - Resource Scheduler: exactly the three schedules created here (its documented verb is manage).
resource "oci_identity_policy" "invokers" {
  provider       = oci.home
  compartment_id = local.policy_compartment_id
  name           = "${local.unique_name}-fn-invokers"
  description    = "Events, API Gateway and Resource Scheduler may invoke the ${var.name_prefix} functions (${var.region})."
  freeform_tags  = local.tags

  statements = [
    "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_ocid}",
    "Allow any-user to use functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${var.compartment_ocid}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["create_backup"].id}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["copy_backup"].id}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["retag_group_backup"].id}'}",
    "Allow any-user to manage functions-family in compartment id ${var.compartment_ocid} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${oci_resource_scheduler_schedule.this["restore_backup"].id}'}",
  ]
}
