"""Deployment benchmark: the full `site.yml` (every stage) on generated labs of 1, 5, 10 and 20 nodes.

Each size gets its own lab (bench/out/lab-<N>/: config.yaml and group_vars/all/lab.yml, one systemd
container per node reached over SSH as a sudo user, like `make lab`). Node 1 is the control plane and
the registry and serves the NFS share; the other nodes are, in turn, an NVIDIA GPU worker, an Ascend
NPU worker (with an NPU NIC plan) and a CPU worker. After `lab.py up`, tests/support/vendor_standins.yml
puts stand-ins for the vendor tools on the GPU/NPU nodes (not timed), so the GPU and NPU stages run
for real. Then, timed: the first run on the fresh containers, the rerun on the same containers (must
report changed=0 on every host), and `site.yml --tags npu` on them (changed=0 too) against the full
rerun. The lab is removed afterwards. AIPLATFORM_BENCH_SIZES ("1,5,10,20") picks the sizes.

Each size's row is written to bench/out/deploy-<N>.json as soon as it is measured, so a run stopped
at 20 nodes keeps the smaller sizes. AIPLATFORM_BENCH_REUSE=1 loads the sizes whose file exists instead
of measuring them again (the page says, per size, whether it was measured in this run or reused, and
the file's date); without it every size is measured.

For each timed run the benchmark also records CPU seconds, to explain wall time on a machine whose
cores every lab node and ansible-playbook share: those of ansible-playbook and all its children
(getrusage of the children, as the playbook is waited for), and those used inside the lab's
containers (their cgroup CPU counters, see CGROUP_FILES; "not available" where none is found). The
SSH connection masters that ControlPersist detaches outlive the playbook and are not counted.
On the rerun, the lines `STAGE UNCHANGED: <stage> on <host>` of the log (stages the roles skipped as
unchanged) are counted per stage.

The generation of the configs, the judgement of the targets, the row files and the CPU and log
figures are pure functions (tests/unit/bench/test_deploy_bench.py).
"""
import datetime
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BIN = os.path.dirname(sys.executable)
# The page the results go to (bench/run.py); the plot is written next to it.
DOC_DIR = os.path.dirname(os.path.abspath(os.environ.get("AIPLATFORM_BENCH_DOC")
                                          or os.path.join(ROOT, "docs", "benchmarks.md")))
PNG = "bench-deploy.png"
DEFAULT_SIZES = "1,5,10,20"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
PLAY = re.compile(r"^PLAY \[(.*)\] \*+")
OSES = ("debian12", "ubuntu2204", "ubuntu2404")
# Huawei supports none of the lab's other images (requirements.supported_os.huawei, docs/config.md).
NPU_OS = "ubuntu2204"
WORKERS = ("gpu", "npu", "cpu")  # the workers' kinds, in turn
KUBERNETES_VERSION = "1.31.4"  # as inventories/lab/config.yaml
# Lab of the i-th size: 172.31.(230 + i).0/24 (the offline bench uses 226-227, make lab 240). Two benches run side
# by side (one per git worktree) need labs on different subnets: AIPLATFORM_BENCH_SUBNET=233 starts there.
FIRST_SUBNET = int(os.environ.get("AIPLATFORM_BENCH_SUBNET") or 230)
RERUN_SHARE = 3  # target: rerun wall time at most 1/3 of the first run
SCALE_FROM, SCALE_TO, SCALE_MAX = 1, 20, 2.0  # target: first run at 20 nodes < 2x the first run at 1 node
REUSE_ENV = "AIPLATFORM_BENCH_REUSE"
# Stage-skip lines the roles print on a rerun: `STAGE UNCHANGED: <stage> on <host>`, anywhere in a line
# (the msg of a task result: indented, maybe quoted).
UNCHANGED = re.compile(r"STAGE UNCHANGED: (\S+) on (\S+)")
CGROUP_ROOT = "/sys/fs/cgroup"
# A container's CPU counter, relative to CGROUP_ROOT (<id>: the full container id); the first that exists
# is read. cpu.stat (cgroup v2) counts usage_usec, cpuacct.usage (cgroup v1) nanoseconds; both include
# the container's sub-cgroups (its systemd's services and the SSH sessions of ansible).
CGROUP_FILES = (
    "system.slice/docker-{id}.scope/cpu.stat",  # cgroup v2, systemd cgroup driver
    "docker/{id}/cpu.stat",  # cgroup v2, cgroupfs driver
    "unified/system.slice/docker-{id}.scope/cpu.stat",  # hybrid v1 + v2, systemd driver
    "unified/docker/{id}/cpu.stat",  # hybrid v1 + v2, cgroupfs driver (the machine of docs/benchmarks.md)
    "cpuacct/system.slice/docker-{id}.scope/cpuacct.usage",  # cgroup v1 only
    "cpuacct/docker/{id}/cpuacct.usage",
)


