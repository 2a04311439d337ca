# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
# The coverage `make test` requires (measured after the issue-15 refactor; README, Development).
COVERAGE_FLOOR := 93

.PHONY: install demo test bench lint clean browser docs dist

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch==2.13.0 first: pip then takes the CPU wheel on disk instead of a multi-GB CUDA build.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[all,test,bench,docs,dist]'
	touch $(STAMP)

install: $(STAMP)

# The main job: the yay-or-nay verdict on a real dataset and on a synthetic curve.
demo: install
	$(VENV)/bin/galton compare concrete --target strength --report report.html
	$(VENV)/bin/galton compare age-income --target income --report report-age-income.html

# The report's browser test needs Chromium: installed here where apt-get may (root), else
# the test says it was skipped and why (CI requires it: GALTON_REQUIRE_BROWSER=1).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver >/dev/null || echo "make: could not install chromium; the browser test will be skipped"; \
	else echo "make: chromium and chromium-driver are missing (need root and apt-get); the browser test will be skipped"; fi

# Lint, the type check, then the suite with coverage (subprocesses included) and its floor.
test: install browser
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy
	$(PY) -m pytest -q --cov=galton --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
	$(MAKE) docs

# The documentation site (site/): every example runs during the build, and any warning
# (a broken internal link, a failed example, a missing docstring target) fails it.
docs: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# The sdist and wheel, checked by twine, installed into a clean venv outside the tree and
# used there (bundled data, report, entry point, a model file saved by this tree).
dist: install
	.ci/wheel-check $(PY)

# Speed and accuracy against the competitors, measured in the same run (a quiet 2-core
# machine: 40 minutes on 2026-12-02, whose output is kept in bench/logs/).
bench: install
	$(PY) bench/ols.py --repeats 3
	$(PY) bench/neural.py --splits 3 --repeats 3
	$(PY) bench/engines.py --repeats 5
	$(PY) bench/uci.py
	$(PY) bench/uci.py --ensemble 5
	$(PY) bench/stream.py --gigabytes 5 --memory-limit 1GB

lint: install
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format src tests bench examples

clean:
	rm -rf $(VENV) build dist site src/*.egg-info src/galton/_version.py
