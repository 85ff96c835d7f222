resource "oci_apigateway_gateway" "this" {
  compartment_id = var.compartment_ocid
  display_name   = "${var.name_prefix}-gateway"
  endpoint_type  = var.gateway_endpoint_type
  subnet_id      = oci_core_subnet.gateway.id
  freeform_tags  = local.tags
}

# One deployment under /backup with one POST route per function. Every caller must present a
# bearer JWT (validated against the issuer's JWKS; anonymous access disabled); every route
# requires authentication (or one of gateway_allowed_scopes). The gateway then sets, overwriting
# anything the client sent:
#   X-Gateway-Token: the shared token (the function checks its SHA-256 against GATEWAY_TOKEN_SHA256)
#   X-Auth-Subject:  the token's `sub` claim
# so the functions accept only requests that came through this gateway with a verified caller.
resource "oci_apigateway_deployment" "this" {
  compartment_id = var.compartment_ocid
  gateway_id     = oci_apigateway_gateway.this.id
  display_name   = "${var.name_prefix}-backup"
  path_prefix    = "/backup"
  freeform_tags  = local.tags

  # The ApiGateway grant must exist before the first request reaches a function.
  depends_on = [oci_identity_policy.invokers]

  specification {
    request_policies {
      authentication {
        type                        = "TOKEN_AUTHENTICATION"
        is_anonymous_access_allowed = false
        token_header                = "Authorization"
        token_auth_scheme           = "Bearer"
        max_clock_skew_in_seconds   = 60

        validation_policy {
          type                        = "REMOTE_JWKS"
          uri                         = var.gateway_jwks_uri
          is_ssl_verify_disabled      = false
          max_cache_duration_in_hours = 1

          additional_validation_policy {
            issuers   = var.gateway_jwt_issuers
            audiences = var.gateway_jwt_audiences
          }
        }
      }

      rate_limiting {
        rate_in_requests_per_second = var.gateway_rate_limit_per_second
        rate_key                    = "CLIENT_IP"
      }
    }

    dynamic "routes" {
      for_each = local.functions
      iterator = fn

      content {
        path    = "/${fn.value.slug}"
        methods = ["POST"]

        backend {
          type        = "ORACLE_FUNCTIONS_BACKEND"
          function_id = oci_functions_function.this[fn.key].id
        }

        request_policies {
          authorization {
            type          = local.gateway_authorization
            allowed_scope = local.gateway_allowed_scopes
          }

          header_transformations {
            set_headers {
              items {
                name      = "X-Gateway-Token"
                values    = [var.gateway_token]
                if_exists = "OVERWRITE"
              }
              items {
                name      = "X-Auth-Subject"
                values    = ["$${request.auth[sub]}"]
                if_exists = "OVERWRITE"
              }
            }
          }
        }
      }
    }
  }
}

resource "oci_logging_log" "gateway_access" {
  display_name       = "${var.name_prefix}-gateway-access"
  log_group_id       = oci_logging_log_group.this.id
  log_type           = "SERVICE"
  is_enabled         = true
  retention_duration = var.log_retention_days
  freeform_tags      = local.tags

  configuration {
    compartment_id = var.compartment_ocid

    source {
      category    = "access"
      resource    = oci_apigateway_deployment.this.id
      service     = "apigateway"
      source_type = "OCISERVICE"
    }
  }
}

resource "oci_logging_log" "gateway_execution" {
  display_name       = "${var.name_prefix}-gateway-execution"
  log_group_id       = oci_logging_log_group.this.id
  log_type           = "SERVICE"
  is_enabled         = true
  retention_duration = var.log_retention_days
  freeform_tags      = local.tags

  configuration {
    compartment_id = var.compartment_ocid

    source {
      category    = "execution"
      resource    = oci_apigateway_deployment.this.id
      service     = "apigateway"
      source_type = "OCISERVICE"
    }
  }
}
