# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""NFS shares from the platform config: export lines, mount options, Kubernetes objects. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_OPTION_SPLIT = re.compile(r"\s*,\s*")


def export_lines(shares, server):
    """/etc/exports lines of the shares ``server`` exports: one client spec per network, never `*`."""
    lines = []
    for share in shares:
        if share.get("server") != server:
            continue
        clients = share.get("clients") or []
        if not clients:
            raise ValueError("share %s has no clients: exports are limited to the node networks, and none is "
                             "known (set storage.nfs.shares[].clients or network.node_networks)" % share.get("name"))
        if any(c.strip() in ("*", "0.0.0.0/0", "::/0") for c in clients):
            raise ValueError("share %s would be exported to everyone (%s): name the cluster's networks instead"
                             % (share.get("name"), ", ".join(clients)))
        options = share.get("export_options") or "rw,sync,no_subtree_check,no_root_squash"
        specs = " ".join("%s(%s)" % (c, options) for c in clients)
        lines.append("%s %s" % (share["export_path"], specs))
    return lines


def mount_options(options):
    """The share's mount options with `_netdev` added once (a network mount waits for the network)."""
    items = [o for o in _OPTION_SPLIT.split((options or "").strip()) if o]
    if "_netdev" not in items:
        items.append("_netdev")
    return ",".join(items)


def pv_objects(shares, server_addresses, capacity="1Ti", namespace="default"):
    """A PersistentVolume and a PersistentVolumeClaim bound to it per share (ReadWriteMany).

    ``server_addresses`` maps a share's server (inventory name) to the address nodes mount from.
    The claim names its volume and the volume its claim, so no other claim can take it; the
    reclaim policy keeps the data when the claim goes.
    """
    objects = []
    for share in shares:
        name = "nfs-%s" % share["name"].lower().replace("_", "-").replace(".", "-")
        options = [o for o in _OPTION_SPLIT.split(share.get("mount_options") or "") if o and o != "_netdev"]
        objects.append({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name, "labels": {"aiplatform.cluster/share": share["name"]}},
            "spec": {
                "capacity": {"storage": capacity},
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "",
                "mountOptions": options,
                "nfs": {"server": server_addresses[share["server"]], "path": share["export_path"]},
                "claimRef": {"namespace": namespace, "name": name},
            },
        })
        objects.append({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"aiplatform.cluster/share": share["name"]}},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": name,
                "resources": {"requests": {"storage": capacity}},
            },
        })
    return objects
