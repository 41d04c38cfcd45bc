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

# Scale benchmark of the controller side (no lab, no root): 1000 recorded diagnoses through the
# evaluation, the fleet stage and the report, in process and under ansible-playbook, the same for
# BENCH_SCALE_BASELINE (the commit before the fleet-scale report) in the same run, and report.html in
# headless Chromium (apt-get install -y chromium), and the role's report task over an inventory of the
# 1000 hosts (--fleet-playbook, the slowest part). Writes its section of tests/bench/results.md.
BENCH_SCALE_HOSTS ?= 1000
BENCH_SCALE_BASELINE ?= a30f6cf
BENCH_SCALE_ARGS ?= --chromium --fleet-playbook

.PHONY: bench-scale
bench-scale: collection ## Scale benchmark: 1000 recorded diagnoses -> report (tests/bench/results.md)
	$(BENCH_PYTHON) tests/bench/scale.py --hosts $(BENCH_SCALE_HOSTS) --baseline $(BENCH_SCALE_BASELINE) \
	  --output tests/bench/results.md $(BENCH_SCALE_ARGS)

# Live scale benchmark (not part of `make test`, root, no lab up): the diagnose playbook on
# BENCH_LIVE_GUESTS lab guests at each of BENCH_LIVE_FORKS, per-host costs, and a projection for 1000
# VMs at forks 50 (with the report task's time at 1000 hosts from bench-scale). Writes its section of
# tests/bench/results.md.
BENCH_LIVE_GUESTS ?= 40
BENCH_LIVE_FORKS ?= 10,20,40
BENCH_LIVE_ARGS ?=

.PHONY: bench-live
bench-live: collection lab-template ## Live scale benchmark on lab guests (tests/bench/results.md)
	$(BENCH_PYTHON) tests/bench/live_scale.py --guests $(BENCH_LIVE_GUESTS) --forks $(BENCH_LIVE_FORKS) \
	  --output tests/bench/results.md $(BENCH_LIVE_ARGS)

# Triage benchmark (not part of `make test`, no lab, no root): the triage playbook against
# azure_rm_virtualmachine_info on every VM, in one run, on the fake Azure of tests/azure with a generated
# fleet of BENCH_TRIAGE_VMS VMs of which BENCH_TRIAGE_FAILED failed their last backup; ARM requests and
# wall time, and the diagnose playbook's requests over the failed VMs and over all of them. Writes its
# section of tests/bench/results.md.
BENCH_TRIAGE_VMS ?= 1000
BENCH_TRIAGE_FAILED ?= 50
BENCH_TRIAGE_ARGS ?=

.PHONY: bench-triage
bench-triage: collection wheel-collections ## Triage vs azure_rm_virtualmachine_info on a fake Azure of 1000 VMs (tests/bench/results.md)
	$(BENCH_PYTHON) tests/bench/triage.py --vms $(BENCH_TRIAGE_VMS) --failed $(BENCH_TRIAGE_FAILED) \
	  --output tests/bench/results.md $(BENCH_TRIAGE_ARGS)
