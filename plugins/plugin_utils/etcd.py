# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""May the etcd member of a node be removed without breaking quorum? Pure functions (remove_node.yml).

Inputs are what the etcdctl of a running etcd member prints: ``member list -w json``
(``{"members": [{"ID": <uint64>, "name", "peerURLs", "clientURLs", "isLearner"}]}``; a member added
but never started has no name and no client URLs) and ``endpoint health --cluster -w json``
(``[{"endpoint": <client URL>, "health": bool, "error": "..."}]``, printed even when etcdctl exits 1
because an endpoint is unhealthy).

Quorum arithmetic: a cluster of ``n`` voting members (learners do not vote) needs ``n // 2 + 1`` of
them healthy. Removing a member is refused when the cluster has no quorum now (``member remove``
itself needs one, and the data may be at risk) or when the members left would have fewer healthy
voters than their own quorum. The last member is never removed this way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2
    from urlparse import urlsplit


class EtcdError(ValueError):
    """Output of etcdctl that cannot be understood."""


def quorum(voters):
    """Healthy voting members a cluster of ``voters`` needs (0 for an empty cluster)."""
    return voters // 2 + 1 if voters > 0 else 0


def _load(text, what):
    if isinstance(text, (dict, list)):
        return text
    try:
        return json.loads(str(text or ""))
    except ValueError:
        first = next((line.strip() for line in str(text or "").splitlines() if line.strip()), "")
        raise EtcdError("etcdctl %s did not print JSON (%s)" % (what, first[:160] or "no output"))


def parse_members(text):
    """``member list -w json`` -> ``[{id, name, peer_urls, client_urls, learner}]`` (id as hex text)."""
    data = _load(text, "member list")
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        raise EtcdError("etcdctl member list printed no 'members' list")
    members = []
    for entry in data["members"]:
        if not isinstance(entry, dict) or "ID" not in entry:
            raise EtcdError("etcdctl member list has a member without ID: %r" % (entry,))
        ident = entry["ID"]
        members.append({
            "id": ("%x" % ident) if isinstance(ident, int) else str(ident).lower().replace("0x", ""),
            "name": entry.get("name") or "",
            "peer_urls": list(entry.get("peerURLs") or []),
            "client_urls": list(entry.get("clientURLs") or []),
            "learner": bool(entry.get("isLearner")),
        })
    return members


def parse_health(text):
    """``endpoint health --cluster -w json`` -> ``{client URL: (healthy, error)}``."""
    data = _load(text, "endpoint health")
    if not isinstance(data, list):
        raise EtcdError("etcdctl endpoint health printed no list of endpoints")
    health = {}
    for entry in data:
        if isinstance(entry, dict) and entry.get("endpoint"):
            health[entry["endpoint"].rstrip("/")] = (entry.get("health") is True, entry.get("error") or "")
    return health


def _host(url):
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _label(member):
    return member["name"] or "%s (not started)" % member["id"]


def _names(members):
    return ", ".join(_label(m) for m in members) or "none"


def member_removal(members_text, health_text, node, node_ip=None):
    """Whether the etcd member of ``node`` may be removed, and which member(s) it is.

    ``node_ip``: the node's cluster address (a member is the node's when named after it, as kubeadm names
    them, or when a peer URL is on that address). Returns ``{member_ids, members, voters, healthy, quorum,
    remaining, remaining_healthy, remaining_quorum, problems, warnings}``; ``problems`` empty: go ahead.
    Never raises: output that cannot be read is a problem.
    """
    out = {"member_ids": [], "members": [], "voters": 0, "healthy": [], "unhealthy": [], "quorum": 0,
           "remaining": 0, "remaining_healthy": 0, "remaining_quorum": 0, "problems": [], "warnings": []}
    fix_read = ("Fix: check etcd on the first control-plane node (crictl ps --name etcd; "
                "crictl logs <etcd container>) and run again")
    try:
        members = parse_members(members_text)
    except EtcdError as exc:
        out["problems"].append("the etcd members of the cluster cannot be read: %s. %s" % (exc, fix_read))
        return out
    try:
        health = parse_health(health_text)
    except EtcdError as exc:
        out["problems"].append("the health of etcd cannot be read: %s. An etcd without quorum does not answer "
                               "either. %s" % (exc, fix_read))
        return out

    def healthy(member):
        return any(health.get(url.rstrip("/"), (False, ""))[0] for url in member["client_urls"])

    target = [m for m in members if (m["name"] and m["name"] == node)
              or (node_ip and any(_host(url) == node_ip for url in m["peer_urls"]))]
    voters = [m for m in members if not m["learner"]]
    good = [m for m in voters if healthy(m)]
    bad = [m for m in voters if not healthy(m)]
    leaving = [m for m in target if not m["learner"]]
    remaining = len(voters) - len(leaving)
    remaining_healthy = len(good) - len([m for m in leaving if healthy(m)])
    out.update(member_ids=[m["id"] for m in target], members=[_label(m) for m in target], voters=len(voters),
               healthy=[_label(m) for m in good], unhealthy=[_label(m) for m in bad], quorum=quorum(len(voters)),
               remaining=remaining, remaining_healthy=remaining_healthy, remaining_quorum=quorum(remaining))
    if not target:
        out["warnings"].append("no etcd member is named %s or has a peer URL on %s: there is no etcd member to "
                               "remove" % (node, node_ip or "its address"))
        return out
    if not voters:
        out["problems"].append("etcd lists no voting member. Fix: repair etcd first (or "
                               "restore it with playbooks/restore.yml)")
        return out
    if len(good) < quorum(len(voters)):
        out["problems"].append(
            "etcd has no quorum now: %d of its %d voting members are healthy (%s), %d are needed; unhealthy: %s. "
            "Removing %s's member needs a working etcd and could lose data. Fix: bring the "
            "unhealthy members back (on each: crictl ps --name etcd; journalctl -u kubelet), or restore the "
            "cluster from a backup (playbooks/restore.yml)" % (
                len(good), len(voters), _names(good), quorum(len(voters)), _names(bad), node))
        return out
    if leaving and remaining == 0:
        out["problems"].append("%s runs the last etcd member: removing it leaves no etcd. "
                               "To tear the cluster down use playbooks/reset.yml" % node)
        return out
    if leaving and remaining_healthy < quorum(remaining):
        others = [m for m in bad if m not in leaving]
        out["problems"].append(
            "removing %s would break etcd's quorum: %d members would remain, %d of them healthy, and they need %d "
            "(unhealthy: %s). Fix: bring %s back first; a member that is gone for good is "
            "removed first (-e node=<its node>), then this one" % (
                node, remaining, remaining_healthy, quorum(remaining), _names(others), _names(others)))
        return out
    if leaving and remaining % 2 == 0:
        out["warnings"].append(
            "etcd will have %d members: an even count tolerates no more failed members than %d would (%d); "
            "add a control-plane node (playbooks/scale.yml) to get back to an odd count" % (
                remaining, remaining - 1, remaining - quorum(remaining)))
    return out
