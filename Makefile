# The two commands: `make run` (development server) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test lint format bench venv migrate lock clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	APP_ENV=development $(BIN)/python manage.py migrate --noinput

run: migrate
	@echo "Identity Service (development): APP_ENV=development USE_GUARDIAN_SERVICE=false (every authenticated call is granted)."
	@echo "  API:   http://$(HOST):$(PORT)/   docs: http://$(HOST):$(PORT)/docs   ReDoc: http://$(HOST):$(PORT)/redoc"
	@echo "  First tenant: APP_ENV=development $(BIN)/python manage.py init_identity   (or POST /init-db)"
	@echo "  Token:        APP_ENV=development $(BIN)/python manage.py issue_token <email>"
	@echo "                then: curl --cookie access_token=<token> http://$(HOST):$(PORT)/users"
	APP_ENV=development USE_GUARDIAN_SERVICE=false $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	APP_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (lint, import order, format) and mypy, as configured in pyproject.toml; CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Applies ruff's fixes and formatting.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The load benchmark of README "Performance" (PostgreSQL, gunicorn, wrk; never part of `make test`).
bench: $(STAMP)
	bench/run.sh $(BENCH_SECONDS)

# Regenerates the pinned set CI installs from the lower bounds in pyproject.toml.
lock:
	rm -rf /tmp/identity-lock && $(PYTHON) -m venv /tmp/identity-lock
	/tmp/identity-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/identity-lock/bin/python -m pip install --quiet '.[test]'
	/tmp/identity-lock/bin/python -m pip freeze --exclude identity-service > requirements/constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info
