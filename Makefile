# aiplatform.cluster: the two commands of the README, and the layers under them.
#   make lab    run site.yml on the built-in container lab (inventories/lab/config.yaml)
#   make test   lint, sanity, units, every molecule scenario (what CI runs, through .ci/run)
# docs/testing.md says what each layer proves and how long it takes.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
STAMP := $(VENV)/.installed
STAGE := scripts/stage.sh
# Molecule scenarios `make molecule` leaves out (each named with the reason in a comment).
MOLECULE_SKIP ?=
# Every scenario under molecule/; `make molecule SCENARIOS=default` runs one.
SCENARIOS ?= $(sort $(notdir $(patsubst %/,%,$(wildcard molecule/*/))))
TEST_STAGES := venv docker images lint sanity unit molecule

.PHONY: test venv docker images lint sanity test-unit molecule lab lab-down bench docs changelog clean reset-results

# Every stage runs even when an earlier independent one failed (-k); stages that need a
# failed one are reported as not run. The last line is `N passed, N failed` (CI reads it).
test: reset-results
	@$(MAKE) --no-print-directory -k venv docker images lint sanity test-unit molecule || true
	@python3 scripts/summary.py $(TEST_STAGES)

# The virtual environment, rebuilt only when a requirement file changed (stamp file).
venv: $(STAMP)
	@$(STAGE) venv true
$(STAMP): requirements.txt requirements-dev.txt requirements-mitogen.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip -c constraints.txt
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# The Docker engine, and the tools the control machine needs to build an offline bundle.
docker:
	@$(STAGE) docker bash -c 'scripts/ensure-docker.sh && scripts/ensure-tools.sh'

images: docker
	@$(STAGE) images scripts/build-images.sh

lint: venv
	@$(STAGE) lint bash -c '$(PY) scripts/gen_config_doc.py --check && yamllint -s . && ansible-lint -q --profile production \
	  && antsibull-changelog lint && $(PY) scripts/changelog.py --check'

sanity: venv
	@$(STAGE) sanity scripts/sanity.sh

# pytest exits 5 when it collects no test: not a failure of this stage (the summary says 0).
test-unit: venv
	@$(STAGE) unit bash -c '$(PY) -m pytest tests/unit -q -p no:cacheprovider --junitxml=.cache/results/unit.xml \
	  || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest: no unit tests collected"; [ $$rc -eq 5 ]; }'

molecule: venv docker images
	@mkdir -p .cache/results; fail=0; \
	for s in $(SCENARIOS); do \
	  if [[ " $(MOLECULE_SKIP) " == *" $$s "* ]]; then \
	    echo "skipped (MOLECULE_SKIP)" >.cache/results/molecule-$$s; echo "== molecule $$s: skipped (MOLECULE_SKIP)"; continue; \
	  fi; \
	  echo "== molecule test -s $$s"; \
	  $(STAGE) molecule-$$s $(PY) scripts/molecule_scenario.py $$s || fail=1; \
	done; exit $$fail

# The summary is printed even when the run failed; the exit status is the playbook's.
lab: venv docker images
	$(PY) lab/lab.py up
	@# GPU/NPU runtimes need vendor packages no registry here serves: skipped, and said so.
	@# Kubernetes: prepared for real (kubeadm_lifecycle false in the lab), the lifecycle in check mode.
	@# The stage summary callback (ansible.cfg) also writes its table as JSON for lab.py summary.
	@rc=0; rm -f .cache/lab-run.json .cache/lab-check.json; \
	  AIPLATFORM_STAGE_SUMMARY_FILE=.cache/lab-run.json ansible-playbook site.yml -i inventories/lab --skip-tags gpu,npu \
	    | tee .cache/lab-run.log || rc=$$?; \
	  [ $$rc -ne 0 ] || AIPLATFORM_STAGE_SUMMARY_FILE=.cache/lab-check.json ansible-playbook site.yml -i inventories/lab \
	    --tags kubeadm --check -e @lab/kubeadm-check.yml | tee .cache/lab-check.log || rc=$$?; \
	  $(PY) lab/lab.py summary .cache/lab-run.json .cache/lab-check.json; exit $$rc

lab-down:
	$(PY) lab/lab.py down

# Benchmarks inventory, deploy (full site.yml on 1-20 lab nodes, rerun at 40), offline into docs/benchmarks.md;
# `make bench BENCH=deploy` runs one, AIPLATFORM_BENCH_SIZES=1,5 picks the deploy lab sizes (docs/benchmarks.md).
bench: venv docker images
	$(PY) -m pip install -q -r bench/requirements.txt -c constraints.txt
	$(PY) bench/run.py $(BENCH)

docs: venv
	$(PY) scripts/gen_config_doc.py

# CHANGELOG.rst for the next release, from changelogs/fragments (a release runs antsibull-changelog release).
changelog: venv
	$(PY) scripts/changelog.py

clean:
	rm -rf .cache/results .cache/facts .build

reset-results:
	@rm -rf .cache/results && mkdir -p .cache/results
