# The two commands of the README. Each does its own set-up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP_QUIET := -q --disable-pip-version-check

# `make test` runs in TEST_WORKERS pytest-xdist workers (0: one process); a module's tests stay on
# one worker, the cluster drills' module starts first (tests/conftest.py, docs/testing.md).
TEST_WORKERS ?= 3
TEST_PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

.PHONY: run test install bench clean cluster cluster-test catalogues messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install $(PIP_QUIET) -e '.[test]' 2>&1 | grep -v "^WARNING: Location" | grep -v "^ *$$" || true
	$(PY) -c "import django, rest_framework, channels, celery, psycopg, segno, granian, babel"
	$(PY) -m ticketcore.management.commands.compile_catalogues > /dev/null
	touch $(STAMP)

install: $(STAMP) catalogues

run: $(STAMP)
	$(PY) scripts/run.py

test: $(STAMP) catalogues
	$(PY) scripts/services.py > /dev/null
	$(PY) scripts/ensure_browser.py
	$(PY) -m deploy.packages
	TEST_FAST_PASSWORD_HASHER=true $(PY) -m pytest $(TEST_PARALLEL) $(PYTEST_ARGS)

# The clustered shape in network namespaces (docs/ha.md): needs root; installs patroni, etcd and
# haproxy with apt-get when missing. Ctrl-C tears everything down.
cluster: $(STAMP)
	$(PY) -m deploy.packages
	$(PY) -m deploy.cluster up --foreground

# The fault drills against that cluster (tests/cluster/, about 4 minutes).
cluster-test: $(STAMP)
	$(PY) -m deploy.packages
	TEST_FAST_PASSWORD_HASHER=true $(PY) -m pytest tests/cluster -p no:randomly -q -s $(PYTEST_ARGS)

# Translations (docs/adr/0029). `catalogues` compiles locale/*/LC_MESSAGES/*.po into the .mo files
# Django reads (git-ignored), with Babel: no GNU gettext needed, no settings or .env either; only
# catalogues that changed are written. `make run` gets them from `bin/ticketcore migrate`.
catalogues: $(STAMP)
	$(PY) -m ticketcore.management.commands.compile_catalogues > /dev/null

# Refreshes the Spanish catalogues from the source (new texts arrive untranslated, changed ones
# fuzzy; tests/i18n lists both until they are translated), then compiles them. Needs GNU gettext
# (xgettext, msgmerge) on the developer's machine: apt-get install gettext. Only the project's own
# code: not the tests, tools or vendored scripts.
MESSAGES_IGNORE := --ignore=tests --ignore=bench --ignore=scripts --ignore=deploy --ignore=docs \
	--ignore=static/vendor --ignore=node_modules --ignore=build
MESSAGES_FLAGS := --locale=es --add-location=file --no-wrap --no-obsolete $(MESSAGES_IGNORE)
messages: $(STAMP)
	@command -v xgettext > /dev/null || { echo "make messages needs GNU gettext: apt-get install gettext" >&2; exit 1; }
	DEBUG=true $(PY) manage.py makemessages --domain=django $(MESSAGES_FLAGS)
	DEBUG=true $(PY) manage.py makemessages --domain=djangojs --extension=js $(MESSAGES_FLAGS)
	$(PY) -m ticketcore.management.commands.compile_catalogues

# The issue-19 figures from one run, with their ratios, a summary table and a dated line in
# docs/benchmarks.md ("make bench history"); about 10 minutes. BENCH_QUICK=1: a ~2-minute smoke
# that records nothing. BENCH_ARGS: more options (bench/run_all.py --help). Needs PostgreSQL and
# Redis like `make test`; installs wrk with apt-get when missing; bench/mirror.py starts the
# Firestore emulator.
bench: $(STAMP) catalogues
	$(PY) scripts/services.py > /dev/null
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .data
