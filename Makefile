# Aduan: two commands on a fresh machine.
#   make run    set up .venv, apply migrations, run the gateway on SQLite (var/aduan.db)
#   make test   set up .venv and run the whole test suite (again on PostgreSQL
#               when ADUAN_TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)

.PHONY: setup run test test-sqlite test-pg bench check-config staff-docs clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: setup
	mkdir -p var
	$(PY) main.py check-config
	$(PY) main.py db upgrade
	$(PY) main.py serve --no-migrate

test: setup
	$(PY) -m pytest -q -p no:cacheprovider
	@if [ -n "$$ADUAN_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$ADUAN_TEST_DATABASE_URL)"; \
		$(PY) -m pytest -q -p no:cacheprovider; \
	fi

test-sqlite: setup
	ADUAN_TEST_DATABASE_URL= $(PY) -m pytest -q -p no:cacheprovider

test-pg: setup
	ADUAN_TEST_DATABASE_URL=$${ADUAN_TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/aduan_test} \
		$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/ingest.py

check-config: setup
	$(PY) main.py check-config

staff-docs: setup  # regenerate the staff command table (bot/staff/README.md) and staff_help (config.yaml)
	$(PY) -m bot.staff.commands.docs

clean:
	rm -rf $(VENV) var .pytest_cache
