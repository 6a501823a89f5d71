# Two commands for a new user: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8765

.PHONY: demo test test-matrix mutation lint docs lab emulator bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamps record which extras are installed; they are redone when pyproject.toml changes.
$(VENV)/.dev: $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.emulator: $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[emulator]'
	touch $@

# The house checks run first: a lint, type or layer error fails `make test` as a failing test does
# (the layers: [tool.importlinter] in pyproject.toml, docs/design.md).
# The suite in 4 worker processes (pytest-xdist), whatever the cores: most tests wait on emulators,
# kernels and a browser rather than compute, so on 2 cores 4 workers finish well before 2 do
# (docs/testing.md). Each test file runs on one worker, so a file's module-scoped emulators and
# kernels start once. PYTEST_ARGS="-n0" runs it in one process.
PYTEST_ARGS ?= -n 4 --dist loadfile
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite on the oldest and the newest supported Python (noxfile.py), each in its own virtualenv
# under .nox/; pyenv's interpreters are found when they are not on PATH. Pass folders with
# NOX_ARGS="-- tests/frames".
PYENV_PYTHONS := $(wildcard $(HOME)/.pyenv/versions/3.10*/bin $(HOME)/.pyenv/versions/3.13*/bin)
test-matrix: $(VENV)/.dev
	PATH="$(PATH):$(subst $(eval) ,:,$(PYENV_PYTHONS))" $(VENV)/bin/nox $(NOX_ARGS)

# mutmut over the modules whose bugs lose or double answers or leak secrets, each with its own fast
# tests; prints a score per module (docs/testing.md). One module: make mutation MODULES=wire/retry.py
mutation: $(VENV)/.dev
	$(PY) tests/mutation.py $(MODULES)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The documentation site (mkdocs.yml) into build/site; open build/site/index.html.
# (NO_MKDOCS_2_WARNING: Material's banner about its successor says nothing about this site.)
docs: $(VENV)/.dev
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
	@echo "The site is in build/site/index.html"

demo: $(VENV)/.dev
	$(PY) -m alfa_notebook.demo

emulator: $(VENV)/.emulator
	$(VENV)/bin/alfa-notebook emulator --port $(PORT)

# The notebooks read the emulator's address and key from the environment; run `make emulator`
# in another terminal first, or point ALFA_BASE_URL and ALFA_API_KEY at the real service.
lab: $(VENV)/.dev
	ALFA_BASE_URL=$${ALFA_BASE_URL:-http://127.0.0.1:$(PORT)} ALFA_API_KEY=$${ALFA_API_KEY:-alfa-emulator-key} \
	  $(VENV)/bin/jupyter lab notebooks/

bench: $(VENV)/.dev
	$(PY) -m bench

clean:
	rm -rf build .pytest_cache .hypothesis .nox
