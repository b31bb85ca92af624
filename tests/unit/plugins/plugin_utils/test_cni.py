"""The pod network's objects: valid for the Kubernetes API of every minor we install (strict:
an unknown field fails), the pod subnet carried into net-conf.json and Calico's IP pools, bad
subnets refused with a message naming the key."""

import json

import kubernetes_validate
import pytest

from ansible_collections.aiplatform.cluster.plugins.filter import kubeadm as kubeadm_filter
from ansible_collections.aiplatform.cluster.plugins.filter.cni import FilterModule
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import cni

K8S_VERSIONS = ("1.28", "1.30", "1.31")

SUBNETS = ("10.244.0.0/16", "172.20.0.0/14", "10.244.0.0/16,fd00:10:244::/56", "fd00:10:244::/56")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("subnet", SUBNETS)
@pytest.mark.parametrize("backend", cni.FLANNEL_BACKENDS)
def test_flannel_objects_validate(version, subnet, backend):
    for obj in cni.flannel_objects(subnet, backend=backend, iface=["bond0"]):
        kubernetes_validate.validate(obj, version, strict=True)


def test_flannel_net_conf_from_the_subnet():
    objs = cni.flannel_objects("172.20.0.0/14")
    cm = [o for o in objs if o["kind"] == "ConfigMap"][0]
    conf = json.loads(cm["data"]["net-conf.json"])
    assert conf == {"Network": "172.20.0.0/14", "EnableNFTables": False, "Backend": {"Type": "vxlan"}}
    conflist = json.loads(cm["data"]["cni-conf.json"])
    assert [p["type"] for p in conflist["plugins"]] == ["flannel", "portmap"]


def test_flannel_dual_stack_and_ipv6_only():
    assert cni.flannel_net_conf("10.244.0.0/16,fd00:10:244::/56") == {
        "Network": "10.244.0.0/16", "EnableIPv6": True, "IPv6Network": "fd00:10:244::/56",
        "EnableNFTables": False, "Backend": {"Type": "vxlan"}}
    six = cni.flannel_net_conf("fd00:10:244::/56", backend="host-gw")
    assert six["EnableIPv4"] is False and "Network" not in six and six["Backend"] == {"Type": "host-gw"}


