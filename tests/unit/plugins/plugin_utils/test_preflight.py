"""Preflight: checks judged from probes, and the readiness report."""

import copy
import json

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preflight

REQ = {
    "nvidia_driver_min": "430",
    "ascend_driver_min": "1.72.T2.100.B020",
    "supported_os": {"cpu": ["ubuntu2204", "debian12"], "nvidia": ["ubuntu2204"], "huawei": ["ubuntu2004"]},
    "min_memory_gb": {"control_plane": 8, "worker": 16},
    "min_disk_gb": {"control_plane": 50, "worker": 100},
}

CPU_NODE = {"hostname": "cpu-01", "node_arch": "amd64", "node_os": "ubuntu2204", "node_roles": ["worker"],
            "node_accelerator": {"vendor": "none", "model": "", "count": 0}}
GPU_NODE = dict(CPU_NODE, hostname="gpu-01", node_accelerator={"vendor": "nvidia", "model": "H100", "count": 8})
NPU_NODE = dict(CPU_NODE, hostname="npu-01", node_os="ubuntu2004", node_arch="arm64",
                node_accelerator={"vendor": "huawei", "model": "Ascend910B", "count": 8})

HEALTHY = {
    "distribution": "Ubuntu", "distribution_version": "22.04", "architecture": "x86_64", "hostname": "cpu-01",
    "memory_mb": 64 * 1024, "swap_mb": 0, "disk_free_gb": 400.0, "secure_boot": "disabled",
    "time_sync": {"synchronized": True, "source": "timedatectl"}, "listening_ports": [22],
    "peers": [{"target": "gpu-01.ai.example", "ok": True, "resolve_error": "", "error": ""}],
    "urls": [{"target": "http://mirror.example/", "ok": True, "status": 200, "error": ""}],
    "nvidia": {}, "huawei": {},
}


def statuses(node, probe, cluster=None):
    return {r["check"]: r["status"] for r in preflight.evaluate_node(node, probe, REQ, cluster or {})}


def details(node, probe):
    return {r["check"]: r for r in preflight.evaluate_node(node, probe, REQ, {})}


def test_healthy_cpu_node_passes():
    got = statuses(CPU_NODE, HEALTHY)
    assert set(got.values()) <= {"pass", "skip"}, got
    assert got["driver"] == "skip" and got["secure_boot"] == "skip"
    assert [c for c, _t in preflight.CHECKS] == list(got)  # every column, in report order


def probe(**changes):
    out = copy.deepcopy(HEALTHY)
    out.update(changes)
    return out


