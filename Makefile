# leadflow — two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install leadflow with its dev tools

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck  ## lint, type-check and run the whole test suite
	$(BIN)/pytest -n auto

demo: $(STAMP)  ## load the demo world into ./leadflow.db and serve it on :8000
	$(BIN)/leadflow demo

bench: $(STAMP)  ## run the benchmarks (see docs/performance.md)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
