#!/usr/bin/env python3
"""Print what `make test` did, stage by stage, ending with one `N passed, N failed` line.

Counts: every unit test (from pytest's JUnit XML), every molecule scenario, the lint
stage and the sanity stage. Reads .cache/results/, which the Makefile stages write.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "results")


def main():
    passed = failed = 0
    lines = []
    unit = os.path.join(RESULTS, "unit.xml")
    if os.path.exists(unit):
        root = ET.parse(unit).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        total = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        passed += total - bad - skipped
        failed += bad
        lines.append("unit tests: %d passed, %d failed, %d skipped" % (total - bad - skipped, bad, skipped))
    for name in ("lint", "sanity"):
        path = os.path.join(RESULTS, name)
        ok = os.path.exists(path)
        passed += ok
        failed += not ok
        lines.append("%s: %s" % (name, "passed" if ok else "missing or failed"))
    for path in sorted(glob.glob(os.path.join(RESULTS, "molecule-*"))):
        with open(path) as handle:
            text = handle.read().strip()
        ok = text.endswith("passed")
        passed += ok
        failed += not ok
        lines.append("molecule %s" % text)
    for line in lines:
        print(line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
