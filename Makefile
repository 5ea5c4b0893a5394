# Two entry points a new user needs: `make demo` (the main job) and `make test` (the whole suite).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

# Some environments set PYTHONDONTWRITEBYTECODE=1; then every pytest process (and each xdist
# worker) recompiles a few hundred modules. Caching bytecode in .venv and the tree is harmless.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-fast test-lowest soak bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

## The main job: the promoter against the flaky fake, with a report.
demo: $(STAMP)
	scripts/with-postgres.sh $(BIN)/python -m scenarios demo

## The whole suite: offline (in-process fake), the online suite against the fake on loopback,
## PostgreSQL tests against a throwaway server started here when PostgreSQL is installed.
test: $(STAMP)
	scripts/with-postgres.sh $(BIN)/python -m pytest -q -n 2 --dist loadgroup
	$(BIN)/python -m pytest -q tests/online --linear=server --fault-profile linear-observed

## The declared lower bounds, proven: the core tests on every dependency's lowest version.
test-lowest:
	PY=$(PY) scripts/test-lowest.sh

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x

soak: $(STAMP)
	$(BIN)/python -m scenarios soak

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .venv-lowest build *.egg-info
