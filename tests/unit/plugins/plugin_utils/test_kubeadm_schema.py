"""kubeadm_schema: the field tables against the upstream Go types, and validate_documents over what
kubeadm.kubeadm_documents renders and over broken documents.

The since/until facts below were read off the release tags v0.22.0 to v0.36.0 of the published
staging repositories k8s.io/kubelet (config/v1beta1/types.go) and k8s.io/kube-proxy
(config/v1alpha1/types.go); the kubeadm facts off cmd/kubeadm/app/apis/kubeadm/v1beta3 and v1beta4
types.go in kubernetes/kubernetes.
"""
import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm_schema as schema

V3 = "kubeadm.k8s.io/v1beta3"
V4 = "kubeadm.k8s.io/v1beta4"
KUBELET = "kubelet.config.k8s.io/v1beta1"
PROXY = "kubeproxy.config.k8s.io/v1alpha1"

# --- realistic clusters -------------------------------------------------------------------------

CP_TAINT = {"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
NPU_TAINT = {"key": "huawei.com/Ascend910", "effect": "NoExecute"}
SPOT_TAINT = {"key": "lab.example/preemptible", "value": "true", "effect": "PreferNoSchedule"}


def node(name, ip, roles, taints, domain):
    # host vars as the inventory plugin gives them; without a domain the FQDN is the bare name
    return {"node_ip": ip, "node_fqdn": "%s.%s" % (name, domain) if domain else name, "node_roles": roles,
            "node_taints": taints}


def one_control_plane(domain):
    """One schedulable control-plane node and three tainted workers."""
    return {
        "cp-01": node("cp-01", "10.0.0.11", ["control_plane", "worker"], [], domain),
        "gpu-01": node("gpu-01", "10.0.0.21", ["worker"], [GPU_TAINT], domain),
        "gpu-02": node("gpu-02", "10.0.0.22", ["worker"], [GPU_TAINT, SPOT_TAINT], domain),
        "npu-01": node("npu-01", "10.0.0.31", ["worker"], [NPU_TAINT], domain),
    }


def three_control_planes(domain):
    """Three tainted control-plane nodes and one worker."""
    hosts = dict(("cp-0%d" % i, node("cp-0%d" % i, "10.0.0.1%d" % i, ["control_plane"], [CP_TAINT], domain))
                 for i in (1, 2, 3))
    hosts["gpu-01"] = node("gpu-01", "10.0.0.21", ["worker"], [GPU_TAINT], domain)
    return hosts


TOPOLOGIES = {"1cp+3workers": one_control_plane, "3cp+1worker": three_control_planes}
NETWORK = {"pod_network": "10.244.0.0/16", "service_network": "10.96.0.0/12", "node_port_range": "30000-32767",
           "dns_domain": "cluster.local"}
MIRRORS = {"image_repository": "registry.lab.example:5000/k8s"}
JOIN = {"token": "abcdef.0123456789abcdef", "ca_cert_hashes": ["sha256:" + "3f" * 32], "certificate_key": "9c" * 32,
        "token_ttl": "2h0m0s"}
VERSIONS = ["1.%d.3" % minor for minor in range(22, 35)]


def cluster(version, endpoint, domain):
    data = {"name": "ai", "kubernetes_version": version, "api_port": 6443, "kube_proxy_mode": "ipvs",
            "cni": "calico", "control_plane_schedulable": True}
    if endpoint:
        data["control_plane_endpoint"] = endpoint
    if domain:
        data["domain"] = domain
    return data


def render_all(hosts, data):
    """{host: documents} for every node: the first control-plane node inits, the others join."""
    init_host = kubeadm.control_plane_hosts(hosts)[0]
    return dict((host, kubeadm.kubeadm_documents(host, hosts, data, NETWORK, MIRRORS, init_host, JOIN))
                for host in hosts)


@pytest.mark.parametrize("domain", ["lab.example", None], ids=["domain", "no-domain"])
@pytest.mark.parametrize("endpoint", ["api.lab.example:6443", None], ids=["endpoint", "no-endpoint"])
@pytest.mark.parametrize("topology", sorted(TOPOLOGIES))
@pytest.mark.parametrize("version", VERSIONS)
def test_rendered_documents_validate(version, topology, endpoint, domain):
    hosts = TOPOLOGIES[topology](domain)
    rendered = render_all(hosts, cluster(version, endpoint, domain))
    api = kubeadm.kubeadm_api_version(version)
    roles = set()
    for host, docs in rendered.items():
        assert schema.validate_documents(docs, api, version) == [], host
        kinds = [d["kind"] for d in docs]
        if "InitConfiguration" in kinds:
            roles.add("init")
        elif "controlPlane" in docs[0]:
            roles.add("control-plane join")
        else:
            roles.add("worker join")
        assert all(d["apiVersion"] == "kubeadm.k8s.io/" + api for d in docs if d["apiVersion"].startswith("kubeadm"))
    # every kind of document was checked, not an empty list
    expected = {"init", "worker join"} | ({"control-plane join"} if topology == "3cp+1worker" else set())
    assert roles == expected


@pytest.mark.parametrize("version", ["1.30.9", "1.31.0", "1.34.2"])
def test_rendered_documents_with_overrides_validate(version):
    api = kubeadm.kubeadm_api_version(version)
    args = ({"max-requests-inflight": "800"} if api == "v1beta3"
            else [{"name": "max-requests-inflight", "value": "800"}])
    overrides = {
        "ClusterConfiguration": {"controllerManager": {"extraArgs": args},
                                 "etcd": {"local": {"dataDir": "/data/etcd"}}},
        "KubeletConfiguration": {"maxPods": 250, "evictionHard": {"memory.available": "500Mi"},
                                 "systemReserved": {"cpu": "500m", "memory": "1Gi"},
                                 "reservedMemory": [{"numaNode": 0, "limits": {"memory": "1100Mi"}}]},
        "KubeProxyConfiguration": {"ipvs": {"strictARP": True, "scheduler": "rr"}},
        "InitConfiguration": {"skipPhases": ["addon/kube-proxy"]},
    }
    hosts = three_control_planes("lab.example")
    docs = kubeadm.kubeadm_documents("cp-01", hosts, cluster(version, None, "lab.example"), NETWORK, MIRRORS, "cp-01",
                                     JOIN, overrides=overrides)
    assert schema.validate_documents(docs, api, version) == []


def test_ipv6_endpoint_is_bracketed():
    hosts = {"cp-01": {"node_ip": "fd00::11", "node_roles": ["control_plane"], "node_taints": []},
             "gpu-01": {"node_ip": "fd00::21", "node_roles": ["worker"], "node_taints": []}}
    data = cluster("1.31.4", None, None)
    init = dict((d["kind"], d) for d in kubeadm.kubeadm_documents("cp-01", hosts, data, NETWORK, {}, "cp-01", JOIN))
    assert init["ClusterConfiguration"]["controlPlaneEndpoint"] == "[fd00::11]:6443"
    assert init["ClusterConfiguration"]["apiServer"]["certSANs"] == ["cp-01", "fd00::11"]
    join = kubeadm.kubeadm_documents("gpu-01", hosts, data, NETWORK, {}, "cp-01", JOIN)[0]
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "[fd00::11]:6443"


# --- the tables against upstream ----------------------------------------------------------------

@pytest.mark.parametrize("api, type_name, field, present", [
    # v1beta4 moved timeouts into Timeouts
    ("v1beta3", "APIServer", "timeoutForControlPlane", True), ("v1beta4", "APIServer", "timeoutForControlPlane", False),
    ("v1beta3", "Discovery", "timeout", True), ("v1beta4", "Discovery", "timeout", False),
    ("v1beta3", "InitConfiguration", "timeouts", False), ("v1beta4", "InitConfiguration", "timeouts", True),
    ("v1beta4", "JoinConfiguration", "timeouts", True), ("v1beta4", "ResetConfiguration", "timeouts", True),
    ("v1beta4", "UpgradeConfiguration", "timeouts", True),
    # ClusterConfiguration additions of v1beta4
    ("v1beta3", "ClusterConfiguration", "encryptionAlgorithm", False),
    ("v1beta4", "ClusterConfiguration", "encryptionAlgorithm", True),
    ("v1beta4", "ClusterConfiguration", "certificateValidityPeriod", True),
    ("v1beta4", "ClusterConfiguration", "caCertificateValidityPeriod", True),
    ("v1beta3", "ClusterConfiguration", "certificateValidityPeriod", False),
    ("v1beta4", "ClusterConfiguration", "proxy", True), ("v1beta3", "ClusterConfiguration", "proxy", False),
    ("v1beta4", "DNS", "disabled", True), ("v1beta3", "DNS", "disabled", False),
    ("v1beta3", "DNS", "type", False),          # dropped in v1beta3
    ("v1beta4", "InitConfiguration", "dryRun", True), ("v1beta3", "InitConfiguration", "dryRun", False),
    ("v1beta4", "JoinConfiguration", "dryRun", True),
    ("v1beta4", "ControlPlaneComponent", "extraEnvs", True), ("v1beta3", "ControlPlaneComponent", "extraEnvs", False),
    ("v1beta4", "APIServer", "extraEnvs", True), ("v1beta4", "LocalEtcd", "extraEnvs", True),
    ("v1beta4", "NodeRegistrationOptions", "imagePullSerial", True),
    ("v1beta3", "NodeRegistrationOptions", "imagePullSerial", False),
    ("v1beta3", "NodeRegistrationOptions", "imagePullPolicy", True),
    ("v1beta3", "InitConfiguration", "skipPhases", True), ("v1beta3", "JoinConfiguration", "patches", True),
])
def test_kubeadm_fields_per_api_version(api, type_name, field, present):
    assert (field in schema.known_fields(api, type_name)) is present


def test_v1beta4_timeouts_fields():
    assert schema.known_fields(V4, "Timeouts") == [
        "controlPlaneComponentHealthCheck", "discovery", "etcdAPICall", "kubeletHealthCheck", "kubernetesAPICall",
        "tlsBootstrap", "upgradeManifests"]


@pytest.mark.parametrize("api, type_name, field, kind", [
    ("v1beta3", "ControlPlaneComponent", "extraArgs", ("map", ("str",))),
    ("v1beta3", "APIServer", "extraArgs", ("map", ("str",))),
    ("v1beta3", "LocalEtcd", "extraArgs", ("map", ("str",))),
    ("v1beta3", "NodeRegistrationOptions", "kubeletExtraArgs", ("map", ("str",))),
    ("v1beta4", "ControlPlaneComponent", "extraArgs", ("list", ("obj", "Arg"))),
    ("v1beta4", "APIServer", "extraArgs", ("list", ("obj", "Arg"))),
    ("v1beta4", "LocalEtcd", "extraArgs", ("list", ("obj", "Arg"))),
    ("v1beta4", "NodeRegistrationOptions", "kubeletExtraArgs", ("list", ("obj", "Arg"))),
    ("v1beta4", "ClusterConfiguration", "certificateValidityPeriod", ("duration",)),
    ("v1beta4", "Timeouts", "kubeletHealthCheck", ("duration",)),
    ("v1beta3", "APIEndpoint", "bindPort", ("int",)),
])
def test_kubeadm_field_types(api, type_name, field, kind):
    assert schema.APIS["kubeadm.k8s.io/" + api][0][type_name][field].type == kind


@pytest.mark.parametrize("api, kinds", [
    (V3, ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration")),
    (V4, ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
          "UpgradeConfiguration")),
    (KUBELET, ("KubeletConfiguration",)), (PROXY, ("KubeProxyConfiguration",)),
])
def test_kinds_per_api_version(api, kinds):
    assert schema.APIS[api][1] == kinds


@pytest.mark.parametrize("api, type_name, field, since, until", [
    (KUBELET, "KubeletConfiguration", "registerWithTaints", 23, None),
    (KUBELET, "KubeletConfiguration", "shutdownGracePeriodByPodPriority", 23, None),
    (KUBELET, "KubeletConfiguration", "tracing", 25, None),
    (KUBELET, "KubeletConfiguration", "topologyManagerPolicyOptions", 26, None),
    (KUBELET, "KubeletConfiguration", "containerRuntimeEndpoint", 27, None),
    (KUBELET, "KubeletConfiguration", "maxParallelImagePulls", 27, None),
    (KUBELET, "KubeletConfiguration", "imageMaximumGCAge", 29, None),
    (KUBELET, "KubeletConfiguration", "podLogsDir", 30, None),
    (KUBELET, "KubeletConfiguration", "containerLogMaxWorkers", 30, None),
    (KUBELET, "KubeletConfiguration", "failCgroupV1", 31, None),
    (KUBELET, "KubeletConfiguration", "singleProcessOOMKill", 32, None),
    (KUBELET, "KubeletConfiguration", "crashLoopBackOff", 32, None),
    (KUBELET, "KubeletConfiguration", "userNamespaces", 33, None),
    (KUBELET, "KubeletConfiguration", "cgroupDriver", None, None),
    (PROXY, "KubeProxyConfiguration", "udpIdleTimeout", None, 25),
    (PROXY, "KubeProxyConfiguration", "detectLocal", 24, None),
    (PROXY, "KubeProxyConfiguration", "logging", 28, None),
    (PROXY, "KubeProxyConfiguration", "nftables", 29, None),
    (PROXY, "KubeProxyConfiguration", "windowsRunAsService", 31, None),
    (PROXY, "KubeProxyIPTablesConfiguration", "localhostNodePorts", 26, None),
    (PROXY, "KubeProxyConntrackConfiguration", "tcpBeLiberal", 29, None),
])
def test_since_until_match_the_release_tags(api, type_name, field, since, until):
    entry = schema.APIS[api][0][type_name][field]
    assert (entry.since, entry.until) == (since, until)


def test_every_object_type_is_defined():
    for api, (types, kinds) in schema.APIS.items():
        for kind in kinds:
            assert kind in types, (api, kind)
        for type_name, fields in types.items():
            for name, entry in fields.items():
                inner = entry.type
                while inner[0] in ("list", "map"):
                    inner = inner[1]
                if inner[0] == "obj":
                    assert inner[1] in types, (api, type_name, name)


# --- unknown fields -----------------------------------------------------------------------------

def init_docs(api=V4, **extra):
    doc = {"apiVersion": api, "kind": "InitConfiguration"}
    doc.update(extra)
    return [doc]


@pytest.mark.parametrize("api, doc, problem", [
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "networking": {"podSubnets": "10.244.0.0/16"}},
     "ClusterConfiguration.networking.podSubnets: unknown field in v1beta4 (did you mean podSubnet?)"),
    ("v1beta3", {"apiVersion": V3, "kind": "JoinConfiguration", "discovery": {"file": {"kubeConfigPath": "/x"}},
                 "nodeRegistration": {"kubeletExtraArg": {"node-ip": "10.0.0.21"}}},
     "JoinConfiguration.nodeRegistration.kubeletExtraArg: unknown field in v1beta3 (did you mean kubeletExtraArgs?)"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "kubernetesVersio": "v1.31.4"},
     "ClusterConfiguration.kubernetesVersio: unknown field in v1beta4 (did you mean kubernetesVersion?)"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "metadata": {"name": "x"}},
     "ClusterConfiguration.metadata: unknown field in v1beta4"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "apiServer": {"timeoutForControlPlane": "4m0s"}},
     "ClusterConfiguration.apiServer.timeoutForControlPlane: unknown field in v1beta4 (v1beta3 has it)"),
    ("v1beta3", {"apiVersion": V3, "kind": "InitConfiguration", "timeouts": {"kubeletHealthCheck": "4m0s"}},
     "InitConfiguration.timeouts: unknown field in v1beta3 (v1beta4 has it)"),
    ("v1beta3", {"apiVersion": V3, "kind": "ClusterConfiguration", "encryptionAlgorithm": "ECDSA-P256"},
     "ClusterConfiguration.encryptionAlgorithm: unknown field in v1beta3 (v1beta4 has it)"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration",
                 "etcd": {"local": {"extraArgs": [{"name": "quota-backend-bytes", "valu": "8589934592"}]}}},
     "ClusterConfiguration.etcd.local.extraArgs[0].valu: unknown field in v1beta4 (did you mean value?)"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "authentication": {"webhok": {}}},
     "KubeletConfiguration.authentication.webhok: unknown field in kubelet.config.k8s.io/v1beta1 "
     "(did you mean webhook?)"),
    ("v1beta4", {"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "clusterCidr": "10.244.0.0/16"},
     "KubeProxyConfiguration.clusterCidr: unknown field in kubeproxy.config.k8s.io/v1alpha1 "
     "(did you mean clusterCIDR?)"),
    ("v1beta4", {"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "zzz": 1},
     "KubeProxyConfiguration.zzz: unknown field in kubeproxy.config.k8s.io/v1alpha1"),
])
def test_unknown_fields(api, doc, problem):
    assert schema.validate_documents([doc], api) == [problem]