# (case, node, probe changes, check, expected status, text in detail)
CASES = [
    ("os unsupported for gpu", GPU_NODE, dict(distribution_version="24.04", hostname="gpu-01"), "os", "fail",
     "not supported on nvidia nodes"),
    ("os differs from config", CPU_NODE, dict(distribution="Debian", distribution_version="12"), "os", "warn",
     "config says ubuntu2204"),
    ("arch mismatch", CPU_NODE, dict(architecture="aarch64"), "arch", "fail", "config says amd64"),
    ("arm64 ok", NPU_NODE, dict(architecture="aarch64", distribution_version="20.04", hostname="npu-01"), "arch",
     "pass", "arm64"),
    ("uppercase hostname", CPU_NODE, dict(hostname="CPU-01"), "hostname", "fail", "not a lowercase"),
    ("other hostname", CPU_NODE, dict(hostname="localhost"), "hostname", "warn", "config says 'cpu-01'"),
    ("gpu driver missing", GPU_NODE, dict(nvidia={"driver_version": None, "pci_gpu_count": 8, "gpu_count": None,
                                                  "problems": ["8 NVIDIA GPUs on the PCI bus but no driver loaded"]}),
     "driver", "fail", "no driver loaded"),
    ("gpu driver too old", GPU_NODE, dict(nvidia={"driver_version": "418.67", "gpu_count": 8, "pci_gpu_count": 8}),
     "driver", "fail", "418.67 is older than the required 430"),
    ("gpu driver new enough", GPU_NODE, dict(nvidia={"driver_version": "580.159.04", "gpu_count": 8,
                                                     "pci_gpu_count": 8}), "driver", "pass", "580.159.04 >= 430"),
    ("fewer gpus visible", GPU_NODE, dict(nvidia={"driver_version": "580.159.04", "gpu_count": 7,
                                                  "pci_gpu_count": 8}), "accelerators", "fail",
     "7 GPUs visible, the config says 8 (PCI bus: 8)"),
    ("no gpus visible", GPU_NODE, dict(nvidia={"problems": ["nvidia-smi not found"], "pci_gpu_count": 8}),
     "accelerators", "fail", "no GPUs visible"),
    ("npu driver missing", NPU_NODE, dict(huawei={"problems": ["/etc/ascend_install.info not found"]}), "driver",
     "fail", "Ascend driver missing: /etc/ascend_install.info not found"),
    ("npu driver ok", NPU_NODE, dict(huawei={"driver_version": "23.0.rc3", "npu_count": 8, "pci_npu_count": 8}),
     "driver", "pass", "23.0.rc3 >= 1.72.T2.100.B020"),
    ("npu driver unparsable", NPU_NODE, dict(huawei={"driver_version": "V100R001C15SPC012B220", "npu_count": 8}),
     "driver", "fail", "V100R001C15SPC012B220"),
    ("npu count ok", NPU_NODE, dict(huawei={"driver_version": "24.1.0", "npu_count": 8}), "accelerators", "pass",
     "8 NPUs"),
    ("secure boot on", GPU_NODE, dict(secure_boot="enabled"), "secure_boot", "warn", "SecureBoot is on"),
    ("swap on", CPU_NODE, dict(swap_mb=2048), "swap", "warn", "2048 MiB"),
    ("clock unsynchronised", CPU_NODE, dict(time_sync={"synchronized": False, "source": "chrony"}), "time_sync",
     "warn", "not synchronised (chrony)"),
    ("no time service", CPU_NODE, dict(time_sync={"synchronized": None}), "time_sync", "warn", "no time service"),
    ("too little memory", CPU_NODE, dict(memory_mb=8 * 1024), "memory", "fail", "worker needs 16"),
    ("too little disk", CPU_NODE, dict(disk_free_gb=20.5), "disk", "fail", "20.5 GiB free disk on /"),
    ("kubelet port taken", CPU_NODE, dict(listening_ports=[22, 10250]), "ports", "fail", "10250 (kubelet)"),
    ("peer unreachable", CPU_NODE, dict(peers=[{"target": "gpu-01", "ok": False, "error": "port 22 unreachable"}]),
     "network", "fail", "gpu-01: port 22 unreachable"),
    ("peer name unresolved", CPU_NODE, dict(peers=[{"target": "gpu-01.ai.example", "ok": True,
                                                     "resolve_error": "gpu-01.ai.example does not resolve"}]),
     "network", "warn", "does not resolve"),
    ("mirror down", CPU_NODE, dict(urls=[{"target": "http://mirror.example/", "ok": False, "error": "timed out"}]),
     "mirrors", "fail", "http://mirror.example/: timed out"),
    ("no mirrors configured", CPU_NODE, dict(urls=[]), "mirrors", "pass", "no mirrors to check"),
]


@pytest.mark.parametrize("case, node, changes, check, status, text", CASES, ids=[c[0] for c in CASES])
def test_checks(case, node, changes, check, status, text):
    got = details(node, probe(**changes))[check]
    assert got["status"] == status, got
    assert text in got["detail"], got
    if status in ("fail", "warn"):
        assert got["fix"], got


def test_control_plane_ports():
    ports = dict(preflight.required_ports(["control_plane", "etcd"], {"api_port": 6443}))
    assert ports[6443] == "kube-apiserver" and ports[2379] == "etcd client" and ports[10250] == "kubelet"
    assert preflight.required_ports(["registry"], {}, registry_port=5000) == [(5000, "registry")]


