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
	$(VENV)/bin/mypy shared functions func.py tests bench

pytest: venv
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

# Offline Terraform checks (fmt, validate against the schema stand-in, checkov); see terraform/README.md.
terraform-check: venv
	@echo "terraform checks: not yet wired"
