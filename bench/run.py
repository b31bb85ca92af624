"""`make bench`: every benchmark in one run, written into docs/benchmarks.md.

    bench/run.py [NAME...]     only the benchmarks named (inventory, deploy, offline, kubespray)

Each benchmark module exposes run() -> result, markdown(result) -> text and headline(result)
-> [(figure, value)]; its text replaces the section between its markers in docs/benchmarks.md,
so benchmarks added later keep their own sections, and the sections of benchmarks not run
this time stay as they were. After all ran, the `summary` section at the top of the page gets
the headline figures of those that ran in this invocation. AIPLATFORM_BENCH_DOC writes another
page instead (it starts as a copy of docs/benchmarks.md; the plots go next to it).
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
DEFAULT_DOC = os.path.join(ROOT, "docs", "benchmarks.md")
DOC = os.path.abspath(os.environ.get("AIPLATFORM_BENCH_DOC") or DEFAULT_DOC)
sys.path.insert(0, HERE)

import deploy_bench  # noqa: E402
import inventory_bench  # noqa: E402
import kubespray_bench  # noqa: E402
import offline_bench  # noqa: E402

BENCHMARKS = [("inventory", inventory_bench), ("deploy", deploy_bench), ("offline", offline_bench),
              ("kubespray", kubespray_bench)]

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


def place_summary(text, body):
    """``text`` with the summary section replaced, or inserted before the first benchmark's section."""
    start = "<!-- bench:summary:start -->"
    if start in text:
        return replace_section(text, "summary", body)
    block = "%s\n%s\n<!-- bench:summary:end -->\n\n" % (start, body.strip())
    first = text.find("<!-- bench:")
    if first < 0:
        return text.rstrip() + "\n\n" + block
    return text[:first] + block + text[first:]


def summary(where, ran):
    """The summary section: the headline figures and the targets of each (name, module, result) in ``ran``."""
    lines = ["### Summary of the last `make bench`", "",
             "Machine: %s. Benchmarks run: %s; the sections of any other benchmark below are from an earlier run."
             % (where, ", ".join(name for name, _bench, _result in ran)), "",
             "| benchmark | figure | value |", "| --- | --- | --- |"]
    for name, bench, result in ran:
        for figure, value in bench.headline(result):
            lines.append("| %s | %s | %s |" % (name, figure, value))
        targets = result.get("targets", {})
        if targets:
            missed = [target for target, met in targets.items() if not met]
            tail = ("; **MISSED**: " + "; ".join(missed)) if missed else ""
            lines.append("| %s | targets met | %d of %d%s |" % (name, len(targets) - len(missed), len(targets), tail))
    return "\n".join(lines) + "\n"


def main(argv):
    names = [name for name, _bench in BENCHMARKS]
    unknown = [a for a in argv if a not in names]
    if unknown:
        print("bench: no benchmark %s (there are: %s)" % (", ".join(unknown), ", ".join(names)))
        return 2
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    source = DOC if os.path.exists(DOC) else DEFAULT_DOC
    text = open(source).read() if os.path.exists(source) else HEAD
    where = machine()
    failed = []
    ran = []
    for name, bench in BENCHMARKS:
        if argv and name not in argv:
            continue
        print("== bench %s" % name, flush=True)
        result = bench.run()
        body = "Machine: %s.\n\n%s" % (where, bench.markdown(result))
        print(body)
        with open(os.path.join(HERE, "out", name + ".json"), "w") as handle:
            json.dump(result, handle, indent=2)
        text = replace_section(text, name, body)
        ran.append((name, bench, result))
        failed += [target for target, met in result.get("targets", {}).items() if not met]
    text = place_summary(text, summary(where, ran))
    with open(DOC, "w") as handle:
        handle.write(text)
    print("%s updated" % os.path.relpath(DOC, ROOT) + ("; targets missed: " + "; ".join(failed) if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
