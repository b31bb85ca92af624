# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the preflight readiness report: thin wrappers over module_utils/preflight.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.module_utils import preflight
from ansible_collections.aiplatform.cluster.plugins.module_utils.cluster_ports import firewall_rules, peer_ports


def _evaluate(probe, node, requirements, cluster=None):
    try:
        return preflight.evaluate_node(node, probe, requirements, cluster or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("preflight: cannot evaluate the probe of %s: %s" % (node.get("hostname"), exc))


def _peers(hostvars, hosts, ports=True):
    """What the connectivity probe needs of each other node: name, configured address, SSH port, and (``ports``)
    the TCP ports the cluster needs open towards it (module_utils/cluster_ports.py)."""
    peers = []
    for host in hosts:
        hv = hostvars[host]
        peer = {
            "name": hv.get("node_fqdn") or host,
            "address": hv.get("node_ip") or "",
            "port": int(hv.get("ansible_port") or 22),
        }
        if ports:
            roles = hv.get("node_roles") or []
            registry = hv.get("platform_registry") or {}
            offline = hv.get("platform_offline") or {}
            peer["ports"] = peer_ports(roles, hv.get("platform_cluster") or {}, hv.get("platform_network") or {},
                                       (registry.get("local") or {}).get("port", 5000),
                                       (hv.get("platform_storage") or {}).get("nfs") or {},
                                       hv.get("platform_services") or {}, registry.get("local") or {},
                                       offline.get("repo_port", 8480) if offline.get("enabled")
                                       and "offline_repo" in (hv.get("group_names") or []) else None)
        peers.append(peer)
    return peers


def _unreachable(host):
    """The checks of a node the play could not reach or that failed a probe."""
    return [preflight.result("network", preflight.FAIL, "the control machine could not reach or probe %s" % host,
                             "check SSH (address, port, user, key, sudo) for this node")]


def _report(nodes, cluster_name, downgrade=False, generated=None):
    return preflight.build_report(cluster_name, nodes, downgrade, generated)


class FilterModule(object):
    def filters(self):
        return {
            "preflight_evaluate": _evaluate,
            "preflight_report": _report,
            "preflight_peers": _peers,
            "preflight_unreachable": _unreachable,
            "preflight_markdown": preflight.render_markdown,
            "preflight_html": preflight.render_html,
            "preflight_unmet": preflight.unmet,
            "listening_ports": preflight.parse_listening_ports,
            "df_free_gb": preflight.parse_df_free_gb,
            "cluster_ports": firewall_rules,
            "os_name": lambda facts: preflight.os_name(facts.get("distribution"), facts.get("distribution_version")),
        }
