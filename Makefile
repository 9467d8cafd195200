# The README's two commands are `make dev` and `make test`; both create .venv and install first.
# Options reach `logplane dev` through ARGS: make dev ARGS="--port 9000" (LOGPLANE_API_PORT works too).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install dev test lint bench clean

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

test: install lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .logplane .pytest_cache .mypy_cache .ruff_cache
