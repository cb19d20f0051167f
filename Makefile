# rsnprop: reproducible entry points.  `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rsnprop-installed

.DEFAULT_GOAL := help
.PHONY: help install bytecode system-deps analysis test lint bench clean package-data

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | awk -F'\t' '{printf "  %-14s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install rsnprop with its test dependencies (idempotent)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q rsnprop
	touch $@

# Byte code of the package, written ahead (0.1 s when up to date).  Where PYTHONDONTWRITEBYTECODE
# is set (containers, some CI images) an editable install otherwise compiles its ~130 modules
# again in every rsnprop process: 0.3-0.4 s of CPU each (docs/performance.md, ninth round).
# Python checks each file's source size and time, so a stale file is never used.
bytecode: install ## compile the package's byte code ahead (python -m compileall)
	$(BIN)/python -m compileall -q rsnprop

system-deps: ## install Chromium for the browser tests if missing (root or sudo; says what to install otherwise)
	@bash scripts/system-deps.sh

# `rsnprop warm` runs the study's make with a warm fork server: its rsnprop calls share one
# import of pandas/SciPy/statsmodels/pingouin/matplotlib (same outputs; docs/cli.md).
analysis: install bytecode ## run the example study on the bundled SIMULATED data -> reports/report.html
	$(BIN)/rsnprop warm -- $(MAKE) -C analysis RSNPROP=$(abspath $(BIN))/rsnprop

# No root needed when Chromium is installed; without it the browser tests say what to install.
test: install bytecode lint ## lint, then run the default test suite (< 10 minutes)
	@bash scripts/system-deps.sh --optional
	$(BIN)/python -m pytest -q -m "not bench" -n auto --dist loadfile

lint: install ## ruff (rules in pyproject.toml): unused names, undefined names, x != x NaN checks...
	$(BIN)/ruff check rsnprop tests bench scripts analysis

bench: install bytecode ## run the benchmarks (timings printed, and saved under bench/results/)
	$(BIN)/python -m pytest -q -s -m bench bench

# The example study ships inside the package (rsnprop/datasets/) so that a wheel alone can run
# it; the repository files are the sources and these are copies (tests/test_package_data.py
# fails while they differ).
package-data: ## copy the instrument, study plan and model into rsnprop/datasets/ (after editing them)
	cp instruments/rsn_internationalisation.yaml rsnprop/datasets/rsn_internationalisation.yaml
	cp analysis/study.yaml rsnprop/datasets/study.yaml
	cp analysis/benefits.lav rsnprop/datasets/benefits.lav

clean: ## remove build products (keeps .venv and the committed example report)
	$(MAKE) -C analysis clean
	rm -rf .pytest_cache test-artifacts bench/results

.PHONY: docs
docs: install ## build the HTML manual (stages, architecture, schemas, API reference) -> build/docs/index.html
	$(BIN)/python scripts/schemas_doc.py --check
	$(BIN)/python -m mkdocs build --quiet
	@echo "manual: build/docs/index.html"