@pytest.mark.parametrize("text, ports", [
    # source: `ss -Htln` on Debian 12 (iproute2 6.1), this project's lab container
    ("LISTEN 0      128          0.0.0.0:2222      0.0.0.0:*\nLISTEN 0      4096   127.0.0.53%lo:53        "
     "0.0.0.0:*\nLISTEN 0      128             [::]:2222         [::]:*\n", [53, 2222]),
    ("LISTEN 0 4096 *:10250 *:*\nLISTEN 0 4096 [::ffff:127.0.0.1]:6443 *:*\n", [6443, 10250]),
    ("", []),
    ("garbage\n", []),
])
def test_listening_ports(text, ports):
    assert preflight.parse_listening_ports(text) == ports


@pytest.mark.parametrize("text, free", [
    # source: `df -Pk /` in this project's lab container (Debian 12, overlay root)
    ("Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
     "overlay          264212084 24926380  81464532      24% /\n", 77.7),
    ("", 0.0),
    ("df: /: No such file or directory\n", 0.0),
])
def test_df_free_gb(text, free):
    assert preflight.parse_df_free_gb(text) == free


@pytest.mark.parametrize("dist, version, name", [
    ("Ubuntu", "22.04", "ubuntu2204"), ("Ubuntu", "18.04", "ubuntu1804"), ("Debian", "12", "debian12"),
    ("Debian", "12.7", "debian12"), ("openEuler", "22.03", "openeuler2203"), ("Ubuntu", "24.04", "ubuntu2404"),
])
def test_os_name(dist, version, name):
    assert preflight.os_name(dist, version) == name


def build():
    nodes = {
        "cpu-01": preflight.evaluate_node(CPU_NODE, HEALTHY, REQ, {}),
        "gpu-01": preflight.evaluate_node(GPU_NODE, probe(hostname="gpu-01", nvidia={"problems": [
            "8 NVIDIA GPUs on the PCI bus but no driver loaded"], "pci_gpu_count": 8}), REQ, {}),
    }
    return preflight.build_report("lab", nodes)


def test_report_lists_every_unmet_requirement():
    report = build()
    assert report["ready"] is False and report["failing_nodes"] == ["gpu-01"]
    assert [r["status"] for r in report["nodes"]] == ["pass", "fail"]
    unmet = preflight.unmet(report)
    assert unmet == [
        "gpu-01: driver: NVIDIA driver missing: 8 NVIDIA GPUs on the PCI bus but no driver loaded. "
        "Fix: install the NVIDIA driver (at least 430)",
        "gpu-01: accelerators: no GPUs visible (config: 8, PCI bus: 8). Fix: install or repair the driver",
    ]
    json.dumps(report)  # serialisable as is


def test_report_renderings():
    report = build()
    md = preflight.render_markdown(report)
    assert md.startswith("# Preflight readiness report: lab")
    assert "NOT READY: 2 node(s), 2 failed check(s)" in md
    assert "| gpu-01 | pass | pass | pass | FAIL | FAIL |" in md
    html = preflight.render_html(report)
    assert '<td class="fail"><b>fail</b><br>NVIDIA driver missing' in html
    assert "Fix: install the NVIDIA driver" in html
    bad = preflight.build_report("<script>", {"h": [preflight.result("os", "fail", "<b>x</b>", "a & b")]})
    rendered = preflight.render_html(bad)
    assert "<script>" not in rendered and "&lt;b&gt;x&lt;/b&gt;" in rendered


def test_firewall_rules():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import firewall_rules

    rules = firewall_rules(["worker"], {"cni": "flannel"}, {"node_port_range": "30000-49999"}, None,
                           ["10.0.0.0/24", "10.0.1.0/24"])
    assert {"port": "30000:49999", "proto": "udp", "purpose": "NodePort services", "src": "10.0.1.0/24"} in rules
    assert {"port": "8472", "proto": "udp", "purpose": "flannel VXLAN", "src": "10.0.0.0/24"} in rules
    assert not any(r["port"] == "6443" for r in rules)
    control = firewall_rules(["control_plane", "etcd", "registry"], {"api_port": 6443}, {}, 5000)
    assert {"port": "6443", "proto": "tcp", "purpose": "kube-apiserver"} in control
    assert {"port": "5000", "proto": "tcp", "purpose": "registry"} in control


