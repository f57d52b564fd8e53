# The README's two commands: `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt migrate seed check-balances bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP) ## Install, migrate, load the demo data and serve on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP) ## Install or refresh .venv, lint, run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## Ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP) ## Apply migrations
	$(BIN)/python manage.py migrate --noinput

seed: $(STAMP) ## Load the demo data (idempotent)
	$(BIN)/python manage.py seed_demo

check-balances: $(STAMP) ## Audit every stored balance and status against its lines, payments, corrections and returns
	$(BIN)/python manage.py check_balances

bench: $(STAMP) ## Time the report pages, a list and a card on N scratch documents built through the services (make bench N=5000)
	$(BIN)/python -m bench.reports --documents $(or $(N),1000)

clean: ## Remove the virtualenv and the SQLite database
	rm -rf $(VENV) db.sqlite3
