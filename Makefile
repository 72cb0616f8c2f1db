# mnist-compare: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REPORT_STAMP := $(VENV)/.installed-report
DEV_STAMP := $(VENV)/.installed-dev
SEEDS ?=
# pytest-xdist workers for make test and make test-quick (each file runs whole in one worker).
TEST_WORKERS ?= 2
# The Colab lane: a second environment with Colab's preinstalled versions (ci/colab-constraints.txt).
COLAB_VENV ?= .venv-colab
COLAB_CONSTRAINTS := ci/colab-constraints.txt
COLAB_STAMP := $(COLAB_VENV)/.installed-colab
# What Colab's kernel runs on top of requirements.txt (which deliberately lists no Jupyter package).
COLAB_KERNEL_PACKAGES := ipykernel ipython jupyter_client ipywidgets nbformat

.DEFAULT_GOAL := help
.PHONY: help setup setup-report setup-dev run report report-no-code test test-quick demo bench bench-pipeline clean-fast \
	colab-env test-colab

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

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

# Colab's Python (3.13): pyenv's newest 3.13.x, else the newest python3.1x on PATH (with a message).
# No package of this repository is installed: like the notebooks' Setup cell in Colab, the lane puts
# the repository on the path (a clone's folder, or the working folder for `python -m mnist_compare`).
$(COLAB_STAMP): requirements.txt $(COLAB_CONSTRAINTS)
	@python=$$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python 2>/dev/null | sort -V | tail -n 1); \
	if [ -z "$$python" ]; then \
	  for minor in 19 18 17 16 15 14 13 12 11 10; do \
	    python=$$(command -v python3.$$minor) && "$$python" -c '' 2>/dev/null && break; python=; \
	  done; \
	  [ -n "$$python" ] || { echo "colab-env: no Python 3.10+ found (Colab runs 3.13)" >&2; exit 1; }; \
	  echo "colab-env: no Python 3.13 under pyenv; using $$python ($$("$$python" -V)) instead of Colab's 3.13"; \
	fi; \
	echo "colab-env: $$python -m venv --clear $(COLAB_VENV)"; \
	"$$python" -m venv --clear $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -c $(COLAB_CONSTRAINTS) -r requirements.txt $(COLAB_KERNEL_PACKAGES)
	touch $@

colab-env: $(COLAB_STAMP) ## create .venv-colab: Colab's Python and preinstalled versions (ci/colab-constraints.txt)

test-colab: $(DEV_STAMP) $(COLAB_STAMP) ## the Colab lane: every notebook and the demo in .venv-colab's versions
	REQUIRE_COLAB_LANE=1 $(PY) -m pytest -m colab tests/test_colab_lane.py

setup: $(STAMP) ## create .venv and install requirements.txt (the notebooks and the demo)

setup-report: $(REPORT_STAMP) ## also install the report tools (requirements-report.txt)

setup-dev: $(DEV_STAMP) ## also install the report and test tools (requirements-dev.txt)

run: $(STAMP) ## train and evaluate the grid -> reports/results.json (SEEDS=N to change)
	$(PY) -m mnist_compare run $(if $(SEEDS),--seeds $(SEEDS))

report: $(REPORT_STAMP) ## the whole job: missing experiments -> notebooks -> reports/mnist_mlp_vs_cnn.html and .pdf
	$(PY) -m mnist_compare report $(if $(SEEDS),--seeds $(SEEDS))

report-no-code: $(REPORT_STAMP) ## the report without code cells -> reports/mnist_mlp_vs_cnn_no_code.html and .pdf
	$(PY) -m mnist_compare report --no-code --no-execute

test: $(DEV_STAMP) $(COLAB_STAMP) ## the whole suite, as CI runs it (the Colab lane and the browser tests included)
	REQUIRE_COLAB_LANE=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

test-quick: $(DEV_STAMP) ## everything that needs no browser, no kill trial, no notebook run and no second environment
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser and not slow and not colab"

demo: $(STAMP) ## launch the drawing demo
	$(PY) -m mnist_compare demo

bench: $(STAMP) ## measure training and prediction speed -> reports/benchmark.json
	$(PY) -m mnist_compare bench

bench-pipeline: $(REPORT_STAMP) ## also time the whole report from scratch in a fresh clone (15-35 min on 2 cores, depending on the machine's speed)
	$(PY) -m mnist_compare bench --pipeline

clean-fast: ## remove fast-mode outputs (build/fast)
	rm -rf build/fast
