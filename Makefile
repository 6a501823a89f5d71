# Two commands for a new user: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8765

.PHONY: demo test test-matrix lint lab emulator bench clean

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

# The house checks run first: a lint or type error fails `make test` as a failing test does.
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite on the oldest and the newest supported Python (noxfile.py), each in its own virtualenv
# under .nox/; pyenv's interpreters are found when they are not on PATH. Pass folders with
# NOX_ARGS="-- tests/frames".
PYENV_PYTHONS := $(wildcard $(HOME)/.pyenv/versions/3.10*/bin $(HOME)/.pyenv/versions/3.13*/bin)
test-matrix: $(VENV)/.dev
	PATH="$(PATH):$(subst $(eval) ,:,$(PYENV_PYTHONS))" $(VENV)/bin/nox $(NOX_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

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
