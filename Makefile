# Two commands from a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/casecheck rules lint
	$(BIN)/casecheck sweep fixtures --out out/demo --profile practice
	@echo
	@echo "Findings: out/demo/findings.jsonl   Summary: out/demo/summary.json"
	$(BIN)/casecheck check fixtures/cp-neglect.json --format text

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/casecheck rules lint
	$(BIN)/casecheck rules test
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
