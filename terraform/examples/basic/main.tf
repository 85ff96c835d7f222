# One region with its functions, one DR region for the copies, reports by e-mail. Every other input of
# the module keeps its default: add it here (the module's README lists them all).
module "block_backup" {
  source = "../.."

  providers = {
    oci      = oci
    oci.home = oci.home
  }

  tenancy_ocid             = var.tenancy_ocid
  compartment_ocid         = var.compartment_ocid
  region                   = var.region
  function_image           = var.function_image
  image_digest             = var.image_digest
  copy_destination_regions = [var.dr_region]
  notification_email       = var.notification_email

  gateway_jwt_issuers       = var.gateway_jwt_issuers
  gateway_jwt_audiences     = var.gateway_jwt_audiences
  gateway_jwks_uri          = var.gateway_jwks_uri
  gateway_jwks_egress_cidrs = var.gateway_jwks_egress_cidrs
  gateway_token             = var.gateway_token
}
