# Two commands for a fresh machine: `make demo` and `make test` (README "Quick start").
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The interpreter is checked before anything is installed; .venv remembers which Python made it and
# is made again from scratch when that Python or a requirements file changes. 3.13 is refused for now
# (README "Quick start": its JSON parser accepts nesting the request checks rely on it refusing).
SUPPORTED_PYTHONS := 3.11 3.12
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
STAMP  := $(VENV)/.installed-python$(PYTHON_VERSION)
PIP_INSTALL = -m pip install -q --disable-pip-version-check

.PHONY: venv python-check test test-slow lint typecheck pytest terraform-check demo invoke smoke image stack bench clean

venv: python-check $(STAMP)
python-check:
	@case " $(SUPPORTED_PYTHONS) " in *" $(PYTHON_VERSION) "*) ;; *) \
	  echo "make: $(PYTHON) is $(if $(PYTHON_VERSION),Python $(PYTHON_VERSION),not a working Python): this project needs Python 3.11 or 3.12 (e.g. make $(or $(MAKECMDGOALS),venv) PYTHON=python3.12)" >&2; \
	  exit 2;; esac
# requirements.txt (the image's exact set, hashed) first and without dependencies, as the image installs it.
$(STAMP): requirements.txt requirements-dev.txt | python-check
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) --require-hashes --no-deps -r requirements.txt
	$(PY) $(PIP_INSTALL) -r requirements-dev.txt
	touch $@

