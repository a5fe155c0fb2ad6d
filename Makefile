# Resolute: `make run` sets up and runs on the embedded defaults; `make test` sets up and tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch; a plain `torch` would pull several GB of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
Q ?= What are the district's three priorities?

.PHONY: install install-dev run test lint format bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	# llama-cpp-python compiles once (about 15 minutes on two cores); pip caches the wheel
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Ingest and load the sample district's fictional intervention notes (again: nothing new), then serve
# Slack if it is configured (.env or the environment), else open the local console with the sample
# question asked first.
run: install
	$(BIN)/resolute ingest
	$(BIN)/resolute notes import knowledge/district/notes.csv
	@if $(BIN)/resolute serve --check; then $(BIN)/resolute serve; \
	else echo "Opening the local console instead."; $(BIN)/resolute console --say /digest --say "$(Q)"; fi

# The schema check first: tables.py and the Alembic revisions must build the same tables.
test: install-dev
	$(BIN)/python -m bot.store check
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

format: install-dev
	$(BIN)/ruff check --fix bot tests bench
	$(BIN)/ruff format bot tests bench

bench: install-dev
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_cold_ask.py
	$(BIN)/python bench/bench_slack.py
	$(BIN)/python bench/bench_progress.py
	$(BIN)/python bench/bench_checkins.py
	$(BIN)/python bench/checkin_threshold.py
	$(BIN)/python bench/bench_notes.py
	$(BIN)/python bench/bench_edfi.py

eval: install
	$(BIN)/python bench/eval_answers.py

clean:
	rm -rf $(VENV) data
