PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN ?= runs/quickstart

.PHONY: venv test lint browser train bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

test: lint browser
	$(PY) -m pytest -q -n auto --dist loadgroup

# Headless Chromium renders the range-grid page in tests: installed here when missing and apt-get can (as root).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
	  >/dev/null; } || echo "chromium is not installed: the HTML grid screenshot tests will be skipped"

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
	$(PY) -m bench.kernel_sharing
	$(PY) -m bench.kernel_span
	$(PY) -m bench.loop_wake
	$(PY) -m bench.scaling --quick
	$(PY) -m bench.eval
	$(PY) -m bench.policy
	$(PY) -m bench.acpc
	$(PY) -m bench.report

clean:
	rm -rf $(VENV) build *.egg-info
