# `make run` and `make test` each create .venv if missing and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all lint format docs bench figures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

# The main job: the whole analysis of the curated model as one self-contained HTML report
# (report/index.html; the screen's arms in report/results.sqlite, so a second run reads them back).
run: $(STAMP)
	$(BIN)/metastasim report --out report

# The documentation site, docs/_build/html/index.html (Sphinx; any warning fails the build).
# Nothing is simulated: the model's tables come from its YAML, the tutorial keeps its outputs.
docs: $(STAMP)
	$(BIN)/python -m sphinx -q -W --keep-going -b html docs docs/_build/html

test: $(STAMP) lint docs
	$(BIN)/python -m pytest

# Lint and format checks (ruff, configured in pyproject.toml); `make format` applies them.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/ruff format --check src tests benchmarks docs

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks docs
	$(BIN)/ruff check --fix src tests benchmarks docs

test-all: $(STAMP) lint docs
	$(BIN)/python -m pytest -m ""

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_cascade.py
	$(BIN)/python benchmarks/bench_rare.py
	$(BIN)/python benchmarks/bench_screen.py --full
	$(BIN)/python benchmarks/bench_report.py --full

# The network figure of the README (needs Graphviz's `dot`: apt install graphviz).
figures: $(STAMP)
	$(BIN)/python -c "from metastasim.models import load_model; from metastasim.report import network_dot; \
	print(network_dot(load_model(), title='metastasim: the curated model'), end='')" > docs/model_network.dot
	dot -Tpng -Gdpi=60 docs/model_network.dot -o docs/model_network.png

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache docs/_build docs/api
