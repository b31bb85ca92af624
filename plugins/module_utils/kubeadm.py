# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Decisions of the Kubernetes lifecycle (issue: kubeadm role), as pure functions with no I/O:
which kubeadm API to render, which node initialises the cluster, who joins, whether a bootstrap
token is still usable, the upgrade path and the batches. The role feeds them what it read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")

# kubeadm 1.31 introduced v1beta4 (and still reads v1beta3); v1beta3 is read from 1.22 on.
_OLDEST = (1, 22)
_V1BETA4_FROM = (1, 31)


def parse_version(text):
    """(major, minor, patch) of `1.31.4` / `v1.31`; ValueError naming the text otherwise."""
    m = _VERSION.match(str(text or "").strip())
    if not m:
        raise ValueError("'%s' is not a Kubernetes version (expected 1.31.4)" % text)
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def api_version(k8s_version):
    """kubeadm.k8s.io API version to render for a Kubernetes version."""
    major, minor, _patch = parse_version(k8s_version)
    if (major, minor) < _OLDEST:
        raise ValueError("Kubernetes %s is older than %d.%d, the oldest this collection deploys"
                         % (k8s_version, _OLDEST[0], _OLDEST[1]))
    return "kubeadm.k8s.io/" + ("v1beta4" if (major, minor) >= _V1BETA4_FROM else "v1beta3")


def init_node(control_plane, states):
    """The control-plane node that runs `kubeadm init`, or None when a cluster already exists.

    ``states`` maps host -> {"admin_conf": bool, "kubelet_conf": bool}. A node with
    /etc/kubernetes/admin.conf already belongs to an initialised control plane: never init again.
    Unreachable hosts are simply absent from ``states``.
    """
    if any(states.get(h, {}).get("admin_conf") for h in control_plane):
        return None
    for host in control_plane:
        if host in states:
            return host
    return None


def join_plan(control_plane, workers, states):
    """Who joins, as {"control_plane": [...], "workers": [...], "members": [...]}.

    A node with /etc/kubernetes/kubelet.conf is a member already and is left alone; the node that
    inits (see init_node) is not joined. Hosts absent from ``states`` (unreachable) are skipped.
    """
    first = init_node(control_plane, states)
    plan = {"control_plane": [], "workers": [], "members": []}
    for host in list(control_plane) + [w for w in workers if w not in control_plane]:
        state = states.get(host)
        if state is None or host == first:
            continue
        if state.get("kubelet_conf") or state.get("admin_conf"):
            plan["members"].append(host)
        elif host in control_plane:
            plan["control_plane"].append(host)
        else:
            plan["workers"].append(host)
    return plan


def _when(text):
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


def usable_token(tokens, now, min_remaining_s=600):
    """A bootstrap token from `kubeadm token list -o json` (one object per token) that can join
    nodes for at least ``min_remaining_s`` more seconds, or None (then make a new, short-lived one).
    ``now`` is an aware datetime.
    """
    best = None
    for token in tokens:
        if "authentication" not in token.get("usages", []):
            continue
        if "system:bootstrappers:kubeadm:default-node-token" not in token.get("groups", []):
            continue
        expires = token.get("expires")
        left = float("inf") if not expires else (_when(expires) - now).total_seconds()
        if left >= min_remaining_s and (best is None or left > best[0]):
            best = (left, token["token"])
    return best[1] if best else None


def upgrade_path(current, target):
    """Versions to go through, one minor at a time, ending at ``target``: 1.29.3 -> 1.31.4 gives
    [1.30, 1.31.4]; the intermediate minors are given without a patch (the role picks the newest
    patch its repository has). Downgrades and major changes are refused."""
    cur, tgt = parse_version(current), parse_version(target)
    if tgt < cur:
        raise ValueError("cannot go from %s down to %s: kubeadm does not downgrade" % (current, target))
    if tgt[0] != cur[0]:
        raise ValueError("cannot go from %s to %s: a major version change is not supported" % (current, target))
    if tgt == cur:
        return []
    steps = ["%d.%d" % (cur[0], minor) for minor in range(cur[1] + 1, tgt[1])]
    return steps + ["%d.%d.%d" % tgt]


def batches(hosts, size):
    """``hosts`` in batches of ``size``: an int, or a percentage such as "20%" (at least one host)."""
    hosts = list(hosts)
    if not hosts:
        return []
    text = str(size).strip()
    if text.endswith("%"):
        percent = float(text[:-1])
        if not 0 < percent <= 100:
            raise ValueError("batch size %s: a percentage must be above 0%% and at most 100%%" % text)
        count = max(1, int(len(hosts) * percent / 100))
    else:
        count = int(text)
        if count < 1:
            raise ValueError("batch size %s: at least 1" % text)
    return [hosts[i:i + count] for i in range(0, len(hosts), count)]
