# Functions subnet: private, no ingress. Egress HTTPS only:
# - to this region's Oracle services (Block Volume, Notifications, Identity, Functions) through the
#   service gateway;
# - to the other regions' Block Volume endpoints through the NAT gateway: copy-backup lists and tags
#   the copies in every destination region, and a service gateway reaches its own region only.
resource "oci_core_vcn" "this" {
  compartment_id = var.compartment_ocid
  cidr_blocks    = [var.vcn_cidr]
  display_name   = "${var.name_prefix}-vcn"
  dns_label      = "bkpfns"
  freeform_tags  = local.tags
}

resource "oci_core_service_gateway" "this" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-sgw"
  freeform_tags  = local.tags

  services {
    service_id = local.all_services_id
  }
}

resource "oci_core_nat_gateway" "this" {
  # copy_destination_regions always has at least one region (variables.tf), so copy-backup always
  # needs cross-region endpoints.
  count          = length(var.copy_destination_regions) > 0 ? 1 : 0
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-nat"
  freeform_tags  = local.tags
}

resource "oci_core_route_table" "private" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-private-rt"
  freeform_tags  = local.tags

  route_rules {
    description       = "This region's Oracle services"
    destination       = local.all_services_cidr
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.this.id
  }

  dynamic "route_rules" {
    for_each = oci_core_nat_gateway.this
    content {
      description       = "Other regions' service endpoints (cross-region backup copies)"
      destination       = "0.0.0.0/0"
      destination_type  = "CIDR_BLOCK"
      network_entity_id = route_rules.value.id
    }
  }
}

resource "oci_core_security_list" "functions" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-functions-sl"
  freeform_tags  = local.tags

  # Nothing connects to the functions; the only inbound traffic allowed is ICMP "fragmentation
  # needed" from inside the VCN, for path MTU discovery (the rule OCI's default security list has).
  ingress_security_rules {
    description = "Path MTU discovery"
    source      = var.vcn_cidr
    source_type = "CIDR_BLOCK"
    protocol    = "1"
    stateless   = true

    icmp_options {
      type = 3
      code = 4
    }
  }

  egress_security_rules {
    description      = "HTTPS to this region's Oracle services"
    destination      = local.all_services_cidr
    destination_type = "SERVICE_CIDR_BLOCK"
    protocol         = "6"
    stateless        = false

    tcp_options {
      min = 443
      max = 443
    }
  }

  dynamic "egress_security_rules" {
    for_each = oci_core_nat_gateway.this
    content {
      description      = "HTTPS to other regions' service endpoints through the NAT gateway"
      destination      = "0.0.0.0/0"
      destination_type = "CIDR_BLOCK"
      protocol         = "6"
      stateless        = false

      tcp_options {
        min = 443
        max = 443
      }
    }
  }
}

resource "oci_core_subnet" "functions" {
  compartment_id             = var.compartment_ocid
  vcn_id                     = oci_core_vcn.this.id
  cidr_block                 = local.functions_subnet_cidr
  display_name               = "${var.name_prefix}-functions"
  dns_label                  = "fns"
  prohibit_public_ip_on_vnic = true
  prohibit_internet_ingress  = true
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.functions.id]
  freeform_tags              = local.tags
}

# Gateway subnet: private by default (same routing as the functions: service gateway, and the NAT
# gateway that also carries the JWKS fetch); PUBLIC adds an internet gateway and a public subnet.
# Ingress is HTTPS from gateway_ingress_cidrs only (required for PUBLIC, see variables.tf).
resource "oci_core_internet_gateway" "this" {
  count          = local.gateway_public ? 1 : 0
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-igw"
  enabled        = true
  freeform_tags  = local.tags
}

resource "oci_core_route_table" "public" {
  count          = local.gateway_public ? 1 : 0
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-public-rt"
  freeform_tags  = local.tags

  route_rules {
    description       = "Internet (public API gateway)"
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_internet_gateway.this[0].id
  }
}

resource "oci_core_security_list" "gateway" {
  #checkov:skip=CKV_OCI_17:Stateful HTTPS ingress is deliberate: a stateless rule would need a matching egress rule opening the ephemeral ports back to every client CIDR; connection tracking keeps egress limited to OCI Functions.
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-gateway-sl"
  freeform_tags  = local.tags

  dynamic "ingress_security_rules" {
    for_each = toset(local.gateway_ingress_cidrs)
    content {
      description = "HTTPS to the API gateway"
      source      = ingress_security_rules.value
      source_type = "CIDR_BLOCK"
      protocol    = "6"
      stateless   = false

      tcp_options {
        min = 443
        max = 443
      }
    }
  }

  dynamic "egress_security_rules" {
    for_each = local.gateway_egress_rules
    iterator = rule
    content {
      description      = rule.value.description
      destination      = rule.value.destination
      destination_type = rule.value.destination_type
      protocol         = "6"
      stateless        = false

      tcp_options {
        min = 443
        max = 443
      }
    }
  }
}

# Gateway egress, all HTTPS: to OCI Functions (PUBLIC: anywhere through the internet gateway, which
# also reaches the JWKS host; PRIVATE: this region's Oracle services through the service gateway),
# and for PRIVATE to the JWKS host of gateway_jwks_uri through the NAT gateway: without it the
# gateway cannot fetch the issuer's keys and every request fails JWT validation.
locals {
  gateway_egress_rules = concat(
    [{
      description      = "HTTPS from the gateway to OCI Functions"
      destination      = local.gateway_public ? "0.0.0.0/0" : local.all_services_cidr
      destination_type = local.gateway_public ? "CIDR_BLOCK" : "SERVICE_CIDR_BLOCK"
    }],
    local.gateway_public ? [] : [for cidr in var.gateway_jwks_egress_cidrs : {
      description      = "HTTPS to the JWKS host of gateway_jwks_uri (through the NAT gateway)"
      destination      = cidr
      destination_type = "CIDR_BLOCK"
    }],
  )
}

resource "oci_core_subnet" "gateway" {
  compartment_id             = var.compartment_ocid
  vcn_id                     = oci_core_vcn.this.id
  cidr_block                 = local.gateway_subnet_cidr
  display_name               = "${var.name_prefix}-gateway"
  dns_label                  = "gw"
  prohibit_public_ip_on_vnic = !local.gateway_public
  prohibit_internet_ingress  = !local.gateway_public
  route_table_id             = local.gateway_public ? oci_core_route_table.public[0].id : oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.gateway.id]
  freeform_tags              = local.tags
}
