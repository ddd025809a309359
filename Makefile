# Entry points for a fresh machine that has only python3:
#   make demo   installs into .venv and runs the default scenario, narrated
#   make test   installs into .venv (with test tools) and runs the whole suite
#   make tempest       Tempest's volume API tests against `cindersim serve` (all; a report)
#   make tempest-gate  only the tests in conformance/passing.txt; fails if one fails
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Tempest in a virtualenv of its own: it pins its own oslo/keystoneauth stack.
TVENV := .venv-tempest

.PHONY: demo test browser lint bench clean tempest tempest-gate

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.installed-dev
	$(BIN)/cindersim demo

# The studio's browser tests drive Debian's chromium (pip's Playwright cannot download a
# browser here): installed when missing and this is a root shell with apt.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "make: no chromium (apt-get install chromium): the browser tests will say so"

test: $(VENV)/.installed-dev browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

$(TVENV)/.installed: conformance/requirements.txt
	$(PY) -m venv $(TVENV)
	$(TVENV)/bin/python -m pip install -q --upgrade pip
	$(TVENV)/bin/python -m pip install -q -r conformance/requirements.txt
	touch $@

tempest: $(VENV)/.installed-dev $(TVENV)/.installed
	$(TVENV)/bin/python conformance/run.py --cindersim $(BIN)/cindersim $(TEMPEST_ARGS)

tempest-gate: $(VENV)/.installed-dev $(TVENV)/.installed
	$(TVENV)/bin/python conformance/run.py --cindersim $(BIN)/cindersim \
		--gate conformance/passing.txt $(TEMPEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m pip install -q salabim || echo "salabim not installed: its column is skipped"
	$(BIN)/python benchmarks/all.py

clean:
	rm -rf $(VENV) $(TVENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
