# mnist-compare: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REPORT_STAMP := $(VENV)/.installed-report
DEV_STAMP := $(VENV)/.installed-dev
SEEDS ?=

.DEFAULT_GOAL := help
.PHONY: help setup setup-report setup-dev run report report-no-code test demo bench bench-pipeline clean-fast

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(REPORT_STAMP): $(STAMP) requirements-report.txt
	$(PY) -m pip install --quiet -r requirements-report.txt
	touch $@

$(DEV_STAMP): $(REPORT_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(STAMP) ## create .venv and install requirements.txt (the notebooks and the demo)

setup-report: $(REPORT_STAMP) ## also install the report tools (requirements-report.txt)

setup-dev: $(DEV_STAMP) ## also install the report and test tools (requirements-dev.txt)

run: $(STAMP) ## train and evaluate the grid -> reports/results.json (SEEDS=N to change)
	$(PY) -m mnist_compare run $(if $(SEEDS),--seeds $(SEEDS))

report: $(REPORT_STAMP) ## the whole job: missing experiments -> notebooks -> reports/mnist_mlp_vs_cnn.html and .pdf
	$(PY) -m mnist_compare report $(if $(SEEDS),--seeds $(SEEDS))

report-no-code: $(REPORT_STAMP) ## the report without code cells -> reports/mnist_mlp_vs_cnn_no_code.html and .pdf
	$(PY) -m mnist_compare report --no-code --no-execute

test: $(DEV_STAMP) ## run the test suite
	$(PY) -m pytest

demo: $(STAMP) ## launch the drawing demo
	$(PY) -m mnist_compare demo

bench: $(STAMP) ## measure training and prediction speed -> reports/benchmark.json
	$(PY) -m mnist_compare bench

bench-pipeline: $(REPORT_STAMP) ## also time the whole report from scratch in a fresh clone (15-20 min on 2 cores)
	$(PY) -m mnist_compare bench --pipeline

clean-fast: ## remove fast-mode outputs (build/fast)
	rm -rf build/fast
