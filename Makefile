# The README's two commands: `make reports` and `make test`. Both create the
# local virtual environment (.venv) on first use, with nothing installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: reports test data lab lint benchmark clean-processed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## data: generate the default synthetic data when data/raw has none
data: $(STAMP)
	@if [ -f data/raw/register.parquet ] && [ -f data/raw/survey.parquet ]; then \
		echo "data/raw already holds the register and the survey: using them"; \
	else \
		$(BIN)/konsel synth; \
	fi

## reports: the main job, end to end, on data/raw
reports: data
	$(BIN)/konsel reports

## test: the whole pytest suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lab: JupyterLab with the project's kernel
lab: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name konsel-analysis --display-name "konsel-analysis"
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check konsel_analysis tests benchmarks
	$(BIN)/lint-imports

benchmark: $(STAMP)
	$(BIN)/python benchmarks/synth_scale.py

clean-processed:
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
