# r2k-dash: `make run` serves the dashboard, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench refresh clean

$(VENV)/.created:
	@python=$$(scripts/find-python) && $$python -m venv $(VENV)
	@touch $@

$(VENV)/.installed-run: $(VENV)/.created pyproject.toml
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(PIP) install -e '.[test]'
	@touch $@

run: $(VENV)/.installed-run
	$(PY) app.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(VENV)/.installed-test
	@scripts/ensure-system-tools
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/pytest --headless -p no:cacheprovider

bench: $(VENV)/.installed-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) test-output .pytest_cache .mypy_cache .ruff_cache
