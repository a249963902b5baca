# On the Record. `make serve` and `make test` do all set-up themselves on a fresh machine.
# The distribution's Python 3.11 where it can make a venv (scripts/find-python.sh says why).
PYTHON ?= $(shell sh scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
# The venv is rebuilt when pyproject.toml changes (the stamp is older) or the venv is missing.
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help html serve test check fmt fmt-check stats clean lint browser publish devserver bench

help:
	@echo "make serve   build the site and search index, serve them on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite"
	@echo "make html    build the site into output/ and the index into var/index/"
	@echo "make check   check every record"
	@echo "make fmt     rewrite every record into the canonical layout (fmt-check: only list)"
	@echo "make stats   what the archive holds, and the records with empty fields"
	@echo "make bench   time builds and search at 1k and 10k statements (bench/results.json)"
	@echo "make clean   remove the build output, the index and the venv"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@# The package's bytecode, written now: where PYTHONDONTWRITEBYTECODE is set (as on this
	@# project's machines) Python never writes it, and every command compiled the package's
	@# source again (0.1-0.3 s of each `onrecord build`).
	@$(BIN)/python -m compileall -q plugins
	@touch $(STAMP)

check: $(STAMP)
	$(BIN)/onrecord check

# Layout only: `onrecord fmt` proves each rewritten record loads into the same model.
fmt: $(STAMP)
	$(BIN)/onrecord fmt

fmt-check: $(STAMP)
	$(BIN)/onrecord fmt --check

stats: $(STAMP)
	$(BIN)/onrecord stats

html: $(STAMP)
	$(BIN)/onrecord build

serve: html
	$(BIN)/onrecord serve --host $(HOST) --port $(PORT)

# Debian's chromium for the browser tests (never a browser downloaded by Playwright) and a
# Java runtime for the Nu HTML checker; the script returns at once when both are there.
browser:
	@sh scripts/install-test-tools.sh

lint: $(STAMP)
	$(BIN)/ruff check plugins tests
	$(BIN)/ruff format --check plugins tests

test: $(STAMP) browser lint fmt-check
	$(BIN)/python -m pytest

clean:
	rm -rf output var .venv .pytest_cache

# Absolute URLs for a public host: make publish SITEURL=https://archive.example.org
publish: $(STAMP)
	SITEURL=$(SITEURL) $(BIN)/onrecord build --settings publishconf.py

# Serve site and search, rebuilding on every change to records, theme or settings.
devserver: $(STAMP)
	$(BIN)/onrecord devserver --host $(HOST) --port $(PORT)

# Synthetic archives of 1k and 10k statements under bench/work/, against stock Pelican: several
# minutes. `python -m onrecord.bench --large` adds 100k.
bench: $(STAMP)
	$(BIN)/python -m onrecord.bench --sizes 1000,10000 --out bench/results.json
