# One command to set up and run the main job, one to set up and pass the tests.
#   make demo    — create .venv, install microgradnn with its demo extras, run `microgradnn demo`
#   make test    — create .venv, install everything the tests use (PyTorch CPU as the oracle), run pytest
#   make bench   — the benchmark scripts (ratios against the peers measured in the same run)
#   make docs    — build the documentation site into site/ (it runs the notebooks)
#   make pictures — redraw docs/img/ from the code printed beside each picture (docs/make_pictures.py),
#                   and the explorer's example page and screenshot (docs/make_explorer_example.py)
#   make notebook — open the notebooks in JupyterLab
#   make mutants — mutation testing of the core modules (mutmut; docs/testing.md), in .mutants/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# PyTorch is only the test oracle; this exact version is the CPU build these machines carry.
TORCH  := torch==2.13.0

.PHONY: demo test bench docs pictures notebook graphviz chromium clean mutants

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[demo]"
	touch $@

$(VENV)/.test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,demo,digits,docs,bench,notebooks]" $(TORCH)
	touch $@ $(VENV)/.demo

# The Python package `graphviz` only writes DOT text; pictures need Graphviz's `dot` binary.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "note: Graphviz's 'dot' is missing: install it (Debian: apt-get install graphviz," \
	         "macOS: brew install graphviz) to get pictures; DOT files are written anyway."; \
	  fi; }

# The explorer's browser tests (tests/show/test_explorer.py) drive Debian's headless Chromium through
# its own chromedriver with Selenium: nothing is downloaded at test time.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver >/dev/null; \
	  else \
	    echo "note: Chromium and chromedriver are missing: the browser tests of the explorer" \
	         "will be skipped (Debian: apt-get install chromium chromium-driver)."; \
	  fi; }

demo: $(VENV)/.demo graphviz
	$(BIN)/microgradnn demo
	@echo "The microgradnn command is installed in $(VENV)/: run 'source $(VENV)/bin/activate' to use it (or type $(BIN)/microgradnn)."

test: $(VENV)/.test graphviz chromium
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test
	$(BIN)/python benchmarks/scalar_engine.py
	$(BIN)/python benchmarks/expert_numpy.py
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/profile_step.py
	$(BIN)/python benchmarks/fit_digits.py
	$(BIN)/python benchmarks/micrograd_demo.py

docs: $(VENV)/.test graphviz
	$(BIN)/mkdocs build --strict

pictures: $(VENV)/.test graphviz chromium
	$(BIN)/python docs/make_pictures.py
	$(BIN)/python docs/make_explorer_example.py

$(VENV)/.lab: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[lab,notebooks,demo,digits]"
	touch $@

notebook: $(VENV)/.lab graphviz
	$(BIN)/jupyter lab notebooks/


# Mutation testing runs in a throwaway copy (.mutants/) so the work tree is never touched; the
# modules and tests are set in pyproject.toml [tool.mutmut]. MUTANTS="microgradnn.core.ops.*" runs
# only the mutants whose names match (fnmatch), e.g. those of the module you changed.
MUTANTS ?=
$(VENV)/.mutation: $(VENV)/.test
	$(BIN)/pip install --quiet -e ".[mutation]"
	touch $@

mutants: $(VENV)/.mutation
	rm -rf .mutants && mkdir .mutants && cp -rL microgradnn tests docs pyproject.toml .mutants/
	cd .mutants && ../$(BIN)/mutmut run --max-children 2 $(MUTANTS) > mutmut.log 2>&1 || \
	  { tail -c 3000 mutmut.log; exit 1; }
	$(BIN)/python tools/mutation/mutation_score.py .mutants
	$(BIN)/python tools/mutation/mutate_ops.py --jobs 2

clean:
	rm -rf $(VENV) site microgradnn-demo .pytest_cache .hypothesis .cache .mutants
