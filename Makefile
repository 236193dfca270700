PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
WORKERS ?= 4
TIMER_WORKERS ?= 2
# pytest-xdist workers for make test / test-fast: one per core. Each worker has its own template
# database, PostgreSQL cluster, ports and temp dirs; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

.PHONY: run test test-fast lint format typecheck bench serve-prod vendor clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,dev,demo]"
	touch $(STAMP)

# One command: database, demo data, sample projects (a new database only), web app and timer worker;
# Ctrl-C stops both.
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m webapp.cli run --sample-projects

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Everything but the browser and the PostgreSQL tests: the quick loop while working.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not browser and not postgres" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix --select I .

# mypy on the files listed in pyproject.toml ([tool.mypy] files).
typecheck: $(STAMP)
	$(BIN)/mypy

# Production shape: DATABASE_URL and SECRET_KEY must be set; gunicorn + timer workers, no demo users.
serve-prod: $(STAMP)
	$(BIN)/python -m webapp.cli serve-prod --workers $(WORKERS) --timer-workers $(TIMER_WORKERS)

bench: $(STAMP)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

vendor:
	bash scripts/vendor_assets.sh

clean:
	rm -rf $(VENV) instance
