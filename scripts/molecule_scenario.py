#!/usr/bin/env python3
"""Run one molecule scenario on the platforms whose base image exists.

    scripts/molecule_scenario.py SCENARIO

Molecule cannot make a platform conditional, and an Ubuntu base image is missing when
its archive did not answer at build time (scripts/build-images.sh skips it and says so).
So: when every image of the scenario exists, this is exactly `molecule test -s SCENARIO`;
when some are missing, it says which platforms it leaves out and runs
`molecule test -s SCENARIO -p NAME` for each of the others, one after the other. A scenario
with none of its images fails. Exit status: molecule's (non-zero if any run failed).
"""
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


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    scenario = argv[1]
    found = platforms(scenario)
    present = [name for name, image in found if image_exists(image)]
    missing = ["%s (%s)" % (name, image) for name, image in found if name not in present]
    if not missing:
        return subprocess.call(["molecule", "test", "-s", scenario])
    if not present:
        print("molecule %s: none of its images exists: %s; run make images" % (scenario, ", ".join(missing)))
        return 1
    print("molecule %s: LEFT OUT, image missing: %s" % (scenario, ", ".join(missing)))
    status = 0
    for name in present:
        status |= subprocess.call(["molecule", "test", "-s", scenario, "-p", name])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