# --- wrong types and values ---------------------------------------------------------------------

@pytest.mark.parametrize("api, doc, problem", [
    ("v1beta4", {"apiVersion": V4, "kind": "InitConfiguration", "localAPIEndpoint": {"bindPort": "6443"}},
     "InitConfiguration.localAPIEndpoint.bindPort: expected integer in v1beta4, got string '6443'"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "maxPods": "110"},
     "KubeletConfiguration.maxPods: expected integer in kubelet.config.k8s.io/v1beta1, got string '110'"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "maxPods": True},
     "KubeletConfiguration.maxPods: expected integer in kubelet.config.k8s.io/v1beta1, got boolean true"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "apiServer": {"certSANs": {"a": "b"}}},
     "ClusterConfiguration.apiServer.certSANs: expected list of string in v1beta4, got map"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "featureGates": ["EtcdLearnerMode"]},
     "ClusterConfiguration.featureGates: expected map of string to boolean in v1beta4, got list"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration",
                 "apiServer": {"extraArgs": {"service-node-port-range": "30000-32767"}}},
     "ClusterConfiguration.apiServer.extraArgs: expected list of {name, value} in v1beta4, got map"),
    ("v1beta4", {"apiVersion": V4, "kind": "JoinConfiguration", "discovery": {"file": {"kubeConfigPath": "/x"}},
                 "nodeRegistration": {"kubeletExtraArgs": {"node-ip": "10.0.0.21"}}},
     "JoinConfiguration.nodeRegistration.kubeletExtraArgs: expected list of {name, value} in v1beta4, got map"),
    ("v1beta3", {"apiVersion": V3, "kind": "ClusterConfiguration",
                 "scheduler": {"extraArgs": [{"name": "bind-address", "value": "0.0.0.0"}]}},
     "ClusterConfiguration.scheduler.extraArgs: expected map of string to string in v1beta3, got list"),
    ("v1beta3", {"apiVersion": V3, "kind": "InitConfiguration",
                 "nodeRegistration": {"kubeletExtraArgs": {"max-pods": 250}}},
     "InitConfiguration.nodeRegistration.kubeletExtraArgs.max-pods: expected string in v1beta3, got integer 250"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "certificateValidityPeriod": "365d"},
     "ClusterConfiguration.certificateValidityPeriod: '365d' is not a duration (like 4m0s)"),
    ("v1beta4", {"apiVersion": V4, "kind": "InitConfiguration", "timeouts": {"kubeletHealthCheck": 240}},
     "InitConfiguration.timeouts.kubeletHealthCheck: expected duration (like 4m0s) in v1beta4, got integer 240"),
    ("v1beta3", {"apiVersion": V3, "kind": "JoinConfiguration",
                 "discovery": {"file": {"kubeConfigPath": "/x"}, "timeout": "5 min"}},
     "JoinConfiguration.discovery.timeout: '5 min' is not a duration (like 4m0s)"),
    ("v1beta4", {"apiVersion": V4, "kind": "InitConfiguration",
                 "nodeRegistration": {"taints": [{"key": "gpu", "effect": "NoSchedul"}]}},
     "InitConfiguration.nodeRegistration.taints[0].effect: 'NoSchedul' is not one of 'NoSchedule', "
     "'PreferNoSchedule', 'NoExecute'"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration",
                 "registerWithTaints": [{"key": "gpu", "effect": "NoExecute", "timeAdded": "yesterday"}]},
     "KubeletConfiguration.registerWithTaints[0].timeAdded: 'yesterday' is not a RFC 3339 time "
     "(like 2026-01-02T15:04:05Z)"),
    ("v1beta4", {"apiVersion": V4, "kind": "InitConfiguration",
                 "nodeRegistration": {"taints": [{"effect": "NoSchedule"}]}},
     "InitConfiguration.nodeRegistration.taints[0].key: required field is missing"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "encryptionAlgorithm": "RSA-1024"},
     "ClusterConfiguration.encryptionAlgorithm: 'RSA-1024' is not one of 'RSA-2048', 'RSA-3072', 'RSA-4096', "
     "'ECDSA-P256', 'ECDSA-P384'"),
    ("v1beta4", {"apiVersion": V4, "kind": "ResetConfiguration", "unmountFlags": ["MNT_FORCE", "MNT_LAZY"]},
     "ResetConfiguration.unmountFlags[1]: 'MNT_LAZY' is not one of 'MNT_FORCE', 'MNT_DETACH', 'MNT_EXPIRE', "
     "'UMOUNT_NOFOLLOW'"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration",
                 "reservedMemory": [{"numaNode": 0, "limits": {"memory": "1 GB"}}]},
     "KubeletConfiguration.reservedMemory[0].limits.memory: expected quantity (like 500m or 2Gi) in "
     "kubelet.config.k8s.io/v1beta1, got string '1 GB'"),
    ("v1beta4", {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "memoryThrottlingFactor": "0.9"},
     "KubeletConfiguration.memoryThrottlingFactor: expected number in kubelet.config.k8s.io/v1beta1, "
     "got string '0.9'"),
    ("v1beta4", {"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "mode": "ipvsadm"},
     "KubeProxyConfiguration.mode: 'ipvsadm' is not one of '', 'iptables', 'ipvs', 'nftables', 'kernelspace'"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration",
                 "etcd": {"local": {"dataDir": "/var/lib/etcd"}, "external": {"endpoints": ["https://e:2379"]}}},
     "ClusterConfiguration.etcd: local and external are mutually exclusive: set one"),
    ("v1beta4", {"apiVersion": V4, "kind": "JoinConfiguration", "discovery": {"tlsBootstrapToken": "a.b"}},
     "JoinConfiguration.discovery: needs one of bootstrapToken, file"),
    ("v1beta4", {"apiVersion": V4, "kind": "ClusterConfiguration", "etcd": {"external": {"caFile": "/ca"}}},
     "ClusterConfiguration.etcd.external.endpoints: required field is missing"),
])
def test_wrong_types_and_values(api, doc, problem):
    assert schema.validate_documents([doc], api) == [problem]


