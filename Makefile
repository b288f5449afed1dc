PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test lint train bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest -q

train: $(STAMP)
	$(PY) -m holdem.cli.train_blueprint --config configs/quickstart.yaml --logdir runs/quickstart

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[plot]'
	$(PY) scripts/bench_evaluator.py
	$(PY) scripts/bench_abstraction.py
	$(PY) scripts/bench_buckets.py
	$(PY) scripts/bench_mccfr.py
	$(PY) scripts/bench_orchestrator.py
	$(PY) scripts/bench_training.py
	$(PY) scripts/bench_scaling.py --quick
	$(PY) scripts/bench_eval.py
	$(PY) scripts/bench_policy.py
	$(PY) scripts/make_benchmarks_md.py

clean:
	rm -rf $(VENV) build *.egg-info
