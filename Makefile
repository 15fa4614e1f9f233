# livescreen — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)
DEMO_SCENARIO ?= saas_churn
DEMO_OUT ?= out/demo
# The candidate environment: built from a Python every Unix user can execute (not one under /root).
CANDIDATE_PYTHON ?= /usr/bin/python3
CANDIDATE_ENV := .venv-candidate
PROXY := .hub/proxy/node_modules/.bin/configurable-http-proxy
HUB_PORT ?= 8000
# make install's record that Debian's packages are there (see its rule below)
SYSTEM_DEPS := .system-deps.stamp

.DEFAULT_GOAL := help

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(VENV)/.installed: pyproject.toml | $(SYSTEM_DEPS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Debian's packages, in one step (apt-get cannot run twice at once): Chromium for the browser tests
# (driven by Playwright; never `playwright install`), venv for both environments' Pythons, nodejs/npm
# for the hub's proxy.
$(SYSTEM_DEPS):
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	for py in $(PYTHON) $(CANDIDATE_PYTHON); do $$py -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

# The candidate environment: the toolkit (its own non-editable distribution) and its libraries only.
# Built by the standard library alone (livescreen.hub.candidate_env imports nothing else), so it
# builds beside .venv/ rather than after it.
$(CANDIDATE_ENV)/.installed: $(wildcard livescreen/toolkit/*.py) livescreen/hub/candidate_env.py | $(SYSTEM_DEPS)
	@# refuse to pull the environment from under a running hub (its servers and kernels run from it)
	@if [ -d $(CANDIDATE_ENV) ]; then PYTHONPATH=$(CURDIR) $(CANDIDATE_PYTHON) -m livescreen.hub.candidate_env --check-unused $(CANDIDATE_ENV); fi
	rm -rf $(CANDIDATE_ENV)
	$(CANDIDATE_PYTHON) -m venv $(CANDIDATE_ENV)
	$(CANDIDATE_ENV)/bin/pip install --quiet --upgrade pip
	PYTHONPATH=$(CURDIR) $(CANDIDATE_PYTHON) -m livescreen.hub.candidate_env $(CANDIDATE_ENV)
	touch $@

## candidate-env: build .venv-candidate/ (toolkit + libraries; no engine, grader, rubrics or nbgrader)
candidate-env: $(CANDIDATE_ENV)/.installed

# configurable-http-proxy from npm, into the repository (never global); Debian's nodejs/npm if missing.
$(PROXY): | $(SYSTEM_DEPS)
	mkdir -p .hub/proxy
	npm install --prefix .hub/proxy --no-audit --no-fund --silent configurable-http-proxy@5.3.0
	@test -x $@

## install: create .venv/ and .venv-candidate/, install the kit, the hub's proxy and Debian's chromium
install:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed $(CANDIDATE_ENV)/.installed $(PROXY)

## hub: install, then run the JupyterHub on 127.0.0.1:$(HUB_PORT) as root (Ctrl-C stops it)
hub: install
	$(BIN)/livescreen hub start --port $(HUB_PORT)

## demo: install, then run a whole interview session for a demo candidate (session commands, service, scorecard)
demo: install
	$(BIN)/livescreen demo --scenario $(DEMO_SCENARIO) --out $(DEMO_OUT)

# pytest on both cores; its exit code 5 ("no tests collected": an empty tier) is not a failure
PYTEST = rc=0; $(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 $(1) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no test collected for $(1)"; rc=0; fi; exit $$rc

## test: install, then the newcomer's run (<= 10 min on 2 cores): every test not marked `full`:
##       unit tests, every scenario validated on one seed, every scenario's notebook run headless
##       (card filled and empty), real nbgrader, the browser
test: install
	@$(call PYTEST,-m "not full")

## test-all: `make test`, then the long sweeps marked `full` (50 seeds per scenario in blocks, ...)
test-all: test test-full

## test-full: install, then only the tests marked `full` (what test-all adds; .ci/run runs it after `make test`)
test-full: install
	@$(call PYTEST,-m full)

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

.PHONY: help install candidate-env hub demo test test-all test-full lab bench validate clean
