# tinygen: the two commands of the Quickstart are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# Offline data: use ../shared/data when it is beside the project (no internet here).
ifneq ($(wildcard ../shared/data),)
export TINYGEN_DATA ?= $(abspath ../shared/data)
endif
export MPLBACKEND := Agg
# mkdocs-material prints a banner about MkDocs 2 on every build; the site is built with MkDocs 1
export NO_MKDOCS_2_WARNING := 1
export HYPOTHESIS_PROFILE ?= ci

.PHONY: demo test test-all test-docs docs docs-serve lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base-stamp: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-stamp: $(VENV)/.base-stamp
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $@

$(VENV)/.docs-stamp: $(VENV)/.test-stamp
	$(BIN)/python -m pip install -q -e '.[test,dev,docs]'
	touch $@

demo: $(VENV)/.base-stamp
	$(BIN)/tinygen demo

test: $(VENV)/.test-stamp
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not docs" -q

test-all: $(VENV)/.test-stamp
	$(BIN)/python -m pytest -m "not docs" -q

# the site: docs/ + every lesson executed in quick mode + the API reference -> site/
docs: $(VENV)/.docs-stamp
	$(BIN)/python docsite/build.py
	$(BIN)/mkdocs build

docs-serve: docs
	$(BIN)/mkdocs serve --no-livereload -a localhost:8000

# the site in headless Chromium (Debian's package: apt-get install chromium)
test-docs: docs
	$(BIN)/python -m pytest -m docs tests/docs -q

lint: $(VENV)/.test-stamp
	$(BIN)/ruff check .

bench: $(VENV)/.base-stamp
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f --quick || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis build site *.egg-info
