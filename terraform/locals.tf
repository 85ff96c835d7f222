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
      # a launched instance's boot volume: the launch emits this Compute event (README, "Events")
      "com.oraclecloud.computeapi.launchinstance.end",
    ]
    copy_backup = [
      "com.oraclecloud.blockvolumes.createvolumebackup.end",
      "com.oraclecloud.blockvolumes.createbootvolumebackup.end",
      "com.oraclecloud.blockvolumes.createvolumegroupbackup.end",
    ]
    retag_group_backup = [
      "com.oraclecloud.blockvolumes.createvolumegroupbackup.end",
    ]
    # test restores ending in the sandbox compartment only (its own rule: restore.tf)
    restore_backup = [
      "com.oraclecloud.blockvolumes.createvolume.end",
      "com.oraclecloud.blockvolumes.createbootvolume.end",
      "com.oraclecloud.blockvolumes.createvolumegroup.end",
    ]
  }

  # One image, four functions: the key is the HANDLER value, `slug` names resources and routes.
  functions = {
    create_backup = {
      slug        = "create-backup"
      description = "Backs up volumes, boot volumes and volume groups (events, schedule, HTTP) and applies retention."
    }
    copy_backup = {
      slug        = "copy-backup"
      description = "Copies finished volume, boot volume and volume group backups to the destination regions."
    }
    retag_group_backup = {
      slug        = "retag-group-backup"
      description = "Names and tags volume group backups and their member backups."
    }
    restore_backup = {
      slug        = "restore-backup"
      description = "Restores backups into the sandbox compartment, checks, records and deletes them (restore tests)."
    }
  }

  # Resource Scheduler: one schedule per function; `name` travels in the BODY payload.
  schedules = {
    create_backup      = { name = "create-backup", recurrence = var.create_backup_schedule }
    copy_backup        = { name = "copy-backup", recurrence = var.copy_backup_schedule }
    retag_group_backup = { name = "retag-group-backup", recurrence = var.retag_group_backup_schedule }
    restore_backup     = { name = "restore-backup", recurrence = var.restore_backup_schedule }
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

  # Names that must be unique in the tenancy (dynamic group, policies attached to one compartment,
  # notification topic) carry the region key, so the same name_prefix can deploy to two regions.
  region_key  = try(local.regions[var.region].key, var.region)
  unique_name = "${var.name_prefix}-${local.region_key}"

  # OCI Registry hosts of the function's region: the only registry OCI Functions pulls from.
  ocir_hosts = distinct(compact([
    try("${local.regions[var.region].key}.ocir.io", ""),
    "${var.region}.ocir.io",
    "ocir.${var.region}.oci.${try(local.regions[var.region].domain, "oraclecloud.com")}",
  ]))

  # Provisioned concurrency is counted in PCUs whose minimum and step depend on the memory size.
  provisioned_concurrency_step = var.function_memory_mb <= 128 ? 40 : (var.function_memory_mb <= 256 ? 20 : 10)
  # Every function sends the block: CONSTANT with its count, or NONE (an omitted block would keep the old units).
  provisioned_concurrency = {
    for k in keys(local.functions) : k => (
      lookup(var.provisioned_concurrency, k, 0) > 0
      ? { strategy = "CONSTANT", count = var.provisioned_concurrency[k] }
      : { strategy = "NONE", count = null }
    )
  }

  # Function config: keys every handler reads, then each handler's own keys. Operator extras come
  # first so the keys this module manages always win (variables.tf also rejects overlaps).
  # Values known only after apply (or secret) go in config_sized_later, with the size they count for
  # in the plan-time size check below; everything else goes in common_config_known.
  common_config_known = {
    NOTIFY_ON                = var.notify_on
    NOTIFY_ON_EVENTS         = var.notify_on_events
    NAME_PREFIX              = var.name_prefix
    COMPARTMENT_IDS          = join(",", local.sweep_compartment_ids)
    SELECTOR                 = var.selector
    INCLUDE_SUBCOMPARTMENTS  = tostring(var.include_subcompartments)
    DETACHED_TIMEOUT_SECONDS = tostring(var.function_detached_timeout_seconds)
    FUNCTION_TIMEOUT_SECONDS = tostring(var.function_timeout_seconds)
    METRICS_NAMESPACE        = var.metrics_namespace
    METRICS_COMPARTMENT_ID   = local.metrics_compartment_id
    # restore-backup's sandbox; create-backup and copy-backup leave whatever is in it alone
    RESTORE_COMPARTMENT_ID = var.restore_compartment_ocid
  }
  config_sized_later = {
    NOTIFICATION_TOPIC_ID = { value = oci_ons_notification_topic.this.id, bytes = 100 } # an OCID (~90 bytes)
    GATEWAY_TOKEN_SHA256  = { value = sha256(var.gateway_token), bytes = 64 }           # hex SHA-256
    # PublishMessage goes to the topic's own endpoint (without it the functions would call GetTopic,
    # which the IAM here does not grant): https://cell<n>.notification.<region>.oci.<domain>
    NOTIFICATION_TOPIC_ENDPOINT = { value = oci_ons_notification_topic.this.api_endpoint, bytes = 120 }
  }
  common_config = merge(local.common_config_known, { for k, v in local.config_sized_later : k => v.value })
  handler_config = {
    create_backup = {
      RETENTION_DAYS       = tostring(var.retention_days)
      RETENTION_COUNT      = tostring(var.retention_count)
      RETENTION_MIN_KEEP   = tostring(var.retention_min_keep)
      FULL_EVERY           = tostring(var.full_every)
      BACKUP_NAME_TEMPLATE = var.backup_name_template
      RPO_HOURS            = tostring(local.rpo_hours)
      BACKUP_LOCK_DAYS     = tostring(var.backup_lock_days)
      BACKUP_LOCK_MODE     = var.backup_lock_mode
      # the backup headroom: the period of create-backup's schedule, the limit when Limits does not answer
      SCHEDULE_PERIOD_HOURS = tostring(var.schedule_period_hours.create_backup)
      BACKUP_LIMIT          = tostring(var.backup_limit)
    }
    copy_backup = {
      COPY_DESTINATION_REGIONS = join(",", var.copy_destination_regions)
      COPY_KMS_KEY_IDS         = join(",", [for r, k in var.copy_kms_keys : "${r}=${k.key_id}"]) # empty: Oracle-managed keys
      DR_RPO_HOURS             = tostring(local.dr_rpo_hours)
      COPY_LOCK_DAYS           = tostring(var.copy_lock_days)
      COPY_LOCK_DAYS_BY_REGION = join(",", [for region, days in var.copy_lock_days_by_region : "${region}=${days}"])
    }
    retag_group_backup = {}
    restore_backup = {
      VERIFY_EVERY_DAYS       = tostring(var.restore_verify_every_days)
      RESTORE_REGIONS         = join(",", var.restore_regions)
      RESTORE_TTL_MINUTES     = tostring(var.restore_ttl_minutes)
      RESTORE_TIMEOUT_MINUTES = tostring(var.restore_timeout_minutes)
      RESTORES_PER_RUN        = tostring(var.restores_per_run)
      RESTORE_MAX_GB_PER_RUN  = tostring(var.restore_max_gb_per_run)
      # recovery mode (recovery.tf)
      RECOVERY_COMPARTMENT_IDS  = local.recovery_config.RECOVERY_COMPARTMENT_IDS
      RECOVERY_ALLOWED_SUBJECTS = local.recovery_config.RECOVERY_ALLOWED_SUBJECTS
    }
  }
  extra_config = { for k in keys(local.functions) : k => lookup(var.extra_config, k, {}) }
  # Keys the extra_config maps may not set (variables.tf): everything above, and the emulator's.
  managed_config_keys = {
    for k in keys(local.functions) : k => concat(
      keys(local.common_config_known), keys(local.config_sized_later), keys(local.handler_config[k]),
      ["HANDLER", "OCI_ENDPOINT_TEMPLATE"],
    )
  }
  function_config = {
    for k in keys(local.functions) : k => merge(local.extra_config[k], local.common_config, local.handler_config[k], { HANDLER = k })
  }

  # OCI Functions limits a function's config to 4 KB: the sum of the UTF-8 bytes of every key and
  # value. Checked at plan time (precondition in functions.tf) on the config with the values of
  # config_sized_later replaced by placeholders of their size, so the check never waits for apply.
  # UTF-8 bytes = length of the base64 text / 4 * 3 minus its padding.
  function_config_limit_bytes = 4096
  function_config_sized = {
    for k in keys(local.functions) : k => merge(
      local.extra_config[k], local.common_config_known, local.handler_config[k], { HANDLER = k },
      { for key, v in local.config_sized_later : key => join("", [for i in range(v.bytes) : "x"]) },
    )
  }
  function_config_base64 = { for k, c in local.function_config_sized : k => base64encode(join("", [for key, value in c : "${key}${value}"])) }
  function_config_bytes  = { for k, b in local.function_config_base64 : k => length(b) / 4 * 3 - length(regexall("=", b)) }

  tags = merge({ "managed-by" = "terraform", "app" = var.name_prefix }, var.freeform_tags)
}

data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}
