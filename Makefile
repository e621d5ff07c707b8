# Aduan: two commands on a fresh machine.
#   make run    set up .venv with the runtime only, apply migrations, run the gateway on SQLite (var/aduan.db)
#   make test   add the test tools to .venv, lint, typecheck, and run the whole test suite (again on PostgreSQL
#               when ADUAN_TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.lock requirements-test.lock | sha1sum | cut -c1-12)

.PHONY: setup setup-test run test test-sqlite test-pg lint typecheck bench check-config staff-docs clean

# Runtime only (requirements.lock): what `make run` and a production host need.
$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-[0-9a-f]*
	touch $(STAMP)

# Test tools on top (requirements-test.lock): pytest, hypothesis, schemathesis, playwright, ruff, mypy.
$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-test.lock
	rm -f $(VENV)/.installed-test-*
	touch $(TEST_STAMP)

setup: $(STAMP)

setup-test: $(TEST_STAMP)

run: setup
	mkdir -p var
	$(PY) main.py check-config
	$(PY) main.py db upgrade
	$(PY) main.py serve --no-migrate

lint: setup-test
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-logo  # architecture contracts in .importlinter

# mypy over bot/, adapters/, store/ and scheduler/ ([tool.mypy] in pyproject.toml).
typecheck: setup-test
	$(PY) -m mypy

test: setup-test lint typecheck
	@echo "== on SQLite"
	ADUAN_TEST_DATABASE_URL= $(PY) -m pytest -q -p no:cacheprovider
	@if [ -n "$$ADUAN_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$ADUAN_TEST_DATABASE_URL)"; \
		$(PY) -m pytest -q -p no:cacheprovider; \
	fi

test-sqlite: setup-test lint typecheck
	ADUAN_TEST_DATABASE_URL= $(PY) -m pytest -q -p no:cacheprovider

test-pg: setup-test lint typecheck
	ADUAN_TEST_DATABASE_URL=$${ADUAN_TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/aduan_test} \
		$(PY) -m pytest -q -p no:cacheprovider

bench: setup-test
	$(PY) bench/ingest.py
	$(PY) bench/outbound.py
	$(PY) bench/email.py

check-config: setup
	$(PY) main.py check-config

staff-docs: setup  # regenerate the staff command table (bot/staff/README.md) and staff_help (config.yaml)
	$(PY) -m bot.staff.commands.docs

clean:
	rm -rf $(VENV) var .pytest_cache
