# Clientele: `make run` and `make test` work on a new Debian machine; both install what is missing and
# start the private PostgreSQL cluster of this checkout (scripts/db.sh) first.
SHELL := /bin/bash
APT_PACKAGES := postgresql-15 postgresql-contrib libpq-dev libcurl4-openssl-dev pkg-config curl jq pgbouncer
# The admin page's browser tests (Tests/api/test_admin_page_*.py): headless Chromium and its WebDriver.
APT_PACKAGES += chromium chromium-driver
VENV := .venv
PY := $(VENV)/bin/python
DATABASE_URL := $(shell scripts/db.sh url)
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: deps db build build-release migrate run test test-swift test-fuzz test-api test-hardening test-compose-schema test-deploy bench bench-auth bench-selective bench-pool bench-handoff bench-cpu bench-jobs bench-seed bench-data clean-db

deps: .deps-stamp $(VENV)/.stamp
.deps-stamp: Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@touch $@

$(VENV)/.stamp: Tests/api/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/api/requirements.txt
	@touch $@

db: deps
	@scripts/db.sh start

build: deps
	swift build

# Linked as the Dockerfile links it, so that `make run` and `make bench` run and measure what we ship: Swift's
# runtime and Foundation inside the binary, and release-toolset.json's lld flags (README, "Memory").
build-release: deps
	swift build -c release --static-swift-stdlib --toolset release-toolset.json

migrate: db build
	DATABASE_URL=$(DATABASE_URL) .build/debug/clientele migrate

# Migrate, then run the API in the foreground (Ctrl-C stops everything).
run: db build-release
	@scripts/run.sh

# Everything CI checks, in one command: Swift tests, the JSON fuzzer, process tests, then the deployment on a Docker
# engine.
test: db build
	swift build --build-tests
	$(MAKE) --no-print-directory test-swift test-fuzz test-api test-deploy

test-swift:
	CLIENTELE_TEST_DATABASE_URL=$(DATABASE_URL) swift test --skip-build

# libFuzzer on the JSON parser: 300,000 inputs from a fixed seed, every accepted one must round-trip through the
# writer (scripts/fuzz-json.sh; a separate executable, not part of the package).
test-fuzz:
	scripts/fuzz-json.sh

# docker-compose.yml against the Compose Specification (no Docker needed); Tests/api/test_compose.py then runs
# its services natively.
test-compose-schema:
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

test-api: test-compose-schema
	CLIENTELE_BIN=$(CURDIR)/.build/debug/clientele CLIENTELE_ADMIN_URL=$(DATABASE_URL) \
	  $(PY) -m pytest -q Tests/api

# `docker compose up` for real (issue 13): installs Docker and a compose with apt if missing, starts dockerd if
# none answers, makes the base images (Tests/deploy/images), runs README's deployment steps, ends with `down -v`.
# The last step of `make test`. COMPOSE="docker-compose" or "docker compose" chooses the compose.
test-deploy: $(VENV)/.stamp
	Tests/deploy/run.sh $(PY)

# Clientele against its peers (../shared/bench) in one run: `make bench`, `make bench SEED_N=1000000`, RUNS=3.
bench: db build-release deps
	scripts/bench.sh

# Authentication's cost on GET /admin/customers/:id (JWT, cookie, API token vs none), one run; after `make bench`.
bench-auth: build-release
	scripts/bench-auth.sh

# A selective q (under 10 matches) against pgbench running the same SQL: plan and p50, one client each, on the
# database `make bench` prepared (`make bench SEED_N=1000000` first for a million customers).
bench-selective: build-release
	scripts/bench-selective.sh

# The pipelined pool against pgbench on the same point SELECT, one run (scripts/bench-pool.sh). Built from the
# benchmark package in Benchmarks/, which the product build never builds.
bench-pool: deps
	scripts/bench-pool.sh

# The hand-off prototypes (Benchmarks/Sources/HandOffPrototypes) side by side: req/s, CPU and context switches
# per request; CALLGRIND=1 adds instructions per request (scripts/bench-handoff.sh).
bench-handoff: deps
	scripts/bench-handoff.sh

# CPU and context switches per request of serve --workers 2 (both workers, /proc and perf stat), for one or
# more release builds side by side: scripts/bench-cpu.sh [BIN ...] (issue 19's "CPU per point read").
bench-cpu: db build-release
	scripts/bench-cpu.sh

# Issue 9 only: bad input, faults (database restart, killed processes) and load. Also part of `make test`.
HARDENING_TESTS := Tests/api/test_hardening_input.py Tests/api/test_hardening_faults.py Tests/api/test_hardening_load.py
test-hardening: db build
	CLIENTELE_BIN=$(CURDIR)/.build/debug/clientele CLIENTELE_ADMIN_URL=$(DATABASE_URL) \
	  $(PY) -m pytest -q $(HARDENING_TESTS)

# Queue throughput and enqueue-to-start latency of `clientele worker`, as ratios to pgbench and to a bare
# NOTIFY round trip measured in the same run (bench/jobs.py). Not part of `make test`.
bench-jobs: db build-release $(VENV)/.bench-stamp
	$(PY) bench/jobs.py --bin $(CURDIR)/.build/release/clientele --admin-url $(DATABASE_URL)

$(VENV)/.bench-stamp: bench/requirements.txt $(VENV)/.stamp
	$(VENV)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	@touch $@

# `clientele seed` against psql's \copy of the same rows (scripts/bench-seed.sh); N=1000000 by default.
bench-seed: db build-release
	CLIENTELE_BIN=$(CURDIR)/.build/release/clientele scripts/bench-seed.sh $(N)

# Cursor pages, the CSV export and the CSV import at a million customers, each against its baseline in the same run
# (offset pages, psql's \copy TO and \copy FROM): bench/data.py. One run; CUSTOMERS=… for another size.
bench-data: db build-release $(VENV)/.stamp
	$(PY) bench/data.py --bin $(CURDIR)/.build/release/clientele --admin-url $(DATABASE_URL) \
	  $(if $(CUSTOMERS),--customers $(CUSTOMERS))

clean-db:
	scripts/db.sh stop
	rm -rf "$$(scripts/db.sh datadir)"
