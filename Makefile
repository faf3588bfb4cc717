# Common jobs. `make run` and `make test` set everything up on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?= -n auto  # one test process per core (pytest-xdist)

.PHONY: help venv dev-venv run release serve setup test bench lint format migrations-check clean

help:
	@echo "make run               set up (venv, dependencies, migrations, seed data, the 2025–26 record) and serve on http://127.0.0.1:$(PORT)"
	@echo "make test              set up and run the whole test suite"
	@echo "make release           production: migrate the database (once per release, from one machine)"
	@echo "make serve             production: gunicorn, DEBUG off (needs SECRET_KEY and ALLOWED_HOSTS)"
	@echo "make lint              ruff check and format check"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make bench             benchmark (bench/README.md); BENCH_POSTGRES=postgres://user@host:5432 adds PostgreSQL"

$(BIN)/python:
	@python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

# Migrations bring the reference data (countries, groupings, topics, the Editors group);
# the seed fixtures use natural keys, so loading them again changes nothing. The record of
# 2025–26 meetings follows in the import format; importing it again changes nothing either.
RECORD_FILES := $(sort $(wildcard fixtures/record-2025-26/*.json))

setup: venv
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py loaddata seed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py import_meetings --verbosity 0 $(RECORD_FILES)

run: setup
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production mode: DEBUG off, SECRET_KEY and ALLOWED_HOSTS required. `make release` migrates
# the shared database, once per release from one machine; `make serve` runs gunicorn on each
# app server, whitenoise serving the collected, compressed, hashed static files.
release: venv
	$(BIN)/python manage.py migrate --no-input

serve: venv
	$(BIN)/python manage.py check --deploy
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	BIND=$${BIND:-127.0.0.1:$(PORT)} $(BIN)/gunicorn diplomacy.wsgi --config diplomacy/gunicorn.conf.py

# Tests talk plain HTTP to the test client and the live server (HTTPS=0); the production
# hardening is tested with its own settings.
test: dev-venv
	SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key} HTTPS=$${HTTPS:-0} \
		DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/db.sqlite3} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev-venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Not part of the tests: generates synthetic data and times every page type (bench/README.md).
bench: dev-venv
	bench/all.sh $${BENCH_MEETINGS:-100000}

migrations-check: venv
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
