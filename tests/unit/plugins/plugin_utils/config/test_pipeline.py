"""Table-driven tests of the platform config: loader, schema, cross-key rules, model.

Over 600 lines: these are the tables of the whole pipeline as a user meets it (a config in, every problem
out at once), sharing one base config and its helpers; the registry's rules and the prerequisites already
have files of their own beside it (test_pipeline_registry.py, test_prerequisites.py).
"""

import copy
import importlib.util
import json
import os
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import SCHEMA, iter_fields
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.prerequisites import PINS
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

# Pins a minimal config lacks (tests/unit/plugins/plugin_utils/config/test_prerequisites.py covers them).
PIN_KEYS = set(pin.key for pin in PINS)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")

BASE = {
    "schema_version": 1,
    "cluster": {"name": "site", "domain": "ai.example", "kubernetes_version": "1.30.2"},
    "network": {"node_networks": ["10.1.0.0/24"], "pod_network": "10.244.0.0/16", "service_network": "10.96.0.0/12"},
    "ssh": {"user": "ops", "port": 2200},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"], "os": "ubuntu2204"},
        {"hostname": "gpu-01", "ip": "10.1.0.21", "roles": ["worker"],
         "accelerator": {"vendor": "nvidia", "model": "A100", "count": 8}},
        {"hostname": "npu-01", "ip": "10.1.0.31", "roles": ["worker"], "arch": "arm64",
         "accelerator": {"vendor": "huawei", "model": "910B", "count": 8},
         "npu_nics": [{"device": 0, "address": "192.168.10.31", "netmask": "255.255.255.0",
                       "detect": "192.168.10.1", "gateway": "192.168.10.1"}]},
        {"hostname": "store-01", "ip": "10.1.0.41", "roles": ["registry"]},
    ],
    "storage": {"nfs": {"shares": [{"name": "data", "server": "store-01", "export_path": "/srv/data",
                                    "mount_point": "/mnt/data"}]}},
    "registry": {"local": {"enabled": True}},
}


def run(config, name="platform.yml"):
    return parse(yaml.safe_dump(config, sort_keys=False), name)


def mutate(path, value):
    """A copy of BASE with ``value`` at ``path`` (``DELETE`` removes the key)."""
    config = copy.deepcopy(BASE)
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return config


DELETE = object()


def error_texts(result):
    return [str(p) for p in result.errors]


def test_base_config_is_valid():
    result = run(BASE)
    assert error_texts(result) == []
    assert result.format == "native"
    assert list(result.model.hosts) == ["cp-01", "gpu-01", "npu-01", "store-01"]


