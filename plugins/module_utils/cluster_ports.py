# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The network ports a node of given roles needs: one table for the firewall and the preflight. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def port_table(roles, cluster=None, network=None, registry_port=None):
    """``[(port, proto, purpose, listens)]``; ``port`` is ``"N"`` or ``"first:last"``.

    ``listens``: a process of ours listens there once installed, so preflight wants it free now.
    """
    cluster = cluster or {}
    network = network or {}
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
    if "registry" in roles and registry_port:
        table.append((str(registry_port), "tcp", "registry", True))
    if "nfs_server" in roles:
        table += [("2049", "tcp", "NFS", False), ("111", "tcp", "rpcbind", False), ("111", "udp", "rpcbind", False)]
    return table


def firewall_rules(roles, cluster=None, network=None, registry_port=None, sources=None):
    """One rule per port and source network: ``[{port, proto, purpose, src}]`` (no ``src``: anywhere)."""
    rules = []
    for port, proto, purpose, _listens in port_table(roles, cluster, network, registry_port):
        for source in (sources or [None]):
            rule = {"port": port, "proto": proto, "purpose": purpose}
            if source:
                rule["src"] = source
            rules.append(rule)
    return rules
