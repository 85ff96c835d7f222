# ---------------------------------------------------------------------------------------------------
# Where to deploy
# ---------------------------------------------------------------------------------------------------

variable "tenancy_ocid" {
  description = "OCID of the tenancy. The dynamic group lives in the tenancy; policies are attached to the compartment named by policy_compartment_ocid (default: the tenancy)."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.tenancy\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", var.tenancy_ocid))
    error_message = "The tenancy_ocid value must be a tenancy OCID (ocid1.tenancy.oc1..xxxx)."
  }
}

variable "compartment_ocid" {
  description = "OCID of the target compartment: the functions, network, gateway, topic and logs are created here, and by default it is the only compartment the functions back up (with its children when include_subcompartments is true)."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", var.compartment_ocid))
    error_message = "The compartment_ocid value must be a compartment OCID (ocid1.compartment.oc1..xxxx); the root compartment (tenancy) is deliberately not accepted."
  }
}

variable "region" {
  description = "Region the functions run in and whose volumes they back up (e.g. us-ashburn-1): the region of the `oci` provider configuration passed to the module."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region value must be a region name such as us-ashburn-1."
  }
}

variable "policy_compartment_ocid" {
  description = "Compartment (or the tenancy) the IAM policies are attached to. Null attaches them to the tenancy, which can grant in any compartment; every statement is still scoped `in compartment id <...>`. A policy can only grant in its own compartment and the compartments below it, so a compartment set here must be an ancestor (or the same) of every compartment a statement names: compartment_ocid, sweep_compartment_ids, tag_namespace_compartment_ids, image_repository_compartment_ocid and the key compartments of copy_kms_keys; otherwise CreatePolicy fails. The plan reads those compartments' parents and refuses a policy compartment that is not above all of them."
  type        = string
  default     = null

  validation {
    condition     = var.policy_compartment_ocid == null || can(regex("^ocid1\\.(compartment|tenancy)\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", coalesce(var.policy_compartment_ocid, "x")))
    error_message = "The policy_compartment_ocid value must be null, a compartment OCID or the tenancy OCID."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (lower case letters, digits and hyphens, 3-24 characters)."
  type        = string
  default     = "block-backup"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "The name_prefix value must be 3-24 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "freeform_tags" {
  description = "Freeform tags added to every resource this configuration creates."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------
# Function image and sizing
# ---------------------------------------------------------------------------------------------------

variable "function_image" {
  description = "Container image of the functions in OCI Registry of the function's own region, built and pushed before apply: <region-key>.ocir.io/<namespace>/<repo>:<tag> (also <region>.ocir.io or ocir.<region>.oci.<realm domain>). OCI Functions pulls only from OCI Registry in the function's region. A tag only: pin the exact build with image_digest. The three functions run this same image; HANDLER selects the code."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+/[a-z0-9][a-z0-9_-]*/[a-z0-9]+([._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.function_image))
    error_message = "The function_image value must be <registry host>/<namespace>/<repository>:<tag> in lower case, e.g. iad.ocir.io/mytenancy/block-backup:0.1.0; a digest goes in image_digest, not in the image."
  }

  validation {
    condition     = contains(local.ocir_hosts, split("/", var.function_image)[0])
    error_message = "The function_image value must name OCI Registry in the region the functions run in (var.region): one of <region-key>.ocir.io, <region>.ocir.io or ocir.<region>.oci.<realm domain>. OCI Functions cannot pull from another registry or region."
  }
}

variable "image_digest" {
  description = "Digest of function_image to run (sha256:<64 hex>, from `docker push` or `oci artifacts container image list`). Set it to pin the exact build: a tag can be moved, a digest cannot. Null lets OCI resolve the tag when the function is created or updated."
  type        = string
  default     = null

  validation {
    condition     = var.image_digest == null || can(regex("^sha256:[0-9a-f]{64}$", coalesce(var.image_digest, "x")))
    error_message = "The image_digest value must be null or sha256: followed by 64 lower-case hex digits."
  }
}

variable "image_repository_compartment_ocid" {
  description = "Compartment of the OCIR repository holding function_image; the Functions service (service faas) is granted `read repos` there to pull a private image. Null means the target compartment (where create_container_repository puts it). A repository in the root compartment needs a tenancy-level grant this module does not make (see README)."
  type        = string
  default     = null

  validation {
    condition     = var.image_repository_compartment_ocid == null || can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", coalesce(var.image_repository_compartment_ocid, "x")))
    error_message = "The image_repository_compartment_ocid value must be null or a compartment OCID (the root compartment is not accepted)."
  }
}

variable "application_shape" {
  description = "Processor architecture of the function application; the image must be built for it."
  type        = string
  default     = "GENERIC_X86"

  validation {
    condition     = contains(["GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM"], var.application_shape)
    error_message = "The application_shape value must be GENERIC_X86, GENERIC_ARM or GENERIC_X86_ARM."
  }
}

variable "function_memory_mb" {
  description = "Memory of each function in MB: one of the sizes OCI Functions offers, 128, 256, 512, 1024, 2048 or 3072. 128 holds a create-backup sweep, a posture request and a copy reconcile of a 25,000-volume, 100,000-backup tenancy (OCI's default backup limit): their peak RSS measured by make bench SCALE=1 stays under 120 MB (bench/RESULTS.md, The big fleet); 256 leaves room beyond that size."
  type        = number
  default     = 256

  validation {
    condition     = contains([128, 256, 512, 1024, 2048, 3072], var.function_memory_mb)
    error_message = "The function_memory_mb value must be one of the sizes OCI Functions offers: 128, 256, 512, 1024, 2048 or 3072."
  }
}

variable "function_timeout_seconds" {
  description = "Timeout of each function invocation in seconds (OCI Functions allows at most 300 for synchronous calls)."
  type        = number
  default     = 300

  validation {
    condition     = var.function_timeout_seconds >= 30 && var.function_timeout_seconds <= 300
    error_message = "The function_timeout_seconds value must be between 30 and 300."
  }
}

variable "function_detached_timeout_seconds" {
  description = "Timeout of a detached invocation in seconds (detached_mode_timeout_in_seconds, 5-3600, longer than function_timeout_seconds): a sweep that hands its remainder to a detached run of itself gets this longer deadline (DETACHED_TIMEOUT_SECONDS). A detached run that crashes or times out is reported to the report topic (failure_destination)."
  type        = number
  default     = 900

  validation {
    condition     = var.function_detached_timeout_seconds >= 5 && var.function_detached_timeout_seconds <= 3600 && floor(var.function_detached_timeout_seconds) == var.function_detached_timeout_seconds
    error_message = "The function_detached_timeout_seconds value must be a whole number between 5 and 3600 (the OCI Functions limits for detached invocations)."
  }

  validation {
    condition     = var.function_detached_timeout_seconds > var.function_timeout_seconds
    error_message = "The function_detached_timeout_seconds value must be longer than function_timeout_seconds: the detached hand-over exists to run longer than a synchronous call."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency units (PCUs) per function, by HANDLER, e.g. { create_backup = 20 }; off by default. PCUs keep instances warm: no cold start for HTTP callers, billed for every hour they are provisioned even when idle. The count must be a multiple of the OCI step for function_memory_mb: 40 at 128 MB, 20 at 256 MB, 10 at 512 MB or more."
  type        = map(number)
  default     = {}

  validation {
    condition     = length(setsubtract(keys(var.provisioned_concurrency), keys(local.functions))) == 0
    error_message = "The provisioned_concurrency keys must name functions of this module: create_backup, copy_backup, retag_group_backup or restore_backup."
  }

  validation {
    condition     = alltrue([for n in values(var.provisioned_concurrency) : n >= 0 && floor(n) == n && n % local.provisioned_concurrency_step == 0])
    error_message = "Each provisioned_concurrency count must be 0 or a whole multiple of the OCI step for function_memory_mb (40 at 128 MB, 20 at 256 MB, 10 at 512 MB or more)."
  }
}

# ---------------------------------------------------------------------------------------------------
# What to back up, where to copy, how long to keep
# ---------------------------------------------------------------------------------------------------

variable "sweep_compartment_ids" {
  description = "Compartments the functions sweep (COMPARTMENT_IDS) and are granted access to. Empty means the target compartment only. Event-driven backups fire for the target compartment and its children only (where the Events rules live)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.sweep_compartment_ids : can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", c))])
    error_message = "Each sweep_compartment_ids entry must be a compartment OCID (the root compartment is not accepted)."
  }
}

