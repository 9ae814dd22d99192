# 走访通 Zoufang — the README's commands. Install and build steps are skipped when nothing changed.
.DEFAULT_GOAL := run
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PORT ?= 8000
# The app's sources and its build helpers (vite.config.ts, officeChunks.ts, vantIconFont.ts, pwa-assets.config.ts…).
PWA_SOURCES := $(shell find pwa/src pwa/public pwa/index.html pwa/package.json pwa/tsconfig.json -type f 2>/dev/null) \
               $(wildcard pwa/*.ts)

.PHONY: run test test-fast test-server test-pwa build bench lint lint-server lint-pwa api-types check-api-types \
        migrate seed clean

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

$(STAMPS)/npm: pwa/package-lock.json
	@mkdir -p $(STAMPS)
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The Web Push protocol test server (web-push-testing) the server tests send real pushes to.
$(STAMPS)/push-server: tests/push_server/package-lock.json
	@mkdir -p $(STAMPS)
	cd tests/push_server && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Lighthouse and axe-core for the PWA benchmark (bench/pwa.py); the browser tests inject the same axe-core
# (tests/e2e/test_accessibility.py).
$(STAMPS)/bench-node: bench/package-lock.json
	@mkdir -p $(STAMPS)
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

pwa/dist/index.html: $(STAMPS)/npm $(PWA_SOURCES)
	cd pwa && npm run build

# The PWA is built when its sources exist (the server answers without it, with a clear 404).
build: $(if $(wildcard pwa/package.json),pwa/dist/index.html)

migrate: $(STAMPS)/venv
	$(BIN)/flask --app server db upgrade

seed: migrate
	$(BIN)/flask --app server seed-demo

# Ctrl-C: honcho stops the server and the dispatcher and exits 130; that is the normal way to stop, not an error.
run: $(STAMPS)/venv build seed
	@echo "Serving http://127.0.0.1:$(PORT) with the reminder dispatcher beside it; Ctrl-C stops both."
	@PORT=$(PORT) $(BIN)/honcho start -f Procfile || [ $$? -eq 130 ]

test: lint test-server test-pwa

# No browser and no second process: unit, domain, services and API tests (any folder but e2e/ and system/,
# minus the tests marked slow) and Vitest. tests/README.md lists the tiers.
test-fast: $(STAMPS)/venv $(if $(wildcard pwa/package.json),$(STAMPS)/npm)
	$(BIN)/pytest -q -m "not e2e and not slow" --ignore=tests/e2e --ignore=tests/system
	$(if $(wildcard pwa/package.json),cd pwa && npm test)

test-server: $(STAMPS)/venv $(STAMPS)/push-server $(STAMPS)/bench-node build
	$(BIN)/pytest -q

test-pwa: $(if $(wildcard pwa/package.json),$(STAMPS)/npm)
	$(if $(wildcard pwa/package.json),cd pwa && npm test,@echo "no PWA yet")

# Each benchmark prints ratios or figures measured in one run; none asserts a timing. With
# BENCH_DATABASE_URL (a PostgreSQL server's URL) sync.py and the reconnect storm also run on PostgreSQL.
bench: $(STAMPS)/venv $(STAMPS)/push-server $(STAMPS)/bench-node build
	$(BIN)/python bench/sync.py
	$(if $(BENCH_DATABASE_URL),$(BIN)/python bench/sync.py --database-url $(BENCH_DATABASE_URL))
	$(BIN)/python bench/storm.py
	$(if $(BENCH_DATABASE_URL),$(BIN)/python bench/storm.py --database-url $(BENCH_DATABASE_URL))
	$(BIN)/python bench/push.py
	$(BIN)/python bench/office.py
	$(BIN)/python bench/creation.py
	$(BIN)/python bench/papers.py
	$(BIN)/python bench/pwa.py

lint: lint-server check-api-types lint-pwa

lint-server: $(STAMPS)/venv
	$(BIN)/ruff check server tests bench scripts

lint-pwa: $(STAMPS)/npm
	cd pwa && npm run lint

# The PWA's request types, generated from the OpenAPI document the server serves (scripts/openapi.py).
api-types: $(STAMPS)/venv $(STAMPS)/npm
	$(BIN)/python scripts/openapi.py --types

# Fails with "pwa/src/api/schema.d.ts is stale: run make api-types" when the server's document has moved on.
check-api-types: $(STAMPS)/venv $(STAMPS)/npm
	$(BIN)/python scripts/openapi.py --types --check

clean:
	rm -rf $(STAMPS) $(VENV) pwa/node_modules pwa/dist tests/push_server/node_modules bench/node_modules
