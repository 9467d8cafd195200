# The README's two commands are `make dev` and `make test`; both create .venv and install first.
# Options reach `logplane dev` through ARGS: make dev ARGS="--port 9000" (LOGPLANE_API_PORT works too).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install dev test test-localstack test-clock lint bench clean syslog-senders chromium

$(BIN)/logplane: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/logplane

dev: install
	$(BIN)/logplane dev $(ARGS)

lint: install
	$(BIN)/ruff check src workers tests bench
	$(BIN)/ruff format --check src workers tests bench
	$(BIN)/mypy src workers bench
	$(BIN)/lint-imports

# rsyslog, syslog-ng and logger for tests/integration/syslog, installed from Debian's packages
# when missing (root or sudo only; see the script for why syslog-ng-core is unpacked, not installed).
syslog-senders: install
	.ci/syslog-senders.sh

test: install lint syslog-senders chromium
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory test-localstack

# The S3/SQS suites again, on LocalStack (the container deployment's emulator) instead of moto. It
# needs a Python >= 3.13 (src/adapters/embedded/localstack.py finds one and installs LocalStack into
# ~/.cache/logplane/localstack on first use); without one, say so: the suites ran on moto only.
LOCALSTACK_SUITES := tests/integration/embedded/test_provision.py tests/integration/archive/test_archival.py \
	tests/integration/archive/test_presign_endpoint.py \
	tests/integration/export/test_export.py tests/integration/search/test_redrive.py
test-localstack: install
	@if reason=$$($(BIN)/python -c 'from src.adapters.embedded.localstack import localstack_unavailable as u; print(u() or "")') \
		&& [ -z "$$reason" ]; then \
		LOGPLANE_TEST_AWS=localstack $(BIN)/pytest -q $(LOCALSTACK_SUITES); \
	else echo "LocalStack suites not run ($$reason): S3/SQS were tested on moto only"; fi

# The console's browser tests (tests/e2e/console) drive Debian's Chromium through Playwright's Python
# package with executable_path: no browser download. Installed here when missing (root, or sudo).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver
chromium: $(CHROMIUM)

# The tests that build times from the clock, with this process's clock just after and just before
# midnight UTC (tests/fake_clock.py): they must pass at any hour.
CLOCK_TESTS := tests/unit tests/integration/archive/test_archival.py tests/integration/api/test_wire_format.py \
	tests/integration/search/test_indexing.py tests/integration/postgres/test_schema.py \
	tests/integration/api/test_ingest.py tests/integration/export/test_export.py tests/integration/compat \
	tests/integration/search/test_reindex.py tests/integration/parsing tests/integration/api/test_anomalies.py
test-clock: install
	$(BIN)/python -m pytest -q -p tests.fake_clock --fake-clock=00:05 $(CLOCK_TESTS)
	$(BIN)/python -m pytest -q -p tests.fake_clock --fake-clock=23:55 $(CLOCK_TESTS)

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .logplane .pytest_cache .mypy_cache .ruff_cache
