# Dimoskopio: `make run` to try it, `make test` to check it, `make bench` to measure it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= development.ini
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
STAMP := $(VENV)/.installed-$(shell cat setup.py | cksum | cut -d' ' -f1)

.PHONY: run test test-sqlite test-postgresql setup catalogs extract-messages lint bench clean

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools<81' wheel
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) catalogs

## Compile the committed .po catalogs into .mo files (never committed).
catalogs: $(STAMP)
	$(BIN)/pybabel compile --domain=dimoskopio --directory=dimoskopio/locale --statistics

## Re-extract translatable strings and merge them into the catalogs (the .po keeps its header:
## Language and Plural-Forms are needed to compile it; the .pot omits it to avoid date-only diffs).
extract-messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file=babel.cfg --project=Dimoskopio --copyright-holder="Municipality of Heraklion" \
	    --msgid-bugs-address=dev@dimoskopio.example --no-location --sort-output --omit-header \
	    --keywords="_ gettext ngettext:1,2" --output-file=dimoskopio/locale/dimoskopio.pot .
	$(BIN)/pybabel update --domain=dimoskopio --input-file=dimoskopio/locale/dimoskopio.pot \
	    --output-dir=dimoskopio/locale --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

## Set everything up, migrate, seed once, then run the web server and the worker (Ctrl-C stops both).
run: setup
	mkdir -p var
	$(BIN)/dimoskopio-initdb $(CONFIG)
	$(BIN)/dimoskopio-seed $(CONFIG)
	@echo "Dimoskopio on http://localhost:6543 — staff login: staff@dimoskopio.example / dimoskopio-staff"
	@$(BIN)/dimoskopio-worker $(CONFIG) & worker=$$!; \
	    $(BIN)/pserve $(CONFIG) & web=$$!; \
	    trap 'kill $$worker $$web 2>/dev/null; wait; exit 0' INT TERM; \
	    wait -n; status=$$?; kill $$worker $$web 2>/dev/null; wait; exit $$status

## The whole suite, on SQLite and again on PostgreSQL.
test: setup
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

test-sqlite: setup
	DIMOSKOPIO_TEST_DB=sqlite $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgresql: setup
	DIMOSKOPIO_TEST_DB=postgresql DIMOSKOPIO_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

## Benchmarks under bench/: `make bench` runs all, `make bench ONLY=name` one.
bench: setup
	$(BIN)/python -m bench $(if $(ONLY),--only $(ONLY),)

clean:
	rm -rf $(VENV) var *.egg-info
	find . -name '*.mo' -delete
