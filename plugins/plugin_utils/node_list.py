# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""What the existing nodes keep about the node list, and what a scale or a removal changes there.

Pure functions over the inventory (``hostvars`` as a mapping of host -> variables, ``groups``), used by
playbooks/node_list.yml (imported by scale.yml and remove_node.yml) and by the roles' defaults.

The node list reaches the nodes in these places (docs/lifecycle.md keeps the same list):

- ``hosts``: /etc/hosts of every node lists every node (role node_init, names.yml);
- ``firewall``: with ``network.firewall: managed``, ufw admits the cluster's ports from
  ``network.node_networks``, which is one /32 per node when the config leaves it unset (node_init);
  the inventory then leaves it empty and the roles work the /32 out once per play (``host_networks``),
  so that no inventory variable grows with the node count on every host;
- ``ntp``: the node that serves time (``network.ntp_server_node``) allows the same networks (node_init);
- ``exports``: an NFS server exports each share to its clients, by default the node networks (nfs);
- ``rank_table``: each Ascend node's HCCL rank table lists every Ascend node (ascend_runtime);
- ``local_proxy``: with several control-plane nodes and ``cluster.ha_mode: local-proxy``, haproxy on
  every node lists every control-plane node (kubeadm);
- ``platform``: the first NVIDIA or Ascend node of a cluster needs its device plugin and exporter
  (platform, on the first control-plane node).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PARTS = ("hosts", "firewall", "ntp", "exports", "rank_table", "local_proxy", "platform")


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    except Exception:  # an undefined or failing variable of a host reads as missing
        return default
    return default if value is None else value


def _host_networks(hostvars, names):
    """The /32 (or /128) each of ``names`` has as a node network: ``["10.0.0.5/32"]``."""
    out = []
    for name in names:
        ip = _get(_get(hostvars, name, {}), "node_ip")
        if ip:
            out.append("%s/%d" % (ip, 128 if ":" in str(ip) else 32))
    return out


def host_networks(hostvars, without=None):
    """The /32 (/128) of each host of ``hostvars`` that has a ``node_ip``, in inventory order, but ``without``.

    What ``network.node_networks`` is when the config leaves it unset: one /32 per node, in the config's order
    (Ansible's ``hostvars`` iterates the hosts in the order the inventory plugin added them, where
    ``groups['all']`` goes group by group). The inventory plugin leaves it empty (a list of N entries on each
    of N hosts would make the inventory grow with the square of the node count); the roles that need it call
    this once per play.
    """
    drop = set(without or [])
    return _host_networks(hostvars, [name for name in hostvars or [] if name not in drop])


def networks_or_hosts(cidrs, hostvars, names):
    """``cidrs`` when the list is not empty, else the /32 (/128) of each of ``names`` that has a ``node_ip``."""
    cidrs = list(cidrs or [])
    return cidrs if cidrs else _host_networks(hostvars, names or [])


def networks_without(cidrs, hostvars, names):
    """``cidrs`` without the host networks (/32, /128) of the nodes ``names``.

    A node network given as a wider CIDR (network.node_networks: [10.0.0.0/24]) stays: the nodes that
    are left still live in it. Only the one-/32-per-node default names single nodes.
    """
    drop = set(_host_networks(hostvars, names or []))
    return [c for c in (cidrs or []) if str(c).strip() not in drop]


def shares_without(shares, hostvars, names, default_clients=None):
    """NFS shares (storage.nfs.shares) with the host networks of ``names`` taken out of each ``clients``.

    ``default_clients``: the clients of a share that names none (the node networks; the inventory plugin leaves
    a share's ``clients`` empty when the config does), filtered the same way. Without it such a share keeps its
    empty list (the export then fails, naming the share).
    """
    out = []
    for share in shares or []:
        share = dict(share)
        if not share.get("clients") and default_clients:
            share["clients"] = list(default_clients)
        if "clients" in share:
            share["clients"] = networks_without(share.get("clients"), hostvars, names)
        out.append(share)
    return out


def _verbs(direction):
    if direction not in ("add", "remove"):
        raise ValueError("direction is %r; it must be 'add' or 'remove' (playbooks/node_list.yml takes it from "
                         "node_list_direction, which scale.yml and remove_node.yml set)" % (direction,))
    return ("gains", "admits", "to") if direction == "add" else ("drops", "stops admitting", "no longer to")


