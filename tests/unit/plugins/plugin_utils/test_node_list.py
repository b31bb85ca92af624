"""What a scale or a removal changes on the existing nodes (plugins/plugin_utils/node_list.py, playbooks/node_list.yml).

The inventories below are what the inventory plugin makes of a config: `platform_network.node_networks` is empty
when the config leaves it unset (config/model.py, _group_vars), and so are the NFS shares' clients, which default to it;
what they stand for, one /32 per node, is worked out from the nodes' node_ip (node_list.host_networks) once.
`per_node_lists=True` builds the inventory of earlier versions instead, with the /32 lists written out: the plan
must be the same.
"""
import os
import re

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import node_list

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

IPS = {"cp-01": "10.0.0.1", "cp-02": "10.0.0.2", "cp-03": "10.0.0.3", "gpu-01": "10.0.0.11", "gpu-02": "10.0.0.12",
       "npu-01": "10.0.0.21", "npu-02": "10.0.0.22", "store-01": "10.0.0.31"}


def site(nodes, node_networks=None, firewall="unmanaged", ntp_server_node="", endpoint="10.0.0.1:6443",
         ha_mode="local-proxy", shares_clients=None, per_node_lists=False, **extra):
    """hostvars and groups of a site of ``nodes`` (names as in IPS; their kind from the name)."""
    nets = node_networks if node_networks is not None else (["%s/32" % IPS[n] for n in nodes] if per_node_lists
                                                            else [])
    network = {"node_networks": nets, "firewall": firewall}
    if ntp_server_node:
        network["ntp_server_node"] = ntp_server_node
    shares = [{"name": "share", "server": "store-01", "export_path": "/srv/nfs/share",
               "clients": list(shares_clients if shares_clients is not None else nets)}]
    cluster = {"ha_mode": ha_mode}
    if endpoint:
        cluster["control_plane_endpoint"] = endpoint
    common = {"platform_network": network, "platform_storage": {"nfs": {"shares": shares}}, "platform_cluster": cluster}
    common.update(extra)
    hostvars = dict((n, dict(common, node_ip=IPS[n])) for n in nodes)
    groups = {"all": list(nodes),
              "kube_control_plane": [n for n in nodes if n.startswith("cp-")],
              "k8s_cluster": [n for n in nodes if not n.startswith("store-")] + [n for n in nodes if n.startswith("store-")],
              "nvidia_gpu": [n for n in nodes if n.startswith("gpu-")],
              "ascend_npu": [n for n in nodes if n.startswith("npu-")],
              "nfs_server": [n for n in nodes if n.startswith("store-")]}
    return hostvars, groups


BASE = ["cp-01", "gpu-01", "npu-01", "store-01"]


def test_a_new_worker_touches_hosts_everywhere_and_the_exports_of_the_nfs_server():
    hostvars, groups = site(BASE + ["gpu-02"])
    result = node_list.plan(hostvars, groups, ["gpu-02"], "add")
    assert result == {"hosts": {
        "cp-01": {"hosts": "/etc/hosts gains gpu-02"},
        "gpu-01": {"hosts": "/etc/hosts gains gpu-02"},
        "npu-01": {"hosts": "/etc/hosts gains gpu-02"},
        "store-01": {"hosts": "/etc/hosts gains gpu-02", "exports": "NFS export /srv/nfs/share to 10.0.0.12/32"},
    }, "notes": []}


def test_a_managed_firewall_admits_the_new_nodes_32_on_every_existing_node():
    hostvars, groups = site(BASE + ["gpu-02"], firewall="managed")
    hosts = node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]
    assert sorted(hosts) == sorted(BASE)
    for host in BASE:
        assert hosts[host]["firewall"] == ("ufw admits 10.0.0.12/32 (one /32 per node: network.node_networks is "
                                           "unset)"), host


def test_node_networks_given_as_a_cidr_leave_exports_and_firewall_alone():
    hostvars, groups = site(BASE + ["gpu-02"], node_networks=["10.0.0.0/24"], firewall="managed")
    hosts = node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]
    assert all(set(parts) == {"hosts"} for parts in hosts.values()), hosts


def test_a_host_variable_overrides_the_firewall_policy_as_in_the_role():
    hostvars, groups = site(BASE + ["gpu-02"], firewall="managed")
    hostvars["gpu-01"]["node_init_firewall"] = "unmanaged"
    hostvars["npu-01"]["node_init_firewall_sources"] = ["10.0.0.0/24"]
    hosts = node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]
    assert "firewall" not in hosts["gpu-01"] and "firewall" not in hosts["npu-01"]
    assert "firewall" in hosts["cp-01"]


