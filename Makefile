# The README's two commands are `make dev` and `make test`; both create .venv and install first.
# Options reach `logplane dev` through ARGS: make dev ARGS="--port 9000" (LOGPLANE_API_PORT works too).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install dev test test-clock lint bench clean syslog-senders

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
	$(BIN)/mypy src workers
	$(BIN)/lint-imports

# rsyslog, syslog-ng and logger for tests/integration/syslog, installed from Debian's packages
# when missing (root or sudo only; see the script for why syslog-ng-core is unpacked, not installed).
syslog-senders: install
	.ci/syslog-senders.sh

test: install lint syslog-senders
	$(BIN)/pytest -q

# The tests that build times from the clock, with this process's clock just after and just before
# midnight UTC (tests/fake_clock.py): they must pass at any hour.
CLOCK_TESTS := tests/unit tests/integration/archive/test_archival.py tests/integration/api/test_wire_format.py \
	tests/integration/search/test_indexing.py tests/integration/postgres/test_schema.py \
	tests/integration/api/test_ingest.py tests/integration/export/test_export.py tests/integration/compat \
	tests/integration/search/test_reindex.py tests/integration/parsing
test-clock: install
	$(BIN)/python -m pytest -q -p tests.fake_clock --fake-clock=00:05 $(CLOCK_TESTS)
	$(BIN)/python -m pytest -q -p tests.fake_clock --fake-clock=23:55 $(CLOCK_TESTS)

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .logplane .pytest_cache .mypy_cache .ruff_cache