def plan(hostvars, groups, changed, direction="add"):
    """Which existing nodes must be updated, in which part, and why, when ``changed`` join or leave.

    ``hostvars``: host -> its variables (node_ip, platform_network, platform_storage, platform_cluster,
    node_init_firewall, node_init_firewall_sources, as the inventory plugin sets them; role variables set
    in the inventory win over the config, as in the roles). ``groups``: the inventory's groups.
    ``changed``: the nodes that join (direction ``add``: already in the inventory) or leave (``remove``:
    still in the inventory, on their way out).

    Returns ``{"hosts": {host: {part: why}}, "notes": [...]}``: the existing nodes to update (every part
    is one of PARTS) and what the run does not handle, to say to the user.
    """
    gains, admits, to = _verbs(direction)
    changed = [c for c in (changed or []) if c]
    everyone = list(_get(groups, "all", []) or [])
    old = [h for h in everyone if h not in changed]
    out = {}
    notes = []
    if not changed:
        return {"hosts": out, "notes": notes}

    def touch(host, part, why):
        out.setdefault(host, {})[part] = why

    names = ", ".join(changed)
    listed = [c for c in changed if _get(_get(hostvars, c, {}), "node_ip")]
    nets = _host_networks(hostvars, changed)
    per_node = []  # one /32 per node: network.node_networks when the config leaves it unset, worked out once

    def node_networks(network):
        given = list(_get(network, "node_networks", []) or [])
        if given:
            return given
        if not per_node:
            per_node.append(host_networks(hostvars))
        return per_node[0]

    for host in old:
        hv = _get(hostvars, host, {})
        network = _get(hv, "platform_network", {})
        if listed and _get(hv, "node_init_hosts_block", True):
            touch(host, "hosts", "/etc/hosts %s %s" % (gains, ", ".join(listed)))
        policy = _get(hv, "node_init_firewall", _get(network, "firewall", "unmanaged"))
        sources = _get(hv, "node_init_firewall_sources", []) or node_networks(network)
        hit = [n for n in nets if n in sources]
        if policy == "managed" and hit:
            touch(host, "firewall", "ufw %s %s (one /32 per node: network.node_networks is unset)"
                  % (admits, ", ".join(hit)))
        if _get(hv, "node_init_ntp_server_node", _get(network, "ntp_server_node", "")) == host:
            allow = _get(hv, "node_init_ntp_allow", []) or node_networks(network)
            hit = [n for n in nets if n in allow]
            if hit:
                touch(host, "ntp", "chrony serves time %s %s" % (to, ", ".join(hit)))
        shares = _get(_get(_get(hv, "platform_storage", {}), "nfs", {}), "shares", [])
        for share in _get(hv, "nfs_shares", shares):
            hit = [n for n in nets if n in (share.get("clients") or node_networks(network))]
            if share.get("server") == host and hit:
                touch(host, "exports", "NFS export %s %s %s" % (share.get("export_path"), to, ", ".join(hit))
                      if direction == "remove" else
                      "NFS export %s to %s" % (share.get("export_path"), ", ".join(hit)))

    npu = list(_get(groups, "ascend_npu", []) or [])
    npu_changed = [c for c in changed if c in npu]
    if npu_changed:
        for host in npu:
            if host not in changed:
                touch(host, "rank_table", "HCCL rank table %s %s" % (gains, ", ".join(npu_changed)))

    control = list(_get(groups, "kube_control_plane", []) or [])
    cp_changed = [c for c in changed if c in control]
    if cp_changed:
        first = _get(hostvars, control[0], {}) if control else {}
        cluster = _get(first, "platform_cluster", {})
        # as roles/kubeadm/tasks/prepare.yml decides: haproxy runs only without a given endpoint
        proxied = (_get(cluster, "ha_mode", "local-proxy") == "local-proxy"
                   and not _get(cluster, "control_plane_endpoint", ""))
        after = len(control) if direction == "add" else len(control) - len(cp_changed)
        before = len(control) - len(cp_changed) if direction == "add" else len(control)
        if proxied and before > 1 and after > 1:
            for host in _get(groups, "k8s_cluster", []) or []:
                if host not in changed:
                    touch(host, "local_proxy", "haproxy's API backends %s %s" % (gains, ", ".join(cp_changed)))
        elif proxied and (before > 1) != (after > 1):
            notes.append("the cluster goes from %d to %d control-plane node(s): with cluster.ha_mode local-proxy the "
                         "nodes that are already members keep the API endpoint they joined with; run site.yml to "
                         "give every node the local proxy" % (before, after))

    if direction == "add" and control:
        for group, kind in (("nvidia_gpu", "NVIDIA"), ("ascend_npu", "Ascend")):
            members = list(_get(groups, group, []) or [])
            new = [c for c in changed if c in members]
            if new and not [m for m in members if m not in changed]:
                touch(control[0], "platform", "first %s node%s (%s): the platform services render its device "
                      "plugin and exporter" % (kind, "s" if len(new) > 1 else "", ", ".join(new)))
    return {"hosts": out, "notes": notes}


def removal_problems(hostvars, node):
    """Why ``node`` cannot leave while the config still gives it a job the other nodes depend on.

    Returns a list of sentences (empty: nothing stands in the way): it serves an NFS share, the site
    registry, the time of the other nodes or the offline repository.
    """
    hv = _get(hostvars, node, {})
    problems = []
    shares = _get(_get(_get(hv, "platform_storage", {}), "nfs", {}), "shares", [])
    served = [s.get("name") or s.get("export_path") for s in shares if s.get("server") == node]
    if served:
        problems.append("it serves the NFS share%s %s (storage.nfs.shares[].server)"
                        % ("s" if len(served) > 1 else "", ", ".join(str(s) for s in served)))
    if _get(hv, "platform_registry_host", "") == node and _get(_get(_get(hv, "platform_registry", {}), "local", {}),
                                                               "enabled", False):
        problems.append("it runs the site registry the nodes pull from (the registry role)")
    if _get(_get(hv, "platform_network", {}), "ntp_server_node", "") == node:
        problems.append("the other nodes take their time from it (network.ntp_server_node)")
    offline = _get(hv, "platform_offline", {})
    if _get(offline, "enabled", False) and _get(offline, "repo_node", "") == node:
        problems.append("it serves the offline repository (offline.repo_node)")
    return problems