def test_explicit_share_clients_leave_the_exports_alone():
    hostvars, groups = site(BASE + ["gpu-02"], shares_clients=["10.0.0.0/24"])
    assert "exports" not in node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]["store-01"]


def test_the_time_server_node_allows_the_new_node():
    hostvars, groups = site(BASE + ["gpu-02"], ntp_server_node="cp-01")
    hosts = node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]
    assert hosts["cp-01"]["ntp"] == "chrony serves time to 10.0.0.12/32"
    assert all("ntp" not in parts for host, parts in hosts.items() if host != "cp-01")


def test_a_new_npu_node_rewrites_the_rank_table_of_the_npu_nodes_only():
    hostvars, groups = site(BASE + ["npu-02"])
    hosts = node_list.plan(hostvars, groups, ["npu-02"], "add")["hosts"]
    assert [h for h, parts in hosts.items() if "rank_table" in parts] == ["npu-01"]
    assert hosts["npu-01"]["rank_table"] == "HCCL rank table gains npu-02"


def test_the_first_gpu_node_brings_the_platform_services_on_the_first_control_plane_node():
    nodes = ["cp-01", "npu-01", "store-01", "gpu-01"]
    hostvars, groups = site(nodes)
    hosts = node_list.plan(hostvars, groups, ["gpu-01"], "add")["hosts"]
    assert hosts["cp-01"]["platform"] == ("first NVIDIA node (gpu-01): the platform services render its device "
                                          "plugin and exporter")
    # a second GPU node does not: the device plugin is a DaemonSet already there
    hostvars, groups = site(BASE + ["gpu-02"])
    assert "platform" not in node_list.plan(hostvars, groups, ["gpu-02"], "add")["hosts"]["cp-01"]
    # removing the last one leaves the DaemonSet idle; nothing to do
    assert "platform" not in node_list.plan(hostvars, groups, ["gpu-01", "gpu-02"], "remove")["hosts"]["cp-01"]


def test_control_plane_changes_update_haproxy_only_where_it_runs():
    nodes = ["cp-01", "cp-02", "gpu-01", "store-01", "cp-03"]
    hostvars, groups = site(nodes, endpoint="")
    hosts = node_list.plan(hostvars, groups, ["cp-03"], "add")["hosts"]
    proxied = sorted(h for h, parts in hosts.items() if "local_proxy" in parts)
    assert proxied == ["cp-01", "cp-02", "gpu-01", "store-01"]
    assert hosts["gpu-01"]["local_proxy"] == "haproxy's API backends gains cp-03"
    # an explicit cluster.control_plane_endpoint: then no haproxy runs (roles/kubeadm/tasks/prepare.yml)
    hostvars, groups = site(nodes)
    assert not [h for h, parts in node_list.plan(hostvars, groups, ["cp-03"], "add")["hosts"].items()
                if "local_proxy" in parts]
    # kube-vip: no haproxy either
    hostvars, groups = site(nodes, endpoint="", ha_mode="kube-vip")
    assert not [h for h, parts in node_list.plan(hostvars, groups, ["cp-03"], "add")["hosts"].items()
                if "local_proxy" in parts]


def test_going_from_one_to_two_control_plane_nodes_is_a_note():
    hostvars, groups = site(["cp-01", "gpu-01", "cp-02"], endpoint="")
    result = node_list.plan(hostvars, groups, ["cp-02"], "add")
    assert not [h for h, parts in result["hosts"].items() if "local_proxy" in parts]
    assert result["notes"] == ["the cluster goes from 1 to 2 control-plane node(s): with cluster.ha_mode local-proxy "
                               "the nodes that are already members keep the API endpoint they joined with; run "
                               "site.yml to give every node the local proxy"]
    result = node_list.plan(hostvars, groups, ["cp-02"], "remove")
    assert "from 2 to 1" in result["notes"][0]


def test_removal_is_the_reverse():
    hostvars, groups = site(BASE + ["gpu-02"], firewall="managed", ntp_server_node="cp-01")
    hosts = node_list.plan(hostvars, groups, ["gpu-02"], "remove")["hosts"]
    assert hosts["gpu-01"] == {"hosts": "/etc/hosts drops gpu-02",
                               "firewall": "ufw stops admitting 10.0.0.12/32 (one /32 per node: network.node_networks "
                                           "is unset)"}
    assert hosts["store-01"]["exports"] == "NFS export /srv/nfs/share no longer to 10.0.0.12/32"
    assert hosts["cp-01"]["ntp"] == "chrony serves time no longer to 10.0.0.12/32"
    assert "gpu-02" not in hosts


