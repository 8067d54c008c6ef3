# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make run    creates .venv, installs sharedhash and runs the hub on http://127.0.0.1:8000
#               (another port or address: make run PORT=8001 HOST=0.0.0.0)
#   make test   installs the development dependencies and runs lint, types and the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS_RUN := server
EXTRAS_TEST := server,dev,faiss,heif
# The compiled kernels: editing one re-runs the install, which rebuilds it.
NATIVE := $(wildcard src/sharedhash/*/_*.c)
# Where `make run` serves the hub.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck unit bench clean ffmpeg-dev

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("sharedhash needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS_RUN)]'
	touch $@

# The dev extra's PyPI `vpdq` (Meta's reference binding, the oracle of the video tests) builds from source against
# FFmpeg's development libraries with pkg-config and cmake: installed with apt-get when they are missing.
FFMPEG_DEV := libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev libavfilter-dev pkg-config cmake g++
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ffmpeg-dev:
	@pkg-config --exists libavcodec libavformat libswscale 2>/dev/null && command -v cmake >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "install FFmpeg development libraries, pkg-config and cmake"; exit 1; }; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $(FFMPEG_DEV); }

$(VENV)/.test-installed: pyproject.toml $(NATIVE) | $(BIN)/python ffmpeg-dev
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS_TEST)]'
	touch $@ $(VENV)/.run-installed

# A working hub on SQLite in ./data: the demo org is created on first run (its API key is printed once).
run: $(VENV)/.run-installed
	$(BIN)/sharedhash org create demo --if-missing
	@echo "API docs: http://$(HOST):$(PORT)/docs (schema: http://$(HOST):$(PORT)/openapi.json)"
	$(BIN)/sharedhash serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy src

unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

bench: $(VENV)/.test-installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/hashing.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
