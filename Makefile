# fund_manager: `make run` serves the demo, `make test` runs the whole suite. `make help` lists all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1:8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/fund_manager_test
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
# The KERN design system (npm @kern-ux/native, EUPL-1.2), vendored: `make kern` updates it.
KERN_VERSION ?= 2.7.2
KERN_DIR := fund_manager/core/static/vendor/kern

.DEFAULT_GOAL := help
.PHONY: help install run serve migrate demo test test-pg test-e2e lint format messages compilemessages check clean bench kern screenshots

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@if $(PY) -m pip show django-fsm >/dev/null 2>&1; then echo "The old django-fsm package is installed: remove it (pip uninstall django-fsm django-fsm-2, then make install)."; exit 1; fi
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned packages

compilemessages: install ## Compile the German and English translations
	DJANGO_DEBUG=1 $(MANAGE) compilemessages --ignore=.venv --ignore=var -v 0

messages: install ## Update the .po files from the source
	DJANGO_DEBUG=1 $(MANAGE) makemessages -l de -l en --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*'

migrate: compilemessages ## Apply the migrations to the SQLite database in var/
	DJANGO_DEBUG=1 $(MANAGE) migrate --no-input -v 0

demo: migrate ## Load the demo data (idempotent)
	DJANGO_DEBUG=1 $(MANAGE) seed_demo

run: demo ## Set up everything and serve the demo at http://127.0.0.1:8000
	@echo ""
	@echo "  fund_manager runs at http://$(HOST)/  (stop with Ctrl+C)"
	@echo "  Demo logins, password 'demo' for all:"
	@echo "    traeger, traeger2 (Antragsteller) · projektbuero (Projektbüro)"
	@echo "    vorsitz (Vorsitz) · lenkung1..lenkung4 (Lenkungsgruppe) · kaemmerei (Finanzen)"
	@echo "    pruefung (Rechnungsprüfung) · admin (Administration)"
	@echo ""
	DJANGO_DEBUG=1 $(MANAGE) runserver $(HOST)

test: compilemessages ## Run the whole suite on SQLite (browser tests where Chromium exists)
	@if [ -x /usr/bin/chromium ]; then echo "Browser tests: running with /usr/bin/chromium."; \
	else echo "Browser tests: SKIPPED, /usr/bin/chromium is not installed (apt-get install chromium)."; fi
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: compilemessages ## Run the same suite against PostgreSQL ($$DATABASE_URL or PG_URL), without the page crawl (make test runs it)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -m "not crawl" $(PYTEST_ARGS)

lint: install ## ruff check, format check and the import contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install ## Format and fix what ruff can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install ## Django's system checks, including missing migrations
	DJANGO_DEBUG=1 $(MANAGE) check
	DJANGO_DEBUG=1 $(MANAGE) makemigrations --check --dry-run

bench: install ## Issue 10's benchmarks against their raw baselines on PostgreSQL (BENCH_PG), in one run
	DATABASE_URL=$(BENCH_PG)/fm_bench_ledger $(PY) bench/ledger_cost.py --rounds 3
	DATABASE_URL=$(BENCH_PG)/fm_bench_staff_list $(PY) bench/staff_list.py --rows 100000 --repeat 15
	DATABASE_URL=$(BENCH_PG)/fm_bench_export $(PY) bench/payments_export.py --payments 100000 --rounds 3
	DATABASE_URL=$(BENCH_PG)/fm_bench_confirm $(PY) bench/payments_confirm.py --rows 10000 --rounds 3
	DATABASE_URL=$(BENCH_PG)/fm_bench_insight $(PY) bench/insight.py --sizes 10000 100000 --repeat 15 --rounds 3

clean: ## Remove the virtualenv, the database and caches
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

kern: ## Vendor the KERN design system (KERN_VERSION) from the npm registry into $(KERN_DIR)
	@command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)"; exit 1; }
	rm -rf var/kern && mkdir -p var/kern
	cd var/kern && npm pack --silent @kern-ux/native@$(KERN_VERSION) >/dev/null && tar xzf kern-ux-native-$(KERN_VERSION).tgz
	rm -rf $(KERN_DIR) && mkdir -p $(KERN_DIR)/fonts/fira-sans
	cp var/kern/package/dist/kern.min.css var/kern/package/LICENSE.md $(KERN_DIR)/
	cp var/kern/package/dist/fonts/fira-sans.css $(KERN_DIR)/fonts/
	for f in $$(grep -o 'FiraSans-[A-Za-z]*\.woff2' var/kern/package/dist/fonts/fira-sans.css | sort -u); do \
	  cp var/kern/package/dist/fonts/fira-sans/$$f $(KERN_DIR)/fonts/fira-sans/; done
	echo "@kern-ux/native $(KERN_VERSION) (npm), dist/kern.min.css, dist/fonts/fira-sans*, LICENSE.md; vendored by make kern" > $(KERN_DIR)/VERSION
	rm -rf var/kern
	@echo "KERN $(KERN_VERSION) is in $(KERN_DIR). Check the pages (make test), then commit."

screenshots: demo ## Take the README's screenshots (docs/img/) with Playwright and Chromium from the demo data
	DJANGO_DEBUG=1 $(PY) docs/screenshots.py
