"""`make bench`: every benchmark in one run, written into docs/benchmarks.md.

Each benchmark module exposes run() -> result and markdown(result) -> text; its text
replaces the section between its markers in docs/benchmarks.md, so benchmarks added
later keep their own sections.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
sys.path.insert(0, HERE)

import deploy_bench  # noqa: E402
import inventory_bench  # noqa: E402
import offline_bench  # noqa: E402

BENCHMARKS = [("inventory", inventory_bench), ("node-runtime", deploy_bench), ("offline", offline_bench)]

HEAD = """# Benchmarks

`make bench` runs every benchmark below in one go and rewrites its section of this page. Figures
are wall-clock times (CPU time where a column says so) on the machine named in each section; compare
figures only within a section.
"""


def machine():
    version = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "--version"],
                             capture_output=True, text=True, check=False).stdout.splitlines()[0]
    return "%s, %d cores, Python %s, %s, %s" % (platform.machine(), os.cpu_count(), platform.python_version(),
                                                 version.strip(), datetime.date.today().isoformat())


def replace_section(text, name, body):
    start, end = "<!-- bench:%s:start -->" % name, "<!-- bench:%s:end -->" % name
    block = "%s\n%s\n%s" % (start, body.strip(), end)
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def main():
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    text = open(DOC).read() if os.path.exists(DOC) else HEAD
    where = machine()
    failed = []
    only = [a for a in sys.argv[1:]]
    for name, bench in BENCHMARKS:
        if only and name not in only:
            continue
        print("== bench %s" % name, flush=True)
        result = bench.run()
        body = "Machine: %s.\n\n%s" % (where, bench.markdown(result))
        print(body)
        with open(os.path.join(HERE, "out", name + ".json"), "w") as handle:
            json.dump(result, handle, indent=2)
        text = replace_section(text, name, body)
        failed += [target for target, met in result.get("targets", {}).items() if not met]
    with open(DOC, "w") as handle:
        handle.write(text)
    print("docs/benchmarks.md updated" + ("; targets missed: " + "; ".join(failed) if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
