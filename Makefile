# Two commands: `make run` (set up everything, serve the demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# Debian packages for PDF (wkhtmltopdf + CJK fonts), its text check, and browser tests.
SYSTEM_PACKAGES := wkhtmltopdf fonts-noto-cjk poppler-utils chromium chromium-driver wrk

.PHONY: run test setup system-packages translations db demo worker clean-venv i18n bench soak

run: setup db demo
	$(FLASK) serve

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed system-packages translations

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Installs what is missing when we are root with apt; otherwise says what to install.
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: please install these Debian packages: $$missing (PDF and browser tests need them)"; \
	  fi; \
	fi

# Compiled catalogues are build output (not committed).
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v "^compiling" || true

db: setup
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo seed

worker: setup
	$(FLASK) worker

# Developers: after changing user-facing text, refresh both catalogues, then translate zh_CN.
i18n: $(VENV)/.installed
	$(FLASK) translations update

# Benchmarks (not part of `make test`): tables on stdout, figures in tests/perf/results.json.
bench: setup
	$(BIN)/python -m tests.perf

# Load and fault tests (not part of `make test`; restarts the local PostgreSQL cluster once):
# checks on stdout, figures in tests/perf/soak.json, non-zero exit if a check fails.
soak: setup
	$(BIN)/python -m tests.perf.soak

# The README's three screenshots (tests/e2e/readme/*.png, kept in the repository), from the demo
# data in Chromium: refresh them after a change to the pages they show.
.PHONY: screenshots
screenshots: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/readme_shots.py

clean-venv:
	rm -rf $(VENV)
