# Two commands for a newcomer: `make run` serves the committed models on
# http://127.0.0.1:8000, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: run test lint format audit install install-dev train-digits benchmark clean

# constraints.txt pins every package to the versions the measured numbers came from.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/vqa-demo serve --host $(HOST) --port $(PORT)  # production defaults: app/cli.py

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Known vulnerabilities in the pinned dependencies, from pip-audit in a throwaway venv.
# Strict: a package it cannot look up fails the audit (pip-audit needs pypi.org's JSON
# API; a machine that reaches only a package index mirror fails here, and says so).
audit:
	test -x .audit/bin/pip-audit || ($(PYTHON) -m venv .audit && .audit/bin/pip install --quiet pip-audit)
	grep -v '^#' constraints.txt > .audit/requirements.txt
	.audit/bin/pip-audit --requirement .audit/requirements.txt --no-deps --disable-pip --strict --progress-spinner off

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

train-digits: install-dev
	$(BIN)/python -m training.train_digits --model all

benchmark: install-dev
	$(BIN)/python -m benchmarks.digits_accuracy

clean:
	rm -rf $(VENV) .pytest_cache .audit