variable "include_subcompartments" {
  description = "Whether sweeps also walk the child compartments of each swept compartment (INCLUDE_SUBCOMPARTMENTS). The grants are inherited by child compartments either way."
  type        = bool
  default     = false
}

variable "selector" {
  description = "Tag selector of the volumes/backups the functions act on (SELECTOR): key=value for a freeform tag, namespace.key=value for a defined tag; empty means all."
  type        = string
  default     = ""

  validation {
    condition     = var.selector == "" || can(regex("^([A-Za-z0-9_-]+\\.)?[A-Za-z0-9_-]+=[^,]*$", var.selector))
    error_message = "The selector value must be empty, key=value or namespace.key=value."
  }
}

variable "copy_destination_regions" {
  description = "Regions copy-backup copies finished backups to (COPY_DESTINATION_REGIONS), e.g. [\"us-phoenix-1\"]. At least one; do not list the function's own region."
  type        = list(string)

  validation {
    condition     = length(var.copy_destination_regions) >= 1 && length(var.copy_destination_regions) <= 20 && alltrue([for r in var.copy_destination_regions : can(regex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", r))])
    error_message = "The copy_destination_regions value must list 1-20 region names such as us-phoenix-1."
  }

  validation {
    condition     = !contains(var.copy_destination_regions, var.region) && length(distinct(var.copy_destination_regions)) == length(var.copy_destination_regions)
    error_message = "The copy_destination_regions value must not list the functions' own region (var.region) nor any region twice."
  }
}

variable "copy_kms_keys" {
  description = "Vault master encryption keys for the copies, by destination region: { \"us-phoenix-1\" = { key_id = \"ocid1.key.oc1.phx...\", compartment_id = \"ocid1.compartment...\" } }. Sets COPY_KMS_KEY_IDS and grants what a copy to a customer-managed key needs: the Block Volume service `use keys` and the functions `use key-delegate`, on exactly these keys (in their compartments). Empty: copies use Oracle-managed keys."
  type = map(object({
    key_id         = string
    compartment_id = string
  }))
  default = {}

  validation {
    condition     = alltrue([for r, k in var.copy_kms_keys : contains(var.copy_destination_regions, r) && can(regex("^ocid1\\.key\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9.-]+$", k.key_id)) && can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", k.compartment_id))])
    error_message = "Each copy_kms_keys entry must be keyed by one of copy_destination_regions and give a key OCID (key_id) and the compartment OCID holding the key (compartment_id)."
  }
}

variable "retention_days" {
  description = "create-backup deletes its own backups older than this many days (RETENTION_DAYS); 0 disables age-based deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.retention_days >= 0 && var.retention_days <= 36500 && floor(var.retention_days) == var.retention_days
    error_message = "The retention_days value must be a whole number between 0 and 36500."
  }
}

variable "retention_count" {
  description = "create-backup keeps at most this many of its own backups per volume (RETENTION_COUNT); 0 disables count-based deletion."
  type        = number
  default     = 0

  validation {
    condition     = var.retention_count >= 0 && var.retention_count <= 10000 && floor(var.retention_count) == var.retention_count
    error_message = "The retention_count value must be a whole number between 0 and 10000."
  }
}

variable "retention_min_keep" {
  description = "Retention never deletes below this many backups per volume (RETENTION_MIN_KEEP)."
  type        = number
  default     = 1

  validation {
    condition     = var.retention_min_keep >= 1 && var.retention_min_keep <= 1000 && floor(var.retention_min_keep) == var.retention_min_keep
    error_message = "The retention_min_keep value must be a whole number between 1 and 1000."
  }
}

variable "full_every" {
  description = "Every Nth backup of a volume is FULL, the others INCREMENTAL (FULL_EVERY); 0 lets the service decide (incremental after the first)."
  type        = number
  default     = 0

  validation {
    condition     = var.full_every >= 0 && var.full_every <= 1000 && floor(var.full_every) == var.full_every
    error_message = "The full_every value must be a whole number between 0 and 1000."
  }
}

variable "backup_name_template" {
  description = "Display name template of the backups create-backup makes (BACKUP_NAME_TEMPLATE); placeholders {name} {type} {date} {time}."
  type        = string
  default     = "{name}-{type}-{date}-{time}"

  validation {
    condition     = length(var.backup_name_template) >= 1 && length(var.backup_name_template) <= 200
    error_message = "The backup_name_template value must be 1-200 characters."
  }
}

variable "backup_lock_days" {
  description = "create-backup locks every backup it makes for this many days (BACKUP_LOCK_DAYS); 0 = no lock. A locked backup cannot be deleted (nor pruned) before the lock expires, by anyone: it is billed until then."
  type        = number
  default     = 0

  validation {
    condition     = var.backup_lock_days >= 0 && var.backup_lock_days <= 36500 && floor(var.backup_lock_days) == var.backup_lock_days
    error_message = "The backup_lock_days value must be a whole number between 0 and 36500."
  }
}

variable "backup_lock_mode" {
  description = "Kind of lock create-backup sets (BACKUP_LOCK_MODE): retention-lock (isRetentionLockEnabled) or prevent-deletion (isPreventDeletionEnabled)."
  type        = string
  default     = "retention-lock"

  validation {
    condition     = contains(["retention-lock", "prevent-deletion"], var.backup_lock_mode)
    error_message = "The backup_lock_mode value must be retention-lock or prevent-deletion."
  }
}

variable "copy_lock_days" {
  description = "copy-backup sets a retention lock of this many days on every copy it makes (COPY_LOCK_DAYS); 0 = no lock. A locked copy cannot be deleted (nor pruned) before the lock expires: it is billed until then."
  type        = number
  default     = 0

  validation {
    condition     = var.copy_lock_days >= 0 && var.copy_lock_days <= 36500 && floor(var.copy_lock_days) == var.copy_lock_days
    error_message = "The copy_lock_days value must be a whole number between 0 and 36500."
  }
}

variable "copy_lock_days_by_region" {
  description = "Per destination region override of copy_lock_days (COPY_LOCK_DAYS_BY_REGION), e.g. { \"us-phoenix-1\" = 30 }; each region must be one of copy_destination_regions."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for region, days in var.copy_lock_days_by_region : contains(var.copy_destination_regions, region) && days >= 0 && days <= 36500 && floor(days) == days])
    error_message = "The copy_lock_days_by_region value must map regions of copy_destination_regions to whole numbers of days between 0 and 36500."
  }
}

variable "extra_config" {
  description = "Additional function config keys, by function: { create_backup = { BACKUP_KINDS = \"volume\" }, copy_backup = { COPY_RETENTION_DAYS = \"14\" }, restore_backup = { RESTORE_PICK = \"...\" } }. Keys this module sets itself are rejected (Vault keys for the copies: copy_kms_keys); key names follow OCI's pattern (letters, digits and underscores, not starting with a digit)."
  type        = map(map(string))
  default     = {}

  validation {
    condition     = length(setsubtract(keys(var.extra_config), keys(local.functions))) == 0
    error_message = "The extra_config keys must name functions of this module: create_backup, copy_backup, retag_group_backup or restore_backup."
  }

  validation {
    condition     = alltrue([for fn, config in var.extra_config : length(setintersection(keys(config), lookup(local.managed_config_keys, fn, []))) == 0])
    error_message = "The extra_config maps must not set keys this module manages (HANDLER and the keys of common_config_known, config_sized_later and handler_config in locals.tf; see local.managed_config_keys) nor OCI_ENDPOINT_TEMPLATE (local emulation only)."
  }

  validation {
    condition     = alltrue(flatten([for config in values(var.extra_config) : [for key in keys(config) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", key))]]))
    error_message = "Each extra_config key must be letters, digits and underscores, not starting with a digit (OCI's pattern for function config keys)."
  }
}

variable "tag_namespace_compartment_ids" {
  description = "Compartments holding tag namespaces whose defined tags the functions write (retag RETAG_DEFINED_TAGS, copied group tags): adds `use tag-namespaces` there. Namespaces in the root compartment need a tenancy-level grant this module does not make (see README)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.tag_namespace_compartment_ids : can(regex("^ocid1\\.compartment\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$", c))])
    error_message = "Each tag_namespace_compartment_ids entry must be a compartment OCID."
  }
}

# ---------------------------------------------------------------------------------------------------
# Schedules (Resource Scheduler, UTC)
# ---------------------------------------------------------------------------------------------------

variable "schedule_recurrence_type" {
  description = "Recurrence syntax of the three schedules: CRON (UNIX cron, 5 fields, UTC) or ICAL (RFC 5545 RRULE)."
  type        = string
  default     = "CRON"

  validation {
    condition     = contains(["CRON", "ICAL"], var.schedule_recurrence_type)
    error_message = "The schedule_recurrence_type value must be CRON or ICAL."
  }
}

variable "create_backup_schedule" {
  description = "Recurrence of the create-backup sweep (default: nightly at 02:00 UTC)."
  type        = string
  default     = "0 2 * * *"

  validation {
    condition     = var.schedule_recurrence_type == "CRON" ? can(regex("^(\\S+\\s+){4}\\S+$", trimspace(var.create_backup_schedule))) : can(regex("^FREQ=[A-Z]+(;[A-Z]+=[^;]+)*$", var.create_backup_schedule))
    error_message = "The create_backup_schedule value must match schedule_recurrence_type: a 5-field cron expression for CRON, an RFC 5545 RRULE (FREQ=...) for ICAL."
  }
}

variable "copy_backup_schedule" {
  description = "Recurrence of the copy-backup reconcile sweep (default: hourly at minute 15)."
  type        = string
  default     = "15 * * * *"

  validation {
    condition     = var.schedule_recurrence_type == "CRON" ? can(regex("^(\\S+\\s+){4}\\S+$", trimspace(var.copy_backup_schedule))) : can(regex("^FREQ=[A-Z]+(;[A-Z]+=[^;]+)*$", var.copy_backup_schedule))
    error_message = "The copy_backup_schedule value must match schedule_recurrence_type: a 5-field cron expression for CRON, an RFC 5545 RRULE (FREQ=...) for ICAL."
  }
}

variable "retag_group_backup_schedule" {
  description = "Recurrence of the retag-group-backup reconcile sweep (default: hourly at minute 45)."
  type        = string
  default     = "45 * * * *"

  validation {
    condition     = var.schedule_recurrence_type == "CRON" ? can(regex("^(\\S+\\s+){4}\\S+$", trimspace(var.retag_group_backup_schedule))) : can(regex("^FREQ=[A-Z]+(;[A-Z]+=[^;]+)*$", var.retag_group_backup_schedule))
    error_message = "The retag_group_backup_schedule value must match schedule_recurrence_type: a 5-field cron expression for CRON, an RFC 5545 RRULE (FREQ=...) for ICAL."
  }
}

variable "schedules_enabled" {
  description = "Whether the three schedules are ACTIVE (false creates them INACTIVE)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# Notifications and logs
# ---------------------------------------------------------------------------------------------------

variable "notify_on" {
  description = "Which schedule and HTTP runs publish a report to the notification topic (NOTIFY_ON): all (the functions' own default; make smoke needs it), failures or never. Event runs: notify_on_events."
  type        = string
  default     = "all"

  validation {
    condition     = contains(["all", "failures", "never"], var.notify_on)
    error_message = "The notify_on value must be all, failures or never."
  }
}

variable "notify_on_events" {
  description = "Which event-triggered runs publish a report (NOTIFY_ON_EVENTS): failures (the default: a nightly sweep's thousands of backup-end events would otherwise each send one), all or never. Repeated failures of one kind are summarised (README \"Notifications\")."
  type        = string
  default     = "failures"

  validation {
    condition     = contains(["all", "failures", "never"], var.notify_on_events)
    error_message = "The notify_on_events value must be all, failures or never."
  }
}

variable "notification_email" {
  description = "E-mail address subscribed to the notification topic; empty creates no subscription. The address must confirm the subscription."
  type        = string
  default     = ""

  validation {
    condition     = var.notification_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "The notification_email value must be empty or an e-mail address."
  }
}

variable "log_retention_days" {
  description = "Retention of the function invoke logs and gateway logs in days (30, 60, 90, 120, 150 or 180)."
  type        = number
  default     = 30

  validation {
    condition     = contains([30, 60, 90, 120, 150, 180], var.log_retention_days)
    error_message = "The log_retention_days value must be one of 30, 60, 90, 120, 150, 180."
  }
}

# ---------------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------------

variable "vcn_cidr" {
  description = "CIDR block of the VCN; split in two halves: functions subnet and gateway subnet."
  type        = string
  default     = "10.42.0.0/24"

  validation {
    condition     = can(cidrnetmask(var.vcn_cidr)) && try(tonumber(split("/", var.vcn_cidr)[1]) >= 16 && tonumber(split("/", var.vcn_cidr)[1]) <= 28, false)
    error_message = "The vcn_cidr value must be an IPv4 CIDR block from /16 to /28: OCI allows a VCN of /16 to /30, and this module splits it into two subnets (functions, gateway) of at least /29 each."
  }
}

# ---------------------------------------------------------------------------------------------------
# HTTP (API Gateway)
# ---------------------------------------------------------------------------------------------------

variable "gateway_endpoint_type" {
  description = "PRIVATE (reachable from the VCN and peered networks only) or PUBLIC (a public subnet and internet gateway are created; restrict gateway_ingress_cidrs)."
  type        = string
  default     = "PRIVATE"

  validation {
    condition     = contains(["PRIVATE", "PUBLIC"], var.gateway_endpoint_type)
    error_message = "The gateway_endpoint_type value must be PRIVATE or PUBLIC."
  }
}

variable "gateway_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the gateway on TCP 443. Required for a PUBLIC gateway (your callers' ranges: the default would be the VCN's own range, unreachable from outside); empty for a PRIVATE gateway means the VCN's own CIDR."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.gateway_ingress_cidrs : can(cidrnetmask(c))])
    error_message = "Each gateway_ingress_cidrs entry must be an IPv4 CIDR block."
  }

  validation {
    condition     = var.gateway_endpoint_type != "PUBLIC" || length(var.gateway_ingress_cidrs) > 0
    error_message = "A PUBLIC gateway needs explicit gateway_ingress_cidrs (the ranges your HTTP callers come from); without them only the VCN itself could reach it."
  }
}

variable "gateway_jwks_egress_cidrs" {
  description = "CIDR blocks of the host serving gateway_jwks_uri. A PRIVATE gateway reaches only Oracle services through the service gateway; it fetches the issuer's keys over HTTPS through the NAT gateway, and this security-list rule lets it. Required for PRIVATE (e.g. the addresses the JWKS host resolves to, as /32). For an OCI IAM identity domain issuer, also enable the domain's \"Access signing certificate\" setting (Domain settings), or the gateway cannot read /admin/v1/SigningCert/jwk without a token."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.gateway_jwks_egress_cidrs : can(cidrnetmask(c))])
    error_message = "Each gateway_jwks_egress_cidrs entry must be an IPv4 CIDR block."
  }

  validation {
    condition     = var.gateway_endpoint_type != "PRIVATE" || length(var.gateway_jwks_egress_cidrs) > 0
    error_message = "A PRIVATE gateway needs gateway_jwks_egress_cidrs (where the JWKS host of gateway_jwks_uri is): without an egress rule to it every request fails JWT validation."
  }
}

