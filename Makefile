# Two targets used by the README quick start and by CI. Both create .venv on first use.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin

.PHONY: demo test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The editable install leaves the sources uncompiled; with PYTHONDONTWRITEBYTECODE set every run would compile
# every module again (~0.7 s of `oncoseries analyze`), so compile them here, as pip does for a regular install.
install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q src/oncoseries

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q src/oncoseries

demo: install
	$(BIN)/oncoseries demo

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) oncoseries-demo