# (case id, path, bad value, expected text in the one error, expected key in that error)
BAD = [
    ("unknown top key typo", ("clustr",), {"name": "x"}, "did you mean 'cluster'", "clustr"),
    ("unknown nested key", ("cluster", "kubernetes_versoin"), "1.30.0", "did you mean 'kubernetes_version'",
     "cluster.kubernetes_versoin"),
    ("missing cluster name", ("cluster", "name"), DELETE, "is required", "cluster.name"),
    ("uppercase cluster name", ("cluster", "name"), "Site", "write it in lowercase: 'site'", "cluster.name"),
    ("bad domain", ("cluster", "domain"), "ai_example..com", "not a valid DNS domain", "cluster.domain"),
    ("bad k8s version", ("cluster", "kubernetes_version"), "1.30.x", "not a Kubernetes version",
     "cluster.kubernetes_version"),
    ("api port out of range", ("cluster", "api_port"), 70000, "not a port", "cluster.api_port"),
    ("api port not a number", ("cluster", "api_port"), "https", "must be an integer", "cluster.api_port"),
    ("bad kube-proxy mode", ("cluster", "kube_proxy_mode"), "ipvss", "use 'ipvs'", "cluster.kube_proxy_mode"),
    ("bad pod cidr", ("network", "pod_network"), "10.244.0.0/33", "not a CIDR network", "network.pod_network"),
    ("cidr with host bits", ("network", "pod_network"), "10.244.1.0/16", "host bits", "network.pod_network"),
    ("cidr without prefix", ("network", "service_network"), "10.96.0.0", "not a CIDR", "network.service_network"),
    ("bad node port range", ("network", "node_port_range"), "30000:32767", "not a port range",
     "network.node_port_range"),
    ("inverted node port range", ("network", "node_port_range"), "32767-30000", "not a valid port range",
     "network.node_port_range"),
    ("ssh port zero", ("ssh", "port"), 0, "not a port", "ssh.port"),
    ("ssh become not bool", ("ssh", "become"), "yes please", "true or false", "ssh.become"),
    ("bad IP", ("nodes", 1, "ip"), "10.1.0.300", "not an IP address", "nodes[1].ip"),
    ("short IP", ("nodes", 1, "ip"), "10.1", "not an IP address", "nodes[1].ip"),
    ("uppercase hostname", ("nodes", 1, "hostname"), "GPU-01", "write it in lowercase: 'gpu-01'",
     "nodes[1].hostname"),
    ("hostname with underscore", ("nodes", 1, "hostname"), "gpu_01", "RFC 1123", "nodes[1].hostname"),
    ("unknown role", ("nodes", 1, "roles"), ["wroker"], "use 'worker'", "nodes[1].roles[0]"),
    ("unknown arch", ("nodes", 1, "arch"), "x86_64", "must be one of amd64, arm64", "nodes[1].arch"),
    ("unknown vendor", ("nodes", 1, "accelerator", "vendor"), "amd", "must be one of nvidia, huawei, none",
     "nodes[1].accelerator.vendor"),
    ("unknown os", ("nodes", 0, "os"), "ubuntu22.04", "must be one of", "nodes[0].os"),
    ("count negative", ("nodes", 1, "accelerator", "count"), -1, "at least 0", "nodes[1].accelerator.count"),
    ("gpu count missing", ("nodes", 1, "accelerator", "count"), DELETE, "count is 0 or missing",
     "nodes[1].accelerator.count"),
    ("count without vendor", ("nodes", 0, "accelerator"), {"count": 2}, "but no vendor",
     "nodes[0].accelerator.count"),
    ("ascend model on nvidia", ("nodes", 1, "accelerator", "model"), "Ascend910", "is an Ascend NPU",
     "nodes[1].accelerator.vendor"),
    ("unknown ascend model", ("nodes", 2, "accelerator", "model"), "A100", "not an Ascend model",
     "nodes[2].accelerator.model"),
    ("nic device beyond count", ("nodes", 2, "npu_nics", 0, "device"), 8, "has 8 NPUs",
     "nodes[2].npu_nics[0].device"),
    ("nic gateway outside subnet", ("nodes", 2, "npu_nics", 0, "gateway"), "192.168.20.1", "outside the port's subnet",
     "nodes[2].npu_nics[0].gateway"),
    ("nic bad netmask", ("nodes", 2, "npu_nics", 0, "netmask"), "255.0.255.0", "not a netmask",
     "nodes[2].npu_nics[0].netmask"),
    ("nic plan on gpu node", ("nodes", 1, "npu_nics"), [{"device": 0, "address": "192.168.10.9",
                                                         "netmask": "255.255.255.0"}],
     "not a huawei node", "nodes[1].npu_nics"),
    ("bad label", ("nodes", 1, "labels"), {"team": "a b"}, "not a valid Kubernetes label", "nodes[1].labels"),
    ("bad taint effect", ("nodes", 1, "taints"), [{"key": "gpu", "effect": "NoSchedul"}], "use 'NoSchedule'",
     "nodes[1].taints[0].effect"),
    ("nfs server not a node", ("storage", "nfs", "shares", 0, "server"), "nas-01", "not a node of the cluster",
     "storage.nfs.shares[0].server"),
    ("relative export path", ("storage", "nfs", "shares", 0, "export_path"), "srv/data", "not an absolute path",
     "storage.nfs.shares[0].export_path"),
    ("bad share client", ("storage", "nfs", "shares", 0, "clients"), ["10.1.0.0/40"], "not a CIDR network",
     "storage.nfs.shares[0].clients[0]"),
    ("bad apt mirror", ("mirrors", "apt"), "mirror.example/ubuntu", "not a URL", "mirrors.apt"),
    ("bad image mirror", ("mirrors", "images"), {"docker.io": ["mirror.example"]}, "not a URL", "mirrors.images"),
    ("registry enabled without node", ("nodes", 3, "roles"), ["worker"], "no node has the registry role",
     "registry.local.enabled"),
    ("registry user without password", ("registry", "local", "username"), "admin", "without a password",
     "registry.local.password"),
    ("bad runtime", ("container_runtime",), {"name": "cri-o"}, "must be one of containerd, docker",
     "container_runtime.name"),
    ("service not bool", ("services",), {"volcano": "on"}, "true or false", "services.volcano"),
    ("bad supported os", ("requirements",), {"supported_os": {"gpu": ["ubuntu2204"]}}, "must be cpu, nvidia or huawei",
     "requirements.supported_os"),
    ("wrong schema version", ("schema_version",), 2, "must be one of 1", "schema_version"),
    ("nodes not a list", ("nodes",), {"cp-01": {}}, "must be a list", "nodes"),
    ("no nodes", ("nodes",), [], "lists no node", "nodes"),
    ("etcd members above control planes", ("cluster", "etcd_members"), 3, "only 1 control-plane",
     "cluster.etcd_members"),
    ("node outside node networks", ("nodes", 3, "ip"), "10.2.0.41", "outside network.node_networks", "nodes[3].ip"),
    ("node inside pod network", ("network", "pod_network"), "10.1.0.0/16", "inside the pod network", "nodes[0].ip"),
    ("service overlaps pods", ("network", "service_network"), "10.244.128.0/17", "overlaps",
     "network.service_network"),
    ("secret not string", ("registry", "company"), {"url": "r.example", "password": ["x"]}, "must be a string",
     "registry.company.password"),
    ("vault outside secrets", None, None, "cannot be vault-encrypted", "cluster.domain"),
    ("time server not a node", ("network", "ntp_server_node"), "ntp-01", "not a node of the cluster",
     "network.ntp_server_node"),
    ("bad firewall choice", ("network", "firewall"), "off", "must be one of unmanaged, managed, disabled", "network.firewall"),
]


