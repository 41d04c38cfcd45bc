# Benchmark of the diagnosis (not part of `make test`): included by the top-level Makefile.
# Boots 10 lab guests (root), compares the diagnose playbook with `ansible -m setup` on 1, 5 and 10
# of them, healthy and with every platform endpoint blackholed, writes tests/bench/results.md and
# fails when a target is missed. BENCH_ARGS passes more options, e.g.
#   make bench BENCH_ARGS='--extra-vars diagnose_load_interval=0.2'
BENCH_PYTHON ?= .venv/bin/python
BENCH_SIZES ?= 1,5,10
BENCH_ROUNDS ?= 3
BENCH_ARGS ?=

.PHONY: bench
bench: ## Benchmark the diagnose playbook against ansible -m setup (tests/bench/results.md)
	$(BENCH_PYTHON) tests/bench/bench.py --sizes $(BENCH_SIZES) --rounds $(BENCH_ROUNDS) \
	  --output tests/bench/results.md $(BENCH_ARGS)
