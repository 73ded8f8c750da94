# ec112 — the two commands a new user needs:  `make run`  and  `make test`  (Debian 12, as root).
VENV      := .venv
BIN       := $(VENV)/bin
PYTEST    := $(BIN)/pytest
ASTERISK  ?= 16
DATABASE  ?= sqlite

.PHONY: install install-all run test lint unit fuzz integration integration-16 integration-22 e2e bench bench-smoke docker-test clean

install:            ## Asterisk 16 + SIPp + .venv (idempotent)
	scripts/install.sh

install-all:        ## also Asterisk 22 (sid chroot), Chromium and PostgreSQL (when none answers on 5432), for the full test suite
	scripts/install.sh --asterisk22 --chromium --postgresql

run: install        ## the lab: Asterisk (rendered asterisk-conf/) + ec112 in the foreground; DATABASE=postgresql for PostgreSQL
	$(if $(filter postgresql,$(DATABASE)),scripts/install.sh --postgresql)
	$(BIN)/ec112 lab run --database $(DATABASE)

test: install-all   ## everything CI runs: lint, types, unit/adapter/db tests, integration on Asterisk 16 and 22, e2e
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) fuzz
	$(MAKE) integration-16
	$(MAKE) integration-22
	$(MAKE) e2e
	$(MAKE) bench-smoke

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports           # layer rules: pyproject.toml [tool.importlinter]

unit:
	$(PYTEST) tests/unit tests/adapters tests/db

fuzz:               ## bounded hypothesis + schemathesis fuzzing (EC112_FUZZ_EXAMPLES=5000 for a long run); cases in artifacts/fuzz/
	$(PYTEST) tests/fuzz

integration-16:
	EC112_TEST_ASTERISK=16 $(PYTEST) --durations=15 tests/integration

# Which database (README, "PostgreSQL everywhere"): integration-16 runs ec112 on SQLite, integration-22 on
# PostgreSQL (the session's server: 127.0.0.1:5432 when it answers, else a private cluster). The fault suite
# (test_faults.py: ~2 min of floods) runs on both: 16/SQLite and 22/PostgreSQL (the read-only fault differs).
integration-22:
	EC112_TEST_ASTERISK=22 EC112_TEST_DATABASE=postgresql $(PYTEST) --durations=15 tests/integration

e2e:                ## browser tests: real headless Chromium (screenshots in artifacts/e2e/); the dispatch story on PostgreSQL too
	$(PYTEST) --durations=10 tests/e2e
	EC112_TEST_DATABASE=postgresql $(PYTEST) tests/e2e/test_dispatch_story.py

bench:              ## the full load benchmark, bare Asterisk vs Asterisk + ec112 on SQLite and PostgreSQL (~10 min): bench/results/latest.{json,md}; fails unless every goal is met
	EC112_BENCH_ASTERISK=$(ASTERISK) $(PYTEST) -m slow bench -s

bench-smoke:        ## the same benchmark, bounded (< 2 min; CI ceilings; warns when bench/results/latest.json is older than the code): artifacts/bench/smoke.{json,md}
	EC112_BENCH_ASTERISK=$(ASTERISK) $(PYTEST) -m 'not slow' bench

# Issue 16, a million tickets (README "Benchmark: a million tickets"). Its bounded check (30 000 tickets, both
# engines: query plans read the indexes, p99 within 5x the goals) is bench/db/test_db.py, run by bench-smoke.
.PHONY: bench-db
bench-db:           ## 1 000 000 seeded tickets on SQLite and on PostgreSQL: lookups, searches, list pages, KPIs (~10 min): bench/results/db.{json,md}
	$(BIN)/python -m bench.db --tickets 1000000 --database both

docker-test:        ## docker/: build the images, start the compose (PostgreSQL, Asterisk 16, ec112), one SIPp 112 call to a ticket, tear down
	flock /tmp/ec112-real.lock scripts/docker-test.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
