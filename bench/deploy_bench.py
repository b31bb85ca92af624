"""Deployment benchmark: the full `site.yml` (every stage) on generated labs of 1, 5, 10 and 20 nodes,
and a rerun at 40 nodes on the 20-node lab grown.

Each size gets its own lab (bench/out/lab-<N>/: config.yaml and group_vars/all/lab.yml, one systemd
container per node reached over SSH as a sudo user, like `make lab`). Node 1 is the control plane and
the registry and serves the NFS share; the other nodes are, in turn, an NVIDIA GPU worker, an Ascend
NPU worker (with an NPU NIC plan) and a CPU worker. After `lab.py up`, tests/support/vendor_standins.yml
puts stand-ins for the vendor tools on the GPU/NPU nodes (not timed), so the GPU and NPU stages run
for real. Then, timed: the first run on the fresh containers, the rerun on the same containers (must
report changed=0 on every host), and `site.yml --tags npu` on them (changed=0 too) against the full
rerun. The lab is removed afterwards. AIPLATFORM_BENCH_SIZES ("1,5,10,20,40+") picks the sizes.

A size written N+ is not a lab of its own: the lab of the size before it stays up after its runs and
is grown to N nodes (the new nodes are added to its config, its host names keep the lab's name). Its
"first run" is then a scale-out run (the new nodes' first run, the other nodes' rerun), reported for
its CPU and not judged; its rerun is a full rerun of N nodes. This is how the default measures a rerun
at 40 nodes without a 40-node first run, which on 2 cores takes about twice the 20-node one (the
containers' own work is most of a first run: 66 CPU s per node at 20 nodes, docs/benchmarks.md).

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

The control machine's CPU per node is reported for the first run and the rerun: the CPU seconds per
node at each size and, the figure that is judged, the marginal cost of an added node (the slope of
the least-squares line through the sizes measured; a scale-out run is not a first run and is left out).

The generation of the configs, the size plan, the judgement of the targets, the row files and the CPU
and log figures are pure functions (tests/unit/bench/test_deploy_bench.py). The file is long (~900 lines)
because it is one benchmark: the lab it sets up, what it measures and the page section it writes read
together, and its test file mirrors it.
"""
import configparser
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
DEFAULT_SIZES = "1,5,10,20,40+"
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
RERUN_AT, RERUN_MAX_S = 20, 60  # target: the full rerun at 20 nodes takes at most 60 s (and changed=0)
# targets: the control machine's CPU seconds per added node (least-squares slope over the sizes measured)
CPU_PER_NODE_MAX = {"first": 8.0, "rerun": 1.0}
PROJECT_TO = 500  # the page projects the control machine's CPU to a site of this many nodes
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
    """The lab sizes of AIPLATFORM_BENCH_SIZES ("1,5,10,20,40+"), ascending, each once: [(count, grown_from)].

    ``N`` is a lab of its own, set up fresh: its first run is a first run. ``N+`` is the lab of the size
    just before it grown to N nodes (grown_from: that size's count): the nodes it had keep what the
    earlier runs did, so its "first run" is a scale-out run (the new nodes' first run, the others'
    rerun), reported for its CPU and not judged; its rerun is a full rerun of N nodes like any other.
    """
    text = os.environ.get("AIPLATFORM_BENCH_SIZES", DEFAULT_SIZES) if text is None else text
    bad = "bench: AIPLATFORM_BENCH_SIZES=%r: " % text
    grown = {}
    try:
        for token in (t.strip() for t in text.split(",")):
            if token:
                count = int(token[:-1] if token.endswith("+") else token)
                if grown.get(count, token.endswith("+")) != token.endswith("+"):
                    raise SystemExit(bad + "%d is given both as a lab of its own and grown (%d+)" % (count, count))
                grown[count] = token.endswith("+")
    except ValueError:
        raise SystemExit(bad + "not a comma-separated list of node counts (N, or N+ for the lab before it grown "
                         "to N nodes)")
    values = sorted(grown)
    if not values or values[0] < 1 or len(values) > 240 - FIRST_SUBNET:
        raise SystemExit(bad + "give 1 to %d node counts, each at least 1" % (240 - FIRST_SUBNET))
    if values[-1] > 200:
        raise SystemExit(bad + "at most 200 nodes per lab (one /24)")
    if grown[values[0]]:
        raise SystemExit(bad + "%d+ grows the lab of the size before it, and there is none: put a smaller "
                         "size first (e.g. 20,%d+)" % (values[0], values[0]))
    return [(count, previous if grown[count] else None) for previous, count in zip([None] + values, values)]


