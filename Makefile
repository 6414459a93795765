# Two commands on a fresh machine: `make demo` and `make test`. Each creates the virtual
# environment .venv and installs what it needs (Python packages; for the tests also Debian's melt).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= cinegrade-demo

.PHONY: demo test venv system-deps clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test]'
	touch $@

venv: $(BIN)/.installed

# Programs the tests run for real: MLT's melt renders the Kdenlive projects cinegrade writes.
system-deps:
	@command -v melt >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends melt frei0r-plugins; }

demo: venv
	$(BIN)/cinegrade demo $(DEMO_DIR)

test: venv system-deps
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
