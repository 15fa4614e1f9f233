# livescreen — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)
DEMO_SCENARIO ?= saas_churn
DEMO_OUT ?= out/demo

.DEFAULT_GOAL := help

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Debian packages the browser tests need (Chromium driven by Playwright; never `playwright install`).
$(VENV)/.system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $@

## install: create .venv/ and install the kit with its test tools (and Debian's chromium)
install: $(VENV)/.installed $(VENV)/.system-deps

## demo: install, then run a whole interview session for a demo candidate (session commands, service, scorecard)
demo: install
	$(BIN)/livescreen demo --scenario $(DEMO_SCENARIO) --out $(DEMO_OUT)

## test: install, then run every test (unit, many-seed validation, notebooks, nbgrader, browser)
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## lab: open the demo candidate's folder in JupyterLab (run `make demo` first)
lab: install
	$(BIN)/jupyter lab --notebook-dir $(DEMO_OUT)/candidate

## bench: run the benchmarks in benchmarks/ (ratios against a peer timed in the same run)
bench: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## validate: check every shipped scenario over seeds 0-49
validate: install
	@for s in $$($(BIN)/livescreen scenarios); do $(BIN)/livescreen validate $$s --seeds 0-49 || exit 1; done

## clean: remove generated folders (keeps .venv/)
clean:
	rm -rf out artifacts .pytest_cache

.PHONY: help install demo test lab bench validate clean
