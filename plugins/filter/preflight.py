# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the preflight readiness report: thin wrappers over plugin_utils/preflight.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preflight
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import firewall_rules
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.collection_info import collection_version, utc_now


def _evaluate(probe, node, requirements, cluster=None):
    try:
        return preflight.evaluate_node(node, probe, requirements, cluster or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("preflight: cannot evaluate the probe of %s: %s" % (node.get("hostname"), exc))


def _judge(hostvars, hosts, reached, register):
    try:
        return preflight.judge(hostvars, hosts, reached, register)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("preflight: %s" % exc)


def _report(nodes, cluster_name, downgrade=False, generated=None, config_file=None):
    """The report, its header filled in: ``generated`` (default: now, UTC), the collection's version, the config."""
    return preflight.build_report(cluster_name, nodes, downgrade, generated or utc_now(), collection_version(),
                                  config_file)


class FilterModule(object):
    def filters(self):
        return {
            "preflight_evaluate": _evaluate,
            "preflight_report": _report,
            "preflight_judge": _judge,
            "preflight_peers": preflight.peers,
            "preflight_unreachable": preflight.unreachable,
            "preflight_markdown": preflight.render_markdown,
            "preflight_html": preflight.render_html,
            "preflight_unmet": preflight.unmet,
            "listening_ports": preflight.parse_listening_ports,
            "df_free_gb": preflight.parse_df_free_gb,
            "cluster_ports": firewall_rules,
            "os_name": lambda facts: preflight.os_name(facts.get("distribution"), facts.get("distribution_version")),
        }
