# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: setup data demo test lint bench clean

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

setup: $(STAMP) data

demo: setup
	$(VENV)/bin/lrkit demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks

bench: setup
	$(PY) benchmarks/bench_overhead.py
	$(PY) benchmarks/bench_finder.py
	$(PY) benchmarks/bench_threads.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
