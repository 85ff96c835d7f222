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

# Benchmarks vs the same handler on the official oci SDK (issues 10, 20): writes bench/RESULTS.md and
# bench/results.json. Both sides run on CPython 3.12 as the image does (python3.12 on PATH or pyenv's,
# else $(PYTHON): RESULTS.md says which), ours from bench/.venv-product, the SDK from bench/.venv-sdk,
# never in ours. About 15-20 minutes; `make bench QUICK=1` is a smoke run of a few minutes that
# writes to bench/.work/quick instead. Not part of `make test`.
BENCH_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo $$p; break; }; done)
BENCH_PY   := $(or $(BENCH_PYTHON),$(PYTHON))
BENCH_VENV := bench/.venv-product
SDK_VENV   := bench/.venv-sdk
$(BENCH_VENV)/.installed: requirements.txt requirements-dev.txt
	rm -rf $(BENCH_VENV)
	$(BENCH_PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@
$(SDK_VENV)/.installed: bench/requirements-sdk.txt
	rm -rf $(SDK_VENV)
	$(BENCH_PY) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-sdk.txt
	touch $@

bench: $(BENCH_VENV)/.installed $(SDK_VENV)/.installed
	PYTHONPATH=. $(BENCH_VENV)/bin/python -m bench.run $(if $(QUICK),--quick)
