# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean-var

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the service (embedded PostgreSQL under ./var unless DATABASE_URL is set), its worker and the court simulator.
run: $(STAMP)
	$(BIN)/kuaichu up

## Lint, import contracts and the whole test suite (embedded PostgreSQL unless TEST_DATABASE_URL is set).
test: $(STAMP) lint
	env -u DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Benchmarks under the protocol of BENCH.md; `make bench ONLY=<name>` runs one.
bench: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m bench $(if $(ONLY),--only $(ONLY),)

clean-var:
	rm -rf var