def sizes(text=None):
    """The lab sizes from AIPLATFORM_BENCH_SIZES ("1,5,10,20"), ascending, each once."""
    text = os.environ.get("AIPLATFORM_BENCH_SIZES", DEFAULT_SIZES) if text is None else text
    try:
        values = sorted(set(int(n) for n in text.split(",") if n.strip()))
    except ValueError:
        raise SystemExit("bench: AIPLATFORM_BENCH_SIZES=%r is not a comma-separated list of node counts" % text)
    if not values or values[0] < 1 or len(values) > 240 - FIRST_SUBNET:
        raise SystemExit("bench: AIPLATFORM_BENCH_SIZES=%r: give 1 to %d node counts, each at least 1"
                         % (text, 240 - FIRST_SUBNET))
    if values[-1] > 200:
        raise SystemExit("bench: AIPLATFORM_BENCH_SIZES=%r: at most 200 nodes per lab (one /24)" % text)
    return values


def node_kind(index):
    """What the index-th node (0-based) of a generated lab is: control, gpu, npu or cpu."""
    return "control" if index == 0 else WORKERS[(index - 1) % len(WORKERS)]


def hostname(count, index):
    kind = node_kind(index)
    if kind == "control":
        return "bench%d-cp-01" % count
    return "bench%d-%s-%02d" % (count, kind, (index - 1) // len(WORKERS) + 1)


def config(count, subnet):
    """The platform config of a ``count``-node lab on 172.31.<subnet>.0/24, as YAML text.

    Node 1: control plane and registry (registry.local on port 5000), server of the NFS share. The
    others: an NVIDIA GPU worker, an Ascend NPU worker (2 NPU NICs), a CPU worker, in turn. OSes
    follow debian12, ubuntu2204, ubuntu2404 in turn, except that NPU workers run ubuntu2204 (see NPU_OS).
    """
    net = "172.31.%d" % subnet
    cp = hostname(count, 0)
    lines = ["# Generated by bench/deploy_bench.py: a %d-node lab like inventories/lab/config.yaml." % count,
             "schema_version: 1",
             "cluster:", "  name: bench%d" % count, "  domain: bench.internal",
             "  kubernetes_version: \"%s\"" % KUBERNETES_VERSION,
             "network:", "  node_networks: [%s.0/24]" % net, "  pod_network: 10.244.0.0/16",
             "  service_network: 10.96.0.0/12", "  node_port_range: 30000-32767",
             "ssh:", "  user: ops", "  port: 2222",
             "nodes:"]
    turn = 0  # position in the OS cycle, of the nodes that follow it
    for index in range(count):
        kind = node_kind(index)
        octet = 11 + index
        if kind == "npu":
            node_os = NPU_OS
        else:
            node_os, turn = OSES[turn % len(OSES)], turn + 1
        lines += ["  - hostname: %s" % hostname(count, index), "    ip: %s.%d" % (net, octet),
                  "    roles: [%s]" % ("control_plane, registry" if kind == "control" else "worker"),
                  "    os: %s" % node_os]
        if kind == "gpu":
            lines.append("    accelerator: {vendor: nvidia, model: H100, count: 8}")
        elif kind == "npu":
            lines += ["    accelerator: {vendor: huawei, model: Ascend910B, count: 8}", "    npu_nics:"]
            lines += ["      - {device: %d, address: 192.168.%d.%d, netmask: 255.255.255.0, detect: 192.168.%d.1, "
                      "gateway: 192.168.%d.1}" % (device, third, octet, third, third)
                      for device, third in enumerate((10, 20))]
    lines += ["storage:", "  nfs:", "    shares:",
              "      - {name: share, server: %s, export_path: /srv/nfs/share, mount_point: /mnt/share}" % cp,
              "registry:", "  local:", "    enabled: true", "    port: 5000",
              "requirements:", "  # The lab's containers share this machine's disk and memory.",
              "  min_disk_gb: {control_plane: 10, worker: 10}", "  min_memory_gb: {control_plane: 2, worker: 2}",
              "services:", "  # The site's copy of Huawei's NPU exporter, in its own registry.",
              "  npu_exporter_image: %s.11:5000/ascendhub/npu-exporter:v26.0.0" % net]
    return "\n".join(lines) + "\n"


def lab_vars(root=ROOT):
    """group_vars/all/lab.yml of a generated lab: what inventories/lab/group_vars/all/lab.yml sets."""
    return "\n".join([
        "# Generated by bench/deploy_bench.py: connection settings of a benchmark lab (as inventories/lab).",
        "ansible_ssh_private_key_file: %s" % os.path.join(root, ".lab", "id_ed25519"),
        "ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
        "# Containers lack what preflight asks of a real node (SecureBoot, drivers): report it and go on.",
        "preflight_warn_only: true",
        "# No Kubernetes package repository or image registry is reachable here (docs/kubeadm.md).",
        "kubeadm_lifecycle: false", ""])


def mix(count):
    """Number of nodes of each kind in a ``count``-node lab."""
    kinds = [node_kind(i) for i in range(count)]
    return dict((kind, kinds.count(kind)) for kind in ("control",) + WORKERS)


def stage_times(marks, start, end):
    """Seconds per play name from [(play name, time its banner was printed)], the start and the end of the run.

    The time before the first banner (start-up, inventory) is "start-up"; plays of the same name add up.
    """
    out = {"start-up": (marks[0][1] if marks else end) - start}
    for (name, start), following in zip(marks, [m[1] for m in marks[1:]] + [end]):
        out[name] = out.get(name, 0.0) + following - start
    return out


def nodes_text(count):
    return "%d node%s" % (count, "" if count == 1 else "s")


def skipped_stages(log_text):
    """{stage: number of hosts} of the `STAGE UNCHANGED: <stage> on <host>` lines of a run log.

    Stages in the order they first appear; a host counts once per stage however often its line is
    printed. Quotes or punctuation that close a quoted msg are not part of the host name.
    """
    hosts = {}
    for line in log_text.splitlines():
        for stage, host in UNCHANGED.findall(line):
            hosts.setdefault(stage.strip("'\""), set()).add(host.rstrip("'\",.;:)]}"))
    return dict((stage, len(names)) for stage, names in hosts.items())


def unchanged_text(unchanged):
    """The line under the stage table: the stages the rerun skipped as unchanged, with their host counts."""
    if unchanged is None:
        figures = "not recorded (a row from an earlier version of the benchmark)"
    else:
        figures = ", ".join("%s %d" % item for item in unchanged.items()) or "none"
    return "Stages skipped on the rerun as unchanged (hosts): %s." % figures


def row_path(count, out=None):
    """Where the row of a ``count``-node lab is kept: bench/out/deploy-<N>.json."""
    return os.path.join(OUT if out is None else out, "deploy-%d.json" % count)


def save_row(row, path):
    """Write a measured row as JSON, atomically (a temporary file next to it, then os.replace)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(row, stream, indent=2)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load_row(path, count):
    """The row kept in ``path`` for ``count`` nodes, with "reused": {"file", "date"} (the file's mtime)."""
    try:
        with open(path) as handle:
            row = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SystemExit("bench: cannot reuse %s (%s): remove it, or run without %s=1" % (path, exc, REUSE_ENV))
    if not isinstance(row, dict) or row.get("nodes") != count:
        raise SystemExit("bench: %s is not the row of a %d-node lab: remove it, or run without %s=1"
                         % (path, count, REUSE_ENV))
    date = datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime("%Y-%m-%d %H:%M")
    row["reused"] = {"file": os.path.basename(path), "date": date}
    return row


def reuse_enabled(environ=None):
    """Whether AIPLATFORM_BENCH_REUSE=1 asks to load the sizes kept from an earlier run."""
    return (os.environ if environ is None else environ).get(REUSE_ENV, "").strip() == "1"


def plan(counts, reuse, out=None):
    """[(count, file to load, or None to measure)]: with ``reuse``, the sizes whose row file exists are loaded."""
    return [(count, row_path(count, out) if reuse and os.path.isfile(row_path(count, out)) else None)
            for count in counts]


def source_text(row):
    """Whether a row was measured in this run or reused, for the table."""
    reused = row.get("reused")
    return "this run" if not reused else "reused: %s of %s" % (reused["file"], reused["date"])


def lab_label(directory):
    """The docker label lab/lab.py puts on the containers of the lab in ``directory`` (its LABEL)."""
    return "aiplatform.lab=" + os.path.basename(directory.rstrip("/"))


def cgroup_cpu_file(container_id, root=CGROUP_ROOT):
    """The first of CGROUP_FILES that exists for the container, or None."""
    for pattern in CGROUP_FILES:
        path = os.path.join(root, pattern.format(id=container_id))
        if os.path.isfile(path):
            return path
    return None


def read_cpu_s(path):
    """CPU seconds of a cgroup counter file (cpu.stat usage_usec or cpuacct.usage), None if unreadable."""
    try:
        with open(path) as handle:
            text = handle.read()
        if os.path.basename(path) == "cpuacct.usage":
            return int(text.strip()) / 1e9
        for line in text.splitlines():
            key, _space, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
    except (OSError, ValueError):
        pass
    return None


def nodes_cpu_s(paths):
    """Sum of the CPU seconds of the counter files; None when there is none, or any is missing or unreadable."""
    if not paths or None in paths:
        return None
    values = [read_cpu_s(path) for path in paths]
    return None if None in values else sum(values)


def controller_cpu_s():
    """User + system CPU seconds of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy(controller_s, node_s, cores, wall_s):
    """(controller + node CPU seconds) / (cores x wall seconds); None when a figure is missing."""
    if controller_s is None or node_s is None or not cores or not wall_s or wall_s <= 0:
        return None
    return (controller_s + node_s) / (cores * wall_s)


def judge(rows):
    """The targets, judged on the measured rows: [(target, verdict, figures)].

    verdict is True (met), False (missed) or None (not measured in this run). Rows: dicts with nodes,
    first_s, rerun_s, rerun_changed ({host: changed}), npu_s and npu_changed (None without an NPU node).
    """
    verdicts = []
    for row in rows:
        changed = dict((h, c) for h, c in row["rerun_changed"].items() if c)
        verdicts.append(("rerun reports changed=0 on every host, %s" % nodes_text(row["nodes"]), not changed,
                         "changed=0 on all %d hosts" % len(row["rerun_changed"]) if not changed else
                         "changed: " + ", ".join("%s=%d" % item for item in sorted(changed.items()))))
        verdicts.append(("rerun at most 1/%d of the first run, %s" % (RERUN_SHARE, nodes_text(row["nodes"])),
                         row["rerun_s"] * RERUN_SHARE <= row["first_s"],
                         "%.0f s / %.0f s = %.2f" % (row["rerun_s"], row["first_s"], row["rerun_s"] / row["first_s"])))
        if row.get("npu_s") is not None:
            changed = dict((h, c) for h, c in row["npu_changed"].items() if c)
            verdicts.append(("`--tags npu` rerun reports changed=0, %s" % nodes_text(row["nodes"]), not changed,
                             "changed=0" if not changed else
                             "changed: " + ", ".join("%s=%d" % item for item in sorted(changed.items()))))
    by = dict((row["nodes"], row) for row in rows)
    name = "first run at %s under %gx the first run at %s" % (nodes_text(SCALE_TO), SCALE_MAX, nodes_text(SCALE_FROM))
    if SCALE_FROM in by and SCALE_TO in by:
        ratio = by[SCALE_TO]["first_s"] / by[SCALE_FROM]["first_s"]
        verdicts.append((name, ratio < SCALE_MAX, "%.0f s / %.0f s = %.2fx" % (by[SCALE_TO]["first_s"],
                                                                             by[SCALE_FROM]["first_s"], ratio)))
    else:
        verdicts.append((name, None, "this run had %s nodes"
                         % ", ".join(str(row["nodes"]) for row in rows)))
    return verdicts


def verdict_text(verdict):
    return {True: "met", False: "**MISSED**", None: "not measured"}[verdict]


def prepare(count, subnet):
    """A fresh lab directory for ``count`` nodes (nothing left from an earlier run: no CA, no facts)."""
    directory = os.path.join(OUT, "lab-%d" % count)
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(facts_dir(directory), ignore_errors=True)
    os.makedirs(os.path.join(directory, "group_vars", "all"))
    with open(os.path.join(directory, "config.yaml"), "w") as handle:
        handle.write(config(count, subnet))
    with open(os.path.join(directory, "group_vars", "all", "lab.yml"), "w") as handle:
        handle.write(lab_vars())
    return directory


def facts_dir(directory):
    # The fact cache of ansible.cfg (gathering: smart), one per lab, outside the inventory directory:
    # the first run starts with none, the reruns find what the first run cached, as on a site.
    return directory.rstrip("/") + "-facts"


def lab(directory, action):
    env = dict(os.environ, AIPLATFORM_LAB_INVENTORY=directory)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "lab", "lab.py"), action], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit("bench: lab %s failed: %s" % (action, result.stdout + result.stderr))


def playbook(directory, args, log_name, counters=None):
    """Run ansible-playbook and keep its log; return a dict of what it measured.

    wall_s, changed ({host: changed}), stages ({play: seconds}), log (its text), controller_cpu_s (CPU
    seconds of ansible-playbook and all its children) and node_cpu_s (CPU seconds used in the
    containers whose cgroup counter files are ``counters``; None without them).
    """
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1", ANSIBLE_CACHE_PLUGIN_CONNECTION=facts_dir(directory))
    log_path = os.path.join(OUT, log_name + ".log")
    marks = []
    nodes_before = nodes_cpu_s(counters)
    cpu_before = controller_cpu_s()
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([os.path.join(BIN, "ansible-playbook")] + list(args) + ["-i", directory], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            match = PLAY.match(line)
            if match:
                marks.append((match.group(1), time.perf_counter()))
        proc.stdout.close()
        returncode = proc.wait()
    wall = time.perf_counter() - start
    controller = controller_cpu_s() - cpu_before
    nodes_after = nodes_cpu_s(counters)
    with open(log_path) as handle:
        text = handle.read()
    rows = RECAP.findall(text)
    if returncode != 0:
        fatal = [line for line in text.splitlines() if line.startswith(("fatal:", "failed:", "TASK ["))]
        raise SystemExit("bench: ansible-playbook %s failed on %s (rc %d; log %s):\n%s\n...\n%s"
                         % (" ".join(args), directory, returncode, os.path.relpath(log_path, ROOT),
                            "\n".join(fatal[-12:]), text[-2500:]))
    return {"wall_s": wall, "changed": dict((r[0], int(r[2])) for r in rows),
            "stages": stage_times(marks, start, start + wall), "log": text, "controller_cpu_s": controller,
            "node_cpu_s": None if nodes_before is None or nodes_after is None else nodes_after - nodes_before}


def lab_counters(directory, count):
    """The cgroup CPU counter files of the lab's ``count`` containers, or None where any is not found."""
    listed = subprocess.run(["docker", "ps", "-q", "--no-trunc", "--filter", "label=" + lab_label(directory)],
                            capture_output=True, text=True, check=False)
    ids = listed.stdout.split() if listed.returncode == 0 else []
    paths = [cgroup_cpu_file(container_id) for container_id in ids]
    if len(paths) != count or None in paths:
        print("bench deploy: the CPU counters of the lab's containers are not available (%d of %d found)"
              % (len([p for p in paths if p]), count), flush=True)
        return None
    return paths


def counter_layout(paths):
    """The first counter file with the container id written <id> (for the page), or None."""
    return re.sub(r"[0-9a-f]{64}", "<id>", paths[0]) if paths else None


def measure(count, subnet):
    directory = prepare(count, subnet)
    kinds = mix(count)
    lab(directory, "down")
    load = [os.getloadavg()[0]]
    lab(directory, "up")
    try:
        counters = lab_counters(directory, count)
        if kinds["gpu"] or kinds["npu"]:
            playbook(directory, ["tests/support/vendor_standins.yml"], "deploy-%d-standins" % count)
        first = playbook(directory, ["site.yml"], "deploy-%d-first" % count, counters)
        rerun = playbook(directory, ["site.yml"], "deploy-%d-rerun" % count, counters)
        npu = None
        if kinds["npu"]:
            npu = playbook(directory, ["site.yml", "--tags", "npu"], "deploy-%d-npu" % count, counters)
        load.append(os.getloadavg()[0])
    finally:
        lab(directory, "down")
    row = {"nodes": count, "mix": kinds, "cores": os.cpu_count(), "first_s": first["wall_s"],
           "first_changed": first["changed"], "first_stages": first["stages"], "rerun_s": rerun["wall_s"],
           "rerun_changed": rerun["changed"], "rerun_stages": rerun["stages"],
           "rerun_unchanged": skipped_stages(rerun["log"]),
           "npu_s": npu["wall_s"] if npu else None, "npu_changed": npu["changed"] if npu else None,
           "load_average": load, "node_cpu_counter": counter_layout(counters)}
    for name, timed in (("first", first), ("rerun", rerun), ("npu", npu)):
        row[name + "_controller_cpu_s"] = timed["controller_cpu_s"] if timed else None
        row[name + "_node_cpu_s"] = timed["node_cpu_s"] if timed else None
    return row


def run():
    rows = []
    reuse = reuse_enabled()
    for index, (count, kept) in enumerate(plan(sizes(), reuse)):
        if kept:
            row = load_row(kept, count)
            print("bench deploy: %d node(s): reused %s of %s" % (count, os.path.relpath(kept, ROOT),
                                                                  row["reused"]["date"]), flush=True)
        else:
            print("bench deploy: %d node(s)" % count, flush=True)
            row = measure(count, FIRST_SUBNET + index)
            save_row(row, row_path(count))
        rows.append(row)
    verdicts = judge(rows)
    return {"rows": rows, "cores": os.cpu_count(), "plot": plot(rows), "verdicts": verdicts,
            "targets": dict((name, met) for name, met, _figures in verdicts if met is not None)}


def plot(rows):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    nodes = [r["nodes"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(nodes, [r["first_s"] for r in rows], marker="o", label="first run")
    ax.plot(nodes, [r["rerun_s"] for r in rows], marker="o", label="rerun")
    npu = [r for r in rows if r["npu_s"] is not None]
    if npu:
        ax.plot([r["nodes"] for r in npu], [r["npu_s"] for r in npu], marker="o", label="--tags npu rerun")
    ax.set_xlabel("lab nodes")
    ax.set_ylabel("wall time (s)")
    ax.set_title("site.yml, every stage, on lab containers sharing %d cores" % os.cpu_count())
    ax.set_xticks(nodes)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = os.path.join(DOC_DIR, PNG)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _changed(per_host):
    return sum(per_host.values())


def _top(stages, count=3):
    ranked = sorted(((s, n) for n, s in stages.items()), reverse=True)[:count]
    return ", ".join("%s %.0f s" % (name, seconds) for seconds, name in ranked)


RUNS = (("first", "first run"), ("rerun", "rerun"), ("npu", "`--tags npu` rerun"))


def _cpu(seconds):
    return "not available" if seconds is None else "%.0f" % seconds


def _busy(fraction):
    return "not available" if fraction is None else "%.0f%%" % (100 * fraction)


def run_busy(row, run_name, cores):
    """busy() of one timed run of a row ("first", "rerun" or "npu"); the row's own core count first."""
    return busy(row.get(run_name + "_controller_cpu_s"), row.get(run_name + "_node_cpu_s"),
                row.get("cores") or cores, row.get(run_name + "_s"))


def cpu_table(result):
    """The CPU table: per size and timed run, wall time, controller and node CPU seconds, and busy."""
    rows = result["rows"]
    layout = next((r["node_cpu_counter"] for r in rows if r.get("node_cpu_counter")), None)
    lines = ["CPU seconds of each timed run: controller is ansible-playbook and every process it waited for "
             "(getrusage of its children), node is what the lab's containers used (cgroup counter %s); "
             "busy = (controller + node CPU) / (cores x wall), how saturated this machine's %d cores were. "
             "Not counted: other jobs on the machine, dockerd, and the SSH connection masters that ControlPersist "
             "keeps after the run (ansible.cfg)." % ("`%s`" % layout if layout else "not available",
                                                    result["cores"]), "",
             "| nodes | run | wall (s) | controller CPU (s) | node CPU (s) | busy |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        for run_name, title in RUNS:
            if row.get(run_name + "_s") is None:
                continue
            lines.append("| %d | %s | %.0f | %s | %s | %s |"
                         % (row["nodes"], title, row[run_name + "_s"], _cpu(row.get(run_name + "_controller_cpu_s")),
                            _cpu(row.get(run_name + "_node_cpu_s")), _busy(run_busy(row, run_name, result["cores"]))))
    return lines


def markdown(result):
    rows = result["rows"]
    lines = ["### Full `site.yml` on lab containers: first run, rerun, `--tags npu` rerun", "",
             "| nodes | GPU / NPU / CPU workers | first run (s) | changed | rerun (s) | changed | rerun / first "
             "| `--tags npu` rerun (s) | changed | npu / full rerun | measured |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if row["npu_s"] is None:
            npu = "no NPU node | | "
        else:
            npu = "%.0f | %d | %.2f" % (row["npu_s"], _changed(row["npu_changed"]), row["npu_s"] / row["rerun_s"])
        lines.append("| %d | %d / %d / %d | %.0f | %d | %.0f | %d | %.2f | %s | %s |"
                     % (row["nodes"], row["mix"]["gpu"], row["mix"]["npu"], row["mix"]["cpu"], row["first_s"],
                        _changed(row["first_changed"]), row["rerun_s"], _changed(row["rerun_changed"]),
                        row["rerun_s"] / row["first_s"], npu, source_text(row)))
    lines += [""] + cpu_table(result)
    lines += ["", "![wall time](%s)" % PNG, "", "Targets:", ""]
    for name, met, figures in result["verdicts"]:
        lines.append("- %s: %s (%s)" % (name, verdict_text(met), figures))
    big = rows[-1]
    lines += ["", "Stages at %s (seconds from the play banners of the run log; start-up is inventory "
              "and connection set-up before the first play):" % nodes_text(big["nodes"]), "",
              "| stage | first run (s) | rerun (s) |", "| --- | --- | --- |"]
    for name in big["first_stages"]:
        lines.append("| %s | %.0f | %.0f |" % (name, big["first_stages"][name], big["rerun_stages"].get(name, 0)))
    lines += ["", unchanged_text(big.get("rerun_unchanged"))]
    lines += ["", reading(result), ""]
    return "\n".join(lines)


def cpu_sentence(row, cores):
    """The reading's sentence on how busy the machine was during the first run (and the rerun) of ``row``."""
    first = run_busy(row, "first", cores)
    if first is None:
        controller = row.get("first_controller_cpu_s")
        return ("How busy the machine was during the first run at %s is not available (the CPU used inside "
                "the lab's containers was not measured)%s."
                % (nodes_text(row["nodes"]), "" if controller is None else
                   "; ansible-playbook and its children used %.0f CPU s of its %.0f s" % (controller, row["first_s"])))
    rerun = run_busy(row, "rerun", cores)
    return ("At %s the machine was %.0f%% busy during the first run (ansible-playbook and its children %.0f CPU s, "
            "the lab's containers %.0f CPU s, over %d cores x %.0f s)%s: near 100%% the wall time is bound by "
            "this machine's CPUs, well under it by waiting (downloads, SSH round trips, services starting)."
            % (nodes_text(row["nodes"]), 100 * first, row["first_controller_cpu_s"], row["first_node_cpu_s"],
               row.get("cores") or cores, row["first_s"],
               "" if rerun is None else " and %.0f%% during the rerun" % (100 * rerun)))


def reading(result):
    rows = result["rows"]
    big = rows[-1]
    loads = ", ".join("%.1f-%.1f" % tuple(r["load_average"]) for r in rows)
    return (
        "Reading: at %s the first run's time goes mostly to %s, the rerun's to %s. Every container of a "
        "lab, and ansible-playbook itself (forks 50), share this machine's %d cores, so wall time grows with "
        "the node count about as the total CPU work does: this measures the one machine, not a site where "
        "each node brings its own CPUs and the control machine only waits on them. %s The first run installs "
        "packages from the OS archives (network time included); no Kubernetes package or image is reachable "
        "here, so the Kubernetes stage stops at the rendered, validated kubeadm config "
        "(`kubeadm_lifecycle: false`), platform services are rendered but not applied, verify has no cluster "
        "to ask, and NFS is configured without exporting or mounting (no NFS in this kernel). The GPU and NPU "
        "stages run against vendor stand-ins (tests/support/vendor_standins.yml). Other jobs may share the "
        "machine: one-minute load average before-after each size: %s."
        % (nodes_text(big["nodes"]), _top(big["first_stages"]), _top(big["rerun_stages"]), result["cores"],
           cpu_sentence(big, result["cores"]), loads))


def headline(result):
    """[(figure, value)] for the summary of bench/run.py."""
    rows = result["rows"]
    big = rows[-1]
    out = [("full site.yml, %s: first run / rerun" % nodes_text(big["nodes"]),
            "%.0f s / %.0f s (rerun changed=%d)" % (big["first_s"], big["rerun_s"], _changed(big["rerun_changed"])))]
    npu = [r for r in rows if r["npu_s"] is not None]
    if npu:
        out.append(("`--tags npu` rerun vs full rerun, %s" % nodes_text(npu[-1]["nodes"]),
                    "%.0f s vs %.0f s (%.2f)" % (npu[-1]["npu_s"], npu[-1]["rerun_s"],
                                                 npu[-1]["npu_s"] / npu[-1]["rerun_s"])))
    else:
        out.append(("`--tags npu` rerun", "no NPU node in the labs of this run"))
    unjudged = [name for name, met, _figures in result["verdicts"] if met is None]
    if unjudged:
        out.append(("targets not measured", "; ".join(unjudged)))
    return out


if __name__ == "__main__":
    print(markdown(run()))
