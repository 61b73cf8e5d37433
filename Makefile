# Quick start: `make run` ingests seeds/ into the embedded SQLite store; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench clean server serve

# pip's own chatter goes to .venv/install.log, shown only if the install fails.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (pip log in $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check --upgrade pip > $(VENV)/install.log 2>&1 \
		&& $(BIN)/pip install --disable-pip-version-check -e '.[test]' >> $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@$(BIN)/seedflow ingest

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Throughput, incremental re-scan and memory on a generated corpus (issue 8); ~50 min with the 100k run
bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .seedflow

# A local Prefect server with its state under ./.seedflow/prefect; the UI is at http://127.0.0.1:4200
server: $(STAMP)
	mkdir -p .seedflow/prefect
	PREFECT_HOME=$(CURDIR)/.seedflow/prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
		$(BIN)/prefect server start --host 127.0.0.1 --port 4200

# Serve the deployments and watch seeds/ against the server started by `make server`
serve: $(STAMP)
	PREFECT_HOME=$(CURDIR)/.seedflow/prefect PREFECT_API_URL=http://127.0.0.1:4200/api \
		$(BIN)/seedflow serve

# Browse the store read-only at http://127.0.0.1:8765 (after `make run`; UI_ARGS="--db URL --port N")
.PHONY: ui
ui: $(STAMP)
	$(BIN)/seedflow ui $(UI_ARGS)
