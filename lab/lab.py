#!/usr/bin/env python3
"""The built-in lab: one systemd container per node of inventories/lab/config.yaml.

    lab.py up        create the network and the containers, wait until SSH answers
    lab.py down      remove them
    lab.py status    what runs
    lab.py summary RUN [CHECK]      what the site.yml run did, per host and per stage, and what the
                                    check-mode run covered (the Kubernetes lifecycle): RUN and CHECK are
                                    the JSON the stage_summary callback wrote (AIPLATFORM_STAGE_SUMMARY_FILE)

The node list comes from the inventory plugin (`ansible-inventory --list`), so the
config stays the single source of truth: each node gets its IP, its host name, the
image of its `os`, and a sudo user (not root) with an SSH key, listening on the
configured SSH port. Nothing here is reachable from outside this machine.
"""
import ipaddress
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Another lab (the benchmark's) can be driven through AIPLATFORM_LAB_INVENTORY.
INVENTORY = os.environ.get("AIPLATFORM_LAB_INVENTORY") or os.path.join(ROOT, "inventories", "lab")
STATE = os.path.join(ROOT, ".lab")
KEY = os.path.join(STATE, "id_ed25519")
_SUFFIX = "" if INVENTORY == os.path.join(ROOT, "inventories", "lab") else "-" + os.path.basename(INVENTORY.rstrip("/"))
NETWORK = "aiplatform-lab" + _SUFFIX
LABEL = "aiplatform.lab=1" if not _SUFFIX else "aiplatform.lab=" + _SUFFIX[1:]
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from inventory_json import list_inventory  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, ".collections"))
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.stage_summary import duration  # noqa: E402


def sh(*cmd, check=True, capture=True, input_text=None):
    result = subprocess.run(list(cmd), check=False, capture_output=capture, text=True, input=input_text)
    if check and result.returncode != 0:
        sys.exit("lab: %s failed (%d): %s" % (" ".join(cmd[:3]), result.returncode,
                                             (result.stderr or result.stdout or "").strip()[-2000:]))
    return result


def inventory():
    try:
        return list_inventory(INVENTORY)["_meta"]["hostvars"]
    except SystemExit as exc:
        sys.exit("lab: the lab config does not parse:\n%s" % exc)


def image_for(node_os):
    tag = "aiplatform/base:%s" % (node_os or "debian12")
    if sh("docker", "image", "inspect", tag, check=False).returncode != 0:
        print("lab: image %s is missing (make images); using aiplatform/base:debian12" % tag)
        tag = "aiplatform/base:debian12"
    return tag


def ensure_key():
    os.makedirs(STATE, exist_ok=True)
    if not os.path.exists(KEY):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aiplatform-lab", "-f", KEY)
    with open(KEY + ".pub") as handle:
        return handle.read().strip()


def lab_subnet(hosts):
    """The docker network of the lab: the config's first node network; when the config leaves
    network.node_networks unset (the inventory leaves it empty: one /32 per node), the /24 around the nodes' IPs."""
    first = hosts[next(iter(hosts))]
    given = first["platform_network"].get("node_networks") or ["%s/32" % first["node_ip"]]
    subnet = given[0]
    if ipaddress.ip_network(subnet, strict=False).num_addresses > 1:
        return subnet
    net = ipaddress.ip_network("%s/24" % first["node_ip"], strict=False)
    outside = sorted(n for n, hv in hosts.items() if ipaddress.ip_address(hv["node_ip"]) not in net)
    if outside:
        sys.exit("lab: without network.node_networks the lab puts every node in %s; %s %s outside it: set "
                 "network.node_networks" % (net, ", ".join(outside), "is" if len(outside) == 1 else "are"))
    return str(net)