@pytest.mark.parametrize("case, path, value, text, key", BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_reported(case, path, value, text, key):
    if path is None:  # a YAML tag cannot be built from a dict: write the text
        source = yaml.safe_dump(BASE, sort_keys=False).replace(
            "domain: ai.example", "domain: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    6162")
        result = parse(source, "platform.yml")
    else:
        result = run(mutate(path, value))
    matching = [p for p in result.errors if text in p.message or text in (p.fix or "")]
    assert matching, "expected %r in %s" % (text, error_texts(result))
    assert matching[0].key == key
    assert result.model is None
    assert "Traceback" not in str(matching[0])


GOOD = [
    ("leading v in version", ("cluster", "kubernetes_version"), "v1.29", ("cluster", "kubernetes_version"), "1.29.0"),
    ("ascend model normalised", ("nodes", 2, "accelerator", "model"), "ascend-910b", None, None),
    ("port as quoted digits", ("ssh", "port"), "2222", ("ssh", "port"), 2222),
    ("flannel", ("cluster", "cni"), "flannel", ("cluster", "cni"), "flannel"),
    ("pass-through platform keys", ("platform",), {"webuiport": 3081, "jwt": {"secret_key": "s"}},
     ("platform", "webuiport"), 3081),
    ("taint", ("nodes", 1, "taints"), [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
     None, None),
]


@pytest.mark.parametrize("case, path, value, out_path, expected", GOOD, ids=[g[0] for g in GOOD])
def test_good_values_are_accepted(case, path, value, out_path, expected):
    result = run(mutate(path, value))
    assert error_texts(result) == []
    if out_path:
        node = result.config
        for part in out_path:
            node = node[part]
        assert node == expected


def test_every_problem_is_reported_at_once():
    config = mutate(("nodes", 1, "ip"), "10.1.0.11")  # duplicate of cp-01
    config["nodes"][2]["hostname"] = "cp-01"  # duplicate name
    config["cluster"]["api_port"] = 0
    config["bogus"] = 1
    result = run(config)
    texts = error_texts(result)
    assert len(texts) == 4, texts
    assert any("also the IP of node cp-01" in t for t in texts)
    assert any("host name 'cp-01' is used twice" in t for t in texts)


def test_no_control_plane():
    config = copy.deepcopy(BASE)
    config["nodes"][0]["roles"] = ["worker"]
    result = run(config)
    assert any("no node has the control_plane role" in t for t in error_texts(result))


@pytest.mark.parametrize("text, message, line", [
    ("", "the file is empty", None),
    ("# only a comment\n\n", "the file is empty", None),
    ("cluster:\n  name: a\n nodes: []\n", "YAML syntax error", 3),
    ("cluster: {name: a\nnodes: []\n", "YAML syntax error", 2),
    ("- a\n- b\n", "top level must be a mapping", 1),
    ("cluster:\n\tname: a\n", "YAML syntax error", 2),
])
def test_unreadable_files(text, message, line):
    result = parse(text, "/site/platform.yml")
    assert result.model is None
    assert len(result.errors) == 1
    problem = result.errors[0]
    assert message in problem.message
    assert problem.line == line
    assert str(problem).startswith("/site/platform.yml")


def test_duplicate_top_level_key_warns_with_both_lines():
    text = "cluster:\n  name: a\nnodes:\n  - {hostname: a, roles: [control_plane]}\ncluster:\n  name: b\n"
    result = parse(text, "platform.yml")
    assert result.errors == []
    warn = [str(p) for p in result.problems if p.level == "warning" and p.key not in PIN_KEYS]
    assert warn == ["platform.yml:5: cluster: top-level key 'cluster' appears twice (lines 1 and 5); "
                    "the value at line 5 is used. Fix: delete one of them"]
    assert result.config["cluster"]["name"] == "b"


def test_error_lines_point_at_the_key():
    text = "cluster:\n  name: a\nnodes:\n  - hostname: a\n    roles: [control_plane]\n    ip: 10.0.0.999\n"
    result = parse(text, "p.yml")
    assert [str(p) for p in result.errors] == [
        "p.yml:6: nodes[0].ip: '10.0.0.999' is not an IP address. Fix: write it like 10.0.0.11"]


def test_labels_and_groups():
    model = run(BASE).model
    gpu = model.hosts["gpu-01"]["node_labels"]
    assert gpu["gpu"] == "true" and gpu["nvidia.com/gpu.present"] == "true" and gpu["gpu-type"] == "A100"
    assert gpu["train"] == gpu["notebook"] == gpu["service"] == "true" and gpu["org"] == "public"
    npu = model.hosts["npu-01"]["node_labels"]
    assert npu["accelerator"] == "huawei-Ascend910" and npu["host-arch"] == "huawei-arm" and npu["npu"] == "true"
    assert npu["workerselector"] == "dls-worker-node"
    assert model.hosts["npu-01"]["node_accelerator"] == {"vendor": "huawei", "model": "Ascend910B", "count": 8}
    cp = model.hosts["cp-01"]["node_labels"]
    assert cp["cpu"] == "true" and cp["masterselector"] == "dls-master-node" and cp["mysql"] == "true"
    store = model.hosts["store-01"]
    assert "train" not in store["node_labels"]
    assert store["node_roles"] == ["nfs_server", "registry"]
    assert model.groups["kube_control_plane"] == ["cp-01"]
    assert model.groups["kube_node"] == ["cp-01", "gpu-01", "npu-01"]
    assert model.groups["etcd"] == ["cp-01"]
    assert model.groups["nvidia_gpu"] == ["gpu-01"] and model.groups["ascend_npu"] == ["npu-01"]
    assert model.groups["nfs_server"] == ["store-01"] and model.groups["registry"] == ["store-01"]
    assert model.groups["arch_arm64"] == ["npu-01"]
    assert model.hosts["cp-01"]["node_taints"] == []  # control plane that is also a worker


def test_connection_vars():
    model = run(BASE).model
    cp = model.hosts["cp-01"]
    assert (cp["ansible_host"], cp["node_ip"], cp["ansible_user"], cp["ansible_port"]) == (
        "10.1.0.11", "10.1.0.11", "ops", 2200)
    assert cp["ansible_become"] is True and cp["ansible_become_method"] == "sudo"
    root = mutate(("ssh",), {"user": "root"})
    assert run(root).model.hosts["cp-01"]["ansible_become"] is False
    no_ip = mutate(("nodes", 3, "ip"), DELETE)
    store = run(no_ip).model.hosts["store-01"]
    assert store["ansible_host"] == "store-01.ai.example" and "node_ip" not in store


def test_group_vars():
    gv = run(BASE).model.group_vars["all"]
    assert gv["platform_cluster"]["control_plane_endpoint"] == "10.1.0.11:6443"
    assert gv["platform_storage"]["nfs"]["shares"][0]["clients"] == ["10.1.0.0/24"]
    order = gv["platform_image_pull_order"]["docker.io"]
    assert [e["kind"] for e in order] == ["local", "public"]
    config = mutate(("registry", "company"), {"url": "harbor.corp.example"})
    config["mirrors"] = {"images": {"docker.io": ["https://mirror.example"]}}
    order = run(config).model.group_vars["all"]["platform_image_pull_order"]["docker.io"]
    assert [e["kind"] for e in order] == ["local", "company", "mirror", "public"]
    # Unset node networks and clients stay empty: the roles work out one /32 per node once per play
    # (filter node_host_networks; tests/unit/test_node_list.py), no host carries the list of every node.
    default_clients = run(mutate(("network", "node_networks"), DELETE)).model.group_vars["all"]
    assert default_clients["platform_network"]["node_networks"] == []
    assert default_clients["platform_storage"]["nfs"]["shares"][0]["clients"] == []


@pytest.mark.parametrize("fmt", ["native", "dlws"])
def test_no_group_variable_grows_with_the_node_count(fmt):
    """What every host carries is the same size for 10 nodes and for 200: the inventory stays linear."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_config

    def sizes(count):
        text = gen_config.FORMATS[fmt](count)
        if fmt == "native":  # the node networks unset, as in every DLWS file
            text = text.replace("  node_networks: [10.0.0.0/16]\n", "")
        result = parse(text, "config.yaml" if fmt == "dlws" else "platform.yml")
        assert result.model is not None, [str(p) for p in result.problems]
        gv = result.model.group_vars["all"]
        return dict((k, len(json.dumps(v, sort_keys=True))) for k, v in gv.items())

    assert sizes(10) == sizes(200)


@pytest.mark.parametrize("ha", [{}, {"ha_mode": "kube-vip", "vip": "10.1.0.100"}])
def test_several_control_plane_nodes_leave_the_endpoint_to_ha_mode(ha):
    # Filled with the first control-plane node, the endpoint would switch off the local proxy and kube-vip
    # (roles/kubeadm/tasks/prepare.yml) and tie every node to that one API server.
    config = mutate(("nodes", 1, "roles"), ["control_plane", "worker"])
    config["nodes"][2]["roles"] = ["control_plane", "worker"]
    config["cluster"].update(ha)
    result = run(config)
    assert not error_texts(result)
    assert result.model.groups["kube_control_plane"] == ["cp-01", "gpu-01", "npu-01"]
    assert "control_plane_endpoint" not in result.model.group_vars["all"]["platform_cluster"]
    config["cluster"]["control_plane_endpoint"] = "api.ai.example:6443"
    assert run(config).model.group_vars["all"]["platform_cluster"]["control_plane_endpoint"] == "api.ai.example:6443"


def test_local_registry_keeps_each_upstream_under_its_name():
    order = run(BASE).model.group_vars["all"]["platform_image_pull_order"]
    assert order["docker.io"][0] == {"kind": "local", "path": "docker.io"}
    assert order["registry.k8s.io"][0] == {"kind": "local", "path": "registry.k8s.io"}


def test_registries_of_the_collections_own_images_resolve_through_the_site_registry():
    # The Ascend device plugin's registry is in no default list: the manifests' images make it an upstream.
    config = mutate(("registry", "public"), ["docker.io"])
    order = run(config).model.group_vars["all"]["platform_image_pull_order"]
    for upstream in ("swr.cn-south-1.myhuaweicloud.com", "nvcr.io", "quay.io", "registry.k8s.io"):
        assert order[upstream][0] == {"kind": "local", "path": upstream}
        assert order[upstream][-1] == {"kind": "public", "host": upstream}


@pytest.mark.parametrize("url, upstream", [
    ("https://registry-1.docker.io", "docker.io"),
    ("https://index.docker.io/", "docker.io"),
    ("https://quay.io", "quay.io"),
    ("https://harbor.corp.example:8443/v2", "harbor.corp.example:8443"),
])
def test_pull_through_cache_serves_only_its_upstream(url, upstream):
    order = run(mutate(("registry", "local", "proxy_remote_url"), url)).model.group_vars["all"][
        "platform_image_pull_order"]
    assert order[upstream][0] == {"kind": "local", "proxy": True}
    others = [u for u in order if u != upstream]
    assert others and all(e["kind"] != "local" for u in others for e in order[u])


def _offline(**settings):
    config = copy.deepcopy(BASE)
    config["offline"] = dict({"enabled": True, "bundle": "/srv/bundles/site.tar"}, **settings)
    return config


def test_offline_repo_node_defaults_to_the_registry_node():
    result = run(_offline())
    assert result.errors == []
    assert result.model.groups["offline_repo"] == ["store-01"]
    assert result.model.group_vars["all"]["platform_offline"]["repo_node"] == "store-01"
    result = run(_offline(repo_node="cp-01"))
    assert result.model.groups["offline_repo"] == ["cp-01"]


def test_offline_off_leaves_the_repo_group_empty():
    result = run(BASE)
    assert result.model.groups["offline_repo"] == []
    offline = result.model.group_vars["all"]["platform_offline"]
    assert offline["enabled"] is False and "repo_node" not in offline


@pytest.mark.parametrize("change, text, key", [
    ({"bundle": None}, "names no bundle", "offline.bundle"),
    ({"repo_node": "nowhere"}, "repository node 'nowhere' is not a node", "offline.repo_node"),
    ({"registry_off": True}, "local registry, which is off", "offline.enabled"),
    ({"proxy": True}, "pull-through cache refuses the pushes", "registry.local.proxy_remote_url"),
])
def test_offline_errors(change, text, key):
    config = _offline()
    if change.get("bundle", "") is None:
        del config["offline"]["bundle"]
    if "repo_node" in change:
        config["offline"]["repo_node"] = change["repo_node"]
    if change.get("registry_off"):
        config["registry"]["local"]["enabled"] = False
        config["nodes"][3]["roles"] = ["worker"]
    if change.get("proxy"):
        config["registry"]["local"]["proxy_remote_url"] = "https://registry-1.docker.io"
    texts = error_texts(run(config))
    assert any(text in t and key in t for t in texts), texts


def test_vault_values_stay_encrypted_markers():
    source = yaml.safe_dump(mutate(("registry", "local", "username"), "admin"), sort_keys=False)
    source = source.replace("    enabled: true\n", "    enabled: true\n    password: !vault |\n"
                            "      $ANSIBLE_VAULT;1.1;AES256\n      3132\n")
    result = parse(source, "platform.yml")
    assert error_texts(result) == []
    secret = result.model.group_vars["all"]["platform_registry"]["local"]["password"]
    assert "ANSIBLE_VAULT" in secret.ciphertext and "3132" not in repr(secret)


def test_dlws_config_as_users_have_it():
    path = os.path.join(FIXTURES, "dlws_apulis_atlas.yaml")
    with open(path) as handle:
        result = parse(handle.read(), path)
    assert error_texts(result) == []
    assert result.format == "dlws"
    model = result.model
    assert list(model.hosts) == ["atlas02", "atlas01", "atlas-gpu01", "atlas-gpu02"]
    assert model.groups["scale_up"] == ["atlas01", "atlas-gpu01", "atlas-gpu02"]
    atlas02 = model.hosts["atlas02"]
    assert atlas02["node_ip"] == "192.168.3.2" and atlas02["ansible_user"] == "dlwsadmin"
    assert atlas02["ansible_port"] == 2222 and atlas02["node_arch"] == "arm64"
    assert atlas02["node_accelerator"] == {"vendor": "huawei", "model": "Ascend910", "count": 8}
    assert atlas02["node_labels"]["host-arch"] == "huawei-arm"
    assert model.hosts["atlas01"]["ansible_host"] == "atlas01.sigsus.cn"
    assert model.hosts["atlas-gpu01"]["node_labels"]["gpu"] == "true"
    gv = model.group_vars["all"]
    assert gv["platform_mirrors"]["apt"] == "http://mirrors.example.com/ubuntu-ports/"
    # DLWS ran Kubernetes 1.18: outside the supported range, a warning naming the line, and the default instead.
    assert gv["platform_cluster"]["kubernetes_version"] == "1.31.4"
    assert gv["platform_cluster"]["control_plane_endpoint"] == "192.168.3.100:6443"
    assert gv["platform_network"]["service_network"] == "172.20.0.0/16"
    assert gv["platform_passthrough"]["webuiport"] == 3082
    assert gv["platform_passthrough"]["platform_name"] == "Apulis Platform"
    assert gv["platform_storage"]["nfs"]["shares"][0] == {
        "name": "nfsshare1", "server": "atlas02", "export_path": "/mnt/local", "mount_point": "/mntdlws",
        "export_options": "rw,sync,no_subtree_check,root_squash", "clients_outside_node_networks": False,
        "mount_options": "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime", "clients": []}
    assert gv["platform_storage"]["nfs"]["v3"] is False
    warnings = [str(p) for p in result.problems if p.level == "warning"]
    assert any("webuiport' appears twice (lines 29 and 113)" in w for w in warnings), warnings
    assert any(":30: useclusterfile: obsolete DLWS key" in w for w in warnings), warnings
    assert any(":70: dataFolderAccessPoint: obsolete" in w for w in warnings), warnings
    assert any(":102: k8s-gitbranch: Kubernetes v1.18.2 is older than 1.22" in w and "1.31.4 (the default) is "
               "installed instead" in w for w in warnings), warnings
    for secret in ("not-a-real-password-1", "not-a-real-secret-2", "not-a-real-secret-3"):
        assert not any(secret in str(p) for p in result.problems)


DLWS_BAD = [
    ("host in machines and scale_up", "scale_up:\n  atlas01:\n    role: worker\n",
     "machines:\n  atlas01:\n    role: infrastructure\n    private-ip: 10.0.0.1\n",
     "listed in both machines and scale_up", "scale_up.atlas01"),
    ("host twice in machines", "", "machines:\n  a1:\n    role: infrastructure\n    private-ip: 10.0.0.1\n"
     "  a1:\n    role: worker\n    private-ip: 10.0.0.2\n", "listed twice in machines (lines 3 and 6)",
     "machines.a1"),
    ("vendor against type", "", "machines:\n  a1:\n    role: infrastructure\n    type: gpu\n    vendor: huawei\n",
     "does not fit type 'gpu'", "machines.a1.vendor"),
    ("unknown role", "", "machines:\n  a1:\n    role: master\n", "unknown DLWS role 'master'", "machines.a1.role"),
    ("unknown role in a list", "", "machines:\n  a0:\n    role: infrastructure\n  a1:\n    role: [worker, storage]\n",
     "unknown DLWS role 'storage'", "machines.a1.role"),
    ("bad private ip", "", "machines:\n  a1:\n    role: infrastructure\n    private-ip: 10.0.0.256\n",
     "not an IP address", "machines.a1.private-ip"),
    ("typo of a known key", "k8s-gitbrnach: v1.18.0\n",
     "machines:\n  a1:\n    role: infrastructure\n", "did you mean 'k8s-gitbranch'", "k8s-gitbrnach"),
    ("deploy method", "deploy_method: kubespray\n", "machines:\n  a1:\n    role: infrastructure\n",
     "not supported; this installer uses kubeadm", "deploy_method"),
    ("mount server template", "mountpoints:\n  s:\n    type: nfs\n    server: ${master_hostname}\n"
     "    filesharename: /mnt/local\n    curphysicalmountpoint: /mntdlws\n",
     "machines:\n  a1:\n    role: infrastructure\n", "is not a node of the cluster", "mountpoints.s.server"),
    ("uppercase host", "", "machines:\n  Atlas1:\n    role: infrastructure\n", "write it in lowercase: 'atlas1'",
     "machines.Atlas1"),
]


def test_dlws_role_list_places_the_registry_and_the_nfs_server():
    source = ("cluster_name: cl\nadmin_username: ops\nmachines:\n"
              "  cl-cp-01:\n    role: infrastructure\n    private-ip: 10.0.0.1\n"
              "  cl-store-01:\n    role: [worker, registry]\n    private-ip: 10.0.0.4\n"
              "mountpoints:\n  share:\n    type: nfs\n    server: cl-store-01\n"
              "    filesharename: /srv/share\n    curphysicalmountpoint: /mnt/share\n")
    result = parse(source, "config.yaml")
    assert error_texts(result) == []
    groups = result.model.groups
    assert groups["registry"] == ["cl-store-01"]
    assert groups["nfs_server"] == ["cl-store-01"]
    assert groups["kube_node"] == ["cl-store-01"]
    assert groups["kube_control_plane"] == ["cl-cp-01"]
    # DLWS has no registry section: the registry role turns the local registry on
    assert result.model.group_vars["all"]["platform_registry"]["local"]["enabled"] is True


def test_dlws_single_role_still_reads_as_before():
    result = parse("cluster_name: cl\nmachines:\n  a1:\n    role: infrastructure\n", "config.yaml")
    assert error_texts(result) == []
    assert "registry" not in result.model.groups or result.model.groups["registry"] == []
    assert result.model.group_vars["all"]["platform_registry"]["local"]["enabled"] is False


@pytest.mark.parametrize("case, extra, machines, text, key", DLWS_BAD, ids=[c[0] for c in DLWS_BAD])
def test_dlws_errors(case, extra, machines, text, key):
    source = "cluster_name: atlas\n" + machines + extra
    result = parse(source, "config.yaml")
    matching = [p for p in result.errors if text in p.message or text in (p.fix or "")]
    assert matching, [str(p) for p in result.problems]
    assert matching[0].key == key
    assert "lists no node" not in " ".join(str(p) for p in result.problems)


def test_openpai_layout():
    path = os.path.join(FIXTURES, "openpai_layout.yaml")
    with open(path) as handle:
        result = parse(handle.read(), path, default_name="pai")
    assert error_texts(result) == []
    model = result.model
    assert result.format == "openpai"
    assert model.groups["kube_control_plane"] == ["pai-master"]
    assert model.groups["nfs_server"] == ["pai-master"]
    assert model.groups["nvidia_gpu"] == ["pai-worker1", "pai-worker2"]
    assert model.hosts["pai-worker1"]["node_accelerator"] == {"vendor": "nvidia", "model": "K80", "count": 4}
    assert model.group_vars["all"]["platform_cluster"]["name"] == "pai"
    assert "ansible_user" not in model.hosts["pai-master"]  # OpenPAI layouts carry no SSH settings


OPENPAI_BAD = [
    ("sku missing", "machine-type: gpu-machin", "not defined in machine-sku (did you mean 'gpu-machine'?)",
     "machine-list.1.machine-type"),
    ("uppercase hostname", "hostname: PAI-Worker1", "write it in lowercase: 'pai-worker1'",
     "machine-list.1.hostname"),
    ("two masters", "pai-worker: \"true\"\n    pai-master: \"true\"", "one pai-master, found 2", "machine-list"),
    ("unsupported device", "type: amd.com/gpu", "device type 'amd.com/gpu' is not supported",
     "machine-sku.gpu-machine.computing-device.type"),
]


@pytest.mark.parametrize("case, replacement, text, key", OPENPAI_BAD, ids=[c[0] for c in OPENPAI_BAD])
def test_openpai_errors(case, replacement, text, key):
    with open(os.path.join(FIXTURES, "openpai_layout.yaml")) as handle:
        source = handle.read()
    original = {"sku missing": "machine-type: gpu-machine\n    pai-worker: \"true\"\n  - hostname: pai-worker2",
                "uppercase hostname": "hostname: pai-worker1",
                "two masters": "pai-worker: \"true\"\n  - hostname: pai-worker2",
                "unsupported device": "type: nvidia.com/gpu"}[case]
    if case == "sku missing":
        replacement = replacement + "\n    pai-worker: \"true\"\n  - hostname: pai-worker2"
    elif case == "two masters":
        replacement = replacement + "\n  - hostname: pai-worker2"
    assert original in source
    result = parse(source.replace(original, replacement, 1), "layout.yaml", default_name="pai")
    matching = [p for p in result.errors if text in p.message or text in (p.fix or "")]
    assert matching, [str(p) for p in result.problems]
    assert matching[0].key == key


def test_every_schema_key_is_documented():
    root = ROOT
    with open(os.path.join(root, "docs", "config.md")) as handle:
        doc = handle.read()
    missing = [path for path, _field in iter_fields(SCHEMA) if "| `%s` |" % path not in doc]
    assert missing == []
    # and the page is exactly what the schema generates (no hand edits that drift)
    spec = importlib.util.spec_from_file_location("gen_config_doc", os.path.join(root, "scripts", "gen_config_doc.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.render() == doc, "docs/config.md is stale: run .venv/bin/python scripts/gen_config_doc.py"


def _two_control_planes(**cluster):
    config = mutate(("nodes", 1, "roles"), ["control_plane", "worker"])
    config["cluster"].update(cluster)
    return config


def test_kube_vip_with_several_control_planes_needs_a_vip():
    result = run(_two_control_planes(ha_mode="kube-vip"))
    matching = [p for p in result.errors if "needs a virtual IP" in p.message]
    assert matching and matching[0].key == "cluster.vip"
    assert "cluster.vip" in matching[0].fix


@pytest.mark.parametrize("cluster", [{"ha_mode": "kube-vip", "vip": "10.1.0.100"},
                                     {"ha_mode": "kube-vip", "control_plane_endpoint": "api.ai.example:6443"},
                                     {"ha_mode": "local-proxy"}, {}])
def test_ha_modes_that_have_an_endpoint_are_accepted(cluster):
    result = run(_two_control_planes(**cluster))
    assert [p for p in result.errors if p.key.startswith("cluster.")] == []


def test_vip_without_kube_vip_is_a_warning():
    result = run(_two_control_planes(vip="10.1.0.100"))
    assert any(p.key == "cluster.vip" and "nothing holds it" in p.message for p in result.problems if p.level == "warning")


def test_calico_without_its_manifest_sha256_is_an_error_naming_the_fix():
    config = mutate(("cluster", "cni"), "calico")
    config.setdefault("mirrors", {}).pop("calico_operator_manifest_sha256", None)
    result = run(config)
    found = [p for p in result.errors if p.key == "mirrors.calico_operator_manifest_sha256"]
    assert found and "set mirrors.calico_operator_manifest_sha256" in found[0].fix
    assert "cluster.cni: flannel" in found[0].fix


def test_flannel_needs_no_calico_sha256():
    config = mutate(("cluster", "cni"), "flannel")
    assert not [p for p in run(config).problems if p.key in ("cluster.cni", "mirrors.calico_operator_manifest_sha256")]


@pytest.mark.parametrize("digest, ok", [("a" * 64, True), ("A1" * 32, True), ("a" * 63, False), ("sha256:" + "a" * 64, False)])
def test_calico_sha256_must_be_64_hex_digits(digest, ok):
    config = mutate(("cluster", "cni"), "calico")
    config.setdefault("mirrors", {})["calico_operator_manifest_sha256"] = digest
    result = run(config)
    bad = [p for p in result.errors if p.key == "mirrors.calico_operator_manifest_sha256"]
    assert (not bad) == ok
    assert not [p for p in result.problems if p.key == "cluster.cni"]


@pytest.mark.parametrize("url, ok", [("file:///srv/mirror/tigera-operator.yaml", True),
                                     ("https://mirror.corp.example/calico/v3.31.1/tigera-operator.yaml", True),
                                     ("file://tigera-operator.yaml", False), ("mirror/tigera-operator.yaml", False)])
def test_calico_manifest_url_accepts_a_local_file(url, ok):
    config = mutate(("mirrors", "calico_operator_manifest"), url)
    bad = [p for p in run(config).errors if p.key == "mirrors.calico_operator_manifest"]
    assert (not bad) == ok


# --- warnings repeated per node come once, with the count and the first few nodes --------------------------------


def _dlws(count, drop_counts=True, machine_key=None):
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_config

    text = gen_config.generate_dlws(count)
    if drop_counts:
        text = text.replace("  gpu_count_per_node: 8\n", "")
    if machine_key:
        text = text.replace("    role: worker\n", "    role: worker\n    %s: x\n" % machine_key)
    return text


def test_a_warning_per_accelerator_node_is_folded_into_one_line():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import folded, warnings

    result = parse(_dlws(200, machine_key="kernel"), "config.yaml")
    assert result.model is not None
    each = warnings(result.problems)
    accelerators = [p for p in each if "accelerator count is unknown" in p.message]
    assert len(accelerators) == 157  # one per GPU/NPU node: still each a finding of its own
    lines = folded(each)
    assert len(lines) < 10, lines
    (line,) = [t for t in lines if "accelerator count" in t]
    assert line.startswith("config.yaml: 157 accelerator nodes have no accelerator count, so preflight cannot "
                           "compare it: node-0003 (line ")
    assert ", node-0005 (line " in line and " and 154 more. Fix: set onpremise_cluster.gpu_count_per_node" in line
    (line,) = [t for t in lines if "machine key" in t]
    assert line.startswith("config.yaml: machine key 'kernel' is not used, on 196 machines: machines.node-0004 "
                           "(line ") and line.endswith("and 193 more. Fix: delete it")
    # the node list inside the NVIDIA pin's warning is cut short too
    (pin,) = [t for t in lines if "nvidia_repo_key_sha256" in t]
    assert "(node-0003, node-0004, node-0005, node-0006, node-0007, node-0008 and 81 more)" in pin


def test_a_few_repeated_warnings_stay_one_line_each():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import (
        FOLD_AFTER,
        Problem,
        folded,
    )

    def warn(n):
        return Problem.warning("c.yaml", "nodes[%d]" % n, "node n%d is odd" % n, "fix it", line=n,
                               fold="{count} nodes are odd", subject="n%d" % n)

    other = Problem.warning("c.yaml", "x", "other", "do this")
    few = [warn(n) for n in range(FOLD_AFTER)]
    assert folded(few + [other]) == [str(p) for p in few + [other]]
    many = [warn(n) for n in range(1, 1202)]
    assert folded([other] + many) == [str(other), "c.yaml: 1,201 nodes are odd: n1 (line 1), n2 (line 2), n3 "
                                                   "(line 3) and 1,198 more. Fix: fix it"]
