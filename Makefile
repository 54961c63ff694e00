# thermoquant — every target creates .venv when it is missing and installs what it needs
# (pinned by constraints.txt) before running. `make demo` and `make test` are the whole set-up on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: demo test bench lint format install install-dev install-bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade "pip>=24" setuptools wheel

$(VENV)/.base-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e ".[dev,sources]"
	touch $(VENV)/.base-installed $@

$(VENV)/.bench-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e ".[dev,sources,bench]"
	touch $(VENV)/.base-installed $(VENV)/.dev-installed $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed
install-bench: $(VENV)/.bench-installed

## demo: install, create the database, load the bundled real sample and run the main daily job on it
demo: install
	$(BIN)/tq demo

## test: install with test extras and run the whole suite (PostgreSQL / MySQL tests need TQ_TEST_PG_URL /
## TQ_TEST_MYSQL_URL; see .ci/run)
test: install-dev
	$(BIN)/python -m pytest

## bench: run every benchmark script in benchmarks/ (each prints figures beside its peers)
bench: export TQ_BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: export TQ_BENCH_MYSQL_URL ?= mysql://root@127.0.0.1:3306/test
bench: install-bench
	@set -e; for f in benchmarks/bench_*.py; do echo "=== $$f"; $(BIN)/python $$f; done

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## lock: re-pin constraints.txt from the current environment (after changing dependencies)
lock: install-bench
	$(BIN)/pip freeze --exclude-editable | grep -v '^thermoquant' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