def ensure_network(hosts):
    subnet = lab_subnet(hosts)
    found = sh("docker", "network", "inspect", NETWORK, "-f", "{{ (index .IPAM.Config 0).Subnet }}", check=False)
    if found.returncode == 0:
        if found.stdout.strip() != subnet:
            sys.exit("lab: network %s has subnet %s, the config says %s: run `lab.py down` first"
                     % (NETWORK, found.stdout.strip(), subnet))
        return
    # AIPLATFORM_LAB_INTERNAL=1: a network with no route out (air-gapped site; the offline benchmark).
    internal = ["--internal"] if os.environ.get("AIPLATFORM_LAB_INTERNAL") == "1" else []
    sh("docker", "network", "create", "--subnet", subnet, "--label", LABEL, *internal, NETWORK)


SETUP = r"""
set -e
user={user}; port={port}
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
echo "$user ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/90-$user && chmod 0440 /etc/sudoers.d/90-$user
install -d -m 0700 -o "$user" -g "$user" /home/$user/.ssh
echo '{key}' > /home/$user/.ssh/authorized_keys
chown "$user:$user" /home/$user/.ssh/authorized_keys && chmod 0600 /home/$user/.ssh/authorized_keys
mkdir -p /etc/ssh/sshd_config.d
printf 'Port %s\nPermitRootLogin no\nPasswordAuthentication no\n' "$port" > /etc/ssh/sshd_config.d/lab.conf
grep -q '^Include /etc/ssh/sshd_config.d' /etc/ssh/sshd_config || sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
systemctl enable ssh >/dev/null 2>&1 || true
systemctl restart ssh
"""


# systemd in a lab container holds inotify instances of the machine's root user, whose number the kernel caps
# (fs.inotify.max_user_instances, 128 by default): measured ~6 per container (5 containers: 37 in use machine-wide
# with the machine's own). Past the cap, systemd in the next containers never finishes booting.
INOTIFY_LIMIT = "/proc/sys/fs/inotify/max_user_instances"
INOTIFY_PER_NODE = 8  # ~6 measured, with room


def inotify_in_use(proc="/proc"):
    """inotify instances open on this machine (every process's fds that are one), None if /proc cannot be read."""
    try:
        pids = [entry for entry in os.listdir(proc) if entry.isdigit()]
    except OSError:
        return None
    count = 0
    for pid in pids:
        folder = os.path.join(proc, pid, "fd")
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                if os.readlink(os.path.join(folder, name)) == "anon_inode:inotify":
                    count += 1
            except OSError:
                continue
    return count


def inotify_problem(new_nodes, limit, in_use):
    """Why ``new_nodes`` more containers would not boot under the inotify cap ``limit`` with ``in_use`` taken,
    or None (also when either figure is unknown: the boot wait still stops with its own message)."""
    if not new_nodes or limit is None or in_use is None:
        return None
    needed = in_use + new_nodes * INOTIFY_PER_NODE
    if needed <= limit:
        return None
    return ("lab: %d more node(s) need about %d inotify instances (%d per node, %d in use now), and "
            "fs.inotify.max_user_instances is %d: systemd in the containers past it would not finish booting. "
            "Fix: sysctl -w fs.inotify.max_user_instances=%d (on this machine; for good, a line in /etc/sysctl.d/), "
            "then run this again" % (new_nodes, needed, INOTIFY_PER_NODE, in_use, limit,
                                     max(512, 1 << (needed - 1).bit_length())))


def _read_int(path):
    try:
        with open(path) as handle:
            return int(handle.read().strip())
    except (IOError, OSError, ValueError):
        return None


