# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: setup data services browser demo test lint bench bench-suite bench-quick clean

# torch first, pinned to the CPU build on this machine's disk; otherwise a dependency pulls a CUDA build.
$(STAMP): pyproject.toml Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

# Fashion-MNIST comes from Debian's package; installing it needs root (apt), so say so otherwise.
data:
	@if [ ! -f $(FASHION) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null)); \
		else \
			echo "note: Fashion-MNIST tasks need 'apt-get install dataset-fashion-mnist' (as root)"; \
		fi; \
	fi

# The search tests start their own throwaway PostgreSQL server, so this only installs Debian's package.
# The drop-in stops the package from creating (and so starting) its default cluster on port 5432.
services:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			mkdir -p /etc/postgresql-common/createcluster.d && \
			echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/lrkit.conf; \
			(apt-get install -y -qq postgresql >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)) || \
			echo "note: could not install PostgreSQL; the search tests that need it will be skipped"; \
		else \
			echo "note: search tests need a PostgreSQL server: 'apt-get install postgresql' (as root)"; \
		fi; \
	fi

# The report's browser test opens the HTML report in headless Chromium (Debian's package, no download).
browser:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
			 (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)) || \
			echo "note: could not install Chromium; the report's browser test will be skipped"; \
		else \
			echo "note: the report's browser test needs 'apt-get install chromium' (as root)"; \
		fi; \
	fi

setup: $(STAMP) data services browser

demo: setup
	$(VENV)/bin/lrkit demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks

bench: setup
	$(PY) benchmarks/bench_startup.py
	$(PY) benchmarks/bench_overhead.py
	$(PY) benchmarks/bench_finder.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_threads.py
	cd benchmarks && ../$(PY) bench_tune.py
	cd benchmarks && ../$(PY) bench_tune.py --held-out
	cd benchmarks && ../$(PY) bench_function.py
	$(MAKE) bench-suite

# The 45-task suite, design and test split side by side (docs/benchmarks.md); its oracle and
# anchors are cached in benchmarks/, so a fresh clone trains tune's searches and their scoring only.
bench-suite: setup
	cd benchmarks && ../$(PY) bench_tune.py --suite --budgets 1,2,3
	cd benchmarks && ../$(PY) bench_search.py --suite --strategies sha --no-speedup

# Four design and four test tasks, for iterating (never for a claim).
bench-quick: setup
	cd benchmarks && ../$(PY) bench_tune.py --suite --quick --budgets 1,2,3

clean:
	rm -rf $(VENV) build dist .pytest_cache
