"""Lifecycle decisions: API version, who inits and joins, token freshness, upgrade path, batches."""
import datetime
import json
import os

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm

NOW = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("version, api", [
    ("1.22.0", "kubeadm.k8s.io/v1beta3"), ("1.30.9", "kubeadm.k8s.io/v1beta3"), ("v1.31", "kubeadm.k8s.io/v1beta4"),
    ("1.31.4", "kubeadm.k8s.io/v1beta4"), ("1.33.1", "kubeadm.k8s.io/v1beta4"),
])
def test_api_version(version, api):
    assert kubeadm.api_version(version) == api


@pytest.mark.parametrize("version, text", [("1.21.14", "older than 1.22"), ("1.x", "not a Kubernetes version"),
                                           ("", "not a Kubernetes version")])
def test_api_version_errors(version, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.api_version(version)


CP = ["cp-01", "cp-02", "cp-03"]
WORKERS = ["gpu-01", "npu-01"]


@pytest.mark.parametrize("states, first", [
    ({h: {} for h in CP}, "cp-01"),                                          # new cluster
    ({"cp-02": {}, "cp-03": {}}, "cp-02"),                                   # cp-01 unreachable
    ({"cp-01": {}, "cp-02": {"admin_conf": True, "kubelet_conf": True}}, None),  # exists: never re-init
    ({}, None),                                                             # nothing reachable
])
def test_init_node(states, first):
    assert kubeadm.init_node(CP, states) == first


def test_join_plan_new_cluster():
    states = {h: {} for h in CP + WORKERS}
    assert kubeadm.join_plan(CP, WORKERS, states) == {
        "control_plane": ["cp-02", "cp-03"], "workers": ["gpu-01", "npu-01"], "members": []}


def test_join_plan_scale_out_leaves_members_alone():
    member = {"admin_conf": False, "kubelet_conf": True}
    states = {"cp-01": {"admin_conf": True, "kubelet_conf": True}, "cp-02": dict(member, admin_conf=True),
              "cp-03": {}, "gpu-01": member, "npu-01": {}}
    assert kubeadm.join_plan(CP, WORKERS, states) == {
        "control_plane": ["cp-03"], "workers": ["npu-01"], "members": ["cp-01", "cp-02", "gpu-01"]}


def test_join_plan_skips_unreachable_hosts():
    states = {"cp-01": {"admin_conf": True, "kubelet_conf": True}, "npu-01": {}}
    assert kubeadm.join_plan(CP, WORKERS, states) == {"control_plane": [], "workers": ["npu-01"],
                                                      "members": ["cp-01"]}


def token(name, expires, usages=("authentication", "signing"),
          groups=("system:bootstrappers:kubeadm:default-node-token",)):
    # the shape of one object of `kubeadm token list -o json`
    return {"kind": "BootstrapToken", "token": name, "expires": expires, "usages": list(usages),
            "groups": list(groups)}


@pytest.mark.parametrize("tokens, expected", [
    ([], None),
    ([token("abcdef.0123456789abcdef", "2026-11-22T12:05:00Z")], None),          # 5 min left: too short
    ([token("abcdef.0123456789abcdef", "2026-11-22T13:00:00Z")], "abcdef.0123456789abcdef"),
    ([token("aaaaaa.aaaaaaaaaaaaaaaa", "2026-11-22T12:30:00Z"),
      token("bbbbbb.bbbbbbbbbbbbbbbb", "2026-11-23T12:00:00Z")], "bbbbbb.bbbbbbbbbbbbbbbb"),  # the longest
    ([token("cccccc.cccccccccccccccc", "2026-11-21T12:00:00Z")], None),          # expired
    ([token("dddddd.dddddddddddddddd", "2026-11-23T12:00:00Z", usages=("signing",))], None),  # cannot authenticate
    ([token("eeeeee.eeeeeeeeeeeeeeee", "2026-11-23T12:00:00Z", groups=("system:other",))], None),
    ([token("ffffff.ffffffffffffffff", None)], "ffffff.ffffffffffffffff"),       # never expires
])
def test_usable_token(tokens, expected):
    assert kubeadm.usable_token(tokens, NOW) == expected


@pytest.mark.parametrize("current, target, path", [
    ("1.29.3", "1.31.4", ["1.30", "1.31.4"]),
    ("1.30.2", "1.30.9", ["1.30.9"]),
    ("1.30.2", "1.31.0", ["1.31.0"]),
    ("1.31.4", "1.31.4", []),
])
def test_upgrade_path(current, target, path):
    assert kubeadm.upgrade_path(current, target) == path


@pytest.mark.parametrize("current, target, text", [
    ("1.31.4", "1.30.9", "does not downgrade"),
    ("1.31.4", "2.0.0", "major version"),
])
def test_upgrade_path_errors(current, target, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.upgrade_path(current, target)


@pytest.mark.parametrize("count, size, shape", [
    (10, 3, [3, 3, 3, 1]),
    (10, "20%", [2, 2, 2, 2, 2]),
    (3, "20%", [1, 1, 1]),          # at least one host per batch
    (4, "100%", [4]),
    (0, 5, []),
])
def test_batches(count, size, shape):
    hosts = ["n%02d" % i for i in range(count)]
    result = kubeadm.batches(hosts, size)
    assert [len(b) for b in result] == shape and sum(result, []) == hosts


@pytest.mark.parametrize("size", [0, "0%", "150%"])
def test_batches_errors(size):
    with pytest.raises(ValueError):
        kubeadm.batches(["a"], size)


# --- API version -------------------------------------------------------------------------------

@pytest.mark.parametrize("version, short", [
    ("1.22.17", "v1beta3"), ("1.26.3", "v1beta3"), ("1.30.9", "v1beta3"), ("v1.30", "v1beta3"),
    ("1.31.0", "v1beta4"), ("1.31.4", "v1beta4"), ("1.34.2", "v1beta4"),
])
def test_kubeadm_api_version(version, short):
    assert kubeadm.kubeadm_api_version(version) == short


@pytest.mark.parametrize("version, text", [
    ("1.21.14", "older than 1.22"), ("1.18", "older than 1.22"), ("1.37.0", "newer than 1.36"),
    ("1.40.0", "supported: 1.22 to 1.36"), ("1.31.x", "not a Kubernetes version"),
    (None, "not a Kubernetes version"),
])
def test_kubeadm_api_version_errors(version, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.kubeadm_api_version(version)


# --- documents ---------------------------------------------------------------------------------

CP_TAINT = {"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"}
# host vars as the inventory plugin gives them (plugin_utils/config/model.py, _host_vars)
HOSTS = {
    "cp-01": {"node_ip": "10.0.0.11", "node_fqdn": "cp-01.lab.example", "node_roles": ["control_plane", "worker"],
              "node_taints": []},
    "cp-02": {"node_ip": "10.0.0.12", "node_fqdn": "cp-02.lab.example", "node_roles": ["control_plane"],
              "node_taints": [CP_TAINT]},
    "gpu-01": {"node_ip": "10.0.0.21", "node_fqdn": "gpu-01.lab.example", "node_roles": ["worker"],
               "node_taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
    "nfs-01": {"node_ip": "10.0.0.41", "node_fqdn": "nfs-01.lab.example", "node_roles": ["nfs_server"]},
}
NETWORK = {"pod_network": "10.244.0.0/16", "service_network": "10.96.0.0/12", "node_port_range": "30000-32767",
           "node_networks": ["10.0.0.0/24"]}
JOIN = {"token": "abcdef.0123456789abcdef", "ca_cert_hashes": "sha256:" + "3f" * 32, "certificate_key": "9c" * 32}


def cluster(version="1.31.4", **extra):
    data = {"name": "ai", "domain": "lab.example", "kubernetes_version": version, "api_port": 6443,
            "control_plane_endpoint": "10.0.0.100:6443", "kube_proxy_mode": "ipvs", "cni": "calico",
            "control_plane_schedulable": True}
    data.update(extra)
    return data


def docs_for(host, version="1.31.4", init_host="cp-01", join=JOIN, mirrors=None, **extra):
    return kubeadm.kubeadm_documents(host, HOSTS, cluster(version, **extra), NETWORK,
                                     mirrors or {"image_repository": "registry.k8s.io"}, init_host, join)


def by_kind(docs):
    return dict((d["kind"], d) for d in docs)


@pytest.mark.parametrize("host, init_host, kinds", [
    ("cp-01", "cp-01", ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration",
                        "KubeProxyConfiguration"]),
    ("cp-02", "cp-01", ["JoinConfiguration"]),
    ("gpu-01", "cp-01", ["JoinConfiguration"]),
    ("cp-01", None, ["JoinConfiguration"]),          # the cluster exists (cp-02 has it): cp-01 joins it
])
def test_documents_kinds(host, init_host, kinds):
    assert [d["kind"] for d in docs_for(host, init_host=init_host)] == kinds


@pytest.mark.parametrize("version, api, args, kubelet_args", [
    ("1.30.9", "kubeadm.k8s.io/v1beta3", {"service-node-port-range": "30000-32767"}, {"node-ip": "10.0.0.11"}),
    ("1.31.4", "kubeadm.k8s.io/v1beta4", [{"name": "service-node-port-range", "value": "30000-32767"}],
     [{"name": "node-ip", "value": "10.0.0.11"}]),
])
def test_documents_extra_args_follow_the_api_version(version, api, args, kubelet_args):
    docs = by_kind(docs_for("cp-01", version))
    assert docs["InitConfiguration"]["apiVersion"] == docs["ClusterConfiguration"]["apiVersion"] == api
    assert docs["ClusterConfiguration"]["apiServer"]["extraArgs"] == args
    assert docs["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == kubelet_args


def test_cluster_configuration():
    cc = by_kind(docs_for("cp-01"))["ClusterConfiguration"]
    assert cc["kubernetesVersion"] == "v1.31.4"
    assert cc["controlPlaneEndpoint"] == "10.0.0.100:6443"
    assert cc["imageRepository"] == "registry.k8s.io"
    assert cc["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12",
                                "dnsDomain": "cluster.local"}
    # every control-plane node (not workers, not the NFS server), the cluster name, the endpoint (a VIP)
    assert cc["apiServer"]["certSANs"] == ["cp-01", "cp-01.lab.example", "10.0.0.11", "cp-02", "cp-02.lab.example",
                                           "10.0.0.12", "ai.lab.example", "10.0.0.100"]


@pytest.mark.parametrize("extra, mirrors, sans, repo", [
    ({"domain": None}, {}, ["cp-01", "10.0.0.11", "cp-02", "10.0.0.12", "10.0.0.100"], "registry.k8s.io"),
    ({"control_plane_endpoint": "api.lab.example:8443"}, {"image_repository": "reg.local:5000/k8s"},
     ["cp-01", "cp-01.lab.example", "10.0.0.11", "cp-02", "cp-02.lab.example", "10.0.0.12", "ai.lab.example",
      "api.lab.example"], "reg.local:5000/k8s"),
    ({"control_plane_endpoint": "[fd00::10]:6443"}, {},
     ["cp-01", "cp-01.lab.example", "10.0.0.11", "cp-02", "cp-02.lab.example", "10.0.0.12", "ai.lab.example",
      "fd00::10"], "registry.k8s.io"),
    ({"control_plane_endpoint": "cp-01:6443"}, {},                  # the endpoint is a node: listed once
     ["cp-01", "cp-01.lab.example", "10.0.0.11", "cp-02", "cp-02.lab.example", "10.0.0.12", "ai.lab.example"],
     "registry.k8s.io"),
])
def test_cluster_configuration_variants(extra, mirrors, sans, repo):
    hosts = HOSTS
    if "domain" in extra:    # without a domain the inventory's FQDN is the bare name
        hosts = dict((h, dict(hv, node_fqdn=h)) for h, hv in HOSTS.items())
    docs = kubeadm.kubeadm_documents("cp-01", hosts, cluster(**extra), NETWORK, mirrors, "cp-01", JOIN)
    cc = by_kind(docs)["ClusterConfiguration"]
    assert cc["apiServer"]["certSANs"] == sans
    assert cc["imageRepository"] == repo


@pytest.mark.parametrize("host, taints", [
    ("cp-01", []),                     # schedulable control plane: an empty list keeps kubeadm's taint off
    ("cp-02", [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    ("gpu-01", [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]),
])
def test_node_registration(host, taints):
    doc = docs_for(host, init_host="cp-01")[0]
    reg = doc["nodeRegistration"]
    assert reg["taints"] == taints
    assert reg["name"] == host
    assert reg["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert reg["kubeletExtraArgs"] == [{"name": "node-ip", "value": HOSTS[host]["node_ip"]}]


def test_init_configuration():
    init = by_kind(docs_for("cp-01"))["InitConfiguration"]
    assert init["localAPIEndpoint"] == {"advertiseAddress": "10.0.0.11", "bindPort": 6443}
    assert init["certificateKey"] == JOIN["certificate_key"]
    assert init["bootstrapTokens"] == [{"token": JOIN["token"], "ttl": "24h0m0s", "usages": ["signing", "authentication"],
                                        "groups": ["system:bootstrappers:kubeadm:default-node-token"]}]
    bare = by_kind(docs_for("cp-01", join=None))["InitConfiguration"]
    assert "bootstrapTokens" not in bare and "certificateKey" not in bare   # kubeadm makes its own then


def test_join_configurations():
    worker = docs_for("gpu-01")[0]
    assert worker["discovery"] == {"bootstrapToken": {"apiServerEndpoint": "10.0.0.100:6443", "token": JOIN["token"],
                                                      "caCertHashes": [JOIN["ca_cert_hashes"]]}}
    assert "controlPlane" not in worker
    control = docs_for("cp-02")[0]
    assert control["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": "10.0.0.12", "bindPort": 6443},
                                       "certificateKey": JOIN["certificate_key"]}


@pytest.mark.parametrize("version, has_endpoint", [("1.26.15", False), ("1.27.0", True), ("1.31.4", True)])
def test_kubelet_configuration(version, has_endpoint):
    kc = by_kind(docs_for("cp-01", version))["KubeletConfiguration"]
    assert kc["cgroupDriver"] == "systemd" and kc["clusterDomain"] == "cluster.local"
    assert ("containerRuntimeEndpoint" in kc) is has_endpoint


@pytest.mark.parametrize("mode", ["ipvs", "iptables"])
def test_kube_proxy_configuration(mode):
    kp = by_kind(docs_for("cp-01", kube_proxy_mode=mode))["KubeProxyConfiguration"]
    assert kp == {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                  "mode": mode, "clusterCIDR": "10.244.0.0/16"}


def test_endpoint_defaults_to_the_first_control_plane_node():
    data = cluster()
    del data["control_plane_endpoint"]
    docs = kubeadm.kubeadm_documents("gpu-01", HOSTS, data, NETWORK, {}, None, JOIN)
    assert docs[0]["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "10.0.0.11:6443"


def test_overrides_are_merged_into_the_rendered_kinds():
    docs = kubeadm.kubeadm_documents("cp-01", HOSTS, cluster(), NETWORK, {}, "cp-01", JOIN, overrides={
        "KubeletConfiguration": {"maxPods": 250, "authentication": {"webhook": {"cacheTTL": "1m0s"}}},
        "JoinConfiguration": {"caCertPath": "/x"}})
    kc = by_kind(docs)["KubeletConfiguration"]
    assert kc["maxPods"] == 250
    assert kc["authentication"]["webhook"] == {"enabled": True, "cacheTTL": "1m0s"}
    assert "JoinConfiguration" not in by_kind(docs)


@pytest.mark.parametrize("host, init_host, join, version, text", [
    ("gpu-01", "cp-01", {"ca_cert_hashes": ["sha256:00"]}, "1.31.4", "node gpu-01 joins the cluster: join.token"),
    ("gpu-01", "cp-01", {"token": "abcdef.0123456789abcdef"}, "1.31.4", "join.ca_cert_hashes is required"),
    ("cp-02", "cp-01", {"token": "abcdef.0123456789abcdef", "ca_cert_hashes": ["sha256:00"]}, "1.31.4",
     "node cp-02 joins the control plane: join.certificate_key is required"),
    ("gpu-01", "gpu-01", JOIN, "1.31.4", "node gpu-01 initialises the cluster but has no control_plane role"),
    ("gpu-99", "cp-01", JOIN, "1.31.4", "node gpu-99 is not among"),
    ("cp-01", "cp-01", JOIN, "1.21.14", "older than 1.22"),
])
def test_documents_errors(host, init_host, join, version, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.kubeadm_documents(host, HOSTS, cluster(version), NETWORK, {}, init_host, join)


def test_bad_taint_is_named():
    hosts = dict(HOSTS, **{"gpu-01": dict(HOSTS["gpu-01"], node_taints=[{"key": "gpu", "effect": "NoSchedul"}])})
    with pytest.raises(ValueError, match=r"node gpu-01: node_taints\[0\]"):
        kubeadm.kubeadm_documents("gpu-01", hosts, cluster(), NETWORK, {}, "cp-01", JOIN)


# --- init / join decisions: nodes that hold only kubelet.conf ------------------------------------

@pytest.mark.parametrize("states, first", [
    ({"cp-01": {}, "cp-02": {}, "cp-03": {"kubelet_conf": True}}, None),   # a member: a cluster exists
    ({"cp-01": {"admin_conf": False, "kubelet_conf": False, "api_healthy": False}, "cp-02": {}}, "cp-01"),
])
def test_init_node_membership(states, first):
    assert kubeadm.init_node(CP, states) == first


# --- tokens from the real output layout -----------------------------------------------------------

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "kubeadm")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.mark.parametrize("now, min_remaining, expected", [
    ("2026-11-22T12:00:00Z", 600, "abcdef.0123456789abcdef"),        # both usable: the longer-lived one
    ("2026-11-23T09:10:00Z", 600, None),                              # 4 min left, the other expired
    ("2026-11-23T09:10:00Z", 120, "abcdef.0123456789abcdef"),
    ("2026-11-22T12:05:00Z", 80000, None),                            # 22 h left, a day wanted
    (NOW, 600, "abcdef.0123456789abcdef"),                            # an aware datetime
    (1795348800, 600, "abcdef.0123456789abcdef"),                     # epoch seconds (2026-11-22T12:00:00Z)
])
def test_usable_token_from_output(now, min_remaining, expected):
    assert kubeadm.usable_token(fixture("token_list_two.txt"), now, min_remaining) == expected


def test_usable_token_reads_offsets():
    # the second token expires 20:15 +08:00 = 12:15Z: usable at 12:00Z for 10 min, not for 20
    second = [t for t in kubeadm.parse_token_list(fixture("token_list_two.txt")) if t["token"].startswith("q2w3")]
    assert kubeadm.usable_token(second, "2026-11-22T12:00:00Z", 600) == "q2w3e4.r5t6y7u8i9o0p1a2"
    assert kubeadm.usable_token(second, "2026-11-22T12:00:00Z", 1200) is None


@pytest.mark.parametrize("output, count", [("", 0), ("\n", 0), ("[]", 0), (fixture("token_list_two.txt"), 2),
                                           ([{"token": "a"}], 1), ({"token": "a"}, 1)])
def test_parse_token_list(output, count):
    assert len(kubeadm.parse_token_list(output)) == count


@pytest.mark.parametrize("output, text", [
    ("TOKEN  TTL  EXPIRES\n", "not JSON at character 0"),      # the table layout, not -o json
    ('{"kind": "BootstrapToken"}', "is not a token object"),
])
def test_parse_token_list_errors(output, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.parse_token_list(output)


@pytest.mark.parametrize("size", ["abc", True, "2.5", "-1", None])
def test_batches_rejects_nonsense(size):
    with pytest.raises(ValueError, match="batch size"):
        kubeadm.batches(["a", "b"], size)


# --- nodes -------------------------------------------------------------------------------------

def test_parse_node_list():
    nodes = kubeadm.parse_node_list(fixture("nodes_three.json"))
    assert sorted(nodes) == ["cp-01", "gpu-01", "npu-01"]
    assert nodes["cp-01"]["ready"] is True and nodes["cp-01"]["version"] == "v1.31.4"
    assert nodes["cp-01"]["taints"] == [] and nodes["cp-01"]["labels"]["org"] == "public"
    assert nodes["cp-01"]["internal_ip"] == "10.0.0.11"
    assert nodes["gpu-01"]["ready"] is False
    assert nodes["gpu-01"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"},
                                         {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]
    assert nodes["npu-01"] == {
        "ready": True, "version": "v1.30.9", "unschedulable": True, "internal_ip": "10.0.0.31",
        "labels": {"accelerator": "huawei-Ascend910", "kubernetes.io/arch": "arm64",
                   "kubernetes.io/hostname": "npu-01", "kubernetes.io/os": "linux", "npu": "true"},
        "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                   {"key": "huawei.com/Ascend910", "value": "present", "effect": "NoSchedule"}]}


def test_parse_single_node():
    one = json.loads(fixture("nodes_three.json"))["items"][1]
    assert list(kubeadm.parse_node_list(one)) == ["gpu-01"]


@pytest.mark.parametrize("output, text", [
    ("No resources found", "not JSON"),
    ('{"kind": "Pod"}', "expected a List with items"),
    ('{"kind": "List", "items": [{"metadata": {}}]}', "without metadata.name"),
    ("[]", "expected an object"),
])
def test_parse_node_list_errors(output, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.parse_node_list(output)


# --- labels and taints ---------------------------------------------------------------------------

MANAGED = ("gpu", "cpu", "npu", "org", "train", "notebook", "service", "aiplatform.io/")


@pytest.mark.parametrize("current, wanted, add, remove", [
    ({}, {"gpu": "true", "org": "public"}, {"gpu": "true", "org": "public"}, []),
    ({"gpu": "true", "org": "public"}, {"gpu": "true", "org": "public"}, {}, []),               # rerun
    ({"gpu": "true", "org": "public"}, {"gpu": True, "org": "public"}, {}, []),                 # YAML true
    ({"org": "public"}, {"org": "team-a"}, {"org": "team-a"}, []),                              # changed value
    ({"gpu": "true", "gpu-type": "A100", "train": "true"}, {"cpu": "true"}, {"cpu": "true"},
     ["gpu", "gpu-type", "train"]),                                                             # node lost its GPU
    ({"kubernetes.io/hostname": "n1", "nvidia.com/gpu.product": "A100", "aiplatform.io/zone": "a"}, {}, {},
     ["aiplatform.io/zone"]),                                                                   # others' labels stay
    ({"node-role.kubernetes.io/control-plane": ""}, {"node-role.kubernetes.io/control-plane": ""}, {}, []),
])
def test_label_changes(current, wanted, add, remove):
    result = kubeadm.label_changes(current, wanted, MANAGED)
    assert (result["add"], result["remove"]) == (add, remove)
    assert result["changed"] is bool(add or remove)
    applied = dict((k, v) for k, v in current.items() if k not in remove)
    applied.update(add)
    assert kubeadm.label_changes(applied, wanted, MANAGED)["changed"] is False       # idempotent


def test_label_change_args():
    result = kubeadm.label_changes({"train": "true", "org": "x"}, {"org": "public", "gpu": True}, MANAGED)
    assert result["args"] == ["gpu=true", "org=public", "train-"]


CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def T(key, effect="NoSchedule", value=None):
    taint = {"key": key, "effect": effect}
    if value is not None:
        taint["value"] = value
    return taint


@pytest.mark.parametrize("current, wanted, args", [
    ([], [], []),
    ([T(CONTROL_PLANE)], [], ["%s:NoSchedule-" % CONTROL_PLANE]),                                  # schedulable
    ([], [T(CONTROL_PLANE)], ["%s:NoSchedule" % CONTROL_PLANE]),                                   # not any more
    ([T(CONTROL_PLANE)], [T(CONTROL_PLANE, value="")], []),                                        # "" == no value
    ([T("nvidia.com/gpu", value="present")], [T("nvidia.com/gpu", value="present")], []),          # rerun
    ([T("nvidia.com/gpu", value="old")], [T("nvidia.com/gpu", value="present")], ["nvidia.com/gpu=present:NoSchedule"]),
    ([T("nvidia.com/gpu", "NoExecute", "present")], [T("nvidia.com/gpu", value="present")],
     ["nvidia.com/gpu=present:NoSchedule", "nvidia.com/gpu:NoExecute-"]),                          # effect changed
    ([T("node.kubernetes.io/not-ready"), T("node.kubernetes.io/unschedulable")], [], []),          # controller's
    ([T("team.example/dedicated", value="a")], [], []),                                            # not managed
])
def test_taint_changes(current, wanted, args):
    result = kubeadm.taint_changes(current, wanted, (CONTROL_PLANE, "nvidia.com/", "node."))
    assert result["args"] == args and result["changed"] is bool(args)
    gone = set((t["key"], t["effect"]) for t in result["remove"] + result["add"])
    applied = [t for t in current if (t["key"], t["effect"]) not in gone] + result["add"]
    assert kubeadm.taint_changes(applied, wanted, (CONTROL_PLANE, "nvidia.com/"))["changed"] is False


def test_taint_changes_default_manages_only_the_control_plane_taint():
    current = [T("node-role.kubernetes.io/control-plane"), T("nvidia.com/gpu", value="present")]
    assert kubeadm.taint_changes(current, [])["args"] == ["node-role.kubernetes.io/control-plane:NoSchedule-"]


@pytest.mark.parametrize("current, wanted, text", [
    ([], [{"key": "gpu", "effect": "NoSchedul"}], "wanted taint"),
    ([{"effect": "NoSchedule"}], [], "current taint"),
])
def test_taint_changes_errors(current, wanted, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.taint_changes(current, wanted)