test: venv lint typecheck terraform-check pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy shared functions emulator func.py tests $(wildcard bench/*.py) $(wildcard demo/*.py)

# The suite in parallel (pytest-xdist): each worker runs its own emulator and its own fdk sockets; a test
# module stays on one worker (its module fixtures are built once). The scale tests (marked slow: fleets
# of 10,000 resources) run in `make test-slow`, which `make bench` runs too.
PYTEST_WORKERS ?= 3
pytest: venv
	TF_VALIDATE_OUTCOME=.terraform-check/validate.outcome $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not slow"

test-slow: venv
	$(VENV)/bin/pytest -m slow

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

# Terraform checks (terraform/README.md "Checks"): fmt; validate with the registry's provider, or, when the
# registry is unreachable, the offline validator (set SHARED_DIR or TF_VALIDATE to point at it; terraform/validate.sh
# says which ran); then checkov with the project's own checks, from its own virtualenv .venv-checkov (installed on first use).
terraform-check: venv
	terraform/validate.sh terraform/examples/basic terraform
	@[ .venv-checkov/.installed -nt requirements-checkov.txt ] || { \
	  echo "terraform-check: installing checkov into .venv-checkov"; rm -rf .venv-checkov; \
	  $(PYTHON) -m venv .venv-checkov && .venv-checkov/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.txt \
	  && touch .venv-checkov/.installed; }
	.venv-checkov/bin/checkov --skip-download --quiet --compact -d terraform --skip-path examples --external-checks-dir terraform/checkov --framework terraform

# The demo (README "Quick start"): the three functions as real fdk processes against the local OCI emulator,
# with the Events service, the scheduler and API Gateway played around them; exits 0 only if every step passed.
demo: venv
	$(PY) -m demo

# A manual run of one handler against a real tenancy with ~/.oci/config (README "Deploying"); never run by
# the tests. A dry run unless DRY_RUN=0. HANDLER, BODY, CONFIG and DRY_RUN reach demo/invoke.py as env vars:
#   make invoke HANDLER=create_backup BODY='{"volumeId":"ocid1.volume.oc1..."}' [CONFIG='KEY=V,...'] [DRY_RUN=0]
invoke: venv
	@$(PY) -m demo.invoke

# The function image, its one build path (terraform/README.md step 3): the Dockerfile, for the platform of
# the application shape (linux/amd64 for GENERIC_X86, linux/arm64 for GENERIC_ARM), with docker or podman.
#   make image REGISTRY=iad.ocir.io/<namespace> [PLATFORM=linux/arm64] [DOCKER=podman]   (tag: the version)
#   make image IMAGE=iad.ocir.io/<namespace>/block-backup:0.1.0                            (any name and tag)
VERSION  := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' shared/version.py)
DOCKER   ?= docker
PLATFORM ?= linux/amd64
IMAGE    ?= $(if $(REGISTRY),$(REGISTRY)/block-backup:$(VERSION))
image:
	@[ -n "$(IMAGE)" ] || { echo "make image: set REGISTRY=<region-key>.ocir.io/<namespace> (tag $(VERSION)) or IMAGE=<region-key>.ocir.io/<namespace>/block-backup:<tag>"; exit 2; }
	$(DOCKER) build --platform $(PLATFORM) -t $(IMAGE) .

# The Resource Manager stack ("Deploy to Oracle Cloud", terraform/README.md): a zip whose root is
# terraform/examples/basic (schema.yaml included) with the module inside it, under modules/block_backup.
STACK_ZIP ?= dist/block-backup-stack-$(VERSION).zip
stack:
	@rm -rf $(STACK_ZIP).d && mkdir -p $(STACK_ZIP).d/modules/block_backup $(dir $(STACK_ZIP))
	cp terraform/examples/basic/*.tf terraform/examples/basic/schema.yaml $(STACK_ZIP).d/
	cp terraform/*.tf terraform/README.md $(STACK_ZIP).d/modules/block_backup/
	sed -i 's|source = "../.."|source = "./modules/block_backup"|' $(STACK_ZIP).d/main.tf
	rm -f $(STACK_ZIP) && cd $(STACK_ZIP).d && $(abspath $(PY)) -m zipfile -c $(abspath $(STACK_ZIP)) .
	@rm -rf $(STACK_ZIP).d && echo "make stack: $(STACK_ZIP)"

# After terraform apply: invoke each deployed function once with a dry-run body (InvokeFunction, signed with
# your ~/.oci/config key) and check its result and digest (terraform/README.md step 7). Reads the stack from
# `terraform output -json` in TF_DIR, or the file OUTPUTS names (its saved JSON); never run by the tests against
# OCI (they run it against the emulator).
TF_DIR ?= terraform/examples/basic
smoke: venv
	$(PY) -m demo.smoke $(if $(OUTPUTS),--outputs $(OUTPUTS),--terraform-dir $(TF_DIR))

# Benchmarks vs the same handler on the official oci SDK: writes bench/RESULTS.md and
# bench/results.json. Both sides run on CPython 3.12 as the image does (python3.12 on PATH or pyenv's,
# else $(PYTHON): RESULTS.md says which), ours from bench/.venv-product, the SDK from bench/.venv-sdk,
# never in ours. About 15-20 minutes; `make bench QUICK=1` is a smoke run of a few minutes that
# writes to bench/.work/quick instead. `make bench SCALE=1`: the big fleet only (25,000 volumes, 100,000
# backups: the sweep chain, a posture request, the copy reconcile; peak RSS, list calls, exactly once),
# added to the results as `scale` (with QUICK=1 a small fleet). Not part of `make test`. `make bench
# RESTORE=1`: the restore tests only (on the emulator clock), added to the results as `restore`.
BENCH_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo $$p; break; }; done)
BENCH_PY   := $(or $(BENCH_PYTHON),$(PYTHON))
BENCH_VENV := bench/.venv-product
SDK_VENV   := bench/.venv-sdk
$(BENCH_VENV)/.installed: requirements.txt requirements-dev.txt
	rm -rf $(BENCH_VENV)
	$(BENCH_PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python $(PIP_INSTALL) --require-hashes --no-deps -r requirements.txt
	$(BENCH_VENV)/bin/python $(PIP_INSTALL) -r requirements-dev.txt
	touch $@
$(SDK_VENV)/.installed: bench/requirements-sdk.txt
	rm -rf $(SDK_VENV)
	$(BENCH_PY) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-sdk.txt
	touch $@

bench: test-slow $(BENCH_VENV)/.installed $(SDK_VENV)/.installed
	PYTHONPATH=. $(BENCH_VENV)/bin/python -m bench.run $(if $(QUICK),--quick) $(if $(SCALE),--scale) $(if $(RESTORE),--restore)
