PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN ?= runs/quickstart

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
	$(PY) -m holdem.cli.train_blueprint --config configs/quickstart.yaml --logdir $(RUN) \
		$(if $(wildcard $(RUN)/checkpoints/checkpoint-*.npz),--resume-from $(RUN))

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[plot]'
	$(PY) -m bench.evaluator
	$(PY) -m bench.abstraction
	$(PY) -m bench.buckets
	$(PY) -m bench.mccfr
	$(PY) -m bench.orchestrator
	$(PY) -m bench.training
	$(PY) -m bench.scaling --quick
	$(PY) -m bench.eval
	$(PY) -m bench.policy
	$(PY) -m bench.report

clean:
	rm -rf $(VENV) build *.egg-info
