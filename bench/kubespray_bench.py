"""Node preparation against kubespray: our `site.yml --tags node` and kubespray's
`cluster.yml --tags bootstrap_os,preinstall` (with chrony), first run, on two fresh Debian 12 lab nodes each.

The benchmark fetches nothing. AIPLATFORM_BENCH_KUBESPRAY=/path/to/kubespray names a local checkout
of kubespray (its cluster.yml, ansible.cfg and roles are used as they are, from its own directory);
without it nothing is measured and the target says it was skipped. Kubespray pins its own range of
ansible-core: AIPLATFORM_BENCH_KUBESPRAY_PLAYBOOK names the ansible-playbook to run it with (for
instance from a virtualenv made from the checkout's requirements.txt); by default this virtualenv's.

Each pair is measured side by side in one run: a fresh 2-node lab for ours, then a fresh 2-node lab
for kubespray, the same image (debian12) and the same node shape (a control plane and a worker), each
lab removed after its run. AIPLATFORM_BENCH_KUBESPRAY_PAIRS (default 1) interleaves that many pairs
(ours, kubespray, ours, kubespray, ...); the target, our first run at most half of kubespray's, is
judged on the medians of wall time. CPU seconds are recorded as in the deploy benchmark (the control
machine's: ansible-playbook and its children; the nodes': the containers' cgroup counters).
The labs are on 172.31.<AIPLATFORM_BENCH_KUBESPRAY_SUBNET, default 228>.0/24 and the next /24.

Before timing, both sides' nodes get package lists dated as on an installed node (STALE_LISTS), and
kubespray's nodes a sysctl wrapper for the read-only /proc/sys of a container (SYSCTL_WRAPPER); KUBESPRAY_VARS
leave out what else a container cannot do (docs/benchmarks.md, "Reading the kubespray comparison").

The settings, the kubespray inventory and command, the config of the labs, the dating of the lists, the
wrapper and the verdict are tested without kubespray (tests/unit/bench/test_kubespray_bench.py); the
measurement itself needs a kubespray checkout, which the repository does not carry (docs/benchmarks.md says
which one gave the figures).
"""
import json
import os
import statistics
import subprocess

import yaml

import deploy_bench

KUBESPRAY_ENV = "AIPLATFORM_BENCH_KUBESPRAY"
PLAYBOOK_ENV = "AIPLATFORM_BENCH_KUBESPRAY_PLAYBOOK"
PAIRS_ENV = "AIPLATFORM_BENCH_KUBESPRAY_PAIRS"
SUBNET_ENV = "AIPLATFORM_BENCH_KUBESPRAY_SUBNET"
DEFAULT_SUBNET = 228  # and 229 (the offline bench uses 226-227, the deploy bench 230 on, make lab 240)
SHARE_MAX = 0.5  # target: our node preparation first run at most half of kubespray's
OURS_NAME, KUBESPRAY_NAME = "benchnp", "benchks"  # host names <name>-cp-01 and <name>-node-01
OURS_ARGS = ["site.yml", "--tags", "node"]
KUBESPRAY_TAGS = "bootstrap_os,preinstall"
# Kubespray installs and configures a time service only when asked; ours always configures chrony. The rest
# leaves out what a lab container cannot do (ours skips the same in a container, docs/benchmarks.md): its
# ping check (needs iputils-ping, absent from the minimal image), rewriting /etc/resolv.conf (a bind mount
# there) and the dummy kernel module of NodeLocal DNS (no loadable modules; ours prepares no DNS cache).
KUBESPRAY_VARS = {"ntp_enabled": True, "ntp_package": "chrony", "ping_access_ip": False,
                  "resolvconf_mode": "none", "enable_nodelocaldns": False}
# Kubespray loads its sysctl file with `sysctl -p`; in a lab container /proc/sys is read-only and its
# kernel-wide keys (kernel.panic, vm.overcommit_memory) would be this machine's. Its nodes get this wrapper
# before timing: a load applies nothing, reads go to the real sysctl (ours writes its file and applies only
# the per-network-namespace keys in a container).
SYSCTL_WRAPPER = """#!/bin/sh
# Written by bench/kubespray_bench.py: /proc/sys is read-only in a lab container and its kernel-wide keys
# would be the machine's: a load (-p, --load, --system) applies nothing; reads go to the real sysctl.
for word in "$@"; do case "$word" in -p|-p*|--load*|--system) exit 0;; esac; done
exec /usr/sbin/sysctl "$@"
"""
# The lab image is built fresh (its empty package lists are hours old); a site's installed node has lists
# days old. Kubespray refreshes them only when older than a day (cache_valid_time 86400) and then finds no
# package; ours refreshes empty lists at once. Both sides' nodes get lists dated STALE_LISTS before timing.
STALE_LISTS = "2 days ago"
TARGET = "node preparation first run at most %g of kubespray's, 2 nodes" % SHARE_MAX
SKIPPED = "skipped: no kubespray checkout given (%s=/path/to/kubespray)" % KUBESPRAY_ENV


