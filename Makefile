# aiplatform.cluster: the two commands of the README, and the layers under them.
#   make lab    run site.yml on the built-in container lab (inventories/lab/config.yaml)
#   make test   lint, sanity, units, every molecule scenario (what CI runs)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
# Molecule scenarios, fastest first; `make molecule SCENARIOS=default` runs one.
SCENARIOS ?= $(shell ls -d molecule/*/ 2>/dev/null | xargs -n1 basename | sort)
STAMP := $(VENV)/.installed

.PHONY: reset-results test test-unit lint sanity molecule lab lab-down bench docker images venv clean docs

test: reset-results venv docker images lint sanity test-unit molecule
	@$(PY) scripts/summary.py

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

docker:
	scripts/ensure-docker.sh

images: docker
	scripts/build-images.sh

lint: venv
	@mkdir -p .cache/results
	$(PY) scripts/gen_config_doc.py --check
	yamllint -s . && ansible-lint -q --profile production && echo "lint ok" | tee .cache/results/lint

sanity: venv
	scripts/sanity.sh

test-unit: venv
	@mkdir -p .cache/results
	$(PY) -m pytest tests/unit -q -p no:cacheprovider --junitxml=.cache/results/unit.xml

molecule: venv docker images
	@mkdir -p .cache/results
	@for s in $(SCENARIOS); do \
	  echo "== molecule test -s $$s"; \
	  if molecule test -s $$s; then echo "$$s passed" >.cache/results/molecule-$$s; \
	  else echo "$$s failed" >.cache/results/molecule-$$s; fi; \
	done
	@! grep -l failed .cache/results/molecule-* 2>/dev/null

lab: venv docker images
	$(PY) lab/lab.py up
	@# GPU/NPU runtimes need vendor packages no registry here serves: skipped, and said so.
	ansible-playbook site.yml -i inventories/lab --skip-tags gpu,npu | tee .cache/lab-run.log
	$(PY) lab/lab.py summary .cache/lab-run.log

lab-down:
	$(PY) lab/lab.py down

bench: venv docker images
	$(PY) -m pip install -q -r bench/requirements.txt -c constraints.txt
	$(PY) bench/run.py $(BENCH)

docs: venv
	$(PY) scripts/gen_config_doc.py

clean:
	rm -rf .cache/results .cache/facts .build

reset-results:
	rm -rf .cache/results
