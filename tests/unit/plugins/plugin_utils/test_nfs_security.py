"""NFS secure defaults: export options exports(5) knows, root squashing, clients inside the node networks,
NFS v4 only (issue 14). Pure functions first, then the same rules as the config pipeline reports them."""
import copy

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import nfs
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import node_list

BASE = {
    "schema_version": 1,
    "cluster": {"name": "site", "domain": "ai.example"},
    "network": {"node_networks": ["10.1.0.0/24"]},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"]},
        {"hostname": "store-01", "ip": "10.1.0.41", "roles": ["worker"]},
    ],
    "storage": {"nfs": {"shares": [{"name": "data", "server": "store-01", "export_path": "/srv/data",
                                    "mount_point": "/mnt/data"}]}},
    # a site ready to deploy pins its Kubernetes repository key (else a warning: plugins/plugin_utils/config/test_prerequisites.py)
    "mirrors": {"kubernetes_packages_key_sha256": "ab" * 32},
}


def run(share=None, nfs_keys=None, network=None):
    config = copy.deepcopy(BASE)
    config["storage"]["nfs"]["shares"][0].update(share or {})
    config["storage"]["nfs"].update(nfs_keys or {})
    if network is not None:
        config["network"] = network
    return parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")


def texts(problems):
    return [str(p) for p in problems]


# --- the defaults ---------------------------------------------------------------------------------

def test_defaults_squash_root_and_serve_v4_only():
    result = run()
    assert texts(result.problems) == []
    storage = result.model.group_vars["all"]["platform_storage"]["nfs"]
    assert storage["v3"] is False
    assert storage["shares"][0]["export_options"] == "rw,sync,no_subtree_check,root_squash"
    assert storage["shares"][0]["clients_outside_node_networks"] is False
    assert nfs.export_lines(storage["shares"], "store-01") == [
        "/srv/data 10.1.0.0/24(rw,sync,no_subtree_check,root_squash)"]


def test_a_share_without_options_gets_root_squash():
    share = {"name": "s", "server": "a", "export_path": "/srv/s", "clients": ["10.0.0.0/24"]}
    assert nfs.export_lines([share], "a") == ["/srv/s 10.0.0.0/24(rw,sync,no_subtree_check,root_squash)"]


# --- export options -------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    "rw,sync,no_subtree_check,root_squash", "ro,async,insecure,nohide,crossmnt", "rw,fsid=0", "rw,fsid=root",
    "rw,fsid=6a8b2c1e-0d2f-4a4e-9a1b-1c2d3e4f5a6b", "rw,sec=krb5p:krb5i", "rw,all_squash,anonuid=1000,anongid=1000",
    "rw,mountpoint", "rw,mp=/srv/data", "ro,refer=/data@nfs-02+nfs-03", "rw,no_wdelay,nordirplus,security_label",
    "rw,pnfs,secure_locks,auth_nlm,subtree_check,wdelay,hide,secure", "rw,insecure_locks,no_auth_nlm,no_all_squash",
])
def test_options_exports5_knows_pass(options):
    assert nfs.export_option_problems(options) == []


@pytest.mark.parametrize("options, option, why", [
    ("rw,sync,no_root_sqaush", "no_root_sqaush", "not an export option exports(5) knows"),
    ("rw) 0.0.0.0/0(rw", "rw) 0.0.0.0/0(rw", "a space or a parenthesis"),
    ("rw,sync 10.0.0.0/8(rw", "rw,sync 10.0.0.0/8(rw", "a space or a parenthesis"),
    ("rw, sync", "rw, sync", "a space or a parenthesis"),
    ("rw,(sync)", "rw,(sync)", "a space or a parenthesis"),
    ("rw,,sync", "rw,,sync", "empty option"),
    ("rw,anonuid=nobody", "anonuid=nobody", "needs a number"),
    ("rw,anongid=", "anongid=", "needs a number"),
    ("rw,fsid=abc", "fsid=abc", "a number, root or a UUID"),
    ("rw,sec=krb6", "sec=krb6", "flavors from"),
    ("rw,mp=relative", "mp=relative", "an absolute path"),
    ("rw,sync=yes", "sync=yes", "takes no value"),
    ("rw,ro", "rw,ro", "are opposites"),
    ("rw,root_squash,no_root_squash", "root_squash,no_root_squash", "are opposites"),
    ("", "", "is empty"),
])
def test_options_exports5_does_not_know_are_refused(options, option, why):
    problems = nfs.export_option_problems(options)
    assert any(p[0] == option and why in p[1] for p in problems), problems


def test_export_lines_refuse_what_the_config_would_refuse():
    share = {"name": "s", "server": "a", "export_path": "/srv/s", "clients": ["10.0.0.0/24"],
             "export_options": "rw) 0.0.0.0/0(rw"}
    with pytest.raises(ValueError, match="share s: export option .* holds a space or a parenthesis"):
        nfs.export_lines([share], "a")


def test_config_error_names_the_share_the_option_and_the_fix():
    result = run({"export_options": "rw,sync,no_root_sqaush"})
    errors = texts(result.errors)
    assert len(errors) == 1, errors
    assert "storage.nfs.shares[0].export_options" in errors[0]
    assert "share data: 'no_root_sqaush' is not an export option exports(5) knows" in errors[0]
    assert "Fix: remove it, or use one of:" in errors[0] and "no_root_squash" in errors[0]


def test_config_refuses_a_client_spec_smuggled_into_the_options():
    errors = texts(run({"export_options": "rw) 0.0.0.0/0(rw,no_root_squash"}).errors)
    assert any("share data:" in e and "space or a parenthesis" in e and "clients" in e for e in errors), errors


# --- no_root_squash ---------------------------------------------------------------------------------

