# tinygen: the two commands of the Quickstart are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# Offline data: use ../shared/data when it is beside the project (no internet here).
ifneq ($(wildcard ../shared/data),)
export TINYGEN_DATA ?= $(abspath ../shared/data)
endif
export MPLBACKEND := Agg
export HYPOTHESIS_PROFILE ?= ci

.PHONY: demo test test-all lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base-stamp: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-stamp: $(VENV)/.base-stamp
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $@

demo: $(VENV)/.base-stamp
	$(BIN)/tinygen demo

test: $(VENV)/.test-stamp
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow" -q

test-all: $(VENV)/.test-stamp
	$(BIN)/python -m pytest -q

lint: $(VENV)/.test-stamp
	$(BIN)/ruff check .

bench: $(VENV)/.base-stamp
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f --quick || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis build *.egg-info
