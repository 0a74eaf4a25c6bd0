# Two commands from a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-sweep bench-durable bench-import bench-history fuzz clean

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
	$(BIN)/casecheck import ssd fixtures/sources/ssd --out out/demo/ssd.jsonl --report out/demo/ssd-import.json
	$(BIN)/casecheck import ssda903 fixtures/sources/ssda903/csv --out out/demo/ssda903.jsonl --report out/demo/ssda903-import.json
	$(BIN)/casecheck import cin fixtures/sources/cin/census.xml --out out/demo/cin.jsonl --report out/demo/cin-import.json
	$(BIN)/casecheck sweep out/demo/ssd.jsonl --out out/demo/ssd --profile england --as-of 2024-06-30
	$(BIN)/casecheck sweep out/demo/ssda903.jsonl --out out/demo/ssda903 --profile england --as-of 2024-06-30
	$(BIN)/casecheck sweep --from cin fixtures/sources/cin/census.xml --out out/demo/cin --profile england --as-of 2024-06-30
	@echo
	@echo "Wrote out/demo/findings.jsonl, out/demo/summary.json, out/demo/audit-cin-cp-care.html, out/demo/dashboard.html"
	@echo "and out/demo/{ssd,ssda903,cin}/ (sweeps of one extract in each format; not_assessable in each summary.json)"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/casecheck rules lint
	$(BIN)/casecheck rules test
	$(BIN)/pytest

# The long fuzzing profile (issue 9): 100,000 mutated records through intake and evaluation.
fuzz: $(STAMP)
	CASECHECK_FUZZ=100000 $(BIN)/pytest tests/fuzz -p no:cacheprovider --hypothesis-show-statistics

# Issue 14: full sweep / parse floor (1 and 2 workers), incremental second night, peak RSS at
# 10k and 100k cases; figures to bench/results.json (shown in the README).
bench: $(STAMP)
	$(BIN)/python bench/nightly.py

# The earlier benchmark (england profile, 100k cases, single cold check).
bench-sweep: $(STAMP)
	$(BIN)/python bench/sweep.py --results bench/sweep_results.json

bench-durable: $(STAMP)
	$(BIN)/python bench/durable_vs_core.py

# Import at scale: 903 and SSD CSV extracts of N children (N=10000 by default), rows/s and peak
# memory, against sweeping the same cohort's JSON; figures to bench/import_results.json.
bench-import: $(STAMP)
	$(BIN)/python bench/import_scale.py $(if $(N),--children $(N),)

# History at scale: N cases (5000 by default) swept for NIGHTS nights (8) into the change-only
# store and a schema-1 store; DB growth, diff and dashboard times of each; to
# bench/history_results.json.
bench-history: $(STAMP)
	$(BIN)/python bench/history_size.py $(if $(N),--cases $(N),) $(if $(NIGHTS),--nights $(NIGHTS),)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