def test_no_root_squash_is_allowed_per_share_and_warned_about():
    result = run({"export_options": "rw,sync,no_subtree_check,no_root_squash"})
    assert texts(result.errors) == []
    warnings = texts(p for p in result.problems if p.level == "warning")
    assert len(warnings) == 1, warnings
    assert "storage.nfs.shares[0].export_options" in warnings[0]
    assert "share data is exported with no_root_squash: root on any client" in warnings[0]
    assert "Fix: keep it only if this share needs it" in warnings[0]


def test_root_squash_gives_no_warning():
    assert texts(run({"export_options": "rw,sync,root_squash"}).problems) == []


# --- clients ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("clients, node_networks, outside, public", [
    (["10.1.0.0/24"], ["10.1.0.0/24"], [], []),
    (["10.1.0.128/25"], ["10.1.0.0/24"], [], []),
    (["10.1.0.0/23"], ["10.1.0.0/24"], ["10.1.0.0/23"], []),
    (["0.0.0.0/1"], ["10.1.0.0/24"], ["0.0.0.0/1"], ["0.0.0.0/1"]),
    (["52.10.0.7/32"], ["52.10.0.0/24"], [], ["52.10.0.7/32"]),
    (["192.168.0.0/16"], ["10.1.0.0/24", "192.168.0.0/16"], [], []),
    (["fd00::/64"], ["10.1.0.0/24"], ["fd00::/64"], []),
])
def test_clients_outside(clients, node_networks, outside, public):
    assert nfs.clients_outside(clients, node_networks) == (outside, public)


@pytest.mark.parametrize("clients, network, text", [
    (["0.0.0.0/1"], None, "clients 0.0.0.0/1 are outside the node networks (10.1.0.0/24)"),
    (["10.1.0.0/24", "10.0.0.0/8"], None, "clients 10.0.0.0/8 are outside the node networks"),
    (["52.10.0.0/24"], {"node_networks": ["52.10.0.0/24"]}, "clients 52.10.0.0/24 are public ranges"),
    (["10.1.0.0/24"], {}, "clients 10.1.0.0/24 are outside the node networks (10.1.0.11/32, 10.1.0.41/32)"),
])
def test_clients_wider_than_the_node_networks_are_refused(clients, network, text):
    errors = texts(run({"clients": clients}, network=network).errors)
    assert any(text in e and "storage.nfs.shares[0].clients" in e and "share data" in e
               and "clients_outside_node_networks: true" in e for e in errors), errors


def test_a_public_node_address_is_a_fine_client():
    config = copy.deepcopy(BASE)
    config["network"] = {}
    for node, ip in zip(config["nodes"], ("52.10.0.11", "52.10.0.41")):
        node["ip"] = ip
    result = parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")
    assert texts(result.problems) == []
    # the inventory leaves the clients empty; the nfs role exports to one /32 per node (filter node_host_networks)
    assert result.model.group_vars["all"]["platform_storage"]["nfs"]["shares"][0]["clients"] == []
    assert node_list.host_networks(result.model.hosts) == ["52.10.0.11/32", "52.10.0.41/32"]


def test_clients_outside_are_allowed_when_the_share_says_so_and_warned_about():
    result = run({"clients": ["10.1.0.0/24", "172.20.0.0/16"], "clients_outside_node_networks": True})
    assert texts(result.errors) == []
    warnings = texts(p for p in result.problems if p.level == "warning")
    assert len(warnings) == 1 and "share data is exported to 172.20.0.0/16" in warnings[0], warnings


@pytest.mark.parametrize("everyone", ["0.0.0.0/0", "::/0"])
def test_everyone_is_refused_even_when_the_share_says_so(everyone):
    errors = texts(run({"clients": [everyone], "clients_outside_node_networks": True}).errors)
    assert any("would be exported to everyone" in e for e in errors), errors


# --- NFS versions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, found", [
    ("rw,hard,nfsvers=4.1", ""), ("rw,vers=4.2", ""), ("rw,nfsvers=3", "nfsvers=3"), ("rw,vers=3", "vers=3"),
    ("ro, v3", "v3"), ("nfsvers=2", "nfsvers=2"), ("", ""),
])
def test_old_version_mount(options, found):
    assert nfs.old_version_mount(options) == found


def test_a_v3_mount_needs_v3_on():
    errors = texts(run({"mount_options": "rw,hard,nfsvers=3"}).errors)
    assert any("share data mounts with nfsvers=3, but the servers run NFS v4 only" in e
               and "storage.nfs.v3: true" in e for e in errors), errors
    assert texts(run({"mount_options": "rw,hard,nfsvers=3"}, {"v3": True}).problems) == []


# --- the server's nfs.conf drop-in -------------------------------------------------------------------

def _render_conf(v3):
    import os

    import jinja2

    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "nfs", "templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root), keep_trailing_newline=True)
    env.filters["bool"] = bool
    text = env.get_template("nfs.conf.j2").render(nfs_v3=v3, ansible_managed="managed")
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            current[key] = value
    return sections


def test_nfs_conf_v4_only_turns_v3_and_udp_off():
    assert _render_conf(False) == {"nfsd": {"vers3": "n", "udp": "n"}}


def test_nfs_conf_v3_pins_the_ports_the_firewall_table_opens():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import NFS_V3_PORTS

    conf = _render_conf(True)
    assert conf["nfsd"] == {"vers3": "y", "udp": "n"}
    assert int(conf["mountd"]["port"]) == NFS_V3_PORTS["mountd"]
    assert int(conf["statd"]["port"]) == NFS_V3_PORTS["statd"]
    assert int(conf["lockd"]["port"]) == int(conf["lockd"]["udp-port"]) == NFS_V3_PORTS["lockd"]
