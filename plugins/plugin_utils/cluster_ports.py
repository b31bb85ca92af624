# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The network ports a node of given roles needs: one table for the firewall and the preflight. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# Bound to 127.0.0.1 by kubeadm (controller-manager, scheduler) or asked only by an external load balancer
# (kube-proxy's health port): must be free before the install, never opened to other machines.
LOCAL_ONLY = frozenset(("kube-controller-manager", "kube-scheduler", "kube-proxy health"))
# Asked from pods too (in-cluster API clients, metrics, Prometheus): a managed firewall opens them to the pod
# network as well, since a pod on the same node reaches the node's address with its own pod address.
FROM_PODS = frozenset(("kube-apiserver", "kubelet", "node-exporter"))
NODE_EXPORTER_PORT = 9100

# NFS v3's side services, pinned by the nfs role's /etc/nfs.conf.d drop-in so a firewall can name them.
NFS_V3_PORTS = {"mountd": 20048, "statd": 32765, "lockd": 32768}


def port_table(roles, cluster=None, network=None, registry_port=None, nfs=None, services=None, registry_local=None,
               offline_repo_port=None):
    """``[(port, proto, purpose, listens)]``; ``port`` is ``"N"`` or ``"first:last"``.

    ``listens``: a process of ours listens there once installed, so preflight wants it free now.
    ``nfs``: the config's ``storage.nfs`` (``shares``, ``v3``). NFS v4 only (the default) needs 2049/tcp on
    the servers and nothing on the clients; v3 adds rpcbind, mountd, statd and lockd on the servers, and
    rpcbind, statd and lockd on the clients (the server calls them back for locks).
    ``services``: the config's ``services``; monitoring (default on) runs node-exporter on the host network.
    ``registry_local``: the config's ``registry.local``; its ``anonymous_pull`` adds the read-only registry's port.
    ``offline_repo_port``: this node serves the offline bundle's package repository on that port.
    """
    cluster = cluster or {}
    network = network or {}
    nfs = nfs or {}
    v3 = bool(nfs.get("v3"))
    roles = set(roles or ())
    table = []
    if "control_plane" in roles:
        table += [(str(cluster.get("api_port", 6443)), "tcp", "kube-apiserver", True),
                  ("10257", "tcp", "kube-controller-manager", True),
                  ("10259", "tcp", "kube-scheduler", True)]
    if "etcd" in roles:
        table += [("2379", "tcp", "etcd client", True), ("2380", "tcp", "etcd peer", True)]
    if roles & {"control_plane", "worker"}:
        first, _sep, last = str(network.get("node_port_range", "30000-32767")).partition("-")
        table += [("10250", "tcp", "kubelet", True), ("10256", "tcp", "kube-proxy health", True),
                  ("%s:%s" % (first, last), "tcp", "NodePort services", False),
                  ("%s:%s" % (first, last), "udp", "NodePort services", False)]
        if cluster.get("cni", "flannel") == "calico":
            table += [("179", "tcp", "calico BGP", False), ("4789", "udp", "calico VXLAN", False),
                      ("5473", "tcp", "calico typha", False)]
        else:
            table += [("8472", "udp", "flannel VXLAN", False)]
        if (services or {}).get("monitoring", True):
            table.append((str(NODE_EXPORTER_PORT), "tcp", "node-exporter", False))
    if "registry" in roles and registry_port:
        table.append((str(registry_port), "tcp", "registry", True))
        if (registry_local or {}).get("anonymous_pull"):
            table.append((str((registry_local or {}).get("anonymous_pull_port", 5001)), "tcp",
                          "registry (anonymous, read-only)", True))
    if offline_repo_port:
        table.append((str(offline_repo_port), "tcp", "offline package repository", True))
    if "nfs_server" in roles:
        table.append(("2049", "tcp", "NFS", False))
        if v3:
            table += _nfs_v3_ports(("rpcbind", "mountd", "statd", "lockd"))
    elif v3 and nfs.get("shares") and roles & {"control_plane", "worker"}:
        table += _nfs_v3_ports(("rpcbind", "statd", "lockd"))
    return table


def _nfs_v3_ports(services):
    ports = dict(NFS_V3_PORTS, rpcbind=111)
    return [(str(ports[name]), proto, "NFS v3 %s" % name, False) for name in services for proto in ("tcp", "udp")]


def firewall_rules(roles, cluster=None, network=None, registry_port=None, sources=None, nfs=None, services=None,
                   registry_local=None, offline_repo_port=None):
    """One rule per port and source network: ``[{port, proto, purpose, src}]`` (no ``src``: anywhere).

    Ports other machines never ask (``LOCAL_ONLY``) get no rule; those pods ask (``FROM_PODS``) are opened to
    ``network.pod_network`` too.
    """
    network = network or {}
    rules = []
    for port, proto, purpose, _listens in port_table(roles, cluster, network, registry_port, nfs, services,
                                                     registry_local, offline_repo_port):
        if purpose in LOCAL_ONLY:
            continue
        wanted = list(sources or [None])
        if purpose in FROM_PODS and sources:
            wanted.append(network.get("pod_network", "10.244.0.0/16"))
        for source in wanted:
            rule = {"port": port, "proto": proto, "purpose": purpose}
            if source:
                rule["src"] = source
            rules.append(rule)
    return rules


def peer_ports(roles, cluster=None, network=None, registry_port=None, nfs=None, services=None, registry_local=None,
               offline_repo_port=None):
    """The TCP ports other nodes must reach on a node of ``roles``: ``[{port, purpose}]``, one per port.

    A range is represented by its first port; UDP cannot be told open from filtered and is left out.
    """
    out = []
    seen = set()
    for port, proto, purpose, _listens in port_table(roles, cluster, network, registry_port, nfs, services,
                                                     registry_local, offline_repo_port):
        number = int(port.split(":")[0])
        if proto != "tcp" or purpose in LOCAL_ONLY or number in seen:
            continue
        seen.add(number)
        out.append({"port": number, "purpose": purpose + (" (first of %s)" % port.replace(":", "-")
                                                          if ":" in port else "")})
    return out