def lab_root(planned, index):
    """The position, in ``planned`` ([(count, grown_from, ...)]), of the lab size ``index`` runs on: itself,
    or for a grown size the fresh lab it was grown from (through any grown sizes between)."""
    while planned[index][1] is not None:
        index -= 1
    return index


def node_kind(index):
    """What the index-th node (0-based) of a generated lab is: control, gpu, npu or cpu."""
    return "control" if index == 0 else WORKERS[(index - 1) % len(WORKERS)]


def hostname(count, index):
    kind = node_kind(index)
    if kind == "control":
        return "bench%d-cp-01" % count
    return "bench%d-%s-%02d" % (count, kind, (index - 1) // len(WORKERS) + 1)


def config(count, subnet, name=None):
    """The platform config of a ``count``-node lab on 172.31.<subnet>.0/24, as YAML text.

    ``name`` (default ``count``) names the cluster and the hosts (bench<name>-...): a lab grown from
    20 to 40 nodes keeps the 20-node lab's name, and its first 20 nodes are those of config(20, subnet).

    Node 1: control plane and registry (registry.local on port 5000), server of the NFS share. The
    others: an NVIDIA GPU worker, an Ascend NPU worker (2 NPU NICs), a CPU worker, in turn. OSes
    follow debian12, ubuntu2204, ubuntu2404 in turn, except that NPU workers run ubuntu2204 (see NPU_OS).
    """
    net = "172.31.%d" % subnet
    name = count if name is None else name
    cp = hostname(name, 0)
    lines = ["# Generated by bench/deploy_bench.py: a %d-node lab like inventories/lab/config.yaml." % count,
             "schema_version: 1",
             "cluster:", "  name: bench%d" % name, "  domain: bench.internal",
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
        lines += ["  - hostname: %s" % hostname(name, index), "    ip: %s.%d" % (net, octet),
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


def load_row(path, count, grown_from=None):
    """The row kept in ``path`` for ``count`` nodes (grown from a ``grown_from``-node lab, or fresh), with
    "reused": {"file", "date"} (the file's mtime)."""
    try:
        with open(path) as handle:
            row = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SystemExit("bench: cannot reuse %s (%s): remove it, or run without %s=1" % (path, exc, REUSE_ENV))
    if not isinstance(row, dict) or row.get("nodes") != count:
        raise SystemExit("bench: %s is not the row of a %d-node lab: remove it, or run without %s=1"
                         % (path, count, REUSE_ENV))
    if row.get("grown_from") != grown_from:
        raise SystemExit("bench: %s is the row of a %s, AIPLATFORM_BENCH_SIZES asks for a %s: remove it, or run "
                         "without %s=1" % (path, lab_kind(row.get("grown_from")), lab_kind(grown_from), REUSE_ENV))
    date = datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime("%Y-%m-%d %H:%M")
    row["reused"] = {"file": os.path.basename(path), "date": date}
    return row


def lab_kind(grown_from):
    return "fresh lab" if grown_from is None else "lab grown from %s" % nodes_text(grown_from)


def reuse_enabled(environ=None):
    """Whether AIPLATFORM_BENCH_REUSE=1 asks to load the sizes kept from an earlier run."""
    return (os.environ if environ is None else environ).get(REUSE_ENV, "").strip() == "1"


def plan(planned, reuse, out=None):
    """[(count, grown_from, file to load or None to measure)] for the sizes() ``planned``.

    With ``reuse``, the sizes whose row file exists are loaded, except a size that a measured grown
    size grows: its lab must be up, so it is measured again (and with it the sizes it grows from).
    """
    steps = [[count, grown_from, row_path(count, out) if reuse and os.path.isfile(row_path(count, out)) else None]
             for count, grown_from in planned]
    for index in range(len(steps) - 1, 0, -1):
        if steps[index][1] is not None and steps[index][2] is None:
            steps[index - 1][2] = None
    return [tuple(step) for step in steps]


def keeps_lab_up(steps, index):
    """Whether the lab of step ``index`` of plan() stays up after it: the next step grows it."""
    return index + 1 < len(steps) and steps[index + 1][1] is not None and steps[index + 1][2] is None


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


def strategy(environ=None, cfg_text=None):
    """The Ansible strategy the runs use: ANSIBLE_STRATEGY, else `strategy` of ansible.cfg's [defaults], else linear."""
    environ = os.environ if environ is None else environ
    if environ.get("ANSIBLE_STRATEGY", "").strip():
        return environ["ANSIBLE_STRATEGY"].strip()
    if cfg_text is None:
        with open(os.path.join(ROOT, "ansible.cfg")) as handle:
            cfg_text = handle.read()
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    parser.read_string(cfg_text)
    return parser.get("defaults", "strategy", fallback="linear").strip() or "linear"


def strategy_text(name):
    """How the page names a strategy: with or without Mitogen (the CPU targets ask to say which)."""
    return "`%s` (%s Mitogen)" % (name, "with" if "mitogen" in name else "without")


def least_squares(points):
    """(slope, intercept) of the least-squares line through [(x, y)]; None with fewer than two distinct x."""
    if len(set(x for x, _y in points)) < 2:
        return None
    n = float(len(points))
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _y in points))
    return slope, mean_y - slope * mean_x


def cpu_points(rows, run_name):
    """[(nodes, controller CPU s)] of the ``run_name`` ("first" or "rerun") runs that measured it.

    A grown lab's first run is a scale-out run, not a first run: it is left out of "first".
    """
    return [(row["nodes"], row[run_name + "_controller_cpu_s"]) for row in rows
            if row.get(run_name + "_controller_cpu_s") is not None
            and not (run_name == "first" and row.get("grown_from") is not None)]


def cpu_per_node(rows, run_name):
    """The control machine's CPU per node of the ``run_name`` runs, or None where no row measured it.

    {"points": [(nodes, CPU s)], "slope": CPU s per added node (least squares; None with one size),
    "fixed": the line's intercept (CPU s no node adds), "nodes": the largest size, "average": CPU s / nodes there}.
    """
    points = cpu_points(rows, run_name)
    if not points:
        return None
    line = least_squares(points)
    nodes, cpu = max(points)
    return {"points": points, "slope": line[0] if line else None, "fixed": line[1] if line else None,
            "nodes": nodes, "average": cpu / nodes}


def sizes_text(points):
    return ", ".join(str(nodes) for nodes, _cpu in points)


def cpu_verdict(figures, run_name):
    """(target, verdict, figures) of the controller CPU per node of the ``run_name`` runs (cpu_per_node())."""
    title = {"first": "first run", "rerun": "rerun"}[run_name]
    name = "controller CPU per added node, %s, at most %g s" % (title, CPU_PER_NODE_MAX[run_name])
    if figures is None:
        return name, None, "no %s measured the control machine's CPU" % title
    average = "%.1f s per node at %s (%.0f CPU s)" % (figures["average"], nodes_text(figures["nodes"]),
                                                      figures["average"] * figures["nodes"])
    if figures["slope"] is None:
        return name, None, "one size only (%s); %s" % (nodes_text(figures["nodes"]), average)
    return name, figures["slope"] <= CPU_PER_NODE_MAX[run_name], (
        "%.1f s per added node, least squares over %s nodes; %s" % (figures["slope"], sizes_text(figures["points"]),
                                                                   average))


def rerun_at_verdict(rows):
    """(target, verdict, figures): the full rerun at RERUN_AT nodes within RERUN_MAX_S, changed=0."""
    name = "full site.yml rerun at %s at most %d s, changed=0" % (nodes_text(RERUN_AT), RERUN_MAX_S)
    row = next((r for r in rows if r["nodes"] == RERUN_AT), None)
    if row is None:
        return name, None, "this run had %s nodes" % ", ".join(str(r["nodes"]) for r in rows)
    changed = _changed(row["rerun_changed"])
    return name, row["rerun_s"] <= RERUN_MAX_S and changed == 0, "%.0f s, changed=%d" % (row["rerun_s"], changed)


def judge(rows):
    """The targets, judged on the measured rows: [(target, verdict, figures)].

    verdict is True (met), False (missed) or None (not measured in this run). Rows: dicts with nodes,
    first_s, rerun_s, rerun_changed ({host: changed}), npu_s and npu_changed (None without an NPU node),
    grown_from (a grown lab: its first run is a scale-out run, not judged) and the controller CPU seconds
    of each run (first_controller_cpu_s, rerun_controller_cpu_s).
    """
    verdicts = []
    for row in rows:
        changed = dict((h, c) for h, c in row["rerun_changed"].items() if c)
        verdicts.append(("rerun reports changed=0 on every host, %s" % nodes_text(row["nodes"]), not changed,
                         recap_text(row["rerun_changed"]) if not changed else
                         "changed: " + ", ".join("%s=%d" % item for item in sorted(changed.items()))))
        if row.get("grown_from") is None:
            verdicts.append(("rerun at most 1/%d of the first run, %s" % (RERUN_SHARE, nodes_text(row["nodes"])),
                             row["rerun_s"] * RERUN_SHARE <= row["first_s"],
                             "%.0f s / %.0f s = %.2f" % (row["rerun_s"], row["first_s"],
                                                         row["rerun_s"] / row["first_s"])))
        if row.get("npu_s") is not None:
            changed = dict((h, c) for h, c in row["npu_changed"].items() if c)
            verdicts.append(("`--tags npu` rerun reports changed=0, %s" % nodes_text(row["nodes"]), not changed,
                             "changed=0" if not changed else
                             "changed: " + ", ".join("%s=%d" % item for item in sorted(changed.items()))))
    by = dict((row["nodes"], row) for row in rows if row.get("grown_from") is None)
    name = "first run at %s under %gx the first run at %s" % (nodes_text(SCALE_TO), SCALE_MAX, nodes_text(SCALE_FROM))
    if SCALE_FROM in by and SCALE_TO in by:
        ratio = by[SCALE_TO]["first_s"] / by[SCALE_FROM]["first_s"]
        verdicts.append((name, ratio < SCALE_MAX, "%.0f s / %.0f s = %.2fx" % (by[SCALE_TO]["first_s"],
                                                                             by[SCALE_FROM]["first_s"], ratio)))
    else:
        verdicts.append((name, None, "first runs of this run: %s"
                         % (", ".join(nodes_text(n) for n in sorted(by)) or "none")))
    verdicts.append(rerun_at_verdict(rows))
    for run_name in ("first", "rerun"):
        verdicts.append(cpu_verdict(cpu_per_node(rows, run_name), run_name))
    return verdicts


def verdict_text(verdict):
    return {True: "met", False: "**MISSED**", None: "not measured"}[verdict]


def fresh_directory(directory):
    """Empty ``directory`` (with group_vars/all) and no fact cache of it: nothing left from an earlier run."""
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(facts_dir(directory), ignore_errors=True)
    os.makedirs(os.path.join(directory, "group_vars", "all"))


def prepare(count, subnet):
    """A fresh lab directory for ``count`` nodes (nothing left from an earlier run: no CA, no facts)."""
    directory = os.path.join(OUT, "lab-%d" % count)
    fresh_directory(directory)
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
    """Run our ansible-playbook with ``args`` on the lab inventory ``directory``; return timed()'s dict."""
    env = {"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "ANSIBLE_CACHE_PLUGIN_CONNECTION": facts_dir(directory)}
    return timed([os.path.join(BIN, "ansible-playbook")] + list(args) + ["-i", directory], env, ROOT, log_name,
                 counters)


def timed(argv, env, cwd, log_name, counters=None):
    """Run an ansible-playbook command line (``env`` added to this environment) and keep its log in
    bench/out/<log_name>.log; return a dict of what it measured.

    wall_s, changed ({host: changed}), stages ({play: seconds}), log (its text), controller_cpu_s (CPU
    seconds of ansible-playbook and all its children) and node_cpu_s (CPU seconds used in the
    containers whose cgroup counter files are ``counters``; None without them).
    """
    env = dict(dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1"), **env)
    log_path = os.path.join(OUT, log_name + ".log")
    marks = []
    nodes_before = nodes_cpu_s(counters)
    cpu_before = controller_cpu_s()
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
        raise SystemExit("bench: %s failed (rc %d; log %s):\n%s\n...\n%s"
                         % (" ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv)), returncode,
                            os.path.relpath(log_path, ROOT), "\n".join(fatal[-12:]), text[-2500:]))
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


def timed_runs(directory, count, grown_from, counters, load):
    """The first run (a scale-out run on a grown lab), the rerun and the `--tags npu` rerun: the row."""
    kinds = mix(count)
    first = playbook(directory, ["site.yml"], "deploy-%d-first" % count, counters)
    rerun = playbook(directory, ["site.yml"], "deploy-%d-rerun" % count, counters)
    npu = None
    if kinds["npu"]:
        npu = playbook(directory, ["site.yml", "--tags", "npu"], "deploy-%d-npu" % count, counters)
    load.append(os.getloadavg()[0])
    row = {"nodes": count, "grown_from": grown_from, "mix": kinds, "cores": os.cpu_count(),
           "first_s": first["wall_s"], "first_changed": first["changed"], "first_stages": first["stages"],
           "rerun_s": rerun["wall_s"], "rerun_changed": rerun["changed"], "rerun_stages": rerun["stages"],
           "rerun_unchanged": skipped_stages(rerun["log"]),
           "npu_s": npu["wall_s"] if npu else None, "npu_changed": npu["changed"] if npu else None,
           "load_average": load, "node_cpu_counter": counter_layout(counters), "strategy": strategy()}
    for name, timed in (("first", first), ("rerun", rerun), ("npu", npu)):
        row[name + "_controller_cpu_s"] = timed["controller_cpu_s"] if timed else None
        row[name + "_node_cpu_s"] = timed["node_cpu_s"] if timed else None
    return row


def standins(directory, count, hosts=None):
    """Put the vendor stand-ins on the lab's GPU/NPU nodes (only on ``hosts`` when given); not timed."""
    kinds = mix(count)
    if kinds["gpu"] or kinds["npu"]:
        limit = ["--limit", ",".join(hosts)] if hosts else []
        playbook(directory, ["tests/support/vendor_standins.yml"] + limit, "deploy-%d-standins" % count)


def measure(count, subnet, keep_up=False):
    """The row of a fresh ``count``-node lab; with ``keep_up`` the lab stays up for a grown size (grow())."""
    directory = prepare(count, subnet)
    lab(directory, "down")
    return _timed_lab(directory, count, None, None, keep_up)


def grow(directory, name, subnet, old_count, count, keep_up=False):
    """The row of the lab in ``directory`` (up, ``old_count`` nodes, named bench<name>) grown to ``count``."""
    with open(os.path.join(directory, "config.yaml"), "w") as handle:
        handle.write(config(count, subnet, name))
    return _timed_lab(directory, count, old_count, [hostname(name, index) for index in range(old_count, count)],
                      keep_up)


def _timed_lab(directory, count, old_count, new_hosts, keep_up):
    """Bring the lab up (its new nodes: ``new_hosts``, None for all), put the stand-ins on them, time its runs;
    the lab is taken down afterwards unless ``keep_up``, and always when a step fails."""
    load = [os.getloadavg()[0]]
    try:
        lab(directory, "up")
        counters = lab_counters(directory, count)
        standins(directory, count, new_hosts)
        row = timed_runs(directory, count, old_count, counters, load)
    except BaseException:
        lab(directory, "down")
        raise
    if not keep_up:
        lab(directory, "down")
    return row


def run():
    rows = []
    steps = plan(sizes(), reuse_enabled())
    directory = None  # the lab kept up for the next (grown) size
    try:
        for index, (count, grown_from, kept) in enumerate(steps):
            root = lab_root(steps, index)
            keep_up = keeps_lab_up(steps, index)
            if kept:
                row = load_row(kept, count, grown_from)
                print("bench deploy: %d node(s): reused %s of %s" % (count, os.path.relpath(kept, ROOT),
                                                                      row["reused"]["date"]), flush=True)
            elif grown_from is None:
                print("bench deploy: %d node(s)" % count, flush=True)
                row = measure(count, FIRST_SUBNET + index, keep_up)
                directory = os.path.join(OUT, "lab-%d" % count) if keep_up else None
            else:
                print("bench deploy: %d node(s), the %d-node lab grown" % (count, grown_from), flush=True)
                up, directory = directory, None
                row = grow(up, steps[root][0], FIRST_SUBNET + root, grown_from, count, keep_up)
                directory = up if keep_up else None
            if not kept:
                save_row(row, row_path(count))
            rows.append(row)
    finally:
        if directory:
            lab(directory, "down")
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
    fresh = [r for r in rows if r.get("grown_from") is None]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r["nodes"] for r in fresh], [r["first_s"] for r in fresh], marker="o", label="first run")
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


def recap_text(per_host):
    """"changed=0 on N nodes" of a play recap; the control machine (plays delegated to it) is named apart."""
    nodes = [host for host in per_host if host != "localhost"]
    return "changed=0 on %d %s%s" % (len(nodes), "node" if len(nodes) == 1 else "nodes",
                                         " and the control machine" if "localhost" in per_host else "")


def _changed(per_host):
    return sum(per_host.values())


def _top(stages, count=3):
    ranked = sorted(((s, n) for n, s in stages.items()), reverse=True)[:count]
    return ", ".join("%s %.0f s" % (name, seconds) for seconds, name in ranked)


RUNS = (("first", "first run"), ("rerun", "rerun"), ("npu", "`--tags npu` rerun"))


def run_title(row, run_name):
    """What a timed run of ``row`` was, for the tables: a grown lab's first run is a scale-out run."""
    if run_name == "first" and row.get("grown_from") is not None:
        return "scale-out run (%s new)" % nodes_text(row["nodes"] - row["grown_from"])
    return dict(RUNS)[run_name]


def _cpu(seconds):
    return "not available" if seconds is None else "%.0f" % seconds


def _busy(fraction):
    return "not available" if fraction is None else "%.0f%%" % (100 * fraction)


def _per_node(seconds, nodes):
    return "not available" if seconds is None else "%.1f" % (seconds / nodes)


def run_busy(row, run_name, cores):
    """busy() of one timed run of a row ("first", "rerun" or "npu"); the row's own core count first."""
    return busy(row.get(run_name + "_controller_cpu_s"), row.get(run_name + "_node_cpu_s"),
                row.get("cores") or cores, row.get(run_name + "_s"))


def cpu_table(result):
    """The CPU table: per size and timed run, wall time, controller CPU (and per node), node CPU seconds, busy."""
    rows = result["rows"]
    layout = next((r["node_cpu_counter"] for r in rows if r.get("node_cpu_counter")), None)
    lines = ["CPU seconds of each timed run: controller is ansible-playbook and every process it waited for "
             "(getrusage of its children), node is what the lab's containers used (cgroup counter %s); "
             "busy = (controller + node CPU) / (cores x wall), how saturated this machine's %d cores were. "
             "Not counted: other jobs on the machine, dockerd, and the SSH connection masters that ControlPersist "
             "keeps after the run (ansible.cfg)." % ("`%s`" % layout if layout else "not available",
                                                    result["cores"]), "",
             "| nodes | run | wall (s) | controller CPU (s) | controller CPU per node (s) | node CPU (s) | busy |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        for run_name, _title in RUNS:
            if row.get(run_name + "_s") is None:
                continue
            controller = row.get(run_name + "_controller_cpu_s")
            lines.append("| %d | %s | %.0f | %s | %s | %s | %s |"
                         % (row["nodes"], run_title(row, run_name), row[run_name + "_s"], _cpu(controller),
                            _per_node(controller, row["nodes"]), _cpu(row.get(run_name + "_node_cpu_s")),
                            _busy(run_busy(row, run_name, result["cores"]))))
    return lines


def projection(figures, nodes=PROJECT_TO):
    """CPU seconds of the control machine at ``nodes`` nodes on the line of cpu_per_node(), or None."""
    if figures is None or figures["slope"] is None:
        return None
    return figures["fixed"] + figures["slope"] * nodes


def cpu_per_node_table(rows):
    """The table of the control machine's CPU per node, first run and rerun, with its projection to PROJECT_TO."""
    lines = ["Controller CPU per node: what grows with the node count at a site, where each node brings its own "
             "CPUs (see Reading the deploy figures). Per added node is the slope of the least-squares line "
             "through (nodes, controller CPU s) of the sizes measured, fixed part its intercept; a grown lab's "
             "scale-out run is not a first run and is left out. Strategy: %s." % strategies_text(rows), "",
             "| run | sizes (nodes) | per node at the largest size (s) | per added node (s) | fixed part (s) "
             "| line at %d nodes (CPU s) | target per added node |" % PROJECT_TO,
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for run_name, title in RUNS[:2]:
        figures = cpu_per_node(rows, run_name)
        if figures is None:
            lines.append("| %s | none measured | | | | | %g s |" % (title, CPU_PER_NODE_MAX[run_name]))
            continue
        at = projection(figures)
        lines.append("| %s | %s | %.1f | %s | %s | %s | %g s |" % (
            title, sizes_text(figures["points"]), figures["average"],
            "one size only" if figures["slope"] is None else "%.1f" % figures["slope"],
            "" if figures["fixed"] is None else "%.0f" % figures["fixed"],
            "" if at is None else "%.0f (%.1f h of one core)" % (at, at / 3600.0), CPU_PER_NODE_MAX[run_name]))
    return lines


def strategies_text(rows):
    """The strategies of the rows' runs, for the page ("not recorded" for rows of an earlier benchmark)."""
    names = sorted(set(row.get("strategy") or "" for row in rows))
    return ", ".join(strategy_text(name) if name else "not recorded (a row from an earlier version of the benchmark)"
                     for name in names)


def fresh_rows(rows):
    """The rows of labs set up fresh (their first run is a first run)."""
    return [row for row in rows if row.get("grown_from") is None]


def biggest(rows):
    """The largest fresh lab's row (the stage table and the reading), or the largest row where none is fresh."""
    return (fresh_rows(rows) or rows)[-1]


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
        grown = row.get("grown_from")
        lines.append("| %d | %d / %d / %d | %s | %d | %.0f | %d | %s | %s | %s |"
                     % (row["nodes"], row["mix"]["gpu"], row["mix"]["npu"], row["mix"]["cpu"],
                        "%.0f" % row["first_s"] if grown is None else "%.0f (scale-out)" % row["first_s"],
                        _changed(row["first_changed"]), row["rerun_s"], _changed(row["rerun_changed"]),
                        "%.2f" % (row["rerun_s"] / row["first_s"]) if grown is None else "",
                        npu, source_text(row) + ("" if grown is None else "; the %d-node lab grown" % grown)))
    if any(row.get("grown_from") is not None for row in rows):
        lines += ["", "A grown size (AIPLATFORM_BENCH_SIZES `N+`) is the lab of the size before it, kept up after "
                  "its runs and grown to N nodes (its host names keep that lab's name): its first run is a "
                  "scale-out run, the new nodes' first run and the others' rerun, and is not judged; its rerun is a "
                  "full rerun of every node."]
    lines += [""] + cpu_table(result) + [""] + cpu_per_node_table(rows)
    lines += ["", "![wall time](%s)" % PNG, "", "Targets:", ""]
    for name, met, figures in result["verdicts"]:
        lines.append("- %s: %s (%s)" % (name, verdict_text(met), figures))
    big = biggest(rows)
    later = [r for r in rows if r["nodes"] > big["nodes"]]
    lines += ["", "Stages at %s (seconds from the play banners of the run log; start-up is inventory "
              "and connection set-up before the first play)%s:"
              % (nodes_text(big["nodes"]), "".join(", and the rerun at %s" % nodes_text(r["nodes"]) for r in later)),
              "", "| stage | first run (s) | rerun (s) |%s" % "".join(" rerun at %d nodes (s) |" % r["nodes"]
                                                              for r in later),
              "| --- | --- | --- |%s" % (" --- |" * len(later))]
    for name in big["first_stages"]:
        lines.append("| %s | %.0f | %.0f |%s" % (name, big["first_stages"][name], big["rerun_stages"].get(name, 0),
                                                 "".join(" %.0f |" % r["rerun_stages"].get(name, 0) for r in later)))
    lines += ["", unchanged_text(big.get("rerun_unchanged"))]
    for row in later:
        lines += ["", "At %s: %s" % (nodes_text(row["nodes"]), unchanged_text(row.get("rerun_unchanged")))]
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
    big = biggest(rows)
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
    big = biggest(rows)
    out = [("full site.yml, %s: first run / rerun" % nodes_text(big["nodes"]),
            "%.0f s / %.0f s (rerun changed=%d)" % (big["first_s"], big["rerun_s"], _changed(big["rerun_changed"])))]
    for row in rows:
        if row["nodes"] > big["nodes"]:
            out.append(("full site.yml rerun, %s (%s)" % (nodes_text(row["nodes"]), lab_kind(row.get("grown_from"))),
                        "%.0f s (changed=%d)" % (row["rerun_s"], _changed(row["rerun_changed"]))))
    npu = [r for r in rows if r["npu_s"] is not None]
    if npu:
        out.append(("`--tags npu` rerun vs full rerun, %s" % nodes_text(npu[-1]["nodes"]),
                    "%.0f s vs %.0f s (%.2f)" % (npu[-1]["npu_s"], npu[-1]["rerun_s"],
                                                 npu[-1]["npu_s"] / npu[-1]["rerun_s"])))
    else:
        out.append(("`--tags npu` rerun", "no NPU node in the labs of this run"))
    figures = [(title, cpu_per_node(rows, run_name)) for run_name, title in RUNS[:2]]
    out.append(("controller CPU per added node, first run / rerun",
                " / ".join("not measured" if f is None or f["slope"] is None else "%.1f s" % f["slope"]
                           for _title, f in figures)
                + " (targets %g s / %g s)" % (CPU_PER_NODE_MAX["first"], CPU_PER_NODE_MAX["rerun"])))
    unjudged = [name for name, met, _figures in result["verdicts"] if met is None]
    if unjudged:
        out.append(("targets not measured", "; ".join(unjudged)))
    return out


if __name__ == "__main__":
    print(markdown(run()))
