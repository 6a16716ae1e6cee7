# plangraph — one entry point for people and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format build validate bench bench-suite bench-load bench-abuse bench-overlaps bench-quick lighthouse fuzz fuzz-ci fuzz-seeded clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# the whole benchmark: the suite, then the 10-minute load run (wrk is used when installed)
bench: bench-suite bench-load

# issues 10 and 21 (< 20 min): bench/results/bench.json
bench-suite: $(BENCH_STAMP)
	$(BIN)/plangraph build --if-stale
	$(BIN)/python bench/run.py

# 50 concurrent clients on a realistic query mix for 10 minutes: bench/results/load.json
bench-load: $(BENCH_STAMP)
	$(BIN)/plangraph build --if-stale
	$(BIN)/python bench/load.py --clients 50 --seconds 600

# issue 20's abuse figures (~5 min): floods, memory peak, a long reconciliation batch:
# bench/results/abuse.json
bench-abuse: $(STAMP)
	$(BIN)/plangraph build --if-stale
	$(BIN)/python bench/abuse.py --seconds 30

# the overlap detector's methods compared on the labelled kinds of work (chosen by
# cross-validation within dev, measured on test): bench/results/overlap-accuracy.json and the
# table in docs/donors.md
OVERLAPS_STAMP := $(VENV)/.installed-overlaps-bench
$(OVERLAPS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,overlaps-bench]'
	touch $(OVERLAPS_STAMP)

bench-overlaps: $(OVERLAPS_STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/overlap_accuracy.py --test

# every section at tiny sizes (< 2 min): checks that the suite runs, never fails on a ratio
bench-quick: $(BENCH_STAMP)
	$(BIN)/python bench/run.py --quick

# the pages as a browser sees them: Lighthouse scores desktop and mobile (npm ci in
# bench/lighthouse, Debian's Chromium), axe-core violations by impact, page weight with and
# without gzip: bench/results/{lighthouse,axe,page-weight}.json
lighthouse: $(STAMP)
	cd bench/lighthouse && npm ci --no-audit --no-fund
	$(BIN)/python bench/lighthouse.py
	$(BIN)/python bench/axe.py
	$(BIN)/python bench/page_weight.py

FUZZ_STAMP := $(VENV)/.installed-fuzz
$(FUZZ_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	touch $(FUZZ_STAMP)

# every fuzz target for FUZZ_SECONDS each, FUZZ_JOBS at a time (10 targets: 300 s each, 2 at
# a time is ~25 min); crash inputs and logs in fuzz/crashes/; fails when a target crashed
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 2
fuzz: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS)

# CI (.ci/run): every fuzz target for 120 s, 2 at a time (10 targets: ~10 min in all on two
# cores); prints executions and crashes per target, fails when a target crashed. The seed is
# fixed, so CI replays a prefix of what `make fuzz-seeded` covered; `make fuzz` explores anew.
FUZZ_CI_SEED ?= 1
fuzz-ci: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --seconds 120 --jobs 2 --seed $(FUZZ_CI_SEED)

# the CI seed for longer (300 s per target): run it after a parser change, before CI does
fuzz-seeded: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --seconds 300 --jobs 2 --seed $(FUZZ_CI_SEED)

run: $(STAMP)
	$(BIN)/plangraph build --if-stale
	$(BIN)/plangraph serve --host $(HOST) --port $(PORT)

build: $(STAMP)
	$(BIN)/plangraph build

validate: $(STAMP)
	$(BIN)/plangraph validate

# ruff (lint, format), mypy (pyproject.toml [tool.mypy]: plangraph/ and server/, no untyped
# defs), the import contracts (pyproject.toml [tool.importlinter]: the stages' layers; the
# library never imports the server; serving never imports the build)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