def up():
    hosts = inventory()
    key = ensure_key()
    existing = set(name for name in hosts if sh("docker", "container", "inspect", name, check=False).returncode == 0)
    new = len(hosts) - len(existing)
    problem = inotify_problem(new, _read_int(INOTIFY_LIMIT), inotify_in_use() if new else 0)
    if problem:
        sys.exit(problem)
    ensure_network(hosts)
    for name, hv in hosts.items():
        if name in existing:
            state = sh("docker", "inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            if state != "true":
                sh("docker", "start", name)
            continue
        sh("docker", "run", "-d", "--name", name, "--hostname", name, "--label", LABEL,
           "--network", NETWORK, "--ip", hv["node_ip"],
           "--cap-add", "SYS_ADMIN", "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
           "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3",
           image_for(hv.get("node_os")), "/sbin/init")
        print("lab: started %s (%s, %s)" % (name, hv["node_ip"], hv.get("node_os", "debian12")))
    for name, hv in hosts.items():
        wait_for_boot(name)
        script = SETUP.format(user=hv.get("ansible_user", "ops"), port=hv.get("ansible_port", 22), key=key)
        sh("docker", "exec", "-i", name, "bash", "-s", input_text=script)
    for name, hv in hosts.items():
        wait_for_ssh(name, hv)
    print("lab: %d node(s) answer SSH as %s on port %s" % (len(hosts), hv.get("ansible_user"),
                                                            hv.get("ansible_port")))


def wait_for_boot(name, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = sh("docker", "exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    sys.exit("lab: %s did not finish booting (systemctl is-system-running: %s)" % (name, state))


def wait_for_ssh(name, hv, timeout=60):
    deadline = time.time() + timeout
    cmd = ["ssh", "-i", KEY, "-p", str(hv.get("ansible_port", 22)), "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o",
           "LogLevel=ERROR", "%s@%s" % (hv.get("ansible_user"), hv["ansible_host"]), "sudo", "-n", "true"]
    while time.time() < deadline:
        if sh(*cmd, check=False).returncode == 0:
            return
        time.sleep(1)
    sys.exit("lab: %s: SSH as %s on port %s did not answer" % (name, hv.get("ansible_user"), hv.get("ansible_port")))


def down():
    ids = sh("docker", "ps", "-aq", "--filter", "label=" + LABEL).stdout.split()
    if ids:
        sh("docker", "rm", "-f", *ids)
    if sh("docker", "network", "inspect", NETWORK, check=False).returncode == 0:
        sh("docker", "network", "rm", NETWORK)
    print("lab: removed %d container(s)" % len(ids))


def status():
    print(sh("docker", "ps", "-a", "--filter", "label=" + LABEL, "--format",
             "table {{.Names}}\t{{.Status}}\t{{.Image}}").stdout)


def _load(path):
    """The stage summary of a run: the JSON the callback aiplatform.cluster.stage_summary writes
    (AIPLATFORM_STAGE_SUMMARY_FILE), or None when the run wrote none."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


# What each stage of site.yml can do in the lab, and why not more: (how it runs, why).
STAGE_NOTES = {
    "Node preparation": ("for real", "in containers kernel modules, kernel-wide sysctls, swap and the clock stay "
                                     "the host's (the run says so)"),
    "GPU runtime": ("skipped (--skip-tags gpu)", "the NVIDIA container toolkit comes from a vendor repository this "
                                                 "machine cannot reach; molecule 'accelerators' and 'cluster' test the role with a stand-in"),
    "NPU runtime": ("skipped (--skip-tags npu)", "the Ascend Docker Runtime is a vendor package; molecule "
                                                 "'accelerators' and 'cluster' test the role with a stand-in"),
    "Offline repository": ("not in this config", "runs only with offline.enabled; molecule 'offline' tests it"),
    "Offline images into the site registry": ("not in this config", "runs only with offline.enabled"),
    "Shared storage": ("for real, without exporting or mounting", "this kernel has no NFS server or client"),
    "Kubernetes": ("for real up to the rendered, validated kubeadm config and pod network manifest; packages, "
                   "init, joins, pod network apply, labels in check mode",
                   "no Kubernetes package or image is reachable here (kubeadm_lifecycle: false in the lab)"),
    "Platform services": ("for real up to the rendered manifests; not applied",
                          "no cluster to apply to (docs/platform.md)"),
    "Verify - read the cluster": ("says what it would check; nothing verified", "no cluster to ask (docs/verify.md)"),
    "Verify - probe every node": ("not probed", "no cluster"),
    "Verify - certificates": ("not read", "verify reads certificates only when the cluster answers; "
                                          "molecule 'registry' and tests/unit/plugins/module_utils/test_cert_expiry.py test them"),
    "Verify - report": ("no report", "no cluster"),
}


def _stage_rows(stages):
    """(name, how, why) per stage of the callback's summary: how it ran here, and why not more (STAGE_NOTES)."""
    rows = []
    for stage in stages:
        name, tasks = stage["name"], stage.get("tasks", 0)
        how, why = STAGE_NOTES.get(name, ("for real", ""))
        if not tasks and not how.startswith(("skipped", "not in")):
            how, why = "no task ran", why or "no host of this stage in the lab"
        if tasks:
            how = "%s (%d tasks, %s)" % (how, tasks, duration(stage.get("seconds", 0)))
        if stage.get("unchanged"):
            how += "; skipped as unchanged on %d node(s)" % len(stage["unchanged"])
        rows.append((name, how, why))
    return rows


def _recap(summary):
    """Lines of Ansible's recap per host; the number of hosts that failed or were unreachable."""
    lines, bad = [], 0
    for host, counts in sorted((summary.get("recap") or {}).items()):
        lines.append("%-14s %5s %8s %12s %7s %8s" % (host, counts.get("ok", 0), counts.get("changed", 0),
                                                     counts.get("unreachable", 0), counts.get("failures", 0),
                                                     counts.get("skipped", 0)))
        bad += int(counts.get("unreachable", 0)) + int(counts.get("failures", 0))
    return lines, bad


def summary(run_path, check_path=None):
    """What the run did: per stage of site.yml, how it ran here (for real, check mode, skipped) and why not
    more; the recap per host; with check_path, the stages the check-mode run covered. Both files are the
    JSON of the callback aiplatform.cluster.stage_summary (its table is in the run's output already)."""
    run = _load(run_path)
    if run is None:
        print("lab: no stage summary in %s (was the callback aiplatform.cluster.stage_summary enabled?)" % run_path)
        return 1
    print("\n== Lab summary (%s)" % os.path.relpath(run_path, ROOT))
    stages = list(run.get("stages") or [])
    seen = set(stage["name"] for stage in stages)
    # Stages the run never opened (filtered out by --skip-tags) are listed too, with their reason.
    stages += [{"name": name, "tasks": 0} for name in STAGE_NOTES
               if name not in seen and STAGE_NOTES[name][0].startswith("skipped")]
    for name, how, why in _stage_rows(stages):
        print("  - %s: %s%s" % (name, how, (". Why: " + why) if why else ""))
    print("%-14s %5s %8s %12s %7s %8s" % ("host", "ok", "changed", "unreachable", "failed", "skipped"))
    lines, bad = _recap(run)
    print("\n".join(lines))
    checked = _load(check_path) if check_path else None
    if checked is not None:
        print("Check mode (site.yml --tags kubeadm --check -e @lab/kubeadm-check.yml: the Kubernetes lifecycle as "
              "it would run with packages reachable):")
        for stage in checked.get("stages") or []:
            if stage.get("tasks"):
                print("  - %s (%d tasks)" % (stage["name"], stage["tasks"]))
        lines, more = _recap(checked)
        print("\n".join(lines))
        bad += more
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("up", "down", "status", "summary"):
        print(__doc__)
        return 2
    if argv[1] == "up":
        up()
    elif argv[1] == "down":
        down()
    elif argv[1] == "status":
        status()
    else:
        return summary(argv[2] if len(argv) > 2 else os.path.join(ROOT, ".cache", "lab-run.json"),
                       argv[3] if len(argv) > 3 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
