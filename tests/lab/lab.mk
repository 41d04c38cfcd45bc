# Lab targets; the project Makefile does `include tests/lab/lab.mk`. See tests/lab/README.md.
# Everything here needs root.
#
#   make lab-deps                    host packages + private systemd-nspawn (idempotent)
#   make lab-template                build or reuse the cached Debian 12 template
#   make lab-up [LAB_GUESTS=3] [LAB_FAULTS="guest1=agent_stopped guest2=wireserver_80_drop"] [LAB_WAIT_AGENT=1]
#   make lab-status / lab-inventory / lab-faults
#   make lab-down                    stop everything the lab started (safe any time)
#   make lab-test                    the lab self-test (boots 2 guests, every fault)
#   make lab-clean-cache             drop the cached template and systemd-nspawn

LAB_DIR        := tests/lab
LAB_VENV_BIN   ?= $(CURDIR)/.venv/bin
LAB_PYTHON     ?= $(if $(wildcard $(LAB_VENV_BIN)/python3),$(LAB_VENV_BIN)/python3,python3)
LAB_CLI        := $(LAB_PYTHON) $(LAB_DIR)/lab.py
LAB_GUESTS     ?= 3
LAB_FAULTS     ?=
LAB_WAIT_AGENT ?=
LAB_CACHE      ?= /var/cache/snapshot-doctor-lab
LAB_ENV        := PATH="$(LAB_VENV_BIN):$$PATH" LAB_CACHE="$(LAB_CACHE)"

.PHONY: lab-deps lab-template lab-up lab-down lab-status lab-inventory lab-faults lab-test lab-clean-cache

lab-deps:
	LAB_CACHE="$(LAB_CACHE)" sh $(LAB_DIR)/deps.sh

lab-template: lab-deps
	$(LAB_ENV) $(LAB_CLI) template

lab-up: lab-template
	$(LAB_ENV) $(LAB_CLI) up --guests $(LAB_GUESTS) $(foreach fault,$(LAB_FAULTS),--fault $(fault)) \
		$(if $(LAB_WAIT_AGENT),--wait-agent)

lab-down:
	$(LAB_ENV) $(LAB_CLI) down

lab-status:
	$(LAB_ENV) $(LAB_CLI) status

lab-inventory:
	@$(LAB_ENV) $(LAB_CLI) inventory

lab-faults:
	@$(LAB_ENV) $(LAB_CLI) fault list

lab-test: lab-template
	$(LAB_ENV) $(LAB_VENV_BIN)/pytest -p no:cacheprovider -v $(LAB_DIR)

lab-clean-cache: lab-down
	rm -rf "$(LAB_CACHE)"
