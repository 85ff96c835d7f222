terraform {
  # 1.9: variable validations that refer to other variables and locals (function_image against
  # region, gateway ingress/egress against the endpoint type, timeouts, provisioned concurrency).
  required_version = ">= 1.9.0"

  required_providers {
    oci = {
      source = "oracle/oci"
      # 8.22.0: new oci_events_rule `actions { action { } }` syntax and the Resource Scheduler BODY
      # parameter for functions. 9.x may change both: re-check before widening.
      version = ">= 8.22.0, < 9.0.0"
      # A module configures no provider: the caller passes `oci` (the region the functions run in)
      # and `oci.home` (the tenancy's home region, where identity resources are written).
      configuration_aliases = [oci.home]
    }
  }
}
