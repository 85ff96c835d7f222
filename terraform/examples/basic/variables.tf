# The inputs of this example; the module checks every value (its variables.tf).

variable "tenancy_ocid" {
  description = "OCID of the tenancy."
  type        = string
}

variable "compartment_ocid" {
  description = "OCID of the compartment the functions, network, gateway and topic are created in, and the one they back up."
  type        = string
}

variable "region" {
  description = "Region the functions run in and whose volumes they back up, e.g. us-ashburn-1."
  type        = string
}

variable "home_region" {
  description = "The tenancy's home region (identity resources are created there), e.g. us-ashburn-1."
  type        = string
}

variable "config_file_profile" {
  description = "Profile of ~/.oci/config to authenticate with; null uses the provider's default lookup (DEFAULT profile, the environment, or the Resource Manager session)."
  type        = string
  default     = null
}

variable "function_image" {
  description = "The functions' image in OCI Registry of var.region, <region-key>.ocir.io/<namespace>/block-backup:<version> (make image REGISTRY=<region-key>.ocir.io/<namespace>, then docker push)."
  type        = string
}

variable "image_digest" {
  description = "Digest of function_image (sha256:<64 hex>, printed by docker push) to pin the exact build; null lets OCI resolve the tag."
  type        = string
  default     = null
}

variable "dr_region" {
  description = "The region backups are copied to for disaster recovery, e.g. us-phoenix-1 (not var.region)."
  type        = string
}

variable "notification_email" {
  description = "E-mail address subscribed to the run reports and alarms (it must confirm the subscription); empty: none."
  type        = string
  default     = ""
}

variable "gateway_jwt_issuers" {
  description = "Accepted `iss` of the bearer JWTs of HTTP callers; an OCI IAM identity domain: https://identity.oraclecloud.com/ (list it with and without the trailing slash)."
  type        = list(string)
}

variable "gateway_jwt_audiences" {
  description = "Accepted `aud` of the bearer JWTs (your API's primary audience)."
  type        = list(string)
}

variable "gateway_jwks_uri" {
  description = "HTTPS URI of the token issuer's JSON Web Key Set, e.g. https://idcs-<id>.identity.oraclecloud.com/admin/v1/SigningCert/jwk."
  type        = string
}

variable "gateway_jwks_egress_cidrs" {
  description = "Addresses of the JWKS host as /32 CIDR blocks: the private gateway fetches the issuer's keys through the NAT gateway, to these only."
  type        = list(string)
}

variable "gateway_token" {
  description = "Shared secret the gateway injects as X-Gateway-Token: export TF_VAR_gateway_token=\"$(openssl rand -base64 48)\"; never in a file. Stored in clear in the state and the deployment's specification."
  type        = string
  sensitive   = true
}
