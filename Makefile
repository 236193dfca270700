PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: run test bench serve-prod vendor clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# One command: database, demo data, web app and timer worker; Ctrl-C stops both.
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m webapp.cli run

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

vendor:
	bash scripts/vendor_assets.sh

clean:
	rm -rf $(VENV) instance