variable "gateway_jwt_issuers" {
  description = "Accepted `iss` values of the bearer JWTs. An OCI IAM identity domain issues tokens with iss https://identity.oraclecloud.com/ (list it with and without the trailing slash); another OIDC provider: its issuer URL. See terraform/README.md, step 4."
  type        = list(string)

  validation {
    condition     = length(var.gateway_jwt_issuers) >= 1 && alltrue([for i in var.gateway_jwt_issuers : length(trimspace(i)) > 0])
    error_message = "The gateway_jwt_issuers value must list at least one non-empty issuer."
  }
}

variable "gateway_jwt_audiences" {
  description = "Accepted `aud` values of the bearer JWTs."
  type        = list(string)

  validation {
    condition     = length(var.gateway_jwt_audiences) >= 1 && alltrue([for a in var.gateway_jwt_audiences : length(trimspace(a)) > 0])
    error_message = "The gateway_jwt_audiences value must list at least one non-empty audience."
  }
}

variable "gateway_jwks_uri" {
  description = "HTTPS URI of the issuer's JSON Web Key Set (e.g. https://idcs-xxxx.identity.oraclecloud.com/admin/v1/SigningCert/jwk)."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s/]+(/\\S*)?$", var.gateway_jwks_uri))
    error_message = "The gateway_jwks_uri value must be an https:// URI."
  }
}

