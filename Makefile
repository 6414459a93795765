# Two commands on a fresh machine: `make demo` and `make test`. Each creates the virtual
# environment .venv and installs what it needs (Python packages; for the tests also Debian's melt).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= cinegrade-demo

.PHONY: demo test lint venv system-deps clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test]'
	touch $@

venv: $(BIN)/.installed

# Programs the tests run for real (Debian packages): MLT's melt renders the Kdenlive projects
# cinegrade writes; Kdenlive itself opens them under Xvfb; Chromium renders the HTML report.
# program:package pairs; only the missing ones are installed.
SYSTEM_PROGRAMS := melt:melt frei0r:frei0r-plugins kdenlive:kdenlive xvfb-run:xvfb xauth:xauth \
	xdotool:xdotool dbus-daemon:dbus import-im6.q16:imagemagick chromium:chromium

system-deps:
	@missing=""; for pair in $(SYSTEM_PROGRAMS); do \
	  program=$${pair%%:*}; package=$${pair#*:}; \
	  if [ "$$program" = frei0r ]; then [ -d /usr/lib/frei0r-1 ] || missing="$$missing $$package"; \
	  elif ! command -v $$program >/dev/null 2>&1; then missing="$$missing $$package"; fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: venv
	$(BIN)/cinegrade demo $(DEMO_DIR)

# ruff, and the layering of the data flow (import-linter's contracts in pyproject.toml) checked on
# the package as it installs: grading/ becomes cinegrade/ with cli/, luts/ and otio_plugins/
# inside it, which import-linter cannot see through the editable install's folder mapping.
LINT_TREE := build/lint
lint: venv
	$(BIN)/ruff check .
	rm -rf $(LINT_TREE) && $(BIN)/python -m pip install --quiet --no-deps --no-compile --target $(LINT_TREE) .
	cd $(LINT_TREE) && PYTHONPATH=. $(abspath $(BIN))/lint-imports --config $(CURDIR)/pyproject.toml

test: venv system-deps lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
