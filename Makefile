# Two commands for a new user:
#   make run   - set up .venv (with the command .venv/bin/tracker), create/upgrade the
#                database (with the sample), serve the app
#   make test  - set up .venv with the dev tools, run ruff and the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test lint format bench bench-million screenshots i18n-extract i18n-compile clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The command line as the app and the README name it: `.venv/bin/tracker COMMAND` works from
# a fresh shell in the project folder (no activation; tools/tracker-command.sh says how).
$(VENV)/bin/tracker: tools/tracker-command.sh | $(VENV)/.runtime
	install -m 0755 tools/tracker-command.sh $@

run: $(VENV)/.runtime $(VENV)/bin/tracker
	$(VENV)/bin/tracker init
	$(VENV)/bin/tracker serve --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

test: $(VENV)/.dev $(VENV)/bin/tracker
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy  # tracker/, configured in pyproject.toml
	$(PY) -m pytest -n auto --dist loadgroup  # a worker per core; browser tests share one

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every benchmark (8 minutes on an idle 2-core machine, 5 December 2026), then
# docs/performance.md's generated tables rewritten from its result (the hand-written text is
# kept). A failed step fails the target and leaves the page as it was.
BENCH_RESULT ?= bench/out/latest.json
bench: $(VENV)/.dev
	$(PY) bench/run_all.py --out $(BENCH_RESULT)
	$(PY) bench/report.py $(BENCH_RESULT) --write docs/performance.md

# A million recommendations on PostgreSQL, then restored into SQLite (35 minutes on an idle
# 2-core machine, 5 December 2026; its files, about 10 GB, in UPR_BENCH_MILLION_DIR, default
# /work/bench-wd-million); not part of `make bench`.
BENCH_MILLION_DIR ?= $(or $(UPR_BENCH_MILLION_DIR),/work/bench-wd-million)
bench-million: $(VENV)/.dev
	$(PY) bench/million.py --workdir $(BENCH_MILLION_DIR)
	$(PY) bench/report.py --million $(BENCH_MILLION_DIR)/million.json --write docs/performance.md

# docs/screenshots/*.png and docs/overview.png: the main pages at 1440x900 in headless
# Chromium, served on a temporary sample database (plus the real Kazakhstan export when
# ../shared/data/upr has it). Look at them before committing.
REAL_KAZ ?= $(firstword $(wildcard ../shared/data/upr/upr_info_kazakhstan_sessions07_20.csv ../../shared/data/upr/upr_info_kazakhstan_sessions07_20.csv))
screenshots: $(VENV)/.dev
	$(PY) tools/screenshots.py $(if $(REAL_KAZ),--import $(REAL_KAZ))

# Translations (see README, "Languages"): extract every marked string into the template and
# merge it into each catalogue (new strings arrive with an empty msgstr), then compile the .mo
# files that the app reads. The compiled .mo files are committed, so `make run` needs no step.
i18n-extract: $(VENV)/.dev
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k NP_:1c,2 -k _ -k ngettext:1,2 -k pgettext:1c,2 --no-location \
		--sort-output --project "UPR Tracker" -o tracker/locale/messages.pot .
	$(VENV)/bin/pybabel update -i tracker/locale/messages.pot -d tracker/locale -D messages \
		--no-fuzzy-matching --ignore-obsolete --width 100

i18n-compile: $(VENV)/.dev
	$(VENV)/bin/pybabel compile -d tracker/locale -D messages --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-artifacts
