#!/usr/bin/env bash
# `make terraform-check`, first part: terraform fmt, then terraform validate, saying which validate ran.
#
# validate wants the oracle/oci provider. With registry access (or a provider mirror in your Terraform
# CLI config) that is the real provider: `terraform init -backend=false` (pinned by versions.tf; its
# own data dir, no backend touched), then `terraform validate`. Only when init fails because the
# registry cannot be reached, it falls back to an offline validator, if you have one: a script that
# runs the real `terraform validate` against a schema-only stand-in for the provider (TF_VALIDATE names
# it, or SHARED_DIR the folder holding tools/tf-validate); without it validate is skipped, and says so.
# Any other init failure fails the check.
#
# A module (terraform/) cannot be validated on its own (it configures no provider): DIR is a root that
# calls it, terraform/examples/basic. In the offline fallback `terraform get` installs the local module
# first (no registry needed).
#
# Usage: terraform/validate.sh [DIR] [FMT_DIR]   (from the repository root; DIR defaults to
# terraform/examples/basic, FMT_DIR, checked recursively by terraform fmt, to DIR)
# Environment: TF_VALIDATE, SHARED_DIR (default ../shared), TF_CHECK_DATA_DIR (default .terraform-check).
set -uo pipefail
dir=${1:-terraform/examples/basic}
fmt_dir=${2:-$dir}
validator=${TF_VALIDATE:-${SHARED_DIR:-../shared}/tools/tf-validate}
say() { echo "terraform-check: $*"; }
# What validate did, for the summary at the end of make test (tests/skip_summary.py).
outcome() { mkdir -p "${TF_CHECK_DATA_DIR:-.terraform-check}" && echo "$*" >"${TF_CHECK_DATA_DIR:-.terraform-check}/validate.outcome"; }

if ! command -v terraform >/dev/null 2>&1; then
  say "terraform is not on PATH: fmt and validate SKIPPED (install Terraform >= 1.9 to run them)"
  outcome "SKIPPED: terraform is not on PATH, neither fmt nor validate ran"
  exit 0
fi
echo "terraform fmt -check -recursive $fmt_dir/"
terraform fmt -check -recursive "$fmt_dir/" || { say "run terraform fmt -recursive $fmt_dir/"; exit 1; }

data_dir=${TF_CHECK_DATA_DIR:-.terraform-check}/$(tr -c 'A-Za-z0-9_.\n-' _ <<<"$dir")
mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
out=$(TF_DATA_DIR="$data_dir" CHECKPOINT_DISABLE=1 terraform -chdir="$dir" init -backend=false -input=false -no-color 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
  version=$(sed -n '/provider "registry.terraform.io\/oracle\/oci"/,/}/s/^ *version *= *"\(.*\)"/\1/p' "$dir/.terraform.lock.hcl" 2>/dev/null)
  say "validate: terraform validate with the registry's oracle/oci provider ${version:-(version unknown)}"
  outcome "validated with the registry's oracle/oci provider ${version:-(version unknown)}"
  TF_DATA_DIR="$data_dir" CHECKPOINT_DISABLE=1 terraform -chdir="$dir" validate -no-color
  exit $?
fi
unreachable='could not connect to|dial tcp|no such host|i/o timeout|connection refused|network is unreachable|TLS handshake timeout|context deadline exceeded|certificate signed by unknown authority'
if ! grep -qiE "$unreachable" <<<"$out"; then
  printf '%s\n' "$out"
  say "terraform init -backend=false failed (not a network problem: see above)"
  exit 1
fi
say "the Terraform registry is unreachable, cannot install oracle/oci: $(grep -m1 -iE "$unreachable" <<<"$out" | sed 's/^ *//')"
if [ -x "$validator" ]; then
  say "validate: FALLBACK to the offline validator, $validator $dir (provider schema stand-in)"
  outcome "validated with the offline validator $validator"
  TF_DATA_DIR="$data_dir" CHECKPOINT_DISABLE=1 terraform -chdir="$dir" get -no-color >/dev/null \
    || { say "terraform get (the local module) failed in $dir"; exit 1; }
  out=$(TF_DATA_DIR="$data_dir" "$validator" "$dir" 2>&1)
  rc=$?
  # The validator drops Terraform's warning that its stand-in provider is a development override; when
  # that was the only warning, the closing "...warnings as shown above." points at nothing.
  if ! grep -q '^Warning:' <<<"$out"; then
    out=$(sed -e '/^Success! The configuration is valid, but there were some validation warnings$/{N;s/.*\nas shown above\.$/Success! The configuration is valid./;}' <<<"$out")
  fi
  printf '%s\n' "$out"
  exit $rc
fi
outcome "SKIPPED: no registry access and no offline validator"
say "validate SKIPPED: no registry and no offline validator ($validator is absent; set TF_VALIDATE or SHARED_DIR); fmt passed, checkov follows"
exit 0
