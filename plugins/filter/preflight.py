# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the preflight readiness report: thin wrappers over plugin_utils/preflight.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preflight
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import firewall_rules, peer_ports
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.collection_info import collection_version, utc_now


def _evaluate(probe, node, requirements, cluster=None):
    try:
        return preflight.evaluate_node(node, probe, requirements, cluster or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("preflight: cannot evaluate the probe of %s: %s" % (node.get("hostname"), exc))


def _peers(hostvars, hosts, ports=True):
    """What the connectivity probe needs of each other node: name, configured address, SSH port, and (``ports``)
    the TCP ports the cluster needs open towards it (plugin_utils/cluster_ports.py)."""
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


def _unreachable(host, reason="", address="", port=None, user=""):
    """The checks of a node the play could not reach or that failed a probe: one failed ``network`` check that
    says what Ansible said and how to try the connection by hand."""
    reason = re.sub(r"^Task failed: ", "", " ".join(str(reason or "").split()))
    detail = "the control machine could not reach or probe %s%s" % (host, (": " + reason) if reason else "")
    target = "%s%s" % (("%s@" % user) if user else "", address or host)
    fix = ("from the control machine: ssh -p %s %s true (then sudo -n true there). Check the node's ip and the "
           "config's ssh.port, ssh.user and ssh.private_key_file, that the node is up and no firewall drops SSH; "
           "then run preflight again" % (port or 22, target))
    return [preflight.result("network", preflight.FAIL, detail, fix)]


def _report(nodes, cluster_name, downgrade=False, generated=None, config_file=None):
    """The report, its header filled in: ``generated`` (default: now, UTC), the collection's version, the config."""
    return preflight.build_report(cluster_name, nodes, downgrade, generated or utc_now(), collection_version(),
                                  config_file)


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