@pytest.mark.parametrize("value, ok", [
    ("4m0s", True), ("1h30m", True), ("0", True), ("-1.5h", True), ("300ms", True), (".5s", True),
    ("1.5us", True), ("1.5\u00b5s", True), ("1.5\u03bcs", True), ("2h45m0.5s", True),
    ("", False), ("10", False), ("1d", False), ("h", False), ("5 min", False), ("4m0", False),
])
def test_duration_follows_go_parse_duration(value, ok):
    doc = {"apiVersion": V4, "kind": "ClusterConfiguration", "certificateValidityPeriod": value}
    assert (schema.validate_documents([doc], "v1beta4") == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("500m", True), ("2Gi", True), ("1e3", True), (100, True), (0.5, True), ("1.5Mi", True),
    ("1 GB", False), ("2GiB", False), (True, False), ("lots", False),
])
def test_quantity(value, ok):
    doc = {"apiVersion": KUBELET, "kind": "KubeletConfiguration",
           "reservedMemory": [{"numaNode": 0, "limits": {"memory": value}}]}
    assert (schema.validate_documents([doc], "v1beta4") == []) is ok


# --- versions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("doc, version, problem", [
    ({"apiVersion": KUBELET, "kind": "KubeletConfiguration", "podLogsDir": "/data/pod-logs"}, "1.29.9",
     "KubeletConfiguration.podLogsDir: needs Kubernetes 1.30 or later (this cluster runs 1.29)"),
    ({"apiVersion": KUBELET, "kind": "KubeletConfiguration", "podLogsDir": "/data/pod-logs"}, "1.30.0", None),
    ({"apiVersion": KUBELET, "kind": "KubeletConfiguration", "containerRuntimeEndpoint": "unix:///x"}, "1.26.15",
     "KubeletConfiguration.containerRuntimeEndpoint: needs Kubernetes 1.27 or later (this cluster runs 1.26)"),
    ({"apiVersion": KUBELET, "kind": "KubeletConfiguration", "containerRuntimeEndpoint": "unix:///x"}, "1.27.0",
     None),
    ({"apiVersion": KUBELET, "kind": "KubeletConfiguration", "crashLoopBackOff": {"maxContainerRestartPeriod": "1m"}},
     "v1.31", "KubeletConfiguration.crashLoopBackOff: needs Kubernetes 1.32 or later (this cluster runs 1.31)"),
    ({"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "udpIdleTimeout": "250ms"}, "1.25.16", None),
    ({"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "udpIdleTimeout": "250ms"}, "1.26.0",
     "KubeProxyConfiguration.udpIdleTimeout: was removed after Kubernetes 1.25 (this cluster runs 1.26)"),
    ({"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "conntrack": {"tcpBeLiberal": True}}, "1.28.4",
     "KubeProxyConfiguration.conntrack.tcpBeLiberal: needs Kubernetes 1.29 or later (this cluster runs 1.28)"),
])
def test_field_version_range(doc, version, problem):
    assert schema.validate_documents([doc], "v1beta3", version) == ([problem] if problem else [])


def test_version_range_is_not_checked_without_a_version():
    doc = {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "podLogsDir": "/x", "failCgroupV1": True}
    assert schema.validate_documents([doc], "v1beta3") == []


def test_v1beta4_needs_kubeadm_1_31():
    assert schema.validate_documents(init_docs(), "v1beta4", "1.30.2") == [
        "kubeadm 1.30 does not read v1beta4 (it does from 1.31 on)"]
    assert schema.validate_documents(init_docs(), "v1beta4", "1.31.0") == []


@pytest.mark.parametrize("api", ["v1beta2", "v1", "", None, "kubeadm.k8s.io/v1beta5", "example.com/v1beta4",
                                 "kubeadm.io/v1beta3"])
def test_unknown_kubeadm_api_version_is_refused(api):
    with pytest.raises(ValueError, match="is not one this collection knows"):
        schema.validate_documents([], api)


@pytest.mark.parametrize("api, short", [("v1beta3", "v1beta3"), (V3, "v1beta3"), (V4, "v1beta4")])
def test_kubeadm_api(api, short):
    assert schema.kubeadm_api(api) == short


@pytest.mark.parametrize("version", ["2.1", "1.x", "latest"])
def test_bad_kubernetes_version_is_refused(version):
    with pytest.raises(ValueError, match="is not a Kubernetes version"):
        schema.validate_documents([], "v1beta4", version)


# --- all at once --------------------------------------------------------------------------------

def test_all_problems_are_reported_at_once():
    docs = [
        {"apiVersion": V4, "kind": "InitConfiguration", "nodeRegistration": {"kubeletExtraArgs": {"node-ip": "x"},
                                                                             "criSoket": "unix:///x"}},
        {"apiVersion": V4, "kind": "ClusterConfiguration", "networking": {"podSubnets": "10.244.0.0/16"},
         "certificateValidityPeriod": "1y"},
        {"apiVersion": KUBELET, "kind": "KubeletConfiguration", "maxPods": "110", "podLogsDir": "/x"},
        {"apiVersion": PROXY, "kind": "KubeProxyConfiguration", "mode": "userspace"},
    ]
    assert schema.validate_documents(docs, "v1beta4", "1.29.2") == [
        "kubeadm 1.29 does not read v1beta4 (it does from 1.31 on)",
        "InitConfiguration.nodeRegistration.kubeletExtraArgs: expected list of {name, value} in v1beta4, got map",
        "InitConfiguration.nodeRegistration.criSoket: unknown field in v1beta4 (did you mean criSocket?)",
        "ClusterConfiguration.networking.podSubnets: unknown field in v1beta4 (did you mean podSubnet?)",
        "ClusterConfiguration.certificateValidityPeriod: '1y' is not a duration (like 4m0s)",
        "KubeletConfiguration.maxPods: expected integer in kubelet.config.k8s.io/v1beta1, got string '110'",
        "KubeletConfiguration.podLogsDir: needs Kubernetes 1.30 or later (this cluster runs 1.29)",
        "KubeProxyConfiguration.mode: 'userspace' is not one of '', 'iptables', 'ipvs', 'nftables', 'kernelspace'",
    ]


# --- apiVersion and kind ------------------------------------------------------------------------

@pytest.mark.parametrize("docs, problems", [
    ([{"kind": "InitConfiguration"}], ["InitConfiguration: apiVersion is missing"]),
    ([{"apiVersion": V4}], ["documents[0]: kind is missing"]),
    ([{}], ["documents[0]: apiVersion is missing", "documents[0]: kind is missing"]),
    ([{"apiVersion": V4, "kind": "InitConfig"}],
     ["documents[0]: kind InitConfig is not a kind of kubeadm.k8s.io/v1beta4 (InitConfiguration, "
      "ClusterConfiguration, JoinConfiguration, ResetConfiguration, UpgradeConfiguration) - did you mean "
      "InitConfiguration?"]),
    ([{"apiVersion": KUBELET, "kind": "KubeProxyConfiguration"}],
     ["documents[0]: kind KubeProxyConfiguration is not a kind of kubelet.config.k8s.io/v1beta1 "
      "(KubeletConfiguration) - did you mean KubeletConfiguration?"]),
    ([{"apiVersion": V3, "kind": "InitConfiguration"}],
     ["InitConfiguration: apiVersion kubeadm.k8s.io/v1beta3, but these documents are rendered for "
      "kubeadm.k8s.io/v1beta4"]),
    ([{"apiVersion": "kubeadm.io/v1beta4", "kind": "InitConfiguration"}],
     ["InitConfiguration: unknown apiVersion kubeadm.io/v1beta4 (expected kubeadm.k8s.io/v1beta4, "
      "kubelet.config.k8s.io/v1beta1 or kubeproxy.config.k8s.io/v1alpha1)"]),
    ([{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "KubeletConfiguration"}],
     ["KubeletConfiguration: unknown apiVersion kubelet.config.k8s.io/v1 (expected kubeadm.k8s.io/v1beta4, "
      "kubelet.config.k8s.io/v1beta1 or kubeproxy.config.k8s.io/v1alpha1)"]),
    ([{"apiVersion": "kubeproxy.config.k8s.io/v1alpha2", "kind": "KubeProxyConfiguration"}],
     ["KubeProxyConfiguration: unknown apiVersion kubeproxy.config.k8s.io/v1alpha2 (expected "
      "kubeadm.k8s.io/v1beta4, kubelet.config.k8s.io/v1beta1 or kubeproxy.config.k8s.io/v1alpha1)"]),
    ([{"apiVersion": 4, "kind": "InitConfiguration"}], ["documents[0]: apiVersion and kind must be strings"]),
    (["kind: InitConfiguration", None],
     ["documents[0]: expected a mapping (one YAML document), got string 'kind: InitConfiguration'",
      "documents[1]: expected a mapping (one YAML document), got null"]),
    ({"apiVersion": V4, "kind": "InitConfiguration"}, ["documents: expected a list of documents, got map"]),
    ([{"apiVersion": KUBELET, "kind": "KubeletConfiguration"}] * 2,
     ["KubeletConfiguration: 2 documents of this kind; kubeadm reads one"]),
    ([{"apiVersion": V4, "kind": "InitConfiguration"},
      {"apiVersion": V4, "kind": "JoinConfiguration", "discovery": {"file": {"kubeConfigPath": "/x"}}}],
     ["InitConfiguration and JoinConfiguration: one file is either for kubeadm init or for kubeadm join, not both"]),
])
def test_api_version_and_kind(docs, problems):
    assert schema.validate_documents(docs, "v1beta4") == problems


def test_v1beta3_has_no_reset_configuration():
    assert schema.validate_documents([{"apiVersion": V3, "kind": "ResetConfiguration"}], "v1beta3") == [
        "documents[0]: kind ResetConfiguration is not a kind of kubeadm.k8s.io/v1beta3 (InitConfiguration, "
        "ClusterConfiguration, JoinConfiguration) - did you mean InitConfiguration?"]
