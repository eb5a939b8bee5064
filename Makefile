# Two commands for a fresh machine: `make demo` and `make test`. Each makes .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test fuzz lint pdf-deps system-deps

# Debian packages: Pango for PDF documents (WeasyPrint); Chromium for the browser tests.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
BROWSER_PACKAGES := chromium chromium-driver

define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing system packages (install them as root): $$missing"; \
	  fi; \
	fi
endef

$(PY): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $(PY)

pdf-deps:
	$(call apt_install,$(PDF_PACKAGES))

system-deps:
	$(call apt_install,$(PDF_PACKAGES) $(BROWSER_PACKAGES))

# The web server and a task worker (mail, long jobs) together; Ctrl-C stops both.
# `make demo PORT=8001` serves the demo on another port.
PORT ?= 8000
demo: $(PY) pdf-deps
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	@DEBUG=1 $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(PY) system-deps
	$(PY) -m pytest

# Hostile input at depth, not part of `make test`: FUZZ_EXAMPLES examples per portal form and
# admin page, randomised and unshrunk, each request held to FUZZ_MAX_SECONDS (default 1 s);
# the per-form summary is written to fuzz-report.md.
FUZZ_EXAMPLES ?= 200
fuzz: $(PY) system-deps
	FUZZ=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p tests.fuzz.report \
	  tests/portal/test_hostile_input.py tests/core/test_admin_hostile_input.py

# ruff, the floor plan (import-linter, pyproject.toml), types (mypy with django-stubs), migrations.
lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
