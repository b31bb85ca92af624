# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""NFS shares from the platform config: export lines, mount options, Kubernetes objects. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

_OPTION_SPLIT = re.compile(r"\s*,\s*")

DEFAULT_EXPORT_OPTIONS = "rw,sync,no_subtree_check,root_squash"

# The export options exports(5) of nfs-utils 2.6 (Debian 12) knows. Flags take no value; valued options
# must have one (``mountpoint`` and ``mp`` may go either way).
EXPORT_FLAGS = frozenset((
    "rw", "ro", "sync", "async", "secure", "insecure", "wdelay", "no_wdelay", "hide", "nohide", "crossmnt",
    "nocrossmnt", "subtree_check", "no_subtree_check", "insecure_locks", "no_auth_nlm", "secure_locks",
    "auth_nlm", "mountpoint", "mp", "nordirplus", "pnfs", "no_pnfs", "security_label", "root_squash",
    "no_root_squash", "all_squash", "no_all_squash",
))
_ABS_PATH = re.compile(r"^/[^\s,()]*$")
EXPORT_VALUES = {
    "mountpoint": (_ABS_PATH, "an absolute path"),
    "mp": (_ABS_PATH, "an absolute path"),
    "fsid": (re.compile(r"^(root|\d+|[0-9a-fA-F][0-9a-fA-F-]{7,})$"), "a number, root or a UUID"),
    "refer": (re.compile(r"^/[^\s()]*@[^\s()]+$"), "path@host[+host][:path@host[+host]]"),
    "replicas": (re.compile(r"^/[^\s()]*@[^\s()]+$"), "path@host[+host][:path@host[+host]]"),
    "sec": (re.compile(r"^(sys|krb5|krb5i|krb5p|none)(:(sys|krb5|krb5i|krb5p|none))*$"),
            "flavors from sys, krb5, krb5i, krb5p, none joined by ':'"),
    "anonuid": (re.compile(r"^\d+$"), "a number"),
    "anongid": (re.compile(r"^\d+$"), "a number"),
}
_OPPOSITES = (("rw", "ro"), ("sync", "async"), ("secure", "insecure"), ("wdelay", "no_wdelay"),
              ("hide", "nohide"), ("crossmnt", "nocrossmnt"), ("subtree_check", "no_subtree_check"),
              ("secure_locks", "insecure_locks"), ("auth_nlm", "no_auth_nlm"), ("pnfs", "no_pnfs"),
              ("root_squash", "no_root_squash"), ("all_squash", "no_all_squash"))
# Mount options that ask for NFS v2 or v3.
_OLD_VERSION = re.compile(r"^(nfs)?vers=[23](\.\d+)?$|^v[23]$")


def export_option_problems(options):
    """What is wrong with a share's ``export_options``: ``[(option, why, fix)]``, empty when nothing is.

    One comma-separated list as exports(5) takes it inside the parentheses: no spaces, no parentheses
    (a client spec smuggled in, ``rw) 0.0.0.0/0(rw``), only options exports(5) knows, values where
    they need one, and never both of two opposites.
    """
    text = "" if options is None else str(options)
    if not text.strip():
        return [("", "is empty", "leave export_options out for the default %s" % DEFAULT_EXPORT_OPTIONS)]
    if re.search(r"[\s()]", text):
        return [(text, "holds a space or a parenthesis: a client spec cannot be given here",
                 "write the options alone, comma-separated (e.g. %s), and the networks under clients"
                 % DEFAULT_EXPORT_OPTIONS)]
    problems = []
    seen = set()
    for item in text.split(","):
        name, has_value, value = item.partition("=")
        if not item:
            problems.append((text, "has an empty option (two commas, or one at an end)", "remove the extra comma"))
        elif name in EXPORT_VALUES and (has_value or name not in EXPORT_FLAGS):
            pattern, want = EXPORT_VALUES[name]
            if not pattern.match(value):
                problems.append((item, "needs %s" % want, "write %s=<%s>" % (name, want)))
        elif name in EXPORT_FLAGS and not has_value:
            pass
        elif name in EXPORT_FLAGS:
            problems.append((item, "takes no value", "write %s alone" % name))
        else:
            problems.append((item, "is not an export option exports(5) knows",
                             "remove it, or use one of: %s" % ", ".join(sorted(EXPORT_FLAGS | set(EXPORT_VALUES)))))
        seen.add(name)
    for one, other in _OPPOSITES:
        if one in seen and other in seen:
            problems.append(("%s,%s" % (one, other), "are opposites", "keep one of %s and %s" % (one, other)))
    return problems


def root_squash_off(options):
    """The options map the clients' root to root on the server (``no_root_squash``)."""
    return "no_root_squash" in str(options or "").split(",")


def old_version_mount(options):
    """The mount option that asks for NFS v2/v3 (``nfsvers=3``, ``vers=3``, ``v3``), or ``""``."""
    for item in _OPTION_SPLIT.split(str(options or "")):
        if _OLD_VERSION.match(item):
            return item
    return ""


def clients_outside(clients, node_networks):
    """The client networks not inside any of ``node_networks``, and those that are public (not private).

    ``([outside], [public])`` as written in the config. A network that does not parse is left to the schema.
    """
    nets = []
    for net in node_networks or []:
        try:
            nets.append(ipaddress.ip_network(u"%s" % net, strict=False))
        except ValueError:
            continue
    outside, public = [], []
    for client in clients or []:
        try:
            net = ipaddress.ip_network(u"%s" % client, strict=False)
        except ValueError:
            continue
        if not any(net.version == n.version and net.subnet_of(n) for n in nets):
            outside.append(client)
        if not net.is_private:
            public.append(client)
    return outside, public


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
        options = share.get("export_options") or DEFAULT_EXPORT_OPTIONS
        problems = export_option_problems(options)
        if problems:
            raise ValueError("share %s: export option %s %s. Fix: %s" % ((share.get("name"),) + problems[0]))
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