# --- the cluster's ports: NFS versions, what the firewall opens, what preflight probes -------------

def _ports(table):
    return sorted(set((port, proto) for port, proto, _purpose, _listens in table))


def test_nfs_v4_only_needs_2049_on_the_server_and_nothing_on_clients():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import port_table

    nfs = {"shares": [{"name": "data"}], "v3": False}
    server = [e for e in port_table(["nfs_server"], nfs=nfs)]
    assert _ports(server) == [("2049", "tcp")]
    worker = port_table(["worker"], nfs=nfs, services={"monitoring": False})
    assert not any("NFS" in purpose or port == "111" for port, _p, purpose, _l in worker)


def test_nfs_v3_opens_rpcbind_and_the_pinned_side_services():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import port_table

    nfs = {"shares": [{"name": "data"}], "v3": True}
    server = [(p, proto) for p, proto, purpose, _l in port_table(["nfs_server"], nfs=nfs)]
    assert sorted(server) == sorted([("2049", "tcp")] + [(p, proto) for p in ("111", "20048", "32765", "32768")
                                                          for proto in ("tcp", "udp")])
    client = [(p, proto) for p, proto, purpose, _l in port_table(["worker"], nfs=nfs) if "NFS" in purpose]
    assert sorted(client) == sorted((p, proto) for p in ("111", "32765", "32768") for proto in ("tcp", "udp"))
    no_shares = port_table(["worker"], nfs={"shares": [], "v3": True})
    assert not any("NFS" in purpose for _p, _proto, purpose, _l in no_shares)


def test_firewall_rules_skip_local_ports_and_open_pod_facing_ones_to_the_pod_network():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import firewall_rules

    rules = firewall_rules(["control_plane", "etcd", "worker"], {"api_port": 6443},
                           {"pod_network": "10.244.0.0/16"}, None, ["10.0.0.0/24"], services={"monitoring": True})
    ports = set((r["port"], r["src"]) for r in rules)
    for local in ("10257", "10259", "10256"):
        assert not any(port == local for port, _src in ports)
    assert ("6443", "10.244.0.0/16") in ports and ("10250", "10.244.0.0/16") in ports
    assert ("9100", "10.244.0.0/16") in ports and ("9100", "10.0.0.0/24") in ports
    assert ("2379", "10.0.0.0/24") in ports and ("2379", "10.244.0.0/16") not in ports
    assert all("src" in r for r in rules)


def test_peer_ports_are_tcp_once_each_and_name_a_range_by_its_first_port():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import peer_ports

    ports = peer_ports(["control_plane", "worker", "nfs_server"], {"api_port": 6443},
                       {"node_port_range": "30000-32767"}, None, {"v3": False}, {"monitoring": False})
    assert ports == [{"port": 6443, "purpose": "kube-apiserver"}, {"port": 10250, "purpose": "kubelet"},
                     {"port": 30000, "purpose": "NodePort services (first of 30000-32767)"},
                     {"port": 2049, "purpose": "NFS"}]


def test_anonymous_registry_and_offline_repository_ports_only_where_they_serve():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import firewall_rules, peer_ports

    def ports(rules):
        return sorted((r["port"], r["purpose"]) for r in rules if "registry" in r["purpose"] or "offline" in r["purpose"])

    anonymous = {"port": 5000, "anonymous_pull": True, "anonymous_pull_port": 5001}
    assert ports(firewall_rules(["registry"], {}, {}, 5000, ["10.0.0.0/24"])) == [("5000", "registry")]
    assert ports(firewall_rules(["registry"], {}, {}, 5000, ["10.0.0.0/24"], registry_local={"anonymous_pull": False})) \
        == [("5000", "registry")]
    assert ports(firewall_rules(["registry"], {}, {}, 5000, ["10.0.0.0/24"], registry_local=anonymous)) == [
        ("5000", "registry"), ("5001", "registry (anonymous, read-only)")]
    # a node without the registry role opens neither, whatever the config says
    assert ports(firewall_rules(["worker"], {}, {}, 5000, ["10.0.0.0/24"], registry_local=anonymous)) == []
    assert ports(firewall_rules(["worker"], {}, {}, 5000, ["10.0.0.0/24"], offline_repo_port=8480)) == [
        ("8480", "offline package repository")]
    assert {"port": 8480, "purpose": "offline package repository"} in peer_ports(["worker"], offline_repo_port=8480)
    assert 5001 in [p["port"] for p in peer_ports(["registry"], registry_port=5000, registry_local=anonymous)]


