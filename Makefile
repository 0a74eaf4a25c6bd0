# Two commands from a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-durable fuzz clean

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test,durable,sources]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/casecheck rules lint
	$(BIN)/casecheck sweep fixtures --out out/demo --profile practice --as-of 2024-06-30 --db out/demo/sweeps.sqlite
	$(BIN)/casecheck check fixtures/cin-cp-care.json --profile practice --as-of 2024-06-30 --hide-met
	$(BIN)/casecheck report fixtures/cin-cp-care.json --profile practice --as-of 2024-06-30 --format html --out out/demo/audit-cin-cp-care.html
	$(BIN)/casecheck dashboard --db out/demo/sweeps.sqlite --out out/demo/dashboard.html
	@echo
	@echo "Wrote out/demo/findings.jsonl, out/demo/summary.json, out/demo/audit-cin-cp-care.html, out/demo/dashboard.html"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/casecheck rules lint
	$(BIN)/casecheck rules test
	$(BIN)/pytest

# The long fuzzing profile (issue 9): 100,000 mutated records through intake and evaluation.
fuzz: $(STAMP)
	CASECHECK_FUZZ=100000 $(BIN)/pytest tests/fuzz -p no:cacheprovider --hypothesis-show-statistics

bench: $(STAMP)
	$(BIN)/python bench/sweep.py

bench-durable: $(STAMP)
	$(BIN)/python bench/durable_vs_core.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
