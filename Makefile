# Developer entry point. Everything the tests need is installed from here, nothing by hand.
#   make test   - unit tests with coverage, azure.azcollection against a fake Azure, ansible-test sanity,
#                 ansible-lint, lab and integration tests
#   make demo   - the main job on the embedded lab of simulated Azure Linux VMs
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Playbooks and ansible-test see the working tree as the installed collection.
COLLECTIONS := $(CURDIR)/.build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/azure_backup/snapshot_doctor
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
SANITY_COLLECTIONS := $(CURDIR)/.build/sanity/ansible_collections
SANITY_TREE := $(SANITY_COLLECTIONS)/azure_backup/snapshot_doctor
# ansible-test fetches a pip bootstrap script from the internet; we hand it an offline one instead.
ANSIBLE_TEST_PIP_BOOTSTRAP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
COVERAGE_MIN := 90

.PHONY: help venv collection wheel-collections windows-collection units azure-test sanity lint changelog-lint integration molecule test demo clean

help:
	@echo "make test    - run every test (what CI runs)"
	@echo "make demo    - diagnose and remediate the lab of simulated Azure Linux VMs (KEEP=1 keeps it up)"
	@echo "make units | azure-test | sanity | lint | lab-test | bench"

$(VENV)/.installed: requirements/dev.txt requirements/azure.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

venv: $(VENV)/.installed

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

collection: venv $(COLLECTION_LINK)

units: collection
	sh tests/unit/deps.sh
	$(BIN)/pytest tests/unit -q -p no:cacheprovider \
	  --cov=plugins/module_utils --cov=plugins/plugin_utils --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_MIN)

# Collections from the PyPI ansible package's wheel (Galaxy is unreachable here): only these are unpacked.
# - ansible.windows: the Windows backend runs its win_powershell module; a test checks the action's arguments
#   against win_powershell's real argument documentation (it skips without it).
# - azure.azcollection: the control plane (our arm_info module is built on its module_utils and doc fragment,
#   the fixes run its modules); tests/azure runs them against a fake Azure Resource Manager.
# `windows-collection` is the old name, kept because other targets and habits use it.
ANSIBLE_WHEEL_VERSION := 12.3.0
ANSIBLE_WHEEL := .build/wheels/ansible-$(ANSIBLE_WHEEL_VERSION)-py3-none-any.whl
WHEEL_COLLECTIONS := ansible/windows azure/azcollection
wheel-collections: venv
	set -e; for c in $(WHEEL_COLLECTIONS); do \
	  test -f $(COLLECTIONS)/ansible_collections/$$c/MANIFEST.json && continue; \
	  test -f $(ANSIBLE_WHEEL) || \
	    $(BIN)/pip download --quiet --no-deps --disable-pip-version-check -d .build/wheels ansible==$(ANSIBLE_WHEEL_VERSION); \
	  rm -rf $(COLLECTIONS)/ansible_collections/$$c && mkdir -p $(COLLECTIONS)/ansible_collections/$$c; \
	  $(BIN)/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("ansible_collections/" + sys.argv[3] + "/")])' \
	    $(ANSIBLE_WHEEL) $(COLLECTIONS) $$c; \
	done

windows-collection: wheel-collections

# azure.azcollection's real modules, by ansible-playbook, against the fake Azure Resource Manager of
# tests/azure (nothing leaves 127.0.0.1).
azure-test: collection wheel-collections
	$(BIN)/pytest tests/azure -q -p no:cacheprovider

# ansible-test wants the tree under ansible_collections/<namespace>/<name>/ inside a git checkout:
# copy what git tracks or would track (untracked, not ignored) into such a tree and index it there.
# The collections ours uses (azure.azcollection's doc fragment and module_utils) are linked beside it.
sanity: collection wheel-collections
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	set -e; for c in $(WHEEL_COLLECTIONS); do \
	  mkdir -p $(SANITY_COLLECTIONS)/$$(dirname $$c) && \
	  ln -sfn $(COLLECTIONS)/ansible_collections/$$c $(SANITY_COLLECTIONS)/$$c; done
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -P {} $(SANITY_TREE)/ 2>/dev/null || true
	cd $(SANITY_TREE) && git init -q && git add -A
	install -D -m 0644 tests/sanity/get_pip_offline.py $(ANSIBLE_TEST_PIP_BOOTSTRAP)
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --python 3.11 --requirements --color no

lint: collection windows-collection
	$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-changelog lint

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

include tests/lab/lab.mk
include tests/bench/bench.mk

# One molecule scenario per role, on lab guests (molecule/_lab creates and destroys them).
MOLECULE_SCENARIOS := default agent connectivity snapshot collect_logs
molecule: collection lab-template
	set -e; for scenario in $(MOLECULE_SCENARIOS); do $(BIN)/molecule test -s $$scenario; done

# The lab targets run the venv's pytest and ansible.
lab-template: venv

# The diagnosis against lab guests with every fault; boots its own guests, so no lab may be up.
integration: collection lab-template
	$(BIN)/pytest tests/integration -q -p no:cacheprovider

# The lab self-test, the roles and the end-to-end diagnosis need root and the lab; the static checks
# and unit tests first, because they fail fastest. The run ends with pytest's summary line.
test: sanity lint units azure-test lab-test molecule integration

# The README's main command: 3 lab guests with different faults, diagnose, remediate, diagnose again.
demo: collection lab-template
	KEEP="$(KEEP)" PATH="$(BIN):$$PATH" bash tests/lab/demo.sh

clean:
	rm -rf .build tests/output
