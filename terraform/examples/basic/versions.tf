terraform {
  required_version = ">= 1.9.0"

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 8.22.0, < 9.0.0"
    }
  }

  # State holds the gateway token in clear: keep it in a bucket only its operators can read (see the
  # module's README, "Remote state"), e.g.
  # backend "oci" {
  #   bucket    = "block-backup-tfstate"
  #   namespace = "<object storage namespace>"
  #   key       = "block-backup/terraform.tfstate"
  # }
}
