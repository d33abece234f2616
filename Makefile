# onec-bridge — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint chaos bench install clean kit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/onec-bridge demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy connector mock_1c mock_tracker testbed onec_kit/generate.py

# Four workers on two cores: most tests wait on loopback servers; one file stays on one worker
# (its module-scoped servers are started once). The 15 slowest tests are listed at the end.
test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider -n 4 --dist loadfile --durations=15 tests

chaos: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -p no:xdist -m chaos_long --durations=15 tests/e2e

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Rewrite the metadata XML of onec_kit/ from onec_kit/generate.py (the BSL modules are hand-written).
kit: $(STAMP)
	$(BIN)/python onec_kit/generate.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
