# The two commands of the README. Each does its own set-up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP_QUIET := -q --disable-pip-version-check

.PHONY: run test install bench clean cluster cluster-test

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install $(PIP_QUIET) -e '.[test]' 2>&1 | grep -v "^WARNING: Location" | grep -v "^ *$$" || true
	$(PY) -c "import django, rest_framework, channels, celery, psycopg, segno, granian" 
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run.py

test: $(STAMP)
	$(PY) scripts/services.py > /dev/null
	$(PY) scripts/ensure_browser.py
	$(PY) -m deploy.packages
	TEST_FAST_PASSWORD_HASHER=true $(PY) -m pytest $(PYTEST_ARGS)

# The clustered shape in network namespaces (docs/ha.md): needs root; installs patroni, etcd and
# haproxy with apt-get when missing. Ctrl-C tears everything down.
cluster: $(STAMP)
	$(PY) -m deploy.packages
	$(PY) -m deploy.cluster up --foreground

# The fault drills against that cluster (tests/cluster/, about 4 minutes).
cluster-test: $(STAMP)
	$(PY) -m deploy.packages
	TEST_FAST_PASSWORD_HASHER=true $(PY) -m pytest tests/cluster -p no:randomly -q -s $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .data
