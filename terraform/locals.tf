locals {
  # ---------------------------------------------------------------------------------------------
  # Event types each function's Events rule matches: the ONE place they are listed. The Python
  # handlers register the same strings; tests compare both sides against this map.
  # ---------------------------------------------------------------------------------------------
  event_types = {
    create_backup = [
      "com.oraclecloud.blockvolumes.createvolume.end",
      "com.oraclecloud.blockvolumes.createbootvolume.end",
      "com.oraclecloud.blockvolumes.createvolumegroup.end",
    ]
    copy_backup = [
      "com.oraclecloud.blockvolumes.createvolumebackup.end",
      "com.oraclecloud.blockvolumes.createbootvolumebackup.end",
    ]
    retag_group_backup = [
      "com.oraclecloud.blockvolumes.createvolumegroupbackup.end",
    ]
  }

  # One image, three functions: the key is the HANDLER value, `slug` names resources and routes.
  functions = {
    create_backup = {
      slug        = "create-backup"
      description = "Backs up volumes, boot volumes and volume groups (events, schedule, HTTP) and applies retention."
    }
    copy_backup = {
      slug        = "copy-backup"
      description = "Copies finished volume and boot volume backups to the destination regions."
    }
    retag_group_backup = {
      slug        = "retag-group-backup"
      description = "Names and tags volume group backups and their member backups."
    }
  }

  # Resource Scheduler: one schedule per function; `name` travels in the BODY payload.
  schedules = {
    create_backup      = { name = "create-backup", recurrence = var.create_backup_schedule }
    copy_backup        = { name = "copy-backup", recurrence = var.copy_backup_schedule }
    retag_group_backup = { name = "retag-group-backup", recurrence = var.retag_group_backup_schedule }
  }

  sweep_compartment_ids  = length(var.sweep_compartment_ids) > 0 ? distinct(var.sweep_compartment_ids) : [var.compartment_ocid]
  policy_compartment_id  = coalesce(var.policy_compartment_ocid, var.tenancy_ocid)
  gateway_ingress_cidrs  = length(var.gateway_ingress_cidrs) > 0 ? var.gateway_ingress_cidrs : [var.vcn_cidr]
  gateway_public         = var.gateway_endpoint_type == "PUBLIC"
  functions_subnet_cidr  = cidrsubnet(var.vcn_cidr, 1, 0)
  gateway_subnet_cidr    = cidrsubnet(var.vcn_cidr, 1, 1)
  all_services_cidr      = data.oci_core_services.all.services[0].cidr_block
  all_services_id        = data.oci_core_services.all.services[0].id
  gateway_authorization  = length(var.gateway_allowed_scopes) > 0 ? "ANY_OF" : "AUTHENTICATION_ONLY"
  gateway_allowed_scopes = length(var.gateway_allowed_scopes) > 0 ? var.gateway_allowed_scopes : null

  # Function config: keys every handler reads, then each handler's own keys. Operator extras come
  # first so the keys this module manages always win (variables.tf also rejects overlaps).
  common_config = {
    NOTIFICATION_TOPIC_ID   = oci_ons_notification_topic.this.id
    NOTIFY_ON               = var.notify_on
    GATEWAY_TOKEN_SHA256    = sha256(var.gateway_token)
    COMPARTMENT_IDS         = join(",", local.sweep_compartment_ids)
    SELECTOR                = var.selector
    INCLUDE_SUBCOMPARTMENTS = tostring(var.include_subcompartments)
  }
  handler_config = {
    create_backup = {
      RETENTION_DAYS       = tostring(var.retention_days)
      RETENTION_COUNT      = tostring(var.retention_count)
      RETENTION_MIN_KEEP   = tostring(var.retention_min_keep)
      FULL_EVERY           = tostring(var.full_every)
      BACKUP_NAME_TEMPLATE = var.backup_name_template
    }
    copy_backup = {
      COPY_DESTINATION_REGIONS = join(",", var.copy_destination_regions)
    }
    retag_group_backup = {}
  }
  extra_config = {
    create_backup      = var.extra_config_create_backup
    copy_backup        = var.extra_config_copy_backup
    retag_group_backup = var.extra_config_retag_group_backup
  }

  tags = merge({ "managed-by" = "terraform", "app" = var.name_prefix }, var.freeform_tags)
}

data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}
