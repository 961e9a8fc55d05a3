# r2k-dash: `make run` serves the dashboard, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench mutate mutate-named refresh clean

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

# Two pytest-xdist workers, a test file each at a time: most of the suite waits on browsers
# and servers it starts, so two keep both cores busy. TEST_JOBS=0 runs it in one process.
TEST_JOBS ?= 2
test: $(VENV)/.installed-test
	@scripts/ensure-system-tools
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/pytest --headless -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile

bench: $(VENV)/.installed-test
	$(PY) -m bench

# Mutation testing of analysis/ and market/store.py, not part of `make test`. First the named
# mutants (mutation/named.py: bugs the tests once missed), each on a copy of the tree; any
# survivor stops here. Then mutmut's (config: [tool.mutmut] in pyproject.toml): a full run
# takes hours here, MUTANTS='analysis.channel*' narrows it. Lists every mutant the tests did
# not kill (also in mutants/survivors.txt).
MUTANTS ?=
MUTATE_JOBS ?= 2
mutate-named: $(VENV)/.installed-test
	$(PY) -m mutation

mutate: mutate-named
	$(VENV)/bin/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	@$(VENV)/bin/mutmut results | grep -v ': not checked$$' | tee mutants/survivors.txt || true
	@echo "make mutate: $$(grep -c . mutants/survivors.txt) mutants not killed;" \
		"see one with: $(VENV)/bin/mutmut show NAME"

clean:
	rm -rf $(VENV) test-output .pytest_cache .mypy_cache .ruff_cache mutants
