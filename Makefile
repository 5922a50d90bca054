# Two commands for a fresh machine:  make demo   |   make test
# Prerequisites (Debian/Ubuntu): python3 (3.11+), python3-venv, make; Qt's system libraries (see README).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The stamp is newer than pyproject.toml once the package and its test tools are installed from it.
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck layering bench venv clean

# A venv is usable only when its pip runs: a half-made one (python3 -m venv failed for want of
# python3-venv) is removed and made again instead of failing on every later make.
$(BIN)/pip:
	@if [ -d $(VENV) ] && ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  echo "Removing the incomplete $(VENV) (no pip in it)"; rm -rf $(VENV); fi
	@$(PY) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: '$(PY) -m venv' failed. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); \
	  echo "error: the new venv has no pip. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/rekognition-labeler --demo

lint: venv
	$(BIN)/ruff check gui tests bench

layering: venv
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

test: lint layering typecheck
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
