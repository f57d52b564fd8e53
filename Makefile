# The README's two commands: `make run` and `make test`. `make help` lists the rest.
# Python: the newest of 3.13, 3.12 and 3.11 found on the PATH or installed by pyenv, unless PYTHON= is given.
ifndef PYTHON
PYTHON := $(shell for v in 3.13 3.12 3.11; do \
	for p in python$$v $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); do \
	"$$p" -c "" >/dev/null 2>&1 && { echo "$$p"; exit 0; }; done; done)
endif
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
# The lock is compiled for the oldest supported Python; its markers cover 3.11 to 3.13.
LOCK_PYTHON := 3.11

.DEFAULT_GOAL := help
.PHONY: help run serve test lint fmt migrate seed check-balances bench loadtest lock clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "Python 3.11, 3.12 or 3.13 is needed: install one, or set PYTHON=/path/to/python3.x"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' \
		|| { echo "$(PYTHON) is not Python 3.11, 3.12 or 3.13: set PYTHON=/path/to/python3.x"; exit 1; }
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" != "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ]; then \
		echo "$(VENV) holds another Python than $(PYTHON): recreating it"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
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

serve: $(STAMP) ## Serve with gunicorn and production settings (README, "Production": set the variables first)
	$(BIN)/python manage.py migrate --noinput --settings=config.settings.production
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 --settings=config.settings.production
	$(BIN)/gunicorn --config config/gunicorn.py config.wsgi

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

bench: $(STAMP) ## One table: cards, lists, draft save, services, reports on N documents, beside django-ledger 0.8.5 (make bench N=5000 RUNS=7 PEER=0)
	$(BIN)/python -m bench.pages --documents $(or $(N),1000) --runs $(or $(RUNS),7) $(if $(filter 0,$(PEER)),--no-peer)

loadtest: $(STAMP) ## Load test: gunicorn (4 workers) on PostgreSQL, N accountants (DATABASE_URL=a scratch database)
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

lock: $(STAMP) ## Recompile the pinned, hashed lock from pyproject.toml (UPGRADE=1 takes the newest allowed)
	$(BIN)/python -m pip install --quiet "uv>=0.9,<1"
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version $(LOCK_PYTHON) --generate-hashes \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) --quiet -o $(LOCK)

clean: ## Remove the virtualenv and the SQLite database
	rm -rf $(VENV) db.sqlite3
