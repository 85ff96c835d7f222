resource "oci_ons_notification_topic" "this" {
  compartment_id = var.compartment_ocid
  name           = "${local.unique_name}-reports"
  description    = "Run reports of the ${var.name_prefix} backup functions (NOTIFY_ON decides which runs publish)."
  freeform_tags  = local.tags
}

resource "oci_ons_subscription" "email" {
  count          = var.notification_email == "" ? 0 : 1
  compartment_id = var.compartment_ocid
  topic_id       = oci_ons_notification_topic.this.id
  protocol       = "EMAIL"
  endpoint       = var.notification_email
  freeform_tags  = local.tags
}