def test_blocked_ports_name_node_peer_port_purpose_and_fix():
    peers = [{"target": "cp-01", "ok": True, "ports": [
        {"port": 6443, "purpose": "kube-apiserver", "state": "open", "ok": True, "error": ""},
        {"port": 10250, "purpose": "kubelet", "state": "filtered", "ok": False,
         "error": "no answer within 3 s: a firewall drops it"}]},
        {"target": "store-01", "ok": True, "ports": [
            {"port": 2049, "purpose": "NFS", "state": "rejected", "ok": False,
             "error": "EHOSTUNREACH (No route to host) (ICMP unreachable: a firewall rejects it, or there is no "
                      "route)"}]}]
    check = preflight._reachable("gpu-01", peers)
    assert check["status"] == "fail"
    assert "gpu-01 -> cp-01 port 10250/tcp (kubelet): filtered, no answer within 3 s: a firewall drops it" in \
        check["detail"]
    assert "gpu-01 -> store-01 port 2049/tcp (NFS): rejected, EHOSTUNREACH" in check["detail"]
    assert check["fix"].startswith("open 10250/tcp on cp-01, 2049/tcp on store-01 from gpu-01")
    assert "network.firewall: managed" in check["fix"]
    ok = preflight._reachable("gpu-01", [peers[0] | {"ports": peers[0]["ports"][:1]}])
    assert ok == preflight.result("reachable", "pass", "1 cluster port(s) of 1 node(s) reachable")
    assert preflight._reachable("gpu-01", None)["status"] == "skip"


def test_preflight_peers_carry_each_peers_ports():
    from ansible_collections.aiplatform.cluster.plugins.filter.preflight import FilterModule

    hostvars = {"cp-01": {"node_ip": "10.0.0.1", "node_roles": ["control_plane", "etcd"],
                          "platform_cluster": {"api_port": 6443}, "platform_storage": {"nfs": {"v3": False}}}}
    peers = FilterModule().filters()["preflight_peers"](hostvars, ["cp-01"])
    assert peers[0]["address"] == "10.0.0.1"
    assert [p["port"] for p in peers[0]["ports"]] == [6443, 2379, 2380, 10250, 30000, 9100]
    assert "ports" not in FilterModule().filters()["preflight_peers"](hostvars, ["cp-01"], False)[0]


# --- checks before the first change (issue 15): OS family, the Ascend installer, install sources ---------

PINNED = {"kubernetes_version": "1.31.4", "kubernetes_from_repository": True, "kubernetes_key_pinned": True,
          "nvidia_install": True, "nvidia_key_pinned": True, "ascend_installer": ""}
# dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' kubeadm kubelet kubectl cri-tools, on a node
# installed from pkgs of the v1.31 repository (stderr, "no packages found", is not in stdout)
DPKG_131 = ("cri-tools 1.31.1-1.1 ii \nkubeadm 1.31.4-1.1 ii \nkubectl 1.31.4-1.1 ii \nkubelet 1.31.4-1.1 ii \n")
INSTALLER_ARM = "/srv/Ascend-docker-runtime_6.0.0_linux-aarch64.run"

