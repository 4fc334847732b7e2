# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every Python package pinned with its hashes (runtime, tests and the build backend): `make lock` writes it.
LOCK := requirements.lock
# Debian packages the service needs at run time: the agreement PDF's fonts (accident/agreement_fonts.py), and
# openssl for `kuaichu audit verify`'s timestamp checks and the development time-stamping authority.
DEB_PACKAGES := fonts-wqy-zenhei fonts-hanazono openssl
# Debian packages only the tests need: the browser the page tests drive; jq, which evidence bundles' verify.sh uses.
DEB_TEST_PACKAGES := chromium jq

.PHONY: run test lint bench clean-var system-packages test-system-packages lock

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Pin every dependency of pyproject.toml (and of the build) with hashes into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps --extra dev \
	  --strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	rm -rf .lock-venv

## Install the Debian packages above when missing (as root; otherwise stop and name them).
define install_debian
	@for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" && continue; \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian package $$p: install it with 'sudo apt-get install -y $$p'" >&2; exit 1; fi; \
	  apt-cache show $$p >/dev/null 2>&1 || apt-get update || exit 1; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y $$p || exit 1; \
	done
endef

system-packages:
	$(call install_debian,$(DEB_PACKAGES))

test-system-packages:
	$(call install_debian,$(DEB_PACKAGES) $(DEB_TEST_PACKAGES))

## Start the service (embedded PostgreSQL under ./var unless DATABASE_URL is set), its worker and the court simulator.
run: $(STAMP) system-packages
	$(BIN)/kuaichu up

## Lint (complexity included), import contracts, type checks and the whole test suite (embedded PostgreSQL unless
## TEST_DATABASE_URL is set).
test: $(STAMP) test-system-packages lint
	env -u DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## Benchmarks under the protocol of BENCH.md; `make bench ONLY=<name>` runs one.
bench: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m bench $(if $(ONLY),--only $(ONLY),)

clean-var:
	rm -rf var
