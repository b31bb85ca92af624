"""Inventory benchmark: the plugin against a static YAML inventory and a JSON script, same hosts and variables.

All three are read through `ansible-inventory -i <source> --list` in the same run; each is timed
(median and min of several runs) and its peak memory taken from the child's rusage (os.wait4).
The static and script inventories are generated from the plugin's own `--export` output, and the
three `--list` outputs are compared, so the comparison is between equal inventories.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, HERE)

import gen_config  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts"))
from inventory_json import environment, list_inventory  # noqa: E402

TARGET_VS_SCRIPT = 1.2  # plugin wall time at most this times the JSON script's
TARGET_VS_YAML = 3.0  # plugin at least this many times faster than the static YAML


def run_once(source, enabled, extra=()):
    """Wall seconds and peak RSS (MiB) of one `ansible-inventory --list`; stdout is discarded."""
    start = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        proc = subprocess.Popen([os.path.join(BIN, "ansible-inventory"), "-i", source, "--list"] + list(extra),
                                cwd=ROOT, env=environment(enabled), stdout=devnull, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("bench: ansible-inventory -i %s failed:\n%s" % (source, err[-2000:]))
    return wall, usage.ru_maxrss / 1024.0


def list_json(source, enabled, export=False):
    return list_inventory(source, *(["--export"] if export else []), enabled=enabled)


def prepare(count):
    """Write the three inventories for ``count`` nodes; return their paths."""
    base = os.path.join(OUT, "inventory-%d" % count)
    shutil.rmtree(base, ignore_errors=True)
    plugin_dir = os.path.join(base, "plugin")
    os.makedirs(plugin_dir)
    with open(os.path.join(plugin_dir, "platform.yml"), "w") as handle:
        handle.write(gen_config.generate(count))
    exported = list_json(plugin_dir, "aiplatform.cluster.platform_config", export=True)
    # static YAML inventory: groups with their hosts, host vars under the hosts, group vars under all.vars
    import yaml

    hostvars = exported["_meta"]["hostvars"]
    placed = set()
    groups = {}
    for name, group in exported.items():
        if name in ("_meta", "all"):
            continue
        entry = {}
        if group.get("hosts"):
            entry["hosts"] = {}
            for host in group["hosts"]:
                entry["hosts"][host] = hostvars[host] if host not in placed else None
                placed.add(host)
        if group.get("children"):
            entry["children"] = {child: None for child in group["children"]}
        if group.get("vars"):
            entry["vars"] = group["vars"]
        groups[name] = entry
    static = {"all": {"vars": exported["all"].get("vars", {}), "children": groups}}
    ungrouped = [h for h in hostvars if h not in placed]
    if ungrouped:
        static["all"]["hosts"] = {h: hostvars[h] for h in ungrouped}
    static_path = os.path.join(base, "static.yml")
    with open(static_path, "w") as handle:
        yaml.safe_dump(static, handle, default_flow_style=False, sort_keys=False)
    # executable script: prints the pre-generated JSON (Ansible's per-host floor)
    data_path = os.path.join(base, "inventory.json")
    with open(data_path, "w") as handle:
        json.dump(exported, handle)
    script_path = os.path.join(base, "inventory_script.py")
    with open(script_path, "w") as handle:
        handle.write("#!%s\nimport sys\nif '--host' in sys.argv:\n    print('{}')\nelse:\n"
                     "    sys.stdout.write(open(%r).read())\n" % (sys.executable, data_path))
    os.chmod(script_path, 0o755)
    return {"plugin": (plugin_dir, "aiplatform.cluster.platform_config"), "static YAML": (static_path, "yaml"),
            "JSON script": (script_path, "script")}


def equivalent(sources):
    """The three --list outputs describe the same inventory."""
    outputs = {name: list_json(path, enabled) for name, (path, enabled) in sources.items()}
    reference = outputs["plugin"]
    for name, data in outputs.items():
        if set(data["_meta"]["hostvars"]) != set(reference["_meta"]["hostvars"]):
            return "%s: different hosts" % name
        if data["_meta"]["hostvars"] != reference["_meta"]["hostvars"]:
            host = next(h for h in reference["_meta"]["hostvars"]
                        if data["_meta"]["hostvars"][h] != reference["_meta"]["hostvars"][h])
            return "%s: host vars of %s differ" % (name, host)
        for group, value in reference.items():
            if group == "_meta":
                continue
            if sorted(value.get("hosts", [])) != sorted(data.get(group, {}).get("hosts", [])):
                return "%s: group %s differs" % (name, group)
    return None


def run(count=2000, repeat=5):
    sources = prepare(count)
    problem = equivalent(sources)
    if problem:
        raise SystemExit("bench: the inventories are not equivalent: " + problem)
    results = {}
    for _round in range(repeat):  # interleaved, so that load drifts hit all three alike
        for name, (path, enabled) in sources.items():
            results.setdefault(name, []).append(run_once(path, enabled))
    rows = []
    for name in sources:
        walls = [w for w, _m in results[name]]
        rows.append({"source": name, "median_s": statistics.median(walls), "min_s": min(walls),
                     "peak_mib": max(m for _w, m in results[name]), "runs": repeat})
    by = {r["source"]: r for r in rows}
    vs_script = by["plugin"]["median_s"] / by["JSON script"]["median_s"]
    vs_yaml = by["static YAML"]["median_s"] / by["plugin"]["median_s"]
    return {
        "nodes": count,
        "rows": rows,
        "plugin_vs_script": vs_script,
        "yaml_vs_plugin": vs_yaml,
        "targets": {
            "plugin <= %.1fx JSON script" % TARGET_VS_SCRIPT: vs_script <= TARGET_VS_SCRIPT,
            "plugin >= %.0fx faster than static YAML" % TARGET_VS_YAML: vs_yaml >= TARGET_VS_YAML,
        },
    }


def markdown(result):
    lines = ["### Inventory: %d nodes through `ansible-inventory --list`" % result["nodes"], "",
             "| source | median wall (s) | min wall (s) | peak RSS (MiB) | runs |", "| --- | --- | --- | --- | --- |"]
    for row in result["rows"]:
        lines.append("| %s | %.2f | %.2f | %.0f | %d |" % (row["source"], row["median_s"], row["min_s"], row["peak_mib"],
                                                          row["runs"]))
    lines += ["", "Plugin / JSON script: **%.2fx** (target <= %.1fx). Static YAML / plugin: **%.2fx** (target >= %.0fx)."
              % (result["plugin_vs_script"], TARGET_VS_SCRIPT, result["yaml_vs_plugin"], TARGET_VS_YAML), ""]
    for target, met in result["targets"].items():
        lines.append("- %s: %s" % (target, "met" if met else "**MISSED**"))
    lines += ["", "The static YAML and the script serve the plugin's own `--export` output; the three `--list` "
              "outputs were checked equal before timing. Runs are interleaved (plugin, YAML, script, repeat).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    print(markdown(outcome))