# (case, node, install (None: not given), probe changes, check, status, text in the detail, text in the fix)
UPFRONT = [
    ("openEuler refused", CPU_NODE, PINNED, dict(distribution="openEuler", distribution_version="22.03",
                                                 os_family="RedHat"), "os", "fail",
     "openEuler 22.03 (RedHat family) is not supported: the roles install with apt", "ubuntu2204"),
    ("another non-apt OS refused", CPU_NODE, PINNED, dict(distribution="Rocky", distribution_version="9.3",
                                                          os_family="RedHat"), "os", "fail", "RedHat family", ""),
    ("Ubuntu passes", CPU_NODE, PINNED, dict(os_family="Debian"), "os", "pass", "Ubuntu 22.04", ""),
    ("installer for the other arch", NPU_NODE, dict(PINNED, ascend_installer=INSTALLER_ARM.replace("aarch64", "x86_64")),
     dict(architecture="aarch64"), "arch", "fail",
     "node npu-01 is arm64, but the Ascend Docker Runtime installer Ascend-docker-runtime_6.0.0_linux-x86_64.run is "
     "built for amd64", "linux-aarch64"),
    ("installer for this arch", NPU_NODE, dict(PINNED, ascend_installer=INSTALLER_ARM), dict(architecture="aarch64"),
     "arch", "pass", "arm64", ""),
    ("installer on a CPU node is not compared", CPU_NODE, dict(PINNED, ascend_installer=INSTALLER_ARM), {}, "arch",
     "pass", "amd64", ""),
    ("kubernetes packages, key pinned", CPU_NODE, PINNED, {}, "sources", "pass",
     "kubeadm, kubelet, kubectl, cri-tools 1.31.4 from the repository (key pinned)", ""),
    ("kubernetes packages, no pin", CPU_NODE, dict(PINNED, kubernetes_key_pinned=False), {}, "sources", "fail",
     "kubeadm, kubelet, kubectl, cri-tools 1.31.4 must be installed and mirrors.kubernetes_packages_key_sha256 is "
     "not set: the kubeadm stage would stop", "Release.key"),
    ("kubernetes packages there, no pin needed", CPU_NODE, dict(PINNED, kubernetes_key_pinned="False"),
     dict(kubernetes_packages=DPKG_131), "sources", "pass", "Kubernetes 1.31.4 packages installed", ""),
    ("another version there, no pin", CPU_NODE, dict(PINNED, kubernetes_key_pinned=False, kubernetes_version="1.32.0"),
     dict(kubernetes_packages=DPKG_131), "sources", "fail", "kubeadm, kubelet, kubectl, cri-tools 1.32.0 must be", ""),
    ("no lifecycle or offline: nothing from the repository", CPU_NODE,
     dict(PINNED, kubernetes_key_pinned=False, kubernetes_from_repository="False"), {}, "sources", "pass",
     "nothing to install", ""),
    ("GPU toolkit, no pin", GPU_NODE, dict(PINNED, nvidia_key_pinned=False), dict(hostname="gpu-01"), "sources",
     "fail", "NVIDIA container toolkit must be installed and accelerators.nvidia_repo_key_sha256 is not set", "gpgkey"),
    ("GPU toolkit there", GPU_NODE, dict(PINNED, nvidia_key_pinned=False), dict(hostname="gpu-01", nvidia_runtime=True),
     "sources", "pass", "NVIDIA container toolkit installed", ""),
    ("GPU toolkit missing, install off", GPU_NODE, dict(PINNED, nvidia_install=False), dict(hostname="gpu-01"),
     "sources", "fail", "nvidia_runtime_install is false", ""),
    ("NPU runtime missing, no installer", NPU_NODE, PINNED, dict(architecture="aarch64"), "sources", "fail",
     "Ascend Docker Runtime is not installed and accelerators.ascend_docker_runtime_package is not set",
     "Ascend-docker-runtime_*.run"),
    ("NPU runtime from the installer", NPU_NODE, dict(PINNED, ascend_installer=INSTALLER_ARM),
     dict(architecture="aarch64"), "sources", "pass", "Ascend Docker Runtime from " + INSTALLER_ARM, ""),
    ("NPU runtime there", NPU_NODE, PINNED, dict(architecture="aarch64", ascend_runtime="True"), "sources", "pass",
     "Ascend Docker Runtime installed", ""),
    ("not given: not checked", CPU_NODE, None, {}, "sources", "skip", "not checked", ""),
]


@pytest.mark.parametrize("case, node, install, changes, check, status, text, fix", UPFRONT,
                         ids=[c[0] for c in UPFRONT])
