# pamoe: two commands on a fresh machine with python3 >= 3.11:  make figures  and  make test
PYTHON ?= python3
VENV   ?= .venv
# Exactly this spec takes the local CPU build on our machines; any other pulls the CUDA wheels. Override: make TORCH=torch
TORCH  ?= torch==2.13.0
PRESET ?= quick
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test nbdev-check nbtest pytest slow figures bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# nbdev-clean and nbdev-export must leave the tree as it was: notebooks clean, pamoe/ in step with nbs/
nbdev-check: install
	PATH="$(abspath $(BIN)):$$PATH" tools/check_in_sync.sh

# nbdev-test must test at least one notebook ("No files were eligible" exits 0: we fail on it)
nbtest: install
	$(BIN)/nbdev-test --n-workers 2 --timing 2>&1 | tee .nbdev-test.log
	@grep -q '^Success' .nbdev-test.log || { echo "nbdev-test tested no notebook or failed"; exit 1; }

pytest: install
	$(BIN)/python -m pytest -q

test: nbdev-check nbtest pytest

# the long cells too (#| slow)
slow: install
	$(BIN)/nbdev-test --n-workers 2 --flags slow

figures: install
	$(BIN)/pamoe figures --preset $(PRESET)

bench: install
	$(BIN)/python benchmarks/sim_speed.py

clean:
	rm -rf $(VENV) .nbdev-test.log figures/runs