variable "gateway_allowed_scopes" {
  description = "If non-empty, a caller's token must carry one of these scopes (ANY_OF); empty means any authenticated caller (AUTHENTICATION_ONLY)."
  type        = list(string)
  default     = []
}

variable "gateway_token" {
  description = "Shared secret the gateway injects as X-Gateway-Token on every routed request; the functions accept HTTP calls only when sha256(X-Gateway-Token) matches GATEWAY_TOKEN_SHA256. Generate it, never write it in a file: export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\". Header transformations cannot read a Vault secret, so the token is stored in clear in the deployment's specification (readable by anyone with `read api-deployments` in the compartment) and in the Terraform state (readable by anyone who can read the state): see README \"Security\"."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[!-~]{32,512}$", var.gateway_token))
    error_message = "The gateway_token value must be 32-512 printable ASCII characters without spaces: generate one with export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"."
  }

  # At least three of: lower-case letters, upper-case letters, digits, other characters.
  validation {
    condition     = length([for class in ["[a-z]", "[A-Z]", "[0-9]", "[^a-zA-Z0-9]"] : class if can(regex(class, var.gateway_token))]) >= 3
    error_message = "The gateway_token value is weak: it must mix at least three of lower-case letters, upper-case letters, digits and other characters (hex or a word is not enough): export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"."
  }

  validation {
    condition     = length(distinct(regexall(".", var.gateway_token))) >= 16
    error_message = "The gateway_token value is weak: it repeats too few characters (fewer than 16 distinct): export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"."
  }

  # API Gateway expands expressions (a dollar sign and braces: request.auth[...], request.headers[...]) in
  # header values: a token holding one would be sent expanded, not as written.
  validation {
    condition     = !can(regex("\\$\\{", var.gateway_token))
    error_message = "The gateway_token value must not contain a dollar sign followed by an opening brace (API Gateway expands it as an expression in header values): export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"."
  }

  # The example's, the docs' and the tests' placeholders, and words nobody generates at random.
  validation {
    condition     = length([for word in ["replace", "example", "placeholder", "changeme", "change-me", "openssl", "password", "secret", "token", "xxxxx", "12345", "abcdef", "qwerty"] : word if can(regex(word, lower(var.gateway_token)))]) == 0
    error_message = "The gateway_token value looks like a placeholder (it contains a word such as replace, example, changeme, secret or token): export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"."
  }
}

variable "gateway_rate_limit_per_second" {
  description = "Requests per second allowed per client IP address across the deployment."
  type        = number
  default     = 5

  validation {
    condition     = var.gateway_rate_limit_per_second >= 1 && var.gateway_rate_limit_per_second <= 1000
    error_message = "The gateway_rate_limit_per_second value must be between 1 and 1000."
  }
}

# ---------------------------------------------------------------------------------------------------
# Optional container repository
# ---------------------------------------------------------------------------------------------------

variable "create_container_repository" {
  description = "Create a private OCIR repository for the image in the target compartment. The image must be pushed before the functions are created: apply with -target=oci_artifacts_container_repository.image first (see README)."
  type        = bool
  default     = false
}

variable "container_repository_name" {
  description = "Name of the OCIR repository (only with create_container_repository)."
  type        = string
  default     = "block-backup"

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.container_repository_name))
    error_message = "The container_repository_name value must be lower-case letters, digits and . _ / - separators."
  }
}
