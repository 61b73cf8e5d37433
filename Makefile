# Quick start: `make run` ingests seeds/ into the embedded SQLite store; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench clean server server-stop serve system-packages test-system-packages

# Debian tools seedflow uses: Tesseract reads scanned pages. The tests also make real office
# files with LibreOffice, drive Debian's Chromium and talk to a loopback SFTP server.
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-deu tesseract-ocr-fra
TEST_SYSTEM_PACKAGES := $(SYSTEM_PACKAGES) libreoffice-writer-nogui libreoffice-impress-nogui fonts-noto-core \
	chromium openssh-server

# pip's own chatter goes to .venv/install.log, shown only if the install fails.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (pip log in $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check --upgrade pip > $(VENV)/install.log 2>&1 \
		&& $(BIN)/pip install --disable-pip-version-check -e '.[test]' >> $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

system-packages:
	@./.ci/debian-packages.sh $(SYSTEM_PACKAGES)

test-system-packages:
	@./.ci/debian-packages.sh $(TEST_SYSTEM_PACKAGES)

install: $(STAMP) system-packages

run: install
	@$(BIN)/seedflow ingest

test: install test-system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Throughput, incremental re-scan and memory on a generated corpus (issue 8); ~50 min with the 100k run
bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py $(BENCH_ARGS)

# seedflow beside LangChain's index() and LlamaIndex's IngestionPipeline on one generated corpus (issue 20)
bench-peers: $(STAMP)
	@$(BIN)/pip install --disable-pip-version-check -q -e '.[bench]'
	$(BIN)/python benchmarks/peers.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .seedflow

# A local Prefect server with its state under ./.seedflow/prefect; the UI is at http://127.0.0.1:4200
server: $(STAMP)
	mkdir -p .seedflow/prefect
	PREFECT_HOME=$(CURDIR)/.seedflow/prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
		$(BIN)/prefect server start --host 127.0.0.1 --port 4200

# Stop the local server that `seedflow ingest` (or `make run`) started in the background
server-stop: $(STAMP)
	@$(BIN)/seedflow server stop

# Serve the deployments and watch seeds/ against the server started by `make server`
serve: $(STAMP)
	PREFECT_HOME=$(CURDIR)/.seedflow/prefect PREFECT_API_URL=http://127.0.0.1:4200/api \
		$(BIN)/seedflow serve

# Browse the store read-only at http://127.0.0.1:8765 (after `make run`; UI_ARGS="--db URL --port N")
.PHONY: ui
ui: $(STAMP)
	$(BIN)/seedflow ui $(UI_ARGS)
