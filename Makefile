# Two commands on a fresh machine:
#   make demo   set everything up, build the demo plant on SQLite, serve it
#   make test   set everything up and run every test on SQLite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAO_VERSION := 8.0.11
SAO_ROOT := var/sao/package
DEMO_DB ?= mes_demo
ADMIN_PASSWORD ?= admin
ADMIN_EMAIL ?= admin@example.com
PG_URI ?= postgresql://postgres@127.0.0.1:5432/
PYTEST_ARGS ?=
export TRYTOND_CONFIG := $(CURDIR)/trytond.conf
export TRYTOND_DATABASE__PATH := $(CURDIR)/var/db

.PHONY: all venv sao browser demo demo-db serve test test-sqlite \
	test-postgresql lint bench clean

all: test

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt pyproject.toml setup.py
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

venv: $(VENV)/.installed

# sao ships prebuilt in its npm tarball; its index.html loads node_modules
# relative to itself, so install its dependencies inside the unpacked package.
$(SAO_ROOT)/index.html:
	mkdir -p var/sao
	cd var/sao && npm pack --silent tryton-sao@$(SAO_VERSION) >/dev/null \
		&& tar xzf tryton-sao-$(SAO_VERSION).tgz \
		&& cd package && npm install --silent --omit=dev \
			--legacy-peer-deps --no-audit --no-fund
	touch $(SAO_ROOT)/custom.js $(SAO_ROOT)/custom.css
	test -f $@

sao: $(SAO_ROOT)/index.html

browser:
	@command -v chromium >/dev/null || { \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

var/db/$(DEMO_DB).sqlite: | venv
	$(MAKE) demo-db

demo-db: venv
	mkdir -p var/db
	rm -f var/db/$(DEMO_DB).sqlite
	touch var/db/$(DEMO_DB).sqlite
	echo "$(ADMIN_PASSWORD)" > var/adminpass
	TRYTONPASSFILE=var/adminpass $(BIN)/trytond-admin -d $(DEMO_DB) \
		--email $(ADMIN_EMAIL) \
		-u mes_production mes_equipment mes_quality mes_traceability \
		mes_connector --activate-dependencies
	rm -f var/adminpass
	$(BIN)/python demo/load_demo.py -d $(DEMO_DB)

# The demo's lathe is played by the plant simulator and read by the
# connector worker; they and the scheduler (maintenance requests) stop with
# the server (logs in var/log).
demo: venv sao var/db/$(DEMO_DB).sqlite
	@echo "Tryton MES demo: http://127.0.0.1:8000/ (admin / $(ADMIN_PASSWORD))"
	mkdir -p var/log
	$(BIN)/mes-simulator --machines 1 --modbus-port 5020 --opcua-port 0 \
		--cycle-time 45 --stops-per-hour 4 > var/log/simulator.log 2>&1 & \
	simulator=$$!; \
	$(BIN)/mes-connector -d $(DEMO_DB) > var/log/connector.log 2>&1 & \
	connector=$$!; \
	$(BIN)/trytond-cron -d $(DEMO_DB) > var/log/cron.log 2>&1 & \
	cron=$$!; \
	trap 'kill $$simulator $$connector $$cron 2>/dev/null' EXIT INT TERM; \
	$(BIN)/trytond -d $(DEMO_DB)

test: test-sqlite

test-sqlite: venv sao browser
	rm -rf var/test-cache-sqlite && mkdir -p var/test-cache-sqlite
	env -u TRYTOND_DATABASE__URI TRYTOND_DATABASE_URI=sqlite:// \
		DB_CACHE=$(CURDIR)/var/test-cache-sqlite \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# The test cache is keyed by module names only, not by code: a cache kept
# between runs (template databases on the server included) would test an old
# schema. Each run starts a fresh folder of dumps.
PG_CACHE ?= var/test-cache-postgresql

test-postgresql: venv sao browser
	rm -rf $(PG_CACHE) && mkdir -p $(PG_CACHE)
	TRYTOND_DATABASE_URI=$(PG_URI) TRYTOND_DATABASE__URI=$(PG_URI) \
		DB_NAME=mes_test_$$$$ DB_CACHE=$(CURDIR)/$(PG_CACHE) \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .

BENCHMARKS := spc oee dispatch genealogy ingest connector

bench: venv sao
	for b in $(BENCHMARKS); do \
		echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf var build *.egg-info
