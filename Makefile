# Two commands for a fresh machine:  make demo   |   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

demo: venv
	$(BIN)/rekognition-labeler --demo

test: venv
	$(BIN)/ruff check gui tests bench
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
