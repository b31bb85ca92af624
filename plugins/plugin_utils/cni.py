# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The pod network as data. Pure.

Flannel: every object is built here from the config (pod subnet, backend, interface), so the
manifest needs no download and its images are pinned in one place (``FLANNEL_IMAGES``).
Calico: the Tigera operator's manifest is too large to rebuild; the kubeadm role downloads it
from a URL the site pins with a sha256 (or takes it from the offline bundle) and applies the
``Installation`` resource built here, whose IP pools come from the same pod subnet.

Images keep their upstream names: containerd on every node resolves them through the local
registry and the mirrors (roles/container_runtime), so nothing is rewritten per site.

Upstream facts (read, not copied): flannel-io/flannel release v0.27.4, kube-flannel.yml (objects,
namespace ``kube-flannel`` with the privileged pod security level, the CNI plugin image
v1.8.0-flannel1, net-conf.json keys ``Network``, ``IPv6Network``, ``EnableIPv6``,
``EnableNFTables``, ``Backend``); projectcalico/calico operator API ``operator.tigera.io/v1``
``Installation`` (``spec.calicoNetwork.ipPools[].cidr``, ``encapsulation``, ``natOutgoing``,
``nodeSelector``, ``blockSize``; ``spec.registry``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

FLANNEL_NAMESPACE = "kube-flannel"
FLANNEL_IMAGES = {
    "flannel": "ghcr.io/flannel-io/flannel:v0.27.4",
    "cni_plugin": "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1",
}
FLANNEL_BACKENDS = ("vxlan", "host-gw", "wireguard")
CALICO_ENCAPSULATIONS = ("VXLAN", "VXLANCrossSubnet", "IPIP", "IPIPCrossSubnet", "None")

_LABELS = {"app": "flannel", "k8s-app": "flannel", "tier": "node",
           "app.kubernetes.io/managed-by": "aiplatform.cluster"}


def split_pod_subnet(pod_subnet):
    """``pod_subnet`` ("10.244.0.0/16" or a dual-stack "10.244.0.0/16,fd00:10:244::/56") as
    (ipv4 network or None, ipv6 network or None). Raises ValueError naming what is wrong."""
    v4 = v6 = None
    parts = [p.strip() for p in str(pod_subnet or "").split(",") if p.strip()]
    if not parts or len(parts) > 2:
        raise ValueError("cluster.pod_subnet %r: give one network, or one IPv4 and one IPv6 network separated by a "
                         "comma" % (pod_subnet,))
    for part in parts:
        try:
            net = ipaddress.ip_network(part, strict=True)
        except ValueError as exc:
            raise ValueError("cluster.pod_subnet %r: %s" % (pod_subnet, exc))
        if net.version == 4:
            if v4 is not None:
                raise ValueError("cluster.pod_subnet %r: two IPv4 networks" % (pod_subnet,))
            v4 = str(net)
        else:
            if v6 is not None:
                raise ValueError("cluster.pod_subnet %r: two IPv6 networks" % (pod_subnet,))
            v6 = str(net)
    return v4, v6


def flannel_net_conf(pod_subnet, backend="vxlan"):
    """The net-conf.json flanneld reads, as a dict."""
    if backend not in FLANNEL_BACKENDS:
        raise ValueError("flannel backend %r is not one of %s" % (backend, ", ".join(FLANNEL_BACKENDS)))
    v4, v6 = split_pod_subnet(pod_subnet)
    conf = {}
    if v4:
        conf["Network"] = v4
    else:
        conf["EnableIPv4"] = False
    if v6:
        conf["EnableIPv6"] = True
        conf["IPv6Network"] = v6
    conf["EnableNFTables"] = False
    conf["Backend"] = {"Type": backend}
    return conf


def _json(data):
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def flannel_objects(pod_subnet, backend="vxlan", iface=None, images=None):
    """The objects of Flannel for this pod subnet, in apply order. ``iface``: the interface (or a
    list of them) flanneld uses between nodes; empty: the one of the default route."""
    imgs = dict(FLANNEL_IMAGES)
    imgs.update(images or {})
    ns = FLANNEL_NAMESPACE
    meta = {"labels": {"k8s-app": "flannel", "app.kubernetes.io/managed-by": "aiplatform.cluster"}}
    cni_conf = {
        "name": "cbr0",
        "cniVersion": "0.3.1",
        "plugins": [
            {"type": "flannel", "delegate": {"hairpinMode": True, "isDefaultGateway": True}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    args = ["--ip-masq", "--kube-subnet-mgr"]
    for name in ([iface] if isinstance(iface, str) else list(iface or [])):
        if name:
            args.append("--iface=%s" % name)
    selector = {"app": "flannel", "k8s-app": "flannel"}
    return [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": ns, "labels": dict(meta["labels"], **{"pod-security.kubernetes.io/enforce": "privileged"})}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta, name="flannel", namespace=ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": dict(meta, name="flannel"),
         "rules": [
             {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
             {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
             {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]},
         ]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": dict(meta, name="flannel"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "flannel"},
         "subjects": [{"kind": "ServiceAccount", "name": "flannel", "namespace": ns}]},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "kube-flannel-cfg", "namespace": ns, "labels": dict(_LABELS)},
         "data": {"cni-conf.json": _json(cni_conf), "net-conf.json": _json(flannel_net_conf(pod_subnet, backend))}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": "kube-flannel-ds", "namespace": ns, "labels": dict(_LABELS)},
         "spec": {
             "selector": {"matchLabels": selector},
             "template": {
                 "metadata": {"labels": dict(_LABELS)},
                 "spec": {
                     "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                         "nodeSelectorTerms": [{"matchExpressions": [
                             {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
                     "hostNetwork": True,
                     "priorityClassName": "system-node-critical",
                     "serviceAccountName": "flannel",
                     "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                     "initContainers": [
                         {"name": "install-cni-plugin", "image": imgs["cni_plugin"], "command": ["cp"],
                          "args": ["-f", "/flannel", "/opt/cni/bin/flannel"],
                          "volumeMounts": [{"name": "cni-plugin", "mountPath": "/opt/cni/bin"}]},
                         {"name": "install-cni", "image": imgs["flannel"], "command": ["cp"],
                          "args": ["-f", "/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                          "volumeMounts": [{"name": "cni", "mountPath": "/etc/cni/net.d"},
                                           {"name": "flannel-cfg", "mountPath": "/etc/kube-flannel/"}]},
                     ],
                     "containers": [
                         {"name": "kube-flannel", "image": imgs["flannel"], "command": ["/opt/bin/flanneld"],
                          "args": args,
                          "env": [
                              {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                              {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                              {"name": "EVENT_QUEUE_DEPTH", "value": "5000"},
                              {"name": "CONT_WHEN_CACHE_NOT_READY", "value": "false"},
                          ],
                          "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
                          "securityContext": {"privileged": False,
                                              "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                          "volumeMounts": [{"name": "run", "mountPath": "/run/flannel"},
                                           {"name": "flannel-cfg", "mountPath": "/etc/kube-flannel/"},
                                           {"name": "xtables-lock", "mountPath": "/run/xtables.lock"}]},
                     ],
                     "volumes": [
                         {"name": "run", "hostPath": {"path": "/run/flannel"}},
                         {"name": "cni-plugin", "hostPath": {"path": "/opt/cni/bin"}},
                         {"name": "cni", "hostPath": {"path": "/etc/cni/net.d"}},
                         {"name": "flannel-cfg", "configMap": {"name": "kube-flannel-cfg"}},
                         {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                     ],
                 },
             },
         }},
    ]


def calico_installation(pod_subnet, encapsulation="VXLANCrossSubnet", block_size=None, registry=None):
    """The operator's ``Installation`` resource: one IP pool per address family of the pod subnet.
    ``registry``: where the operator pulls Calico's images from instead of their upstream (empty:
    upstream names, which containerd resolves through the mirrors)."""
    if encapsulation not in CALICO_ENCAPSULATIONS:
        raise ValueError("calico encapsulation %r is not one of %s" % (encapsulation, ", ".join(CALICO_ENCAPSULATIONS)))
    v4, v6 = split_pod_subnet(pod_subnet)
    pools = []
    for cidr, default_block in ((v4, 26), (v6, 122)):
        if not cidr:
            continue
        size = int(block_size or default_block) if cidr == v4 else default_block
        prefix = ipaddress.ip_network(cidr).prefixlen
        if size < prefix:
            raise ValueError("calico block size /%d is larger than the pod subnet %s" % (size, cidr))
        # IPIP carries only IPv4; an IPv6 pool gets VXLAN in its place.
        encap = encapsulation
        if cidr == v6 and encapsulation.startswith("IPIP"):
            encap = encapsulation.replace("IPIP", "VXLAN")
        pools.append({"cidr": cidr, "blockSize": size, "encapsulation": encap, "natOutgoing": "Enabled",
                      "nodeSelector": "all()"})
    spec = {"calicoNetwork": {"ipPools": pools}}
    if registry:
        spec["registry"] = registry.rstrip("/") + "/"
    return {"apiVersion": "operator.tigera.io/v1", "kind": "Installation",
            "metadata": {"name": "default", "labels": {"app.kubernetes.io/managed-by": "aiplatform.cluster"}},
            "spec": spec}


def cni_images(cni, images=None):
    """The images the pod network pulls that we know of (the offline bundle carries them): all of
    Flannel's; Calico's come with the operator's manifest the site pins, so none are listed."""
    if cni == "flannel":
        imgs = dict(FLANNEL_IMAGES)
        imgs.update(images or {})
        return sorted(set(imgs.values()))
    if cni == "calico":
        return []
    raise ValueError("cni %r is neither calico nor flannel" % (cni,))


def daemonset_of(cni):
    """(namespace, name) of the DaemonSet that shows the pod network is installed."""
    if cni == "flannel":
        return FLANNEL_NAMESPACE, "kube-flannel-ds"
    if cni == "calico":
        return "calico-system", "calico-node"
    raise ValueError("cni %r is neither calico nor flannel" % (cni,))
