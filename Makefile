# Two commands for a fresh machine: `make demo` and `make test` (README "Quick start").
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest terraform-check demo invoke bench clean

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

test: venv lint typecheck terraform-check pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy shared functions func.py tests $(wildcard bench/*.py) $(wildcard demo/*.py)

pytest: venv
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

# Offline Terraform checks (fmt, validate against the schema stand-in, checkov); see terraform/README.md.
terraform-check: venv
	@if command -v terraform >/dev/null 2>&1; then \
	  echo "terraform fmt -check -recursive terraform/"; terraform fmt -check -recursive terraform/ || { echo "terraform-check: run terraform fmt -recursive terraform/"; exit 1; }; \
	else echo "terraform-check: terraform is not on PATH, skipping fmt and validate"; fi
	@if [ ! -x ../shared/tools/tf-validate ]; then echo "terraform-check: ../shared/tools/tf-validate not found, skipping validate"; \
	elif command -v terraform >/dev/null 2>&1; then echo "../shared/tools/tf-validate terraform"; ../shared/tools/tf-validate terraform; fi
	@[ .venv-checkov/.installed -nt requirements-checkov.txt ] || { \
	  echo "terraform-check: installing checkov into .venv-checkov"; rm -rf .venv-checkov; \
	  $(PYTHON) -m venv .venv-checkov && .venv-checkov/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.txt \
	  && touch .venv-checkov/.installed; }
	.venv-checkov/bin/checkov --skip-download --quiet --compact -d terraform --external-checks-dir terraform/checkov --framework terraform

# The demo (README "Demo"): the three functions as real fdk processes against the local OCI emulator,
# with the Events service, the scheduler and API Gateway played around them; exits 0 only if every step passed.
demo: venv
	$(PY) -m demo

# A manual run of one handler against a real tenancy with ~/.oci/config (README "Manual run"); never run by
# the tests. A dry run unless DRY_RUN=0. HANDLER, BODY, CONFIG and DRY_RUN reach demo/invoke.py as env vars:
#   make invoke HANDLER=create_backup BODY='{"volumeId":"ocid1.volume.oc1..."}' [CONFIG='KEY=V,...'] [DRY_RUN=0]
invoke: venv
	$(PY) -m demo.invoke

# Benchmarks vs the same handler on the official oci SDK (issue 10): writes bench/RESULTS.md and
# bench/results.json. The SDK lives in its own venv, never in ours. Not part of `make test`.
SDK_VENV := bench/.venv-sdk
$(SDK_VENV)/.installed: bench/requirements-sdk.txt
	rm -rf $(SDK_VENV)
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-sdk.txt
	touch $@

bench: venv $(SDK_VENV)/.installed
	PYTHONPATH=. $(PY) -m bench.run