def test_nothing_changed_touches_nothing():
    hostvars, groups = site(BASE)
    assert node_list.plan(hostvars, groups, [], "add") == {"hosts": {}, "notes": []}
    assert node_list.plan(hostvars, groups, [""], "remove") == {"hosts": {}, "notes": []}


def test_a_node_without_node_ip_changes_no_hosts_block():
    hostvars, groups = site(BASE)
    hostvars["extra"] = {}
    groups["all"].append("extra")
    hosts = node_list.plan(hostvars, groups, ["extra"], "add")["hosts"]
    assert hosts == {}


def test_a_wrong_direction_is_refused():
    hostvars, groups = site(BASE)
    with pytest.raises(ValueError, match="direction is 'grow'; it must be 'add' or 'remove'"):
        node_list.plan(hostvars, groups, ["gpu-01"], "grow")


@pytest.mark.parametrize("cidrs,names,expected", [
    (["10.0.0.1/32", "10.0.0.11/32", "10.0.0.21/32"], ["gpu-01"], ["10.0.0.1/32", "10.0.0.21/32"]),
    (["10.0.0.0/24"], ["gpu-01"], ["10.0.0.0/24"]),
    (["10.0.0.0/24", "10.0.0.11/32"], ["gpu-01", "npu-01"], ["10.0.0.0/24"]),
    (["10.0.0.1/32"], [], ["10.0.0.1/32"]),
    ([], ["gpu-01"], []),
    (["10.0.0.1/32"], ["unknown"], ["10.0.0.1/32"]),
])
def test_networks_without(cidrs, names, expected):
    hostvars, _groups = site(BASE)
    assert node_list.networks_without(cidrs, hostvars, names) == expected


def test_networks_without_ipv6():
    assert node_list.networks_without(["fd00::5/128", "fd00::/64"], {"v6": {"node_ip": "fd00::5"}}, ["v6"]) == \
        ["fd00::/64"]


def test_shares_without_filters_each_clients_list_and_copies():
    hostvars, _groups = site(BASE)
    shares = [{"name": "a", "clients": ["10.0.0.1/32", "10.0.0.11/32"]}, {"name": "b"}]
    out = node_list.shares_without(shares, hostvars, ["gpu-01"])
    assert out == [{"name": "a", "clients": ["10.0.0.1/32"]}, {"name": "b"}]
    assert shares[0]["clients"] == ["10.0.0.1/32", "10.0.0.11/32"]


def test_host_networks_are_one_32_per_node_in_inventory_order():
    hostvars, _groups = site(["store-01", "cp-01", "gpu-01"])
    hostvars["late-01"] = {"platform_network": {}}  # a DLWS scale_up node without an address
    hostvars["v6-01"] = {"node_ip": "fd00::7"}
    assert node_list.host_networks(hostvars) == ["10.0.0.31/32", "10.0.0.1/32", "10.0.0.11/32", "fd00::7/128"]
    assert node_list.host_networks(hostvars, ["cp-01", "v6-01"]) == ["10.0.0.31/32", "10.0.0.11/32"]
    assert node_list.host_networks({}) == []


@pytest.mark.parametrize("cidrs, names, expected", [
    (["10.0.0.0/24"], ["gpu-01"], ["10.0.0.0/24"]),  # given: as given
    ([], ["gpu-01"], ["10.0.0.11/32"]),  # unset: the named nodes' /32
    ([], [], []),
    (None, ["gpu-01", "unknown"], ["10.0.0.11/32"]),
])
def test_networks_or_hosts(cidrs, names, expected):
    hostvars, _groups = site(BASE)
    assert node_list.networks_or_hosts(cidrs, hostvars, names) == expected


def test_shares_without_fills_empty_clients_with_the_default_clients_first():
    hostvars, _groups = site(BASE)
    shares = [{"name": "a", "clients": []}, {"name": "b", "clients": ["10.0.0.1/32"]}, {"name": "c"}]
    nets = node_list.host_networks(hostvars)
    out = node_list.shares_without(shares, hostvars, ["gpu-01"], nets)
    assert out == [{"name": "a", "clients": ["10.0.0.1/32", "10.0.0.21/32", "10.0.0.31/32"]},
                   {"name": "b", "clients": ["10.0.0.1/32"]},
                   {"name": "c", "clients": ["10.0.0.1/32", "10.0.0.21/32", "10.0.0.31/32"]}]
    assert shares[0]["clients"] == [] and "clients" not in shares[2]
    assert node_list.shares_without(shares, hostvars, [])[0] == {"name": "a", "clients": []}