def test_checks_before_the_first_change(case, node, install, changes, check, status, text, fix):
    node = dict(node, install=install) if install is not None else node
    got = details(node, probe(**changes))[check]
    assert got["status"] == status, got
    assert text in got["detail"], got
    assert fix in got["fix"], got


def test_all_missing_sources_of_a_node_at_once():
    node = dict(NPU_NODE, install=dict(PINNED, kubernetes_key_pinned=False))
    got = details(node, probe(architecture="aarch64"))["sources"]
    assert got["status"] == "fail" and got["detail"].count("would stop") == 2, got
    assert "Release.key" in got["fix"] and "Ascend-docker-runtime" in got["fix"]


@pytest.mark.parametrize("text, versions", [
    (DPKG_131, {"cri-tools": "1.31.1-1.1", "kubeadm": "1.31.4-1.1", "kubectl": "1.31.4-1.1", "kubelet": "1.31.4-1.1"}),
    ("kubeadm 1.31.4-1.1 rc \nkubelet 1.31.4-1.1 ii \n", {"kubelet": "1.31.4-1.1"}),  # removed, config left
    ("", {}), ("garbage", {}),
])
def test_parse_dpkg_versions(text, versions):
    assert preflight.parse_dpkg_versions(text) == versions


# --- once on the control machine: the peer list and the judge over every node (issue 19) ----------------------

