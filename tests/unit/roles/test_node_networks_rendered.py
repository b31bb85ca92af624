"""The node networks' default (one /32 per node when network.node_networks is unset) renders the same firewall
rules, time server networks and NFS exports as when the config writes the same /32 list out.

The inventory plugin leaves an unset network.node_networks (and a share's clients) empty, so that no host carries
the list of every node (the inventory grew with the square of the node count); node_init and nfs work the list out
once per play (tasks node_networks.yml / facts.yml). This runs the roles' own expressions through ansible-playbook
over the plugin's inventory of two configs, one leaving node_networks unset, one writing out the /32 list the
plugin used to fill in, and compares what each node would get: ufw rules (and the rules deleted for a node on its
way out), chrony's allow lines, the exports file's lines.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)

IPS = {"cp-01": "10.0.0.1", "gpu-01": "10.0.0.11", "npu-01": "10.0.0.21", "store-01": "10.0.0.31",
       "late-01": None}


def config(node_networks):
    nodes = []
    for name, ip in IPS.items():
        node = {"hostname": name, "roles": ["control_plane"] if name == "cp-01" else ["worker"], "os": "ubuntu2204"}
        if ip:
            node["ip"] = ip
        if name == "gpu-01":
            node["accelerator"] = {"vendor": "nvidia", "model": "A100", "count": 8}
        nodes.append(node)
    network = {"firewall": "managed", "ntp_server_node": "cp-01"}
    if node_networks:
        network["node_networks"] = node_networks
    return {"schema_version": 1, "cluster": {"name": "render", "domain": "render.example"},
            "network": network, "ssh": {"user": "root"}, "nodes": nodes,
            "storage": {"nfs": {"shares": [{"name": "data", "server": "store-01", "export_path": "/srv/data",
                                            "mount_point": "/mnt/data"},
                                           {"name": "models", "server": "store-01", "export_path": "/srv/models",
                                            "mount_point": "/mnt/models", "clients": ["10.0.0.1/32"]}]}},
            "mirrors": {"kubernetes_packages_key_sha256": "0" * 64},
            "accelerators": {"nvidia_repo_key_sha256": "0" * 64}}


def firewall_vars():
    """The vars of the ufw task of roles/node_init/tasks/firewall_rules.yml, as written there."""
    with open(os.path.join(ROOT, "roles", "node_init", "tasks", "firewall_rules.yml")) as handle:
        tasks = yaml.safe_load(handle)
    task = next(t for t in tasks if "community.general.ufw" in t)
    return task["vars"], task["loop"]


def time_vars():
    with open(os.path.join(ROOT, "roles", "node_init", "tasks", "time_config.yml")) as handle:
        tasks = yaml.safe_load(handle)
    return next(t for t in tasks if "ansible.builtin.template" in t)["vars"]


def playbook(path, removed):
    fw_vars, fw_loop = firewall_vars()
    chrony = os.path.join(ROOT, "roles", "node_init", "templates", "chrony.conf.j2")
    extra = {"aiplatform_removed_nodes": removed} if removed else {}
    plays = [{
        "name": "What each node would get",
        "hosts": "all,!late-01",
        "gather_facts": False,
        "connection": "local",
        "vars": dict(extra, ansible_python_interpreter=sys.executable, ansible_become=False),
        "tasks": [
            {"name": "node_init's node networks", "ansible.builtin.include_role": {
                "name": "aiplatform.cluster.node_init", "tasks_from": "node_networks", "public": True}},
            {"name": "nfs's shares", "ansible.builtin.include_role": {
                "name": "aiplatform.cluster.nfs", "tasks_from": "facts", "public": True}},
            {"name": "Rendered", "ansible.builtin.set_fact": {
                "rendered": {
                    "ufw": fw_loop,
                    "chrony": "{{ lookup('ansible.builtin.template', %r) }}" % chrony,
                    "exports": "{{ __nfs_exports | aiplatform.cluster.nfs_export_lines(inventory_hostname) }}"}},
             "vars": dict(fw_vars, **time_vars())},
            {"name": "Write it down", "ansible.builtin.copy": {
                "content": "{{ rendered | to_json }}", "dest": "%s/{{ inventory_hostname }}.json" % path},
             "delegate_to": "localhost"},
        ]}]
    return plays


def render(tmp_path, name, node_networks, removed=()):
    site = tmp_path / name
    site.mkdir()
    (site / "platform.yml").write_text(yaml.safe_dump(config(node_networks), sort_keys=False))
    out = tmp_path / (name + "-out")
    out.mkdir()
    play = tmp_path / (name + "-play.yml")
    play.write_text(yaml.safe_dump(playbook(str(out), list(removed)), sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FACT_CACHING="memory")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(site), str(play)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return dict((f[:-5], json.loads((out / f).read_text())) for f in sorted(os.listdir(out)))


PER_NODE = ["%s/32" % ip for ip in IPS.values() if ip]


@pytest.mark.parametrize("removed", [(), ("gpu-01",)], ids=["site", "gpu-01 leaving"])
def test_unset_node_networks_render_as_the_per_node_list_written_out(tmp_path, removed):
    unset = render(tmp_path, "unset", None, removed)
    written = render(tmp_path, "written", PER_NODE, removed)
    assert unset == written
    left = [n for n in PER_NODE if n != "10.0.0.11/32"] if removed else PER_NODE
    cp = unset["cp-01"]
    sources = sorted(set(r["src"] for r in cp["ufw"] if "src" in r and not r.get("delete")))
    assert sorted(set(left) | {"10.244.0.0/16"}) == sources
    deleted = sorted(set(r["src"] for r in cp["ufw"] if r.get("delete")))
    assert deleted == (["10.0.0.11/32"] if removed else [])
    assert [line for line in cp["chrony"].splitlines() if line.startswith("allow")] == ["allow " + n for n in left]
    assert unset["store-01"]["exports"][0] == "/srv/data " + " ".join(
        "%s(rw,sync,no_subtree_check,root_squash)" % n for n in left)
    assert unset["store-01"]["exports"][1] == "/srv/models 10.0.0.1/32(rw,sync,no_subtree_check,root_squash)"


def test_node_networks_given_as_a_cidr_stay_as_given(tmp_path):
    given = render(tmp_path, "cidr", ["10.0.0.0/24"])
    assert [line for line in given["cp-01"]["chrony"].splitlines() if line.startswith("allow")] == [
        "allow 10.0.0.0/24"]
    assert given["store-01"]["exports"][0].startswith("/srv/data 10.0.0.0/24(")


@pytest.mark.parametrize("role", ["node_init", "nfs"])
def test_no_task_var_of_the_role_is_also_registered(role):
    """A registered variable wins over a task's vars: node_init's `__node_init_sources` (the firewall's sources) was
    also the register of the APT sources task, and the firewall got that result's keys as sources (molecule
    node_init found it; the rendering above runs the task vars alone)."""
    registered, task_vars = set(), set()
    tasks_dir = os.path.join(ROOT, "roles", role, "tasks")
    for name in os.listdir(tasks_dir):
        with open(os.path.join(tasks_dir, name)) as handle:
            for task in yaml.safe_load(handle) or []:
                for item in [task] + list(task.get("block", [])):
                    if isinstance(item.get("register"), str):
                        registered.add(item["register"])
                    task_vars.update(item.get("vars") or {})
    assert not registered & task_vars