def test_flannel_daemonset_shape():
    ds = [o for o in cni.flannel_objects("10.244.0.0/16", iface="eth1") if o["kind"] == "DaemonSet"][0]
    spec = ds["spec"]["template"]["spec"]
    # The selector matches the template (the API server refuses a DaemonSet otherwise).
    labels = ds["spec"]["template"]["metadata"]["labels"]
    assert all(labels[k] == v for k, v in ds["spec"]["selector"]["matchLabels"].items())
    assert spec["hostNetwork"] is True
    assert {"operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    flanneld = spec["containers"][0]
    assert flanneld["args"] == ["--ip-masq", "--kube-subnet-mgr", "--iface=eth1"]
    assert flanneld["image"] == cni.FLANNEL_IMAGES["flannel"]
    assert [c["image"] for c in spec["initContainers"]] == [cni.FLANNEL_IMAGES["cni_plugin"], cni.FLANNEL_IMAGES["flannel"]]
    # Every mount names a volume of the pod.
    volumes = {v["name"] for v in spec["volumes"]}
    for container in spec["containers"] + spec["initContainers"]:
        assert {m["name"] for m in container["volumeMounts"]} <= volumes
    # Namespace first (everything else lives in it), DaemonSet last.
    kinds = [o["kind"] for o in cni.flannel_objects("10.244.0.0/16")]
    assert kinds[0] == "Namespace" and kinds[-1] == "DaemonSet"


def test_flannel_image_override_reaches_every_container():
    objs = cni.flannel_objects("10.244.0.0/16", images={"flannel": "mirror.example/flannel:v9"})
    ds = objs[-1]["spec"]["template"]["spec"]
    assert ds["containers"][0]["image"] == "mirror.example/flannel:v9"
    assert ds["initContainers"][1]["image"] == "mirror.example/flannel:v9"
    assert cni.cni_images("flannel", {"flannel": "mirror.example/flannel:v9"}) == sorted(
        ["mirror.example/flannel:v9", cni.FLANNEL_IMAGES["cni_plugin"]])


@pytest.mark.parametrize("subnet, message", [
    ("", "give one network"),
    ("10.244.0.1/16", "host bits set"),
    ("10.244.0.0/16,10.245.0.0/16", "two IPv4 networks"),
    ("fd00::/56,fd01::/56", "two IPv6 networks"),
    ("10.244.0.0/16,fd00::/56,10.1.0.0/16", "give one network"),
    ("banana", "does not appear to be"),
])
def test_bad_subnets_name_the_key(subnet, message):
    with pytest.raises(ValueError) as err:
        cni.flannel_objects(subnet)
    assert "cluster.pod_subnet" in str(err.value) and message in str(err.value)


def test_unknown_backend_and_cni():
    with pytest.raises(ValueError, match="flannel backend 'udp'"):
        cni.flannel_net_conf("10.244.0.0/16", backend="udp")
    with pytest.raises(ValueError, match="neither calico nor flannel"):
        cni.cni_images("weave")
    with pytest.raises(ValueError, match="neither calico nor flannel"):
        cni.daemonset_of("cilium")


def test_calico_installation_pools():
    inst = cni.calico_installation("10.244.0.0/16,fd00:10:244::/56", encapsulation="IPIPCrossSubnet",
                                   block_size=24, registry="registry.site.internal:5000")
    assert inst["apiVersion"] == "operator.tigera.io/v1" and inst["metadata"]["name"] == "default"
    assert inst["spec"]["registry"] == "registry.site.internal:5000/"
    assert inst["spec"]["calicoNetwork"]["ipPools"] == [
        {"cidr": "10.244.0.0/16", "blockSize": 24, "encapsulation": "IPIPCrossSubnet", "natOutgoing": "Enabled",
         "nodeSelector": "all()"},
        # IPIP cannot carry IPv6: that pool gets VXLAN.
        {"cidr": "fd00:10:244::/56", "blockSize": 122, "encapsulation": "VXLANCrossSubnet", "natOutgoing": "Enabled",
         "nodeSelector": "all()"},
    ]
    assert "registry" not in cni.calico_installation("10.244.0.0/16")["spec"]


def test_calico_refuses_what_the_operator_would():
    with pytest.raises(ValueError, match="encapsulation 'GRE'"):
        cni.calico_installation("10.244.0.0/16", encapsulation="GRE")
    with pytest.raises(ValueError, match="block size /8 is larger than the pod subnet 10.244.0.0/16"):
        cni.calico_installation("10.244.0.0/16", block_size=8)


def test_calico_lists_no_images_of_its_own_and_names_its_daemonset():
    assert cni.cni_images("calico") == []
    assert cni.daemonset_of("calico") == ("calico-system", "calico-node")
    assert cni.daemonset_of("flannel") == ("kube-flannel", "kube-flannel-ds")


def test_filters_turn_errors_into_filter_errors_and_render_yaml():
    from ansible.errors import AnsibleFilterError
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match="pod network: cluster.pod_subnet"):
        filters["cni_flannel_objects"]("10.0.0.1/8")
    text = kubeadm_filter.documents_yaml(filters["cni_flannel_objects"]("10.244.0.0/16"))
    assert text.count("---\n") == 6 and "kind: DaemonSet" in text
    # Stable bytes: a rerun writes the same file.
    assert text == kubeadm_filter.documents_yaml(filters["cni_flannel_objects"]("10.244.0.0/16"))
    assert filters["cni_daemonset"]("flannel") == ["kube-flannel", "kube-flannel-ds"]