PLANS = [
    (BASE + ["gpu-02"], ["gpu-02"], "add", {}),
    (BASE + ["gpu-02"], ["gpu-02"], "add", {"firewall": "managed", "ntp_server_node": "cp-01"}),
    (BASE + ["gpu-02"], ["gpu-02"], "remove", {"firewall": "managed", "ntp_server_node": "store-01"}),
    (BASE, ["npu-01"], "remove", {"firewall": "managed"}),
    (BASE + ["cp-02", "cp-03"], ["cp-03"], "add", {"endpoint": "", "firewall": "managed"}),
]


@pytest.mark.parametrize("nodes, changed, direction, options", PLANS)
def test_the_plan_is_the_same_without_the_per_node_lists_in_the_inventory(nodes, changed, direction, options):
    """The inventory of earlier versions wrote the /32 lists out on every host; the plan must not change."""
    before = node_list.plan(*site(nodes, per_node_lists=True, **options), changed=changed, direction=direction)
    now = node_list.plan(*site(nodes, **options), changed=changed, direction=direction)
    assert now == before
    assert now["hosts"]  # something to compare


def test_removal_problems_name_each_job_the_others_depend_on():
    hostvars, _groups = site(BASE, ntp_server_node="store-01", platform_registry_host="store-01",
                             platform_registry={"local": {"enabled": True}},
                             platform_offline={"enabled": True, "repo_node": "store-01"})
    assert node_list.removal_problems(hostvars, "store-01") == [
        "it serves the NFS share share (storage.nfs.shares[].server)",
        "it runs the site registry the nodes pull from (the registry role)",
        "the other nodes take their time from it (network.ntp_server_node)",
        "it serves the offline repository (offline.repo_node)"]
    assert node_list.removal_problems(hostvars, "gpu-01") == []
    assert node_list.removal_problems({}, "gone") == []


# --- the shape: node-list tasks are the stages' own tasks, not copies -----------------------------------------

ENTRIES = {"node_init": ["hosts_file.yml", "firewall_rules.yml", "time_config.yml", "container.yml"],
           "nfs": ["exports.yml", "facts.yml"], "ascend_runtime": ["rank_table.yml"],
           "kubeadm": ["local_proxy_config.yml"]}


def _imports(path):
    with open(path) as handle:
        tasks = yaml.safe_load(handle) or []
    return sorted(t["ansible.builtin.import_tasks"] for t in tasks if "ansible.builtin.import_tasks" in t)


@pytest.mark.parametrize("role", sorted(ENTRIES))
def test_each_node_list_entry_runs_only_task_files_the_stage_itself_imports(role):
    tasks_dir = os.path.join(ROOT, "roles", role, "tasks")
    assert _imports(os.path.join(tasks_dir, "node_list.yml")) == sorted(ENTRIES[role])
    others = [f for f in os.listdir(tasks_dir) if f.endswith(".yml") and f != "node_list.yml"]
    used = set()
    for name in others:
        used.update(_imports(os.path.join(tasks_dir, name)))
    assert set(ENTRIES[role]) <= used, "roles/%s: node_list.yml imports files no stage file imports: %s" % (
        role, sorted(set(ENTRIES[role]) - used))


def test_node_list_playbook_runs_each_role_entry_and_every_plan_part_has_a_play():
    with open(os.path.join(ROOT, "playbooks", "node_list.yml")) as handle:
        text = handle.read()
    for role in ENTRIES:
        assert re.search(r"name: aiplatform\.cluster\.%s\s+tasks_from: node_list" % role, text), role
    for part in node_list.PARTS:
        assert "aiplatform_node_list_%s" % part in text, part


# --- the node lists keep the inventory's order -----------------------------------------------------------------

ORDERED = {"node_init": ["node_init_hosts_nodes", "node_init_firewall_closed_sources"],
           "ascend_runtime": ["ascend_runtime_rank_table_nodes"], "kubeadm": ["kubeadm_control_plane"]}


@pytest.mark.parametrize("role", sorted(ORDERED))
def test_node_lists_never_go_through_a_set(role):
    """Ansible's `difference` filter is a set difference: its order changes from run to run (hash seeds), which
    rewrote the /etc/hosts block on every run (molecule cluster's idempotence found it) and would change which
    node kubeadm takes for the first control-plane node. The lists leave nodes out with reject('in', ...)."""
    path = os.path.join(ROOT, "roles", role, "defaults")
    files = [os.path.join(d, f) for d, _s, fs in os.walk(path) for f in fs if f.endswith(".yml")]
    defaults = {}
    for name in files:
        with open(name) as handle:
            defaults.update(yaml.safe_load(handle) or {})
    for var in ORDERED[role]:
        assert "difference(" not in defaults[var], (role, var, defaults[var])
        assert "reject('in'," in defaults[var], (role, var, defaults[var])
