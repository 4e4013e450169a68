# The two commands a newcomer needs: `make demo` and `make test`. Both run `setup` when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint

setup: $(STAMP)

# Every set-up starts from nothing and shares no folder with other clones (pip's temporary and build folders
# live in .venv/.tmp, no pip cache); the pip steps and why each rule is there: tools/setup_venv.sh.
$(STAMP): pyproject.toml tools/setup_venv.sh
	PYTHON='$(PYTHON)' VENV='$(VENV)' bash tools/setup_venv.sh

demo: setup
	$(BIN)/rlvr demo configs/demo.yaml

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
