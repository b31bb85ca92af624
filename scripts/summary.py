#!/usr/bin/env python3
"""Print what `make test` did, stage by stage, ending with one `N passed, N failed` line.

    scripts/summary.py STAGE...      (the stages `make test` ran, in order)

Reads .cache/results/, which scripts/stage.sh writes for each stage. Counts: every unit
test (pytest's JUnit XML), every molecule scenario, and each other stage once. A stage
without a result did not run (a stage it needs failed) and counts as failed. Stdlib only,
so it reports even when the virtual environment could not be built. Exit status 1 when
anything failed; the last line is also written to .cache/results/summary.txt.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "results")


def read(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return handle.read().strip()


def unit_counts():
    path = os.path.join(RESULTS, "unit.xml")
    if not os.path.exists(path):
        return None
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    total = int(suite.get("tests", 0))
    bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    return total - bad - skipped, bad, skipped


def main(stages):
    passed = failed = 0
    print("\n== make test summary")
    for stage in stages:
        if stage == "molecule":
            continue
        outcome = read(stage)
        if stage == "unit" and outcome and unit_counts():
            good, bad, skipped = unit_counts()
            # A failing stage with no failing test (a collection error) still counts once.
            bad = bad or int(outcome.startswith("failed"))
            passed, failed = passed + good, failed + bad
            print("unit tests: %d passed, %d failed, %d skipped (%s)" % (good, bad, skipped, outcome.split()[-1]))
            continue
        ok = bool(outcome) and outcome.startswith("passed")
        passed, failed = passed + ok, failed + (not ok)
        print("%s: %s" % (stage, outcome or "not run (a stage it needs failed)"))
    if "molecule" in stages:
        scenarios = sorted(glob.glob(os.path.join(RESULTS, "molecule-*")))
        if not scenarios:
            failed += 1
            print("molecule: not run (a stage it needs failed)")
        for path in scenarios:
            outcome = read(os.path.basename(path))
            name = os.path.basename(path)[len("molecule-"):]
            if outcome.startswith("skipped"):
                print("molecule %s: %s" % (name, outcome))
                continue
            ok = outcome.startswith("passed")
            passed, failed = passed + ok, failed + (not ok)
            print("molecule %s: %s" % (name, outcome))
    line = "%d passed, %d failed" % (passed, failed)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "summary.txt"), "w") as handle:
        handle.write(line + "\n")
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
