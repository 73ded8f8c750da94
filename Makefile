# ec112 — the two commands a new user needs:  `make run`  and  `make test`  (Debian 12, as root).
VENV      := .venv
BIN       := $(VENV)/bin
PYTEST    := $(BIN)/pytest
ASTERISK  ?= 16

.PHONY: install install-all run test lint unit fuzz integration integration-16 integration-22 e2e bench bench-smoke docker-test clean

install:            ## Asterisk 16 + SIPp + .venv (idempotent)
	scripts/install.sh

install-all:        ## also Asterisk 22 (sid chroot) and Chromium, for the full test suite
	scripts/install.sh --asterisk22 --chromium

run: install        ## the lab: Asterisk (rendered asterisk-conf/) + ec112 on SQLite, in the foreground
	$(BIN)/ec112 lab run

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

# The fault suite (test_faults.py: ~2 min of floods) runs once, on 16: what it tests is ec112's side (watchdog,
# backfill, pool, pong deadline); every other integration test runs on both versions. Keeps make test < 20 min.
integration-22:
	EC112_TEST_ASTERISK=22 $(PYTEST) --durations=15 tests/integration --ignore=tests/integration/test_faults.py

e2e:                ## browser tests: real headless Chromium (screenshots in artifacts/e2e/)
	$(PYTEST) --durations=10 tests/e2e

bench:              ## the full load benchmark, bare Asterisk vs Asterisk + ec112 (~7 min): bench/results/latest.{json,md}
	EC112_BENCH_ASTERISK=$(ASTERISK) $(PYTEST) -m slow bench -s

bench-smoke:        ## the same benchmark, bounded (< 90 s; CI): artifacts/bench/smoke.{json,md}
	EC112_BENCH_ASTERISK=$(ASTERISK) $(PYTEST) -m 'not slow' bench

docker-test:        ## docker/: build the images, start the compose (PostgreSQL, Asterisk 16, ec112), one SIPp 112 call to a ticket, tear down
	flock /tmp/ec112-real.lock scripts/docker-test.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