def settings(environ=None):
    """{"checkout", "playbook", "pairs", "subnet"} from the environment, or None when no checkout is given.

    A checkout without cluster.yml, a playbook that is not an executable file, or a bad number of
    pairs or subnet stop the benchmark with what to fix (all problems at once).
    """
    environ = os.environ if environ is None else environ
    checkout = environ.get(KUBESPRAY_ENV, "").strip()
    if not checkout:
        return None
    checkout = os.path.abspath(os.path.expanduser(checkout))
    playbook = environ.get(PLAYBOOK_ENV, "").strip() or os.path.join(deploy_bench.BIN, "ansible-playbook")
    problems = []
    if not os.path.isfile(os.path.join(checkout, "cluster.yml")):
        problems.append("%s=%s: no cluster.yml there; give the top directory of a kubespray checkout"
                        % (KUBESPRAY_ENV, checkout))
    if not (os.path.isfile(playbook) and os.access(playbook, os.X_OK)):
        problems.append("%s=%s: not an executable file; give the ansible-playbook to run kubespray with"
                        % (PLAYBOOK_ENV, playbook))
    numbers = {}
    for name, default, low, high in ((PAIRS_ENV, 1, 1, 9), (SUBNET_ENV, DEFAULT_SUBNET, 1, 238)):
        text = environ.get(name, "").strip() or str(default)
        try:
            numbers[name] = int(text)
        except ValueError:
            numbers[name] = None
        if numbers[name] is None or not low <= numbers[name] <= high:
            problems.append("%s=%r: give a whole number from %d to %d" % (name, text, low, high))
    if problems:
        raise SystemExit("bench kubespray: " + "\n  ".join([""] + problems).lstrip())
    return {"checkout": checkout, "playbook": playbook, "pairs": numbers[PAIRS_ENV], "subnet": numbers[SUBNET_ENV]}


def hosts(name, subnet):
    """[(host name, IP)] of a 2-node comparison lab: a control plane and a worker."""
    return [("%s-cp-01" % name, "172.31.%d.11" % subnet), ("%s-node-01" % name, "172.31.%d.12" % subnet)]


def config(name, subnet):
    """Our platform config of a 2-node comparison lab, as YAML text (lab.py starts the containers from it)."""
    (cp, cp_ip), (node, node_ip) = hosts(name, subnet)
    data = {"schema_version": 1,
            "cluster": {"name": name, "domain": "bench.internal",
                        "kubernetes_version": deploy_bench.KUBERNETES_VERSION},
            "network": {"node_networks": ["172.31.%d.0/24" % subnet], "pod_network": "10.244.0.0/16",
                        "service_network": "10.96.0.0/12", "node_port_range": "30000-32767"},
            "ssh": {"user": "ops", "port": 2222},
            "nodes": [{"hostname": cp, "ip": cp_ip, "roles": ["control_plane"], "os": "debian12"},
                      {"hostname": node, "ip": node_ip, "roles": ["worker"], "os": "debian12"}],
            "requirements": {"min_disk_gb": {"control_plane": 10, "worker": 10},
                             "min_memory_gb": {"control_plane": 2, "worker": 2}}}
    return ("# Generated by bench/kubespray_bench.py: two Debian 12 nodes, node preparation against kubespray.\n"
            + yaml.safe_dump(data, sort_keys=False))


