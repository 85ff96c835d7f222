terraform {
  # optional() object attributes and the validation functions used in variables.tf need >= 1.3.
  required_version = ">= 1.3.0"

  required_providers {
    oci = {
      source = "oracle/oci"
      # 8.22.0: new oci_events_rule `actions { action { } }` syntax and the Resource Scheduler BODY
      # parameter for functions. 9.x may change both: re-check before widening.
      version = ">= 8.22.0, < 9.0.0"
    }
  }
}
