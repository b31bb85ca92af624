#!/usr/bin/env python3
"""Run one molecule scenario on the platforms whose base image exists.

    scripts/molecule_scenario.py SCENARIO

Molecule cannot make a platform conditional, and an Ubuntu base image is missing when
its archive did not answer at build time (scripts/build-images.sh skips it and says so).
So: when every image of the scenario exists, this is exactly `molecule test -s SCENARIO`;
when some are missing, it says which platforms it leaves out and runs
`molecule test -s SCENARIO -p NAME` for each of the others, one after the other. A scenario
with none of its images fails. Exit status: molecule's (non-zero if any run failed).

Scenario `mitogen` runs under Mitogen's strategy (docs/mitogen.md): its molecule.yml takes the strategy
plugins' folder from AIPLATFORM_MITOGEN_STRATEGY_PLUGINS, which this script sets from the installed
`ansible_mitogen` (requirements-mitogen.txt); without it that scenario fails here, saying so.
"""
import importlib.util
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def platforms(scenario):
    with open(os.path.join(ROOT, "molecule", scenario, "molecule.yml")) as handle:
        config = yaml.safe_load(handle) or {}
    return [(p["name"], os.path.expandvars(p.get("image", ""))) for p in config.get("platforms", [])]


def image_exists(image):
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False).returncode == 0


MITOGEN_ENV = "AIPLATFORM_MITOGEN_STRATEGY_PLUGINS"
MITOGEN_SCENARIOS = ("mitogen",)


def mitogen_strategy_plugins(find_spec=importlib.util.find_spec):
    """The folder of Mitogen's strategy plugins (<ansible_mitogen>/plugins/strategy), or None when
    ansible_mitogen is not importable or has no such folder."""
    try:
        spec = find_spec("ansible_mitogen")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(list(spec.submodule_search_locations)[0], "plugins", "strategy")
    return folder if os.path.isfile(os.path.join(folder, "mitogen_linear.py")) else None


def scenario_env(scenario, environ, strategy_plugins):
    """(environment for molecule, or None, problem): a Mitogen scenario needs the strategy plugins."""
    if scenario not in MITOGEN_SCENARIOS:
        return dict(environ), None
    if not strategy_plugins:
        return None, ("molecule %s: Mitogen is not installed in this Python (%s); fix: pip install -r "
                      "requirements-mitogen.txt -c constraints.txt" % (scenario, sys.executable))
    return dict(environ, **{MITOGEN_ENV: strategy_plugins}), None


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    scenario = argv[1]
    env, problem = scenario_env(scenario, os.environ, mitogen_strategy_plugins())
    if problem:
        print(problem)
        return 1
    found = platforms(scenario)
    present = [name for name, image in found if image_exists(image)]
    missing = ["%s (%s)" % (name, image) for name, image in found if name not in present]
    if not missing:
        return subprocess.call(["molecule", "test", "-s", scenario], env=env)
    if not present:
        print("molecule %s: none of its images exists: %s; run make images" % (scenario, ", ".join(missing)))
        return 1
    print("molecule %s: LEFT OUT, image missing: %s" % (scenario, ", ".join(missing)))
    status = 0
    for name in present:
        status |= subprocess.call(["molecule", "test", "-s", scenario, "-p", name], env=env)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