def inventory(name, subnet, key):
    """Kubespray's inventory (YAML text) of the 2-node lab ``name``: the same shape, users and SSH settings."""
    (cp, cp_ip), (node, node_ip) = hosts(name, subnet)
    data = {"all": {
        "hosts": dict((host, {"ansible_host": ip, "ip": ip, "access_ip": ip}) for host, ip in ((cp, cp_ip),
                                                                                              (node, node_ip))),
        "vars": {"ansible_user": "ops", "ansible_port": 2222, "ansible_ssh_private_key_file": key,
                 "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                            "-o LogLevel=ERROR"},
        "children": {"kube_control_plane": {"hosts": {cp: None}}, "etcd": {"hosts": {cp: None}},
                     "kube_node": {"hosts": {cp: None, node: None}},
                     "k8s_cluster": {"children": {"kube_control_plane": None, "kube_node": None}}}}}
    return ("# Generated by bench/kubespray_bench.py: kubespray's inventory of the %s lab.\n" % name
            + yaml.safe_dump(data, sort_keys=False))


def extra_vars():
    """KUBESPRAY_VARS as key=value words, for the page."""
    return ["%s=%s" % (key, str(value).lower() if isinstance(value, bool) else value)
            for key, value in KUBESPRAY_VARS.items()]


def command(found, inventory_path):
    """(argv, env additions, cwd) of kubespray's node preparation on the inventory at ``inventory_path``."""
    argv = [found["playbook"], "-i", inventory_path, os.path.join(found["checkout"], "cluster.yml"), "--become",
            "--tags", KUBESPRAY_TAGS]
    argv += ["-e", json.dumps(KUBESPRAY_VARS, sort_keys=True)]  # JSON: booleans stay booleans
    return argv, {"ANSIBLE_CONFIG": os.path.join(found["checkout"], "ansible.cfg")}, found["checkout"]


def verdict(pairs):
    """(target, verdict, figures) from [{"ours_s", "kubespray_s"}], None where nothing was measured."""
    if not pairs:
        return TARGET, None, SKIPPED
    ours = statistics.median(p["ours_s"] for p in pairs)
    theirs = statistics.median(p["kubespray_s"] for p in pairs)
    return TARGET, ours <= SHARE_MAX * theirs, "%.0f s / %.0f s = %.2f, median of %d pair%s" % (
        ours, theirs, ours / theirs, len(pairs), "" if len(pairs) == 1 else "s")


def lab_directory(name, subnet):
    """A fresh lab directory for the comparison lab ``name`` (our config and connection settings)."""
    directory = os.path.join(deploy_bench.OUT, "lab-%s" % name)
    deploy_bench.fresh_directory(directory)
    with open(os.path.join(directory, "config.yaml"), "w") as handle:
        handle.write(config(name, subnet))
    with open(os.path.join(directory, "group_vars", "all", "lab.yml"), "w") as handle:
        handle.write(deploy_bench.lab_vars())
    return directory


def stale_lists_script(root="/"):
    """The shell script that dates the package lists under ``root`` STALE_LISTS, as on an installed node.

    Without a stamp of the last successful update, the apt module judges the lists by the directory's time.
    """
    base = os.path.join(root, "var", "lib", "apt")
    return "rm -f %s && touch -d '%s' %s" % (os.path.join(base, "periodic", "update-success-stamp"), STALE_LISTS,
                                            os.path.join(base, "lists"))


def _exec_commands(container_ids, script, stdin=False):
    """``docker exec`` of the shell ``script`` in each container (``-i`` when the script reads its input)."""
    return [["docker", "exec"] + (["-i"] if stdin else []) + [container_id, "sh", "-c", script]
            for container_id in container_ids]


def stale_lists_commands(container_ids):
    """The docker commands that run stale_lists_script() in each container."""
    return _exec_commands(container_ids, stale_lists_script())


def wrapper_commands(container_ids):
    """The docker commands that install SYSCTL_WRAPPER as /usr/local/sbin/sysctl (input: the wrapper's text)."""
    return _exec_commands(container_ids, "cat > /usr/local/sbin/sysctl && chmod 0755 /usr/local/sbin/sysctl",
                          stdin=True)


def _containers(directory):
    listed = subprocess.run(["docker", "ps", "-q", "--filter", "label=" + deploy_bench.lab_label(directory)],
                            capture_output=True, text=True, check=False)
    ids = listed.stdout.split()
    if listed.returncode != 0 or len(ids) != 2:
        raise SystemExit("bench kubespray: the 2 containers of %s are not running: %s"
                         % (directory, (listed.stdout + listed.stderr).strip()))
    return ids


def _run_all(commands, text=None):
    for argv in commands:
        done = subprocess.run(argv, input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit("bench kubespray: %s failed: %s" % (" ".join(argv), (done.stdout + done.stderr).strip()))


def prepare_nodes(directory, kubespray=False):
    """Date the package lists of the lab's containers STALE_LISTS and, for ``kubespray``, install SYSCTL_WRAPPER;
    stop with the error where a step fails. Not timed."""
    ids = _containers(directory)
    _run_all(stale_lists_commands(ids))
    if kubespray:
        _run_all(wrapper_commands(ids), SYSCTL_WRAPPER)


def measure_one(name, subnet, run, kubespray=False):
    """Start the lab ``name``, date its package lists (and give kubespray's nodes SYSCTL_WRAPPER), time
    ``run(directory, counters)`` on it, remove it."""
    directory = lab_directory(name, subnet)
    deploy_bench.lab(directory, "down")
    deploy_bench.lab(directory, "up")
    try:
        prepare_nodes(directory, kubespray)
        return run(directory, deploy_bench.lab_counters(directory, 2))
    finally:
        deploy_bench.lab(directory, "down")


def measure(found):
    """The pairs measured with the settings() ``found``: [{"ours_s", "kubespray_s", CPU figures, changed}]."""
    pairs = []
    for index in range(found["pairs"]):
        def ours(directory, counters):
            return deploy_bench.playbook(directory, OURS_ARGS, "kubespray-ours-%d" % index, counters)

        def theirs(directory, counters):
            path = os.path.join(directory, "kubespray-hosts.yml")
            with open(path, "w") as handle:
                handle.write(inventory(KUBESPRAY_NAME, found["subnet"] + 1,
                                       os.path.join(deploy_bench.ROOT, ".lab", "id_ed25519")))
            argv, env, cwd = command(found, path)
            return deploy_bench.timed(argv, env, cwd, "kubespray-theirs-%d" % index, counters)

        print("bench kubespray: pair %d of %d" % (index + 1, found["pairs"]), flush=True)
        first = measure_one(OURS_NAME, found["subnet"], ours)
        second = measure_one(KUBESPRAY_NAME, found["subnet"] + 1, theirs, kubespray=True)
        pair = {}
        for side, timed in (("ours", first), ("kubespray", second)):
            pair.update({side + "_s": timed["wall_s"], side + "_changed": timed["changed"],
                         side + "_controller_cpu_s": timed["controller_cpu_s"],
                         side + "_node_cpu_s": timed["node_cpu_s"]})
        pairs.append(pair)
    return pairs


def run():
    found = settings()
    pairs = measure(found) if found else []
    judged = [verdict(pairs)]
    return {"pairs": pairs, "checkout": found["checkout"] if found else None, "verdicts": judged,
            "targets": dict((name, met) for name, met, _figures in judged if met is not None)}


def _cpu(seconds):
    return "not available" if seconds is None else "%.0f" % seconds


def markdown(result):
    lines = ["### Node preparation against kubespray: first run on 2 fresh Debian 12 nodes", ""]
    name, met, figures = result["verdicts"][0]
    if not result["pairs"]:
        return "\n".join(lines + ["- %s: not measured (%s)" % (name, figures), "",
                                  "Nothing is fetched: the comparison runs only from a local kubespray checkout.", ""])
    lines += ["Kubespray from `%s`: `cluster.yml --tags %s` with %s; ours: `%s`."
              % (result["checkout"], KUBESPRAY_TAGS, ", ".join(extra_vars()),
                 " ".join(OURS_ARGS)), "",
              "| pair | ours (s) | changed | controller CPU (s) | node CPU (s) | kubespray (s) | changed "
              "| controller CPU (s) | node CPU (s) | ours / kubespray |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for index, pair in enumerate(result["pairs"], 1):
        lines.append("| %d | %.0f | %d | %s | %s | %.0f | %d | %s | %s | %.2f |" % (
            index, pair["ours_s"], sum(pair["ours_changed"].values()), _cpu(pair["ours_controller_cpu_s"]),
            _cpu(pair["ours_node_cpu_s"]), pair["kubespray_s"], sum(pair["kubespray_changed"].values()),
            _cpu(pair["kubespray_controller_cpu_s"]), _cpu(pair["kubespray_node_cpu_s"]),
            pair["ours_s"] / pair["kubespray_s"]))
    lines += ["", "- %s: %s (%s)" % (name, deploy_bench.verdict_text(met), figures), ""]
    return "\n".join(lines)


def headline(result):
    """[(figure, value)] for the summary of bench/run.py."""
    _name, _met, figures = result["verdicts"][0]
    return [("node preparation first run, ours / kubespray, 2 nodes", figures)]


if __name__ == "__main__":
    print(markdown(run()))
