# Credentials come from the environment: ~/.oci/config (profile below), OCI_* / TF_VAR_* variables,
# or the Resource Manager / Cloud Shell session. Nothing secret is configured here.
provider "oci" {
  region              = var.region
  config_file_profile = var.config_file_profile
}

# Identity resources (dynamic group, policies) are written in the tenancy's home region.
provider "oci" {
  alias               = "home"
  region              = var.home_region
  config_file_profile = var.config_file_profile
}