class CountingHostvars(dict):
    """hostvars that counts look-ups (Ansible templates a host's variables on each)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.lookups = 0

    def __getitem__(self, host):
        self.lookups += 1
        return dict.__getitem__(self, host)


def test_the_peer_list_is_one_look_up_per_node():
    hosts = ["n%03d" % i for i in range(200)]
    hostvars = CountingHostvars((h, {"node_ip": "10.0.%d.%d" % (i // 250, i % 250 + 1), "node_roles": ["worker"]})
                                for i, h in enumerate(hosts))
    peers = preflight.peers(hostvars, hosts)
    assert hostvars.lookups == len(hosts)
    assert [p["host"] for p in peers] == hosts and peers[5]["address"] == "10.0.0.6" and peers[5]["port"] == 22
    assert peers[0]["ports"] == peers[1]["ports"] and peers[0]["ports"]


OK_PROBE = dict(HEALTHY, os_family="Debian", kubernetes_packages="")
WORKER = {"node_ip": "10.0.0.2", "node_os": "ubuntu2204", "node_roles": ["worker"],
          "node_accelerator": {"vendor": "none", "count": 0}, "platform_requirements": REQ,
          "platform_cluster": {"api_port": 6443}, "kubeadm_lifecycle": False}


@pytest.mark.parametrize("reached, register, want", [
    # probed: the node's checks, all of them
    (True, {"changed": False, "probe": dict(OK_PROBE, hostname="w-01")}, ("pass", "1 node(s) resolve and answer", 15)),
    # unreachable (ignore_unreachable): one failed network check saying what Ansible said, with ssh to try
    (True, {"unreachable": True, "msg": "Task failed: Failed to connect to the host via ssh: Connection refused"},
     ("fail", "could not reach or probe w-01: Failed to connect to the host via ssh: Connection refused", 1)),
    # the module failed (ignore_errors): the same, with its message
    (True, {"failed": True, "msg": "/usr/bin/python3: not found"}, ("fail", "/usr/bin/python3: not found", 1)),
    # lost from the play (a failure before the probe): the same, without a reason
    (False, None, ("fail", "the control machine could not reach or probe w-01", 1)),
    # no register at all (never probed): the same
    (True, None, ("fail", "the control machine could not reach or probe w-01", 1)),
])
def test_judge_every_node_once(reached, register, want):
    hv = dict(WORKER, ansible_host="10.0.0.2", ansible_port=2222, ansible_user="ops")
    if register is not None:
        hv["__preflight_node"] = register
    out = preflight.judge({"w-01": hv}, ["w-01"], ["w-01"] if reached else [], "__preflight_node")
    checks = dict((r["check"], r) for r in out["w-01"])
    status, detail, count = want
    assert len(out["w-01"]) == count
    assert checks["network"]["status"] == status
    assert detail in checks["network"]["detail"]
    if count == 1:
        assert checks["network"]["fix"].startswith("from the control machine: ssh -p %s %s" % (
            2222 if reached else 22, "ops@10.0.0.2" if reached else "w-01"))


def test_judge_is_evaluate_node_per_node_with_the_registry_port_and_install_view():
    hostvars = {
        "reg-01": dict(WORKER, node_roles=["registry", "worker"], platform_registry={"local": {"port": 5001}},
                       __preflight_node={"probe": dict(OK_PROBE, hostname="reg-01", listening_ports=[5001])}),
        "w-01": dict(WORKER, __preflight_node={"probe": dict(OK_PROBE, hostname="w-01", listening_ports=[5001])}),
    }
    out = preflight.judge(hostvars, ["reg-01", "w-01"], ["reg-01", "w-01"], "__preflight_node")
    ports = dict((h, [r for r in out[h] if r["check"] == "ports"][0]) for h in out)
    assert ports["reg-01"]["status"] == "fail" and "5001 (registry)" in ports["reg-01"]["detail"]
    assert ports["w-01"]["status"] == "pass"  # not a registry node: 5001 is not its port
    for host in hostvars:
        node = preflight.node_view(host, hostvars[host])
        probe = dict(hostvars[host]["__preflight_node"]["probe"],
                     registry_port=5001 if host == "reg-01" else None)
        assert out[host] == preflight.evaluate_node(node, probe, REQ, {"api_port": 6443})


def test_judge_names_the_node_whose_probe_cannot_be_read():
    hostvars = {"w-01": dict(WORKER, __preflight_node={"probe": dict(OK_PROBE, memory_mb="lots")})}
    with pytest.raises(ValueError, match="cannot evaluate the probe of w-01"):
        preflight.judge(hostvars, ["w-01"], ["w-01"], "__preflight_node")


@pytest.mark.parametrize("hv, want", [
    ({}, {"kubernetes_version": "1.31.4", "kubernetes_from_repository": True, "kubernetes_key_pinned": False,
          "nvidia_install": True, "nvidia_key_pinned": False, "ascend_installer": ""}),
    ({"platform_cluster": {"kubernetes_version": "v1.30.2"}, "platform_offline": {"enabled": True},
      "platform_mirrors": {"kubernetes_packages_key_sha256": "ab" * 32},
      "platform_accelerators": {"nvidia_repo_key_sha256": "", "ascend_docker_runtime_package": "/srv/a.run"}},
     {"kubernetes_version": "1.30.2", "kubernetes_from_repository": False, "kubernetes_key_pinned": True,
      "nvidia_install": True, "nvidia_key_pinned": False, "ascend_installer": "/srv/a.run"}),
    # the roles' variables (a DLWS/OpenPAI site) win over the config's, and strings are booleans as Ansible reads them
    ({"kubeadm_lifecycle": "no", "kubeadm_repo_key_sha256": "cd" * 32, "nvidia_runtime_install": "false",
      "nvidia_runtime_repo_key_sha256": "ef" * 32, "ascend_runtime_package": "/srv/b.run",
      "platform_accelerators": {"ascend_docker_runtime_package": "/srv/a.run"}},
     {"kubernetes_version": "1.31.4", "kubernetes_from_repository": False, "kubernetes_key_pinned": True,
      "nvidia_install": False, "nvidia_key_pinned": True, "ascend_installer": "/srv/b.run"}),
    # empty role variables fall back to the config's (default(..., true))
    ({"kubeadm_repo_key_sha256": "", "platform_mirrors": {"kubernetes_packages_key_sha256": "ab" * 32},
      "kubeadm_lifecycle": "on", "nvidia_runtime_install": True},
     {"kubernetes_version": "1.31.4", "kubernetes_from_repository": True, "kubernetes_key_pinned": True,
      "nvidia_install": True, "nvidia_key_pinned": False, "ascend_installer": ""}),
])
def test_install_view_reads_the_pins_as_the_role_did(hv, want):
    assert preflight.install_view(hv) == want
